/* netfwd: the wire protocol between a connection process and its
 * `networking` child. The child's server loop is shared/child/netfwd_server.h,
 * the connection side's client shared/ipc/netfwd_client.h.
 *
 * The connection process never opens a user-requested socket itself. Per
 * connection it starts one `networking` child (lazily, on the first
 * forwarding request) that runs as the user and performs every dial and
 * listen on its behalf.
 *
 * Control socket: one end of a SOCK_SEQPACKET socketpair (message
 * boundaries and an EOF when the parent goes away). The first message is a
 * HELLO naming the user; the child drops privileges to that user when it
 * runs as root. Every later message is one request of at most
 * NETFWD_MAX_MSG bytes carrying, via SCM_RIGHTS, exactly one fd: one end of
 * a fresh SOCK_SEQPACKET socketpair on which the child sends its single
 * reply (status, bound port / socket path or an error string) with the
 * resulting fds attached via SCM_RIGHTS. A fresh reply socket per request
 * lets requests run concurrently and time out independently: a parent that
 * gives up just closes its end.
 *
 * The child dials in forked workers (DNS and connect may take the whole
 * timeout), listens inline, remembers every unix socket (and agent
 * directory) it created and removes them on an UNLINK request or when the
 * control socket reaches EOF, i.e. when the connection ends.
 *
 * All request fields come from the client: both ends validate them.
 */
#ifndef SSHBOX_NETFWD_H
#define SSHBOX_NETFWD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

#define NETFWD_MAX_MSG 1024
#define NETFWD_MAX_ADDR 255 /* host name / address text */
#define NETFWD_MAX_PATH 107 /* sun_path minus the NUL */
#define NETFWD_MAX_ERR 200
#define NETFWD_MAX_FDS 4   /* listeners per tcp listen (v4 + v6 ...) */
#define NETFWD_MAX_NAME 64 /* user name in HELLO */
#define NETFWD_MAX_HOME 512

#define NETFWD_DEFAULT_TIMEOUT_MS 10000u
#define NETFWD_MAX_TIMEOUT_MS 120000u

enum netfwd_op {
	NETFWD_OP_HELLO = 1,	    /* first message: who we are */
	NETFWD_OP_DIAL = 2,	    /* connect: tcp host/port or unix path */
	NETFWD_OP_LISTEN = 3,	    /* tcp addr/port or unix path */
	NETFWD_OP_LISTEN_AGENT = 4, /* private dir 0700 under /tmp + socket */
	NETFWD_OP_UNLINK = 5,	    /* remove a unix socket we created */
};

enum netfwd_net {
	NETFWD_NET_NONE = 0,
	NETFWD_NET_TCP = 1,
	NETFWD_NET_UNIX = 2,
};

/* Request flags. */
#define NETFWD_F_UNLINK_EXISTING 0x1u /* StreamLocalBindUnlink: replace an existing socket */

/* For LISTEN tcp the address has this meaning:
 *   ""          every address (wildcard, GatewayPorts allowed it)
 *   "localhost" loopback only (127.0.0.1 and ::1)
 *   otherwise   that address (GatewayPorts clientspecified)
 * The parent decides this from GatewayPorts (fwd.c); the child binds
 * exactly what it is told. */
struct netfwd_req {
	uint8_t op;
	uint8_t net;
	uint32_t port;
	uint32_t timeout_ms;
	uint32_t flags;
	uint32_t mode; /* LISTEN unix: StreamLocalBindMask (umask), e.g. 0177 */
	char addr[NETFWD_MAX_ADDR + 1];
};

struct netfwd_hello {
	uint32_t uid;
	uint32_t gid;
	char name[NETFWD_MAX_NAME + 1];
	char home[NETFWD_MAX_HOME + 1];
};

struct netfwd_reply {
	uint8_t ok;			/* 1 success, 0 failure (err set) */
	uint32_t port;			/* LISTEN tcp: the bound (allocated) port */
	uint32_t nfds;			/* fds attached */
	char path[NETFWD_MAX_PATH + 1]; /* LISTEN_AGENT: socket path */
	char err[NETFWD_MAX_ERR + 1];
};

/* The request's fields are consistent (op, net, port, address syntax). 1/0. */
int netfwd_req_valid(const struct netfwd_req *r);

/* Encoding (0 or a BUF_ERR_* / -1). Decoders validate every field. */
int netfwd_req_encode(const struct netfwd_req *r, struct buf *out);
int netfwd_req_decode(struct buf *in, struct netfwd_req *r);
int netfwd_hello_encode(const struct netfwd_hello *h, struct buf *out);
int netfwd_hello_decode(struct buf *in, struct netfwd_hello *h);
int netfwd_reply_encode(const struct netfwd_reply *r, struct buf *out);
int netfwd_reply_decode(struct buf *in, struct netfwd_reply *r);

/* Sends one message with up to NETFWD_MAX_FDS fds (SCM_RIGHTS) on a
 * SEQPACKET/DGRAM socket; never raises SIGPIPE. 0 or -1 (errno). */
int netfwd_send_msg(int sock, const void *p, size_t n, const int *fds, int nfds);
/* Receives one message of at most cap bytes and up to maxfds fds (received
 * CLOEXEC). Returns the byte count (0 = EOF) or -1; a truncated message or
 * fd list fails with EMSGSIZE and leaks nothing. */
ssize_t netfwd_recv_msg(int sock, void *p, size_t cap, int *fds, int maxfds, int *nfds);

#endif
