/* nologin: a login shell that refuses politely, for accounts that may only
 * use SFTP, scp or forwarding. Distroless images have no /usr/sbin/nologin;
 * a link to sshbox named nologin gives them one, so such accounts pass the
 * "shell must exist" check (as with OpenSSH) while shell sessions end at once.
 * Lives in the full binary only: it runs from disk as the user's shell. */
#include <stdio.h>
#include <string.h>

#include "applets.h"

int applet_nologin_main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		printf("usage: nologin  (as a user's login shell: refuses shell and command sessions, exit "
		       "1)\n");
		return 0;
	}
	fputs("This account is currently not available.\n", stdout);
	return 1;
}
