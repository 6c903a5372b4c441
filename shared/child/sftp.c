/* sftp: SFTP v3 server engine: lifecycle, dispatch and replies. See sftp.h
 * (the handlers are in sftp_ops.c, paths and handles in sftp_fs.c). */
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

struct request;
typedef int (*handler_fn)(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);

struct request {
	const char *name; /* for -p/-P/-Q */
	uint8_t type;	  /* SSH_FXP_* or SSH_FXP_EXTENDED */
	const char *ext;  /* extension name when type == EXTENDED */
	int writes;	  /* refused in read-only mode */
	handler_fn fn;
};

/* ---------------------------------------------------------------- replies */

int sftp_begin(struct sftp_server *s, uint8_t type, uint32_t id)
{
	buf_clear(&s->r);
	int r = buf_put_u8(&s->r, type);
	return r ? r : buf_put_u32(&s->r, id);
}

/* Moves the response under construction into out as one framed packet. */
int sftp_finish(struct sftp_server *s, struct buf *out)
{
	int r = buf_put_buf(out, &s->r);
	buf_clear(&s->r);
	return r ? -1 : 0;
}

static const char *status_msg(uint32_t code)
{
	switch (code) {
	case SSH_FX_OK:
		return "Success";
	case SSH_FX_EOF:
		return "End of file";
	case SSH_FX_NO_SUCH_FILE:
		return "No such file";
	case SSH_FX_PERMISSION_DENIED:
		return "Permission denied";
	case SSH_FX_BAD_MESSAGE:
		return "Bad message";
	case SSH_FX_OP_UNSUPPORTED:
		return "Operation unsupported";
	default:
		return "Failure";
	}
}

int sftp_send_status_msg(struct sftp_server *s, struct buf *out, uint32_t id, uint32_t code, const char *msg)
{
	int r = sftp_begin(s, SSH_FXP_STATUS, id);
	if (!r)
		r = buf_put_u32(&s->r, code);
	if (!r)
		r = buf_put_cstring(&s->r, msg ? msg : status_msg(code));
	if (!r)
		r = buf_put_cstring(&s->r, "");
	if (r)
		return -1;
	return sftp_finish(s, out);
}

int sftp_send_status(struct sftp_server *s, struct buf *out, uint32_t id, uint32_t code)
{
	return sftp_send_status_msg(s, out, id, code, NULL);
}

static uint32_t errno_status(int e)
{
	switch (e) {
	case 0:
		return SSH_FX_OK;
	case ENOENT:
	case ENOTDIR:
	case EBADF:
	case ELOOP:
		return SSH_FX_NO_SUCH_FILE;
	case EPERM:
	case EACCES:
	case EFAULT:
		return SSH_FX_PERMISSION_DENIED;
	case ENAMETOOLONG:
	case EINVAL:
		return SSH_FX_BAD_MESSAGE;
	case ENOSYS:
		return SSH_FX_OP_UNSUPPORTED;
	default:
		return SSH_FX_FAILURE;
	}
}

/* Status for the outcome of a system call: rc 0 -> OK, else from errno. */
int sftp_send_errno(struct sftp_server *s, struct buf *out, uint32_t id, int rc, int e)
{
	if (rc == 0)
		return sftp_send_status(s, out, id, SSH_FX_OK);
	uint32_t code = errno_status(e);
	return sftp_send_status_msg(s, out, id, code, code == SSH_FX_FAILURE ? strerror(e) : NULL);
}

static const struct request requests[] = {
    {"open", SSH_FXP_OPEN, NULL, 0, sftp_h_open},
    {"close", SSH_FXP_CLOSE, NULL, 0, sftp_h_close},
    {"read", SSH_FXP_READ, NULL, 0, sftp_h_read},
    {"write", SSH_FXP_WRITE, NULL, 1, sftp_h_write},
    {"lstat", SSH_FXP_LSTAT, NULL, 0, sftp_h_lstat},
    {"fstat", SSH_FXP_FSTAT, NULL, 0, sftp_h_fstat},
    {"setstat", SSH_FXP_SETSTAT, NULL, 1, sftp_h_setstat},
    {"fsetstat", SSH_FXP_FSETSTAT, NULL, 1, sftp_h_fsetstat},
    {"opendir", SSH_FXP_OPENDIR, NULL, 0, sftp_h_opendir},
    {"readdir", SSH_FXP_READDIR, NULL, 0, sftp_h_readdir},
    {"remove", SSH_FXP_REMOVE, NULL, 1, sftp_h_remove},
    {"mkdir", SSH_FXP_MKDIR, NULL, 1, sftp_h_mkdir},
    {"rmdir", SSH_FXP_RMDIR, NULL, 1, sftp_h_rmdir},
    {"realpath", SSH_FXP_REALPATH, NULL, 0, sftp_h_realpath},
    {"stat", SSH_FXP_STAT, NULL, 0, sftp_h_stat},
    {"rename", SSH_FXP_RENAME, NULL, 1, sftp_h_rename},
    {"readlink", SSH_FXP_READLINK, NULL, 0, sftp_h_readlink},
    {"symlink", SSH_FXP_SYMLINK, NULL, 1, sftp_h_symlink},
    {"posix-rename", SSH_FXP_EXTENDED, "posix-rename@openssh.com", 1, sftp_h_posix_rename},
    {"statvfs", SSH_FXP_EXTENDED, "statvfs@openssh.com", 0, sftp_h_statvfs},
    {"fstatvfs", SSH_FXP_EXTENDED, "fstatvfs@openssh.com", 0, sftp_h_fstatvfs},
    {"hardlink", SSH_FXP_EXTENDED, "hardlink@openssh.com", 1, sftp_h_hardlink},
    {"fsync", SSH_FXP_EXTENDED, "fsync@openssh.com", 1, sftp_h_fsync},
    {"lsetstat", SSH_FXP_EXTENDED, "lsetstat@openssh.com", 1, sftp_h_lsetstat},
    {"limits", SSH_FXP_EXTENDED, "limits@openssh.com", 0, sftp_h_limits},
    {"expand-path", SSH_FXP_EXTENDED, "expand-path@openssh.com", 0, sftp_h_expand_path},
    {"copy-data", SSH_FXP_EXTENDED, "copy-data", 1, sftp_h_copy_data},
    {"home-directory", SSH_FXP_EXTENDED, "home-directory", 0, sftp_h_home_directory},
    {"users-groups-by-id", SSH_FXP_EXTENDED, "users-groups-by-id@openssh.com", 0, sftp_h_users_groups},
};

const char *const sftp_request_names[] = {
    "open",
    "close",
    "read",
    "write",
    "lstat",
    "fstat",
    "setstat",
    "fsetstat",
    "opendir",
    "readdir",
    "remove",
    "mkdir",
    "rmdir",
    "realpath",
    "stat",
    "rename",
    "readlink",
    "symlink",
    "posix-rename",
    "statvfs",
    "fstatvfs",
    "hardlink",
    "fsync",
    "lsetstat",
    "limits",
    "expand-path",
    "copy-data",
    "home-directory",
    "users-groups-by-id",
    NULL,
};

/* Extensions advertised in VERSION (name, version string). */
static const char *const advertised[][2] = {
    {"posix-rename@openssh.com", "1"},
    {"statvfs@openssh.com", "2"},
    {"fstatvfs@openssh.com", "2"},
    {"hardlink@openssh.com", "1"},
    {"fsync@openssh.com", "1"},
    {"lsetstat@openssh.com", "1"},
    {"limits@openssh.com", "1"},
    {"expand-path@openssh.com", "1"},
    {"copy-data", "1"},
    {"home-directory", "1"},
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
			sftp_handle_close(s, i, NULL, NULL);
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
	if (sftp_tilde_expand(path, exp, sizeof(exp)) == -1)
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
	if (!r)
		r = buf_put_u32(&s->r, 3);
	for (size_t k = 0; !r && k < ARRAY_LEN(advertised); k++) {
		r = buf_put_cstring(&s->r, advertised[k][0]);
		if (!r)
			r = buf_put_cstring(&s->r, advertised[k][1]);
	}
	log_debug("sftp: client version %u", ver);
	return r ? -1 : sftp_finish(s, out);
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
			return sftp_send_status(s, out, id, SSH_FX_BAD_MESSAGE);
		for (k = 0; k < ARRAY_LEN(requests); k++)
			if (requests[k].ext && strlen(requests[k].ext) == nlen &&
			    memcmp(requests[k].ext, name, nlen) == 0)
				break;
	} else {
		for (k = 0; k < ARRAY_LEN(requests); k++)
			if (requests[k].type == type && !requests[k].ext)
				break;
	}
	if (k == ARRAY_LEN(requests)) {
		log_debug("sftp: unsupported request type %u", type);
		return sftp_send_status(s, out, id, SSH_FX_OP_UNSUPPORTED);
	}
	rq = &requests[k];
	if (!(s->permitted & (1ull << k))) {
		log_info("sftp: refusing denied request \"%s\"", rq->name);
		return sftp_send_status(s, out, id, SSH_FX_PERMISSION_DENIED);
	}
	if (s->readonly && rq->writes) {
		log_info("sftp: refusing \"%s\" in read-only mode", rq->name);
		return sftp_send_status(s, out, id, SSH_FX_PERMISSION_DENIED);
	}
	int r = rq->fn(s, id, pkt, out);
	if (r == HERR_PARSE) {
		log_debug("sftp: malformed \"%s\" request", rq->name);
		return sftp_send_status(s, out, id, SSH_FX_BAD_MESSAGE);
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
		buf_unreserve(&in, chunk - (n > 0 ? (size_t)n : 0));
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
