/* sftp applet (also `sftp-server`): an SFTP v3 server on stdin/stdout with
 * OpenSSH sftp-server's command line. The engine is shared/child/sftp.c;
 * it serves under the sftp seccomp allow-list (shared/child/child_sandbox.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "applets.h"
#include "child_sandbox.h"
#include "log.h"
#include "sftp.h"

static void usage(FILE *f)
{
	fputs("usage: sftp-server [-ehR] [-d start_directory] [-f log_facility] [-l log_level]\n"
	      "\t[-P denied_requests] [-p allowed_requests] [-u umask]\n"
	      "       sftp-server -Q protocol_feature\n",
	      f);
}

static int facility_ok(const char *f)
{
	static const char *const names[] = {"DAEMON", "USER", "AUTH", "AUTHPRIV", "LOCAL0", "LOCAL1",
	                                    "LOCAL2", "LOCAL3", "LOCAL4", "LOCAL5", "LOCAL6", "LOCAL7"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(f, names[i]) == 0)
			return 1;
	return 0;
}

int applet_sftp_main(int argc, char **argv)
{
	struct sftp_options opt = {.umask = -1};
	int to_stderr = 0, level = LOG_ERROR, c, skipargs = 0;
	prctl(PR_SET_NAME, "sshbox-sftp", 0, 0, 0);
	if (argc == 2 && strcmp(argv[1], "--help") == 0) { /* `sshbox --help sftp` */
		usage(stdout);
		return 0;
	}
	optind = 1;
	while (!skipargs && (c = getopt(argc, argv, "d:f:l:P:p:Q:u:cehR")) != -1) {
		switch (c) {
		case 'd': opt.start_dir = optarg; break;
		case 'e': to_stderr = 1; break;
		case 'c':
			/* Invoked as a login shell ("sftp-server -c command"):
			 * ignore the rest, as OpenSSH's sftp-server does. */
			skipargs = 1;
			break;
		case 'R': opt.readonly = 1; break;
		case 'p': opt.allow = optarg; break;
		case 'P': opt.deny = optarg; break;
		case 'f':
			if (!facility_ok(optarg)) {
				fprintf(stderr, "sftp-server: Invalid log facility \"%s\"\n", optarg);
				return 1;
			}
			break;
		case 'l':
			level = log_level_parse(optarg);
			if (level < 0) {
				fprintf(stderr, "sftp-server: Invalid log level \"%s\"\n", optarg);
				return 1;
			}
			break;
		case 'u': {
			char *end;
			long m = strtol(optarg, &end, 8);
			if (!optarg[0] || *end || m < 0 || m > 0777) {
				fprintf(stderr, "sftp-server: Invalid umask \"%s\"\n", optarg);
				return 1;
			}
			opt.umask = (int)m;
			break;
		}
		case 'Q':
			if (strcasecmp(optarg, "requests") != 0) {
				fprintf(stderr, "sftp-server: Unsupported query \"%s\"\n", optarg);
				return 1;
			}
			for (size_t i = 0; sftp_request_names[i]; i++)
				printf("%s\n", sftp_request_names[i]);
			return fflush(stdout) == 0 ? 0 : 1;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (!skipargs && optind < argc) {
		usage(stderr);
		return 1;
	}
	log_init("sftp-server", (enum log_level)level, to_stderr ? LOG_TO_STDERR : LOG_TO_SYSLOG);
	const char *conn = getenv("SSH_CONNECTION");
	log_info("session opened for local user uid %u from [%s]", (unsigned)getuid(), conn ? conn : "UNKNOWN");
	/* Setup is done (the exec child dropped privileges and chrooted before
	 * it started us; the syslog socket is open): from here on only sftp's
	 * system calls. */
	if (child_sandbox_enter(CHILD_SANDBOX_SFTP) < 0)
		return 1;
	int rc = sftp_serve(0, 1, &opt);
	log_info("session closed for local user uid %u", (unsigned)getuid());
	return rc;
}
