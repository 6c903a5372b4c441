/* sessionspec: the session spec the connection process hands to the `exec`
 * child applet over an extra fd (fd 3 in the child), never argv/env
 * (/proc/PID/cmdline and environ are readable by others).
 *
 * Wire format (all integers big-endian, strings as SSH strings through
 * struct buf):
 *     u32 body_length        (<= SESSIONSPEC_MAX_SIZE)
 *     body:
 *       u32 magic 'SBSP', u32 version (1)
 *       string user; u32 uid; u32 gid; u32 ngroups; ngroups * u32 gid
 *       string home; string shell
 *       u32 kind (enum sessionspec_kind)
 *       opt command; opt subsystem
 *       bool pty; opt term; opt tty (slave path "/dev/pts/N")
 *       string client_addr; u32 client_port; string server_addr; u32 server_port
 *       u32 nenv; nenv * string "NAME=value"
 *       opt original_command (SSH_ORIGINAL_COMMAND); opt auth_sock (SSH_AUTH_SOCK)
 *       bool use_pam; opt pam_service
 *       bool utmp; opt utmp_path; opt wtmp_path
 *       bool audit; bool selinux
 *       opt chroot_dir
 *       bool print_motd; opt motd_path
 *       u32 flags
 *   where "opt" is bool present + (string if present).
 * Strings must not contain NUL; every length and count is bounded; trailing
 * bytes are an error. The parent writes the whole framed spec into a pipe
 * sized to hold it before the child starts (sessionspec_pipe), so it never
 * blocks on a slow or dead child.
 */
#ifndef SSHBOX_SESSIONSPEC_H
#define SSHBOX_SESSIONSPEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

#define SESSIONSPEC_MAGIC 0x53425350u /* "SBSP" */
#define SESSIONSPEC_VERSION 1u
#define SESSIONSPEC_MAX_SIZE (512u * 1024u)   /* whole body */
#define SESSIONSPEC_MAX_STR 4096u             /* names, paths, addresses */
#define SESSIONSPEC_MAX_CMD (256u * 1024u)    /* command, SSH_ORIGINAL_COMMAND */
#define SESSIONSPEC_MAX_GROUPS 1024u
#define SESSIONSPEC_MAX_ENV 256u
#define SESSIONSPEC_MAX_ENV_LEN 8192u         /* one "NAME=value" */

enum sessionspec_kind {
	SPEC_KIND_SHELL = 0,         /* login shell (command NULL) */
	SPEC_KIND_EXEC = 1,          /* $SHELL -c command */
	SPEC_KIND_SUBSYSTEM = 2,     /* external subsystem: $SHELL -c command */
	SPEC_KIND_INTERNAL_SFTP = 3, /* the helper's sftp applet, command = its args ("" = none) */
};

/* flags */
#define SPEC_FLAG_HUSHLOGIN_CHECK 1u /* honour ~/.hushlogin for motd (always set by session.c) */
#define SPEC_FLAG_FORCED_COMMAND 2u  /* command comes from ForceCommand / command= */
/* InternalScp: an `scp -t/-f` command always runs the built-in scp applet
 * (INTERNAL), never does (EXTERNAL), or does when no scp binary is found
 * (neither: "auto"). */
#define SPEC_FLAG_SCP_INTERNAL 4u
#define SPEC_FLAG_SCP_EXTERNAL 8u

struct session_spec {
	char *user;
	uint32_t uid, gid;
	uint32_t *groups;
	size_t ngroups;
	char *home;
	char *shell;
	uint32_t kind;
	char *command;   /* NULL for a login shell */
	char *subsystem; /* subsystem name, NULL if none */
	int pty;
	char *term;      /* TERM from pty-req, NULL if none */
	char *tty;       /* "/dev/pts/N" when pty */
	char *client_addr;
	uint32_t client_port;
	char *server_addr;
	uint32_t server_port;
	char **env;      /* "NAME=value" (accepted client env, environment=) */
	size_t nenv;
	char *original_command;
	char *auth_sock;
	int use_pam;
	char *pam_service;
	int utmp;
	char *utmp_path;
	char *wtmp_path;
	int audit;
	int selinux;
	char *chroot_dir;
	int print_motd;
	char *motd_path;
	uint32_t flags;
};

void sessionspec_init(struct session_spec *s);
void sessionspec_free(struct session_spec *s);

/* Copies of strings into the spec (NULL allowed where the field is
 * optional). 0 or -1 (allocation, NUL/length limits). */
int sessionspec_set(char **field, const char *value);
/* Appends "NAME=value"; replaces an earlier entry with the same NAME.
 * -1 when the name is empty/contains '=' or the limits are exceeded. */
int sessionspec_add_env(struct session_spec *s, const char *name, const char *value);
int sessionspec_set_groups(struct session_spec *s, const uint32_t *groups, size_t n);

/* Appends the framed spec (u32 length + body) to out. BUF_OK or a buf_err. */
int sessionspec_encode(const struct session_spec *s, struct buf *out);
/* Parses one framed spec that must span the readable bytes of in exactly.
 * On failure *s is left initialised and empty. BUF_OK or a buf_err. */
int sessionspec_decode(struct buf *in, struct session_spec *s);

/* Reads one framed spec from fd (blocking, bounded, EINTR-safe) and
 * decodes it. 0 or -1. */
int sessionspec_read_fd(int fd, struct session_spec *s);
/* Encodes the spec into a fresh pipe that can hold it whole (F_SETPIPE_SZ
 * when needed), writes it non-blocking and closes the write end. Returns
 * the read end (close-on-exec) for the child's fd 3, or -1. */
int sessionspec_pipe(const struct session_spec *s);

#endif
