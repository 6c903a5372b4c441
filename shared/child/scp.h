/* scp: the server side of the legacy scp/rcp protocol (`scp -t` sink,
 * `scp -f` source), run as the user like the sftp child.
 *
 * Protocol (one control line per record, ended by '\n', at most
 * SCP_LINE_MAX bytes; every record is answered with one status byte:
 * 0 ok, 1 + "message\n" error, 2 + "message\n" fatal error):
 *   T<mtime> <usec> <atime> <usec>   times for the next C or D (-p)
 *   C<mode> <size> <name>            a file: then exactly <size> bytes and
 *                                    a status byte from the sender
 *   D<mode> 0 <name>                 enter a directory (-r)
 *   E                                leave it
 *   \x01msg / \x02msg                warning / fatal error from the peer
 *
 * Safety: a received name is one path component: never empty, ".", ".."
 * or containing '/' or a NUL (a '\n' cannot be in it: it ends the line);
 * anything else is a protocol error and nothing is written. Files are
 * created only inside the target directory (or as the target itself when
 * it is not a directory), with mode bits limited to 0777.
 *
 * Limits: line SCP_LINE_MAX bytes, names SCP_NAME_MAX, directory depth
 * SCP_DEPTH_MAX, SCP_PATHS_MAX paths on the command line, sizes up to
 * INT64_MAX (files over 4 GiB work). */
#ifndef SSHBOX_SCP_H
#define SSHBOX_SCP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SCP_LINE_MAX 4096
#define SCP_NAME_MAX 255
#define SCP_DEPTH_MAX 64
#define SCP_PATHS_MAX 64
#define SCP_CMD_MAX 8192

enum scp_rec_type {
	SCP_REC_FILE = 'C',
	SCP_REC_DIR = 'D',
	SCP_REC_END = 'E',
	SCP_REC_TIME = 'T',
	SCP_REC_WARN = 1,
	SCP_REC_FATAL = 2,
};

struct scp_record {
	enum scp_rec_type type;
	uint32_t mode;		     /* C, D: permission bits (<= 07777 as sent) */
	uint64_t size;		     /* C: byte count (<= INT64_MAX) */
	int64_t mtime, atime;	     /* T: seconds */
	char name[SCP_NAME_MAX + 1]; /* C, D: one safe path component */
	char msg[SCP_LINE_MAX];	     /* WARN, FATAL: the peer's message */
};

/* Parses one control line (without its '\n') from `line`. 0 and *r filled,
 * or -1 with a short reason in err (for the \x02 answer and the log). */
int scp_parse_record(struct buf *line, struct scp_record *r, char *err, size_t errlen);

/* 1 when name is a single, safe path component (see above). */
int scp_name_ok(const char *name);

/* A parsed `scp [-dfprtv] [--] PATH...` server invocation. */
struct scp_cmd {
	int sink;	/* -t: receive into paths[0] */
	int source;	/* -f: send paths */
	int recursive;	/* -r */
	int preserve;	/* -p */
	int target_dir; /* -d: the target must be a directory */
	int verbose;	/* -v: log each record */
	size_t npaths;
	char *paths[SCP_PATHS_MAX];
	char *storage; /* owns the words */
};

/* Splits a session command the way a POSIX shell would for the simple
 * forms scp clients send (words, '...' and "..." quoting, backslash
 * escapes; glob characters kept for -f) and recognises an scp server
 * invocation: first word "scp" or ".../scp", exactly one of -t/-f, known
 * flags only. 0 when it is one (cmd filled; free with scp_cmd_free), -1
 * when the command is something else or uses shell syntax we do not
 * interpret ($, `, ;, |, &, <, >, parentheses): run it through the shell. */
int scp_parse_command(const char *command, struct scp_cmd *cmd);
void scp_cmd_free(struct scp_cmd *cmd);

/* Runs the protocol on in/out (the session's stdin/stdout) as the current
 * user; relative paths are relative to the current directory, "~" and
 * "~/..." to home. Returns the exit status (0 no errors, 1 otherwise). */
int scp_run(const struct scp_cmd *cmd, int in, int out, const char *home);

#endif
