/* debug: command-line client of the sshd debug service (RFD 0167 style).
 *
 *   sshbox debug [-c sshd_config] [-S socket] get-log-level
 *   sshbox debug [-c sshd_config] [-S socket] set-log-level LEVEL
 *   sshbox debug [-c sshd_config] [-S socket] readyz | metrics | sessions
 *   sshbox debug [-c sshd_config] [-S socket] profile [-s SECONDS] [-p PID] [LIST]
 *
 * The socket is <DataDirectory>/debug.sock from the daemon's config.
 * `profile` writes a tar.gz to stdout with one file per item of LIST
 * (comma-separated: profile,heap,sessions,metrics,status,fds,cmdline;
 * default heap,profile,sessions).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "applets.h"
#include "buf.h"
#include "debugsvc.h"
#include "profile.h"
#include "sshd_config.h"
#include "util.h"

#define MAX_RESPONSE (64u << 20)

static void usage(void)
{
	fputs("usage: sshbox debug [-c sshd_config] [-S socket] COMMAND\n"
	      "commands:\n"
	      "  get-log-level            print the daemon's current log level\n"
	      "  set-log-level LEVEL      TRACE, DEBUG, INFO, WARN or ERROR (case-insensitive)\n"
	      "  readyz                   readiness as JSON\n"
	      "  metrics                  Prometheus text metrics\n"
	      "  sessions                 live connections as JSON\n"
	      "  profile [-s SECONDS] [-p PID] [LIST]\n"
	      "                           tar.gz to stdout, one file per item of LIST\n"
	      "                           (-p: CPU profile of that connection process\n"
	      "                           instead of the listener)\n"
	      "                           (profile,heap,sessions,metrics,status,fds,cmdline;\n"
	      "                           default heap,profile,sessions), e.g.\n"
	      "                           sshbox debug profile | tar xzv\n",
	      stderr);
}

/* Socket path from -S, or DataDirectory of the config. */
static int find_socket(const char *cfg_path, int explicit_cfg, char *out, size_t outlen)
{
	struct sshd_config cfg;
	char err[512] = "";
	sshd_config_init(&cfg);
	int r = sshd_config_load(&cfg, cfg_path, explicit_cfg, err, sizeof(err));
	if (r == 0)
		r = sshd_config_finalize(&cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "debug: %s\n", err[0] ? err : "cannot load the configuration");
		sshd_config_free(&cfg);
		return -1;
	}
	if (!cfg.data_directory) {
		fprintf(stderr, "debug: no DataDirectory in the configuration\n");
		sshd_config_free(&cfg);
		return -1;
	}
	int n = snprintf(out, outlen, "%s/%s", cfg.data_directory, DEBUGSVC_SOCKET_NAME);
	sshd_config_free(&cfg);
	if (n < 0 || (size_t)n >= outlen) {
		fprintf(stderr, "debug: socket path too long\n");
		return -1;
	}
	return 0;
}

struct response {
	int status;
	const uint8_t *body;
	size_t body_len;
	struct buf raw;
};

/* One request over a fresh connection; the whole answer is read (the
 * service closes after each). timeout_ms bounds the whole exchange. */
static int request(const char *sock, const char *method, const char *path, const char *body,
		   int timeout_ms, struct response *resp)
{
	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->raw, MAX_RESPONSE);
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "debug: socket path too long: %s\n", sock);
		return -1;
	}
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (e == ENOENT || e == ECONNREFUSED || e == ENOTDIR)
			fprintf(stderr,
				"debug: cannot connect to %s: %s\n"
				"debug: is sshd running? is DebugService on? (use -c to name the daemon's sshd_config,\n"
				"       or -S for the socket path)\n",
				sock, strerror(e));
		else if (e == EACCES || e == EPERM)
			fprintf(stderr,
				"debug: cannot connect to %s: %s\n"
				"debug: hint: run as root or as the daemon's user (and add other users to "
				"DebugAllowUsers)\n",
				sock, strerror(e));
		else
			fprintf(stderr, "debug: cannot connect to %s: %s\n", sock, strerror(e));
		return -1;
	}
	char head[512];
	size_t blen = body ? strlen(body) : 0;
	int hn = snprintf(head, sizeof(head),
			  "%s %s HTTP/1.1\r\nHost: sshbox-debug\r\nUser-Agent: sshbox-debug\r\n"
			  "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			  method, path, blen);
	if (hn < 0 || (size_t)hn >= sizeof(head) || write_full(fd, head, (size_t)hn) != 0 ||
	    (blen && write_full(fd, body, blen) != 0)) {
		fprintf(stderr, "debug: cannot send the request: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	uint64_t deadline = monotonic_ms() + (uint64_t)timeout_ms;
	for (;;) {
		uint64_t now = monotonic_ms();
		if (now >= deadline) {
			fprintf(stderr, "debug: timed out waiting for the debug service\n");
			close(fd);
			return -1;
		}
		struct pollfd p = {fd, POLLIN, 0};
		int pr = poll(&p, 1, (int)(deadline - now));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		uint8_t *dst;
		if (buf_reserve(&resp->raw, 65536, &dst) != 0) {
			fprintf(stderr, "debug: response too large\n");
			close(fd);
			return -1;
		}
		ssize_t r = read(fd, dst, 65536);
		(void)buf_consume_end(&resp->raw, r > 0 ? 65536 - (size_t)r : 65536);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(stderr, "debug: read: %s\n", strerror(errno));
			close(fd);
			return -1;
		}
	}
	close(fd);
	/* Status line and header end; body runs to EOF (Connection: close),
	 * cut at Content-Length when present. */
	const char *raw = (const char *)buf_rptr(&resp->raw);
	size_t n = buf_avail(&resp->raw);
	const char *end = n >= 4 ? memmem(raw, n, "\r\n\r\n", 4) : NULL;
	int st = 0;
	if (!end || n < 12 || memcmp(raw, "HTTP/1.", 7) != 0 || sscanf(raw + 9, "%3d", &st) != 1) {
		fprintf(stderr, "debug: malformed response from the debug service\n");
		return -1;
	}
	resp->status = st;
	resp->body = (const uint8_t *)end + 4;
	resp->body_len = n - (size_t)(end + 4 - raw);
	const char *cl = memmem(raw, (size_t)(end - raw), "\r\nContent-Length: ", 18);
	if (cl) {
		unsigned long long v = strtoull(cl + 18, NULL, 10);
		if (v < resp->body_len)
			resp->body_len = (size_t)v;
	}
	return 0;
}

static void report_http_error(const char *what, const struct response *r)
{
	fprintf(stderr, "debug: %s: HTTP %d: %.*s", what, r->status, (int)(r->body_len > 500 ? 500 : r->body_len),
		(const char *)r->body);
	if (r->body_len == 0 || r->body[r->body_len - 1] != '\n')
		fputc('\n', stderr);
	if (r->status == 403)
		fputs("debug: hint: run as root or as the daemon's user, or add your user to DebugAllowUsers "
		      "(or a group to DebugAllowGroups)\n",
		      stderr);
}

static int simple(const char *sock, const char *method, const char *path, const char *body)
{
	struct response r;
	int rc = 1;
	if (request(sock, method, path, body, 30000, &r) == 0) {
		if (r.status == 200) {
			rc = write_full(STDOUT_FILENO, r.body, r.body_len) == 0 ? 0 : 1;
		} else {
			report_http_error(path, &r);
		}
	}
	buf_free(&r.raw);
	return rc;
}

/* ---- tar (ustar) ---- */

static void octal(char *dst, size_t width, unsigned long long v)
{
	/* width-1 octal digits, NUL-terminated */
	dst[width - 1] = 0;
	for (size_t i = width - 1; i-- > 0;) {
		dst[i] = (char)('0' + (v & 7));
		v >>= 3;
	}
}

static int tar_add(struct buf *tar, const char *name, const uint8_t *data, size_t n, time_t mtime)
{
	uint8_t h[512];
	memset(h, 0, sizeof(h));
	size_t nl = strlen(name);
	if (nl >= 100)
		return -1;
	memcpy(h, name, nl);                     /* name[100] at 0 */
	octal((char *)h + 100, 8, 0644);         /* mode */
	octal((char *)h + 108, 8, 0);            /* uid */
	octal((char *)h + 116, 8, 0);            /* gid */
	octal((char *)h + 124, 12, n);           /* size */
	octal((char *)h + 136, 12, (unsigned long long)mtime);
	memset(h + 148, ' ', 8);                 /* chksum while summing */
	h[156] = '0';                            /* typeflag: regular file */
	memcpy(h + 257, "ustar", 6);             /* magic "ustar\0" */
	memcpy(h + 263, "00", 2);                /* version */
	memcpy(h + 265, "root", 4);              /* uname */
	memcpy(h + 297, "root", 4);              /* gname */
	unsigned sum = 0;
	for (size_t i = 0; i < sizeof(h); i++)
		sum += h[i];
	octal((char *)h + 148, 7, sum);          /* 6 digits + NUL, then the space */
	h[155] = ' ';
	int r = buf_put(tar, h, sizeof(h));
	if (r == 0 && n)
		r = buf_put(tar, data, n);
	size_t pad = (512 - n % 512) % 512;
	static const uint8_t zeros[512];
	if (r == 0 && pad)
		r = buf_put(tar, zeros, pad);
	return r;
}

struct item {
	const char *name;
	const char *path;
	const char *file;
};

static const struct item items[] = {
	{"profile", "/debug/pprof/profile", "profile.pb.gz"},
	{"heap", "/debug/pprof/heap", "heap.txt"},
	{"sessions", "/sessions", "sessions.json"},
	{"metrics", "/metrics", "metrics.txt"},
	{"status", "/debug/status", "status.txt"},
	{"fds", "/debug/fds", "fds.txt"},
	{"cmdline", "/debug/pprof/cmdline", "cmdline.txt"},
};

static int cmd_profile(const char *sock, int argc, char **argv)
{
	long secs = 10, pid = 0;
	const char *list = "heap,profile,sessions";
	int i = 0;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "-p") == 0 || strcmp(argv[i], "--pid") == 0) {
			if (i + 1 >= argc || parse_long(argv[i + 1], 1, 1L << 30, &pid) != 0) {
				fprintf(stderr, "debug: -p needs the pid of a connection process (see `sshbox debug sessions`)\n");
				return 2;
			}
			i++;
			continue;
		}
		if (strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "--seconds") == 0) {
			if (i + 1 >= argc || parse_long(argv[i + 1], 1, PROFILE_MAX_SECONDS, &secs) != 0) {
				fprintf(stderr, "debug: -s needs a number of seconds from 1 to %d\n", PROFILE_MAX_SECONDS);
				return 2;
			}
			i++;
		} else if (strncmp(argv[i], "--seconds=", 10) == 0) {
			if (parse_long(argv[i] + 10, 1, PROFILE_MAX_SECONDS, &secs) != 0) {
				fprintf(stderr, "debug: --seconds needs 1 to %d\n", PROFILE_MAX_SECONDS);
				return 2;
			}
		} else if (argv[i][0] == '-') {
			usage();
			return 2;
		} else {
			list = argv[i];
		}
	}
	/* Validate the whole list first. */
	const struct item *want[16];
	size_t nwant = 0;
	char *copy = xstrdup(list);
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct item *it = NULL;
		for (size_t k = 0; k < ARRAY_LEN(items); k++)
			if (strcmp(tok, items[k].name) == 0)
				it = &items[k];
		if (!it) {
			fprintf(stderr, "debug: unknown profile \"%s\" (known: profile,heap,sessions,metrics,status,fds,cmdline)\n",
				tok);
			free(copy);
			return 2;
		}
		int dup = 0;
		for (size_t k = 0; k < nwant; k++)
			dup |= want[k] == it;
		if (!dup && nwant < ARRAY_LEN(want))
			want[nwant++] = it;
	}
	free(copy);
	if (nwant == 0) {
		fprintf(stderr, "debug: empty profile list\n");
		return 2;
	}
	if (isatty(STDOUT_FILENO)) {
		fprintf(stderr, "debug: refusing to write a tar.gz to a terminal; redirect it to a file or pipe it "
				"to `tar xzv`\n");
		return 2;
	}
	struct buf tar;
	buf_init(&tar, MAX_RESPONSE * 2);
	int failed = 0, added = 0;
	time_t now = time(NULL);
	for (size_t k = 0; k < nwant; k++) {
		char path[128];
		int timeout = 30000;
		if (strcmp(want[k]->name, "profile") == 0) {
			if (pid)
				snprintf(path, sizeof(path), "%s?seconds=%ld&pid=%ld", want[k]->path, secs, pid);
			else
				snprintf(path, sizeof(path), "%s?seconds=%ld", want[k]->path, secs);
			timeout += (int)secs * 1000;
			fprintf(stderr, "debug: collecting a %ld s CPU profile...\n", secs);
		} else {
			snprintf(path, sizeof(path), "%s", want[k]->path);
		}
		struct response r;
		if (request(sock, "GET", path, NULL, timeout, &r) != 0) {
			buf_free(&r.raw);
			buf_free(&tar);
			return 1; /* cannot talk to the service at all */
		}
		if (r.status != 200) {
			report_http_error(want[k]->name, &r);
			failed++;
		} else if (tar_add(&tar, want[k]->file, r.body, r.body_len, now) != 0) {
			fprintf(stderr, "debug: %s: cannot add to the archive\n", want[k]->name);
			failed++;
		} else {
			added++;
		}
		buf_free(&r.raw);
	}
	static const uint8_t zeros[1024];
	int rc = buf_put(&tar, zeros, sizeof(zeros)); /* end-of-archive: two zero blocks */
	struct buf gz;
	buf_init(&gz, MAX_RESPONSE * 2);
	if (rc == 0)
		rc = gzip_compress(buf_rptr(&tar), buf_avail(&tar), &gz);
	if (rc == 0)
		rc = write_full(STDOUT_FILENO, buf_rptr(&gz), buf_avail(&gz));
	if (rc != 0)
		fprintf(stderr, "debug: cannot write the archive\n");
	buf_free(&tar);
	buf_free(&gz);
	if (rc == 0 && !failed)
		fprintf(stderr, "debug: wrote %d file(s)\n", added);
	return rc != 0 || failed ? 1 : 0;
}

int applet_debug_main(int argc, char **argv)
{
	const char *cfg_path = SSHD_CONFIG_DEFAULT_PATH, *sock_opt = NULL;
	int explicit_cfg = 0;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--config") == 0) &&
		    i + 1 < argc) {
			cfg_path = argv[++i];
			explicit_cfg = 1;
		} else if ((strcmp(argv[i], "-S") == 0 || strcmp(argv[i], "--socket") == 0) && i + 1 < argc) {
			sock_opt = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage();
			return 0;
		} else {
			usage();
			return 2;
		}
	}
	if (i >= argc) {
		usage();
		return 2;
	}
	const char *cmd = argv[i++];
	int rest = argc - i;
	char **rargv = argv + i;
	int known = strcmp(cmd, "get-log-level") == 0 || strcmp(cmd, "set-log-level") == 0 ||
		    strcmp(cmd, "readyz") == 0 || strcmp(cmd, "metrics") == 0 || strcmp(cmd, "sessions") == 0 ||
		    strcmp(cmd, "profile") == 0;
	if (!known) {
		fprintf(stderr, "debug: unknown command \"%s\"\n", cmd);
		usage();
		return 2;
	}
	if (strcmp(cmd, "set-log-level") == 0) {
		static const char *const levels[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"};
		int ok = 0;
		for (size_t k = 0; rest == 1 && k < ARRAY_LEN(levels); k++)
			ok |= strcasecmp(rargv[0], levels[k]) == 0;
		if (!ok) {
			fputs("usage: sshbox debug set-log-level TRACE|DEBUG|INFO|WARN|ERROR\n", stderr);
			return 2;
		}
	} else if (strcmp(cmd, "profile") != 0 && rest != 0) {
		usage();
		return 2;
	}
	char sock[256];
	if (sock_opt) {
		snprintf(sock, sizeof(sock), "%s", sock_opt);
	} else if (find_socket(cfg_path, explicit_cfg, sock, sizeof(sock)) != 0) {
		return 1;
	}
	if (strcmp(cmd, "get-log-level") == 0)
		return simple(sock, "GET", "/log-level", NULL);
	if (strcmp(cmd, "set-log-level") == 0) {
		char body[16];
		snprintf(body, sizeof(body), "%s", rargv[0]);
		for (char *c = body; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 'a' + 'A');
		return simple(sock, "PUT", "/log-level", body);
	}
	if (strcmp(cmd, "readyz") == 0)
		return simple(sock, "GET", "/readyz", NULL);
	if (strcmp(cmd, "metrics") == 0)
		return simple(sock, "GET", "/metrics", NULL);
	if (strcmp(cmd, "sessions") == 0)
		return simple(sock, "GET", "/sessions", NULL);
	return cmd_profile(sock, rest, rargv);
}
