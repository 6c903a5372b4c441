/* keycmd: AuthorizedKeysCommand / AuthorizedPrincipalsCommand runner.
 * See keycmd.h. */
#include "keycmd.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"
#include "spawn.h"
#include "util.h"

#define KEYCMD_MAX_GROUPS 64
#define KEYCMD_MAX_WORD 4096

/* The certificate-only tokens; NULL for another letter or no certificate. */
static const char *cert_token(char letter, const struct keycmd_tokens *t)
{
	switch (letter) {
	case 'i':
		return t->key_id;
	case 's':
		return t->serial;
	case 'T':
		return t->ca_type;
	case 'K':
		return t->ca_b64;
	case 'F':
		return t->ca_fp;
	default:
		return NULL;
	}
}

int keycmd_expand(const char *word, const struct keycmd_tokens *t, char *out, size_t cap)
{
	size_t o = 0;
	for (const char *p = word; *p; p++) {
		char num[24];
		const char *v = NULL;
		if (*p != '%') {
			if (o + 1 >= cap)
				return -1;
			out[o++] = *p;
			continue;
		}
		switch (*++p) {
		case '%':
			v = "%";
			break;
		case 'u':
			v = t->user;
			break;
		case 'h':
			v = t->home;
			break;
		case 't':
			v = t->key_type;
			break;
		case 'k':
			v = t->key_b64;
			break;
		case 'f':
			v = t->key_fp;
			break;
		case 'U':
			snprintf(num, sizeof(num), "%u", (unsigned)t->uid);
			v = num;
			break;
		default:
			/* certificate tokens exist only where a certificate is */
			v = cert_token(*p, t);
			if (!v)
				return -1;
		}
		size_t n = strlen(v ? v : "");
		if (o + n >= cap)
			return -1;
		memcpy(out + o, v ? v : "", n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

/* OpenSSH's safe_path: the program and every directory up to / owned by
 * root and not writable by group or others. */
static int safe_program(const char *kw, const char *path)
{
	char p[PATH_MAX];
	struct stat st;
	if (path[0] != '/') {
		log_error("%s %s: the program must be an absolute path", kw, path);
		return -1;
	}
	if (!realpath(path, p) || stat(p, &st) != 0) {
		log_error("%s %s: %s", kw, path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("%s %s: not a regular file", kw, path);
		return -1;
	}
	for (;;) {
		if (stat(p, &st) != 0 || st.st_uid != 0 || (st.st_mode & 022)) {
			log_error("%s %s: bad ownership or modes for %s", kw, path, p);
			return -1;
		}
		char *slash = strrchr(p, '/');
		if (!slash || strcmp(p, "/") == 0)
			return 0;
		if (slash == p)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

struct drop_args {
	uid_t uid;
	gid_t gid;
	gid_t groups[KEYCMD_MAX_GROUPS];
	size_t n;
};

/* spawn child_setup (after fork: async-signal-safe only). */
static int drop_to(void *arg)
{
	const struct drop_args *d = arg;
	return privdrop_raw(d->uid, d->gid, d->groups, d->n) < 0 ? -1 : 0;
}

static int lookup_user(const char *kw, const char *name, struct drop_args *d)
{
	struct passwd *pw = getpwnam(name);
	if (!pw) {
		log_error("%sUser %s: no such user", kw, name);
		return -1;
	}
	d->uid = pw->pw_uid;
	d->gid = pw->pw_gid;
	int n = KEYCMD_MAX_GROUPS;
	if (getgrouplist(name, pw->pw_gid, d->groups, &n) < 0) {
		n = 1;
		d->groups[0] = pw->pw_gid;
	}
	d->n = (size_t)n;
	if (geteuid() != 0 && d->uid != geteuid()) {
		log_error("%sUser %s: a daemon not running as root can only run it as itself", kw, name);
		return -1;
	}
	return 0;
}

/* argv for the keycmd applet: --uid N -- program args...; words malloc'd. */
static int build_argv(const char *command, const struct keycmd_tokens *t, const struct drop_args *d,
		      char **args, size_t cap)
{
	size_t n = 0;
	char uid[24], word[KEYCMD_MAX_WORD];
	snprintf(uid, sizeof(uid), "%u", (unsigned)d->uid);
	args[n++] = xstrdup("--uid");
	args[n++] = xstrdup(uid);
	args[n++] = xstrdup("--");
	const char *p = command;
	while (*(p += strspn(p, " \t"))) {
		size_t len = strcspn(p, " \t");
		if (n + 2 >= cap || len >= sizeof(word))
			return -1;
		memcpy(word, p, len);
		word[len] = '\0';
		char *exp = malloc(KEYCMD_MAX_WORD);
		if (!exp || keycmd_expand(word, t, exp, KEYCMD_MAX_WORD) < 0) {
			free(exp);
			return -1;
		}
		args[n++] = exp;
		p += len;
	}
	if (n == 3)
		return -1;
	if (n == 4)
		args[n++] = xstrdup(t->user); /* no arguments: the user name, as OpenSSH */
	args[n] = NULL;
	return 0;
}

/* Reads fd until EOF, the cap or the deadline. 1 = EOF, 0 = capped, -1 = timeout/error. */
static int read_bounded(int fd, char *out, size_t *len, uint64_t deadline)
{
	for (;;) {
		uint64_t now = monotonic_ms();
		if (now >= deadline)
			return -1;
		struct pollfd pfd = {fd, POLLIN, 0};
		int r = poll(&pfd, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (*len == KEYCMD_MAX_OUTPUT)
			return 0;
		ssize_t got = read(fd, out + *len, KEYCMD_MAX_OUTPUT - *len);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0)
			return got == 0 ? 1 : -1;
		*len += (size_t)got;
	}
}

static pid_t start(char **args, struct drop_args *d, int *rfd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	struct stat st;
	int logfd = fstat(2, &st) == 0 && !S_ISSOCK(st.st_mode) ? 2 : -1;
	struct spawn_fd fds[] = {{1, p[1]}, {2, logfd}};
	struct spawn_opts o;
	memset(&o, 0, sizeof(o));
	o.fds = fds;
	o.nfds = ARRAY_LEN(fds);
	o.new_session = 1;
	o.child_setup = drop_to;
	o.child_arg = d;
	pid_t pid = spawn_applet("keycmd", args, &o);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	*rfd = p[0];
	return pid;
}

static int collect(pid_t pid, int fd, const char *kw, const char *command, int timeout_ms, char **out,
		   size_t *outlen)
{
	char *buf = malloc(KEYCMD_MAX_OUTPUT + 1);
	size_t len = 0;
	int r = buf ? read_bounded(fd, buf, &len, monotonic_ms() + (uint64_t)timeout_ms) : -1;
	close(fd);
	if (r <= 0) {
		kill(-pid, SIGKILL); /* the command and whatever it started */
		if (r == 0)
			log_info("%s %s: output over %u bytes, cut off", kw, command, KEYCMD_MAX_OUTPUT);
		else
			log_error("%s %s: no end of output within %d ms, killed", kw, command, timeout_ms);
	}
	int st = spawn_wait(pid, 2000);
	if (r < 0 || (r == 1 && st != 0)) {
		if (r == 1)
			log_error("%s %s failed, status %d", kw, command, st);
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

int keycmd_run(const char *command, const char *run_as, const struct keycmd_tokens *t, int timeout_ms,
	       char **out, size_t *outlen)
{
	struct drop_args d;
	char *args[KEYCMD_MAX_ARGS + 5] = {0};
	const char *kw = t->keyword ? t->keyword : "AuthorizedKeysCommand";
	int rc = -1, fd = -1;
	*out = NULL;
	*outlen = 0;
	if (!run_as) {
		log_error("%s %s: no %sUser set: refused", kw, command, kw);
		return -1;
	}
	if (lookup_user(kw, run_as, &d) < 0)
		return -1;
	if (build_argv(command, t, &d, args, ARRAY_LEN(args)) < 0) {
		log_error("%s %s: bad token, too many arguments or no program", kw, command);
		goto out;
	}
	if (safe_program(kw, args[3]) < 0)
		goto out;
	pid_t pid = start(args, &d, &fd);
	if (pid < 0) {
		log_error("%s %s: cannot start: %s", kw, command, strerror(errno));
		goto out;
	}
	rc = collect(pid, fd, kw, command, timeout_ms, out, outlen);
out:
	for (size_t i = 0; args[i]; i++)
		free(args[i]);
	return rc;
}
