/* agentfwd: agent forwarding. See agentfwd.h. */
#include "agentfwd.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "connctx.h"
#include "fwd.h"
#include "log.h"
#include "loop.h"
#include "netfwd_client.h"
#include "util.h"

static struct {
	int fd; /* listening socket, -1 none */
	struct conn *conn;
	char path[NETFWD_MAX_PATH + 1];
} ag = {.fd = -1};

static void on_agent_accept(int lfd, short revents, void *arg)
{
	(void)revents;
	(void)arg;
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept on the agent socket: %s", strerror(errno));
		return;
	}
	/* the listener is still readable if more are queued: poll calls us again */
	(void)fwd_open_accepted(ag.conn, "auth-agent@openssh.com", NULL, fd);
}

/* Closes a listener we never accepted on and removes its socket now (the
 * networking child would only remove it at the connection's end). */
static void listener_drop(struct netfwd *nf, int fd, const char *path)
{
	close(fd);
	if (nf->ctl >= 0)
		(void)netfwd_unlink(nf, path);
}

int agentfwd_request(struct conn *c, char *path, size_t pathlen)
{
	const struct conn_info *ci = conn_info(c);
	const char *why = NULL;
	char err[NETFWD_MAX_ERR + 1];
	if (!ci->authenticated || !ci->cfg)
		return -1;
	if (!fwd_allow_agent(ci->cfg, ci->key_opts, &why)) {
		log_info("refused agent forwarding for %s: %s", conn_user_name(c), why);
		return -1;
	}
	if (ag.fd >= 0) {
		if (strlen(ag.path) >= pathlen)
			return -1;
		snprintf(path, pathlen, "%s", ag.path);
		return 0;
	}
	struct netfwd *nf = fwd_netfwd(c);
	char where[NETFWD_MAX_ADDR + 1];
	int fd = -1;
	if (!nf || netfwd_listen_agent(nf, &fd, where, sizeof(where), err, sizeof(err)) < 0) {
		log_info("agent forwarding for %s failed: %s", conn_user_name(c),
			 nf ? err : "networking child unavailable");
		return -1;
	}
	if (strlen(where) >= pathlen || strlen(where) >= sizeof(ag.path)) {
		listener_drop(nf, fd, where);
		return -1;
	}
	set_nonblock(fd, 1);
	if (loop_watch_fd(conn_loop(c), fd, POLLIN, on_agent_accept, NULL) < 0) {
		listener_drop(nf, fd, where);
		return -1;
	}
	ag.fd = fd;
	ag.conn = c;
	memcpy(ag.path, where, strlen(where) + 1); /* length checked above */
	snprintf(path, pathlen, "%s", ag.path);
	log_info("agent forwarding for %s: %s", conn_user_name(c), ag.path);
	return 0;
}

const char *agentfwd_path(void)
{
	return ag.fd >= 0 ? ag.path : NULL;
}

void agentfwd_connection_end(struct conn *c)
{
	if (ag.fd >= 0) {
		loop_unwatch_fd(conn_loop(c), ag.fd);
		close(ag.fd);
	}
	ag.fd = -1;
	ag.path[0] = '\0';
	ag.conn = NULL;
}
