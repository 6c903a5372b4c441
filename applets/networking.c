/* PLACEHOLDER until the networking applet lands: its owner replaces this file. */
#include <stdio.h>

#include "applets.h"

int applet_networking_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("networking: not implemented yet\n", stderr);
	return 1;
}
