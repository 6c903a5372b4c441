/* transport: SSH binary packet protocol. See transport.h. */
#include "transport.h"
#include "transport_int.h"

#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cipher.h"
#include "config.h"
#include "crypto.h"
#include "log.h"
#include "util.h"

#if CONFIG_ZLIB
#include <zlib.h>
#endif

#define IN_MAX (TRANSPORT_MAX_PACKET * 2u + 4096u)
#define DEFAULT_REKEY_BYTES (1ull << 30)

static void __attribute__((format(printf, 2, 0)))
set_error_v(struct transport *t, const char *fmt, va_list ap)
{
	if (!t->err[0]) /* the first reason is the one that matters */
		vsnprintf(t->err, sizeof(t->err), fmt, ap);
}

void transport_set_error(struct transport *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_error_v(t, fmt, ap);
	va_end(ap);
}

struct transport *transport_new(int fd)
{
	struct transport *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->fd = fd;
	t->wfd = fd;
	buf_init(&t->in, IN_MAX);
	buf_init(&t->out, BUF_MAX_SIZE);
	buf_init(&t->pkt, TRANSPORT_MAX_PACKET + 256);
	buf_init(&t->queue, BUF_MAX_SIZE);
	t->rx.block = t->tx.block = 8;
	snprintf(t->our_version, sizeof(t->our_version), "%s", SSHBOX_VERSION_STRING);
	t->keys_since_ms = monotonic_ms();
	return t;
}

void transport_set_output_fd(struct transport *t, int wfd)
{
	t->wfd = wfd;
}
int transport_output_fd(const struct transport *t)
{
	return t->wfd;
}

void transport_set_rekey_limits(struct transport *t, uint64_t bytes, uint64_t interval_ms)
{
	t->rekey_bytes = bytes;
	t->rekey_interval = interval_ms;
}

const char *transport_error(const struct transport *t)
{
	return t->err;
}
const char *transport_peer_version(const struct transport *t)
{
	return t->peer_version;
}
const char *transport_our_version(const struct transport *t)
{
	return t->our_version;
}
int transport_version_done(const struct transport *t)
{
	return t->version_done;
}
int transport_dead(const struct transport *t)
{
	return t->dead;
}
void transport_mark_dead(struct transport *t)
{
	t->dead = 1;
}
int transport_kex_active(const struct transport *t)
{
	return t->kex_active;
}
void transport_kex_started(struct transport *t)
{
	t->kex_active = 1;
}
uint32_t transport_last_rx_seq(const struct transport *t)
{
	return t->last_rx_seq;
}

void transport_get_counters(const struct transport *t, struct transport_counters *out)
{
	out->rx_seq = t->rx.seq;
	out->tx_seq = t->tx.seq;
	out->rx_bytes = t->rx.bytes;
	out->tx_bytes = t->tx.bytes;
}

size_t transport_input_pending(const struct transport *t)
{
	return buf_avail(&t->in);
}
int transport_input_room(const struct transport *t)
{
	return buf_room(&t->in) > 0;
}
size_t transport_output_pending(const struct transport *t)
{
	return buf_avail(&t->out);
}
size_t transport_queued(const struct transport *t)
{
	return buf_avail(&t->queue);
}

long transport_rekey_timeout_ms(const struct transport *t, uint64_t now_ms)
{
	if (!t->rekey_interval || t->kex_active)
		return -1;
	uint64_t since = now_ms - t->keys_since_ms;
	return since >= t->rekey_interval ? 0 : (long)(t->rekey_interval - since);
}

void transport_harness_received(struct transport *t)
{
	t->last_rx_seq = t->rx.seq++;
	t->rx.packets++;
}

int transport_feed(struct transport *t, const void *bytes, size_t len)
{
	return buf_put(&t->in, bytes, len);
}

int transport_take_output(struct transport *t, struct buf *dst)
{
	int r = dst ? buf_put(dst, buf_rptr(&t->out), buf_avail(&t->out)) : SB_OK;
	if (r == SB_OK)
		buf_reset(&t->out);
	return r;
}

static void dir_free(struct transport_dir *d)
{
	if (d->ctx)
		cipher_ctx_free(d->ctx);
	d->ctx = NULL;
	free(d->z);
	d->z = NULL;
}

void transport_free(struct transport *t)
{
	if (!t)
		return;
#if CONFIG_ZLIB
	if (t->rx.z)
		inflateEnd(t->rx.z);
	if (t->tx.z)
		deflateEnd(t->tx.z);
#endif
	dir_free(&t->rx);
	dir_free(&t->tx);
	if (t->rx_next.ctx)
		cipher_ctx_free(t->rx_next.ctx);
	if (t->tx_next.ctx)
		cipher_ctx_free(t->tx_next.ctx);
	buf_free(&t->in);
	buf_free(&t->out);
	buf_free(&t->pkt);
	buf_free(&t->queue);
	secure_zero(t, sizeof(*t));
	free(t);
}

int transport_send_version(struct transport *t)
{
	int r = buf_put(&t->out, t->our_version, strlen(t->our_version));
	return r ? r : buf_put(&t->out, "\r\n", 2);
}

long transport_read_fd(struct transport *t)
{
	size_t room = buf_room(&t->in);
	if (room == 0)
		return SB_ERR_AGAIN;
	if (room > 65536)
		room = 65536;
	buf_compact(&t->in);
	uint8_t *p;
	if (buf_reserve(&t->in, room, &p) != BUF_OK)
		return SB_ERR_AGAIN;
	ssize_t n;
	do
		n = read(t->fd, p, room);
	while (n < 0 && errno == EINTR);
	buf_unreserve(&t->in, room - (n > 0 ? (size_t)n : 0));
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? SB_ERR_AGAIN : SB_ERR_IO;
	return (long)n;
}

int transport_flush(struct transport *t)
{
	while (buf_avail(&t->out) > 0) {
		ssize_t n = write(t->wfd, buf_rptr(&t->out), buf_avail(&t->out));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return SB_ERR_IO;
		}
		buf_consume(&t->out, (size_t)n);
	}
	return 0;
}

void transport_flush_blocking(struct transport *t, int timeout_ms)
{
	uint64_t end = monotonic_ms() + (uint64_t)timeout_ms;
	while (buf_avail(&t->out) > 0) {
		if (transport_flush(t) < 0)
			return;
		if (buf_avail(&t->out) == 0)
			return;
		uint64_t now = monotonic_ms();
		if (now >= end)
			return;
		struct pollfd pfd = {.fd = t->wfd, .events = POLLOUT};
		if (poll(&pfd, 1, (int)(end - now)) < 0 && errno != EINTR)
			return;
	}
}

/* RFC 4253 s4.2: the line, CR LF included, is at most 255 bytes. */
#define VERSION_LINE_MAX 255

static int version_char_ok(uint8_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* The client's identification line: "SSH-2.0-softwareversion SP comments"
 * CR LF, at most 255 bytes including CR LF (RFC 4253 s4.2). A server must
 * not see other lines first from a client, so anything else is refused. */
int transport_read_version(struct transport *t)
{
	struct buf line;
	int r = buf_get_until(&t->in, '\n', &line, VERSION_LINE_MAX);
	if (r == BUF_ERR_SHORT)
		return 0;
	if (r != BUF_OK) {
		transport_set_error(t, "bad protocol identification: line too long");
		return r;
	}
	(void)buf_chomp(&line, '\r');
	/* the line is shorter than peer_version: the copy cannot fail on length */
	if (!buf_all(&line, version_char_ok) ||
	    buf_copy_cstring(&line, t->peer_version, sizeof(t->peer_version)) != BUF_OK) {
		transport_set_error(t, "bad protocol identification: control characters");
		return SB_ERR_FORMAT;
	}
	if (strncmp(t->peer_version, "SSH-2.0-", 8) != 0 && strncmp(t->peer_version, "SSH-1.99-", 9) != 0) {
		transport_set_error(t, "bad protocol identification '%s'", t->peer_version);
		return SB_ERR_VERSION;
	}
	t->version_done = 1;
	return 1;
}

void transport_reject_version(struct transport *t)
{
	static const char msg[] = "Invalid SSH identification string.\r\n";
	(void)buf_put(&t->out, msg, sizeof(msg) - 1); /* best effort: we close anyway */
	t->dead = 1;
}

#if CONFIG_ZLIB
static int z_compress(struct transport_dir *d, const uint8_t *in, size_t len, struct buf *out)
{
	z_stream *z = d->z;
	z->next_in = (Bytef *)(uintptr_t)in;
	z->avail_in = (uInt)len;
	do {
		uint8_t *p;
		int e = buf_reserve(out, 4096, &p);
		if (e != BUF_OK)
			return e;
		z->next_out = p;
		z->avail_out = 4096;
		int r = deflate(z, Z_PARTIAL_FLUSH);
		if (r != Z_OK && r != Z_BUF_ERROR)
			return SB_ERR_COMPRESS;
		buf_consume_end(out, z->avail_out);
	} while (z->avail_out == 0);
	return 0;
}

static int z_decompress(struct transport_dir *d, const uint8_t *in, size_t len, struct buf *out)
{
	z_stream *z = d->z;
	z->next_in = (Bytef *)(uintptr_t)in;
	z->avail_in = (uInt)len;
	for (;;) {
		uint8_t *p;
		if (buf_avail(out) > TRANSPORT_MAX_PAYLOAD)
			return SB_ERR_COMPRESS; /* inflates past the payload limit */
		int e = buf_reserve(out, 4096, &p);
		if (e != BUF_OK)
			return e;
		z->next_out = p;
		z->avail_out = 4096;
		int r = inflate(z, Z_SYNC_FLUSH);
		buf_consume_end(out, z->avail_out);
		if (r == Z_BUF_ERROR && z->avail_in == 0)
			return 0;
		if (r != Z_OK)
			return SB_ERR_COMPRESS;
		if (z->avail_out != 0 && z->avail_in == 0)
			return 0;
	}
}
#endif

/* Records why a packet is refused (transport_set_error) and returns err. */
static int __attribute__((format(printf, 3, 4)))
refuse_packet(struct transport *t, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_error_v(t, fmt, ap);
	va_end(ap);
	return err;
}

int transport_next_packet(struct transport *t, struct buf *payload, uint8_t *type, int *reason)
{
	struct transport_dir *d = &t->rx;
	*reason = SSH_DISCONNECT_PROTOCOL_ERROR;
	if (!t->rx_have_len) {
		size_t fl = d->ctx ? cipher_first_len(d->ctx) : 4;
		uint8_t plain[64];
		if (fl > sizeof(plain) || fl < 4)
			return refuse_packet(t, SB_ERR_CIPHER, "cipher length field of %zu bytes", fl);
		if (buf_avail(&t->in) < fl)
			return 0;
		uint32_t len;
		if (d->ctx) {
			int r = cipher_decrypt_length(d->ctx, d->seq, buf_rptr(&t->in), plain, &len);
			if (r != 0)
				return refuse_packet(t, r, "packet length could not be decrypted: %s",
						     sb_strerror(r));
		} else {
			len = load_be32(buf_rptr(&t->in));
		}
		secure_zero(plain, sizeof(plain));
		if (len < 5 || len > TRANSPORT_MAX_PACKET)
			return refuse_packet(t, SB_ERR_PACKET_LENGTH, "bad packet length %u", len);
		size_t align = d->aad ? len : (size_t)len + 4;
		if (align % d->block != 0)
			return refuse_packet(t, SB_ERR_PACKET_LENGTH,
					     "packet length %u not a multiple of block size %zu", len,
					     d->block);
		t->rx_len = len;
		t->rx_have_len = 1;
	}
	size_t trailer = d->ctx ? cipher_trailer_len(d->ctx) : 0;
	size_t total = 4 + (size_t)t->rx_len + trailer;
	if (buf_avail(&t->in) < total)
		return 0;
	buf_reset(&t->pkt);
	int e = buf_put(&t->pkt, buf_rptr(&t->in), total);
	if (e != BUF_OK)
		return refuse_packet(t, e, "packet of %zu bytes: %s", total, sb_strerror(e));
	buf_consume(&t->in, total);
	t->rx_have_len = 0;
	if (d->ctx) {
		int r = cipher_open(d->ctx, d->seq, &t->pkt);
		if (r != 0) {
			*reason = SSH_DISCONNECT_MAC_ERROR;
			return refuse_packet(t, r, "%s on input",
					     r == CIPHER_ERR_MAC ? "corrupted MAC"
								 : "packet decryption failed");
		}
	}
	uint32_t plen;
	uint8_t padlen;
	if (buf_get_u32(&t->pkt, &plen) || buf_get_u8(&t->pkt, &padlen) || plen != t->rx_len)
		return refuse_packet(t, SB_ERR_PACKET_LENGTH, "packet framing mismatch");
	if (padlen < 4 || (uint32_t)padlen + 1 >= plen)
		return refuse_packet(t, SB_ERR_FORMAT, "bad padding length %u (packet %u)", padlen, plen);
	e = buf_consume_end(&t->pkt, padlen);
	if (e != BUF_OK)
		return refuse_packet(t, e, "padding: %s", sb_strerror(e));
	t->last_rx_seq = d->seq;
	d->seq++;
	d->bytes += total;
	d->packets++;
#if CONFIG_ZLIB
	if (d->compress) {
		static struct buf zbuf;
		if (!buf_initialized(&zbuf))
			buf_init(&zbuf, TRANSPORT_MAX_PAYLOAD + 8192);
		buf_reset(&zbuf);
		e = z_decompress(d, buf_rptr(&t->pkt), buf_avail(&t->pkt), &zbuf);
		if (e != 0)
			return refuse_packet(t, e, "decompression failed: %s", sb_strerror(e));
		buf_reset(&t->pkt);
		e = buf_put(&t->pkt, buf_rptr(&zbuf), buf_avail(&zbuf));
		if (e != BUF_OK)
			return refuse_packet(t, e, "decompressed packet: %s", sb_strerror(e));
	}
#endif
	if (buf_avail(&t->pkt) < 1)
		return refuse_packet(t, SB_ERR_SHORT, "empty packet");
	buf_view(payload, buf_rptr(&t->pkt), buf_avail(&t->pkt));
	*type = buf_rptr(&t->pkt)[0];
	return 1;
}

/* Padding bytes come from a small pool refilled from the CSPRNG, so a
 * packet does not cost a getrandom() call. */
static uint8_t pad_pool[4096];
static size_t pad_pool_left;

static void padding_random(uint8_t *p, size_t n)
{
	while (n > 0) {
		if (pad_pool_left == 0) {
			crypto_random(pad_pool, sizeof(pad_pool));
			pad_pool_left = sizeof(pad_pool);
		}
		size_t k = n < pad_pool_left ? n : pad_pool_left;
		memcpy(p, pad_pool + sizeof(pad_pool) - pad_pool_left, k);
		pad_pool_left -= k;
		p += k;
		n -= k;
	}
}
#if CONFIG_ZLIB
static struct buf zout_scratch;
#endif

int transport_send_now(struct transport *t, const uint8_t *payload, size_t len)
{
	struct transport_dir *d = &t->tx;
	if (t->dead)
		return SB_ERR_CLOSED;
	if (len == 0)
		return SB_ERR_SHORT;
	if (len > TRANSPORT_MAX_PAYLOAD)
		return SB_ERR_LIMIT;
#if CONFIG_ZLIB
	if (d->compress) {
		if (!buf_initialized(&zout_scratch))
			buf_init(&zout_scratch, TRANSPORT_MAX_PAYLOAD + 8192);
		buf_reset(&zout_scratch);
		int e = z_compress(d, payload, len, &zout_scratch);
		if (e != 0)
			return e;
		payload = buf_rptr(&zout_scratch);
		len = buf_avail(&zout_scratch);
	}
#endif
	size_t block = d->block;
	size_t body = 1 + len + (d->aad ? 0 : 4);
	size_t pad = block - (body % block);
	if (pad < 4)
		pad += block;
	size_t plen = 1 + len + pad;
	size_t total = 4 + plen + (d->ctx ? cipher_trailer_len(d->ctx) : 0);
	/* reclaim the sent prefix once it is large (output drains from the front) */
	buf_compact_lazy(&t->out, 1u << 20);
	/* The packet is built and sealed in place at the end of the output
	 * buffer: no scratch copy to fill, copy out and wipe per packet (two
	 * passes over every byte of bulk output), and no plaintext left
	 * behind but what the caller holds. */
	uint8_t *dst;
	int r = buf_reserve(&t->out, total, &dst);
	if (r != BUF_OK) {
		transport_set_error(t, "output buffer overflow");
		return r;
	}
	struct buf pkt;
	buf_wrap(&pkt, dst, total);
	uint8_t *padp;
	r = buf_put_u32(&pkt, (uint32_t)plen);
	if (!r)
		r = buf_put_u8(&pkt, (uint8_t)pad);
	if (!r)
		r = buf_put(&pkt, payload, len);
	if (!r)
		r = buf_reserve(&pkt, pad, &padp);
	if (!r) {
		padding_random(padp, pad);
		if (d->ctx && (r = cipher_seal(d->ctx, d->seq, &pkt)) != 0)
			log_error("cipher_seal failed: %s", sb_strerror(r));
	}
	if (!r && buf_avail(&pkt) != total)
		r = SB_ERR_CIPHER; /* the sealed packet is not the size we reserved */
	if (r) {
		/* dropped, not unreserved: the bytes written are wiped with the buffer */
		buf_consume_end(&t->out, total);
		return r;
	}
	d->bytes += total;
	d->packets++;
	d->seq++;
	return 0;
}

static int bypasses_kex_queue(uint8_t type)
{
	return (type >= 1 && type <= 4) || (type >= 20 && type <= 49);
}

int transport_send(struct transport *t, const struct buf *payload)
{
	size_t len = buf_avail(payload);
	if (len == 0)
		return SB_ERR_SHORT;
	uint8_t type = buf_rptr(payload)[0];
	if (t->kex_active && !bypasses_kex_queue(type)) {
		if (len > TRANSPORT_MAX_PAYLOAD)
			return SB_ERR_LIMIT;
		int r = buf_put_u32(&t->queue, (uint32_t)len);
		return r ? r : buf_put(&t->queue, buf_rptr(payload), len);
	}
	return transport_send_now(t, buf_rptr(payload), len);
}

void transport_set_next_keys(struct transport *t, int dir_tx, const struct transport_keys *k)
{
	struct transport_keys *n = dir_tx ? &t->tx_next : &t->rx_next;
	if (n->ctx)
		cipher_ctx_free(n->ctx);
	*n = *k;
	if (dir_tx)
		t->tx_next_ready = 1;
	else
		t->rx_next_ready = 1;
}

#if CONFIG_ZLIB
static int dir_start_zlib(struct transport_dir *d, int tx)
{
	if (d->z)
		return 0;
	z_stream *z = calloc(1, sizeof(*z));
	if (!z)
		return SB_ERR_NOMEM;
	int r = tx ? deflateInit(z, Z_DEFAULT_COMPRESSION) : inflateInit(z);
	if (r != Z_OK) {
		free(z);
		return SB_ERR_COMPRESS;
	}
	d->z = z;
	d->compress = 1;
	return 0;
}
#endif

static int activate(struct transport *t, struct transport_dir *d, struct transport_keys *n, int *ready, int strict)
{
	if (!*ready)
		return SB_ERR_PROTOCOL; /* NEWKEYS before the keys were derived */
	if (d->ctx)
		cipher_ctx_free(d->ctx);
	d->ctx = n->ctx;
	d->aad = n->aad;
	d->block = n->block ? n->block : 8;
	d->bytes = 0;
	d->packets = 0;
	if (strict)
		d->seq = 0;
	n->ctx = NULL;
	*ready = 0;
	(void)t;
	return 0;
}

int transport_activate_tx(struct transport *t, int strict)
{
	int z = t->tx_next.zlib_delayed;
	int r = activate(t, &t->tx, &t->tx_next, &t->tx_next_ready, strict);
	t->tx.zlib_neg = z;
#if CONFIG_ZLIB
	if (!r && z && t->auth_done)
		r = dir_start_zlib(&t->tx, 1);
#else
	(void)z;
#endif
	t->keys_since_ms = monotonic_ms();
	return r;
}

int transport_activate_rx(struct transport *t, int strict)
{
	int z = t->rx_next.zlib_delayed;
	int r = activate(t, &t->rx, &t->rx_next, &t->rx_next_ready, strict);
	t->rx.zlib_neg = z;
#if CONFIG_ZLIB
	if (!r && z && t->auth_done)
		r = dir_start_zlib(&t->rx, 0);
#else
	(void)z;
#endif
	return r;
}

/* After USERAUTH_SUCCESS both directions start compressing when
 * zlib@openssh.com was negotiated (the client starts after receiving it). */
int transport_enable_delayed_compression(struct transport *t)
{
	t->auth_done = 1;
	int r = 0;
#if CONFIG_ZLIB
	if (t->tx.zlib_neg)
		r = dir_start_zlib(&t->tx, 1);
	if (!r && t->rx.zlib_neg)
		r = dir_start_zlib(&t->rx, 0);
#endif
	return r;
}

int transport_kex_finished(struct transport *t)
{
	t->kex_active = 0;
	t->rekey_wanted = 0;
	t->keys_since_ms = monotonic_ms();
	while (buf_avail(&t->queue) > 0) {
		uint32_t len;
		const uint8_t *p;
		if (buf_get_u32(&t->queue, &len) != BUF_OK || buf_avail(&t->queue) < len)
			return SB_ERR_SHORT; /* cannot happen: transport_send wrote the queue */
		p = buf_rptr(&t->queue);
		int r = transport_send_now(t, p, len);
		buf_consume(&t->queue, len);
		if (r)
			return r;
	}
	buf_reset(&t->queue);
	return 0;
}

void transport_disconnect(struct transport *t, uint32_t reason, const char *msg)
{
	if (t->dead)
		return;
	struct buf b;
	buf_init(&b, 1024);
	if (!buf_put_u8(&b, SSH_MSG_DISCONNECT) && !buf_put_u32(&b, reason) && !buf_put_cstring(&b, msg) &&
	    !buf_put_cstring(&b, ""))
		transport_send_now(t, buf_rptr(&b), buf_avail(&b));
	buf_free(&b);
	t->dead = 1;
}

int transport_rekey_due(const struct transport *t)
{
	if (t->kex_active || t->dead)
		return 0;
	uint64_t lim = t->rekey_bytes ? t->rekey_bytes : DEFAULT_REKEY_BYTES;
	if (t->rx.bytes >= lim || t->tx.bytes >= lim)
		return 1;
	/* sequence numbers must not wrap under one set of keys */
	if (t->rx.packets >= (1ull << 31) || t->tx.packets >= (1ull << 31))
		return 1;
	if (t->rekey_interval && monotonic_ms() - t->keys_since_ms >= t->rekey_interval)
		return 1;
	return 0;
}

int transport_can_send_bulk(const struct transport *t)
{
	return !t->kex_active && !t->dead && buf_avail(&t->out) < TRANSPORT_OUT_HIGH_WATER;
}
