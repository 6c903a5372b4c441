/* Server side of the key exchange, message by message: KEXINIT parsing and
 * negotiation (every name list, first_kex_packet_follows, strict kex,
 * ext-info), KEX_ECDH_INIT (client public value: X25519, the sntrup761
 * hybrid as OpenSSH 9 clients pick it, or the ML-KEM hybrid as OpenSSH 10
 * picks it: seed openssh10_mlkem768, recorded from a real OpenSSH 10.0
 * client by tests/fuzz/kex_seed_capture.py; exchange hash, host key
 * signature, key derivation into the transport), NEWKEYS, rekey rounds, and
 * the filter that keeps other messages out during the exchange.
 *
 * Input: u8 flags (bit 0: the server sends its KEXINIT before reading;
 * bit 1: restricted algorithm preferences as from sshd_config), then
 * records [u8 kind][u16 len][payload]; every payload goes through
 * kex_filter as the next incoming packet (sequence number = its index).
 * Whatever the server sends is discarded. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzzutil.h"
#include "kex.h"
#include "hostkey.h"
#include "keys.h"
#include "transport.h"

/* ed25519, ecdsa nistp256 and RSA: a client's host key list picks which signs. */
static struct hostkeys hk;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const enum key_type types[] = {KEY_ED25519, KEY_ECDSA_P256, KEY_RSA};
	fz_init();
	for (size_t i = 0; i < 3; i++) {
		struct hostkey one;
		if (hostkey_generate_type(&one, types[i], "fuzz") != 0 || hostkeys_add(&hk, &one) != 0)
			abort();
		hostkey_wipe(&one);
	}
	if (hostkeys_select(&hk, NULL) == 0)
		abort();
	return 0;
}

static void run(const uint8_t *data, size_t size)
{
	if (size < 1)
		return;
	static const char version[] = "SSH-2.0-OpenSSH_9.6p1 Debian-3\r\n";
	struct transport *t = transport_new(-1);
	struct kex k;
	if (!t || transport_feed(t, version, sizeof(version) - 1) != 0 || transport_read_version(t) != 1)
		abort();
	struct kex_prefs restricted = {
	    .kex = "curve25519-sha256@libssh.org,curve25519-sha256",
	    .ciphers = "aes256-gcm@openssh.com,aes256-ctr",
	    .macs = "hmac-sha2-512-etm@openssh.com,hmac-sha2-512",
	    .compression = "none",
	};
	kex_init(&k, t, &hk, (data[0] & 2) ? &restricted : NULL);
	int ok = 1;
	if (data[0] & 1)
		ok = kex_start(&k) == 0;
	transport_take_output(t, NULL);
	const uint8_t *p = data + 1, *end = data + size;
	uint8_t kind;
	const uint8_t *rec;
	size_t n;
	while (ok && fz_record(&p, end, &kind, &rec, &n)) {
		if (n == 0)
			continue;
		struct buf payload;
		int reason;
		buf_view(&payload, rec, n);
		transport_harness_received(t); /* its sequence number, as if framed */
		int r = kex_filter(&k, rec[0], &payload, &reason);
		if (r < 0)
			ok = 0;
		transport_take_output(t, NULL);
	}
	kex_free(&k);
	transport_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_mute();
	run(data, size);
	fz_unmute();
	return 0;
}
