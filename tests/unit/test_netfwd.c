/* test_netfwd: networking child protocol (encode/decode, hostile input) and
 * a real run of the child's server loop in a forked process: dial tcp and
 * unix, listen on port 0, unix socket creation and removal, agent socket,
 * privilege drop (when root), fd hygiene. 127.0.0.1 only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "buf.h"
#include "log.h"
#include "netfwd_client.h"
#include "netfwd_server.h"
#include "spawn.h"
#include "t.h"
#include "t_net.h"
#include "util.h"

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

static void req_fill(struct netfwd_req *r, int op, int net, const char *addr, unsigned port)
{
	memset(r, 0, sizeof(*r));
	r->op = (uint8_t)op;
	r->net = (uint8_t)net;
	r->port = port;
	r->timeout_ms = 3000;
	snprintf(r->addr, sizeof(r->addr), "%s", addr);
}

TEST(req_roundtrip)
{
	struct netfwd_req r, d;
	struct buf b;
	buf_init(&b, 4096);
	req_fill(&r, NETFWD_OP_DIAL, NETFWD_NET_TCP, "example.org", 443);
	CHECK_EQ_INT(netfwd_req_encode(&r, &b), 0);
	CHECK(buf_avail(&b) <= NETFWD_MAX_MSG);
	CHECK_EQ_INT(netfwd_req_decode(&b, &d), 0);
	CHECK_EQ_INT(d.op, NETFWD_OP_DIAL);
	CHECK_EQ_INT(d.net, NETFWD_NET_TCP);
	CHECK_EQ_INT(d.port, 443);
	CHECK_EQ_INT(d.timeout_ms, 3000);
	CHECK_STR(d.addr, "example.org");
	buf_reset(&b);

	req_fill(&r, NETFWD_OP_LISTEN, NETFWD_NET_UNIX, "/tmp/x.sock", 0);
	r.mode = 0177;
	r.flags = NETFWD_F_UNLINK_EXISTING;
	CHECK_EQ_INT(netfwd_req_encode(&r, &b), 0);
	CHECK_EQ_INT(netfwd_req_decode(&b, &d), 0);
	CHECK_EQ_INT(d.mode, 0177);
	CHECK_EQ_INT(d.flags, NETFWD_F_UNLINK_EXISTING);
	CHECK_STR(d.addr, "/tmp/x.sock");
	buf_reset(&b);

	/* Longest allowed host name fits in one message. */
	char host[NETFWD_MAX_ADDR + 1];
	memset(host, 'a', NETFWD_MAX_ADDR);
	host[NETFWD_MAX_ADDR] = '\0';
	req_fill(&r, NETFWD_OP_DIAL, NETFWD_NET_TCP, host, 1);
	CHECK_EQ_INT(netfwd_req_encode(&r, &b), 0);
	CHECK_EQ_INT(netfwd_req_decode(&b, &d), 0);
	CHECK_EQ_INT(strlen(d.addr), NETFWD_MAX_ADDR);
	buf_free(&b);
}

/* Builds a raw request with arbitrary fields (bypassing encode's checks). */
static void raw_req(struct buf *b, uint8_t ver, uint8_t op, uint8_t net, uint32_t port, uint32_t tmo, uint32_t flags,
		    uint32_t mode, const void *addr, size_t alen)
{
	buf_reset(b);
	buf_put_u8(b, ver);
	buf_put_u8(b, op);
	buf_put_u8(b, net);
	buf_put_u32(b, port);
	buf_put_u32(b, tmo);
	buf_put_u32(b, flags);
	buf_put_u32(b, mode);
	buf_put_string(b, addr, alen);
}

TEST(req_hostile)
{
	struct netfwd_req d;
	struct buf b, v;
	buf_init(&b, 1 << 20);

	raw_req(&b, 1, NETFWD_OP_DIAL, NETFWD_NET_TCP, 22, 0, 0, 0, "h", 1);
	CHECK_EQ_INT(netfwd_req_decode(&b, &d), 0); /* sanity: valid, default timeout */
	CHECK_EQ_INT(d.timeout_ms, NETFWD_DEFAULT_TIMEOUT_MS);

	/* every truncation fails */
	raw_req(&b, 1, NETFWD_OP_DIAL, NETFWD_NET_TCP, 22, 0, 0, 0, "host", 4);
	size_t full = buf_avail(&b);
	int bad = 0;
	for (size_t i = 0; i < full; i++) {
		buf_view(&v, buf_rptr(&b), i);
		if (netfwd_req_decode(&v, &d) == 0)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);

	struct {
		uint8_t ver, op, net;
		uint32_t port, tmo, flags, mode;
		const char *addr;
		size_t alen;
	} cases[] = {
		{2, NETFWD_OP_DIAL, NETFWD_NET_TCP, 22, 0, 0, 0, "h", 1},          /* version */
		{1, 0, NETFWD_NET_TCP, 22, 0, 0, 0, "h", 1},                       /* op */
		{1, NETFWD_OP_HELLO, NETFWD_NET_TCP, 22, 0, 0, 0, "h", 1},         /* hello as request */
		{1, 99, NETFWD_NET_TCP, 22, 0, 0, 0, "h", 1},                      /* op */
		{1, NETFWD_OP_DIAL, 7, 22, 0, 0, 0, "h", 1},                       /* net */
		{1, NETFWD_OP_DIAL, NETFWD_NET_TCP, 65536, 0, 0, 0, "h", 1},       /* port */
		{1, NETFWD_OP_DIAL, NETFWD_NET_TCP, 0, 0, 0, 0, "h", 1},           /* dial port 0 */
		{1, NETFWD_OP_DIAL, NETFWD_NET_TCP, 22, 0, 0, 0, "", 0},           /* dial no host */
		{1, NETFWD_OP_DIAL, NETFWD_NET_TCP, 22, 0, 0, 0, "a\0b", 3},       /* NUL */
		{1, NETFWD_OP_DIAL, NETFWD_NET_TCP, 22, 0, 0, 0, "a b", 3},        /* space */
		{1, NETFWD_OP_DIAL, NETFWD_NET_TCP, 22, 0, 0, 0, "a\nb", 3},       /* newline */
		{1, NETFWD_OP_DIAL, NETFWD_NET_TCP, 22, 0, 0, 0, "a/b", 3},        /* slash in host */
		{1, NETFWD_OP_DIAL, NETFWD_NET_TCP, 22, 999999, 0, 0, "h", 1},     /* timeout */
		{1, NETFWD_OP_DIAL, NETFWD_NET_TCP, 22, 0, 0x80, 0, "h", 1},       /* flags */
		{1, NETFWD_OP_DIAL, NETFWD_NET_UNIX, 0, 0, 0, 0, "", 0},           /* empty path */
		{1, NETFWD_OP_DIAL, NETFWD_NET_UNIX, 5, 0, 0, 0, "/p", 2},         /* port on unix */
		{1, NETFWD_OP_LISTEN, NETFWD_NET_UNIX, 0, 0, 0, 01000, "/p", 2},   /* mode */
		{1, NETFWD_OP_LISTEN, NETFWD_NET_UNIX, 0, 0, 0, 0, "/p\x01", 3},   /* control byte */
		{1, NETFWD_OP_LISTEN_AGENT, NETFWD_NET_NONE, 0, 0, 0, 0, "/x", 2}, /* agent with address */
		{1, NETFWD_OP_UNLINK, NETFWD_NET_TCP, 0, 0, 0, 0, "/x", 2},        /* unlink tcp */
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		raw_req(&b, cases[i].ver, cases[i].op, cases[i].net, cases[i].port, cases[i].tmo, cases[i].flags,
			cases[i].mode, cases[i].addr, cases[i].alen);
		if (netfwd_req_decode(&b, &d) == 0) {
			fprintf(stderr, "  hostile case %zu accepted\n", i);
			t_failed_now = 1;
		}
	}
	/* over-long path and host */
	char big[2000];
	memset(big, 'a', sizeof(big));
	big[0] = '/';
	raw_req(&b, 1, NETFWD_OP_DIAL, NETFWD_NET_UNIX, 0, 0, 0, 0, big, NETFWD_MAX_PATH + 1);
	CHECK(netfwd_req_decode(&b, &d) != 0);
	raw_req(&b, 1, NETFWD_OP_DIAL, NETFWD_NET_TCP, 1, 0, 0, 0, big + 1, NETFWD_MAX_ADDR + 1);
	CHECK(netfwd_req_decode(&b, &d) != 0);
	raw_req(&b, 1, NETFWD_OP_DIAL, NETFWD_NET_TCP, 1, 0, 0, 0, big + 1, sizeof(big) - 1);
	CHECK(netfwd_req_decode(&b, &d) != 0); /* over NETFWD_MAX_MSG */
	/* trailing garbage */
	raw_req(&b, 1, NETFWD_OP_DIAL, NETFWD_NET_TCP, 22, 0, 0, 0, "h", 1);
	buf_put_u8(&b, 0);
	CHECK(netfwd_req_decode(&b, &d) != 0);
	/* a length field claiming 4 GiB */
	buf_reset(&b);
	uint8_t hdr[] = {1, NETFWD_OP_DIAL, NETFWD_NET_TCP, 0, 0, 0, 22, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 'h'};
	buf_put(&b, hdr, sizeof(hdr));
	CHECK(netfwd_req_decode(&b, &d) != 0);

	/* encode refuses what decode would refuse */
	struct netfwd_req r;
	req_fill(&r, NETFWD_OP_DIAL, NETFWD_NET_TCP, "a b", 22);
	buf_reset(&b);
	CHECK(netfwd_req_encode(&r, &b) != 0);
	req_fill(&r, NETFWD_OP_LISTEN, NETFWD_NET_UNIX, "", 0);
	CHECK(netfwd_req_encode(&r, &b) != 0);
	buf_free(&b);
}

TEST(hello_and_reply)
{
	struct netfwd_hello h = {.uid = 1000, .gid = 1001}, hd;
	struct netfwd_reply r, rd;
	struct buf b, v;
	buf_init(&b, 4096);
	snprintf(h.name, sizeof(h.name), "alice");
	snprintf(h.home, sizeof(h.home), "/home/alice");
	CHECK_EQ_INT(netfwd_hello_encode(&h, &b), 0);
	CHECK_EQ_INT(netfwd_hello_decode(&b, &hd), 0);
	CHECK_EQ_INT(hd.uid, 1000);
	CHECK_EQ_INT(hd.gid, 1001);
	CHECK_STR(hd.name, "alice");
	CHECK_STR(hd.home, "/home/alice");
	buf_reset(&b);
	h.name[0] = '\0';
	netfwd_hello_encode(&h, &b);
	CHECK(netfwd_hello_decode(&b, &hd) != 0); /* empty user name */
	buf_reset(&b);

	memset(&r, 0, sizeof(r));
	r.ok = 1;
	r.port = 40000;
	r.nfds = 2;
	snprintf(r.path, sizeof(r.path), "/tmp/d/agent.1");
	CHECK_EQ_INT(netfwd_reply_encode(&r, &b), 0);
	size_t full = buf_avail(&b);
	int bad = 0;
	for (size_t i = 0; i < full; i++) {
		buf_view(&v, buf_rptr(&b), i);
		if (netfwd_reply_decode(&v, &rd) == 0)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(netfwd_reply_decode(&b, &rd), 0);
	CHECK_EQ_INT(rd.ok, 1);
	CHECK_EQ_INT(rd.port, 40000);
	CHECK_EQ_INT(rd.nfds, 2);
	CHECK_STR(rd.path, "/tmp/d/agent.1");
	buf_reset(&b);
	r.nfds = 99;
	netfwd_reply_encode(&r, &b);
	CHECK(netfwd_reply_decode(&b, &rd) != 0);
	buf_free(&b);
}

TEST(scm_rights)
{
	int sp[2], fds[NETFWD_MAX_FDS], n = -1;
	char msg[16];
	int base = count_fds();
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	int p[2];
	CHECK_EQ_INT(pipe(p), 0);
	int send_fds[3] = {p[0], p[1], p[0]};
	CHECK_EQ_INT(netfwd_send_msg(sp[0], "abc", 3, send_fds, 3), 0);
	/* receiver accepts only one: all are closed, the message fails */
	CHECK_EQ_INT(netfwd_recv_msg(sp[1], msg, sizeof(msg), fds, 1, &n), -1);
	CHECK_EQ_INT(errno, EMSGSIZE);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(netfwd_send_msg(sp[0], "abcd", 4, send_fds, 2), 0);
	CHECK_EQ_INT(netfwd_recv_msg(sp[1], msg, sizeof(msg), fds, 4, &n), 4);
	CHECK_EQ_INT(n, 2);
	CHECK(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	/* a message longer than the buffer is refused */
	CHECK_EQ_INT(netfwd_send_msg(sp[0], "0123456789abcdefXYZ", 19, send_fds, 1), 0);
	CHECK_EQ_INT(netfwd_recv_msg(sp[1], msg, sizeof(msg), fds, 4, &n), -1);
	close(p[0]);
	close(p[1]);
	close(sp[0]);
	CHECK_EQ_INT(netfwd_recv_msg(sp[1], msg, sizeof(msg), fds, 4, &n), 0); /* EOF */
	close(sp[1]);
	CHECK_EQ_INT(count_fds(), base);
}

/* ---- a real child --------------------------------------------------------- */

static pid_t start_child(struct netfwd *nf, uint32_t uid, uint32_t gid, const char *name)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		/* like spawn_applet: the child holds nothing but its socket */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != sp[1])
				close(fd);
		_exit(netfwd_serve(sp[1], NULL));
	}
	close(sp[1]);
	netfwd_init(nf, uid, gid, name, "/");
	if (netfwd_attach(nf, sp[0], pid) < 0)
		return -1;
	return pid;
}

static int child_exit(struct netfwd *nf)
{
	pid_t pid = nf->pid;
	int st = -1;
	close(nf->ctl);
	nf->ctl = -1;
	nf->pid = -1;
	for (int i = 0; i < 500; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static char tmpdir[64];

TEST(child_dial_tcp)
{
	struct netfwd nf;
	char err[256] = "";
	int fd = -1;
	unsigned port;
	int base = count_fds();
	int lfd = tcp_listener(&port);
	CHECK(lfd >= 0);
	CHECK(start_child(&nf, (uint32_t)getuid(), (uint32_t)getgid(), "self") > 0);

	CHECK_EQ_INT(netfwd_dial(&nf, NETFWD_NET_TCP, "127.0.0.1", port, 3000, &fd, err, sizeof(err)), 0);
	CHECK(fd >= 0);
	int afd = accept(lfd, NULL, NULL);
	CHECK(afd >= 0);
	CHECK(pipe_ok(fd, afd));
	CHECK(pipe_ok(afd, fd));
	close(afd);
	close(fd);

	/* "localhost" resolves too */
	CHECK_EQ_INT(netfwd_dial(&nf, NETFWD_NET_TCP, "localhost", port, 3000, &fd, err, sizeof(err)), 0);
	if (fd >= 0) {
		afd = accept(lfd, NULL, NULL);
		CHECK(afd >= 0);
		close(afd);
		close(fd);
	}
	close(lfd);

	/* refused: error string, no fd, child still alive */
	err[0] = '\0';
	fd = 7777;
	CHECK_EQ_INT(netfwd_dial(&nf, NETFWD_NET_TCP, "127.0.0.1", port, 3000, &fd, err, sizeof(err)), -1);
	CHECK_EQ_INT(fd, -1);
	CHECK(strstr(err, "refused") != NULL);
	/* hostile address is refused before it leaves */
	CHECK_EQ_INT(netfwd_dial(&nf, NETFWD_NET_TCP, "bad host", 22, 3000, &fd, err, sizeof(err)), -1);

	/* many concurrent dials through the async API */
	lfd = tcp_listener(&port);
	int rs[40], okc = 0;
	struct netfwd_req r;
	req_fill(&r, NETFWD_OP_DIAL, NETFWD_NET_TCP, "127.0.0.1", port);
	for (int i = 0; i < 40; i++)
		rs[i] = netfwd_send_req(&nf, &r);
	for (int i = 0; i < 40; i++) {
		struct netfwd_reply rep;
		struct pollfd p = {.fd = rs[i], .events = POLLIN};
		int cfd = -1;
		if (rs[i] >= 0 && poll(&p, 1, 5000) == 1 && netfwd_recv_reply(rs[i], &rep, &cfd, 1) == 0 && cfd >= 0) {
			okc++;
			close(cfd);
		}
		if (rs[i] >= 0)
			close(rs[i]);
	}
	CHECK_EQ_INT(okc, 40);
	close(lfd);
	CHECK_EQ_INT(child_exit(&nf), 0);
	CHECK_EQ_INT(count_fds(), base);
}

TEST(child_listen_tcp)
{
	struct netfwd nf;
	char err[256] = "";
	int fds[NETFWD_MAX_FDS], n = 0;
	unsigned port = 0;
	int base = count_fds();
	CHECK(start_child(&nf, (uint32_t)getuid(), (uint32_t)getgid(), "self") > 0);

	CHECK_EQ_INT(netfwd_listen(&nf, NETFWD_NET_TCP, "localhost", 0, 0, 0, fds, &n, &port, err, sizeof(err)), 0);
	CHECK(n >= 1);
	CHECK(port > 0 && port <= 65535);
	/* the listener is on loopback: a connection to 127.0.0.1:port arrives */
	int c = tcp_connect(port, NULL);
	CHECK(c >= 0);
	int got = -1;
	for (int i = 0; i < n; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		getsockname(fds[i], (struct sockaddr *)&ss, &sl);
		if (ss.ss_family == AF_INET) {
			CHECK_EQ_INT(((struct sockaddr_in *)&ss)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
			CHECK_EQ_INT(ntohs(((struct sockaddr_in *)&ss)->sin_port), port);
			got = accept(fds[i], NULL, NULL);
		}
	}
	CHECK(got >= 0);
	if (got >= 0 && c >= 0)
		CHECK(pipe_ok(c, got));
	if (got >= 0)
		close(got);
	if (c >= 0)
		close(c);

	/* the same port again fails with a reason */
	int fds2[NETFWD_MAX_FDS], n2 = 0;
	CHECK_EQ_INT(netfwd_listen(&nf, NETFWD_NET_TCP, "127.0.0.1", port, 0, 0, fds2, &n2, NULL, err, sizeof(err)), -1);
	CHECK(strstr(err, "in use") != NULL);
	CHECK_EQ_INT(n2, 0);
	for (int i = 0; i < n; i++)
		close(fds[i]);

	/* explicit address + explicit port */
	unsigned p2 = 0;
	CHECK_EQ_INT(netfwd_listen(&nf, NETFWD_NET_TCP, "127.0.0.1", port, 0, 0, fds, &n, &p2, err, sizeof(err)), 0);
	CHECK_EQ_INT(p2, port);
	CHECK_EQ_INT(n, 1);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	CHECK_EQ_INT(child_exit(&nf), 0);
	CHECK_EQ_INT(count_fds(), base);
}

TEST(child_unix)
{
	struct netfwd nf;
	char err[256] = "", path[128], path2[128];
	int fds[NETFWD_MAX_FDS], n = 0;
	struct stat st;
	int base = count_fds();
	snprintf(path, sizeof(path), "%s/fwd.sock", tmpdir);
	snprintf(path2, sizeof(path2), "%s/fwd2.sock", tmpdir);
	CHECK(start_child(&nf, (uint32_t)getuid(), (uint32_t)getgid(), "self") > 0);

	CHECK_EQ_INT(netfwd_listen(&nf, NETFWD_NET_UNIX, path, 0, 0, 0177, fds, &n, NULL, err, sizeof(err)), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(lstat(path, &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_EQ_INT(st.st_mode & 0777, 0600); /* umask 0177 */
	/* dial it through the child, accept here */
	int c = -1;
	CHECK_EQ_INT(netfwd_dial(&nf, NETFWD_NET_UNIX, path, 0, 3000, &c, err, sizeof(err)), 0);
	int a = accept(fds[0], NULL, NULL);
	CHECK(a >= 0 && c >= 0);
	if (a >= 0 && c >= 0)
		CHECK(pipe_ok(a, c));
	if (a >= 0)
		close(a);
	if (c >= 0)
		close(c);
	/* existing path without the unlink flag: refused */
	int f2[NETFWD_MAX_FDS], n2 = 0;
	CHECK_EQ_INT(netfwd_listen(&nf, NETFWD_NET_UNIX, path, 0, 0, 0177, f2, &n2, NULL, err, sizeof(err)), -1);
	CHECK(strstr(err, "in use") != NULL);
	/* unlink request removes it */
	CHECK_EQ_INT(netfwd_unlink(&nf, path), 0);
	CHECK(lstat(path, &st) < 0 && errno == ENOENT);
	close(fds[0]);
	/* unlink of a path it did not create is refused and nothing is removed */
	int own = open(path2, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	close(own);
	CHECK_EQ_INT(netfwd_unlink(&nf, path2), -1);
	CHECK_EQ_INT(lstat(path2, &st), 0);
	unlink(path2);
	/* a dial of a missing socket reports why */
	CHECK_EQ_INT(netfwd_dial(&nf, NETFWD_NET_UNIX, path, 0, 3000, &c, err, sizeof(err)), -1);
	CHECK(strstr(err, "No such file") != NULL);

	/* sockets left open at the end are removed when the connection ends */
	CHECK_EQ_INT(netfwd_listen(&nf, NETFWD_NET_UNIX, path2, 0, 0, 0177, fds, &n, NULL, err, sizeof(err)), 0);
	CHECK_EQ_INT(lstat(path2, &st), 0);
	close(fds[0]);
	char apath[128] = "";
	int afd = -1;
	CHECK_EQ_INT(netfwd_listen_agent(&nf, &afd, apath, sizeof(apath), err, sizeof(err)), 0);
	CHECK(strncmp(apath, "/tmp/sshbox-agent.", 18) == 0);
	CHECK_EQ_INT(lstat(apath, &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	char adir[128];
	snprintf(adir, sizeof(adir), "%s", apath);
	*strrchr(adir, '/') = '\0';
	CHECK_EQ_INT(lstat(adir, &st), 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0700);
	CHECK_EQ_INT(st.st_uid, getuid());
	int ac = unix_connect(apath);
	CHECK(ac >= 0);
	if (ac >= 0)
		close(ac);
	close(afd);
	CHECK_EQ_INT(child_exit(&nf), 0);
	CHECK(lstat(path2, &st) < 0 && errno == ENOENT);
	CHECK(lstat(apath, &st) < 0 && errno == ENOENT);
	CHECK(lstat(adir, &st) < 0 && errno == ENOENT);
	CHECK_EQ_INT(count_fds(), base);
}

TEST(child_hostile_wire)
{
	struct netfwd nf;
	struct netfwd_reply rep;
	int base = count_fds();
	CHECK(start_child(&nf, (uint32_t)getuid(), (uint32_t)getgid(), "self") > 0);
	/* a garbage request with a reply socket gets an error reply */
	int sp[2];
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	CHECK_EQ_INT(netfwd_send_msg(nf.ctl, "\x01\x02garbage", 9, &sp[1], 1), 0);
	close(sp[1]);
	struct pollfd p = {.fd = sp[0], .events = POLLIN};
	CHECK_EQ_INT(poll(&p, 1, 3000), 1);
	CHECK_EQ_INT(netfwd_recv_reply(sp[0], &rep, NULL, 0), -1);
	CHECK(strstr(rep.err, "malformed") != NULL);
	close(sp[0]);
	/* a request without a reply socket and an oversized one are dropped */
	CHECK_EQ_INT(netfwd_send_msg(nf.ctl, "\x01", 1, NULL, 0), 0);
	char big[4000];
	memset(big, 'x', sizeof(big));
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	CHECK_EQ_INT(netfwd_send_msg(nf.ctl, big, sizeof(big), &sp[1], 1), 0);
	close(sp[1]);
	CHECK_EQ_INT(poll(&p, 1, 3000), 1); /* EOF: the child closed the reply socket unanswered */
	close(sp[0]);
	/* still serving */
	unsigned port = 0;
	int fds[NETFWD_MAX_FDS], n = 0;
	char err[256];
	CHECK_EQ_INT(netfwd_listen(&nf, NETFWD_NET_TCP, "127.0.0.1", 0, 0, 0, fds, &n, &port, err, sizeof(err)), 0);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	CHECK_EQ_INT(child_exit(&nf), 0);
	CHECK_EQ_INT(count_fds(), base);
}

/* Root only: the child becomes the user, so a unix-socket peer sees that uid. */
TEST(child_drops_privileges)
{
	struct netfwd nf;
	char err[256] = "", path[100];
	const uint32_t uid = 65534, gid = 65534;
	snprintf(path, sizeof(path), "%s/peer.sock", tmpdir);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_EQ_INT(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	chmod(path, 0666);
	chmod(tmpdir, 0755);
	CHECK_EQ_INT(listen(l, 4), 0);
	CHECK(start_child(&nf, uid, gid, "nobody") > 0);
	int c = -1;
	CHECK_EQ_INT(netfwd_dial(&nf, NETFWD_NET_UNIX, path, 0, 3000, &c, err, sizeof(err)), 0);
	int s = accept(l, NULL, NULL);
	struct ucred uc = {0};
	socklen_t ul = sizeof(uc);
	CHECK(s >= 0);
	CHECK_EQ_INT(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &ul), 0);
	CHECK_EQ_INT(uc.uid, uid);
	CHECK_EQ_INT(uc.gid, gid);
	/* and it cannot listen where the user may not write */
	int fds[NETFWD_MAX_FDS], n = 0;
	CHECK_EQ_INT(netfwd_listen(&nf, NETFWD_NET_UNIX, "/root/sshbox-test-denied.sock", 0, 0, 0177, fds, &n, NULL, err,
				   sizeof(err)),
		     -1);
	CHECK(strstr(err, "denied") != NULL);
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
	close(l);
	unlink(path);
	CHECK_EQ_INT(child_exit(&nf), 0);
}

static char helper[512];

/* The real applet: spawn_applet("networking") from the helper binary via
 * the procself method, as the daemon does (netfwd_start). */
TEST(child_via_spawn)
{
	struct netfwd nf;
	char err[256] = "";
	int fds[NETFWD_MAX_FDS], n = 0, fd = -1;
	unsigned port = 0;
	CHECK_EQ_INT(spawn_init_image(NULL, 0, "procself", helper, NULL), 0);
	netfwd_init(&nf, (uint32_t)getuid(), (uint32_t)getgid(), "self", "/");
	CHECK_EQ_INT(netfwd_start(&nf), 0);
	CHECK(nf.pid > 0);
	CHECK_EQ_INT(netfwd_listen(&nf, NETFWD_NET_TCP, "localhost", 0, 0, 0, fds, &n, &port, err, sizeof(err)), 0);
	CHECK(n >= 1 && port > 0);
	/* it answered, so it runs the applet now */
	char comm[64] = "", pth[64];
	snprintf(pth, sizeof(pth), "/proc/%ld/comm", (long)nf.pid);
	FILE *f = fopen(pth, "r");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	CHECK_EQ_INT(netfwd_dial(&nf, NETFWD_NET_TCP, "127.0.0.1", port, 3000, &fd, err, sizeof(err)), 0);
	int a = n > 0 ? accept(fds[0], NULL, NULL) : -1;
	CHECK(a >= 0);
	if (a >= 0 && fd >= 0)
		CHECK(pipe_ok(fd, a));
	if (a >= 0)
		close(a);
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	CHECK(strncmp(comm, "networking", 10) == 0);
	pid_t pid = nf.pid;
	netfwd_close(&nf, 3000);
	CHECK(kill(pid, 0) < 0 && errno == ESRCH); /* exited and reaped */
	spawn_reset();
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	log_init("test_netfwd", LOG_ERROR, LOG_TO_STDERR);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_netfwd.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(req_roundtrip);
	RUN(req_hostile);
	RUN(hello_and_reply);
	RUN(scm_rights);
	RUN(child_dial_tcp);
	RUN(child_listen_tcp);
	RUN(child_unix);
	RUN(child_hostile_wire);
	if (geteuid() == 0)
		RUN(child_drops_privileges);
	else
		printf("SKIP: %s:child_drops_privileges (needs root)\n", __FILE__);
	if (find_helper_path(helper, sizeof(helper)))
		RUN(child_via_spawn);
	else
		printf("SKIP: %s:child_via_spawn (no sshbox-helper built)\n", __FILE__);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", tmpdir);
	return t_done();
}
