/* PLACEHOLDER until the debug applet lands: its owner replaces this file. */
#include <stdio.h>

#include "applets.h"

int applet_debug_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("debug: not implemented yet\n", stderr);
	return 1;
}
