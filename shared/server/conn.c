/* conn: the per-connection process. See conn.h. */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentfwd.h"
#include "auth.h"
#include "channel.h"
#include "fwd.h"
#include "kex.h"
#include "keys.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "user.h"
#include "session.h"
#include "sshd_config.h"
#include "transport.h"
#include "util.h"

#define MAX_POLL (3 + 3 * CHANNEL_MAX + LOOP_MAX_FD_WATCH)
/* Packets handled per loop turn before servicing fds again (fairness). */
#define PACKETS_PER_TURN 64
/* Backpressure: while more than this much ciphertext waits for the peer,
 * nothing more is read from it or dispatched, so every reply-producing
 * message (UNIMPLEMENTED, REQUEST_FAILURE, PK_OK, channel replies, ...)
 * stops at the peer's own receive window and its sends block. Above the
 * bulk limit (channel data stops at TRANSPORT_OUT_HIGH_WATER, plus one
 * read turn), so a download never stalls the peer's window adjusts. */
#define CONN_READ_STOP_BYTES (TRANSPORT_OUT_HIGH_WATER + 512u * 1024u)

struct conn {
	struct conn_info info; /* what modules may read (conn_info) */
	int sock;
	const struct sshd_config *base_cfg;
	const struct hostkeys *hostkeys;
	struct transport *t; /* opaque (transport.h) */
	struct kex kex;
	struct auth_ctx auth;
	struct channel_table *chans; /* own_chans, or a harness's table */
	struct channel_table own_chans;
	struct loop loop;
	int service_userauth; /* "ssh-userauth" accepted */
	uint64_t start_ms;
	uint64_t last_rx_ms;
	int alive_missed;
	uint32_t global_req_pending; /* keepalives we sent, unanswered */
	int exit_code;
};

static int startup_fd = -1;

void conn_set_startup_fd(int fd)
{
	startup_fd = fd;
}

static int output_fd = -1;
void conn_set_output_fd(int fd)
{
	output_fd = fd;
}

static int conn_send(struct conn *c, const struct buf *payload)
{
	return transport_send(c->t, payload);
}

const struct conn_info *conn_info(const struct conn *c)
{
	return &c->info;
}
struct channel_table *conn_channels(struct conn *c)
{
	return c->chans;
}
struct loop *conn_loop(struct conn *c)
{
	return &c->loop;
}

const char *conn_user_name(const struct conn *c)
{
	const struct user_info *u = c->info.user;
	return u && u->name ? u->name : "?";
}

int conn_global_no_more_sessions(void *owner, const char *name, struct buf *data, struct buf *reply)
{
	struct conn *c = owner;
	c->info.no_more_sessions = 1;
	return 1;
}

/* ---- what the channel layer gets from us ---- */

static int chan_send(void *owner, const struct buf *payload)
{
	return conn_send(owner, payload);
}

static int chan_can_send_bulk(void *owner)
{
	struct conn *c = owner;
	return transport_can_send_bulk(c->t);
}

static void chan_global_answered(void *owner)
{
	struct conn *c = owner;
	if (c->global_req_pending > 0)
		c->global_req_pending--;
}

static const struct channel_type conn_types[] = {
    {"session", session_open},
    {"direct-tcpip", fwd_open_direct_tcpip},
    {"direct-streamlocal@openssh.com", fwd_open_direct_streamlocal},
};

static const struct channel_global conn_globals[] = {
    {"no-more-sessions@openssh.com", conn_global_no_more_sessions},
    {"tcpip-forward", fwd_global_tcpip_forward},
    {"cancel-tcpip-forward", fwd_global_cancel_tcpip_forward},
    {"streamlocal-forward@openssh.com", fwd_global_streamlocal_forward},
    {"cancel-streamlocal-forward@openssh.com", fwd_global_cancel_streamlocal_forward},
};

static void init_channels(struct conn *c)
{
	struct channel_host host = {
	    .owner = c,
	    .send = chan_send,
	    .can_send_bulk = chan_can_send_bulk,
	    .global_answered = chan_global_answered,
	    .peer = c->info.client_addr,
	    .types = conn_types,
	    .n_types = ARRAY_LEN(conn_types),
	    .globals = conn_globals,
	    .n_globals = ARRAY_LEN(conn_globals),
	};
	channel_table_init(&c->own_chans, &host);
	c->chans = &c->own_chans;
}

static struct conn detached;

struct conn *conn_new_detached(const struct conn_info *info, struct channel_table *tab)
{
	struct conn *c = &detached;
	memset(c, 0, sizeof(*c));
	c->info = *info;
	c->sock = -1;
	c->chans = tab;
	loop_init(&c->loop);
	return c;
}

void conn_free_detached(struct conn *c)
{
	loop_free(&c->loop);
}

static void metrics_kex_cb(const char *name)
{
	metrics_kex(name);
}
static void metrics_auth_cb(const char *m, int ok)
{
	metrics_auth(m, ok);
}

static int send_unimplemented(struct conn *c)
{
	struct buf b;
	buf_init(&b, 16);
	int r = buf_put_u8(&b, SSH_MSG_UNIMPLEMENTED);
	r = r ? r : buf_put_u32(&b, transport_last_rx_seq(c->t));
	r = r ? r : conn_send(c, &b);
	buf_free(&b);
	return r;
}

static void fatal_disconnect(struct conn *c, int reason, const char *msg, int code)
{
	transport_disconnect(c->t, (uint32_t)reason, msg);
	if (!c->exit_code)
		c->exit_code = code;
}

/* A refusal: one log line naming the peer and why (the transport's or
 * kex's recorded reason when there is one, else why and, when err is an
 * enum sb_err, its text), then DISCONNECT. */
static void refuse(struct conn *c, int reason, int err, const char *why, const char *msg, enum conn_exit code)
{
	const char *recorded = transport_error(c->t);
	log_info("Refused %s port %d%s: %s%s%s", c->info.client_addr, c->info.client_port,
		 c->info.authenticated ? "" : " [preauth]", recorded[0] ? recorded : why,
		 recorded[0] || err >= 0 ? "" : ": ", recorded[0] || err >= 0 ? "" : sb_strerror(err));
	fatal_disconnect(c, reason, msg, code);
}

/* 1 while the peer is not reading what we send (see CONN_READ_STOP_BYTES):
 * the ciphertext waiting for the socket plus the replies held back while a
 * key exchange runs (a client that floods requests during a re-exchange
 * stalls itself rather than growing the queue). */
static int output_backlogged(const struct conn *c)
{
	return transport_output_pending(c->t) + transport_queued(c->t) > CONN_READ_STOP_BYTES;
}

static int handle_service_request(struct conn *c, struct buf *payload)
{
	struct buf p;
	char name[64];
	int e = buf_view_message_body(&p, payload);
	e = e ? e : buf_get_cstring_into(&p, name, sizeof(name));
	if (e)
		return e;
	/* A repeat before success is accepted as OpenSSH does (paramiko asks
	 * again before each step); the auth state is kept, not re-initialised. */
	int again = c->service_userauth && strcmp(name, "ssh-userauth") == 0;
	if (strcmp(name, "ssh-userauth") != 0 ||
	    (again && (c->info.authenticated || auth_service_again(&c->auth) < 0))) {
		char why[128];
		snprintf(why, sizeof(why), "service %s not available", name);
		refuse(c, SSH_DISCONNECT_SERVICE_NOT_AVAILABLE, 0, why, "service not available",
		       CONN_EXIT_NO_AUTH);
		return 0;
	}
	if (!again) {
		c->service_userauth = 1;
		auth_init(&c->auth, c->base_cfg, c->info.client_addr, c->info.client_port, c->kex.session_id,
			  c->kex.session_id_len);
	}
	struct buf b;
	buf_init(&b, 64);
	int r = buf_put_u8(&b, SSH_MSG_SERVICE_ACCEPT);
	r = r ? r : buf_put_cstring(&b, name);
	r = r ? r : conn_send(c, &b);
	buf_free(&b);
	return r;
}

static void on_authenticated(struct conn *c)
{
	c->info.authenticated = 1;
	c->info.user = &c->auth.ui;
	c->info.cfg = c->auth.have_cfg ? &c->auth.cfg : c->base_cfg;
	c->info.key_opts = &c->auth.key_opts;
	c->info.auth_method = c->auth.method;
	c->info.auth_key_fp = c->auth.key_fp;
	metrics_conn_set_user(c->auth.user);
	if (startup_fd >= 0) {
		close(startup_fd); /* tells the listener: no longer a pre-auth connection */
		startup_fd = -1;
	}
	if (c->info.cfg->client_alive_interval > 0)
		c->last_rx_ms = monotonic_ms();
}

/* Handles one decrypted packet. Returns 0 to continue, < 0 when the
 * connection must end (DISCONNECT already queued). */
static int dispatch(struct conn *c, uint8_t type, struct buf *payload)
{
	int reason = SSH_DISCONNECT_PROTOCOL_ERROR;
	if (type == 0) {
		refuse(c, SSH_DISCONNECT_PROTOCOL_ERROR, 0, "message type 0 (reserved)", "bad message type",
		       CONN_EXIT_NO_AUTH);
		return -1;
	}
	/* OpenSSH refuses a key re-exchange before authentication too: one
	 * costs the server a host key signature and a KEM, for nothing. */
	if (type == SSH_MSG_KEXINIT && c->kex.done_first && !c->info.authenticated) {
		refuse(c, SSH_DISCONNECT_PROTOCOL_ERROR, 0, "second KEXINIT before authentication",
		       "key re-exchange before authentication", CONN_EXIT_NO_AUTH);
		return -1;
	}
	int r = kex_filter(&c->kex, type, payload, &reason);
	if (r < 0) {
		refuse(c, reason, r, "key exchange failed", "key exchange failed", CONN_EXIT_NO_AUTH);
		return -1;
	}
	if (r == 1)
		return 0;
	switch (type) {
	case SSH_MSG_DISCONNECT: {
		struct buf p;
		uint32_t code = 0;
		char msg[256] = "";
		if (buf_view_message_body(&p, payload) || buf_get_u32(&p, &code) ||
		    buf_get_cstring_into(&p, msg, sizeof(msg)))
			msg[0] = 0;
		log_info("Received disconnect from %s port %d:%u: %s%s", c->info.client_addr,
			 c->info.client_port, code, msg, c->info.authenticated ? "" : " [preauth]");
		transport_mark_dead(c->t);
		if (!c->info.authenticated && !c->exit_code)
			c->exit_code = CONN_EXIT_AUTH_FAILED;
		return -1;
	}
	case SSH_MSG_IGNORE:
	case SSH_MSG_DEBUG:
	case SSH_MSG_UNIMPLEMENTED:
		return 0;
	case SSH_MSG_SERVICE_REQUEST:
		if ((r = handle_service_request(c, payload)) < 0) {
			refuse(c, SSH_DISCONNECT_PROTOCOL_ERROR, r, "malformed service request",
			       "bad service request", CONN_EXIT_NO_AUTH);
			return -1;
		}
		return transport_dead(c->t) ? -1 : 0;
	case SSH_MSG_EXT_INFO:
		return 0; /* a client's ext-info (RFC 8308): nothing we use */
	default:
		break;
	}
	if (type >= 50 && type <= 79) {
		if (!c->service_userauth) {
			char why[64];
			snprintf(why, sizeof(why), "userauth message type %u before the service request",
				 type);
			refuse(c, SSH_DISCONNECT_PROTOCOL_ERROR, 0, why, "userauth before service request",
			       CONN_EXIT_NO_AUTH);
			return -1;
		}
		if (c->info.authenticated)
			return 0; /* RFC 4252 s5.1: ignore */
		if (type != SSH_MSG_USERAUTH_REQUEST && type != SSH_MSG_USERAUTH_INFO_RESPONSE)
			return send_unimplemented(c);
		r = auth_handle(&c->auth, c->t, type, payload, &reason);
		if (r < 0) {
			fatal_disconnect(c, reason,
					 r == SB_ERR_AUTH_LIMIT ? "Too many authentication failures"
								: "authentication protocol error",
					 r == SB_ERR_AUTH_LIMIT ? CONN_EXIT_AUTH_FAILED : CONN_EXIT_NO_AUTH);
			return -1;
		}
		if (r == 1)
			on_authenticated(c);
		return 0;
	}
	if (type >= 80 && type <= 127) {
		if (!c->info.authenticated) {
			char why[64];
			snprintf(why, sizeof(why), "connection protocol message %u before authentication",
				 type);
			refuse(c, SSH_DISCONNECT_PROTOCOL_ERROR, 0, why, "not authenticated",
			       CONN_EXIT_NO_AUTH);
			return -1;
		}
		if (channel_handle_packet(c->chans, type, payload) < 0) {
			fatal_disconnect(c, SSH_DISCONNECT_PROTOCOL_ERROR, "channel protocol error",
					 CONN_EXIT_NO_AUTH);
			return -1;
		}
		return 0;
	}
	log_debug("unimplemented message type %u", type);
	return send_unimplemented(c);
}

/* Reads the version line, then up to PACKETS_PER_TURN packets from the transport.
 * 1: more may be pending; 2: stopped because the peer is not reading our
 * output (see output_backlogged); 0: needs more bytes; < 0: connection over. */
static int process_input(struct conn *c)
{
	if (!transport_version_done(c->t)) {
		int r = transport_read_version(c->t);
		if (r < 0) {
			log_info("Refused %s port %d [preauth]: %s", c->info.client_addr, c->info.client_port,
				 transport_error(c->t)[0] ? transport_error(c->t)
							  : "bad identification string");
			transport_reject_version(c->t);
			c->exit_code = CONN_EXIT_NO_AUTH;
			return -1;
		}
		if (r == 0)
			return 0;
		log_debug("client version: %s", transport_peer_version(c->t));
		if ((r = kex_start(&c->kex)) != 0) {
			log_error("kex: cannot send KEXINIT to %s port %d: %s", c->info.client_addr,
				  c->info.client_port, sb_strerror(r));
			c->exit_code = CONN_EXIT_ERROR;
			return -1;
		}
	}
	for (int n = 0; n < PACKETS_PER_TURN && !transport_dead(c->t); n++) {
		if (output_backlogged(c))
			return 2; /* the rest waits until the peer reads (POLLOUT) */
		struct buf payload;
		uint8_t type;
		int reason;
		int r = transport_next_packet(c->t, &payload, &type, &reason);
		if (r == 0)
			return 0;
		if (r < 0) {
			refuse(c, reason, r, "packet error",
			       reason == SSH_DISCONNECT_MAC_ERROR ? "corrupted MAC on input" : "packet error",
			       CONN_EXIT_NO_AUTH);
			return -1;
		}
		c->last_rx_ms = monotonic_ms();
		c->alive_missed = 0;
		if (dispatch(c, type, &payload) < 0)
			return -1;
	}
	return 1; /* more may be pending */
}

static int send_keepalive(struct conn *c)
{
	struct buf b;
	buf_init(&b, 64);
	int r = buf_put_u8(&b, SSH_MSG_GLOBAL_REQUEST);
	r = r ? r : buf_put_cstring(&b, "keepalive@openssh.com");
	r = r ? r : buf_put_u8(&b, 1);
	r = r ? r : conn_send(c, &b);
	buf_free(&b);
	c->global_req_pending++;
	return r;
}

static void setup_prefs(struct conn *c, struct kex_prefs *p)
{
	memset(p, 0, sizeof(*p));
	const struct sshd_config *cfg = c->base_cfg;
	if (cfg->kex_algorithms && cfg->kex_algorithms[0])
		p->kex = cfg->kex_algorithms;
	if (cfg->ciphers && cfg->ciphers[0])
		p->ciphers = cfg->ciphers;
	if (cfg->macs && cfg->macs[0])
		p->macs = cfg->macs;
	p->compression = cfg->compression == COMPRESSION_NO ? "none" : "none,zlib@openssh.com";
}

/* Fills in the peer's and our own address and port (logs name them). */
static void record_addresses(struct conn *c, int sock)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getpeername(sock, (struct sockaddr *)&ss, &sl) == 0)
		sockaddr_to_str(&ss, c->info.client_addr, sizeof(c->info.client_addr), &c->info.client_port);
	else
		snprintf(c->info.client_addr, sizeof(c->info.client_addr), "UNKNOWN");
	sl = sizeof(ss);
	if (getsockname(sock, (struct sockaddr *)&ss, &sl) == 0)
		sockaddr_to_str(&ss, c->info.local_addr, sizeof(c->info.local_addr), &c->info.local_port);
}

static void tune_socket(int sock, const struct sshd_config *cfg)
{
	int one = 1;
	setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (cfg->tcp_keep_alive)
		setsockopt(sock, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	set_nonblock(sock, 1);
	if (output_fd >= 0)
		set_nonblock(output_fd, 1);
}

/* Everything before the first poll: addresses, metrics, socket options,
 * the event loop, transport, kex and channel table; sends our version
 * line. Returns 0, or CONN_EXIT_ERROR when the event loop cannot start. */
static int conn_setup(struct conn *c, int sock, const struct sshd_config *cfg, const struct hostkeys *hks)
{
	c->sock = sock;
	c->base_cfg = cfg;
	c->hostkeys = hks;
	c->start_ms = monotonic_ms();
	c->last_rx_ms = c->start_ms;

	record_addresses(c, sock);
	metrics_conn_register(getpid(), c->info.client_addr, c->info.client_port);
	kex_done_hook = metrics_kex_cb;
	auth_result_hook = metrics_auth_cb;
	tune_socket(sock, cfg);

	loop_init(&c->loop);
	if (loop_catch_sigchld(&c->loop) != 0)
		return CONN_EXIT_ERROR;
	signal(SIGPIPE, SIG_IGN);

	log_info("Connection from %s port %d on %s port %d", c->info.client_addr, c->info.client_port,
		 c->info.local_addr, c->info.local_port);

	c->t = transport_new(sock);
	if (!c->t) {
		log_error("out of memory for the transport");
		return CONN_EXIT_ERROR; /* the process exits: its descriptors close */
	}
	if (output_fd >= 0)
		transport_set_output_fd(c->t, output_fd);
	transport_set_rekey_limits(c->t, cfg->rekey_limit_bytes,
				   cfg->rekey_limit_seconds > 0 ? (uint64_t)cfg->rekey_limit_seconds * 1000u
								: 3600u * 1000u);
	struct kex_prefs prefs;
	setup_prefs(c, &prefs);
	kex_init(&c->kex, c->t, hks, &prefs);
	init_channels(c);

	transport_send_version(c->t);
	return 0;
}

/* Lowers *timeout (ms, -1 = none) to t. */
static void shorten_timeout(int *timeout, int t)
{
	if (*timeout < 0 || t < *timeout)
		*timeout = t;
}

/* LoginGraceTime: ends an unauthenticated connection once it is over,
 * else bounds the poll timeout by what is left. Returns < 0 when over. */
static int check_login_grace(struct conn *c, uint64_t now, int *timeout)
{
	const struct sshd_config *cfg = c->base_cfg;
	uint64_t grace = cfg->login_grace_time > 0 ? (uint64_t)cfg->login_grace_time * 1000u : 0;
	if (c->info.authenticated || !grace)
		return 0;
	if (now - c->start_ms >= grace) {
		log_info("Timeout before authentication for %s port %d", c->info.client_addr,
			 c->info.client_port);
		fatal_disconnect(c, SSH_DISCONNECT_PROTOCOL_ERROR, "Timeout before authentication",
				 CONN_EXIT_AUTH_FAILED);
		return -1;
	}
	shorten_timeout(timeout, (int)(grace - (now - c->start_ms)));
	return 0;
}

/* ClientAliveInterval/CountMax (the user's Match-resolved config): sends a
 * keepalive after each silent interval and ends the connection after too
 * many unanswered. Returns < 0 when the client is given up. */
static int check_client_alive(struct conn *c, uint64_t now, int *timeout)
{
	if (!c->info.authenticated || c->info.cfg->client_alive_interval <= 0)
		return 0;
	uint64_t iv = (uint64_t)c->info.cfg->client_alive_interval * 1000u;
	if (now - c->last_rx_ms >= iv) {
		if (++c->alive_missed > c->info.cfg->client_alive_count_max) {
			log_info("Timeout, client not responding from %s port %d", c->info.client_addr,
				 c->info.client_port);
			fatal_disconnect(c, SSH_DISCONNECT_BY_APPLICATION, "Timeout, client not responding",
					 CONN_EXIT_OK);
			return -1;
		}
		send_keepalive(c);
		c->last_rx_ms = now;
	}
	shorten_timeout(timeout, (int)(iv - (now - c->last_rx_ms)));
	return 0;
}

/* RekeyLimit: starts a key re-exchange once the byte limit is reached, and
 * wakes the loop when the time limit falls due. Returns < 0 when the
 * re-exchange cannot start. */
static int check_rekey(struct conn *c, uint64_t now, int *timeout)
{
	if (c->kex.done_first && transport_rekey_due(c->t)) {
		struct transport_counters tc;
		transport_get_counters(c->t, &tc);
		log_debug("rekey: starting (in %llu out %llu bytes)", (unsigned long long)tc.rx_bytes,
			  (unsigned long long)tc.tx_bytes);
		if (kex_start(&c->kex) != 0)
			return -1;
	}
	long left = c->kex.done_first ? transport_rekey_timeout_ms(c->t, now) : -1;
	if (left >= 0)
		shorten_timeout(timeout, (int)left);
	return 0;
}

/* The descriptors one loop turn polls. The first ones have fixed slots;
 * the channels' and the event loop's watches follow. */
enum { POLL_SOCK = 0, POLL_SIGCHLD = 1, POLL_OUTPUT = 2 /* inetd mode only */ };
struct pollset {
	struct pollfd pfds[MAX_POLL];
	struct channel_pollref refs[MAX_POLL];
	int widx[LOOP_MAX_FD_WATCH];
	size_t n;
	size_t ch_start, nch; /* the channels' slots */
	size_t w_start, nw;   /* the event loop's watches */
};

static void poll_prepare(struct conn *c, struct pollset *ps)
{
	struct pollfd *pfds = ps->pfds;
	size_t n = 0;
	pfds[n] = (struct pollfd){.fd = c->sock, .events = 0};
	if (transport_input_room(c->t) && !output_backlogged(c))
		pfds[n].events |= POLLIN;
	if (transport_output_pending(c->t) > 0 && transport_output_fd(c->t) == c->sock)
		pfds[n].events |= POLLOUT;
	n++;
	pfds[n++] = (struct pollfd){.fd = loop_sigchld_fd(&c->loop), .events = POLLIN};
	/* inetd mode: output goes to a different fd */
	if (transport_output_fd(c->t) != c->sock) {
		pfds[n] = (struct pollfd){.fd = transport_output_fd(c->t),
					  .events = transport_output_pending(c->t) > 0 ? POLLOUT : 0};
		n++;
	}
	ps->ch_start = n;
	ps->nch = c->info.authenticated ? channel_poll_prepare(c->chans, pfds + n, ps->refs + n,
							       MAX_POLL - n - LOOP_MAX_FD_WATCH)
					: 0;
	n += ps->nch;
	ps->w_start = n;
	ps->nw = loop_poll_prepare(&c->loop, pfds + n, ps->widx, LOOP_MAX_FD_WATCH);
	ps->n = n + ps->nw;
}

/* Reads what the socket has into the transport. Returns 1 at end of input (the
 * packets already read are still handled), else 0. */
static int read_from_peer(struct conn *c)
{
	long rd = transport_read_fd(c->t);
	if (rd > 0) {
		metrics_add(M_BYTES_IN, (uint64_t)rd);
	} else if (rd == 0 || rd == SB_ERR_IO) {
		log_info("Connection closed by %s port %d%s", c->info.client_addr, c->info.client_port,
			 c->info.authenticated ? "" : " [preauth]");
		if (!c->info.authenticated && !c->exit_code)
			c->exit_code = CONN_EXIT_AUTH_FAILED;
		return 1;
	}
	return 0;
}

static int flush_to_peer(struct conn *c)
{
	size_t before = transport_output_pending(c->t);
	if (transport_flush(c->t) < 0) {
		log_info("write to %s port %d failed: %s", c->info.client_addr, c->info.client_port,
			 strerror(errno));
		return -1;
	}
	if (before > transport_output_pending(c->t))
		metrics_add(M_BYTES_OUT, before - transport_output_pending(c->t));
	return 0;
}

/* What one loop turn leaves for the next. */
struct turn {
	int more;    /* packets may wait in the transport: poll without sleeping */
	int stalled; /* input stopped because the peer is not reading */
	int eof;     /* the peer closed its side */
};

/* Everything after poll() returned: children, input, packets, channels,
 * watches, output. Returns < 0 when the connection ends. */
static int service_turn(struct conn *c, struct pollset *ps, struct turn *st)
{
	const struct pollfd *pfds = ps->pfds;
	if (pfds[POLL_SIGCHLD].revents)
		loop_reap(&c->loop);
	if (transport_output_fd(c->t) != c->sock && (pfds[POLL_OUTPUT].revents & (POLLERR | POLLHUP)) &&
	    !(pfds[POLL_OUTPUT].revents & POLLOUT)) {
		log_info("output closed by %s", c->info.client_addr);
		return -1;
	}
	if ((pfds[POLL_SOCK].revents & (POLLIN | POLLHUP | POLLERR)) && !output_backlogged(c) &&
	    read_from_peer(c))
		st->eof = 1;
	if (!st->eof || transport_input_pending(c->t) > 0) {
		int pi = process_input(c);
		st->more = pi == 1;
		st->stalled = pi == 2;
		if (pi < 0)
			return -1;
	}
	if (ps->nch &&
	    channel_poll_service(c->chans, ps->pfds + ps->ch_start, ps->refs + ps->ch_start, ps->nch) < 0)
		return -1;
	loop_poll_service(&c->loop, ps->pfds + ps->w_start, ps->widx, ps->nw);
	if (c->info.authenticated)
		channel_progress(c->chans);
	if (flush_to_peer(c) < 0)
		return -1;
	/* packets already read wait in the transport: go on once the peer has read */
	if (st->stalled && !output_backlogged(c))
		st->more = 1;
	return 0;
}

/* The poll loop: runs until the transport is dead, the peer is gone, a
 * deadline passes or a turn fails. */
static void conn_loop_run(struct conn *c)
{
	static struct pollset ps;
	struct turn st = {0};
	while (!transport_dead(c->t) && !st.eof) {
		uint64_t now = monotonic_ms();
		int timeout = -1;
		if (check_login_grace(c, now, &timeout) < 0 || check_client_alive(c, now, &timeout) < 0 ||
		    check_rekey(c, now, &timeout) < 0)
			break;
		if (st.more)
			timeout = 0;
		poll_prepare(c, &ps);
		if (poll(ps.pfds, ps.n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			c->exit_code = CONN_EXIT_ERROR;
			break;
		}
		if (service_turn(c, &ps, &st) < 0)
			break;
	}
}

/* Last words to the peer, then frees everything; returns the exit code
 * (see enum conn_exit). */
static int conn_finish(struct conn *c)
{
	transport_flush_blocking(c->t, 1000);
	channel_table_free(c->chans);
	agentfwd_connection_end(c);
	fwd_connection_end(c);
	if (c->info.authenticated) {
		log_info("Disconnected user %s %s port %d", c->auth.user, c->info.client_addr,
			 c->info.client_port);
	} else if (c->exit_code == CONN_EXIT_OK || c->exit_code == CONN_EXIT_AUTH_FAILED) {
		/* for per-source penalties: 1 = authentication was tried and
		 * failed, 2 = gone (or timed out) without trying */
		c->exit_code = c->auth.failures > 0 ? CONN_EXIT_AUTH_FAILED : CONN_EXIT_NO_AUTH;
	}
	metrics_conn_unregister(getpid());
	auth_free(&c->auth);
	kex_free(&c->kex);
	transport_free(c->t);
	c->t = NULL;
	loop_free(&c->loop);
	close(c->sock);
	if (output_fd >= 0 && output_fd != c->sock)
		close(output_fd);
	return c->exit_code;
}

int conn_run(int sock, const struct sshd_config *cfg, const struct hostkeys *hks)
{
	/* Static and zero in a freshly forked connection process: clearing it
	 * again would fault in all of its ~90 KiB (the channel table) for
	 * nothing, so only a second run in the same process clears it. */
	static struct conn cs;
	static int cs_used;
	struct conn *c = &cs;
	if (cs_used)
		memset(c, 0, sizeof(*c));
	cs_used = 1;
	if (conn_setup(c, sock, cfg, hks) != 0)
		return CONN_EXIT_ERROR;
	conn_loop_run(c);
	return conn_finish(c);
}
