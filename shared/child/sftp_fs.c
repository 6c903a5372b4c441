/* sftp_fs: attributes, user/group names, path canonicalization and the
 * handle table of the SFTP engine (see sftp_int.h). */
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

#include "sftp_int.h"

/* ------------------------------------------------------------- attributes */

int sftp_get_attrs(struct buf *b, struct attrs *a)
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
	if ((a->flags & SSH_FILEXFER_ATTR_ACMODTIME) &&
	    (buf_get_u32(b, &a->atime) || buf_get_u32(b, &a->mtime)))
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

int sftp_put_stat(struct buf *b, const struct stat *st)
{
	int r = buf_put_u32(b, SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_UIDGID |
				   SSH_FILEXFER_ATTR_PERMISSIONS | SSH_FILEXFER_ATTR_ACMODTIME);
	if (!r)
		r = buf_put_u64(b, (uint64_t)st->st_size);
	if (!r)
		r = buf_put_u32(b, (uint32_t)st->st_uid);
	if (!r)
		r = buf_put_u32(b, (uint32_t)st->st_gid);
	if (!r)
		r = buf_put_u32(b, (uint32_t)st->st_mode);
	if (!r)
		r = buf_put_u32(b, (uint32_t)st->st_atime);
	if (!r)
		r = buf_put_u32(b, (uint32_t)st->st_mtime);
	return r;
}

/* One-entry NAME reply with empty attrs (realpath, readlink, expand-path). */
int sftp_send_name1(struct sftp_server *s, struct buf *out, uint32_t id, const char *name)
{
	int r = sftp_begin(s, SSH_FXP_NAME, id);
	if (!r)
		r = buf_put_u32(&s->r, 1);
	if (!r)
		r = buf_put_cstring(&s->r, name);
	if (!r)
		r = buf_put_cstring(&s->r, name);
	if (!r)
		r = buf_put_u32(&s->r, 0);
	return r ? -1 : sftp_finish(s, out);
}

/* Applies attrs to a path (fd < 0) or an open fd. nofollow: lsetstat. */
int sftp_apply_attrs(int fd, const char *path, const struct attrs *a, int nofollow)
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
	case S_IFREG:
		t = '-';
		break;
	case S_IFDIR:
		t = 'd';
		break;
	case S_IFLNK:
		t = 'l';
		break;
	case S_IFCHR:
		t = 'c';
		break;
	case S_IFBLK:
		t = 'b';
		break;
	case S_IFSOCK:
		t = 's';
		break;
	case S_IFIFO:
		t = 'p';
		break;
	}
	out[0] = t;
	const char *rwx = "rwxrwxrwx";
	for (int i = 0; i < 9; i++)
		out[1 + i] = (m & (0400u >> i)) ? rwx[i] : '-';
	if (m & S_ISUID)
		out[3] = (m & S_IXUSR) ? 's' : 'S';
	if (m & S_ISGID)
		out[6] = (m & S_IXGRP) ? 's' : 'S';
	if (m & S_ISVTX)
		out[9] = (m & S_IXOTH) ? 't' : 'T';
	out[10] = '\0';
}

/* ls -l style line as OpenSSH's sftp-server sends in READDIR longnames. */
void sftp_long_name(struct sftp_server *s, char *out, size_t cap, const char *name, const struct stat *st)
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
	snprintf(out, cap, "%s  %3u %-*s %-*s %8llu %s %s", mode, (unsigned)st->st_nlink, ulen > 8 ? ulen : 8,
		 user, glen > 8 ? glen : 8, group, (unsigned long long)st->st_size, tbuf, name);
}

/* --------------------------------------------------------------- realpath */

/* Canonicalizes path like realpath(3), but a missing last component is
 * allowed (as OpenSSH's sftp-server does). Works without /proc. */
int sftp_canon_path(const char *in, char *res, size_t cap)
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

const char *sftp_home_of(const char *user)
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
int sftp_tilde_expand(const char *in, char *out, size_t cap)
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
	const char *home = sftp_home_of(ulen ? user : NULL);
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

int sftp_handle_new(struct sftp_server *s, int type, int fd, int oflags, DIR *d, const char *path)
{
	for (unsigned k = 0; k < SFTP_MAX_HANDLES; k++) {
		unsigned i = (s->hint + k) % SFTP_MAX_HANDLES;
		if (s->h[i].type == H_FREE) {
			if (++s->gen == 0)
				s->gen = 1;
			s->h[i] = (struct handle){.type = type,
						  .gen = s->gen,
						  .fd = fd,
						  .oflags = oflags,
						  .dir = d,
						  .path = strdup(path)};
			s->hint = (i + 1) % SFTP_MAX_HANDLES;
			return (int)i;
		}
	}
	return -1;
}

void sftp_handle_close(struct sftp_server *s, unsigned i, int *rc, int *err)
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

int sftp_put_handle(struct sftp_server *s, struct buf *out, uint32_t id, int i)
{
	uint8_t hb[8];
	store_be32(hb, (uint32_t)i);
	store_be32(hb + 4, s->h[i].gen);
	int r = sftp_begin(s, SSH_FXP_HANDLE, id);
	if (!r)
		r = buf_put_string(&s->r, hb, sizeof(hb));
	return r ? -1 : sftp_finish(s, out);
}

/* Parses a handle string; *idx = -1 when it names no open handle of the
 * type (H_FREE = any). Returns -1 only for a malformed packet. */
int sftp_get_handle(struct sftp_server *s, struct buf *in, int type, int *idx)
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

int sftp_bad_handle(struct sftp_server *s, struct buf *out, uint32_t id)
{
	return sftp_send_status_msg(s, out, id, SSH_FX_FAILURE, "Invalid handle");
}
