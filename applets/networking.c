/* networking: the per-connection child that opens user-requested sockets
 * (port, unix-socket and agent forwarding) as the user. The connection
 * process starts it through spawn_applet with the control socket as fd 3
 * (see shared/netfwd.h for the protocol); it drops privileges to the user
 * named in the first message, serves until the control socket closes, then
 * removes every unix socket it created. Once privileges are dropped it
 * runs under its seccomp allow-list (shared/child/child_sandbox.h).
 *
 *   networking [--log-level LEVEL] [--fd N]
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "applets.h"
#include "child_sandbox.h"
#include "log.h"
#include "netfwd_server.h"
#include "util.h"

/* After the privilege drop: from here on only networking's system calls. */
static int enter_sandbox(void)
{
	return child_sandbox_enter(CHILD_SANDBOX_NETWORKING);
}

int applet_networking_main(int argc, char **argv)
{
	int level = LOG_INFO;
	long fd = 3;

	prctl(PR_SET_NAME, "networking", 0, 0, 0);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
			int l = log_level_parse(argv[++i]);
			if (l >= 0)
				level = l;
		} else if (strcmp(argv[i], "--fd") == 0 && i + 1 < argc) {
			if (parse_long(argv[++i], 0, 1023, &fd) < 0) {
				fputs("networking: bad --fd\n", stderr);
				return 255;
			}
		} else {
			fprintf(stderr, "usage: networking [--log-level LEVEL] [--fd N]\n");
			return 255;
		}
	}
	log_init("networking", (enum log_level)level, LOG_TO_STDERR);

	int type = 0;
	socklen_t tl = sizeof(type);
	if (fcntl((int)fd, F_GETFD) < 0 || getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
	    type != SOCK_SEQPACKET) {
		log_error("networking: fd %ld is not the control socket (started by hand?)", fd);
		return 255;
	}
	set_cloexec((int)fd, 1);
	return netfwd_serve((int)fd, enter_sandbox);
}
