/* netfwd_client: the connection process's client of its `networking`
 * child (starts it lazily through spawn_applet, sends requests, reads the
 * replies and their fds). Protocol: netfwd.h. */
#ifndef SSHBOX_NETFWD_CLIENT_H
#define SSHBOX_NETFWD_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "netfwd.h"

struct netfwd {
	int ctl;    /* -1 until started */
	pid_t pid;  /* the child, or -1 */
	int failed; /* start failed once: do not retry for this connection */
	struct netfwd_hello user;
};

void netfwd_init(struct netfwd *nf, uint32_t uid, uint32_t gid, const char *name, const char *home);
/* Starts the child if not running yet (spawn_applet "networking" from the
 * helper with the child end of the control socketpair as fd 3). Called by
 * every request function below, so callers need not. 0 or -1. */
int netfwd_start(struct netfwd *nf);
/* Adopts an already running server (tests: a forked netfwd_serve) and sends
 * it the HELLO. */
int netfwd_attach(struct netfwd *nf, int ctl, pid_t pid);
/* Closes the control socket (the child removes its sockets and exits) and
 * reaps the child, killing it after timeout_ms. */
void netfwd_close(struct netfwd *nf, int timeout_ms);

/* Asynchronous use, for an event loop: netfwd_send_req returns the reply
 * socket (nonblocking, CLOEXEC) to poll for POLLIN; then netfwd_recv_reply
 * reads the reply and its fds (closing fds beyond maxfds). The caller closes
 * the reply socket. */
int netfwd_send_req(struct netfwd *nf, const struct netfwd_req *req);
int netfwd_recv_reply(int rsock, struct netfwd_reply *rep, int *fds, int maxfds);

/* Synchronous: send, wait up to req->timeout_ms + 2 s, receive. On failure
 * returns -1 with rep->err set. */
int netfwd_request(struct netfwd *nf, const struct netfwd_req *req, struct netfwd_reply *rep, int *fds,
		   int maxfds);

/* Conveniences (synchronous). Returned fds are CLOEXEC and blocking.
 * err gets a human-readable reason on failure. */
int netfwd_dial(struct netfwd *nf, int net, const char *addr, unsigned port, unsigned timeout_ms, int *fd_out,
		char *err, size_t errlen);
/* Asynchronous dial: _start sends the request and returns the reply socket
 * (poll it for POLLIN; -1 with err set on failure); _finish reads the
 * outcome (0 with *fd_out, or -1 with err). The caller closes rsock. */
int netfwd_dial_start(struct netfwd *nf, int net, const char *addr, unsigned port, unsigned timeout_ms,
		      char *err, size_t errlen);
int netfwd_dial_finish(int rsock, int *fd_out, char *err, size_t errlen);
int netfwd_listen(struct netfwd *nf, int net, const char *addr, unsigned port, unsigned flags, unsigned mask,
		  int *fds, int *nfds, unsigned *bound_port, char *err, size_t errlen);
int netfwd_listen_agent(struct netfwd *nf, int *fd_out, char *path_out, size_t pathlen, char *err,
			size_t errlen);
int netfwd_unlink(struct netfwd *nf, const char *path);

#endif
