/* Unit tests for shared/ssh/transport.c: version lines, packet framing in
 * the clear and under every cipher, hostile framing, the kex queue, the
 * accessors. White-box where the public API cannot reach (sequence
 * numbers near the wrap, byte counters and key age for the rekey
 * triggers): this file alone besides transport.c includes
 * transport_int.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cipher.h"
#include "crypto.h"
#include "t.h"
#include "transport.h"
#include "transport_int.h"
#include "util.h"

/* Moves the sender's output into the receiver's input (no sockets). */
static void pump(struct transport *from, struct transport *to)
{
	struct buf b;
	buf_init(&b, BUF_MAX_SIZE);
	CHECK_EQ_INT(transport_take_output(from, &b), 0);
	CHECK_EQ_INT(transport_output_pending(from), 0);
	CHECK_EQ_INT(transport_feed(to, buf_rptr(&b), buf_avail(&b)), 0);
	buf_free(&b);
}

static int send_bytes(struct transport *t, const void *p, size_t n)
{
	struct buf b;
	buf_view(&b, p, n);
	return transport_send(t, &b);
}

static void feed(struct transport *t, const char *s)
{
	CHECK_EQ_INT(transport_feed(t, s, strlen(s)), 0);
}

TEST(version_ok)
{
	struct transport *t;
	t = transport_new(-1);
	feed(t, "SSH-2.0-OpenSSH_9.2p1 Debian\r\n");
	CHECK_EQ_INT(transport_read_version(t), 1);
	CHECK_STR(transport_peer_version(t), "SSH-2.0-OpenSSH_9.2p1 Debian");
	CHECK_EQ_INT(transport_version_done(t), 1);
	transport_free(t);

	t = transport_new(-1);
	feed(t, "SSH-2.0-");
	CHECK_EQ_INT(transport_read_version(t), 0); /* incomplete */
	feed(t, "x\n");				    /* LF only is accepted */
	CHECK_EQ_INT(transport_read_version(t), 1);
	CHECK_STR(transport_peer_version(t), "SSH-2.0-x");
	transport_free(t);
}

TEST(version_bad)
{
	const char *bad[] = {"GET / HTTP/1.0\r\n", "SSH-1.5-old\r\n", "SSH-2.0-\x01\x02\r\n"};
	/* each refusal has its code in the one error space, and a recorded reason */
	const int code[] = {SB_ERR_VERSION, SB_ERR_VERSION, SB_ERR_FORMAT};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct transport *t;
		t = transport_new(-1);
		feed(t, bad[i]);
		int r = transport_read_version(t);
		CHECK(r < 0);
		CHECK_EQ_INT(r, code[i]);
		CHECK(strncmp(transport_error(t), "bad protocol identification", 27) == 0);
		transport_free(t);
	}
	struct transport *t;
	t = transport_new(-1);
	char longline[400];
	memset(longline, 'A', sizeof(longline));
	memcpy(longline, "SSH-2.0-", 8);
	transport_feed(t, longline, sizeof(longline)); /* no newline within 255 bytes */
	CHECK_EQ_INT(transport_read_version(t), SB_ERR_LIMIT);
	CHECK_STR(transport_error(t), "bad protocol identification: line too long");
	transport_free(t);
	/* a NUL inside the line */
	t = transport_new(-1);
	transport_feed(t, "SSH-2.0-a\0b\r\n", 13);
	CHECK(transport_read_version(t) < 0);
	transport_free(t);
	/* 255 bytes with CR LF is the longest accepted line; one more is refused */
	for (int extra = 0; extra < 2; extra++) {
		t = transport_new(-1);
		memset(longline, 'A', sizeof(longline));
		memcpy(longline, "SSH-2.0-", 8);
		memcpy(longline + 253 + extra, "\r\n", 2);
		transport_feed(t, longline, 255 + (size_t)extra);
		int r = transport_read_version(t);
		if (extra)
			CHECK(r < 0);
		else
			CHECK_EQ_INT(r, 1);
		transport_free(t);
	}
}

TEST(clear_roundtrip_and_padding)
{
	struct transport *a, *b;
	a = transport_new(-1);
	b = transport_new(-1);
	for (size_t len = 1; len < 300; len += 7) {
		uint8_t msg[300];
		memset(msg, (int)len, sizeof(msg));
		msg[0] = SSH_MSG_IGNORE;
		CHECK_EQ_INT(send_bytes(a, msg, len), 0);
		/* framing as RFC 4253 s6 wants it */
		uint32_t plen;
		uint8_t pad;
		struct buf wire;
		buf_init(&wire, 1024);
		CHECK_EQ_INT(transport_take_output(a, &wire), 0);
		CHECK_EQ_INT(buf_peek_u32(&wire, 0, &plen), 0);
		CHECK_EQ_INT(buf_peek_u8(&wire, 4, &pad), 0);
		CHECK((plen + 4) % 8 == 0);
		CHECK(pad >= 4 && pad < 4 + 8);
		CHECK_EQ_INT(plen, 1 + len + pad);
		CHECK_EQ_INT(transport_feed(b, buf_rptr(&wire), buf_avail(&wire)), 0);
		buf_free(&wire);
		struct buf p;
		uint8_t type;
		int reason;
		CHECK_EQ_INT(transport_next_packet(b, &p, &type, &reason), 1);
		CHECK_EQ_INT(type, SSH_MSG_IGNORE);
		CHECK_EQ_INT(buf_avail(&p), len);
		CHECK(memcmp(buf_rptr(&p), msg, len) == 0);
	}
	struct transport_counters ca, cb;
	transport_get_counters(a, &ca);
	transport_get_counters(b, &cb);
	CHECK_EQ_INT(ca.tx_seq, cb.rx_seq);
	CHECK_EQ_INT(ca.tx_seq, 43); /* one per packet */
	CHECK_EQ_INT(ca.tx_bytes, cb.rx_bytes);
	transport_free(a);
	transport_free(b);
}

/* The result of framing bytes; the recorded reason goes to why (when not NULL). */
static int frame_result_why(const uint8_t *bytes, size_t n, char *why, size_t cap)
{
	struct transport *t;
	t = transport_new(-1);
	transport_feed(t, bytes, n);
	struct buf p;
	uint8_t type;
	int reason;
	int r = transport_next_packet(t, &p, &type, &reason);
	if (why)
		snprintf(why, cap, "%s", transport_error(t));
	transport_free(t);
	return r;
}

static int frame_result(const uint8_t *bytes, size_t n)
{
	return frame_result_why(bytes, n, NULL, 0);
}

TEST(hostile_framing)
{
	/* padding 2 (< 4) */
	uint8_t a[] = {0, 0, 0, 12, 2, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	CHECK(frame_result(a, sizeof(a)) < 0);
	/* padding longer than the packet */
	uint8_t b[] = {0, 0, 0, 12, 200, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	CHECK(frame_result(b, sizeof(b)) < 0);
	/* huge length: refused before any allocation */
	uint8_t c[] = {0x7f, 0xff, 0xff, 0xf0, 4, 20};
	CHECK(frame_result(c, sizeof(c)) < 0);
	/* zero length */
	uint8_t d[] = {0, 0, 0, 0, 0, 0, 0, 0};
	CHECK(frame_result(d, sizeof(d)) < 0);
	/* not block aligned */
	uint8_t e[] = {0, 0, 0, 13, 4, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
	CHECK(frame_result(e, sizeof(e)) < 0);
	/* truncated: needs more, not an error */
	uint8_t f[] = {0, 0, 0, 12, 4, 20};
	CHECK_EQ_INT(frame_result(f, sizeof(f)), 0);
	/* payload-less packet (padding only) */
	uint8_t g[] = {0, 0, 0, 12, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
	CHECK(frame_result(g, sizeof(g)) < 0);
	/* the codes and the recorded reasons the refusal log line prints */
	char why[160];
	CHECK_EQ_INT(frame_result_why(a, sizeof(a), why, sizeof(why)), SB_ERR_FORMAT);
	CHECK_STR(why, "bad padding length 2 (packet 12)");
	CHECK_EQ_INT(frame_result_why(c, sizeof(c), why, sizeof(why)), SB_ERR_PACKET_LENGTH);
	CHECK_STR(why, "bad packet length 2147483632");
	CHECK_EQ_INT(frame_result_why(e, sizeof(e), why, sizeof(why)), SB_ERR_PACKET_LENGTH);
	CHECK_STR(why, "packet length 13 not a multiple of block size 8");
}

static void set_keys(struct transport *a, struct transport *b, const char *cname, const char *mname)
{
	const struct cipher_info *ci = cipher_by_name(cname);
	const struct mac_info *mi = mname ? mac_by_name(mname) : NULL;
	uint8_t key[64], iv[32], mkey[64];
	crypto_random(key, sizeof(key));
	crypto_random(iv, sizeof(iv));
	crypto_random(mkey, sizeof(mkey));
	struct transport_keys tk = {0};
	tk.aad = ci->aead || (mi && mi->etm);
	tk.block = ci->block_len < 8 ? 8 : ci->block_len;
	tk.ctx = cipher_ctx_new(ci, key, iv, ci->aead ? NULL : mi, mkey);
	transport_set_next_keys(a, 1, &tk);
	tk.ctx = cipher_ctx_new(ci, key, iv, ci->aead ? NULL : mi, mkey);
	transport_set_next_keys(b, 0, &tk);
	CHECK_EQ_INT(transport_activate_tx(a, 1), 0);
	CHECK_EQ_INT(transport_activate_rx(b, 1), 0);
}

TEST(cipher_roundtrips)
{
	const char *combos[][2] = {
		{"chacha20-poly1305@openssh.com", NULL}, {"aes128-gcm@openssh.com", NULL},
		{"aes256-gcm@openssh.com", NULL},        {"aes128-ctr", "hmac-sha2-256"},
		{"aes256-ctr", "hmac-sha2-512-etm@openssh.com"}, {"aes128-ctr", "hmac-sha2-256-etm@openssh.com"},
		{"aes256-ctr", "hmac-sha2-512"},
	};
	for (size_t i = 0; i < ARRAY_LEN(combos); i++) {
		struct transport *a, *b;
		a = transport_new(-1);
		b = transport_new(-1);
		a->tx.seq = b->rx.seq = 0xfffffffeu; /* sequence numbers wrap */
		set_keys(a, b, combos[i][0], combos[i][1]);
		for (size_t len = 1; len < 2000; len += 333) {
			uint8_t msg[2000];
			crypto_random(msg, len);
			msg[0] = SSH_MSG_CHANNEL_DATA;
			CHECK_EQ_INT(send_bytes(a, msg, len), 0);
			/* deliver in two pieces: partial input must wait */
			struct buf wire;
			buf_init(&wire, 4096);
			CHECK_EQ_INT(transport_take_output(a, &wire), 0);
			size_t all = buf_avail(&wire), half = all / 2;
			transport_feed(b, buf_rptr(&wire), half);
			struct buf p;
			uint8_t type;
			int reason;
			CHECK_EQ_INT(transport_next_packet(b, &p, &type, &reason), 0);
			transport_feed(b, buf_rptr(&wire) + half, all - half);
			buf_free(&wire);
			int r = transport_next_packet(b, &p, &type, &reason);
			CHECK_EQ_INT(r, 1);
			if (r == 1) {
				CHECK_EQ_INT(buf_avail(&p), len);
				CHECK(memcmp(buf_rptr(&p), msg, len) == 0);
			}
		}
		/* one flipped bit -> MAC error */
		uint8_t msg[40] = {SSH_MSG_IGNORE};
		CHECK_EQ_INT(send_bytes(a, msg, sizeof(msg)), 0);
		struct buf wire;
		buf_init(&wire, 4096);
		CHECK_EQ_INT(transport_take_output(a, &wire), 0);
		uint8_t *last = buf_wptr(&wire) + buf_avail(&wire) - 1;
		*last ^= 1;
		transport_feed(b, buf_rptr(&wire), buf_avail(&wire));
		buf_free(&wire);
		struct buf p;
		uint8_t type;
		int reason;
		CHECK_EQ_INT(transport_next_packet(b, &p, &type, &reason), SB_ERR_MAC);
		CHECK_EQ_INT(reason, SSH_DISCONNECT_MAC_ERROR);
		CHECK_STR(transport_error(b), "corrupted MAC on input");
		transport_free(a);
		transport_free(b);
	}
}

TEST(kex_queue)
{
	struct transport *a, *b;
	a = transport_new(-1);
	b = transport_new(-1);
	transport_kex_started(a);
	CHECK_EQ_INT(transport_kex_active(a), 1);
	uint8_t data[] = {SSH_MSG_CHANNEL_DATA, 1, 2, 3};
	uint8_t ign[] = {SSH_MSG_IGNORE, 0, 0, 0, 0};
	uint8_t kexmsg[] = {SSH_MSG_NEWKEYS};
	CHECK_EQ_INT(send_bytes(a, data, sizeof(data)), 0);
	CHECK_EQ_INT(transport_output_pending(a), 0); /* queued */
	CHECK_EQ_INT(transport_queued(a), 4 + sizeof(data));
	CHECK_EQ_INT(send_bytes(a, ign, sizeof(ign)), 0);
	CHECK_EQ_INT(send_bytes(a, kexmsg, sizeof(kexmsg)), 0);
	CHECK(transport_output_pending(a) > 0); /* transport/kex messages pass */
	CHECK_EQ_INT(transport_kex_finished(a), 0);
	CHECK_EQ_INT(transport_kex_active(a), 0);
	CHECK_EQ_INT(transport_queued(a), 0);
	pump(a, b);
	uint8_t want[] = {SSH_MSG_IGNORE, SSH_MSG_NEWKEYS, SSH_MSG_CHANNEL_DATA};
	for (size_t i = 0; i < 3; i++) {
		struct buf p;
		uint8_t type;
		int reason;
		CHECK_EQ_INT(transport_next_packet(b, &p, &type, &reason), 1);
		CHECK_EQ_INT(type, want[i]);
	}
	CHECK(!transport_can_send_bulk(b) || transport_kex_active(b) == 0);
	transport_free(a);
	transport_free(b);
}

TEST(rekey_due)
{
	struct transport *t;
	t = transport_new(-1);
	transport_set_rekey_limits(t, 1000, 0);
	CHECK(!transport_rekey_due(t));
	t->tx.bytes = 1001;
	CHECK(transport_rekey_due(t));
	transport_kex_started(t);
	CHECK(!transport_rekey_due(t)); /* not while one runs */
	CHECK_EQ_INT(transport_kex_finished(t), 0);
	t->tx.bytes = 0;
	transport_set_rekey_limits(t, 1000, 1);
	t->keys_since_ms = monotonic_ms() - 10;
	CHECK(transport_rekey_due(t));
	CHECK_EQ_INT(transport_rekey_timeout_ms(t, monotonic_ms()), 0);
	transport_set_rekey_limits(t, 1000, 60000);
	long left = transport_rekey_timeout_ms(t, monotonic_ms());
	CHECK(left > 59000 && left <= 59990);
	transport_kex_started(t);
	CHECK_EQ_INT(transport_rekey_timeout_ms(t, monotonic_ms()), -1); /* not while one runs */
	transport_set_rekey_limits(t, 1000, 0);
	CHECK_EQ_INT(transport_rekey_timeout_ms(t, monotonic_ms()), -1); /* no time limit */
	transport_free(t);
}

TEST(socket_io)
{
	int sv[2];
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct transport *a, *b;
	a = transport_new(sv[0]);
	b = transport_new(sv[1]);
	transport_send_version(a);
	CHECK_EQ_INT(transport_flush(a), 0);
	CHECK(transport_read_fd(b) > 0);
	CHECK_EQ_INT(transport_read_version(b), 1);
	CHECK_STR(transport_peer_version(b), SSHBOX_VERSION_STRING);
	transport_disconnect(a, SSH_DISCONNECT_BY_APPLICATION, "bye");
	CHECK(transport_dead(a));
	transport_flush_blocking(a, 1000);
	CHECK(transport_read_fd(b) > 0);
	struct buf p;
	uint8_t type;
	int reason;
	CHECK_EQ_INT(transport_next_packet(b, &p, &type, &reason), 1);
	CHECK_EQ_INT(type, SSH_MSG_DISCONNECT);
	close(sv[0]);
	CHECK_EQ_INT(transport_read_fd(b), 0); /* EOF */
	close(sv[1]);
	transport_free(a);
	transport_free(b);
}

/* The accessors and harness hooks other modules use instead of fields. */
TEST(accessors)
{
	struct transport *t = transport_new(-1);
	CHECK(t != NULL);
	CHECK_STR(transport_peer_version(t), "");
	CHECK_STR(transport_our_version(t), SSHBOX_VERSION_STRING);
	CHECK_STR(transport_error(t), "");
	CHECK_EQ_INT(transport_version_done(t), 0);
	CHECK_EQ_INT(transport_dead(t), 0);
	CHECK_EQ_INT(transport_output_fd(t), -1);
	transport_set_output_fd(t, 7);
	CHECK_EQ_INT(transport_output_fd(t), 7);
	transport_set_output_fd(t, -1);
	/* the first reason recorded wins */
	transport_set_error(t, "first %d", 1);
	transport_set_error(t, "second");
	CHECK_STR(transport_error(t), "first 1");
	/* input accounting */
	CHECK_EQ_INT(transport_input_room(t), 1);
	CHECK_EQ_INT(transport_feed(t, "GET / HTTP/1.0", 14), 0);
	CHECK_EQ_INT(transport_input_pending(t), 14);
	/* output: take moves it, NULL drops it */
	CHECK_EQ_INT(transport_send_version(t), 0);
	size_t vl = strlen(SSHBOX_VERSION_STRING) + 2;
	CHECK_EQ_INT(transport_output_pending(t), vl);
	struct buf out;
	buf_init(&out, 256);
	CHECK_EQ_INT(transport_take_output(t, &out), 0);
	CHECK_EQ_INT(buf_avail(&out), vl);
	CHECK(memcmp(buf_rptr(&out), SSHBOX_VERSION_STRING "\r\n", vl) == 0);
	CHECK_EQ_INT(transport_output_pending(t), 0);
	CHECK_EQ_INT(transport_send_version(t), 0);
	CHECK_EQ_INT(transport_take_output(t, NULL), 0);
	CHECK_EQ_INT(transport_output_pending(t), 0);
	/* a packet handed over without framing still counts as received */
	transport_harness_received(t);
	transport_harness_received(t);
	CHECK_EQ_INT(transport_last_rx_seq(t), 1);
	struct transport_counters tc;
	transport_get_counters(t, &tc);
	CHECK_EQ_INT(tc.rx_seq, 2);
	CHECK_EQ_INT(tc.tx_seq, 0);
	/* a refused version line: the plain-text reply, then nothing more */
	CHECK_EQ_INT(transport_feed(t, "\r\n", 2), 0);
	CHECK(transport_read_version(t) < 0);
	transport_reject_version(t);
	CHECK_EQ_INT(transport_dead(t), 1);
	buf_reset(&out);
	CHECK_EQ_INT(transport_take_output(t, &out), 0);
	CHECK_EQ_INT(buf_avail(&out), 36);
	CHECK(memcmp(buf_rptr(&out), "Invalid SSH identification string.\r\n", 36) == 0);
	uint8_t ign[] = {SSH_MSG_IGNORE, 0, 0, 0, 0};
	CHECK_EQ_INT(send_bytes(t, ign, sizeof(ign)), SB_ERR_CLOSED); /* dead: nothing is sent */
	CHECK_EQ_INT(send_bytes(t, ign, 0), SB_ERR_SHORT);
	buf_free(&out);
	transport_free(t);
	transport_free(NULL);

	t = transport_new(-1);
	transport_mark_dead(t);
	CHECK_EQ_INT(transport_dead(t), 1);
	CHECK_EQ_INT(transport_output_pending(t), 0); /* no DISCONNECT from mark_dead */
	transport_free(t);
}

int main(void)
{
	crypto_init();
	RUN(version_ok);
	RUN(version_bad);
	RUN(clear_roundtrip_and_padding);
	RUN(hostile_framing);
	RUN(cipher_roundtrips);
	RUN(kex_queue);
	RUN(rekey_due);
	RUN(socket_io);
	RUN(accessors);
	return t_done();
}
