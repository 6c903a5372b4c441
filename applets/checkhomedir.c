/* PLACEHOLDER until the checkhomedir applet lands: its owner replaces this file. */
#include <stdio.h>

#include "applets.h"

int applet_checkhomedir_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("checkhomedir: not implemented yet\n", stderr);
	return 1;
}
