/* Packet protection on its own (shared/cipher.h), below the transport's
 * length checks: for each cipher/MAC suite with fixed keys,
 *  - raw mode: cipher_decrypt_length on the first bytes, then cipher_open
 *    on the whole input as one received packet (any size, any length
 *    field): must fail cleanly;
 *  - round trip: the input becomes the payload of a well-formed packet,
 *    cipher_seal, then cipher_decrypt_length + cipher_open with a second
 *    context must give back exactly the plaintext; flipping one bit
 *    anywhere must make cipher_open fail.
 * Input: u8 suite/mode, u32 sequence number, u8 flip position, rest. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cipher.h"
#include "fuzzutil.h"

static const struct {
	const char *cipher, *mac;
} suites[7] = {
	{"chacha20-poly1305@openssh.com", NULL},
	{"aes128-gcm@openssh.com", NULL},
	{"aes256-gcm@openssh.com", NULL},
	{"aes128-ctr", "hmac-sha2-256-etm@openssh.com"},
	{"aes256-ctr", "hmac-sha2-512-etm@openssh.com"},
	{"aes128-ctr", "hmac-sha2-256"},
	{"aes256-ctr", "hmac-sha2-512"},
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init();
	return 0;
}

static struct cipher_ctx *ctx_new(unsigned s)
{
	static const uint8_t key[64] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde";
	static const uint8_t iv[16] = "fedcba9876543210";
	static const uint8_t mkey[64] = "mac-key-mac-key-mac-key-mac-key-mac-key-mac-key-mac-key-mac-ke";
	const struct cipher_info *ci = cipher_by_name(suites[s].cipher);
	const struct mac_info *mi = suites[s].mac ? mac_by_name(suites[s].mac) : NULL;
	if (!ci || (suites[s].mac && !mi))
		abort();
	struct cipher_ctx *c = cipher_ctx_new(ci, key, iv, mi, mkey);
	if (!c)
		abort();
	return c;
}

/* Receives pkt (as on the wire) with rx; returns cipher_open's result. */
static int receive(struct cipher_ctx *rx, uint32_t seq, struct buf *pkt)
{
	size_t fl = cipher_first_len(rx);
	uint8_t first[64];
	uint32_t plen;
	if (buf_avail(pkt) < fl)
		return -1;
	if (cipher_decrypt_length(rx, seq, buf_rptr(pkt), first, &plen) != 0)
		return -1;
	return cipher_open(rx, seq, pkt);
}

static void run(const uint8_t *data, size_t size)
{
	if (size < 6)
		return;
	unsigned s = (data[0] & 0x7f) % 7;
	int roundtrip = data[0] >> 7;
	uint32_t seq = load_be32(data + 1);
	uint8_t flip = data[5];
	data += 6;
	size -= 6;
	struct cipher_ctx *rx = ctx_new(s);
	struct buf pkt;
	buf_init(&pkt, 1 << 20);
	if (!roundtrip) {
		if (buf_put(&pkt, data, size) != BUF_OK)
			abort();
		int r = receive(rx, seq, &pkt);
		(void)r;
	} else {
		struct cipher_ctx *tx = ctx_new(s);
		size_t block = cipher_block_len(tx);
		/* padding alignment leaves the length out for AEAD (chacha too) and EtM */
		int aad = !suites[s].mac || mac_by_name(suites[s].mac)->etm;
		size_t body = 1 + size + (aad ? 0 : 4);
		size_t pad = block - body % block;
		if (pad < 4)
			pad += block;
		uint32_t plen = (uint32_t)(1 + size + pad);
		uint8_t *padp;
		if (buf_put_u32(&pkt, plen) || buf_put_u8(&pkt, (uint8_t)pad) || buf_put(&pkt, data, size) ||
		    buf_reserve(&pkt, pad, &padp))
			abort();
		memset(padp, 0xa5, pad);
		struct buf plain;
		buf_init(&plain, 1 << 20);
		if (buf_put(&plain, buf_rptr(&pkt), buf_avail(&pkt)))
			abort();
		if (cipher_seal(tx, seq, &pkt) != 0)
			abort();
		if (flip & 0x80) {
			size_t n = buf_avail(&pkt);
			buf_wptr(&pkt)[((size_t)flip << 8 | size) % n] ^= (uint8_t)(1u << (flip & 7));
			if (receive(rx, seq, &pkt) == 0)
				abort(); /* forged */
		} else {
			if (receive(rx, seq, &pkt) != 0)
				abort(); /* what we seal we must open */
			if (buf_avail(&pkt) != buf_avail(&plain) ||
			    memcmp(buf_rptr(&pkt), buf_rptr(&plain), buf_avail(&plain)) != 0)
				abort();
		}
		buf_free(&plain);
		cipher_ctx_free(tx);
	}
	buf_free(&pkt);
	cipher_ctx_free(rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_mute();
	run(data, size);
	fz_unmute();
	return 0;
}
