/* conn: the per-connection process. After the listener forks, conn_run()
 * owns the socket: version exchange, kex, userauth, then the connection
 * protocol, all in one poll loop over the socket, the channel fds, the
 * fds and children watched through the event loop (loop.h) and its
 * SIGCHLD self-pipe.
 *
 * conn.c is the top of the connection process: it hands the channel layer
 * (shared/ssh/channel.h) a send callback and the tables of channel types
 * and global requests served here (session.c, fwd.c, and its own
 * "no-more-sessions@openssh.com"); the channel layer passes the struct
 * conn back to those handlers as their `owner`. struct conn itself is
 * private to conn.c: modules read the connection's facts through
 * conn_info() and reach its channel table and event loop through
 * conn_channels() / conn_loop().
 */
#ifndef SSHBOX_CONN_H
#define SSHBOX_CONN_H

#include <stddef.h>
#include <stdint.h>

struct conn;
struct buf;
struct channel_table;
struct loop;
struct sshd_config;
struct hostkey;
struct user_info;
struct authkeys_opts;

/* Read-only facts about a connection (conn_info). Until authenticated the
 * user/cfg/key_opts pointers are NULL and the method strings "". */
struct conn_info {
	char client_addr[64]; /* numeric */
	int client_port;
	char local_addr[64];
	int local_port;
	/* After authentication: the user, the effective (Match-applied)
	 * config and the options of the authorized_keys line that was used
	 * (all-zero/empty for password logins). */
	int authenticated;
	const struct user_info *user;
	const struct sshd_config *cfg;
	const struct authkeys_opts *key_opts;
	const char *auth_method; /* "publickey", "password", "keyboard-interactive" */
	const char *auth_key_fp;  /* "SHA256:..." for publickey, else "" */
	/* the client sent "no-more-sessions@openssh.com": session channels
	 * are refused from now on */
	int no_more_sessions;
};

/* The connection process's exit status, which the listener (applets/sshd.c)
 * turns into per-source penalties. */
enum conn_exit {
	CONN_EXIT_OK = 0,          /* normal end (authenticated, or nothing to blame) */
	CONN_EXIT_AUTH_FAILED = 1, /* authentication was tried and failed */
	CONN_EXIT_NO_AUTH = 2,     /* protocol error, or gone without trying to authenticate */
	CONN_EXIT_ERROR = 3,       /* internal error */
};

/* Runs one connection to the end; returns an enum conn_exit. */
int conn_run(int sock, const struct sshd_config *cfg, const struct hostkey *hk);

/* The listener gives each connection the write end of a pipe; the
 * connection closes it once the user is authenticated (MaxStartups counts
 * connections whose pipe is still open). */
void conn_set_startup_fd(int fd);
/* inetd mode (-i): input is the socket/stdin passed to conn_run, output
 * goes to this fd (stdout). */
void conn_set_output_fd(int fd);

/* Accessors for modules (never NULL for a live connection). */
const struct conn_info *conn_info(const struct conn *c);
struct channel_table *conn_channels(struct conn *c);
struct loop *conn_loop(struct conn *c);
/* The authenticated user's name for log lines, or "?". */
const char *conn_user_name(const struct conn *c);

/* The "no-more-sessions@openssh.com" global request handler (owner is the
 * struct conn): sets conn_info()->no_more_sessions; always succeeds.
 * Exposed for harnesses that build their own handler tables. */
int conn_global_no_more_sessions(void *owner, const char *name, struct buf *data, struct buf *reply);

/* For harnesses (unit tests, fuzzers) that drive handlers without a
 * socket: a connection object with a copy of info, an event loop without
 * a SIGCHLD pipe, and tab (owned by the caller, already initialised) as
 * its channel table. One at a time; conn_free_detached releases it. */
struct conn *conn_new_detached(const struct conn_info *info, struct channel_table *tab);
void conn_free_detached(struct conn *c);

#endif
