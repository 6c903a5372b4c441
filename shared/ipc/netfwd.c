/* netfwd: networking child protocol, server loop and client. See netfwd.h. */
#include "netfwd.h"

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
#include "privdrop.h"
#include "spawn.h"
#include "util.h"

#define NETFWD_VERSION 1
#define NETFWD_MAX_WORKERS 128
#define NETFWD_MAX_CREATED 64

/* ---- validation ------------------------------------------------------- */

/* Host names/addresses: printable ASCII without spaces or shell-ish bytes.
 * Empty allowed (wildcard). */
static int valid_host(const char *s)
{
	size_t n = strlen(s);
	if (n > NETFWD_MAX_ADDR)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == ':' || c == '_' || c == '%' || c == '*'))
			return 0;
	}
	return 1;
}

/* Unix socket paths: non-empty, fits sun_path, no control bytes. */
static int valid_path(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > NETFWD_MAX_PATH)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int valid_req(const struct netfwd_req *r)
{
	switch (r->op) {
	case NETFWD_OP_DIAL:
	case NETFWD_OP_LISTEN:
		if (r->net == NETFWD_NET_TCP) {
			if (r->port > 65535 || !valid_host(r->addr))
				return 0;
			if (r->op == NETFWD_OP_DIAL && (r->port == 0 || r->addr[0] == '\0'))
				return 0;
			return 1;
		}
		if (r->net == NETFWD_NET_UNIX)
			return r->port == 0 && valid_path(r->addr) && r->mode <= 0777;
		return 0;
	case NETFWD_OP_LISTEN_AGENT:
		return r->net == NETFWD_NET_NONE && r->addr[0] == '\0';
	case NETFWD_OP_UNLINK:
		return r->net == NETFWD_NET_UNIX && valid_path(r->addr);
	default:
		return 0;
	}
}

/* ---- encoding ----------------------------------------------------------- */

int netfwd_req_encode(const struct netfwd_req *r, struct buf *out)
{
	int rc;
	if (!valid_req(r) || r->timeout_ms > NETFWD_MAX_TIMEOUT_MS)
		return BUF_ERR_FORMAT;
	if ((rc = buf_put_u8(out, NETFWD_VERSION)) || (rc = buf_put_u8(out, r->op)) ||
	    (rc = buf_put_u8(out, r->net)) || (rc = buf_put_u32(out, r->port)) ||
	    (rc = buf_put_u32(out, r->timeout_ms)) || (rc = buf_put_u32(out, r->flags)) ||
	    (rc = buf_put_u32(out, r->mode)) || (rc = buf_put_cstring(out, r->addr)))
		return rc;
	return buf_avail(out) > NETFWD_MAX_MSG ? BUF_ERR_LIMIT : 0;
}

int netfwd_req_decode(struct buf *in, struct netfwd_req *r)
{
	uint8_t ver;
	int rc;
	memset(r, 0, sizeof(*r));
	if (buf_avail(in) > NETFWD_MAX_MSG)
		return BUF_ERR_LIMIT;
	if ((rc = buf_get_u8(in, &ver)))
		return rc;
	if (ver != NETFWD_VERSION)
		return BUF_ERR_FORMAT;
	if ((rc = buf_get_u8(in, &r->op)) || (rc = buf_get_u8(in, &r->net)) ||
	    (rc = buf_get_u32(in, &r->port)) || (rc = buf_get_u32(in, &r->timeout_ms)) ||
	    (rc = buf_get_u32(in, &r->flags)) || (rc = buf_get_u32(in, &r->mode)) ||
	    (rc = buf_get_cstring_into(in, r->addr, sizeof(r->addr))))
		return rc;
	if (buf_avail(in) != 0)
		return BUF_ERR_FORMAT;
	if (r->timeout_ms == 0)
		r->timeout_ms = NETFWD_DEFAULT_TIMEOUT_MS;
	if (r->timeout_ms > NETFWD_MAX_TIMEOUT_MS || (r->flags & ~NETFWD_F_UNLINK_EXISTING) || !valid_req(r))
		return BUF_ERR_FORMAT;
	return 0;
}

int netfwd_hello_encode(const struct netfwd_hello *h, struct buf *out)
{
	int rc;
	if ((rc = buf_put_u8(out, NETFWD_VERSION)) || (rc = buf_put_u8(out, NETFWD_OP_HELLO)) ||
	    (rc = buf_put_u32(out, h->uid)) || (rc = buf_put_u32(out, h->gid)) ||
	    (rc = buf_put_cstring(out, h->name)) || (rc = buf_put_cstring(out, h->home)))
		return rc;
	return buf_avail(out) > NETFWD_MAX_MSG ? BUF_ERR_LIMIT : 0;
}

int netfwd_hello_decode(struct buf *in, struct netfwd_hello *h)
{
	uint8_t ver, op;
	int rc;
	memset(h, 0, sizeof(*h));
	if ((rc = buf_get_u8(in, &ver)) || (rc = buf_get_u8(in, &op)))
		return rc;
	if (ver != NETFWD_VERSION || op != NETFWD_OP_HELLO)
		return BUF_ERR_FORMAT;
	if ((rc = buf_get_u32(in, &h->uid)) || (rc = buf_get_u32(in, &h->gid)) ||
	    (rc = buf_get_cstring_into(in, h->name, sizeof(h->name))) ||
	    (rc = buf_get_cstring_into(in, h->home, sizeof(h->home))))
		return rc;
	if (buf_avail(in) != 0 || h->name[0] == '\0' || h->uid == (uint32_t)-1 || h->gid == (uint32_t)-1)
		return BUF_ERR_FORMAT;
	return 0;
}

int netfwd_reply_encode(const struct netfwd_reply *r, struct buf *out)
{
	int rc;
	if ((rc = buf_put_u8(out, NETFWD_VERSION)) || (rc = buf_put_u8(out, r->ok ? 1 : 0)) ||
	    (rc = buf_put_u32(out, r->port)) || (rc = buf_put_u32(out, r->nfds)) ||
	    (rc = buf_put_cstring(out, r->path)) || (rc = buf_put_cstring(out, r->err)))
		return rc;
	return 0;
}

int netfwd_reply_decode(struct buf *in, struct netfwd_reply *r)
{
	uint8_t ver;
	int rc;
	memset(r, 0, sizeof(*r));
	if ((rc = buf_get_u8(in, &ver)) || (rc = buf_get_u8(in, &r->ok)) ||
	    (rc = buf_get_u32(in, &r->port)) || (rc = buf_get_u32(in, &r->nfds)) ||
	    (rc = buf_get_cstring_into(in, r->path, sizeof(r->path))) ||
	    (rc = buf_get_cstring_into(in, r->err, sizeof(r->err))))
		return rc;
	if (ver != NETFWD_VERSION || r->ok > 1 || r->port > 65535 || r->nfds > NETFWD_MAX_FDS ||
	    buf_avail(in) != 0)
		return BUF_ERR_FORMAT;
	return 0;
}

/* ---- SCM_RIGHTS ----------------------------------------------------------- */

int netfwd_send_msg(int sock, const void *p, size_t n, const int *fds, int nfds)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * NETFWD_MAX_FDS)];
	} cm;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)p, .iov_len = n};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds < 0 || nfds > NETFWD_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	if (nfds > 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	for (;;) {
		ssize_t w = sendmsg(sock, &mh, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if ((size_t)w != n) {
			errno = EMSGSIZE;
			return -1;
		}
		return 0;
	}
}

ssize_t netfwd_recv_msg(int sock, void *p, size_t cap, int *fds, int maxfds, int *nfds)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * NETFWD_MAX_FDS)];
	} cm;
	struct iovec iov = {.iov_base = p, .iov_len = cap};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
			    .msg_controllen = sizeof(cm.b)};
	ssize_t r;
	int got = 0, bad = 0;
	*nfds = 0;
	if (maxfds > NETFWD_MAX_FDS)
		maxfds = NETFWD_MAX_FDS;
	do
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0))
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (got < maxfds)
				fds[got++] = fd;
			else {
				close(fd);
				bad = 1;
			}
		}
	}
	if (bad || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		for (int i = 0; i < got; i++)
			close(fds[i]);
		errno = EMSGSIZE;
		return -1;
	}
	*nfds = got;
	return r;
}

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
			reply_err(rsock, "connect to %s port %u: %s", r->addr, (unsigned)r->port, strerror(e));
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
		hints.ai_flags |= AI_PASSIVE;       /* wildcard */
	else if (strcmp(r->addr, "localhost") != 0)
		node = r->addr;                     /* loopback when node == NULL */
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

int netfwd_serve(int ctl)
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
		log_error("networking: cannot drop privileges to uid %u: %s", (unsigned)hello.uid, strerror(errno));
		return 255;
	}
	/* Parent death: the credential change cleared any earlier setting. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* Relative unix-socket paths resolve against home, as in OpenSSH;
	 * "/" always exists, so a failure there only leaves the cwd as is. */
	if ((hello.home[0] == '\0' || chdir(hello.home) < 0) && chdir("/") < 0)
		log_debug("networking: chdir /: %s", strerror(errno));
	log_debug("networking: serving uid %u", (unsigned)hello.uid);

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
	if (netfwd_reply_decode(&in, rep) != 0 || rep->nfds != (uint32_t)ngot || (rep->ok && ngot == 0 && maxfds > 0) ||
	    (!rep->ok && ngot != 0)) {
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

static void fill_req(struct netfwd_req *r, int op, int net, const char *addr, unsigned port, unsigned timeout_ms)
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
static int dial_req(struct netfwd_req *r, int net, const char *addr, unsigned port, unsigned timeout_ms, char *err,
		    size_t errlen)
{
	if (!addr_fits(addr) || timeout_ms > NETFWD_MAX_TIMEOUT_MS) {
		snprintf(err, errlen, "invalid address");
		return -1;
	}
	fill_req(r, NETFWD_OP_DIAL, net, addr, port, timeout_ms);
	if (!valid_req(r)) {
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

int netfwd_dial_start(struct netfwd *nf, int net, const char *addr, unsigned port, unsigned timeout_ms, char *err,
		      size_t errlen)
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
	if (!valid_req(&r)) {
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

int netfwd_listen_agent(struct netfwd *nf, int *fd_out, char *path_out, size_t pathlen, char *err, size_t errlen)
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
	if (!valid_req(&r))
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
