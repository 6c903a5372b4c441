/* connctx: what a connection offers to the handlers it serves (session.c,
 * fwd.c, agentfwd.c): its facts, its channel table and its event loop.
 * Implemented by conn.c. The handlers depend on this interface, not on
 * the connection process (conn.h), which includes them to build its
 * handler tables: so the arrows point one way (docs/design.md, Layers). */
#ifndef SSHBOX_CONNCTX_H
#define SSHBOX_CONNCTX_H

#include <stddef.h>
#include <stdint.h>

struct conn;
struct buf;
struct channel_table;
struct loop;
struct sshd_config;
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
