/* keycmd: runs an AuthorizedKeysCommand for the connection process
 * (shared/server/keycmd.c), which starts it through spawn_applet with its
 * privileges already dropped to AuthorizedKeysCommandUser (spawn child_setup)
 * in a new session, fd 1 a pipe it reads (bounded, with a timeout), fd 2 the
 * daemon's log, fd 0 /dev/null.
 *
 *   keycmd [--uid N] -- PATH [ARG...]
 *
 * Checks that it runs as uid N (the privilege drop happened), then
 * executes PATH with argv {PATH, ARG...} and a fixed environment. Exit
 * codes of its own: 255 bad usage or wrong uid, 127 exec failed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "applets.h"
#include "util.h"

int applet_keycmd_main(int argc, char **argv)
{
	long want_uid = -1;
	int i = 1;
	prctl(PR_SET_NAME, "keycmd", 0, 0, 0);
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--uid") == 0 && i + 1 < argc &&
		    parse_long(argv[i + 1], 0, 0x7fffffff, &want_uid) == 0) {
			i++;
			continue;
		}
		fputs("usage: keycmd [--uid N] -- PATH [ARG...]\n", stderr);
		return 255;
	}
	if (i + 1 >= argc || argv[i + 1][0] != '/') {
		fputs("keycmd: an absolute command path is required\n", stderr);
		return 255;
	}
	if (want_uid >= 0 && (getuid() != (uid_t)want_uid || geteuid() != (uid_t)want_uid)) {
		fprintf(stderr, "keycmd: running as uid %u, expected %ld: refusing\n", (unsigned)geteuid(),
			want_uid);
		return 255;
	}
	char *const envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C", NULL};
	execve(argv[i + 1], argv + i + 1, envp);
	fprintf(stderr, "keycmd: cannot execute %s: %s\n", argv[i + 1], strerror(errno));
	return 127;
}
