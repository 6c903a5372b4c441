/* PLACEHOLDER until the sshd applet lands: its owner replaces this file. */
#include <stdio.h>

#include "applets.h"

int applet_sshd_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("sshd: not implemented yet\n", stderr);
	return 1;
}
