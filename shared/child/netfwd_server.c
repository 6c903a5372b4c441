/* netfwd_server: the networking child's server loop (runs as the user,
 * in the helper). See netfwd_server.h and, for the protocol, netfwd.h. */
#include "netfwd_server.h"

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
#include "netfwd.h"
#include "privdrop.h"
#include "util.h"

#define NETFWD_MAX_WORKERS 128
#define NETFWD_MAX_CREATED 64

/* ---- child side ------------------------------------------------------------ */

struct created {
	char path[NETFWD_MAX_PATH + 1];
	char dir[NETFWD_MAX_PATH + 1]; /* agent: private directory to rmdir */
	dev_t dev;
	ino_t ino;
	int used;
};

static struct created created[NETFWD_MAX_CREATED];
static volatile sig_atomic_t got_term;
static int n_workers;

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static void remove_created(struct created *c)
{
	struct stat st;
	if (!c->used)
		return;
	/* Remove only the very socket we made, not whatever replaced it. */
	if (lstat(c->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	if (c->dir[0])
		rmdir(c->dir);
	memset(c, 0, sizeof(*c));
}

static void remove_all_created(void)
{
	for (size_t i = 0; i < ARRAY_LEN(created); i++)
		remove_created(&created[i]);
}

static struct created *track(const char *path, const char *dir)
{
	struct stat st;
	for (size_t i = 0; i < ARRAY_LEN(created); i++) {
		struct created *c = &created[i];
		if (c->used)
			continue;
		if (lstat(path, &st) != 0)
			return NULL;
		snprintf(c->path, sizeof(c->path), "%s", path);
		snprintf(c->dir, sizeof(c->dir), "%s", dir ? dir : "");
		c->dev = st.st_dev;
		c->ino = st.st_ino;
		c->used = 1;
		return c;
	}
	return NULL;
}

static void reply_err(int rsock, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply_err(int rsock, const char *fmt, ...)
{
	struct netfwd_reply rep;
	struct buf b;
	va_list ap;
	memset(&rep, 0, sizeof(rep));
	va_start(ap, fmt);
	vsnprintf(rep.err, sizeof(rep.err), fmt, ap);
	va_end(ap);
	buf_init(&b, NETFWD_MAX_MSG);
	if (netfwd_reply_encode(&rep, &b) == 0)
		(void)netfwd_send_msg(rsock, buf_rptr(&b), buf_avail(&b), NULL, 0);
	buf_free(&b);
}

static int reply_ok(int rsock, uint32_t port, const char *path, const int *fds, int nfds)
{
	struct netfwd_reply rep;
	struct buf b;
	int rc = -1;
	memset(&rep, 0, sizeof(rep));
	rep.ok = 1;
	rep.port = port;
	rep.nfds = (uint32_t)nfds;
	if (path)
		snprintf(rep.path, sizeof(rep.path), "%s", path);
	buf_init(&b, NETFWD_MAX_MSG);
	if (netfwd_reply_encode(&rep, &b) == 0)
		rc = netfwd_send_msg(rsock, buf_rptr(&b), buf_avail(&b), fds, nfds);
	buf_free(&b);
	return rc;
}

static int wait_connect(int fd, uint64_t deadline)
{
	for (;;) {
		uint64_t now = monotonic_ms();
		if (now >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int r = poll(&p, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			return -1;
		if (soerr) {
			errno = soerr;
			return -1;
		}
		return 0;
	}
}

static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t len, uint64_t deadline)
{
	if (set_nonblock(fd, 1) < 0)
		return -1;
	if (connect(fd, sa, len) < 0) {
		if (errno != EINPROGRESS && errno != EAGAIN && errno != EINTR)
			return -1;
		if (wait_connect(fd, deadline) < 0)
			return -1;
	}
	return set_nonblock(fd, 0);
}

static int make_sun(const char *path, struct sockaddr_un *sun, socklen_t *len)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun->sun_path, path, n);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

/* Runs in a forked worker. */
static void do_dial(int rsock, const struct netfwd_req *r)
{
	uint64_t deadline = monotonic_ms() + r->timeout_ms;
	int fd = -1;
	if (r->net == NETFWD_NET_UNIX) {
		struct sockaddr_un sun;
		socklen_t len;
		if (make_sun(r->addr, &sun, &len) < 0 ||
		    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
		    connect_timeout(fd, (struct sockaddr *)&sun, len, deadline) < 0) {
			int e = errno;
			reply_err(rsock, "connect to unix socket %s: %s", r->addr, strerror(e));
			if (fd >= 0)
				close(fd);
			return;
		}
	} else {
		struct addrinfo hints, *res = NULL;
		char portstr[8];
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICSERV;
		snprintf(portstr, sizeof(portstr), "%u", (unsigned)r->port);
		int g = getaddrinfo(r->addr, portstr, &hints, &res);
		if (g != 0) {
			reply_err(rsock, "resolve %s: %s", r->addr, gai_strerror(g));
			return;
		}
		int e = ECONNREFUSED;
		for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd < 0) {
				e = errno;
				continue;
			}
			if (connect_timeout(fd, ai->ai_addr, ai->ai_addrlen, deadline) == 0)
				break;
			e = errno;
			close(fd);
			fd = -1;
			if (e == ETIMEDOUT)
				break;
		}
		freeaddrinfo(res);
		if (fd < 0) {
			reply_err(rsock, "connect to %s port %u: %s", r->addr, (unsigned)r->port,
				  strerror(e));
			return;
		}
	}
	reply_ok(rsock, 0, NULL, &fd, 1);
	close(fd);
}

/* Binds and listens one address; *port 0 = allocate (then set). */
static int listen_one(struct addrinfo *ai, unsigned *port, int *e)
{
	if (ai->ai_family == AF_INET)
		((struct sockaddr_in *)ai->ai_addr)->sin_port = htons((uint16_t)*port);
	else
		((struct sockaddr_in6 *)ai->ai_addr)->sin6_port = htons((uint16_t)*port);
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*e = errno;
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		*e = errno;
		close(fd);
		return -1; /* an unavailable second family (no IPv6) is not fatal */
	}
	if (*port == 0) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
			if (ss.ss_family == AF_INET)
				*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
			else
				*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		}
	}
	return fd;
}

static void do_listen_tcp(int rsock, const struct netfwd_req *r)
{
	struct addrinfo hints, *res = NULL;
	char portstr[8];
	const char *node = NULL;
	int fds[NETFWD_MAX_FDS], n = 0, e = EADDRNOTAVAIL;
	unsigned port = r->port;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (r->addr[0] == '\0' || strcmp(r->addr, "*") == 0)
		hints.ai_flags |= AI_PASSIVE; /* wildcard */
	else if (strcmp(r->addr, "localhost") != 0)
		node = r->addr; /* loopback when node == NULL */
	snprintf(portstr, sizeof(portstr), "%u", port);
	int g = getaddrinfo(node, portstr, &hints, &res);
	if (g != 0) {
		reply_err(rsock, "resolve %s: %s", r->addr, gai_strerror(g));
		return;
	}
	/* IPv4 first: a port allocated there is then reused for IPv6. */
	for (int pass = 0; pass < 2; pass++) {
		int fam = pass == 0 ? AF_INET : AF_INET6;
		for (struct addrinfo *ai = res; ai && n < NETFWD_MAX_FDS; ai = ai->ai_next) {
			if (ai->ai_family != fam)
				continue;
			int fd = listen_one(ai, &port, &e);
			if (fd >= 0)
				fds[n++] = fd;
		}
	}
	freeaddrinfo(res);
	if (n == 0) {
		reply_err(rsock, "listen on %s port %u: %s", r->addr[0] ? r->addr : "*", (unsigned)r->port,
			  strerror(e));
		return;
	}
	reply_ok(rsock, port, NULL, fds, n);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* Creates, binds and listens a unix socket at path with the given umask;
 * records it for removal. Returns the fd or -1 (errno). */
static int listen_unix(const char *path, unsigned mask, int unlink_existing, const char *dir)
{
	struct sockaddr_un sun;
	socklen_t len;
	struct stat st;
	int fd;
	if (make_sun(path, &sun, &len) < 0)
		return -1;
	if (unlink_existing && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	mode_t old = umask((mode_t)mask);
	int rc = bind(fd, (struct sockaddr *)&sun, len);
	umask(old);
	if (rc < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (listen(fd, 128) < 0 || !track(path, dir)) {
		int e = errno ? errno : ENOSPC;
		unlink(path);
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void do_listen_unix(int rsock, const struct netfwd_req *r)
{
	errno = 0;
	int fd = listen_unix(r->addr, r->mode, !!(r->flags & NETFWD_F_UNLINK_EXISTING), NULL);
	if (fd < 0) {
		reply_err(rsock, "listen on unix socket %s: %s", r->addr, strerror(errno));
		return;
	}
	if (reply_ok(rsock, 0, NULL, &fd, 1) < 0) {
		/* The parent gave up: nobody will ever accept on it. */
		for (size_t i = 0; i < ARRAY_LEN(created); i++)
			if (created[i].used && strcmp(created[i].path, r->addr) == 0)
				remove_created(&created[i]);
	}
	close(fd);
}

static void do_listen_agent(int rsock)
{
	char dir[] = "/tmp/sshbox-agent.XXXXXX";
	char path[NETFWD_MAX_PATH + 1];
	if (!mkdtemp(dir)) { /* mode 0700, owned by us (the user) */
		reply_err(rsock, "agent directory: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/agent.%ld", dir, (long)getppid());
	errno = 0;
	int fd = listen_unix(path, 0177, 0, dir);
	if (fd < 0) {
		reply_err(rsock, "agent socket: %s", strerror(errno));
		rmdir(dir);
		return;
	}
	if (reply_ok(rsock, 0, path, &fd, 1) < 0) {
		for (size_t i = 0; i < ARRAY_LEN(created); i++)
			if (created[i].used && strcmp(created[i].path, path) == 0)
				remove_created(&created[i]);
	}
	close(fd);
}

static void do_unlink(int rsock, const struct netfwd_req *r)
{
	for (size_t i = 0; i < ARRAY_LEN(created); i++) {
		if (created[i].used && strcmp(created[i].path, r->addr) == 0) {
			remove_created(&created[i]);
			reply_ok(rsock, 0, NULL, NULL, 0);
			return;
		}
	}
	reply_err(rsock, "not a socket this connection created");
}

static void reap_workers(int block)
{
	int st;
	pid_t p;
	while (n_workers > 0 && (p = waitpid(-1, &st, block ? 0 : WNOHANG)) > 0) {
		n_workers--;
		block = 0;
	}
}

static int drop_to_user(const struct netfwd_hello *h)
{
	static gid_t groups[PRIVDROP_MAX_GROUPS];
	int ng = PRIVDROP_MAX_GROUPS;
	if (geteuid() != 0) {
		/* Not root: we can only be the user already (privdrop checks). */
		return privdrop((uid_t)h->uid, (gid_t)h->gid, NULL, 0);
	}
	if (getgrouplist(h->name, (gid_t)h->gid, groups, &ng) < 0 || ng < 0)
		ng = 0; /* too many or unknown: just the primary group */
	return privdrop((uid_t)h->uid, (gid_t)h->gid, groups, (size_t)ng);
}

static void serve_one(int ctl, const uint8_t *msg, size_t n, int rsock)
{
	struct netfwd_req r;
	struct buf in;
	buf_view(&in, msg, n);
	if (netfwd_req_decode(&in, &r) != 0) {
		log_warn("networking: malformed request (%zu bytes)", n);
		reply_err(rsock, "malformed request");
		return;
	}
	switch (r.op) {
	case NETFWD_OP_DIAL: {
		if (n_workers >= NETFWD_MAX_WORKERS)
			reap_workers(1);
		pid_t p = fork();
		if (p < 0) {
			reply_err(rsock, "fork: %s", strerror(errno));
			return;
		}
		if (p == 0) {
			close(ctl);
			signal(SIGTERM, SIG_DFL);
			alarm(r.timeout_ms / 1000 + 5); /* backstop for a stuck resolver */
			do_dial(rsock, &r);
			_exit(0);
		}
		n_workers++;
		return;
	}
	case NETFWD_OP_LISTEN:
		if (r.net == NETFWD_NET_TCP)
			do_listen_tcp(rsock, &r);
		else
			do_listen_unix(rsock, &r);
		return;
	case NETFWD_OP_LISTEN_AGENT:
		do_listen_agent(rsock);
		return;
	case NETFWD_OP_UNLINK:
		do_unlink(rsock, &r);
		return;
	}
}

int netfwd_serve(int ctl, int (*enter_sandbox)(void))
{
	uint8_t msg[NETFWD_MAX_MSG + 1];
	int fds[1], nfds;
	struct netfwd_hello hello;
	struct buf in;
	struct sigaction sa;
	ssize_t n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	memset(created, 0, sizeof(created));
	n_workers = 0;

	/* HELLO (no fds). */
	n = netfwd_recv_msg(ctl, msg, sizeof(msg), fds, 1, &nfds);
	if (n > 0 && nfds > 0) {
		close(fds[0]);
		n = -1;
	}
	if (n <= 0 || (size_t)n > NETFWD_MAX_MSG) {
		log_error("networking: no hello from parent");
		return 255;
	}
	buf_view(&in, msg, (size_t)n);
	if (netfwd_hello_decode(&in, &hello) != 0) {
		log_error("networking: malformed hello");
		return 255;
	}
	if (drop_to_user(&hello) < 0) {
		log_error("networking: cannot drop privileges to uid %u: %s", (unsigned)hello.uid,
			  strerror(errno));
		return 255;
	}
	/* Parent death: the credential change cleared any earlier setting. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* Relative unix-socket paths resolve against home, as in OpenSSH;
	 * "/" always exists, so a failure there only leaves the cwd as is. */
	if ((hello.home[0] == '\0' || chdir(hello.home) < 0) && chdir("/") < 0)
		log_debug("networking: chdir /: %s", strerror(errno));
	log_debug("networking: serving uid %u", (unsigned)hello.uid);
	if (enter_sandbox && enter_sandbox() < 0)
		return 255;

	while (!got_term) {
		struct pollfd p = {.fd = ctl, .events = POLLIN};
		int pr = poll(&p, 1, n_workers ? 1000 : -1);
		reap_workers(0);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			break;
		if (pr == 0)
			continue;
		n = netfwd_recv_msg(ctl, msg, sizeof(msg), fds, 1, &nfds);
		if (n == 0)
			break; /* EOF: the connection ended */
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == EMSGSIZE) {
				log_warn("networking: oversized request dropped");
				continue;
			}
			break;
		}
		if (nfds != 1) {
			log_warn("networking: request without reply socket dropped");
			continue;
		}
		if ((size_t)n > NETFWD_MAX_MSG)
			reply_err(fds[0], "request too long");
		else
			serve_one(ctl, msg, (size_t)n, fds[0]);
		close(fds[0]);
	}
	remove_all_created();
	return 0;
}
