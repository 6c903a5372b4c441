/* conn: the per-connection process. After the listener forks, conn_run()
 * owns the socket: version exchange, kex, userauth, then the connection
 * protocol, all in one poll loop over the socket, the channel fds, extra
 * fds registered by modules (forwarding listeners...) and a self-pipe
 * that SIGCHLD writes to (children are reaped here and reported to the
 * module that registered them).
 *
 * Modules (session.c, fwd.c) receive a struct conn * in their callbacks
 * and may read the documented fields below; they send packets with
 * conn_send() and use the watch functions.
 */
#ifndef SSHBOX_CONN_H
#define SSHBOX_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "auth.h"
#include "buf.h"
#include "channel.h"
#include "kex.h"
#include "transport.h"

struct sshd_config;
struct hostkey;

#define CONN_MAX_CHILD_WATCH 64
#define CONN_MAX_FD_WATCH 128

typedef void (*conn_child_fn)(struct conn *c, pid_t pid, int status, void *arg);
typedef void (*conn_fd_fn)(struct conn *c, int fd, short revents, void *arg);

struct conn {
	/* --- readable by modules --- */
	int sock;
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

	/* --- private --- */
	const struct sshd_config *base_cfg;
	const struct hostkey *hostkey;
	struct transport t;
	struct kex kex;
	struct auth_ctx auth;
	struct channel_table chans;
	int service_userauth; /* "ssh-userauth" accepted */
	int sigchld_pipe[2];
	struct {
		pid_t pid;
		conn_child_fn fn;
		void *arg;
	} child_watch[CONN_MAX_CHILD_WATCH];
	struct {
		int fd;
		short events;
		conn_fd_fn fn;
		void *arg;
	} fd_watch[CONN_MAX_FD_WATCH];
	uint64_t start_ms;
	uint64_t last_rx_ms;
	int alive_missed;
	uint32_t global_req_pending; /* keepalives we sent, unanswered */
	int exit_code;
};

/* Runs one connection to the end; returns the process exit status the
 * listener uses for penalties: 0 normal, 1 authentication was tried and
 * failed, 2 protocol error or never tried to authenticate, 3 internal
 * error. */
int conn_run(int sock, const struct sshd_config *cfg, const struct hostkey *hk);

/* The listener gives each connection the write end of a pipe; the
 * connection closes it once the user is authenticated (MaxStartups counts
 * connections whose pipe is still open). */
void conn_set_startup_fd(int fd);
/* inetd mode (-i): input is the socket/stdin passed to conn_run, output
 * goes to this fd (stdout). */
void conn_set_output_fd(int fd);

/* Sends a packet (payload begins with the message type). 0 or -1. */
int conn_send(struct conn *c, const struct buf *payload);

/* Calls fn(c, pid, wait-status, arg) once pid has been reaped. */
int conn_watch_child(struct conn *c, pid_t pid, conn_child_fn fn, void *arg);
/* Polls fd for events (POLLIN/POLLOUT) and calls fn with revents.
 * conn_unwatch_fd removes it (safe inside the callback). */
int conn_watch_fd(struct conn *c, int fd, short events, conn_fd_fn fn, void *arg);
void conn_unwatch_fd(struct conn *c, int fd);

/* Module hooks, called once in each connection process before the loop
 * (registration of channel types and global requests). Defined by the
 * session and forwarding modules. */
void session_register(void);
void fwd_register(void);

#endif
