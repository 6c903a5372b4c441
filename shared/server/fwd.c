/* fwd: forwarding channels and global requests. See fwd.h. */
#include "fwd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "authkeys.h"
#include "channel.h"
#include "connctx.h"
#include "log.h"
#include "loop.h"
#include "netfwd_client.h"
#include "user.h"
#include "sshd_config.h"
#include "util.h"

#define FWD_MAX_LISTENERS 16
#define FWD_DIAL_TIMEOUT_MS 10000u
/* Dials in progress per connection; beyond that a dial runs synchronously
 * (the connection waits for it, as a burst of local dials costs little). */
#define FWD_MAX_PENDING_DIALS 64
#define FWD_STREAMLOCAL_MASK 0177u /* OpenSSH StreamLocalBindMask default */

enum { L_TCP = 1, L_UNIX = 2 };

struct listener {
	int used;
	int kind;
	struct conn *conn;
	char addr[NETFWD_MAX_ADDR + 1]; /* TCP: address as the client sent it; UNIX/AGENT: path */
	unsigned req_port;              /* TCP: as requested (0 = allocate) */
	unsigned port;                  /* TCP: bound */
	int fds[NETFWD_MAX_FDS];
	int nfds;
};

/* A direct-tcpip / direct-streamlocal open whose dial is in progress in the
 * networking child: the channel's answer waits for the reply socket, so a
 * slow or unreachable target never stalls the connection's other channels.
 * The child's dial worker bounds the wait (FWD_DIAL_TIMEOUT_MS). */
struct pending_dial {
	int used;
	struct conn *conn;
	int rsock;
	struct channel *ch;
	char target[NETFWD_MAX_ADDR + 16]; /* "host port N" or a socket path, for logs */
};

static struct {
	struct netfwd nf;
	int nf_init;
	int restarts;
	/* set when a listener or a pending dial is first used: a connection
	 * that forwards nothing never reads the tables below, which would
	 * only map ~24 KiB of untouched zero pages into it at its end */
	int tables_used;
	struct listener l[FWD_MAX_LISTENERS];
	struct pending_dial dials[FWD_MAX_PENDING_DIALS];
} st;

/* ---- policy helpers ------------------------------------------------------- */

int fwd_split_hostport(const char *s, int allow_bare_port, char *host, size_t hostlen, int *port)
{
	const char *colon, *h;
	size_t hl;
	long p;
	if (!s || !*s)
		return -1;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return -1;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon) {
			if (!allow_bare_port)
				return -1;
			h = "";
			hl = 0;
			colon = s - 1; /* port starts at s */
		} else {
			h = s;
			hl = (size_t)(colon - s);
			if (memchr(h, ':', hl)) /* unbracketed IPv6 */
				return -1;
		}
	}
	if (hl >= hostlen || (colon >= s && hl == 0))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	const char *ps = colon + 1;
	if (strcmp(ps, "*") == 0) {
		*port = -1;
		return 0;
	}
	if (parse_long(ps, 0, 65535, &p) < 0)
		return -1;
	*port = (int)p;
	return 0;
}

/* Is host:port in a PermitOpen (listen 0) or PermitListen (listen 1) style
 * list? "*" matches any host or port; in a listen entry the host may be
 * left out ("port"), which matches any host too. */
static int permitted(const char *const *list, size_t n, int listen, const char *host, unsigned port)
{
	char h[NETFWD_MAX_ADDR + 1];
	int p;
	for (size_t i = 0; i < n; i++) {
		if (fwd_split_hostport(list[i], listen, h, sizeof(h), &p) < 0)
			continue;
		if (p != -1 && (unsigned)p != port)
			continue;
		if (!(listen && h[0] == '\0') && strcmp(h, "*") != 0 && strcasecmp(h, host) != 0)
			continue;
		return 1;
	}
	return 0;
}

int fwd_permitted_open(const char *const *list, size_t n, const char *host, unsigned port)
{
	return permitted(list, n, 0, host, port);
}

int fwd_permitted_listen(const char *const *list, size_t n, const char *host, unsigned port)
{
	return permitted(list, n, 1, host, port);
}

const char *fwd_bind_address(int gateway_ports, const char *requested)
{
	if (!requested)
		requested = "";
	switch (gateway_ports) {
	case GATEWAY_PORTS_YES:
		return "";
	case GATEWAY_PORTS_CLIENTSPECIFIED:
		if (requested[0] == '\0' || strcmp(requested, "*") == 0)
			return "";
		return requested;
	default:
		return "localhost";
	}
}

static const char *const *sl_v(const struct strlist *l) { return (const char *const *)l->v; }

int fwd_allow_direct_tcpip(const struct sshd_config *cfg, const struct authkeys_opts *ko, const char *host,
			   unsigned port, const char **why)
{
	if (!(cfg->allow_tcp_forwarding & FWD_ALLOW_LOCAL)) {
		*why = "AllowTcpForwarding does not permit local forwarding";
		return 0;
	}
	if (ko && ko->no_port_forwarding) {
		*why = "key option no-port-forwarding";
		return 0;
	}
	if (port == 0 || port > 65535) {
		*why = "bad port";
		return 0;
	}
	if (!cfg->permit_open_any && !fwd_permitted_open(sl_v(&cfg->permit_open), cfg->permit_open.n, host, port)) {
		*why = "not permitted by PermitOpen";
		return 0;
	}
	if (ko && ko->permitopen.n > 0 && !fwd_permitted_open(sl_v(&ko->permitopen), ko->permitopen.n, host, port)) {
		*why = "not permitted by key option permitopen";
		return 0;
	}
	return 1;
}

int fwd_allow_remote_tcpip(const struct sshd_config *cfg, const struct authkeys_opts *ko, unsigned uid,
			   const char *host, unsigned port, const char **why)
{
	if (!(cfg->allow_tcp_forwarding & FWD_ALLOW_REMOTE)) {
		*why = "AllowTcpForwarding does not permit remote forwarding";
		return 0;
	}
	if (ko && ko->no_port_forwarding) {
		*why = "key option no-port-forwarding";
		return 0;
	}
	if (port > 65535) {
		*why = "bad port";
		return 0;
	}
	if (port != 0 && port < 1024 && uid != 0) {
		*why = "privileged port";
		return 0;
	}
	if (!cfg->permit_listen_any &&
	    !fwd_permitted_listen(sl_v(&cfg->permit_listen), cfg->permit_listen.n, host, port)) {
		*why = "not permitted by PermitListen";
		return 0;
	}
	if (ko && ko->permitlisten.n > 0 &&
	    !fwd_permitted_listen(sl_v(&ko->permitlisten), ko->permitlisten.n, host, port)) {
		*why = "not permitted by key option permitlisten";
		return 0;
	}
	return 1;
}

int fwd_allow_streamlocal(const struct sshd_config *cfg, const struct authkeys_opts *ko, int remote,
			  const char **why)
{
	if (!(cfg->allow_streamlocal_forwarding & (remote ? FWD_ALLOW_REMOTE : FWD_ALLOW_LOCAL))) {
		*why = remote ? "AllowStreamLocalForwarding does not permit remote forwarding"
			      : "AllowStreamLocalForwarding does not permit local forwarding";
		return 0;
	}
	if (ko && ko->no_port_forwarding) {
		*why = "key option no-port-forwarding";
		return 0;
	}
	return 1;
}

int fwd_allow_agent(const struct sshd_config *cfg, const struct authkeys_opts *ko, const char **why)
{
	if (!cfg->allow_agent_forwarding) {
		*why = "AllowAgentForwarding no";
		return 0;
	}
	if (ko && ko->no_agent_forwarding) {
		*why = "key option no-agent-forwarding";
		return 0;
	}
	return 1;
}

/* ---- the networking child ------------------------------------------------------ */

static void child_gone(pid_t pid, int status, void *arg)
{
	(void)arg;
	if (st.nf.pid != pid)
		return;
	log_info("networking child %ld exited (status 0x%x)", (long)pid, (unsigned)status);
	if (st.nf.ctl >= 0)
		close(st.nf.ctl);
	st.nf.ctl = -1;
	st.nf.pid = -1;
	/* Listeners already handed over keep working; a few restarts are allowed. */
	if (++st.restarts > 3)
		st.nf.failed = 1;
}

struct netfwd *fwd_netfwd(struct conn *c)
{
	if (!conn_info(c)->authenticated || !conn_info(c)->user)
		return NULL;
	if (!st.nf_init) {
		netfwd_init(&st.nf, (uint32_t)conn_info(c)->user->uid, (uint32_t)conn_info(c)->user->gid,
			    conn_info(c)->user->name, conn_info(c)->user->home);
		st.nf_init = 1;
	}
	if (st.nf.ctl < 0) {
		if (netfwd_start(&st.nf) < 0)
			return NULL;
		if (loop_watch_child(conn_loop(c), st.nf.pid, child_gone, NULL) < 0)
			log_warn("networking child %ld: not watched", (long)st.nf.pid);
	}
	return &st.nf;
}

/* ---- sockets as channels ---------------------------------------------------------- */

/* ctx of a channel whose socket is not attached yet (outgoing, awaiting the
 * client's confirmation): the fd, stored as intptr_t + 1 so NULL means none. */
static int ctx_fd(struct channel *ch) { return ch->ctx ? (int)((intptr_t)ch->ctx - 1) : -1; }

/* A socket channel is half-closable both ways: EOF from the socket is sent
 * as CHANNEL_EOF, but CLOSE must wait until the client's EOF too, or data
 * still flowing toward the socket (an echo's answer, ssh -R) is lost. The
 * client's CLOSE ends it regardless. */
static void sock_attach(struct channel *ch, int fd)
{
	ch->close_after_input = 1;
	channel_set_fds(ch, fd, fd, -1);
}

static void sock_open_result(void *owner, struct channel *ch, int ok, uint32_t reason, const char *desc)
{
	int fd = ctx_fd(ch);
	ch->ctx = NULL;
	if (fd < 0)
		return;
	if (ok) {
		sock_attach(ch, fd);
		return;
	}
	log_debug("channel %u (%s): client refused: reason %u: %s", (unsigned)ch->id, ch->type, (unsigned)reason,
		  desc ? desc : "");
	close(fd);
}

static void sock_free(void *owner, struct channel *ch)
{
	int fd = ctx_fd(ch);
	ch->ctx = NULL;
	if (fd >= 0)
		close(fd);
}

static const struct channel_ops sock_ops = {
	.open_result = sock_open_result,
	.free = sock_free,
};

/* ---- direct-tcpip / direct-streamlocal ---------------------------------------------- */

static void pending_release(struct pending_dial *pd)
{
	if (pd->rsock >= 0) {
		loop_unwatch_fd(conn_loop(pd->conn), pd->rsock);
		close(pd->rsock);
	}
	memset(pd, 0, sizeof(*pd));
	pd->rsock = -1;
}

/* ops->free of a channel whose dial is pending (the connection ends). */
static void pending_free(void *owner, struct channel *ch)
{
	struct pending_dial *pd = ch->ctx;
	ch->ctx = NULL;
	if (pd)
		pending_release(pd);
}

static const struct channel_ops pending_ops = {
	.free = pending_free,
};

/* A dial that failed: logged, and the open handler's refusal filled in. */
static int dial_failed(struct conn *c, struct channel *ch, const char *target, const char *err, uint32_t *reason,
		       char *desc, size_t desclen)
{
	log_info("%s for %s to %s failed: %s", ch->type, conn_user_name(c), target, err);
	*reason = SSH_OPEN_CONNECT_FAILED;
	snprintf(desc, desclen, "%s", err);
	return -1;
}

static void on_dial_reply(int rsock, short revents, void *arg)
{
	(void)revents;
	struct pending_dial *pd = arg;
	struct conn *c = pd->conn;
	struct channel *ch = pd->ch;
	char err[NETFWD_MAX_ERR + 1] = "";
	int fd = -1;
	char target[sizeof(pd->target)];
	int ok = netfwd_dial_finish(rsock, &fd, err, sizeof(err)) == 0;
	snprintf(target, sizeof(target), "%s", pd->target);
	ch->ops = NULL;
	ch->ctx = NULL;
	pending_release(pd);
	if (!ok) {
		uint32_t reason;
		char desc[NETFWD_MAX_ERR + 1];
		dial_failed(c, ch, target, err, &reason, desc, sizeof(desc));
		if (channel_open_fail(ch, reason, desc) < 0)
			log_debug("open failure not sent");
		return;
	}
	ch->ops = &sock_ops;
	sock_attach(ch, fd);
	if (channel_open_confirm(ch) < 0)
		log_debug("open confirmation not sent");
}

/* Synchronous dial (no slot for another pending one): 0 or -1 as an open handler. */
static int dial_now(struct conn *c, struct channel *ch, struct netfwd *nf, int net, const char *addr,
		    unsigned port, const char *target, uint32_t *reason, char *desc, size_t desclen)
{
	char err[NETFWD_MAX_ERR + 1] = "";
	int fd = -1;
	if (netfwd_dial(nf, net, addr, port, FWD_DIAL_TIMEOUT_MS, &fd, err, sizeof(err)) < 0)
		return dial_failed(c, ch, target, err, reason, desc, desclen);
	ch->ops = &sock_ops;
	ch->ctx = NULL;
	sock_attach(ch, fd);
	return 0;
}

/* Starts the dial; the channel is answered from on_dial_reply. */
static int dial_begin(struct conn *c, struct channel *ch, struct netfwd *nf, int net, const char *addr,
		      unsigned port, const char *target, uint32_t *reason, char *desc, size_t desclen)
{
	struct pending_dial *pd = NULL;
	for (size_t i = 0; i < ARRAY_LEN(st.dials) && !pd; i++)
		if (!st.dials[i].used)
			pd = &st.dials[i];
	char err[NETFWD_MAX_ERR + 1] = "";
	if (!pd)
		return dial_now(c, ch, nf, net, addr, port, target, reason, desc, desclen);
	int rs = netfwd_dial_start(nf, net, addr, port, FWD_DIAL_TIMEOUT_MS, err, sizeof(err));
	if (rs < 0)
		return dial_failed(c, ch, target, err, reason, desc, desclen);
	memset(pd, 0, sizeof(*pd));
	pd->used = 1;
	st.tables_used = 1;
	pd->conn = c;
	pd->rsock = rs;
	pd->ch = ch;
	snprintf(pd->target, sizeof(pd->target), "%s", target);
	if (loop_watch_fd(conn_loop(c), rs, POLLIN, on_dial_reply, pd) < 0) {
		pending_release(pd);
		return dial_now(c, ch, nf, net, addr, port, target, reason, desc, desclen);
	}
	ch->ops = &pending_ops;
	ch->ctx = pd;
	return CHANNEL_OPEN_PENDING;
}

int fwd_open_direct_tcpip(void *owner, struct channel *ch, struct buf *data, uint32_t *reason, char *desc,
			  size_t desclen)
{
	struct conn *c = owner;
	char host[NETFWD_MAX_ADDR + 1], orig[NETFWD_MAX_ADDR + 1];
	uint32_t port, oport;
	const char *why = NULL;

	if (buf_get_cstring_into(data, host, sizeof(host)) || buf_get_u32(data, &port) ||
	    buf_get_cstring_into(data, orig, sizeof(orig)) || buf_get_u32(data, &oport)) {
		*reason = SSH_OPEN_CONNECT_FAILED;
		snprintf(desc, desclen, "malformed direct-tcpip request");
		log_info("refused direct-tcpip for %s: malformed request", conn_user_name(c));
		return -1;
	}
	if (!fwd_allow_direct_tcpip(conn_info(c)->cfg, conn_info(c)->key_opts, host, port, &why)) {
		*reason = SSH_OPEN_ADMINISTRATIVELY_PROHIBITED;
		snprintf(desc, desclen, "administratively prohibited");
		log_info("refused local port forward for %s from %s port %u to %s port %u: %s",
			 conn_user_name(c), orig, (unsigned)oport, host, (unsigned)port, why);
		return -1;
	}
	struct netfwd *nf = fwd_netfwd(c);
	if (!nf) {
		*reason = SSH_OPEN_RESOURCE_SHORTAGE;
		snprintf(desc, desclen, "networking unavailable");
		log_error("direct-tcpip for %s to %s port %u: networking child unavailable",
			  conn_user_name(c), host, (unsigned)port);
		return -1;
	}
	char target[NETFWD_MAX_ADDR + 16];
	snprintf(target, sizeof(target), "%s port %u", host, (unsigned)port);
	log_debug("direct-tcpip for %s from %s port %u to %s: channel %u", conn_user_name(c), orig,
		  (unsigned)oport, target, (unsigned)ch->id);
	return dial_begin(c, ch, nf, NETFWD_NET_TCP, host, port, target, reason, desc, desclen);
}

int fwd_open_direct_streamlocal(void *owner, struct channel *ch, struct buf *data, uint32_t *reason,
				char *desc, size_t desclen)
{
	struct conn *c = owner;
	char path[NETFWD_MAX_PATH + 1];
	const uint8_t *res;
	size_t rlen;
	uint32_t r2;
	const char *why = NULL;

	if (buf_get_cstring_into(data, path, sizeof(path)) || path[0] == '\0') {
		*reason = SSH_OPEN_CONNECT_FAILED;
		snprintf(desc, desclen, "bad socket path");
		log_info("refused direct-streamlocal for %s: bad or too long socket path", conn_user_name(c));
		return -1;
	}
	/* reserved string + uint32 (absent in some old clients: tolerated) */
	(void)(buf_get_string_view(data, &res, &rlen, 1024) || buf_get_u32(data, &r2));
	if (!fwd_allow_streamlocal(conn_info(c)->cfg, conn_info(c)->key_opts, 0, &why)) {
		*reason = SSH_OPEN_ADMINISTRATIVELY_PROHIBITED;
		snprintf(desc, desclen, "administratively prohibited");
		log_info("refused streamlocal forward for %s to %s: %s", conn_user_name(c), path, why);
		return -1;
	}
	struct netfwd *nf = fwd_netfwd(c);
	if (!nf) {
		*reason = SSH_OPEN_RESOURCE_SHORTAGE;
		snprintf(desc, desclen, "networking unavailable");
		return -1;
	}
	log_debug("direct-streamlocal for %s to %s: channel %u", conn_user_name(c), path, (unsigned)ch->id);
	return dial_begin(c, ch, nf, NETFWD_NET_UNIX, path, 0, path, reason, desc, desclen);
}

/* ---- listeners ----------------------------------------------------------------------- */

static void on_accept(int lfd, short revents, void *arg);

static struct listener *listener_new(struct conn *c)
{
	for (size_t i = 0; i < ARRAY_LEN(st.l); i++)
		if (!st.l[i].used) {
			memset(&st.l[i], 0, sizeof(st.l[i]));
			st.l[i].used = 1;
			st.tables_used = 1;
			st.l[i].conn = c;
			return &st.l[i];
		}
	return NULL;
}

static void listener_close(struct listener *l)
{
	for (int i = 0; i < l->nfds; i++) {
		loop_unwatch_fd(conn_loop(l->conn), l->fds[i]);
		close(l->fds[i]);
	}
	if (l->kind == L_UNIX && st.nf.ctl >= 0)
		(void)netfwd_unlink(&st.nf, l->addr);
	memset(l, 0, sizeof(*l));
}

/* Watches every fd of l; on failure closes it all. */
static int listener_watch(struct listener *l)
{
	for (int i = 0; i < l->nfds; i++) {
		set_nonblock(l->fds[i], 1);
		if (loop_watch_fd(conn_loop(l->conn), l->fds[i], POLLIN, on_accept, l) < 0) {
			for (int j = 0; j < i; j++)
				loop_unwatch_fd(conn_loop(l->conn), l->fds[j]);
			for (int j = 0; j < l->nfds; j++)
				close(l->fds[j]);
			l->nfds = 0;
			listener_close(l);
			return -1;
		}
	}
	return 0;
}

int fwd_open_accepted(struct conn *c, const char *type, const struct buf *data, int fd)
{
	struct channel *ch =
	    channel_open_outgoing(conn_channels(c), type, data, &sock_ops, (void *)(intptr_t)(fd + 1));
	if (!ch) {
		log_info("%s for %s: cannot open a channel (too many?): connection dropped", type,
			 conn_user_name(c));
		close(fd);
		return -1;
	}
	return 0;
}

static void on_accept(int lfd, short revents, void *arg)
{
	struct listener *l = arg;
	struct conn *c = l->conn;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct buf data;
	const char *type;

	(void)revents;
	int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept on forwarded listener: %s", strerror(errno));
		return;
	}
	/* the listener is still readable if more are queued: poll calls us again */
	buf_init(&data, 1024);
	if (l->kind == L_TCP) {
		char ip[INET6_ADDRSTRLEN] = "0.0.0.0";
		unsigned oport = 0;
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
			oport = ntohs(a->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
			oport = ntohs(a->sin6_port);
		}
		type = "forwarded-tcpip";
		buf_put_cstring(&data, l->addr);
		buf_put_u32(&data, l->port);
		buf_put_cstring(&data, ip);
		buf_put_u32(&data, oport);
		log_debug("forwarded-tcpip for %s: connection on %s port %u from %s port %u",
			  conn_user_name(c), l->addr, l->port, ip, oport);
	} else {
		type = "forwarded-streamlocal@openssh.com";
		buf_put_cstring(&data, l->addr);
		buf_put_cstring(&data, "");
	}
	(void)fwd_open_accepted(c, type, &data, fd);
	buf_free(&data);
}

/* ---- global requests ---------------------------------------------------------------------- */

int fwd_global_tcpip_forward(void *owner, const char *name, struct buf *data, struct buf *reply)
{
	struct conn *c = owner;
	char addr[NETFWD_MAX_ADDR + 1], err[NETFWD_MAX_ERR + 1];
	uint32_t port;
	const char *why = NULL;
	unsigned bound = 0;
	(void)name;
	if (buf_get_cstring_into(data, addr, sizeof(addr)) || buf_get_u32(data, &port)) {
		log_info("refused tcpip-forward for %s: malformed request", conn_user_name(c));
		return 0;
	}
	const char *bind_addr = fwd_bind_address(conn_info(c)->cfg->gateway_ports, addr);
	if (!fwd_allow_remote_tcpip(conn_info(c)->cfg, conn_info(c)->key_opts,
				    conn_info(c)->user ? (unsigned)conn_info(c)->user->uid : 0u, addr, port,
				    &why)) {
		log_info("refused remote port forward for %s on %s port %u: %s", conn_user_name(c),
			 addr[0] ? addr : "*", (unsigned)port, why);
		return 0;
	}
	struct listener *l = listener_new(c);
	if (!l) {
		log_info("refused remote port forward for %s on %s port %u: too many forwardings",
			 conn_user_name(c), addr, (unsigned)port);
		return 0;
	}
	struct netfwd *nf = fwd_netfwd(c);
	if (!nf || netfwd_listen(nf, NETFWD_NET_TCP, bind_addr, port, 0, 0, l->fds, &l->nfds, &bound, err,
				 sizeof(err)) < 0) {
		log_info("remote port forward for %s on %s port %u failed: %s", conn_user_name(c), addr,
			 (unsigned)port, nf ? err : "networking child unavailable");
		memset(l, 0, sizeof(*l));
		return 0;
	}
	l->kind = L_TCP;
	snprintf(l->addr, sizeof(l->addr), "%s", addr);
	l->req_port = port;
	l->port = bound;
	if (listener_watch(l) < 0) {
		log_error("remote port forward for %s: cannot watch the listener", conn_user_name(c));
		return 0;
	}
	log_info("remote port forward for %s: listening on %s port %u (requested %s port %u)",
		 conn_user_name(c), bind_addr[0] ? bind_addr : "*", bound, addr[0] ? addr : "*",
		 (unsigned)port);
	if (port == 0)
		buf_put_u32(reply, bound);
	return 1;
}

int fwd_global_cancel_tcpip_forward(void *owner, const char *name, struct buf *data, struct buf *reply)
{
	struct conn *c = owner;
	char addr[NETFWD_MAX_ADDR + 1];
	uint32_t port;
	(void)name;
	(void)reply;
	if (buf_get_cstring_into(data, addr, sizeof(addr)) || buf_get_u32(data, &port))
		return 0;
	for (size_t i = 0; i < ARRAY_LEN(st.l); i++) {
		struct listener *l = &st.l[i];
		if (l->used && l->kind == L_TCP && strcmp(l->addr, addr) == 0 &&
		    (l->port == port || (port != 0 && l->req_port == port))) {
			log_info("cancelled remote port forward for %s on %s port %u", conn_user_name(c),
				 addr, l->port);
			listener_close(l);
			return 1;
		}
	}
	log_info("cancel-tcpip-forward for %s: no forwarding on %s port %u", conn_user_name(c), addr,
		 (unsigned)port);
	return 0;
}

int fwd_global_streamlocal_forward(void *owner, const char *name, struct buf *data, struct buf *reply)
{
	struct conn *c = owner;
	char path[NETFWD_MAX_PATH + 1], err[NETFWD_MAX_ERR + 1];
	const char *why = NULL;
	(void)name;
	(void)reply;
	if (buf_get_cstring_into(data, path, sizeof(path)) || path[0] == '\0') {
		log_info("refused streamlocal-forward for %s: bad or too long socket path",
			 conn_user_name(c));
		return 0;
	}
	if (!fwd_allow_streamlocal(conn_info(c)->cfg, conn_info(c)->key_opts, 1, &why)) {
		log_info("refused remote streamlocal forward for %s on %s: %s", conn_user_name(c), path, why);
		return 0;
	}
	struct listener *l = listener_new(c);
	if (!l)
		return 0;
	struct netfwd *nf = fwd_netfwd(c);
	if (!nf || netfwd_listen(nf, NETFWD_NET_UNIX, path, 0, 0, FWD_STREAMLOCAL_MASK, l->fds, &l->nfds, NULL, err,
				 sizeof(err)) < 0) {
		log_info("remote streamlocal forward for %s on %s failed: %s", conn_user_name(c), path,
			 nf ? err : "networking child unavailable");
		memset(l, 0, sizeof(*l));
		return 0;
	}
	l->kind = L_UNIX;
	snprintf(l->addr, sizeof(l->addr), "%s", path);
	if (listener_watch(l) < 0)
		return 0;
	log_info("remote streamlocal forward for %s: listening on %s", conn_user_name(c), path);
	return 1;
}

int fwd_global_cancel_streamlocal_forward(void *owner, const char *name, struct buf *data, struct buf *reply)
{
	struct conn *c = owner;
	char path[NETFWD_MAX_PATH + 1];
	(void)name;
	(void)reply;
	if (buf_get_cstring_into(data, path, sizeof(path)))
		return 0;
	for (size_t i = 0; i < ARRAY_LEN(st.l); i++) {
		struct listener *l = &st.l[i];
		if (l->used && l->kind == L_UNIX && strcmp(l->addr, path) == 0) {
			log_info("cancelled remote streamlocal forward for %s on %s", conn_user_name(c),
				 path);
			listener_close(l);
			return 1;
		}
	}
	return 0;
}

void fwd_connection_end(struct conn *c)
{
	for (size_t i = 0; st.tables_used && i < ARRAY_LEN(st.dials); i++)
		if (st.dials[i].used) {
			if (st.dials[i].ch && st.dials[i].ch->ctx == &st.dials[i])
				st.dials[i].ch->ctx = NULL;
			pending_release(&st.dials[i]);
		}
	for (size_t i = 0; st.tables_used && i < ARRAY_LEN(st.l); i++)
		if (st.l[i].used) {
			for (int j = 0; j < st.l[i].nfds; j++) {
				loop_unwatch_fd(conn_loop(c), st.l[i].fds[j]);
				close(st.l[i].fds[j]);
			}
			memset(&st.l[i], 0, sizeof(st.l[i]));
		}
	if (st.nf_init)
		netfwd_close(&st.nf, 2000); /* the child removes its sockets on EOF */
}
