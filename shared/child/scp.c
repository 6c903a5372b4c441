/* scp: the legacy scp protocol's server side (see scp.h). */
#include "scp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define IO_CHUNK (128 * 1024)

struct scp {
	const struct scp_cmd *cmd;
	int in, out;
	int errors;
	struct buf inb; /* bytes read from the peer, not consumed yet */
	uint8_t chunk[IO_CHUNK];
};

/* ---- I/O with the peer ---- */

/* Makes at least one byte available; 0, or -1 on EOF/error. */
static int fill_in(struct scp *s)
{
	if (buf_avail(&s->inb))
		return 0;
	buf_reset(&s->inb);
	uint8_t *p;
	if (buf_reserve(&s->inb, IO_CHUNK, &p) != 0)
		return -1;
	ssize_t n;
	do
		n = read(s->in, p, IO_CHUNK);
	while (n < 0 && errno == EINTR);
	buf_unreserve(&s->inb, n > 0 ? IO_CHUNK - (size_t)n : IO_CHUNK);
	return n > 0 ? 0 : -1;
}

/* One control line into line (a view, without '\n'). 0, 1 on clean EOF
 * before any byte, -1 on error or an over-long line. */
static int read_line(struct scp *s, char *store, struct buf *line)
{
	size_t n = 0;
	for (;;) {
		if (fill_in(s) != 0)
			return n == 0 ? 1 : -1;
		uint8_t c;
		buf_get_u8(&s->inb, &c);
		if (c == '\n')
			break;
		if (n >= SCP_LINE_MAX)
			return -1;
		store[n++] = (char)c;
	}
	buf_view(line, store, n);
	return 0;
}

static int send_bytes(struct scp *s, const void *p, size_t n)
{
	return write_full(s->out, p, n);
}

static int ack(struct scp *s)
{
	return send_bytes(s, "", 1);
}

/* A \x01 (non-fatal) or \x02 (fatal) message to the peer, also logged. */
__attribute__((format(printf, 3, 4))) static void peer_error(struct scp *s, int fatal, const char *fmt, ...)
{
	char msg[PATH_MAX + 256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + 1, sizeof(msg) - 2, fmt, ap);
	va_end(ap);
	/* the message is one line: a '\n' from a file name would end it early */
	for (char *p = msg + 1; *p; p++)
		if (*p == '\n')
			*p = '?';
	log_info("scp: %s", msg + 1);
	msg[0] = fatal ? 2 : 1;
	size_t n = strlen(msg + 1) + 1;
	msg[n++] = '\n';
	(void)send_bytes(s, msg, n);
	s->errors++;
}

/* The peer's answer to one of our records: 0 ok, -1 error (logged), and
 * exits on a fatal one. */
static int response(struct scp *s)
{
	static char store[SCP_LINE_MAX];
	if (fill_in(s) != 0) {
		log_info("scp: connection closed while waiting for a response");
		exit(1);
	}
	uint8_t c;
	buf_peek_u8(&s->inb, 0, &c);
	if (c == 0) {
		buf_consume(&s->inb, 1);
		return 0;
	}
	struct buf line;
	struct scp_record r;
	char err[64];
	if (read_line(s, store, &line) != 0 || scp_parse_record(&line, &r, err, sizeof(err)) != 0 ||
	    (r.type != SCP_REC_WARN && r.type != SCP_REC_FATAL)) {
		log_info("scp: bad response from the peer");
		exit(1);
	}
	log_info("scp: peer: %s", r.msg);
	if (r.type == SCP_REC_FATAL)
		exit(1);
	s->errors++;
	return -1;
}

/* ---- sink: scp -t ---- */

static int set_times(const char *path, int fd, const struct scp_record *t)
{
	struct timespec ts[2] = {{(time_t)t->atime, 0}, {(time_t)t->mtime, 0}};
	return fd >= 0 ? futimens(fd, ts) : utimensat(AT_FDCWD, path, ts, 0);
}

/* Skips n bytes of file data from the peer (after an error). */
static int drain(struct scp *s, uint64_t n)
{
	while (n) {
		if (fill_in(s) != 0)
			return -1;
		size_t k = buf_avail(&s->inb) < n ? buf_avail(&s->inb) : (size_t)n;
		buf_consume(&s->inb, k);
		n -= k;
	}
	return 0;
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Receives size bytes into fd; zero blocks become holes (a sparse source
 * stays sparse). 0, or the errno of the first local failure (the data is
 * still consumed). -1 on a lost connection. */
static int receive_data(struct scp *s, int fd, uint64_t size)
{
	int err = 0;
	off_t pos = 0;
	while (size) {
		if (fill_in(s) != 0)
			return -1;
		size_t k = buf_avail(&s->inb) < size ? buf_avail(&s->inb) : (size_t)size;
		const uint8_t *p = buf_rptr(&s->inb);
		if (!err && all_zero(p, k)) {
			if (lseek(fd, (off_t)k, SEEK_CUR) < 0)
				err = errno;
		} else if (!err && write_full(fd, p, k) != 0) {
			err = errno ? errno : EIO;
		}
		buf_consume(&s->inb, k);
		size -= k;
		pos += (off_t)k;
	}
	if (!err && ftruncate(fd, pos) != 0) /* sets the size after trailing holes */
		err = errno;
	return err;
}

static void receive_file(struct scp *s, const char *path, const struct scp_record *r,
			 const struct scp_record *t)
{
	/* O_TRUNC: zero blocks are skipped as holes, so old bytes must not
	 * show through them. */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY,
		      (mode_t)((r->mode & 0777) | S_IWUSR));
	int err = fd < 0 ? errno : 0;
	if (ack(s) != 0)
		exit(1);
	int rd = fd >= 0 ? receive_data(s, fd, r->size) : drain(s, r->size);
	if (rd < 0)
		exit(1);
	if (!err)
		err = rd;
	if (fd >= 0 && !err && s->cmd->preserve && fchmod(fd, r->mode & 0777) != 0)
		err = errno;
	if (fd >= 0 && !err && t && set_times(path, fd, t) != 0)
		err = errno;
	if (fd >= 0 && close(fd) != 0 && !err)
		err = errno;
	(void)response(s); /* the sender's status after the data */
	if (err)
		peer_error(s, 0, "scp: %s: %s", path, strerror(err));
	else if (ack(s) != 0)
		exit(1);
}

static int sink(struct scp *s, const char *target, int depth);

static void receive_dir(struct scp *s, const char *path, const struct scp_record *r,
			const struct scp_record *t, int depth)
{
	struct stat st;
	if (!s->cmd->recursive) {
		peer_error(s, 1, "scp: received directory without -r");
		exit(1);
	}
	if (depth >= SCP_DEPTH_MAX) {
		peer_error(s, 1, "scp: directories nested deeper than %d", SCP_DEPTH_MAX);
		exit(1);
	}
	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			peer_error(s, 1, "scp: %s: not a directory", path);
			exit(1);
		}
		if (s->cmd->preserve)
			(void)chmod(path, r->mode & 0777);
	} else if (mkdir(path, (r->mode & 0777) | S_IRWXU) != 0) {
		peer_error(s, 1, "scp: %s: %s", path, strerror(errno));
		exit(1);
	}
	sink(s, path, depth + 1);
	if (t && set_times(path, -1, t) != 0)
		peer_error(s, 0, "scp: %s: set times: %s", path, strerror(errno));
	if (s->cmd->preserve && chmod(path, r->mode & 0777) != 0)
		peer_error(s, 0, "scp: %s: chmod: %s", path, strerror(errno));
}

/* Receives records into target until E (depth > 0) or EOF (top). */
static int sink(struct scp *s, const char *target, int depth)
{
	static char store[SCP_LINE_MAX];
	struct stat st;
	int is_dir = stat(target, &st) == 0 && S_ISDIR(st.st_mode);
	if (s->cmd->target_dir && !is_dir) {
		peer_error(s, 1, "scp: %s: Not a directory", target);
		exit(1);
	}
	if (ack(s) != 0)
		exit(1);
	struct scp_record r, t;
	int have_t = 0;
	for (;;) {
		struct buf line;
		char err[64];
		int lr = read_line(s, store, &line);
		if (lr == 1 && depth == 0)
			return 0;
		if (lr != 0) {
			peer_error(s, 1, "scp: protocol error: %s",
				   lr == 1 ? "unexpected end" : "line too long");
			exit(1);
		}
		if (scp_parse_record(&line, &r, err, sizeof(err)) != 0) {
			peer_error(s, 1, "scp: protocol error: %s", err);
			exit(1);
		}
		if (s->cmd->verbose)
			log_info("scp: record %c %s", r.type > 2 ? (char)r.type : '!', r.name);
		switch (r.type) {
		case SCP_REC_WARN:
			log_info("scp: peer: %s", r.msg);
			s->errors++;
			continue;
		case SCP_REC_FATAL:
			log_info("scp: peer: %s", r.msg);
			exit(1);
		case SCP_REC_END:
			if (depth == 0) {
				peer_error(s, 1, "scp: protocol error: E at top level");
				exit(1);
			}
			if (ack(s) != 0)
				exit(1);
			return 0;
		case SCP_REC_TIME:
			t = r;
			have_t = 1;
			if (ack(s) != 0)
				exit(1);
			continue;
		default:
			break;
		}
		/* Into the target directory by its one-component name, or the
		 * target itself when it is not a directory. */
		char path[PATH_MAX];
		int pn = is_dir ? snprintf(path, sizeof(path), "%s/%s", target, r.name)
				: snprintf(path, sizeof(path), "%s", target);
		if (pn < 0 || pn >= (int)sizeof(path)) {
			peer_error(s, 1, "scp: path too long");
			exit(1);
		}
		if (r.type == SCP_REC_DIR)
			receive_dir(s, path, &r, have_t ? &t : NULL, depth);
		else
			receive_file(s, path, &r, have_t ? &t : NULL);
		have_t = 0;
	}
}

/* ---- source: scp -f ---- */

/* The name as sent: a '\n' would end the record early, so it goes as the
 * three characters "\^J", as OpenSSH's scp sends it (vis(3) encoding). */
static void wire_name(const char *name, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = name; *p && n + 4 < cap; p++) {
		if (*p == '\n') {
			out[n++] = '\\';
			out[n++] = '^';
			out[n++] = 'J';
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
}

static const char *base_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s && s[1] ? s + 1 : path;
}

static int send_record(struct scp *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int send_record(struct scp *s, const char *fmt, ...)
{
	char line[SCP_LINE_MAX + 64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	if (send_bytes(s, line, (size_t)n) != 0)
		exit(1);
	return response(s);
}

static int send_times(struct scp *s, const struct stat *st)
{
	return send_record(s, "T%lld 0 %lld 0\n", (long long)st->st_mtime, (long long)st->st_atime);
}

/* Sends st_size bytes of fd; a short read is padded with zeros so the
 * stream stays in step, and reported after the data. */
static void send_data(struct scp *s, int fd, const char *path, uint64_t size)
{
	int err = 0;
	while (size) {
		size_t k = size < IO_CHUNK ? (size_t)size : IO_CHUNK;
		ssize_t r = 0;
		if (!err) {
			do
				r = read(fd, s->chunk, k);
			while (r < 0 && errno == EINTR);
			if (r <= 0) {
				err = r < 0 ? errno : EIO;
				r = 0;
			}
		}
		if (r < (ssize_t)k)
			memset(s->chunk + r, 0, k - (size_t)r);
		if (r > 0)
			k = (size_t)r;
		if (send_bytes(s, s->chunk, k) != 0)
			exit(1);
		size -= k;
	}
	if (err)
		peer_error(s, 0, "scp: %s: %s", path, strerror(err));
	else if (ack(s) != 0)
		exit(1);
	(void)response(s);
}

static void source_path(struct scp *s, const char *path, int depth);

static void source_dir(struct scp *s, const char *path, const struct stat *st, int depth)
{
	char name[2 * SCP_NAME_MAX + 8];
	if (depth >= SCP_DEPTH_MAX) {
		peer_error(s, 0, "scp: %s: directories nested deeper than %d", path, SCP_DEPTH_MAX);
		return;
	}
	DIR *d = opendir(path);
	if (!d) {
		peer_error(s, 0, "scp: %s: %s", path, strerror(errno));
		return;
	}
	wire_name(base_of(path), name, sizeof(name));
	if ((s->cmd->preserve && send_times(s, st) != 0) ||
	    send_record(s, "D%04o 0 %s\n", (unsigned)(st->st_mode & 07777), name) != 0) {
		closedir(d);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char child[PATH_MAX];
		if (snprintf(child, sizeof(child), "%s/%s", path, e->d_name) >= (int)sizeof(child)) {
			peer_error(s, 0, "scp: %s/%s: name too long", path, e->d_name);
			continue;
		}
		source_path(s, child, depth + 1);
	}
	closedir(d);
	(void)send_record(s, "E\n");
}

static void source_path(struct scp *s, const char *path, int depth)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0) {
		peer_error(s, 0, "scp: %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		if (s->cmd->recursive)
			source_dir(s, path, &st, depth);
		else
			peer_error(s, 0, "scp: %s: not a regular file", path);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		peer_error(s, 0, "scp: %s: not a regular file", path);
		return;
	}
	char name[2 * SCP_NAME_MAX + 8];
	wire_name(base_of(path), name, sizeof(name));
	if ((s->cmd->preserve && send_times(s, &st) != 0) ||
	    send_record(s, "C%04o %lld %s\n", (unsigned)(st.st_mode & 07777), (long long)st.st_size, name) !=
		0) {
		close(fd);
		return;
	}
	send_data(s, fd, path, (uint64_t)st.st_size);
	close(fd);
}

/* ---- entry ---- */

/* "~" and "~/x" are relative to home (the shell would expand them). */
static void expand_home(const char *path, const char *home, char *out, size_t cap)
{
	if (home && path[0] == '~' && (path[1] == '\0' || path[1] == '/'))
		snprintf(out, cap, "%s%s", home, path + 1);
	else
		snprintf(out, cap, "%s", path);
}

static void source_all(struct scp *s, const char *home)
{
	if (response(s) != 0) /* the sink starts with a status byte */
		return;
	for (size_t i = 0; i < s->cmd->npaths; i++) {
		char path[PATH_MAX];
		expand_home(s->cmd->paths[i], home, path, sizeof(path));
		glob_t g;
		memset(&g, 0, sizeof(g));
		/* NOCHECK: a name without matches (or without wildcards) as is */
		if (strpbrk(path, "*?[") && glob(path, GLOB_NOCHECK, NULL, &g) == 0) {
			for (size_t k = 0; k < g.gl_pathc; k++)
				source_path(s, g.gl_pathv[k], 0);
			globfree(&g);
		} else {
			source_path(s, path, 0);
		}
	}
}

int scp_run(const struct scp_cmd *cmd, int in, int out, const char *home)
{
	struct scp *s = calloc(1, sizeof(*s));
	if (!s || buf_init(&s->inb, IO_CHUNK) != 0) {
		free(s);
		return 1;
	}
	s->cmd = cmd;
	s->in = in;
	s->out = out;
	log_debug("scp: %s %s%s%s (%zu path%s)", cmd->sink ? "-t" : "-f", cmd->recursive ? "-r " : "",
		  cmd->preserve ? "-p " : "", cmd->target_dir ? "-d" : "", cmd->npaths,
		  cmd->npaths == 1 ? "" : "s");
	if (cmd->sink) {
		char target[PATH_MAX];
		expand_home(cmd->paths[0], home, target, sizeof(target));
		sink(s, target, 0);
	} else {
		source_all(s, home);
	}
	int rc = s->errors ? 1 : 0;
	buf_free(&s->inb);
	free(s);
	return rc;
}
