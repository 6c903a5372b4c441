/* PLACEHOLDER until the sftp applet lands: its owner replaces this file. */
#include <stdio.h>

#include "applets.h"

int applet_sftp_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("sftp: not implemented yet\n", stderr);
	return 1;
}
