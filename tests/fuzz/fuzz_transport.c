/* Binary packet protocol on the receive side (transport_next_packet over
 * cipher_decrypt_length / cipher_open) for every cipher and MAC, with and
 * without zlib@openssh.com, and the version line.
 *
 * A second transport with the same keys plays the client: it seals
 * fuzzer-chosen payloads (transport_send_now: padding, compression,
 * cipher_seal) whose bytes are appended to the server's input, so the
 * fuzzer reaches the payload and framing checks behind the MAC. Raw records
 * add arbitrary bytes (bad lengths, bad MACs); tampered records flip one
 * bit of a sealed packet, after which no packet that ends past the start of
 * the tampered one may be accepted (a MAC/AEAD forgery would abort).
 *
 * Input: u8 config (bits 0-2 cipher/MAC suite, bit 3 zlib, bit 4 version
 * line first), then records [u8 kind][u16 len][bytes]:
 *   kind%4 == 0: raw bytes to the input; 1: sealed payload; 2: sealed
 *   payload, then flip bit (b[1]&7) of byte b[0] of the sealed packet
 *   (payload = rest); 3: bytes to the input, then transport_read_version. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cipher.h"
#include "fuzzutil.h"
#include "transport.h"

static const struct {
	const char *cipher, *mac;
} suites[8] = {
	{NULL, NULL},
	{"chacha20-poly1305@openssh.com", NULL},
	{"aes128-gcm@openssh.com", NULL},
	{"aes256-gcm@openssh.com", NULL},
	{"aes128-ctr", "hmac-sha2-256-etm@openssh.com"},
	{"aes256-ctr", "hmac-sha2-512"},
	{"aes128-ctr", "hmac-sha2-256"},
	{"aes256-ctr", "hmac-sha2-512-etm@openssh.com"},
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init();
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* Installs the suite's keys (fixed bytes) on one direction of t. */
static void install(struct transport *t, int tx, unsigned suite, int zlib)
{
	static const uint8_t key[64] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde";
	static const uint8_t iv[16] = "fedcba9876543210";
	static const uint8_t mkey[64] = "mac-key-mac-key-mac-key-mac-key-mac-key-mac-key-mac-key-mac-ke";
	struct transport_keys k;
	memset(&k, 0, sizeof(k));
	k.block = 8;
	if (suites[suite].cipher) {
		const struct cipher_info *ci = cipher_by_name(suites[suite].cipher);
		const struct mac_info *mi = suites[suite].mac ? mac_by_name(suites[suite].mac) : NULL;
		if (!ci || (suites[suite].mac && !mi))
			abort();
		k.ctx = cipher_ctx_new(ci, key, iv, mi, mkey);
		if (!k.ctx)
			abort();
		k.aad = ci->aead || (mi && mi->etm);
		k.block = ci->block_len;
	}
	k.zlib_delayed = zlib;
	transport_set_next_keys(t, tx, &k);
	if ((tx ? transport_activate_tx(t, 1) : transport_activate_rx(t, 1)) != 0)
		abort();
	if (zlib && transport_enable_delayed_compression(t) != 0)
		abort();
}

static void run(const uint8_t *data, size_t size)
{
	if (size < 1)
		return;
	unsigned cfg = data[0];
	unsigned suite = cfg & 7;
	int zlib = (cfg >> 3) & 1;
	struct transport *srv = transport_new(-1), *cli = transport_new(-1);
	static struct buf sealed_out; /* what cli sealed, reused across records */
	if (!srv || !cli)
		abort();
	if (!buf_initialized(&sealed_out))
		buf_init(&sealed_out, BUF_MAX_SIZE);
	install(srv, 0, suite, zlib);
	install(cli, 1, suite, zlib);
	int version = (cfg >> 4) & 1; /* a version line must come first */
	int dead = 0;
	/* stream offsets: bytes fed to srv so far, start of the first
	 * tampered packet (SIZE_MAX: none) */
	size_t appended = 0, tampered_at = SIZE_MAX;
	const uint8_t *p = data + 1, *end = data + size;
	uint8_t kind;
	const uint8_t *rec;
	size_t n;
	while (!dead && fz_record(&p, end, &kind, &rec, &n)) {
		switch (kind % 4) {
		case 0:
			if (transport_feed(srv, rec, n) != BUF_OK)
				dead = 1;
			appended += n;
			break;
		case 1:
		case 2: {
			size_t skip = kind % 4 == 2 ? 2 : 0;
			if (n <= skip || transport_dead(cli))
				break;
			if (transport_send_now(cli, rec + skip, n - skip) != 0)
				break;
			buf_reset(&sealed_out);
			if (transport_take_output(cli, &sealed_out) != BUF_OK)
				abort();
			size_t len = buf_avail(&sealed_out);
			uint8_t *sealed = buf_wptr(&sealed_out);
			if (skip) {
				sealed[rec[0] % len] ^= (uint8_t)(1u << (rec[1] & 7));
				/* suite 0 is "none": nothing to forge */
				if (suites[suite].cipher && tampered_at == SIZE_MAX)
					tampered_at = appended;
			}
			if (transport_feed(srv, sealed, len) != BUF_OK)
				dead = 1;
			appended += len;
			break;
		}
		default:
			if (transport_feed(srv, rec, n) != BUF_OK)
				dead = 1;
			appended += n;
			if (version && transport_read_version(srv) != 0)
				version = 0;
			break;
		}
		if (version)
			continue;
		for (;;) {
			struct buf payload;
			uint8_t type;
			int reason;
			int r = transport_next_packet(srv, &payload, &type, &reason);
			if (r < 0) {
				dead = 1;
				break;
			}
			if (r == 0)
				break;
			if (appended - transport_input_pending(srv) > tampered_at)
				abort(); /* a tampered packet was accepted */
			if (buf_avail(&payload) < 1 || buf_rptr(&payload)[0] != type)
				abort();
		}
	}
	transport_free(srv);
	transport_free(cli);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_mute();
	run(data, size);
	fz_unmute();
	return 0;
}
