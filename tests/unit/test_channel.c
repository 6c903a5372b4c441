/* Unit tests for shared/ssh/channel.c: open dispatch, windows in both
 * directions, pipe plumbing, and the output -> exit-status -> EOF -> CLOSE
 * order. A channel table is driven directly with this file's host
 * callbacks; packets the channel layer sends go through a server-side
 * transport and are read back by a client-side one. The owner is a
 * detached struct conn, so conn.c's "no-more-sessions@openssh.com" and
 * session.c's open handler can be checked against the layer too. */
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "conn.h"
#include "crypto.h"
#include "session.h"
#include "t.h"
#include "transport.h"
#include "util.h"

static struct channel_table T;
static struct conn *owner;
static struct transport *server; /* frames what the channel layer sends */
static struct transport *client; /* parses what the server sent */
static int answered;
static int child_in[2], child_out[2], child_err[2];
static int freed, out_eof_calls;

static void ops_free(void *o, struct channel *ch)
{
	freed++;
}
static void ops_output_eof(void *o, struct channel *ch)
{
	out_eof_calls++;
}
static const struct channel_ops test_ops = {.free = ops_free, .output_eof = ops_output_eof};

static int open_test(void *o, struct channel *ch, struct buf *data, uint32_t *reason, char *desc, size_t dl)
{
	ch->ops = &test_ops;
	if (pipe2(child_in, O_CLOEXEC) || pipe2(child_out, O_CLOEXEC) || pipe2(child_err, O_CLOEXEC))
		return -1;
	ch->hold_close = 1;
	channel_set_fds(ch, child_in[1], child_out[0], child_err[0]);
	return 0;
}

static int host_send(void *o, const struct buf *payload)
{
	CHECK(o == owner);
	return transport_send(server, payload);
}

static void host_answered(void *o)
{
	answered++;
}

/* a channel with no fds: only its slot matters */
static int open_plain(void *o, struct channel *ch, struct buf *data, uint32_t *reason, char *desc, size_t dl)
{
	return 0;
}

static const struct channel_type types[] = {
    {"test", open_test}, {"session", session_open}, {"plain", open_plain}};
static const struct channel_global globals[] = {
    {"no-more-sessions@openssh.com", conn_global_no_more_sessions}};

static void setup(void)
{
	struct conn_info info = {.client_addr = "test", .authenticated = 1};
	owner = conn_new_detached(&info, &T);
	struct channel_host host = {.owner = owner,
				    .send = host_send,
				    .global_answered = host_answered,
				    .peer = "test",
				    .types = types,
				    .n_types = ARRAY_LEN(types),
				    .globals = globals,
				    .n_globals = ARRAY_LEN(globals)};
	channel_table_init(&T, &host);
	server = transport_new(-1);
	client = transport_new(-1);
	freed = out_eof_calls = answered = 0;
}

static void teardown(void)
{
	channel_table_free(&T);
	conn_free_detached(owner);
	transport_free(server);
	transport_free(client);
}

static int feed(const struct buf *b)
{
	return channel_handle_packet(&T, buf_rptr(b)[0], (struct buf *)b);
}

/* Next packet the server sent: returns its type or -1 if none. */
static int next(struct buf *p)
{
	struct buf wire;
	buf_init(&wire, BUF_MAX_SIZE);
	int r = transport_take_output(server, &wire);
	r = r ? r : transport_feed(client, buf_rptr(&wire), buf_avail(&wire));
	buf_free(&wire);
	uint8_t type;
	int reason;
	if (r || transport_next_packet(client, p, &type, &reason) != 1)
		return -1;
	return type;
}

static void service(void)
{
	struct pollfd pfds[16];
	struct channel_pollref refs[16];
	for (int i = 0; i < 4; i++) {
		size_t n = channel_poll_prepare(&T, pfds, refs, 16);
		if (n)
			poll(pfds, n, 50);
		channel_poll_service(&T, pfds, refs, n);
	}
}

static void open_channel(uint32_t window)
{
	struct buf b;
	buf_init(&b, 256);
	buf_put_u8(&b, SSH_MSG_CHANNEL_OPEN);
	buf_put_cstring(&b, "test");
	buf_put_u32(&b, 77);
	buf_put_u32(&b, window);
	buf_put_u32(&b, 32768);
	CHECK_EQ_INT(feed(&b), 0);
	buf_free(&b);
	struct buf p;
	CHECK_EQ_INT(next(&p), SSH_MSG_CHANNEL_OPEN_CONFIRMATION);
}

static void send_msg_u32(uint8_t type, uint32_t id)
{
	struct buf b;
	buf_init(&b, 64);
	buf_put_u8(&b, type);
	buf_put_u32(&b, id);
	feed(&b);
	buf_free(&b);
}

TEST(open_dispatch)
{
	setup();
	struct buf b, p;
	buf_init(&b, 256);
	buf_put_u8(&b, SSH_MSG_CHANNEL_OPEN);
	buf_put_cstring(&b, "nonesuch");
	buf_put_u32(&b, 5);
	buf_put_u32(&b, 1000);
	buf_put_u32(&b, 1000);
	CHECK_EQ_INT(feed(&b), 0);
	CHECK_EQ_INT(next(&p), SSH_MSG_CHANNEL_OPEN_FAILURE);
	uint8_t t;
	uint32_t rid, reason;
	buf_get_u8(&p, &t);
	buf_get_u32(&p, &rid);
	buf_get_u32(&p, &reason);
	CHECK_EQ_INT(rid, 5);
	CHECK_EQ_INT(reason, SSH_OPEN_UNKNOWN_CHANNEL_TYPE);
	/* truncated open: protocol error */
	buf_reset(&b);
	buf_put_u8(&b, SSH_MSG_CHANNEL_OPEN);
	buf_put_cstring(&b, "test");
	CHECK(feed(&b) < 0);
	CHECK_EQ_INT(feed(&b), SB_ERR_SHORT); /* the buf error names it */
	/* messages for channels that do not exist */
	buf_reset(&b);
	buf_put_u8(&b, SSH_MSG_CHANNEL_EOF);
	buf_put_u32(&b, 999);
	CHECK(feed(&b) < 0);
	CHECK_EQ_INT(feed(&b), SB_ERR_PROTOCOL);
	buf_free(&b);
	teardown();
}

TEST(data_in_and_window)
{
	setup();
	open_channel(1 << 20);
	struct buf b;
	buf_init(&b, 70000);
	buf_put_u8(&b, SSH_MSG_CHANNEL_DATA);
	buf_put_u32(&b, 0);
	buf_put_cstring(&b, "to the child");
	CHECK_EQ_INT(feed(&b), 0);
	char got[64] = {0};
	CHECK_EQ_INT(read(child_in[0], got, sizeof(got)), 12);
	CHECK_STR(got, "to the child");
	/* larger than the max packet we announced: refused */
	static uint8_t big[40000];
	buf_reset(&b);
	buf_put_u8(&b, SSH_MSG_CHANNEL_DATA);
	buf_put_u32(&b, 0);
	buf_put_string(&b, big, sizeof(big));
	CHECK(feed(&b) < 0);
	CHECK_EQ_INT(feed(&b), SB_ERR_PROTOCOL); /* over the window / max packet */
	/* overrun the window: the child does not read; 2 MiB + more */
	int overrun = 0;
	for (int i = 0; i < 100 && !overrun; i++) {
		buf_reset(&b);
		buf_put_u8(&b, SSH_MSG_CHANNEL_DATA);
		buf_put_u32(&b, 0);
		buf_put_string(&b, big, 32768);
		overrun = feed(&b) < 0;
	}
	CHECK(overrun);
	buf_free(&b);
	teardown();
}

TEST(output_respects_remote_window)
{
	setup();
	open_channel(5); /* the client allows 5 bytes */
	CHECK_EQ_INT(write(child_out[1], "hello world", 11), 11);
	service();
	struct buf p;
	CHECK_EQ_INT(next(&p), SSH_MSG_CHANNEL_DATA);
	uint8_t t;
	uint32_t id;
	const uint8_t *d;
	size_t n;
	buf_get_u8(&p, &t);
	buf_get_u32(&p, &id);
	CHECK_EQ_INT(buf_get_string_view(&p, &d, &n, 1000), 0);
	CHECK_EQ_INT(id, 77);
	CHECK_EQ_INT(n, 5);
	CHECK(memcmp(d, "hello", 5) == 0);
	CHECK_EQ_INT(next(&p), -1); /* nothing more until the window grows */
	struct buf b;
	buf_init(&b, 64);
	buf_put_u8(&b, SSH_MSG_CHANNEL_WINDOW_ADJUST);
	buf_put_u32(&b, 0);
	buf_put_u32(&b, 100);
	CHECK_EQ_INT(feed(&b), 0);
	service();
	CHECK_EQ_INT(next(&p), SSH_MSG_CHANNEL_DATA);
	buf_get_u8(&p, &t);
	buf_get_u32(&p, &id);
	CHECK_EQ_INT(buf_get_string_view(&p, &d, &n, 1000), 0);
	CHECK_EQ_INT(n, 6);
	CHECK(memcmp(d, " world", 6) == 0);
	buf_free(&b);
	teardown();
}

TEST(close_order)
{
	setup();
	open_channel(1 << 20);
	struct channel *ch = &T.ch[0];
	CHECK_EQ_INT(write(child_out[1], "last words", 10), 10);
	CHECK_EQ_INT(write(child_err[1], "err", 3), 3);
	/* the child exits before its output was read: exit-status is held */
	struct buf st;
	buf_init(&st, 16);
	buf_put_u32(&st, 3);
	CHECK_EQ_INT(channel_send_request(ch, "exit-status", 0, &st), 0);
	channel_release_close(ch);
	struct buf p;
	CHECK_EQ_INT(next(&p), -1); /* nothing yet: output first */
	close(child_out[1]);
	close(child_err[1]);
	service();
	int order[8], n = 0, t;
	while (n < 8 && (t = next(&p)) >= 0)
		order[n++] = t;
	/* data and stderr (any order), then exit-status, EOF, CLOSE */
	CHECK_EQ_INT(n, 5);
	if (n == 5) {
		CHECK((order[0] == SSH_MSG_CHANNEL_DATA && order[1] == SSH_MSG_CHANNEL_EXTENDED_DATA) ||
		      (order[1] == SSH_MSG_CHANNEL_DATA && order[0] == SSH_MSG_CHANNEL_EXTENDED_DATA));
		CHECK_EQ_INT(order[2], SSH_MSG_CHANNEL_REQUEST);
		CHECK_EQ_INT(order[3], SSH_MSG_CHANNEL_EOF);
		CHECK_EQ_INT(order[4], SSH_MSG_CHANNEL_CLOSE);
	}
	CHECK_EQ_INT(out_eof_calls, 1);
	CHECK_EQ_INT(freed, 0);
	send_msg_u32(SSH_MSG_CHANNEL_CLOSE, 0);
	CHECK_EQ_INT(freed, 1);
	CHECK(!channel_any_open(&T));
	buf_free(&st);
	close(child_in[0]);
	teardown();
}

TEST(hold_close_waits_for_exit)
{
	setup();
	open_channel(1 << 20);
	struct channel *ch = &T.ch[0];
	close(child_out[1]);
	close(child_err[1]);
	service();
	struct buf p;
	CHECK_EQ_INT(next(&p), -1); /* output ended, but the child runs: no EOF yet */
	struct buf st;
	buf_init(&st, 16);
	buf_put_u32(&st, 0);
	channel_send_request(ch, "exit-status", 0, &st);
	CHECK_EQ_INT(next(&p), SSH_MSG_CHANNEL_REQUEST); /* drained: at once */
	channel_release_close(ch);
	CHECK_EQ_INT(next(&p), SSH_MSG_CHANNEL_EOF);
	CHECK_EQ_INT(next(&p), SSH_MSG_CHANNEL_CLOSE);
	buf_free(&st);
	close(child_in[0]);
	teardown();
}

TEST(client_eof_closes_child_stdin)
{
	setup();
	open_channel(1 << 20);
	send_msg_u32(SSH_MSG_CHANNEL_EOF, 0);
	char c;
	CHECK_EQ_INT(read(child_in[0], &c, 1), 0); /* EOF reaches the child */
	/* the client closes first: we answer CLOSE, channel freed */
	send_msg_u32(SSH_MSG_CHANNEL_CLOSE, 0);
	struct buf p;
	CHECK_EQ_INT(next(&p), SSH_MSG_CHANNEL_CLOSE);
	CHECK_EQ_INT(freed, 1);
	close(child_in[0]);
	close(child_out[1]);
	close(child_err[1]);
	teardown();
}

TEST(global_requests)
{
	setup();
	struct buf b, p;
	buf_init(&b, 256);
	buf_put_u8(&b, SSH_MSG_GLOBAL_REQUEST);
	buf_put_cstring(&b, "keepalive@openssh.com");
	buf_put_u8(&b, 1);
	CHECK_EQ_INT(feed(&b), 0);
	CHECK_EQ_INT(next(&p), SSH_MSG_REQUEST_FAILURE);
	buf_reset(&b);
	buf_put_u8(&b, SSH_MSG_GLOBAL_REQUEST);
	buf_put_cstring(&b, "no-more-sessions@openssh.com");
	buf_put_u8(&b, 0);
	CHECK_EQ_INT(feed(&b), 0);
	CHECK_EQ_INT(next(&p), -1); /* no reply wanted */
	CHECK(conn_info(owner)->no_more_sessions);
	/* answers to our keepalives reach the owner */
	buf_reset(&b);
	buf_put_u8(&b, SSH_MSG_REQUEST_FAILURE);
	CHECK_EQ_INT(feed(&b), 0);
	CHECK_EQ_INT(answered, 1);
	buf_free(&b);
	teardown();
}

static int open_session(uint32_t sender)
{
	struct buf b, p;
	buf_init(&b, 256);
	buf_put_u8(&b, SSH_MSG_CHANNEL_OPEN);
	buf_put_cstring(&b, "session");
	buf_put_u32(&b, sender);
	buf_put_u32(&b, 1 << 20);
	buf_put_u32(&b, 32768);
	CHECK_EQ_INT(feed(&b), 0);
	buf_free(&b);
	int t = next(&p);
	if (t == SSH_MSG_CHANNEL_OPEN_FAILURE) {
		uint8_t mt;
		uint32_t rid, reason;
		buf_get_u8(&p, &mt);
		buf_get_u32(&p, &rid);
		buf_get_u32(&p, &reason);
		CHECK_EQ_INT(rid, sender);
		CHECK_EQ_INT(reason, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED);
	}
	return t;
}

/* "no-more-sessions@openssh.com" refuses later session channels (and only
 * those); the channel layer itself knows no channel type by name. */
TEST(no_more_sessions)
{
	setup();
	CHECK_EQ_INT(open_session(1), SSH_MSG_CHANNEL_OPEN_CONFIRMATION);
	struct buf b;
	buf_init(&b, 256);
	buf_put_u8(&b, SSH_MSG_GLOBAL_REQUEST);
	buf_put_cstring(&b, "no-more-sessions@openssh.com");
	buf_put_u8(&b, 0);
	CHECK_EQ_INT(feed(&b), 0);
	buf_free(&b);
	CHECK_EQ_INT(open_session(2), SSH_MSG_CHANNEL_OPEN_FAILURE);
	open_channel(1 << 20); /* other types still open */
	close(child_in[0]);
	close(child_out[1]);
	close(child_err[1]);
	teardown();
}

static void open_plain_channel(uint32_t peer_id)
{
	struct buf b, p;
	buf_init(&b, 256);
	buf_put_u8(&b, SSH_MSG_CHANNEL_OPEN);
	buf_put_cstring(&b, "plain");
	buf_put_u32(&b, peer_id);
	buf_put_u32(&b, 1000);
	buf_put_u32(&b, 1000);
	CHECK_EQ_INT(feed(&b), 0);
	buf_free(&b);
	CHECK_EQ_INT(next(&p), SSH_MSG_CHANNEL_OPEN_CONFIRMATION);
}

/* The table is scanned only up to the highest slot ever used (n_slots):
 * slots beyond it are unknown ids, a freed slot below it is reused, and a
 * table emptied by channel_table_free starts over from slot 0. */
TEST(slot_high_water)
{
	setup();
	CHECK_EQ_INT(T.n_slots, 0);
	CHECK(!channel_any_open(&T));
	open_plain_channel(10);
	open_plain_channel(11);
	CHECK_EQ_INT(T.n_slots, 2);
	CHECK_EQ_INT(channel_count_type(&T, "plain"), 2);
	send_msg_u32(SSH_MSG_CHANNEL_EOF, 2); /* free slot beyond n_slots */
	CHECK(channel_count_type(&T, "plain") == 2);
	struct buf b;
	buf_init(&b, 64);
	buf_put_u8(&b, SSH_MSG_CHANNEL_EOF);
	buf_put_u32(&b, 2);
	CHECK(feed(&b) < 0);
	buf_free(&b);
	/* the client closes channel 0; our close answers it and frees the slot */
	struct buf p;
	send_msg_u32(SSH_MSG_CHANNEL_CLOSE, 0);
	channel_progress(&T);
	while (next(&p) >= 0)
		;
	CHECK_EQ_INT(channel_count_type(&T, "plain"), 1);
	CHECK(channel_any_open(&T)); /* slot 1, below n_slots, is still seen */
	open_plain_channel(12);	     /* reuses slot 0 */
	CHECK_EQ_INT(T.n_slots, 2);
	CHECK_EQ_INT(channel_count_type(&T, "plain"), 2);
	teardown();
	setup(); /* re-initialised after channel_table_free: empty */
	CHECK_EQ_INT(T.n_slots, 0);
	CHECK(!channel_any_open(&T));
	open_plain_channel(13);
	CHECK_EQ_INT(T.n_slots, 1);
	teardown();
}

int main(void)
{
	crypto_init();
	RUN(open_dispatch);
	RUN(data_in_and_window);
	RUN(output_respects_remote_window);
	RUN(close_order);
	RUN(hold_close_waits_for_exit);
	RUN(client_eof_closes_child_stdin);
	RUN(global_requests);
	RUN(no_more_sessions);
	RUN(slot_high_water);
	return t_done();
}
