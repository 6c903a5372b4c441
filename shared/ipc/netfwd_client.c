/* netfwd_client: the connection process's side of the networking child:
 * starting it and sending requests. See netfwd_client.h. */
#include "netfwd_client.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spawn.h"
#include "util.h"

/* ---- parent side ------------------------------------------------------------ */

void netfwd_init(struct netfwd *nf, uint32_t uid, uint32_t gid, const char *name, const char *home)
{
	memset(nf, 0, sizeof(*nf));
	nf->ctl = -1;
	nf->pid = -1;
	nf->user.uid = uid;
	nf->user.gid = gid;
	snprintf(nf->user.name, sizeof(nf->user.name), "%s", name ? name : "");
	snprintf(nf->user.home, sizeof(nf->user.home), "%s", home ? home : "");
}

int netfwd_attach(struct netfwd *nf, int ctl, pid_t pid)
{
	struct buf b;
	int rc;
	nf->ctl = ctl;
	nf->pid = pid;
	buf_init(&b, NETFWD_MAX_MSG);
	rc = netfwd_hello_encode(&nf->user, &b);
	if (rc == 0)
		rc = netfwd_send_msg(ctl, buf_rptr(&b), buf_avail(&b), NULL, 0);
	buf_free(&b);
	if (rc != 0) {
		nf->failed = 1;
		netfwd_close(nf, 1000);
		return -1;
	}
	return 0;
}

void netfwd_close(struct netfwd *nf, int timeout_ms)
{
	if (nf->ctl >= 0)
		close(nf->ctl);
	nf->ctl = -1;
	if (nf->pid > 0) {
		uint64_t end = monotonic_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
		for (;;) {
			pid_t r = waitpid(nf->pid, NULL, WNOHANG);
			if (r == nf->pid || (r < 0 && errno != EINTR))
				break;
			if (monotonic_ms() >= end) {
				kill(nf->pid, SIGKILL);
				waitpid(nf->pid, NULL, 0);
				break;
			}
			struct timespec ts = {0, 5 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	nf->pid = -1;
}

int netfwd_send_req(struct netfwd *nf, const struct netfwd_req *req)
{
	int sp[2];
	struct buf b;
	int rc;
	if (netfwd_start(nf) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	buf_init(&b, NETFWD_MAX_MSG);
	rc = netfwd_req_encode(req, &b);
	if (rc == 0)
		rc = netfwd_send_msg(nf->ctl, buf_rptr(&b), buf_avail(&b), &sp[1], 1);
	else
		errno = EINVAL;
	buf_free(&b);
	close(sp[1]);
	if (rc != 0) {
		int e = errno;
		close(sp[0]);
		errno = e;
		return -1;
	}
	set_nonblock(sp[0], 1);
	return sp[0];
}

int netfwd_recv_reply(int rsock, struct netfwd_reply *rep, int *fds, int maxfds)
{
	uint8_t msg[NETFWD_MAX_MSG + 1];
	int got[NETFWD_MAX_FDS], ngot;
	struct buf in;
	memset(rep, 0, sizeof(*rep));
	ssize_t n = netfwd_recv_msg(rsock, msg, sizeof(msg), got, NETFWD_MAX_FDS, &ngot);
	if (n <= 0) {
		memset(rep, 0, sizeof(*rep));
		snprintf(rep->err, sizeof(rep->err), "networking child: %s",
			 n == 0 ? "no reply" : strerror(errno));
		return -1;
	}
	buf_view(&in, msg, (size_t)n);
	if (netfwd_reply_decode(&in, rep) != 0 || rep->nfds != (uint32_t)ngot ||
	    (rep->ok && ngot == 0 && maxfds > 0) || (!rep->ok && ngot != 0)) {
		for (int i = 0; i < ngot; i++)
			close(got[i]);
		memset(rep, 0, sizeof(*rep));
		snprintf(rep->err, sizeof(rep->err), "networking child: malformed reply");
		return -1;
	}
	int keep = 0;
	for (int i = 0; i < ngot; i++) {
		if (keep < maxfds)
			fds[keep++] = got[i];
		else
			close(got[i]);
	}
	rep->nfds = (uint32_t)keep;
	if (!rep->ok)
		return -1;
	return 0;
}

int netfwd_request(struct netfwd *nf, const struct netfwd_req *req, struct netfwd_reply *rep, int *fds,
		   int maxfds)
{
	memset(rep, 0, sizeof(*rep));
	int rs = netfwd_send_req(nf, req);
	if (rs < 0) {
		snprintf(rep->err, sizeof(rep->err), "networking child unavailable: %s", strerror(errno));
		return -1;
	}
	uint64_t tmo = (req->timeout_ms ? req->timeout_ms : NETFWD_DEFAULT_TIMEOUT_MS) + 2000u;
	uint64_t deadline = monotonic_ms() + tmo;
	for (;;) {
		uint64_t now = monotonic_ms();
		if (now >= deadline) {
			close(rs);
			snprintf(rep->err, sizeof(rep->err), "networking child: timed out");
			return -1;
		}
		struct pollfd p = {.fd = rs, .events = POLLIN};
		int r = poll(&p, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(rep->err, sizeof(rep->err), "poll: %s", strerror(errno));
			close(rs);
			return -1;
		}
		if (r == 0)
			continue;
		break;
	}
	int rc = netfwd_recv_reply(rs, rep, fds, maxfds);
	close(rs);
	return rc;
}

static void fill_req(struct netfwd_req *r, int op, int net, const char *addr, unsigned port,
		     unsigned timeout_ms)
{
	memset(r, 0, sizeof(*r));
	r->op = (uint8_t)op;
	r->net = (uint8_t)net;
	r->port = port;
	r->timeout_ms = timeout_ms ? timeout_ms : NETFWD_DEFAULT_TIMEOUT_MS;
	if (addr)
		snprintf(r->addr, sizeof(r->addr), "%s", addr);
}

static int addr_fits(const char *addr)
{
	return addr && strlen(addr) <= NETFWD_MAX_ADDR;
}

/* A validated DIAL request; -1 with err set when the target is unusable. */
static int dial_req(struct netfwd_req *r, int net, const char *addr, unsigned port, unsigned timeout_ms,
		    char *err, size_t errlen)
{
	if (!addr_fits(addr) || timeout_ms > NETFWD_MAX_TIMEOUT_MS) {
		snprintf(err, errlen, "invalid address");
		return -1;
	}
	fill_req(r, NETFWD_OP_DIAL, net, addr, port, timeout_ms);
	if (!netfwd_req_valid(r)) {
		snprintf(err, errlen, "invalid address");
		return -1;
	}
	return 0;
}

int netfwd_dial(struct netfwd *nf, int net, const char *addr, unsigned port, unsigned timeout_ms, int *fd_out,
		char *err, size_t errlen)
{
	struct netfwd_req r;
	struct netfwd_reply rep;
	*fd_out = -1;
	if (dial_req(&r, net, addr, port, timeout_ms, err, errlen) < 0)
		return -1;
	if (netfwd_request(nf, &r, &rep, fd_out, 1) < 0) {
		snprintf(err, errlen, "%s", rep.err);
		return -1;
	}
	return 0;
}

int netfwd_dial_start(struct netfwd *nf, int net, const char *addr, unsigned port, unsigned timeout_ms,
		      char *err, size_t errlen)
{
	struct netfwd_req r;
	if (dial_req(&r, net, addr, port, timeout_ms, err, errlen) < 0)
		return -1;
	int rs = netfwd_send_req(nf, &r);
	if (rs < 0)
		snprintf(err, errlen, "networking child unavailable: %s", strerror(errno));
	return rs;
}

int netfwd_dial_finish(int rsock, int *fd_out, char *err, size_t errlen)
{
	struct netfwd_reply rep;
	*fd_out = -1;
	if (netfwd_recv_reply(rsock, &rep, fd_out, 1) < 0) {
		snprintf(err, errlen, "%s", rep.err[0] ? rep.err : "dial failed");
		return -1;
	}
	return 0;
}

int netfwd_listen(struct netfwd *nf, int net, const char *addr, unsigned port, unsigned flags, unsigned mask,
		  int *fds, int *nfds, unsigned *bound_port, char *err, size_t errlen)
{
	struct netfwd_req r;
	struct netfwd_reply rep;
	*nfds = 0;
	if (!addr_fits(addr)) {
		snprintf(err, errlen, "invalid address");
		return -1;
	}
	fill_req(&r, NETFWD_OP_LISTEN, net, addr, port, 0);
	r.flags = flags;
	r.mode = net == NETFWD_NET_UNIX ? mask : 0;
	if (!netfwd_req_valid(&r)) {
		snprintf(err, errlen, "invalid address");
		return -1;
	}
	if (netfwd_request(nf, &r, &rep, fds, NETFWD_MAX_FDS) < 0) {
		snprintf(err, errlen, "%s", rep.err);
		return -1;
	}
	*nfds = (int)rep.nfds;
	if (bound_port)
		*bound_port = rep.port;
	return 0;
}

int netfwd_listen_agent(struct netfwd *nf, int *fd_out, char *path_out, size_t pathlen, char *err,
			size_t errlen)
{
	struct netfwd_req r;
	struct netfwd_reply rep;
	*fd_out = -1;
	fill_req(&r, NETFWD_OP_LISTEN_AGENT, NETFWD_NET_NONE, "", 0, 0);
	if (netfwd_request(nf, &r, &rep, fd_out, 1) < 0) {
		snprintf(err, errlen, "%s", rep.err);
		return -1;
	}
	if (rep.path[0] != '/' || strlen(rep.path) >= pathlen) {
		close(*fd_out);
		*fd_out = -1;
		snprintf(err, errlen, "bad agent socket path");
		return -1;
	}
	snprintf(path_out, pathlen, "%s", rep.path);
	return 0;
}

int netfwd_unlink(struct netfwd *nf, const char *path)
{
	struct netfwd_req r;
	struct netfwd_reply rep;
	if (nf->ctl < 0 || !path || strlen(path) > NETFWD_MAX_PATH)
		return -1;
	fill_req(&r, NETFWD_OP_UNLINK, NETFWD_NET_UNIX, path, 0, 0);
	if (!netfwd_req_valid(&r))
		return -1;
	return netfwd_request(nf, &r, &rep, NULL, 0);
}

int netfwd_start(struct netfwd *nf)
{
	int sp[2];
	if (nf->ctl >= 0)
		return 0;
	if (nf->failed) {
		errno = ECHILD;
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		nf->failed = 1;
		return -1;
	}
	struct spawn_fd map[] = {{3, sp[1]}, {2, 2}};
	struct spawn_opts o;
	memset(&o, 0, sizeof(o));
	o.fds = map;
	o.nfds = ARRAY_LEN(map);
	o.pdeathsig = SIGTERM;
	char *args[] = {"--log-level", (char *)(uintptr_t)log_level_name(log_get_level()), NULL};
	pid_t pid = spawn_applet("networking", args, &o);
	int e = errno;
	close(sp[1]);
	if (pid < 0) {
		close(sp[0]);
		nf->failed = 1;
		log_error("networking: cannot start child: %s", strerror(e));
		errno = e;
		return -1;
	}
	log_debug("networking: child %ld started", (long)pid);
	return netfwd_attach(nf, sp[0], pid);
}
