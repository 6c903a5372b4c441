/* fwd: port and unix-socket forwarding at the channel level (RFC 4254 s7;
 * OpenSSH PROTOCOL "streamlocal" extensions), and the networking child
 * and socket channels that agent forwarding (agentfwd.h) shares.
 *
 * Every socket a client asks for is opened by the connection's
 * `networking` child (shared/netfwd.h), which runs as the user; this module
 * only decides (AllowTcpForwarding, AllowStreamLocalForwarding,
 * AllowAgentForwarding, GatewayPorts, PermitOpen, PermitListen, and the
 * authorized_keys options permitopen=, permitlisten=, no-port-forwarding,
 * no-agent-forwarding), logs, and plumbs the resulting fds into channels.
 *
 * Wiring (conn.c puts the handlers below in the tables it hands to the
 * channel layer; each gets the struct conn as its owner):
 *   channel types   "direct-tcpip" (ssh -L, -D, -W, ProxyJump)
 *                   "direct-streamlocal@openssh.com" (ssh -L with a path)
 *   global requests "tcpip-forward", "cancel-tcpip-forward" (ssh -R)
 *                   "streamlocal-forward@openssh.com",
 *                   "cancel-streamlocal-forward@openssh.com"
 *   outgoing        "forwarded-tcpip", "forwarded-streamlocal@openssh.com"
 *                   (one per accepted connection on a listener, via
 *                   loop_watch_fd + fwd_open_accepted)
 *
 * Denials answer OPEN_FAILURE ADMINISTRATIVELY_PROHIBITED (1) or a failed
 * global request, dial failures OPEN_FAILURE CONNECT_FAILED (2); each is
 * logged at INFO with the user, the target and the reason.
 */
#ifndef SSHBOX_FWD_H
#define SSHBOX_FWD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct conn;
struct channel;
struct netfwd;
struct sshd_config;
struct authkeys_opts;

/* Channel-open handlers (channel_open_fn) and global-request handlers
 * (global_request_fn) for the names above; owner is the struct conn. */
int fwd_open_direct_tcpip(void *owner, struct channel *ch, struct buf *data, uint32_t *reason, char *desc,
			  size_t desclen);
int fwd_open_direct_streamlocal(void *owner, struct channel *ch, struct buf *data, uint32_t *reason,
				char *desc, size_t desclen);
int fwd_global_tcpip_forward(void *owner, const char *name, struct buf *data, struct buf *reply);
int fwd_global_cancel_tcpip_forward(void *owner, const char *name, struct buf *data, struct buf *reply);
int fwd_global_streamlocal_forward(void *owner, const char *name, struct buf *data, struct buf *reply);
int fwd_global_cancel_streamlocal_forward(void *owner, const char *name, struct buf *data, struct buf *reply);

/* The connection's networking child (started on first use, restarted a
 * few times if it dies), or NULL when unavailable or not authenticated. */
struct netfwd *fwd_netfwd(struct conn *c);

/* Opens an outgoing channel of type (data: its type-specific fields, may
 * be NULL) for fd, an accepted socket: the socket is attached once the
 * client confirms, closed if it refuses. On failure closes fd, logs and
 * returns -1; else 0. */
int fwd_open_accepted(struct conn *c, const char *type, const struct buf *data, int fd);

/* Connection end (optional: the process exit does the same): closes the
 * listeners and the networking child's control socket, so the child
 * removes the unix sockets it created and exits; reaps it. Call
 * agentfwd_connection_end first. */
void fwd_connection_end(struct conn *c);

/* ---- policy helpers (pure; exposed for unit tests) ---------------------- */

/* "host:port", "[v6addr]:port"; host or port may be "*". Returns 0 and
 * splits into host (without brackets) and port (-1 for "*"), or -1. For
 * PermitListen entries a bare "port" is allowed when allow_bare_port (host
 * becomes ""). */
int fwd_split_hostport(const char *s, int allow_bare_port, char *host, size_t hostlen, int *port);

/* PermitOpen-style list check: 1 if host:port is permitted by any entry. */
int fwd_permitted_open(const char *const *list, size_t n, const char *host, unsigned port);
/* PermitListen-style: an entry without host matches every listen host; a
 * host of "*" too; otherwise it must equal the requested bind host. */
int fwd_permitted_listen(const char *const *list, size_t n, const char *host, unsigned port);

/* The address the networking child should bind for a tcpip-forward of
 * `requested` (as sent by the client) under GatewayPorts: "" wildcard,
 * "localhost" loopback, or the requested address (clientspecified). */
const char *fwd_bind_address(int gateway_ports, const char *requested);

/* Full decisions, with a reason for the log when refused (return 0). */
int fwd_allow_direct_tcpip(const struct sshd_config *cfg, const struct authkeys_opts *ko, const char *host,
			   unsigned port, const char **why);
int fwd_allow_remote_tcpip(const struct sshd_config *cfg, const struct authkeys_opts *ko, unsigned uid,
			   const char *host, unsigned port, const char **why);
int fwd_allow_streamlocal(const struct sshd_config *cfg, const struct authkeys_opts *ko, int remote,
			  const char **why);
int fwd_allow_agent(const struct sshd_config *cfg, const struct authkeys_opts *ko, const char **why);

#endif
