/* sftp: SFTP version 3 server engine (draft-ietf-secsh-filexfer-02 as
 * OpenSSH implements it, with OpenSSH's extensions).
 *
 * The engine is pure request -> response processing over struct buf: feed
 * it the bytes that arrive on the channel, it appends the responses to an
 * output buf. sftp_serve() wraps that in a buffered read/process/write loop
 * over two fds; the sftp applet (also `sftp-server`, and internal-sftp in
 * the exec applet after chroot + privilege drop) calls it.
 *
 * Bounds: packets up to SFTP_MAX_PACKET + 1 KiB slack (larger: the connection
 * ends), reads up to SFTP_MAX_READ, SFTP_MAX_HANDLES open handles, paths up
 * to PATH_MAX. Handles are opaque 8-byte strings (slot + generation); a
 * stale or forged handle gets SSH_FX_FAILURE. Malformed packets get
 * SSH_FX_BAD_MESSAGE.
 */
#ifndef SSHBOX_SFTP_H
#define SSHBOX_SFTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

#define SFTP_MAX_PACKET (256u * 1024u)          /* as OpenSSH's SFTP_MAX_MSG_LENGTH */
#define SFTP_MAX_READ (SFTP_MAX_PACKET - 1024u)  /* limits@openssh.com read/write length */
#define SFTP_MAX_HANDLES 512
#ifndef SFTP_OUT_HIGH
#define SFTP_OUT_HIGH (64u * 1024u)           /* output batch before a flush (a pipe buffer) */
#endif

/* Packet types. */
enum {
	SSH_FXP_INIT = 1, SSH_FXP_VERSION = 2, SSH_FXP_OPEN = 3, SSH_FXP_CLOSE = 4,
	SSH_FXP_READ = 5, SSH_FXP_WRITE = 6, SSH_FXP_LSTAT = 7, SSH_FXP_FSTAT = 8,
	SSH_FXP_SETSTAT = 9, SSH_FXP_FSETSTAT = 10, SSH_FXP_OPENDIR = 11,
	SSH_FXP_READDIR = 12, SSH_FXP_REMOVE = 13, SSH_FXP_MKDIR = 14,
	SSH_FXP_RMDIR = 15, SSH_FXP_REALPATH = 16, SSH_FXP_STAT = 17,
	SSH_FXP_RENAME = 18, SSH_FXP_READLINK = 19, SSH_FXP_SYMLINK = 20,
	SSH_FXP_STATUS = 101, SSH_FXP_HANDLE = 102, SSH_FXP_DATA = 103,
	SSH_FXP_NAME = 104, SSH_FXP_ATTRS = 105,
	SSH_FXP_EXTENDED = 200, SSH_FXP_EXTENDED_REPLY = 201,
};

/* Status codes. */
enum {
	SSH_FX_OK = 0, SSH_FX_EOF = 1, SSH_FX_NO_SUCH_FILE = 2,
	SSH_FX_PERMISSION_DENIED = 3, SSH_FX_FAILURE = 4, SSH_FX_BAD_MESSAGE = 5,
	SSH_FX_NO_CONNECTION = 6, SSH_FX_CONNECTION_LOST = 7, SSH_FX_OP_UNSUPPORTED = 8,
};

/* Attribute flags and open flags. */
#define SSH_FILEXFER_ATTR_SIZE 0x1u
#define SSH_FILEXFER_ATTR_UIDGID 0x2u
#define SSH_FILEXFER_ATTR_PERMISSIONS 0x4u
#define SSH_FILEXFER_ATTR_ACMODTIME 0x8u
#define SSH_FILEXFER_ATTR_EXTENDED 0x80000000u
#define SSH_FXF_READ 0x1u
#define SSH_FXF_WRITE 0x2u
#define SSH_FXF_APPEND 0x4u
#define SSH_FXF_CREAT 0x8u
#define SSH_FXF_TRUNC 0x10u
#define SSH_FXF_EXCL 0x20u

struct sftp_options {
	const char *start_dir; /* -d: chdir here first (%d = home, %u = user, %% = %); NULL = stay */
	int readonly;          /* -R: refuse every request that writes */
	int umask;             /* -u: umask to set, or -1 to keep the inherited one */
	const char *allow;     /* -p: comma list of request names allowed (NULL = all) */
	const char *deny;      /* -P: comma list of request names denied (NULL = none) */
};

struct sftp_server;

/* A server context (handles, options). The start directory is entered by
 * sftp_serve / sftp_start_dir, not here. NULL on allocation failure. */
struct sftp_server *sftp_new(const struct sftp_options *opt);
/* Closes every open handle and frees the context. */
void sftp_free(struct sftp_server *s);

/* chdir to opt->start_dir with %d/%u expansion; 0 or -1 (errno set). */
int sftp_start_dir(const struct sftp_options *opt);

/* Processes complete packets (uint32 length + payload) at the front of
 * in, in order, appending each response packet to out, and consumes them;
 * an incomplete tail stays in in. Stops early and returns 1 when out holds
 * more than SFTP_OUT_HIGH bytes (flush out, then call again). Returns 0
 * when no complete packet is left, or -1 when the connection must end (a
 * packet length over SFTP_MAX_PACKET + 1024, a request before INIT, a packet too
 * short to carry a request id, or a response that cannot be built). */
int sftp_process_input(struct sftp_server *s, struct buf *in, struct buf *out);

/* Processes one packet payload (type byte onward, without the length);
 * appends one response packet to out. 0 or -1 as above. */
int sftp_process_packet(struct sftp_server *s, struct buf *pkt, struct buf *out);

/* Runs a whole SFTP session on the fds until EOF on in_fd: enters the
 * start directory, sets the umask, then reads as much input as is
 * available, processes every complete request, and writes responses in
 * large batches. Returns 0 on clean EOF, 1 on error. Does not close fds. */
int sftp_serve(int in_fd, int out_fd, const struct sftp_options *opt);

/* Every request name that -p/-P lists accept, NULL-terminated (for -Q requests). */
extern const char *const sftp_request_names[];

#endif
