/* fwd: port, unix-socket and agent forwarding at the channel level
 * (RFC 4254 s7; OpenSSH PROTOCOL "streamlocal" and agent extensions).
 *
 * Every socket a client asks for is opened by the connection's
 * `networking` child (shared/netfwd.h), which runs as the user; this module
 * only decides (AllowTcpForwarding, AllowStreamLocalForwarding,
 * AllowAgentForwarding, GatewayPorts, PermitOpen, PermitListen, and the
 * authorized_keys options permitopen=, permitlisten=, no-port-forwarding,
 * no-agent-forwarding), logs, and plumbs the resulting fds into channels.
 *
 * Wiring (all registered by fwd_register(), which conn.c calls once per
 * connection process before its loop):
 *   channel types   "direct-tcpip" (ssh -L, -D, -W, ProxyJump)
 *                   "direct-streamlocal@openssh.com" (ssh -L with a path)
 *   global requests "tcpip-forward", "cancel-tcpip-forward" (ssh -R)
 *                   "streamlocal-forward@openssh.com",
 *                   "cancel-streamlocal-forward@openssh.com"
 *   outgoing        "forwarded-tcpip", "forwarded-streamlocal@openssh.com",
 *                   "auth-agent@openssh.com" (one per accepted connection
 *                   on a listener, via conn_watch_fd + channel_open_outgoing)
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
struct sshd_config;
struct authkeys_opts;

/* Registers the channel types and global requests above (channel.h). */
void fwd_register(void);

/* Agent forwarding: the session module calls this for the session channel
 * request "auth-agent-req@openssh.com" (before starting the shell/command).
 * Creates (once per connection; later calls return the same path) a
 * listening socket in a private 0700 directory under /tmp owned by the
 * user, through the networking child, and starts accepting on it; each
 * connection to it opens an "auth-agent@openssh.com" channel to the client.
 * On success writes the socket path (for SSH_AUTH_SOCK) into path and
 * returns 0; returns -1 when AllowAgentForwarding no, the key's
 * no-agent-forwarding, or on failure (logged). */
int fwd_agent_request(struct conn *c, char *path, size_t pathlen);

/* Path from an earlier successful fwd_agent_request, or NULL. */
const char *fwd_agent_path(void);

/* Connection end (optional: the process exit does the same): closes the
 * listeners and the networking child's control socket, so the child
 * removes the unix sockets it created and exits; reaps it. */
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
