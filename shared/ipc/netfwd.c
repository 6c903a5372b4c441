/* netfwd: the networking child protocol (validation, encoding, SCM_RIGHTS
 * messages). See netfwd.h; the server is shared/child/netfwd_server.c, the
 * client shared/ipc/netfwd_client.c. */
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

int netfwd_req_valid(const struct netfwd_req *r)
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
	if (!netfwd_req_valid(r) || r->timeout_ms > NETFWD_MAX_TIMEOUT_MS)
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
	if (r->timeout_ms > NETFWD_MAX_TIMEOUT_MS || (r->flags & ~NETFWD_F_UNLINK_EXISTING) ||
	    !netfwd_req_valid(r))
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
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b, .msg_controllen = sizeof(cm.b)};
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
