/* sftp_ops: the SFTP request handlers, one per request of the dispatch
 * table in sftp.c (see sftp_int.h). */
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

#define GET_PATH(in, p)                                                                                      \
	do {                                                                                                 \
		if (buf_get_cstring_into((in), (p), sizeof(p)))                                              \
			return HERR_PARSE;                                                                   \
	} while (0)

/* --------------------------------------------------------------- handlers */

int sftp_h_open(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char path[PATH_MAX];
	uint32_t pf;
	struct attrs a;
	GET_PATH(in, path);
	if (buf_get_u32(in, &pf) || sftp_get_attrs(in, &a))
		return HERR_PARSE;
	int fl;
	if ((pf & SSH_FXF_READ) && (pf & SSH_FXF_WRITE))
		fl = O_RDWR;
	else if (pf & SSH_FXF_WRITE)
		fl = O_WRONLY;
	else
		fl = O_RDONLY;
	if (pf & SSH_FXF_APPEND)
		fl |= O_APPEND;
	if (pf & SSH_FXF_CREAT)
		fl |= O_CREAT;
	if (pf & SSH_FXF_TRUNC)
		fl |= O_TRUNC;
	if (pf & SSH_FXF_EXCL)
		fl |= O_EXCL;
	if (s->readonly && ((fl & O_ACCMODE) != O_RDONLY || (fl & (O_CREAT | O_TRUNC)))) {
		log_info("refusing open for writing in read-only mode: \"%s\"", path);
		return sftp_send_status(s, out, id, SSH_FX_PERMISSION_DENIED);
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
		return sftp_send_errno(s, out, id, -1, errno);
	int i = sftp_handle_new(s, H_FILE, fd, fl, NULL, path);
	if (i < 0) {
		close(fd);
		return sftp_send_status_msg(s, out, id, SSH_FX_FAILURE, "Too many open handles");
	}
	return sftp_put_handle(s, out, id, i);
}

int sftp_h_close(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int i, rc, e;
	if (sftp_get_handle(s, in, H_FREE, &i))
		return HERR_PARSE;
	if (i < 0)
		return sftp_bad_handle(s, out, id);
	if (s->h[i].type == H_FILE)
		log_info("close \"%s\" bytes read %llu written %llu", s->h[i].path ? s->h[i].path : "?",
			 (unsigned long long)s->h[i].nread, (unsigned long long)s->h[i].nwritten);
	else
		log_info("closedir \"%s\"", s->h[i].path ? s->h[i].path : "?");
	sftp_handle_close(s, (unsigned)i, &rc, &e);
	return sftp_send_errno(s, out, id, rc, e);
}

int sftp_h_read(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int i;
	uint64_t off;
	uint32_t len;
	if (sftp_get_handle(s, in, H_FREE, &i) || buf_get_u64(in, &off) || buf_get_u32(in, &len))
		return HERR_PARSE;
	if (i < 0 || s->h[i].type != H_FILE)
		return sftp_bad_handle(s, out, id);
	if (off > (uint64_t)INT64_MAX)
		return sftp_send_status(s, out, id, SSH_FX_EOF);
	if (len > SFTP_MAX_READ)
		len = SFTP_MAX_READ;
	if (len == 0)
		return sftp_send_status(s, out, id, SSH_FX_EOF);
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
		buf_unreserve(out, 13 + (size_t)len);
		if (n == 0)
			return sftp_send_status(s, out, id, SSH_FX_EOF);
		return sftp_send_errno(s, out, id, -1, e);
	}
	buf_unreserve(out, len - (size_t)n);
	store_be32(p, 9 + (uint32_t)n);
	p[4] = SSH_FXP_DATA;
	store_be32(p + 5, id);
	store_be32(p + 9, (uint32_t)n);
	s->h[i].nread += (uint64_t)n;
	return 0;
}

int sftp_h_write(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int i;
	uint64_t off;
	const uint8_t *data;
	size_t len;
	if (sftp_get_handle(s, in, H_FREE, &i) || buf_get_u64(in, &off) ||
	    buf_get_string_view(in, &data, &len, SFTP_MAX_PACKET))
		return HERR_PARSE;
	if (i < 0 || s->h[i].type != H_FILE)
		return sftp_bad_handle(s, out, id);
	if (off > (uint64_t)INT64_MAX - len)
		return sftp_send_status(s, out, id, SSH_FX_FAILURE);
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(s->h[i].fd, data + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return sftp_send_errno(s, out, id, -1, n < 0 ? errno : ENOSPC);
		done += (size_t)n;
	}
	s->h[i].nwritten += len;
	return sftp_send_status(s, out, id, SSH_FX_OK);
}

static int send_attrs(struct sftp_server *s, struct buf *out, uint32_t id, const struct stat *st)
{
	int r = sftp_begin(s, SSH_FXP_ATTRS, id);
	if (!r)
		r = sftp_put_stat(&s->r, st);
	return r ? -1 : sftp_finish(s, out);
}

static int do_stat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out, int follow)
{
	char path[PATH_MAX];
	struct stat st;
	GET_PATH(in, path);
	if ((follow ? stat(path, &st) : lstat(path, &st)) == -1)
		return sftp_send_errno(s, out, id, -1, errno);
	return send_attrs(s, out, id, &st);
}

int sftp_h_lstat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	return do_stat(s, id, in, out, 0);
}
int sftp_h_stat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	return do_stat(s, id, in, out, 1);
}

static int handle_fd(struct sftp_server *s, int i)
{
	return s->h[i].type == H_FILE ? s->h[i].fd : dirfd(s->h[i].dir);
}

int sftp_h_fstat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int i;
	struct stat st;
	if (sftp_get_handle(s, in, H_FREE, &i))
		return HERR_PARSE;
	if (i < 0)
		return sftp_bad_handle(s, out, id);
	if (fstat(handle_fd(s, i), &st) == -1)
		return sftp_send_errno(s, out, id, -1, errno);
	return send_attrs(s, out, id, &st);
}

static int h_setstat_common(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out, int nofollow)
{
	char path[PATH_MAX];
	struct attrs a;
	GET_PATH(in, path);
	if (sftp_get_attrs(in, &a))
		return HERR_PARSE;
	log_info("%ssetstat name \"%s\" flags 0x%x", nofollow ? "l" : "", path, a.flags);
	if (nofollow && (a.flags & SSH_FILEXFER_ATTR_SIZE))
		return sftp_send_status(s, out, id, SSH_FX_OP_UNSUPPORTED);
	int rc = sftp_apply_attrs(-1, path, &a, nofollow);
	return sftp_send_errno(s, out, id, rc, errno);
}

int sftp_h_setstat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	return h_setstat_common(s, id, in, out, 0);
}
int sftp_h_lsetstat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	return h_setstat_common(s, id, in, out, 1);
}

int sftp_h_fsetstat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int i;
	struct attrs a;
	if (sftp_get_handle(s, in, H_FREE, &i) || sftp_get_attrs(in, &a))
		return HERR_PARSE;
	if (i < 0)
		return sftp_bad_handle(s, out, id);
	int rc = sftp_apply_attrs(handle_fd(s, i), NULL, &a, 0);
	return sftp_send_errno(s, out, id, rc, errno);
}

int sftp_h_opendir(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char path[PATH_MAX];
	GET_PATH(in, path);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return sftp_send_errno(s, out, id, -1, errno);
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return sftp_send_errno(s, out, id, -1, e);
	}
	log_info("opendir \"%s\"", path);
	int i = sftp_handle_new(s, H_DIR, -1, 0, d, path);
	if (i < 0) {
		closedir(d);
		return sftp_send_status_msg(s, out, id, SSH_FX_FAILURE, "Too many open handles");
	}
	return sftp_put_handle(s, out, id, i);
}

int sftp_h_readdir(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int i;
	if (sftp_get_handle(s, in, H_FREE, &i))
		return HERR_PARSE;
	if (i < 0 || s->h[i].type != H_DIR)
		return sftp_bad_handle(s, out, id);
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
		sftp_long_name(s, ln, sizeof(ln), de->d_name, &st);
		if (buf_put_cstring(&s->r2, de->d_name) || buf_put_cstring(&s->r2, ln) ||
		    sftp_put_stat(&s->r2, &st))
			return -1;
		count++;
	}
	if (count == 0)
		return sftp_send_status(s, out, id, SSH_FX_EOF);
	int r = sftp_begin(s, SSH_FXP_NAME, id);
	if (!r)
		r = buf_put_u32(&s->r, count);
	if (!r)
		r = buf_put(&s->r, buf_rptr(&s->r2), buf_avail(&s->r2));
	buf_clear(&s->r2);
	return r ? -1 : sftp_finish(s, out);
}

int sftp_h_remove(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char path[PATH_MAX];
	GET_PATH(in, path);
	log_info("remove name \"%s\"", path);
	int rc = unlink(path);
	return sftp_send_errno(s, out, id, rc, errno);
}

int sftp_h_mkdir(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char path[PATH_MAX];
	struct attrs a;
	GET_PATH(in, path);
	if (sftp_get_attrs(in, &a))
		return HERR_PARSE;
	mode_t mode = (a.flags & SSH_FILEXFER_ATTR_PERMISSIONS) ? (mode_t)(a.perm & 07777) : 0777;
	log_info("mkdir name \"%s\" mode 0%o", path, (unsigned)mode);
	int rc = mkdir(path, mode);
	return sftp_send_errno(s, out, id, rc, errno);
}

int sftp_h_rmdir(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char path[PATH_MAX];
	GET_PATH(in, path);
	log_info("rmdir name \"%s\"", path);
	int rc = rmdir(path);
	return sftp_send_errno(s, out, id, rc, errno);
}

int sftp_h_realpath(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char path[PATH_MAX], res[PATH_MAX];
	GET_PATH(in, path);
	if (sftp_canon_path(path[0] ? path : ".", res, sizeof(res)) == -1)
		return sftp_send_errno(s, out, id, -1, errno);
	return sftp_send_name1(s, out, id, res);
}

int sftp_h_expand_path(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char path[PATH_MAX], exp[PATH_MAX], res[PATH_MAX];
	GET_PATH(in, path);
	if (sftp_tilde_expand(path[0] ? path : ".", exp, sizeof(exp)) == -1 ||
	    sftp_canon_path(exp, res, sizeof(res)) == -1)
		return sftp_send_errno(s, out, id, -1, errno);
	return sftp_send_name1(s, out, id, res);
}

static long sys_renameat2_noreplace(const char *from, const char *to)
{
#ifdef SYS_renameat2
	return syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 1u /* RENAME_NOREPLACE */);
#else
	(void)from;
	(void)to;
	errno = ENOSYS;
	return -1;
#endif
}

int sftp_h_rename(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
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
	return sftp_send_errno(s, out, id, rc, errno);
}

int sftp_h_posix_rename(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char from[PATH_MAX], to[PATH_MAX];
	GET_PATH(in, from);
	GET_PATH(in, to);
	log_info("posix-rename old \"%s\" new \"%s\"", from, to);
	int rc = rename(from, to);
	return sftp_send_errno(s, out, id, rc, errno);
}

int sftp_h_hardlink(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char from[PATH_MAX], to[PATH_MAX];
	GET_PATH(in, from);
	GET_PATH(in, to);
	log_info("hardlink old \"%s\" new \"%s\"", from, to);
	int rc = link(from, to);
	return sftp_send_errno(s, out, id, rc, errno);
}

int sftp_h_readlink(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char path[PATH_MAX], target[PATH_MAX];
	GET_PATH(in, path);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return sftp_send_errno(s, out, id, -1, errno);
	target[n] = '\0';
	return sftp_send_name1(s, out, id, target);
}

int sftp_h_symlink(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	/* OpenSSH sends (target, linkpath), the reverse of the draft. */
	char target[PATH_MAX], linkpath[PATH_MAX];
	GET_PATH(in, target);
	GET_PATH(in, linkpath);
	log_info("symlink old \"%s\" new \"%s\"", target, linkpath);
	int rc = symlink(target, linkpath);
	return sftp_send_errno(s, out, id, rc, errno);
}

static int put_statvfs(struct sftp_server *s, struct buf *out, uint32_t id, const struct statvfs *v)
{
	uint64_t flag = 0;
	if (v->f_flag & ST_RDONLY)
		flag |= 1;
	if (v->f_flag & ST_NOSUID)
		flag |= 2;
	uint64_t f[11] = {v->f_bsize, v->f_frsize, v->f_blocks, v->f_bfree, v->f_bavail, v->f_files,
			  v->f_ffree, v->f_favail, v->f_fsid,	flag,	    v->f_namemax};
	int r = sftp_begin(s, SSH_FXP_EXTENDED_REPLY, id);
	for (size_t k = 0; !r && k < ARRAY_LEN(f); k++)
		r = buf_put_u64(&s->r, f[k]);
	return r ? -1 : sftp_finish(s, out);
}

int sftp_h_statvfs(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char path[PATH_MAX];
	struct statvfs v;
	GET_PATH(in, path);
	if (statvfs(path, &v) == -1)
		return sftp_send_errno(s, out, id, -1, errno);
	return put_statvfs(s, out, id, &v);
}

int sftp_h_fstatvfs(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int i;
	struct statvfs v;
	if (sftp_get_handle(s, in, H_FREE, &i))
		return HERR_PARSE;
	if (i < 0)
		return sftp_bad_handle(s, out, id);
	if (fstatvfs(handle_fd(s, i), &v) == -1)
		return sftp_send_errno(s, out, id, -1, errno);
	return put_statvfs(s, out, id, &v);
}

int sftp_h_fsync(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int i;
	if (sftp_get_handle(s, in, H_FREE, &i))
		return HERR_PARSE;
	if (i < 0 || s->h[i].type != H_FILE)
		return sftp_bad_handle(s, out, id);
	int rc = fsync(s->h[i].fd);
	return sftp_send_errno(s, out, id, rc, errno);
}

int sftp_h_limits(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int r = sftp_begin(s, SSH_FXP_EXTENDED_REPLY, id);
	if (!r)
		r = buf_put_u64(&s->r, SFTP_MAX_PACKET);
	if (!r)
		r = buf_put_u64(&s->r, SFTP_MAX_READ);
	if (!r)
		r = buf_put_u64(&s->r, SFTP_MAX_READ);
	if (!r)
		r = buf_put_u64(&s->r, SFTP_MAX_HANDLES);
	return r ? -1 : sftp_finish(s, out);
}

int sftp_h_home_directory(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	char user[256];
	GET_PATH(in, user);
	const char *home = sftp_home_of(user[0] ? user : NULL);
	if (!home)
		return sftp_send_status_msg(s, out, id, SSH_FX_FAILURE, "No such user");
	return sftp_send_name1(s, out, id, home);
}

int sftp_h_copy_data(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	int ri, wi;
	uint64_t roff, rlen, woff;
	if (sftp_get_handle(s, in, H_FREE, &ri) || buf_get_u64(in, &roff) || buf_get_u64(in, &rlen) ||
	    sftp_get_handle(s, in, H_FREE, &wi) || buf_get_u64(in, &woff))
		return HERR_PARSE;
	if (ri < 0 || wi < 0 || s->h[ri].type != H_FILE || s->h[wi].type != H_FILE)
		return sftp_bad_handle(s, out, id);
	if ((s->h[ri].oflags & O_ACCMODE) == O_WRONLY || (s->h[wi].oflags & O_ACCMODE) == O_RDONLY)
		return sftp_send_status(s, out, id, SSH_FX_FAILURE);
	if (roff > (uint64_t)INT64_MAX || woff > (uint64_t)INT64_MAX ||
	    (rlen && rlen > (uint64_t)INT64_MAX - roff))
		return sftp_send_status(s, out, id, SSH_FX_FAILURE);
	if (ri == wi && (rlen == 0 || (woff < roff + rlen && roff < woff + rlen)))
		return sftp_send_status_msg(s, out, id, SSH_FX_FAILURE, "Overlapping copy");
	uint8_t *tmp = malloc(COPY_CHUNK);
	if (!tmp)
		return sftp_send_status(s, out, id, SSH_FX_FAILURE);
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
	return sftp_send_errno(s, out, id, rc, e);
}

int sftp_h_users_groups(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out)
{
	struct buf uids, gids;
	if (buf_get_string_buf(in, &uids, SFTP_MAX_PACKET) || buf_get_string_buf(in, &gids, SFTP_MAX_PACKET))
		return HERR_PARSE;
	if (buf_avail(&uids) % 4 || buf_avail(&gids) % 4)
		return HERR_PARSE;
	buf_clear(&s->r2);
	int r = sftp_begin(s, SSH_FXP_EXTENDED_REPLY, id);
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
		return sftp_send_status_msg(s, out, id, SSH_FX_FAILURE, "Reply too long");
	return sftp_finish(s, out);
}
