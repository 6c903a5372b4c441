/* test_fwd: forwarding policy (AllowTcpForwarding, PermitOpen, PermitListen,
 * GatewayPorts, key options) and the channel-level handlers of shared/fwd.c
 * driven in-process: the channel/conn/loop functions fwd.c calls are replaced
 * by recording stubs below (so channel.o/conn.o/loop.o are not linked, and
 * struct conn is this file's own), while the
 * networking child is the real applet spawned from the helper binary.
 * 127.0.0.1 only. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agentfwd.h"
#include "authkeys.h"
#include "buf.h"
#include "channel.h"
#include "conn.h"
#include "fwd.h"
#include "log.h"
#include "loop.h"
#include "user.h"
#include "spawn.h"
#include "sshd_config.h"
#include "t.h"
#include "t_net.h"
#include "util.h"

/* ---- recording stubs for the channel/conn API ----------------------------- */

/* The handler tables conn.c hands to the channel layer, as far as fwd.c
 * provides them. */
static const struct channel_type s_types[] = {
    {"direct-tcpip", fwd_open_direct_tcpip},
    {"direct-streamlocal@openssh.com", fwd_open_direct_streamlocal},
};
static const struct channel_global s_globals[] = {
    {"tcpip-forward", fwd_global_tcpip_forward},
    {"cancel-tcpip-forward", fwd_global_cancel_tcpip_forward},
    {"streamlocal-forward@openssh.com", fwd_global_streamlocal_forward},
    {"cancel-streamlocal-forward@openssh.com", fwd_global_cancel_streamlocal_forward},
};
static struct {
	int fd;
	loop_fd_fn fn;
	void *arg;
	int used;
} s_watch[16];
static int s_set_in = -1, s_set_out = -1, s_set_err = -1, s_set_calls;
static char s_out_type[64];
static struct buf s_out_data;
static struct channel s_out_ch;
static int s_outgoing_calls;

struct conn {
	struct conn_info info;
};
static struct conn conn;

const struct conn_info *conn_info(const struct conn *c)
{
	return &c->info;
}
struct channel_table *conn_channels(struct conn *c)
{
	return NULL;
}
struct loop *conn_loop(struct conn *c)
{
	return NULL;
}
const char *conn_user_name(const struct conn *c)
{
	return c->info.user ? c->info.user->name : "?";
}

void channel_set_fds(struct channel *ch, int fd_in, int fd_out, int fd_err)
{
	ch->fd_in = fd_in;
	ch->fd_out = fd_out;
	ch->fd_err = fd_err;
	s_set_in = fd_in;
	s_set_out = fd_out;
	s_set_err = fd_err;
	s_set_calls++;
}

struct channel *channel_open_outgoing(struct channel_table *tab, const char *type, const struct buf *data,
				      const struct channel_ops *ops, void *ctx)
{
	(void)tab;
	s_outgoing_calls++;
	snprintf(s_out_type, sizeof(s_out_type), "%s", type);
	buf_reset(&s_out_data);
	if (data)
		buf_put(&s_out_data, buf_rptr(data), buf_avail(data));
	memset(&s_out_ch, 0, sizeof(s_out_ch));
	s_out_ch.fd_in = s_out_ch.fd_out = s_out_ch.fd_err = -1;
	s_out_ch.ops = ops;
	s_out_ch.ctx = ctx;
	snprintf(s_out_ch.type, sizeof(s_out_ch.type), "%s", type);
	return &s_out_ch;
}

static int s_confirmed, s_failed;
static uint32_t s_fail_reason;
static char s_fail_desc[256];
static int s_last_watch = -1;

int channel_open_confirm(struct channel *ch)
{
	ch->confirmed = 1;
	s_confirmed++;
	return 0;
}

int channel_open_fail(struct channel *ch, uint32_t reason, const char *desc)
{
	s_failed++;
	s_fail_reason = reason;
	snprintf(s_fail_desc, sizeof(s_fail_desc), "%s", desc ? desc : "");
	if (ch->ops && ch->ops->free) /* as free_channel does */
		ch->ops->free(&conn, ch);
	ch->ops = NULL;
	ch->ctx = NULL;
	return 0;
}

int loop_watch_child(struct loop *l, pid_t pid, loop_child_fn fn, void *arg)
{
	(void)l;
	(void)pid;
	(void)fn;
	(void)arg;
	return 0;
}

int loop_watch_fd(struct loop *l, int fd, short events, loop_fd_fn fn, void *arg)
{
	(void)l;
	(void)events;
	for (size_t i = 0; i < ARRAY_LEN(s_watch); i++)
		if (!s_watch[i].used) {
			s_watch[i].fd = fd;
			s_watch[i].fn = fn;
			s_watch[i].arg = arg;
			s_watch[i].used = 1;
			s_last_watch = (int)i;
			return 0;
		}
	return -1;
}

void loop_unwatch_fd(struct loop *l, int fd)
{
	(void)l;
	for (size_t i = 0; i < ARRAY_LEN(s_watch); i++)
		if (s_watch[i].used && s_watch[i].fd == fd)
			s_watch[i].used = 0;
}

static int n_watched(void)
{
	int n = 0;
	for (size_t i = 0; i < ARRAY_LEN(s_watch); i++)
		n += s_watch[i].used;
	return n;
}

/* Runs the watch callbacks of readable fds (what conn's poll loop does). */
static int pump_watches(int timeout_ms)
{
	struct pollfd p[16];
	size_t idx[16], n = 0;
	for (size_t i = 0; i < ARRAY_LEN(s_watch); i++)
		if (s_watch[i].used) {
			p[n].fd = s_watch[i].fd;
			p[n].events = POLLIN;
			idx[n++] = i;
		}
	if (n == 0 || poll(p, n, timeout_ms) <= 0)
		return 0;
	int fired = 0;
	for (size_t k = 0; k < n; k++)
		if (p[k].revents && s_watch[idx[k]].used) {
			s_watch[idx[k]].fn(s_watch[idx[k]].fd, p[k].revents, s_watch[idx[k]].arg);
			fired++;
		}
	return fired;
}

static channel_open_fn find_type(const char *n)
{
	for (size_t i = 0; i < ARRAY_LEN(s_types); i++)
		if (strcmp(s_types[i].name, n) == 0)
			return s_types[i].open;
	return NULL;
}

static global_request_fn find_global(const char *n)
{
	for (size_t i = 0; i < ARRAY_LEN(s_globals); i++)
		if (strcmp(s_globals[i].name, n) == 0)
			return s_globals[i].handle;
	return NULL;
}

/* ---- fixtures --------------------------------------------------------------- */

static struct sshd_config cfg;
static struct authkeys_opts ko;
static struct user_info ui;
static char tmpdir[64];
static char helper[512];

static void reset_policy(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.allow_tcp_forwarding = FWD_ALLOW_ALL;
	cfg.allow_streamlocal_forwarding = FWD_ALLOW_ALL;
	cfg.allow_agent_forwarding = 1;
	cfg.gateway_ports = GATEWAY_PORTS_NO;
	cfg.permit_open_any = 1;
	cfg.permit_listen_any = 1;
	memset(&ko, 0, sizeof(ko));
}

/* ---- policy ----------------------------------------------------------------- */

TEST(split_hostport)
{
	char h[64];
	int p;
	CHECK_EQ_INT(fwd_split_hostport("example.org:22", 0, h, sizeof(h), &p), 0);
	CHECK_STR(h, "example.org");
	CHECK_EQ_INT(p, 22);
	CHECK_EQ_INT(fwd_split_hostport("[::1]:8080", 0, h, sizeof(h), &p), 0);
	CHECK_STR(h, "::1");
	CHECK_EQ_INT(p, 8080);
	CHECK_EQ_INT(fwd_split_hostport("*:*", 0, h, sizeof(h), &p), 0);
	CHECK_STR(h, "*");
	CHECK_EQ_INT(p, -1);
	CHECK_EQ_INT(fwd_split_hostport("2222", 1, h, sizeof(h), &p), 0);
	CHECK_STR(h, "");
	CHECK_EQ_INT(p, 2222);
	CHECK(fwd_split_hostport("2222", 0, h, sizeof(h), &p) < 0);
	CHECK(fwd_split_hostport("host:", 0, h, sizeof(h), &p) < 0);
	CHECK(fwd_split_hostport(":22", 0, h, sizeof(h), &p) < 0);
	CHECK(fwd_split_hostport("host:65536", 0, h, sizeof(h), &p) < 0);
	CHECK(fwd_split_hostport("host:-1", 0, h, sizeof(h), &p) < 0);
	CHECK(fwd_split_hostport("::1:22", 0, h, sizeof(h), &p) < 0);
	CHECK(fwd_split_hostport("[::1]22", 0, h, sizeof(h), &p) < 0);
	CHECK(fwd_split_hostport("", 1, h, sizeof(h), &p) < 0);
	CHECK(fwd_split_hostport("averyveryveryveryveryveryveryveryveryveryveryveryverylonghostname.example:1", 0, h, 16,
				 &p) < 0);
}

TEST(permit_lists)
{
	const char *open[] = {"db.internal:5432", "*:80", "127.0.0.1:*", "bad entry"};
	CHECK(fwd_permitted_open(open, 4, "db.internal", 5432));
	CHECK(fwd_permitted_open(open, 4, "DB.internal", 5432));
	CHECK(!fwd_permitted_open(open, 4, "db.internal", 5433));
	CHECK(fwd_permitted_open(open, 4, "anything", 80));
	CHECK(fwd_permitted_open(open, 4, "127.0.0.1", 1));
	CHECK(!fwd_permitted_open(open, 4, "127.0.0.2", 1));
	CHECK(!fwd_permitted_open(open, 0, "127.0.0.1", 1));
	const char *listen[] = {"8080", "localhost:9000", "*:7000"};
	CHECK(fwd_permitted_listen(listen, 3, "", 8080));
	CHECK(fwd_permitted_listen(listen, 3, "0.0.0.0", 8080));
	CHECK(fwd_permitted_listen(listen, 3, "localhost", 9000));
	CHECK(!fwd_permitted_listen(listen, 3, "", 9000));
	CHECK(fwd_permitted_listen(listen, 3, "x", 7000));
	CHECK(!fwd_permitted_listen(listen, 3, "localhost", 0)); /* port 0 needs an explicit "*" */
}

TEST(gateway_ports)
{
	CHECK_STR(fwd_bind_address(GATEWAY_PORTS_NO, ""), "localhost");
	CHECK_STR(fwd_bind_address(GATEWAY_PORTS_NO, "0.0.0.0"), "localhost");
	CHECK_STR(fwd_bind_address(GATEWAY_PORTS_NO, "*"), "localhost");
	CHECK_STR(fwd_bind_address(GATEWAY_PORTS_YES, "localhost"), "");
	CHECK_STR(fwd_bind_address(GATEWAY_PORTS_CLIENTSPECIFIED, ""), "");
	CHECK_STR(fwd_bind_address(GATEWAY_PORTS_CLIENTSPECIFIED, "*"), "");
	CHECK_STR(fwd_bind_address(GATEWAY_PORTS_CLIENTSPECIFIED, "localhost"), "localhost");
	CHECK_STR(fwd_bind_address(GATEWAY_PORTS_CLIENTSPECIFIED, "127.0.0.1"), "127.0.0.1");
}

TEST(decisions)
{
	const char *why = NULL;
	char *po[] = {"127.0.0.1:22"};
	reset_policy();
	CHECK(fwd_allow_direct_tcpip(&cfg, &ko, "h", 22, &why));
	CHECK(!fwd_allow_direct_tcpip(&cfg, &ko, "h", 0, &why));
	cfg.allow_tcp_forwarding = FWD_ALLOW_REMOTE;
	CHECK(!fwd_allow_direct_tcpip(&cfg, &ko, "h", 22, &why));
	CHECK(strstr(why, "AllowTcpForwarding") != NULL);
	CHECK(fwd_allow_remote_tcpip(&cfg, &ko, 1000, "", 8080, &why));
	cfg.allow_tcp_forwarding = FWD_ALLOW_LOCAL;
	CHECK(!fwd_allow_remote_tcpip(&cfg, &ko, 1000, "", 8080, &why));
	cfg.allow_tcp_forwarding = FWD_ALLOW_ALL;
	CHECK(!fwd_allow_remote_tcpip(&cfg, &ko, 1000, "", 80, &why)); /* privileged port, not root */
	CHECK(strstr(why, "privileged") != NULL);
	CHECK(fwd_allow_remote_tcpip(&cfg, &ko, 0, "", 80, &why));
	CHECK(fwd_allow_remote_tcpip(&cfg, &ko, 1000, "", 0, &why));
	/* PermitOpen none / list */
	cfg.permit_open_any = 0;
	CHECK(!fwd_allow_direct_tcpip(&cfg, &ko, "127.0.0.1", 22, &why));
	CHECK(strstr(why, "PermitOpen") != NULL);
	cfg.permit_open.v = po;
	cfg.permit_open.n = 1;
	CHECK(fwd_allow_direct_tcpip(&cfg, &ko, "127.0.0.1", 22, &why));
	CHECK(!fwd_allow_direct_tcpip(&cfg, &ko, "127.0.0.1", 23, &why));
	/* key options */
	reset_policy();
	ko.no_port_forwarding = 1;
	CHECK(!fwd_allow_direct_tcpip(&cfg, &ko, "h", 22, &why));
	CHECK(!fwd_allow_remote_tcpip(&cfg, &ko, 1000, "", 8080, &why));
	CHECK(!fwd_allow_streamlocal(&cfg, &ko, 0, &why));
	CHECK(fwd_allow_agent(&cfg, &ko, &why));
	ko.no_port_forwarding = 0;
	ko.permitopen.v = po;
	ko.permitopen.n = 1;
	CHECK(fwd_allow_direct_tcpip(&cfg, &ko, "127.0.0.1", 22, &why));
	CHECK(!fwd_allow_direct_tcpip(&cfg, &ko, "127.0.0.1", 2222, &why));
	CHECK(strstr(why, "permitopen") != NULL);
	char *pl[] = {"9000"};
	ko.permitlisten.v = pl;
	ko.permitlisten.n = 1;
	CHECK(fwd_allow_remote_tcpip(&cfg, &ko, 1000, "localhost", 9000, &why));
	CHECK(!fwd_allow_remote_tcpip(&cfg, &ko, 1000, "localhost", 9001, &why));
	reset_policy();
	cfg.permit_listen_any = 0;
	CHECK(!fwd_allow_remote_tcpip(&cfg, &ko, 1000, "", 9000, &why));
	/* streamlocal and agent */
	cfg.allow_streamlocal_forwarding = FWD_ALLOW_LOCAL;
	CHECK(fwd_allow_streamlocal(&cfg, &ko, 0, &why));
	CHECK(!fwd_allow_streamlocal(&cfg, &ko, 1, &why));
	cfg.allow_agent_forwarding = 0;
	CHECK(!fwd_allow_agent(&cfg, &ko, &why));
	cfg.allow_agent_forwarding = 1;
	ko.no_agent_forwarding = 1;
	CHECK(!fwd_allow_agent(&cfg, &ko, &why));
	reset_policy();
}

/* ---- handlers ------------------------------------------------------------------ */

static int open_direct(const char *type, struct buf *req, uint32_t *reason, char *desc, struct channel *ch)
{
	channel_open_fn fn = find_type(type);
	if (!fn)
		return -99;
	memset(ch, 0, sizeof(*ch));
	ch->fd_in = ch->fd_out = ch->fd_err = -1;
	*reason = 0;
	desc[0] = '\0';
	s_confirmed = s_failed = 0;
	int r = fn(&conn, ch, req, reason, desc, 256);
	if (r != CHANNEL_OPEN_PENDING)
		return r;
	/* the dial runs in the networking child: wait for its reply the way
	 * the connection loop does, then report the channel's answer */
	if (s_last_watch < 0 || !s_watch[s_last_watch].used)
		return -98;
	struct pollfd pfd = {.fd = s_watch[s_last_watch].fd, .events = POLLIN};
	if (poll(&pfd, 1, 15000) != 1)
		return -97;
	s_watch[s_last_watch].fn(pfd.fd, pfd.revents, s_watch[s_last_watch].arg);
	if (s_confirmed == 1 && s_failed == 0)
		return 0;
	if (s_failed == 1 && s_confirmed == 0) {
		*reason = s_fail_reason;
		snprintf(desc, 256, "%s", s_fail_desc);
		return -1;
	}
	return -96;
}

static void direct_req(struct buf *b, const char *host, uint32_t port)
{
	buf_reset(b);
	buf_put_cstring(b, host);
	buf_put_u32(b, port);
	buf_put_cstring(b, "127.0.0.1");
	buf_put_u32(b, 5555);
}

TEST(handler_direct_tcpip)
{
	struct buf b;
	struct channel ch;
	uint32_t reason;
	char desc[256];
	unsigned port = 0;
	buf_init(&b, 4096);
	reset_policy();
	int l = tcp_listener(&port);

	direct_req(&b, "127.0.0.1", port);
	s_set_calls = 0;
	CHECK_EQ_INT(open_direct("direct-tcpip", &b, &reason, desc, &ch), 0);
	CHECK_EQ_INT(s_set_calls, 1);
	CHECK(s_set_in >= 0 && s_set_in == s_set_out && s_set_err == -1);
	/* EOF may go out, CLOSE waits for the client's EOF (half-close both ways) */
	CHECK_EQ_INT(ch.close_after_input, 1);
	CHECK_EQ_INT(ch.hold_close, 0);
	int a = accept(l, NULL, NULL);
	CHECK(a >= 0);
	if (a >= 0 && s_set_in >= 0) {
		CHECK(pipe_ok(a, s_set_in));
		CHECK(pipe_ok(s_set_in, a));
	}
	if (a >= 0)
		close(a);
	if (ch.ops && ch.ops->free)
		ch.ops->free(&conn, &ch);
	if (s_set_in >= 0)
		close(s_set_in);
	close(l);

	/* a dial in progress is released when the connection ends first */
	l = tcp_listener(&port);
	int before = n_watched();
	direct_req(&b, "127.0.0.1", port);
	channel_open_fn fn = find_type("direct-tcpip");
	memset(&ch, 0, sizeof(ch));
	ch.fd_in = ch.fd_out = ch.fd_err = -1;
	CHECK_EQ_INT(fn(&conn, &ch, &b, &reason, desc, sizeof(desc)), CHANNEL_OPEN_PENDING);
	CHECK_EQ_INT(n_watched(), before + 1);
	CHECK(ch.ops && ch.ops->free && ch.ctx);
	if (ch.ops && ch.ops->free)
		ch.ops->free(&conn, &ch);
	CHECK_EQ_INT(n_watched(), before);
	CHECK(ch.ctx == NULL);
	a = accept(l, NULL, NULL); /* the child's dial itself went through */
	if (a >= 0)
		close(a);
	close(l);

	/* no slot to watch another pending dial: the dial runs synchronously */
	l = tcp_listener(&port);
	int filled[ARRAY_LEN(s_watch)], nfilled = 0;
	for (size_t i = 0; i < ARRAY_LEN(s_watch); i++)
		if (!s_watch[i].used) {
			s_watch[i].used = 1;
			s_watch[i].fd = -1000 - (int)i;
			filled[nfilled++] = (int)i;
		}
	direct_req(&b, "127.0.0.1", port);
	s_set_calls = 0;
	memset(&ch, 0, sizeof(ch));
	ch.fd_in = ch.fd_out = ch.fd_err = -1;
	CHECK_EQ_INT(fn(&conn, &ch, &b, &reason, desc, sizeof(desc)), 0);
	CHECK_EQ_INT(s_set_calls, 1);
	for (int i = 0; i < nfilled; i++)
		s_watch[filled[i]].used = 0;
	a = accept(l, NULL, NULL);
	if (a >= 0)
		close(a);
	if (s_set_in >= 0)
		close(s_set_in);
	close(l);

	/* connection refused -> CONNECT_FAILED with the reason */
	direct_req(&b, "127.0.0.1", port);
	CHECK_EQ_INT(open_direct("direct-tcpip", &b, &reason, desc, &ch), -1);
	CHECK_EQ_INT(reason, SSH_OPEN_CONNECT_FAILED);
	CHECK(strstr(desc, "refused") != NULL);

	/* denied by config -> ADMINISTRATIVELY_PROHIBITED */
	cfg.allow_tcp_forwarding = FWD_ALLOW_NO;
	direct_req(&b, "127.0.0.1", port);
	CHECK_EQ_INT(open_direct("direct-tcpip", &b, &reason, desc, &ch), -1);
	CHECK_EQ_INT(reason, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED);
	reset_policy();

	/* hostile: truncated, NUL in host, over-long host */
	buf_reset(&b);
	buf_put_cstring(&b, "127.0.0.1");
	CHECK_EQ_INT(open_direct("direct-tcpip", &b, &reason, desc, &ch), -1);
	CHECK(reason != 0);
	buf_reset(&b);
	buf_put_string(&b, "127.0.0.1\0x", 11);
	buf_put_u32(&b, 22);
	buf_put_cstring(&b, "o");
	buf_put_u32(&b, 1);
	CHECK_EQ_INT(open_direct("direct-tcpip", &b, &reason, desc, &ch), -1);
	char big[600];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	direct_req(&b, big, 22);
	CHECK_EQ_INT(open_direct("direct-tcpip", &b, &reason, desc, &ch), -1);
	direct_req(&b, "bad host name", 22);
	CHECK_EQ_INT(open_direct("direct-tcpip", &b, &reason, desc, &ch), -1);
	CHECK_EQ_INT(reason, SSH_OPEN_CONNECT_FAILED);
	buf_free(&b);
}

TEST(handler_direct_streamlocal)
{
	struct buf b;
	struct channel ch;
	uint32_t reason;
	char desc[256], path[100];
	buf_init(&b, 4096);
	reset_policy();
	snprintf(path, sizeof(path), "%s/target.sock", tmpdir);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_EQ_INT(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ_INT(listen(l, 4), 0);
	buf_put_cstring(&b, path);
	buf_put_cstring(&b, "");
	buf_put_u32(&b, 0);
	s_set_calls = 0;
	CHECK_EQ_INT(open_direct("direct-streamlocal@openssh.com", &b, &reason, desc, &ch), 0);
	CHECK_EQ_INT(s_set_calls, 1);
	int a = accept(l, NULL, NULL);
	CHECK(a >= 0);
	if (a >= 0 && s_set_in >= 0)
		CHECK(pipe_ok(s_set_in, a));
	if (a >= 0)
		close(a);
	if (s_set_in >= 0)
		close(s_set_in);
	cfg.allow_streamlocal_forwarding = FWD_ALLOW_REMOTE;
	buf_reset(&b);
	buf_put_cstring(&b, path);
	buf_put_cstring(&b, "");
	buf_put_u32(&b, 0);
	CHECK_EQ_INT(open_direct("direct-streamlocal@openssh.com", &b, &reason, desc, &ch), -1);
	CHECK_EQ_INT(reason, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED);
	reset_policy();
	close(l);
	unlink(path);
	buf_free(&b);
}

/* Accepts one connection through a watched listener and checks the
 * outgoing channel the client would be asked to open. */
static int forwarded_one(int client_fd, const char *want_type)
{
	s_outgoing_calls = 0;
	for (int i = 0; i < 20 && !s_outgoing_calls; i++)
		pump_watches(200);
	if (s_outgoing_calls != 1 || strcmp(s_out_type, want_type) != 0)
		return 0;
	/* the client confirms: the socket becomes the channel's fds */
	s_set_calls = 0;
	s_out_ch.ops->open_result(&conn, &s_out_ch, 1, 0, NULL);
	if (s_set_calls != 1 || s_set_in < 0 || !s_out_ch.close_after_input || s_out_ch.hold_close)
		return 0;
	int ok = pipe_ok(client_fd, s_set_in) && pipe_ok(s_set_in, client_fd);
	if (s_out_ch.ops->free)
		s_out_ch.ops->free(&conn, &s_out_ch);
	close(s_set_in);
	return ok;
}

TEST(handler_tcpip_forward)
{
	struct buf req, reply;
	global_request_fn fwd = find_global("tcpip-forward"), cancel = find_global("cancel-tcpip-forward");
	CHECK(fwd && cancel);
	if (!fwd || !cancel)
		return;
	buf_init(&req, 4096);
	buf_init(&reply, 4096);
	reset_policy();
	int w0 = n_watched();

	buf_put_cstring(&req, "localhost");
	buf_put_u32(&req, 0);
	CHECK_EQ_INT(fwd(&conn, "tcpip-forward", &req, &reply), 1);
	uint32_t port = 0;
	CHECK_EQ_INT(buf_get_u32(&reply, &port), 0);
	CHECK(port > 0 && port <= 65535);
	CHECK(n_watched() > w0);
	unsigned lport = 0;
	int c = tcp_connect(port, &lport);
	CHECK(c >= 0);
	if (c >= 0) {
		CHECK(forwarded_one(c, "forwarded-tcpip"));
		/* forwarded-tcpip data: address as requested, bound port, originator */
		char addr[64] = "", orig[64] = "";
		uint32_t p2 = 0, op = 0;
		CHECK_EQ_INT(buf_get_cstring_into(&s_out_data, addr, sizeof(addr)), 0);
		CHECK_EQ_INT(buf_get_u32(&s_out_data, &p2), 0);
		CHECK_EQ_INT(buf_get_cstring_into(&s_out_data, orig, sizeof(orig)), 0);
		CHECK_EQ_INT(buf_get_u32(&s_out_data, &op), 0);
		CHECK_STR(addr, "localhost");
		CHECK_EQ_INT(p2, port);
		CHECK_STR(orig, "127.0.0.1");
		CHECK_EQ_INT(op, lport);
		close(c);
	}
	/* the client refuses the channel: the accepted socket is closed */
	c = tcp_connect(port, NULL);
	s_outgoing_calls = 0;
	for (int i = 0; i < 20 && !s_outgoing_calls; i++)
		pump_watches(200);
	CHECK_EQ_INT(s_outgoing_calls, 1);
	if (s_outgoing_calls == 1) {
		s_out_ch.ops->open_result(&conn, &s_out_ch, 0, SSH_OPEN_CONNECT_FAILED, "no");
		if (s_out_ch.ops->free)
			s_out_ch.ops->free(&conn, &s_out_ch);
		char x;
		struct pollfd p = {.fd = c, .events = POLLIN};
		CHECK_EQ_INT(poll(&p, 1, 2000), 1);
		CHECK_EQ_INT(read(c, &x, 1), 0); /* EOF */
	}
	if (c >= 0)
		close(c);

	/* same port again: refused (in use) */
	buf_reset(&req);
	buf_reset(&reply);
	buf_put_cstring(&req, "localhost");
	buf_put_u32(&req, port);
	CHECK_EQ_INT(fwd(&conn, "tcpip-forward", &req, &reply), 0);

	/* cancel: the listener goes away */
	buf_reset(&req);
	buf_put_cstring(&req, "localhost");
	buf_put_u32(&req, port);
	CHECK_EQ_INT(cancel(&conn, "cancel-tcpip-forward", &req, &reply), 1);
	CHECK_EQ_INT(n_watched(), w0);
	c = tcp_connect(port, NULL);
	CHECK(c < 0);
	if (c >= 0)
		close(c);
	buf_reset(&req);
	buf_put_cstring(&req, "localhost");
	buf_put_u32(&req, port);
	CHECK_EQ_INT(cancel(&conn, "cancel-tcpip-forward", &req, &reply), 0); /* already gone */

	/* denied: AllowTcpForwarding local */
	cfg.allow_tcp_forwarding = FWD_ALLOW_LOCAL;
	buf_reset(&req);
	buf_put_cstring(&req, "localhost");
	buf_put_u32(&req, 0);
	CHECK_EQ_INT(fwd(&conn, "tcpip-forward", &req, &reply), 0);
	reset_policy();
	/* malformed */
	buf_reset(&req);
	buf_put_cstring(&req, "localhost");
	CHECK_EQ_INT(fwd(&conn, "tcpip-forward", &req, &reply), 0);
	buf_free(&req);
	buf_free(&reply);
}

TEST(handler_streamlocal_forward)
{
	struct buf req, reply;
	struct stat st;
	char path[100];
	global_request_fn fwd = find_global("streamlocal-forward@openssh.com");
	global_request_fn cancel = find_global("cancel-streamlocal-forward@openssh.com");
	CHECK(fwd && cancel);
	if (!fwd || !cancel)
		return;
	buf_init(&req, 4096);
	buf_init(&reply, 4096);
	reset_policy();
	snprintf(path, sizeof(path), "%s/remote.sock", tmpdir);
	buf_put_cstring(&req, path);
	CHECK_EQ_INT(fwd(&conn, "streamlocal-forward@openssh.com", &req, &reply), 1);
	CHECK_EQ_INT(lstat(path, &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	int c = unix_connect(path);
	CHECK(c >= 0);
	if (c >= 0) {
		CHECK(forwarded_one(c, "forwarded-streamlocal@openssh.com"));
		char p2[128] = "";
		CHECK_EQ_INT(buf_get_cstring_into(&s_out_data, p2, sizeof(p2)), 0);
		CHECK_STR(p2, path);
		close(c);
	}
	buf_reset(&req);
	buf_put_cstring(&req, path);
	CHECK_EQ_INT(cancel(&conn, "cancel-streamlocal-forward@openssh.com", &req, &reply), 1);
	CHECK(lstat(path, &st) < 0 && errno == ENOENT);
	/* over-long path refused */
	char big[300];
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	buf_reset(&req);
	buf_put_cstring(&req, big);
	CHECK_EQ_INT(fwd(&conn, "streamlocal-forward@openssh.com", &req, &reply), 0);
	buf_free(&req);
	buf_free(&reply);
}

TEST(agent_forwarding)
{
	char path[128] = "", path2[128] = "";
	struct stat st;
	reset_policy();
	ko.no_agent_forwarding = 1;
	CHECK_EQ_INT(agentfwd_request(&conn, path, sizeof(path)), -1);
	ko.no_agent_forwarding = 0;
	CHECK_EQ_INT(agentfwd_request(&conn, path, sizeof(path)), 0);
	CHECK(strncmp(path, "/tmp/", 5) == 0);
	CHECK_EQ_INT(agentfwd_request(&conn, path2, sizeof(path2)), 0); /* same socket again */
	CHECK_STR(path2, path);
	CHECK(agentfwd_path() != NULL);
	CHECK_EQ_INT(lstat(path, &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	int c = unix_connect(path);
	CHECK(c >= 0);
	if (c >= 0) {
		CHECK(forwarded_one(c, "auth-agent@openssh.com"));
		close(c);
	}
	/* connection end: the networking child removes the socket and its directory */
	agentfwd_connection_end(&conn);
	fwd_connection_end(&conn);
	CHECK(lstat(path, &st) < 0 && errno == ENOENT);
	*strrchr(path, '/') = '\0';
	CHECK(lstat(path, &st) < 0 && errno == ENOENT);
	CHECK(agentfwd_path() == NULL);
	CHECK_EQ_INT(n_watched(), 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	log_init("test_fwd", LOG_ERROR, LOG_TO_STDERR);
	buf_init(&s_out_data, 4096);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_fwd.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(split_hostport);
	RUN(permit_lists);
	RUN(gateway_ports);
	RUN(decisions);

	ui.name = "self";
	ui.uid = getuid();
	ui.gid = getgid();
	ui.home = "/";
	conn.info.authenticated = 1;
	conn.info.user = &ui;
	conn.info.cfg = &cfg;
	conn.info.key_opts = &ko;
	if (find_helper_path(helper, sizeof(helper)) && spawn_init_image(NULL, 0, "procself", helper, NULL) == 0) {
		RUN(handler_direct_tcpip);
		RUN(handler_direct_streamlocal);
		RUN(handler_tcpip_forward);
		RUN(handler_streamlocal_forward);
		RUN(agent_forwarding);
		fwd_connection_end(&conn);
	} else {
		printf("SKIP: %s:handlers (no sshbox-helper built)\n", __FILE__);
	}
	buf_free(&s_out_data);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", tmpdir);
	return t_done();
}
