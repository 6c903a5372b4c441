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
 * conn_channels() / conn_loop(), declared in connctx.h: the handlers
 * include that interface, never this header.
 */
#ifndef SSHBOX_CONN_H
#define SSHBOX_CONN_H

#include "connctx.h"

struct hostkeys;

/* The connection process's exit status, which the listener (applets/sshd.c)
 * turns into per-source penalties. */
enum conn_exit {
	CONN_EXIT_OK = 0,          /* normal end (authenticated, or nothing to blame) */
	CONN_EXIT_AUTH_FAILED = 1, /* authentication was tried and failed */
	CONN_EXIT_NO_AUTH = 2,     /* protocol error, or gone without trying to authenticate */
	CONN_EXIT_ERROR = 3,       /* internal error */
};

/* Runs one connection to the end; returns an enum conn_exit. */
int conn_run(int sock, const struct sshd_config *cfg, const struct hostkeys *hks);

/* The listener gives each connection the write end of a pipe; the
 * connection closes it once the user is authenticated (MaxStartups counts
 * connections whose pipe is still open). */
void conn_set_startup_fd(int fd);
/* inetd mode (-i): input is the socket/stdin passed to conn_run, output
 * goes to this fd (stdout). */
void conn_set_output_fd(int fd);

#endif
