/* sftp: SFTP v3 server engine. See sftp.h. */
#include "sftp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define HERR_PARSE (-2) /* handler: malformed request -> SSH_FX_BAD_MESSAGE */
#define READDIR_BATCH 100
#define NAME_CACHE 32
#define COPY_CHUNK (64u * 1024u)

enum { H_FREE = 0, H_FILE = 1, H_DIR = 2 };

struct handle {
	int type;
	uint32_t gen;
	int fd;       /* H_FILE */
	int oflags;   /* open(2) flags, H_FILE */
	DIR *dir;     /* H_DIR */
	char *path;   /* for the log */
	uint64_t nread, nwritten;
};

struct idname {
	unsigned id;
	char name[33];
};

struct sftp_server {
	int inited;
	int readonly;
	uint32_t version;
	uint32_t gen;
	unsigned hint;
	uint64_t permitted; /* bit per request table entry */
	struct buf r, r2;   /* scratch: response under construction */
	struct handle h[SFTP_MAX_HANDLES];
	struct idname users[NAME_CACHE], groups[NAME_CACHE];
	unsigned nusers, ngroups;
};

struct request;
typedef int (*handler_fn)(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);

struct request {
	const char *name;    /* for -p/-P/-Q */
	uint8_t type;        /* SSH_FXP_* or SSH_FXP_EXTENDED */
	const char *ext;     /* extension name when type == EXTENDED */
	int writes;          /* refused in read-only mode */
	handler_fn fn;
};

/* ---------------------------------------------------------------- replies */

static int begin(struct sftp_server *s, uint8_t type, uint32_t id)
{
	buf_clear(&s->r);
	int r = buf_put_u8(&s->r, type);
	return r ? r : buf_put_u32(&s->r, id);
}

/* Moves the response under construction into out as one framed packet. */
static int finish(struct sftp_server *s, struct buf *out)
{
	int r = buf_put_buf(out, &s->r);
	buf_clear(&s->r);
	return r ? -1 : 0;
}

static const char *status_msg(uint32_t code)
{
	switch (code) {
	case SSH_FX_OK: return "Success";
	case SSH_FX_EOF: return "End of file";
	case SSH_FX_NO_SUCH_FILE: return "No such file";
	case SSH_FX_PERMISSION_DENIED: return "Permission denied";
	case SSH_FX_BAD_MESSAGE: return "Bad message";
	case SSH_FX_OP_UNSUPPORTED: return "Operation unsupported";
	default: return "Failure";
	}
}

static int send_status_msg(struct sftp_server *s, struct buf *out, uint32_t id, uint32_t code, const char *msg)
{
	int r = begin(s, SSH_FXP_STATUS, id);
	if (!r)
		r = buf_put_u32(&s->r, code);
	if (!r)
		r = buf_put_cstring(&s->r, msg ? msg : status_msg(code));
	if (!r)
		r = buf_put_cstring(&s->r, "");
	if (r)
		return -1;
	return finish(s, out);
}

static int send_status(struct sftp_server *s, struct buf *out, uint32_t id, uint32_t code)
{
	return send_status_msg(s, out, id, code, NULL);
}

static uint32_t errno_status(int e)
{
	switch (e) {
	case 0: return SSH_FX_OK;
	case ENOENT: case ENOTDIR: case EBADF: case ELOOP: return SSH_FX_NO_SUCH_FILE;
	case EPERM: case EACCES: case EFAULT: return SSH_FX_PERMISSION_DENIED;
	case ENAMETOOLONG: case EINVAL: return SSH_FX_BAD_MESSAGE;
	case ENOSYS: return SSH_FX_OP_UNSUPPORTED;
	default: return SSH_FX_FAILURE;
	}
}

/* Status for the outcome of a system call: rc 0 -> OK, else from errno. */
static int send_errno(struct sftp_server *s, struct buf *out, uint32_t id, int rc, int e)
{
	if (rc == 0)
		return send_status(s, out, id, SSH_FX_OK);
	uint32_t code = errno_status(e);
	return send_status_msg(s, out, id, code, code == SSH_FX_FAILURE ? strerror(e) : NULL);
}

/* ------------------------------------------------------------- attributes */

struct attrs {
	uint32_t flags;
	uint64_t size;
	uint32_t uid, gid, perm, atime, mtime;
};

static int get_attrs(struct buf *b, struct attrs *a)
{
	memset(a, 0, sizeof(*a));
	if (buf_get_u32(b, &a->flags))
		return -1;
	if ((a->flags & SSH_FILEXFER_ATTR_SIZE) && buf_get_u64(b, &a->size))
		return -1;
	if ((a->flags & SSH_FILEXFER_ATTR_UIDGID) && (buf_get_u32(b, &a->uid) || buf_get_u32(b, &a->gid)))
		return -1;
	if ((a->flags & SSH_FILEXFER_ATTR_PERMISSIONS) && buf_get_u32(b, &a->perm))
		return -1;
	if ((a->flags & SSH_FILEXFER_ATTR_ACMODTIME) && (buf_get_u32(b, &a->atime) || buf_get_u32(b, &a->mtime)))
		return -1;
	if (a->flags & SSH_FILEXFER_ATTR_EXTENDED) {
		uint32_t n;
		if (buf_get_u32(b, &n) || n > buf_avail(b) / 8)
			return -1;
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *p;
			size_t l;
			if (buf_get_string_view(b, &p, &l, SFTP_MAX_PACKET) ||
			    buf_get_string_view(b, &p, &l, SFTP_MAX_PACKET))
				return -1;
		}
	}
	return 0;
}

static int put_stat(struct buf *b, const struct stat *st)
{
	int r = buf_put_u32(b, SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_UIDGID |
	                           SSH_FILEXFER_ATTR_PERMISSIONS | SSH_FILEXFER_ATTR_ACMODTIME);
	if (!r) r = buf_put_u64(b, (uint64_t)st->st_size);
	if (!r) r = buf_put_u32(b, (uint32_t)st->st_uid);
	if (!r) r = buf_put_u32(b, (uint32_t)st->st_gid);
	if (!r) r = buf_put_u32(b, (uint32_t)st->st_mode);
	if (!r) r = buf_put_u32(b, (uint32_t)st->st_atime);
	if (!r) r = buf_put_u32(b, (uint32_t)st->st_mtime);
	return r;
}

/* One-entry NAME reply with empty attrs (realpath, readlink, expand-path). */
static int send_name1(struct sftp_server *s, struct buf *out, uint32_t id, const char *name)
{
	int r = begin(s, SSH_FXP_NAME, id);
	if (!r) r = buf_put_u32(&s->r, 1);
	if (!r) r = buf_put_cstring(&s->r, name);
	if (!r) r = buf_put_cstring(&s->r, name);
	if (!r) r = buf_put_u32(&s->r, 0);
	return r ? -1 : finish(s, out);
}

/* Applies attrs to a path (fd < 0) or an open fd. nofollow: lsetstat. */
static int apply_attrs(int fd, const char *path, const struct attrs *a, int nofollow)
{
	int atflags = nofollow ? AT_SYMLINK_NOFOLLOW : 0;
	if (a->flags & SSH_FILEXFER_ATTR_SIZE) {
		if (nofollow) {
			errno = ENOSYS;
			return -1;
		}
		if ((fd >= 0 ? ftruncate(fd, (off_t)a->size) : truncate(path, (off_t)a->size)) == -1)
			return -1;
	}
	if (a->flags & SSH_FILEXFER_ATTR_PERMISSIONS) {
		mode_t m = (mode_t)(a->perm & 07777);
		if ((fd >= 0 ? fchmod(fd, m) : fchmodat(AT_FDCWD, path, m, atflags)) == -1)
			return -1;
	}
	if (a->flags & SSH_FILEXFER_ATTR_ACMODTIME) {
		struct timespec ts[2] = {{.tv_sec = (time_t)a->atime}, {.tv_sec = (time_t)a->mtime}};
		if ((fd >= 0 ? futimens(fd, ts) : utimensat(AT_FDCWD, path, ts, atflags)) == -1)
			return -1;
	}
	if (a->flags & SSH_FILEXFER_ATTR_UIDGID) {
		if ((fd >= 0 ? fchown(fd, (uid_t)a->uid, (gid_t)a->gid)
		             : fchownat(AT_FDCWD, path, (uid_t)a->uid, (gid_t)a->gid, atflags)) == -1)
			return -1;
	}
	return 0;
}

/* ----------------------------------------------------------------- names */

static const char *cached_name(struct idname *c, unsigned *n, unsigned id, int group)
{
	for (unsigned i = 0; i < *n; i++)
		if (c[i].id == id)
			return c[i].name;
	struct idname *e = &c[*n < NAME_CACHE ? (*n)++ : id % NAME_CACHE];
	const char *nm = NULL;
	if (group) {
		struct group *g = getgrgid((gid_t)id);
		nm = g ? g->gr_name : NULL;
	} else {
		struct passwd *pw = getpwuid((uid_t)id);
		nm = pw ? pw->pw_name : NULL;
	}
	e->id = id;
	if (nm && strlen(nm) < sizeof(e->name))
		snprintf(e->name, sizeof(e->name), "%s", nm);
	else
		snprintf(e->name, sizeof(e->name), "%u", id);
	return e->name;
}

static void mode_string(mode_t m, char out[11])
{
	char t = '?';
	switch (m & S_IFMT) {
	case S_IFREG: t = '-'; break;
	case S_IFDIR: t = 'd'; break;
	case S_IFLNK: t = 'l'; break;
	case S_IFCHR: t = 'c'; break;
	case S_IFBLK: t = 'b'; break;
	case S_IFSOCK: t = 's'; break;
	case S_IFIFO: t = 'p'; break;
	}
	out[0] = t;
	const char *rwx = "rwxrwxrwx";
	for (int i = 0; i < 9; i++)
		out[1 + i] = (m & (0400u >> i)) ? rwx[i] : '-';
	if (m & S_ISUID) out[3] = (m & S_IXUSR) ? 's' : 'S';
	if (m & S_ISGID) out[6] = (m & S_IXGRP) ? 's' : 'S';
	if (m & S_ISVTX) out[9] = (m & S_IXOTH) ? 't' : 'T';
	out[10] = '\0';
}

/* ls -l style line as OpenSSH's sftp-server sends in READDIR longnames. */
static void long_name(struct sftp_server *s, char *out, size_t cap, const char *name, const struct stat *st)
{
	char mode[11], tbuf[32] = "";
	mode_string(st->st_mode, mode);
	const char *user = cached_name(s->users, &s->nusers, (unsigned)st->st_uid, 0);
	const char *group = cached_name(s->groups, &s->ngroups, (unsigned)st->st_gid, 1);
	time_t now = time(NULL), mt = st->st_mtime;
	struct tm tm;
	if (localtime_r(&mt, &tm)) {
		size_t n = (now - 365 * 24 * 60 * 60 / 2 < mt && now >= mt)
		               ? strftime(tbuf, sizeof(tbuf), "%b %e %H:%M", &tm)
		               : strftime(tbuf, sizeof(tbuf), "%b %e  %Y", &tm);
		if (n == 0)
			tbuf[0] = '\0';
	}
	int ulen = (int)strlen(user), glen = (int)strlen(group);
	snprintf(out, cap, "%s  %3u %-*s %-*s %8llu %s %s", mode, (unsigned)st->st_nlink,
	         ulen > 8 ? ulen : 8, user, glen > 8 ? glen : 8, group,
	         (unsigned long long)st->st_size, tbuf, name);
}

/* --------------------------------------------------------------- realpath */

/* Canonicalizes path like realpath(3), but a missing last component is
 * allowed (as OpenSSH's sftp-server does). Works without /proc. */
static int canon_path(const char *in, char *res, size_t cap)
{
	char rest[PATH_MAX * 2], tmp[PATH_MAX * 2], link[PATH_MAX];
	size_t rl;
	int links = 0;
	if (cap < 2 || strlen(in) >= sizeof(rest) / 2) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (in[0] == '/') {
		res[0] = '/';
		res[1] = '\0';
	} else if (!getcwd(res, cap)) {
		return -1;
	}
	rl = strlen(res);
	snprintf(rest, sizeof(rest), "%s", in);
	size_t pos = 0;
	for (;;) {
		while (rest[pos] == '/')
			pos++;
		if (!rest[pos])
			break;
		size_t end = pos;
		while (rest[end] && rest[end] != '/')
			end++;
		size_t clen = end - pos;
		size_t next = end;
		while (rest[next] == '/')
			next++;
		int last = rest[next] == '\0';
		if (clen == 1 && rest[pos] == '.') {
			pos = end;
			continue;
		}
		if (clen == 2 && rest[pos] == '.' && rest[pos + 1] == '.') {
			while (rl > 1 && res[rl - 1] != '/')
				rl--;
			if (rl > 1)
				rl--;
			res[rl] = '\0';
			pos = end;
			continue;
		}
		size_t prev = rl;
		size_t need = rl + (rl > 1 ? 1 : 0) + clen;
		if (need + 1 > cap) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (rl > 1)
			res[rl++] = '/';
		memcpy(res + rl, rest + pos, clen);
		rl += clen;
		res[rl] = '\0';
		pos = end;
		struct stat st;
		if (lstat(res, &st) == -1) {
			if (errno == ENOENT && last)
				break;
			return -1;
		}
		if (S_ISLNK(st.st_mode)) {
			if (++links > 40) {
				errno = ELOOP;
				return -1;
			}
			ssize_t n = readlink(res, link, sizeof(link) - 1);
			if (n < 0)
				return -1;
			link[n] = '\0';
			int w = snprintf(tmp, sizeof(tmp), "%s/%s", link, rest + pos);
			if (w < 0 || (size_t)w >= sizeof(rest)) {
				errno = ENAMETOOLONG;
				return -1;
			}
			memcpy(rest, tmp, (size_t)w + 1);
			pos = 0;
			if (link[0] == '/')
				rl = 1;
			else
				rl = prev;
			res[rl] = '\0';
			continue;
		}
		if (!last && !S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
	}
	return 0;
}

static const char *home_of(const char *user)
{
	struct passwd *pw = user ? getpwnam(user) : getpwuid(getuid());
	if (pw && pw->pw_dir && pw->pw_dir[0])
		return pw->pw_dir;
	if (!user) {
		const char *h = getenv("HOME");
		if (h && h[0])
			return h;
	}
	return NULL;
}

/* ~ and ~user expansion; 0 or -1 (errno). */
static int tilde_expand(const char *in, char *out, size_t cap)
{
	if (in[0] != '~') {
		if (strlen(in) >= cap) {
			errno = ENAMETOOLONG;
			return -1;
		}
		snprintf(out, cap, "%s", in);
		return 0;
	}
	const char *slash = strchr(in, '/');
	size_t ulen = slash ? (size_t)(slash - in) - 1 : strlen(in) - 1;
	char user[256];
	if (ulen >= sizeof(user)) {
		errno = ENOENT;
		return -1;
	}
	memcpy(user, in + 1, ulen);
	user[ulen] = '\0';
	const char *home = home_of(ulen ? user : NULL);
	if (!home) {
		errno = ENOENT;
		return -1;
	}
	int w = snprintf(out, cap, "%s%s", home, slash ? slash : "");
	if (w < 0 || (size_t)w >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- handles */

static int handle_new(struct sftp_server *s, int type, int fd, int oflags, DIR *d, const char *path)
{
	for (unsigned k = 0; k < SFTP_MAX_HANDLES; k++) {
		unsigned i = (s->hint + k) % SFTP_MAX_HANDLES;
		if (s->h[i].type == H_FREE) {
			if (++s->gen == 0)
				s->gen = 1;
			s->h[i] = (struct handle){.type = type, .gen = s->gen, .fd = fd, .oflags = oflags, .dir = d,
			                          .path = strdup(path)};
			s->hint = (i + 1) % SFTP_MAX_HANDLES;
			return (int)i;
		}
	}
	return -1;
}

static void handle_close(struct sftp_server *s, unsigned i, int *rc, int *err)
{
	struct handle *h = &s->h[i];
	int r = 0;
	if (h->type == H_FILE)
		r = close(h->fd);
	else if (h->type == H_DIR)
		r = closedir(h->dir);
	if (rc) {
		*rc = r;
		*err = errno;
	}
	free(h->path);
	memset(h, 0, sizeof(*h));
}

static int put_handle(struct sftp_server *s, struct buf *out, uint32_t id, int i)
{
	uint8_t hb[8];
	store_be32(hb, (uint32_t)i);
	store_be32(hb + 4, s->h[i].gen);
	int r = begin(s, SSH_FXP_HANDLE, id);
	if (!r) r = buf_put_string(&s->r, hb, sizeof(hb));
	return r ? -1 : finish(s, out);
}

/* Parses a handle string; *idx = -1 when it names no open handle of the
 * type (H_FREE = any). Returns -1 only for a malformed packet. */
static int get_handle(struct sftp_server *s, struct buf *in, int type, int *idx)
{
	struct buf hb;
	uint32_t i, gen;
	*idx = -1;
	if (buf_get_string_buf(in, &hb, 256))
		return -1;
	if (buf_avail(&hb) != 8 || buf_get_u32(&hb, &i) || buf_get_u32(&hb, &gen))
		return 0;
	if (i >= SFTP_MAX_HANDLES || s->h[i].type == H_FREE || s->h[i].gen != gen)
		return 0;
	if (type != H_FREE && s->h[i].type != type)
		return 0;
	*idx = (int)i;
	return 0;
}

static int bad_handle(struct sftp_server *s, struct buf *out, uint32_t id)
{
	return send_status_msg(s, out, id, SSH_FX_FAILURE, "Invalid handle");
}

#define GET_PATH(in, p)                                                 \
	do {                                                            \
		if (buf_get_cstring_into((in), (p), sizeof(p)))         \
			return HERR_PARSE;                              \
	} while (0)

/* --------------------------------------------------------------- handlers */

static int h_open(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char path[PATH_MAX];
	uint32_t pf;
	struct attrs a;
	GET_PATH(in, path);
	if (buf_get_u32(in, &pf) || get_attrs(in, &a))
		return HERR_PARSE;
	int fl;
	if ((pf & SSH_FXF_READ) && (pf & SSH_FXF_WRITE))
		fl = O_RDWR;
	else if (pf & SSH_FXF_WRITE)
		fl = O_WRONLY;
	else
		fl = O_RDONLY;
	if (pf & SSH_FXF_APPEND) fl |= O_APPEND;
	if (pf & SSH_FXF_CREAT) fl |= O_CREAT;
	if (pf & SSH_FXF_TRUNC) fl |= O_TRUNC;
	if (pf & SSH_FXF_EXCL) fl |= O_EXCL;
	if (s->readonly && ((fl & O_ACCMODE) != O_RDONLY || (fl & (O_CREAT | O_TRUNC)))) {
		log_info("refusing open for writing in read-only mode: \"%s\"", path);
		return send_status(s, out, id, SSH_FX_PERMISSION_DENIED);
	}
	mode_t mode = (a.flags & SSH_FILEXFER_ATTR_PERMISSIONS) ? (mode_t)(a.perm & 07777) : 0666;
	if (log_enabled(LOG_INFO)) {
		char fs[64];
		snprintf(fs, sizeof(fs), "%s%s%s%s%s%s", (pf & SSH_FXF_READ) ? ",READ" : "",
		         (pf & SSH_FXF_WRITE) ? ",WRITE" : "", (pf & SSH_FXF_APPEND) ? ",APPEND" : "",
		         (pf & SSH_FXF_CREAT) ? ",CREATE" : "", (pf & SSH_FXF_TRUNC) ? ",TRUNCATE" : "",
		         (pf & SSH_FXF_EXCL) ? ",EXCL" : "");
		log_info("open \"%s\" flags %s mode 0%o", path, fs[0] ? fs + 1 : "", (unsigned)mode);
	}
	int fd = open(path, fl | O_CLOEXEC | O_NOCTTY, mode);
	if (fd < 0)
		return send_errno(s, out, id, -1, errno);
	int i = handle_new(s, H_FILE, fd, fl, NULL, path);
	if (i < 0) {
		close(fd);
		return send_status_msg(s, out, id, SSH_FX_FAILURE, "Too many open handles");
	}
	return put_handle(s, out, id, i);
}

static int h_close(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int i, rc, e;
	if (get_handle(s, in, H_FREE, &i))
		return HERR_PARSE;
	if (i < 0)
		return bad_handle(s, out, id);
	if (s->h[i].type == H_FILE)
		log_info("close \"%s\" bytes read %llu written %llu", s->h[i].path ? s->h[i].path : "?",
		         (unsigned long long)s->h[i].nread, (unsigned long long)s->h[i].nwritten);
	else
		log_info("closedir \"%s\"", s->h[i].path ? s->h[i].path : "?");
	handle_close(s, (unsigned)i, &rc, &e);
	return send_errno(s, out, id, rc, e);
}

static int h_read(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int i;
	uint64_t off;
	uint32_t len;
	if (get_handle(s, in, H_FREE, &i) || buf_get_u64(in, &off) || buf_get_u32(in, &len))
		return HERR_PARSE;
	if (i < 0 || s->h[i].type != H_FILE)
		return bad_handle(s, out, id);
	if (off > (uint64_t)INT64_MAX)
		return send_status(s, out, id, SSH_FX_EOF);
	if (len > SFTP_MAX_READ)
		len = SFTP_MAX_READ;
	if (len == 0)
		return send_status(s, out, id, SSH_FX_EOF);
	/* Read straight into the output buffer behind a 13-byte header. */
	uint8_t *p;
	if (buf_reserve(out, 13 + (size_t)len, &p))
		return -1;
	ssize_t n;
	do
		n = pread(s->h[i].fd, p + 13, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	int e = errno;
	if (n <= 0) {
		buf_consume_end(out, 13 + (size_t)len);
		if (n == 0)
			return send_status(s, out, id, SSH_FX_EOF);
		return send_errno(s, out, id, -1, e);
	}
	buf_consume_end(out, len - (size_t)n);
	store_be32(p, 9 + (uint32_t)n);
	p[4] = SSH_FXP_DATA;
	store_be32(p + 5, id);
	store_be32(p + 9, (uint32_t)n);
	s->h[i].nread += (uint64_t)n;
	return 0;
}

static int h_write(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int i;
	uint64_t off;
	const uint8_t *data;
	size_t len;
	if (get_handle(s, in, H_FREE, &i) || buf_get_u64(in, &off) ||
	    buf_get_string_view(in, &data, &len, SFTP_MAX_PACKET))
		return HERR_PARSE;
	if (i < 0 || s->h[i].type != H_FILE)
		return bad_handle(s, out, id);
	if (off > (uint64_t)INT64_MAX - len)
		return send_status(s, out, id, SSH_FX_FAILURE);
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(s->h[i].fd, data + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return send_errno(s, out, id, -1, n < 0 ? errno : ENOSPC);
		done += (size_t)n;
	}
	s->h[i].nwritten += len;
	return send_status(s, out, id, SSH_FX_OK);
}

static int send_attrs(struct sftp_server *s, struct buf *out, uint32_t id, const struct stat *st)
{
	int r = begin(s, SSH_FXP_ATTRS, id);
	if (!r) r = put_stat(&s->r, st);
	return r ? -1 : finish(s, out);
}

static int do_stat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out, int follow)
{
	char path[PATH_MAX];
	struct stat st;
	GET_PATH(in, path);
	if ((follow ? stat(path, &st) : lstat(path, &st)) == -1)
		return send_errno(s, out, id, -1, errno);
	return send_attrs(s, out, id, &st);
}

static int h_lstat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out) { return do_stat(s, id, in, out, 0); }
static int h_stat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out) { return do_stat(s, id, in, out, 1); }

static int handle_fd(struct sftp_server *s, int i)
{
	return s->h[i].type == H_FILE ? s->h[i].fd : dirfd(s->h[i].dir);
}

static int h_fstat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int i;
	struct stat st;
	if (get_handle(s, in, H_FREE, &i))
		return HERR_PARSE;
	if (i < 0)
		return bad_handle(s, out, id);
	if (fstat(handle_fd(s, i), &st) == -1)
		return send_errno(s, out, id, -1, errno);
	return send_attrs(s, out, id, &st);
}

static int h_setstat_common(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out, int nofollow)
{
	char path[PATH_MAX];
	struct attrs a;
	GET_PATH(in, path);
	if (get_attrs(in, &a))
		return HERR_PARSE;
	log_info("%ssetstat name \"%s\" flags 0x%x", nofollow ? "l" : "", path, a.flags);
	if (nofollow && (a.flags & SSH_FILEXFER_ATTR_SIZE))
		return send_status(s, out, id, SSH_FX_OP_UNSUPPORTED);
	int rc = apply_attrs(-1, path, &a, nofollow);
	return send_errno(s, out, id, rc, errno);
}

static int h_setstat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out) { return h_setstat_common(s, id, in, out, 0); }
static int h_lsetstat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out) { return h_setstat_common(s, id, in, out, 1); }

static int h_fsetstat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int i;
	struct attrs a;
	if (get_handle(s, in, H_FREE, &i) || get_attrs(in, &a))
		return HERR_PARSE;
	if (i < 0)
		return bad_handle(s, out, id);
	int rc = apply_attrs(handle_fd(s, i), NULL, &a, 0);
	return send_errno(s, out, id, rc, errno);
}

static int h_opendir(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char path[PATH_MAX];
	GET_PATH(in, path);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return send_errno(s, out, id, -1, errno);
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return send_errno(s, out, id, -1, e);
	}
	log_info("opendir \"%s\"", path);
	int i = handle_new(s, H_DIR, -1, 0, d, path);
	if (i < 0) {
		closedir(d);
		return send_status_msg(s, out, id, SSH_FX_FAILURE, "Too many open handles");
	}
	return put_handle(s, out, id, i);
}

static int h_readdir(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int i;
	if (get_handle(s, in, H_FREE, &i))
		return HERR_PARSE;
	if (i < 0 || s->h[i].type != H_DIR)
		return bad_handle(s, out, id);
	DIR *d = s->h[i].dir;
	/* Entries go to r2; the count is known only at the end. */
	buf_clear(&s->r2);
	uint32_t count = 0;
	char ln[PATH_MAX + 256];
	while (count < READDIR_BATCH && buf_avail(&s->r2) < SFTP_MAX_PACKET / 2) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de)
			break;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		long_name(s, ln, sizeof(ln), de->d_name, &st);
		if (buf_put_cstring(&s->r2, de->d_name) || buf_put_cstring(&s->r2, ln) || put_stat(&s->r2, &st))
			return -1;
		count++;
	}
	if (count == 0)
		return send_status(s, out, id, SSH_FX_EOF);
	int r = begin(s, SSH_FXP_NAME, id);
	if (!r) r = buf_put_u32(&s->r, count);
	if (!r) r = buf_put(&s->r, buf_rptr(&s->r2), buf_avail(&s->r2));
	buf_clear(&s->r2);
	return r ? -1 : finish(s, out);
}

static int h_remove(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char path[PATH_MAX];
	GET_PATH(in, path);
	log_info("remove name \"%s\"", path);
	int rc = unlink(path);
	return send_errno(s, out, id, rc, errno);
}

static int h_mkdir(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char path[PATH_MAX];
	struct attrs a;
	GET_PATH(in, path);
	if (get_attrs(in, &a))
		return HERR_PARSE;
	mode_t mode = (a.flags & SSH_FILEXFER_ATTR_PERMISSIONS) ? (mode_t)(a.perm & 07777) : 0777;
	log_info("mkdir name \"%s\" mode 0%o", path, (unsigned)mode);
	int rc = mkdir(path, mode);
	return send_errno(s, out, id, rc, errno);
}

static int h_rmdir(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char path[PATH_MAX];
	GET_PATH(in, path);
	log_info("rmdir name \"%s\"", path);
	int rc = rmdir(path);
	return send_errno(s, out, id, rc, errno);
}

static int h_realpath(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char path[PATH_MAX], res[PATH_MAX];
	GET_PATH(in, path);
	if (canon_path(path[0] ? path : ".", res, sizeof(res)) == -1)
		return send_errno(s, out, id, -1, errno);
	return send_name1(s, out, id, res);
}

static int h_expand_path(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char path[PATH_MAX], exp[PATH_MAX], res[PATH_MAX];
	GET_PATH(in, path);
	if (tilde_expand(path[0] ? path : ".", exp, sizeof(exp)) == -1 ||
	    canon_path(exp, res, sizeof(res)) == -1)
		return send_errno(s, out, id, -1, errno);
	return send_name1(s, out, id, res);
}

static long sys_renameat2_noreplace(const char *from, const char *to)
{
#ifdef SYS_renameat2
	return syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 1u /* RENAME_NOREPLACE */);
#else
	(void)from; (void)to;
	errno = ENOSYS;
	return -1;
#endif
}

static int h_rename(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char from[PATH_MAX], to[PATH_MAX];
	GET_PATH(in, from);
	GET_PATH(in, to);
	log_info("rename old \"%s\" new \"%s\"", from, to);
	/* v3 semantics: fail when the target exists. */
	int rc = (int)sys_renameat2_noreplace(from, to);
	if (rc == -1 && (errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
		struct stat st;
		if (lstat(to, &st) == 0) {
			errno = EEXIST;
			rc = -1;
		} else {
			rc = rename(from, to);
		}
	}
	return send_errno(s, out, id, rc, errno);
}

static int h_posix_rename(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char from[PATH_MAX], to[PATH_MAX];
	GET_PATH(in, from);
	GET_PATH(in, to);
	log_info("posix-rename old \"%s\" new \"%s\"", from, to);
	int rc = rename(from, to);
	return send_errno(s, out, id, rc, errno);
}

static int h_hardlink(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char from[PATH_MAX], to[PATH_MAX];
	GET_PATH(in, from);
	GET_PATH(in, to);
	log_info("hardlink old \"%s\" new \"%s\"", from, to);
	int rc = link(from, to);
	return send_errno(s, out, id, rc, errno);
}

static int h_readlink(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char path[PATH_MAX], target[PATH_MAX];
	GET_PATH(in, path);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return send_errno(s, out, id, -1, errno);
	target[n] = '\0';
	return send_name1(s, out, id, target);
}

static int h_symlink(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	/* OpenSSH sends (target, linkpath), the reverse of the draft. */
	char target[PATH_MAX], linkpath[PATH_MAX];
	GET_PATH(in, target);
	GET_PATH(in, linkpath);
	log_info("symlink old \"%s\" new \"%s\"", target, linkpath);
	int rc = symlink(target, linkpath);
	return send_errno(s, out, id, rc, errno);
}

static int put_statvfs(struct sftp_server *s, struct buf *out, uint32_t id, const struct statvfs *v)
{
	uint64_t flag = 0;
	if (v->f_flag & ST_RDONLY) flag |= 1;
	if (v->f_flag & ST_NOSUID) flag |= 2;
	uint64_t f[11] = {v->f_bsize, v->f_frsize, v->f_blocks, v->f_bfree, v->f_bavail, v->f_files,
	                  v->f_ffree, v->f_favail, v->f_fsid, flag, v->f_namemax};
	int r = begin(s, SSH_FXP_EXTENDED_REPLY, id);
	for (size_t k = 0; !r && k < ARRAY_LEN(f); k++)
		r = buf_put_u64(&s->r, f[k]);
	return r ? -1 : finish(s, out);
}

static int h_statvfs(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char path[PATH_MAX];
	struct statvfs v;
	GET_PATH(in, path);
	if (statvfs(path, &v) == -1)
		return send_errno(s, out, id, -1, errno);
	return put_statvfs(s, out, id, &v);
}

static int h_fstatvfs(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int i;
	struct statvfs v;
	if (get_handle(s, in, H_FREE, &i))
		return HERR_PARSE;
	if (i < 0)
		return bad_handle(s, out, id);
	if (fstatvfs(handle_fd(s, i), &v) == -1)
		return send_errno(s, out, id, -1, errno);
	return put_statvfs(s, out, id, &v);
}

static int h_fsync(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int i;
	if (get_handle(s, in, H_FREE, &i))
		return HERR_PARSE;
	if (i < 0 || s->h[i].type != H_FILE)
		return bad_handle(s, out, id);
	int rc = fsync(s->h[i].fd);
	return send_errno(s, out, id, rc, errno);
}

static int h_limits(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int r = begin(s, SSH_FXP_EXTENDED_REPLY, id);
	if (!r) r = buf_put_u64(&s->r, SFTP_MAX_PACKET);
	if (!r) r = buf_put_u64(&s->r, SFTP_MAX_READ);
	if (!r) r = buf_put_u64(&s->r, SFTP_MAX_READ);
	if (!r) r = buf_put_u64(&s->r, SFTP_MAX_HANDLES);
	return r ? -1 : finish(s, out);
}

static int h_home_directory(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char user[256];
	GET_PATH(in, user);
	const char *home = home_of(user[0] ? user : NULL);
	if (!home)
		return send_status_msg(s, out, id, SSH_FX_FAILURE, "No such user");
	return send_name1(s, out, id, home);
}

static int h_copy_data(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int ri, wi;
	uint64_t roff, rlen, woff;
	if (get_handle(s, in, H_FREE, &ri) || buf_get_u64(in, &roff) || buf_get_u64(in, &rlen) ||
	    get_handle(s, in, H_FREE, &wi) || buf_get_u64(in, &woff))
		return HERR_PARSE;
	if (ri < 0 || wi < 0 || s->h[ri].type != H_FILE || s->h[wi].type != H_FILE)
		return bad_handle(s, out, id);
	if ((s->h[ri].oflags & O_ACCMODE) == O_WRONLY || (s->h[wi].oflags & O_ACCMODE) == O_RDONLY)
		return send_status(s, out, id, SSH_FX_FAILURE);
	if (roff > (uint64_t)INT64_MAX || woff > (uint64_t)INT64_MAX ||
	    (rlen && rlen > (uint64_t)INT64_MAX - roff))
		return send_status(s, out, id, SSH_FX_FAILURE);
	if (ri == wi && (rlen == 0 || (woff < roff + rlen && roff < woff + rlen)))
		return send_status_msg(s, out, id, SSH_FX_FAILURE, "Overlapping copy");
	uint8_t *tmp = malloc(COPY_CHUNK);
	if (!tmp)
		return send_status(s, out, id, SSH_FX_FAILURE);
	int rc = 0, e = 0;
	uint64_t left = rlen;
	for (;;) {
		size_t want = COPY_CHUNK;
		if (rlen && left < want)
			want = (size_t)left;
		if (want == 0)
			break;
		ssize_t n = pread(s->h[ri].fd, tmp, want, (off_t)roff);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -1;
			e = errno;
			break;
		}
		if (n == 0)
			break;
		size_t done = 0;
		while (done < (size_t)n) {
			ssize_t w = pwrite(s->h[wi].fd, tmp + done, (size_t)n - done, (off_t)(woff + done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				rc = -1;
				e = w < 0 ? errno : ENOSPC;
				break;
			}
			done += (size_t)w;
		}
		if (rc)
			break;
		roff += (uint64_t)n;
		woff += (uint64_t)n;
		if (rlen)
			left -= (uint64_t)n;
	}
	free(tmp);
	return send_errno(s, out, id, rc, e);
}

static int h_users_groups(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	struct buf uids, gids;
	if (buf_get_string_buf(in, &uids, SFTP_MAX_PACKET) || buf_get_string_buf(in, &gids, SFTP_MAX_PACKET))
		return HERR_PARSE;
	if (buf_avail(&uids) % 4 || buf_avail(&gids) % 4)
		return HERR_PARSE;
	buf_clear(&s->r2);
	int r = begin(s, SSH_FXP_EXTENDED_REPLY, id);
	for (int pass = 0; !r && pass < 2; pass++) {
		struct buf *ids = pass ? &gids : &uids;
		uint32_t v;
		buf_clear(&s->r2);
		while (!r && buf_get_u32(ids, &v) == 0) {
			const char *nm = NULL;
			if (pass) {
				struct group *g = getgrgid((gid_t)v);
				nm = g ? g->gr_name : NULL;
			} else {
				struct passwd *pw = getpwuid((uid_t)v);
				nm = pw ? pw->pw_name : NULL;
			}
			r = buf_put_cstring(&s->r2, nm ? nm : "");
		}
		if (!r)
			r = buf_put_buf(&s->r, &s->r2);
	}
	buf_clear(&s->r2);
	if (r) /* too many names for one reply */
		return send_status_msg(s, out, id, SSH_FX_FAILURE, "Reply too long");
	return finish(s, out);
}

static const struct request requests[] = {
	{"open", SSH_FXP_OPEN, NULL, 0, h_open},
	{"close", SSH_FXP_CLOSE, NULL, 0, h_close},
	{"read", SSH_FXP_READ, NULL, 0, h_read},
	{"write", SSH_FXP_WRITE, NULL, 1, h_write},
	{"lstat", SSH_FXP_LSTAT, NULL, 0, h_lstat},
	{"fstat", SSH_FXP_FSTAT, NULL, 0, h_fstat},
	{"setstat", SSH_FXP_SETSTAT, NULL, 1, h_setstat},
	{"fsetstat", SSH_FXP_FSETSTAT, NULL, 1, h_fsetstat},
	{"opendir", SSH_FXP_OPENDIR, NULL, 0, h_opendir},
	{"readdir", SSH_FXP_READDIR, NULL, 0, h_readdir},
	{"remove", SSH_FXP_REMOVE, NULL, 1, h_remove},
	{"mkdir", SSH_FXP_MKDIR, NULL, 1, h_mkdir},
	{"rmdir", SSH_FXP_RMDIR, NULL, 1, h_rmdir},
	{"realpath", SSH_FXP_REALPATH, NULL, 0, h_realpath},
	{"stat", SSH_FXP_STAT, NULL, 0, h_stat},
	{"rename", SSH_FXP_RENAME, NULL, 1, h_rename},
	{"readlink", SSH_FXP_READLINK, NULL, 0, h_readlink},
	{"symlink", SSH_FXP_SYMLINK, NULL, 1, h_symlink},
	{"posix-rename", SSH_FXP_EXTENDED, "posix-rename@openssh.com", 1, h_posix_rename},
	{"statvfs", SSH_FXP_EXTENDED, "statvfs@openssh.com", 0, h_statvfs},
	{"fstatvfs", SSH_FXP_EXTENDED, "fstatvfs@openssh.com", 0, h_fstatvfs},
	{"hardlink", SSH_FXP_EXTENDED, "hardlink@openssh.com", 1, h_hardlink},
	{"fsync", SSH_FXP_EXTENDED, "fsync@openssh.com", 1, h_fsync},
	{"lsetstat", SSH_FXP_EXTENDED, "lsetstat@openssh.com", 1, h_lsetstat},
	{"limits", SSH_FXP_EXTENDED, "limits@openssh.com", 0, h_limits},
	{"expand-path", SSH_FXP_EXTENDED, "expand-path@openssh.com", 0, h_expand_path},
	{"copy-data", SSH_FXP_EXTENDED, "copy-data", 1, h_copy_data},
	{"home-directory", SSH_FXP_EXTENDED, "home-directory", 0, h_home_directory},
	{"users-groups-by-id", SSH_FXP_EXTENDED, "users-groups-by-id@openssh.com", 0, h_users_groups},
};

const char *const sftp_request_names[] = {
	"open", "close", "read", "write", "lstat", "fstat", "setstat", "fsetstat", "opendir",
	"readdir", "remove", "mkdir", "rmdir", "realpath", "stat", "rename", "readlink", "symlink",
	"posix-rename", "statvfs", "fstatvfs", "hardlink", "fsync", "lsetstat", "limits",
	"expand-path", "copy-data", "home-directory", "users-groups-by-id", NULL,
};

/* Extensions advertised in VERSION (name, version string). */
static const char *const advertised[][2] = {
	{"posix-rename@openssh.com", "1"}, {"statvfs@openssh.com", "2"},
	{"fstatvfs@openssh.com", "2"},     {"hardlink@openssh.com", "1"},
	{"fsync@openssh.com", "1"},        {"lsetstat@openssh.com", "1"},
	{"limits@openssh.com", "1"},       {"expand-path@openssh.com", "1"},
	{"copy-data", "1"},                {"home-directory", "1"},
	{"users-groups-by-id@openssh.com", "1"},
};

/* Does a comma list of fnmatch patterns match name? */
static int list_match(const char *list, const char *name)
{
	char pat[128];
	while (*list) {
		size_t n = strcspn(list, ",");
		if (n < sizeof(pat)) {
			memcpy(pat, list, n);
			pat[n] = '\0';
			if (fnmatch(pat, name, 0) == 0)
				return 1;
		}
		list += n;
		if (*list == ',')
			list++;
	}
	return 0;
}

/* ------------------------------------------------------------- lifecycle */

struct sftp_server *sftp_new(const struct sftp_options *opt)
{
	struct sftp_server *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	buf_init(&s->r, SFTP_MAX_PACKET + 1024);
	buf_init(&s->r2, SFTP_MAX_PACKET + 1024);
	s->readonly = opt ? opt->readonly : 0;
	_Static_assert(ARRAY_LEN(requests) <= 64, "permitted mask");
	for (size_t k = 0; k < ARRAY_LEN(requests); k++) {
		int ok = 1;
		if (opt && opt->allow && !list_match(opt->allow, requests[k].name))
			ok = 0;
		if (opt && opt->deny && list_match(opt->deny, requests[k].name))
			ok = 0;
		if (ok)
			s->permitted |= 1ull << k;
	}
	return s;
}

void sftp_free(struct sftp_server *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < SFTP_MAX_HANDLES; i++)
		if (s->h[i].type != H_FREE)
			handle_close(s, i, NULL, NULL);
	buf_free(&s->r);
	buf_free(&s->r2);
	free(s);
}

int sftp_start_dir(const struct sftp_options *opt)
{
	if (!opt || !opt->start_dir || !opt->start_dir[0])
		return 0;
	char path[PATH_MAX], exp[PATH_MAX];
	size_t o = 0;
	const char *home = NULL, *user = NULL;
	struct passwd *pw = getpwuid(getuid());
	if (pw) {
		home = pw->pw_dir;
		user = pw->pw_name;
	}
	for (const char *p = opt->start_dir; *p; p++) {
		const char *add = NULL;
		char one[2] = {*p, 0};
		if (*p == '%' && p[1]) {
			p++;
			if (*p == 'd')
				add = home ? home : "";
			else if (*p == 'u')
				add = user ? user : "";
			else if (*p == '%')
				add = "%";
			else {
				errno = EINVAL;
				return -1;
			}
		} else {
			add = one;
		}
		size_t n = strlen(add);
		if (o + n >= sizeof(path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(path + o, add, n);
		o += n;
	}
	path[o] = '\0';
	if (tilde_expand(path, exp, sizeof(exp)) == -1)
		return -1;
	return chdir(exp);
}

static int do_init(struct sftp_server *s, struct buf *pkt, struct buf *out)
{
	uint32_t ver;
	if (buf_get_u32(pkt, &ver)) {
		log_error("sftp: malformed INIT");
		return -1;
	}
	s->version = ver < 3 ? ver : 3;
	s->inited = 1;
	buf_clear(&s->r);
	int r = buf_put_u8(&s->r, SSH_FXP_VERSION);
	if (!r) r = buf_put_u32(&s->r, 3);
	for (size_t k = 0; !r && k < ARRAY_LEN(advertised); k++) {
		r = buf_put_cstring(&s->r, advertised[k][0]);
		if (!r)
			r = buf_put_cstring(&s->r, advertised[k][1]);
	}
	log_debug("sftp: client version %u", ver);
	return r ? -1 : finish(s, out);
}

int sftp_process_packet(struct sftp_server *s, struct buf *pkt, struct buf *out)
{
	uint8_t type;
	uint32_t id;
	if (buf_get_u8(pkt, &type)) {
		log_error("sftp: empty packet");
		return -1;
	}
	if (type == SSH_FXP_INIT)
		return do_init(s, pkt, out);
	if (!s->inited) {
		log_error("sftp: request %u before init", type);
		return -1;
	}
	if (buf_get_u32(pkt, &id)) {
		log_error("sftp: packet type %u too short for a request id", type);
		return -1;
	}
	const struct request *rq = NULL;
	size_t k;
	if (type == SSH_FXP_EXTENDED) {
		const uint8_t *name;
		size_t nlen;
		if (buf_get_string_view(pkt, &name, &nlen, 256))
			return send_status(s, out, id, SSH_FX_BAD_MESSAGE);
		for (k = 0; k < ARRAY_LEN(requests); k++)
			if (requests[k].ext && strlen(requests[k].ext) == nlen && memcmp(requests[k].ext, name, nlen) == 0)
				break;
	} else {
		for (k = 0; k < ARRAY_LEN(requests); k++)
			if (requests[k].type == type && !requests[k].ext)
				break;
	}
	if (k == ARRAY_LEN(requests)) {
		log_debug("sftp: unsupported request type %u", type);
		return send_status(s, out, id, SSH_FX_OP_UNSUPPORTED);
	}
	rq = &requests[k];
	if (!(s->permitted & (1ull << k))) {
		log_info("sftp: refusing denied request \"%s\"", rq->name);
		return send_status(s, out, id, SSH_FX_PERMISSION_DENIED);
	}
	if (s->readonly && rq->writes) {
		log_info("sftp: refusing \"%s\" in read-only mode", rq->name);
		return send_status(s, out, id, SSH_FX_PERMISSION_DENIED);
	}
	int r = rq->fn(s, id, pkt, out);
	if (r == HERR_PARSE) {
		log_debug("sftp: malformed \"%s\" request", rq->name);
		return send_status(s, out, id, SSH_FX_BAD_MESSAGE);
	}
	return r < 0 ? -1 : 0;
}

int sftp_process_input(struct sftp_server *s, struct buf *in, struct buf *out)
{
	while (buf_avail(in) >= 4) {
		if (buf_avail(out) > SFTP_OUT_HIGH)
			return 1;
		uint32_t len;
		(void)buf_peek_u32(in, 0, &len);
		if (len > SFTP_MAX_PACKET + 1024) {
			log_error("sftp: packet length %u over the limit", len);
			return -1;
		}
		if (buf_avail(in) - 4 < len)
			return 0;
		buf_consume(in, 4);
		struct buf pkt;
		buf_view(&pkt, buf_rptr(in), len);
		int r = sftp_process_packet(s, &pkt, out);
		buf_consume(in, len);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int flush_out(int fd, struct buf *out)
{
	if (buf_avail(out) == 0)
		return 0;
	if (write_full(fd, buf_rptr(out), buf_avail(out)) == -1) {
		log_error("sftp: write: %s", strerror(errno));
		return -1;
	}
	buf_consume(out, buf_avail(out));
	return 0;
}

int sftp_serve(int in_fd, int out_fd, const struct sftp_options *opt)
{
	if (opt && opt->umask >= 0)
		umask((mode_t)(opt->umask & 0777));
	if (sftp_start_dir(opt) == -1)
		log_error("sftp: cannot enter start directory \"%s\": %s", opt->start_dir, strerror(errno));
	struct sftp_server *s = sftp_new(opt);
	if (!s)
		return 1;
	struct buf in, out;
	const size_t chunk = 1024u * 1024u;
	buf_init(&in, 2 * chunk + SFTP_MAX_PACKET * 2);
	buf_init(&out, SFTP_OUT_HIGH + 2 * SFTP_MAX_PACKET);
	int rc = 0;
	for (;;) {
		int r;
		while ((r = sftp_process_input(s, &in, &out)) == 1)
			if (flush_out(out_fd, &out) == -1)
				break;
		if (r != 0 || flush_out(out_fd, &out) == -1) {
			rc = 1;
			break;
		}
		buf_compact(&in);
		uint8_t *p;
		if (buf_reserve(&in, chunk, &p)) {
			log_error("sftp: out of memory");
			rc = 1;
			break;
		}
		ssize_t n;
		do
			n = read(in_fd, p, chunk);
		while (n < 0 && errno == EINTR);
		buf_consume_end(&in, chunk - (n > 0 ? (size_t)n : 0));
		if (n == 0)
			break;
		if (n < 0) {
			log_error("sftp: read: %s", strerror(errno));
			rc = 1;
			break;
		}
	}
	if (rc == 0 && buf_avail(&in))
		log_debug("sftp: %zu bytes of a partial packet at EOF", buf_avail(&in));
	sftp_free(s);
	buf_free(&in);
	buf_free(&out);
	return rc;
}
