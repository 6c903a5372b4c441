/* sftp_int: what the files of the SFTP engine share (sftp.c: lifecycle,
 * dispatch and replies; sftp_fs.c: attributes, names, paths, handles;
 * sftp_ops.c: the request handlers). Not an API: only shared/child/sftp*.c
 * include it. Handlers return 0 or -1 (reply could not be built), or
 * HERR_PARSE for a malformed request (answered SSH_FX_BAD_MESSAGE). */
#ifndef SSHBOX_SFTP_INT_H
#define SSHBOX_SFTP_INT_H

#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>

#include "buf.h"
#include "sftp.h"

#define HERR_PARSE (-2) /* handler: malformed request -> SSH_FX_BAD_MESSAGE */
#define READDIR_BATCH 100
#define NAME_CACHE 32
#define COPY_CHUNK (64u * 1024u)

enum { H_FREE = 0, H_FILE = 1, H_DIR = 2 };

struct handle {
	int type;
	uint32_t gen;
	int fd;	    /* H_FILE */
	int oflags; /* open(2) flags, H_FILE */
	DIR *dir;   /* H_DIR */
	char *path; /* for the log */
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

struct attrs {
	uint32_t flags;
	uint64_t size;
	uint32_t uid, gid, perm, atime, mtime;
};

/* replies (sftp.c) */
int sftp_begin(struct sftp_server *s, uint8_t type, uint32_t id);
int sftp_finish(struct sftp_server *s, struct buf *out);
int sftp_send_status_msg(struct sftp_server *s, struct buf *out, uint32_t id, uint32_t code, const char *msg);
int sftp_send_status(struct sftp_server *s, struct buf *out, uint32_t id, uint32_t code);
int sftp_send_errno(struct sftp_server *s, struct buf *out, uint32_t id, int rc, int e);

/* attributes, names, paths and handles (sftp_fs.c) */
int sftp_get_attrs(struct buf *b, struct attrs *a);
int sftp_put_stat(struct buf *b, const struct stat *st);
int sftp_send_name1(struct sftp_server *s, struct buf *out, uint32_t id, const char *name);
int sftp_apply_attrs(int fd, const char *path, const struct attrs *a, int nofollow);
void sftp_long_name(struct sftp_server *s, char *out, size_t cap, const char *name, const struct stat *st);
int sftp_canon_path(const char *in, char *res, size_t cap);
const char *sftp_home_of(const char *user);
int sftp_tilde_expand(const char *in, char *out, size_t cap);
int sftp_handle_new(struct sftp_server *s, int type, int fd, int oflags, DIR *d, const char *path);
void sftp_handle_close(struct sftp_server *s, unsigned i, int *rc, int *err);
int sftp_put_handle(struct sftp_server *s, struct buf *out, uint32_t id, int i);
int sftp_get_handle(struct sftp_server *s, struct buf *in, int type, int *idx);
int sftp_bad_handle(struct sftp_server *s, struct buf *out, uint32_t id);

/* request handlers (sftp_ops.c) */
int sftp_h_close(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_copy_data(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_expand_path(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_fsetstat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_fstat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_fstatvfs(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_fsync(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_hardlink(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_home_directory(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_limits(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_lsetstat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_lstat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_mkdir(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_open(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_opendir(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_posix_rename(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_read(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_readdir(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_readlink(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_realpath(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_remove(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_rename(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_rmdir(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_setstat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_stat(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_statvfs(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_symlink(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_users_groups(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);
int sftp_h_write(struct sftp_server *s, uint32_t id, struct buf *in, struct buf *out);

#endif
