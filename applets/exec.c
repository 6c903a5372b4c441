/* PLACEHOLDER until the exec applet lands: its owner replaces this file. */
#include <stdio.h>

#include "applets.h"

int applet_exec_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("exec: not implemented yet\n", stderr);
	return 1;
}
