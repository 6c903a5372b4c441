/* scp: the server side of the legacy scp protocol as an applet
 * (`sshbox scp -t DIR`, `scp -f FILE...`), for images without an scp
 * binary. The exec child runs the same engine (shared/child/scp.c) for an
 * `scp -t/-f` session command when InternalScp says so; this applet lets
 * a link named scp serve it too. Only the server modes: a client
 * invocation (no -t/-f) is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "applets.h"
#include "log.h"
#include "scp.h"

static void usage(FILE *f)
{
	fputs("usage: scp [-dprv] -t [--] TARGET     receive (server side of scp -O uploads)\n"
	      "       scp [-prv] -f [--] PATH...      send (server side of scp -O downloads)\n"
	      "Only the server side of the legacy protocol; there is no scp client here.\n",
	      f);
}

int applet_scp_main(int argc, char **argv)
{
	prctl(PR_SET_NAME, "sshbox-scp", 0, 0, 0);
	/* stderr is the user's: the protocol carries the errors */
	log_init("scp", LOG_ERROR, LOG_TO_STDERR);
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	/* One command line for the same parser the exec child uses: each
	 * argument single-quoted, so nothing is interpreted twice. */
	size_t cap = 8;
	for (int i = 1; i < argc; i++)
		cap += 4 * strlen(argv[i]) + 3;
	if (cap > SCP_CMD_MAX) {
		fprintf(stderr, "scp: command line too long\n");
		return 1;
	}
	char *line = malloc(cap);
	if (!line)
		return 1;
	size_t n = (size_t)snprintf(line, cap, "scp");
	for (int i = 1; i < argc; i++) {
		line[n++] = ' ';
		line[n++] = '\'';
		for (const char *p = argv[i]; *p; p++) {
			if (*p == '\'') { /* ' -> '\'' */
				memcpy(line + n, "'\\''", 4);
				n += 4;
			} else {
				line[n++] = *p;
			}
		}
		line[n++] = '\'';
	}
	line[n] = '\0';
	struct scp_cmd cmd;
	int r = scp_parse_command(line, &cmd);
	free(line);
	if (r != 0) {
		usage(stderr);
		return 1;
	}
	r = scp_run(&cmd, 0, 1, getenv("HOME"));
	scp_cmd_free(&cmd);
	return r;
}
