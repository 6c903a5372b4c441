/* agentfwd: agent forwarding (OpenSSH PROTOCOL "auth-agent"): the session
 * channel request "auth-agent-req@openssh.com" asks for it; each
 * connection to the socket we listen on becomes an
 * "auth-agent@openssh.com" channel toward the client.
 *
 * The socket is created by the connection's networking child (as the user,
 * in a private 0700 directory under /tmp), through fwd.h's fwd_netfwd; the
 * accepted connections become channels through fwd_open_accepted.
 */
#ifndef SSHBOX_AGENTFWD_H
#define SSHBOX_AGENTFWD_H

#include <stddef.h>

struct conn;

/* Creates (once per connection; later calls return the same path) the
 * listening socket and starts accepting on it. On success writes its path
 * (for SSH_AUTH_SOCK) into path and returns 0; returns -1 when not
 * authenticated, AllowAgentForwarding no, the key's no-agent-forwarding,
 * or on failure (logged). */
int agentfwd_request(struct conn *c, char *path, size_t pathlen);

/* Path from an earlier successful agentfwd_request, or NULL. */
const char *agentfwd_path(void);

/* Connection end: stops accepting and closes the listener (the networking
 * child removes the socket when fwd_connection_end closes it; call this
 * first). */
void agentfwd_connection_end(struct conn *c);

#endif
