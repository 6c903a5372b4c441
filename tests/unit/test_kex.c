/* Unit tests for shared/kex.c: name-list negotiation, RFC 4253 s7.2 key
 * derivation, and a whole server-side key exchange against a client built
 * here from the primitives (signature over H verified, keys agree, strict
 * kex resets sequence numbers, guesses and hostile messages handled). */
#include <stdio.h>
#include <string.h>

#include "cipher.h"
#include "crypto.h"
#include "hostkey.h"
#include "kex.h"
#include "keys.h"
#include "t.h"
#include "transport.h"
#include "util.h"

TEST(negotiate)
{
	char out[64];
	const char *cl = "a,b,c";
	CHECK_EQ_INT(kex_negotiate(cl, strlen(cl), "c,b", out, sizeof(out)), 0);
	CHECK_STR(out, "b"); /* the client's preference wins */
	CHECK(kex_negotiate(cl, strlen(cl), "x,y", out, sizeof(out)) < 0);
	const char *e = ",,a,";
	CHECK_EQ_INT(kex_negotiate(e, strlen(e), "a", out, sizeof(out)), 0);
	CHECK_STR(out, "a");
	CHECK(kex_negotiate("", 0, "a", out, sizeof(out)) < 0);
	const char *pre = "curve25519-sha256@libssh.orgX,curve25519-sha256";
	CHECK_EQ_INT(kex_negotiate(pre, strlen(pre), kex_supported_names(), out, sizeof(out)), 0);
	CHECK_STR(out, "curve25519-sha256"); /* no prefix matches */
	const uint8_t l[] = "ext-info-c,kex-strict-c-v00@openssh.com";
	CHECK(kex_list_has(l, sizeof(l) - 1, "ext-info-c"));
	CHECK(kex_list_has(l, sizeof(l) - 1, "kex-strict-c-v00@openssh.com"));
	CHECK(!kex_list_has(l, sizeof(l) - 1, "ext-info"));
	CHECK(kex_method_by_name("curve25519-sha256", 17) != NULL);
	CHECK(kex_method_by_name("diffie-hellman-group1-sha1", 26) == NULL);
}

TEST(derive)
{
	struct buf k;
	buf_init(&k, 256);
	uint8_t kraw[32], h[32], sid[32], out[100], want[64];
	crypto_random(kraw, 32);
	crypto_random(h, 32);
	crypto_random(sid, 32);
	buf_put_mpint_unsigned(&k, kraw, 32);
	CHECK_EQ_INT(kex_derive(HASH_SHA256, &k, h, 32, 'C', sid, 32, out, sizeof(out)), 0);
	/* K1 = HASH(K || H || "C" || session_id); K2 = HASH(K || H || K1) */
	struct buf m;
	buf_init(&m, 1024);
	buf_put(&m, buf_rptr(&k), buf_avail(&k));
	buf_put(&m, h, 32);
	buf_put_u8(&m, 'C');
	buf_put(&m, sid, 32);
	hash_once(HASH_SHA256, buf_rptr(&m), buf_avail(&m), want);
	CHECK(memcmp(out, want, 32) == 0);
	buf_reset(&m);
	buf_put(&m, buf_rptr(&k), buf_avail(&k));
	buf_put(&m, h, 32);
	buf_put(&m, want, 32);
	hash_once(HASH_SHA256, buf_rptr(&m), buf_avail(&m), want + 32);
	CHECK(memcmp(out + 32, want + 32, 32) == 0);
	uint8_t other[32];
	CHECK_EQ_INT(kex_derive(HASH_SHA256, &k, h, 32, 'D', sid, 32, other, 32), 0);
	CHECK(memcmp(other, out, 32) != 0);
	buf_free(&m);
	buf_free(&k);
}

/* The client's host key algorithms in put_lists. */
static const char *client_hk_algs = "ssh-ed25519";

/* A host key set: ed25519 alone, or with ecdsa nistp256 and RSA (made once,
 * RSA key generation is slow), with the default algorithms selected. */
static void make_hostkeys(struct hostkeys *s, int all)
{
	static struct hostkeys every;
	memset(s, 0, sizeof(*s));
	if (all) {
		if (every.n == 0) {
			static const enum key_type types[] = {KEY_ED25519, KEY_ECDSA_P256, KEY_RSA};
			for (size_t i = 0; i < 3; i++) {
				struct hostkey hk;
				CHECK_EQ_INT(hostkey_generate_type(&hk, types[i], "t"), 0);
				CHECK_EQ_INT(hostkeys_add(&every, &hk), 0);
				hostkey_wipe(&hk);
			}
		}
		*s = every;
	} else {
		struct hostkey hk;
		CHECK_EQ_INT(hostkey_generate(&hk, "t"), 0);
		CHECK_EQ_INT(hostkeys_add(s, &hk), 0);
		hostkey_wipe(&hk);
	}
	CHECK(hostkeys_select(s, NULL) > 0);
}

static int put_lists(struct buf *b, const char *kex, const char *cipher, int follows)
{
	uint8_t cookie[16] = {0};
	int r = buf_put_u8(b, SSH_MSG_KEXINIT);
	r = r ? r : buf_put(b, cookie, 16);
	r = r ? r : buf_put_cstring(b, kex);
	r = r ? r : buf_put_cstring(b, client_hk_algs);
	r = r ? r : buf_put_cstring(b, cipher);
	r = r ? r : buf_put_cstring(b, cipher);
	r = r ? r : buf_put_cstring(b, MAC_NAMES_OFFERED);
	r = r ? r : buf_put_cstring(b, MAC_NAMES_OFFERED);
	r = r ? r : buf_put_cstring(b, "none");
	r = r ? r : buf_put_cstring(b, "none");
	r = r ? r : buf_put_cstring(b, "");
	r = r ? r : buf_put_cstring(b, "");
	r = r ? r : buf_put_u8(b, (uint8_t)follows);
	r = r ? r : buf_put_u32(b, 0);
	return r;
}

/* Feeds one payload to the server's kex as if it had arrived. */
static int deliver(struct kex *k, struct transport *s, const struct buf *payload)
{
	struct buf p;
	int reason;
	buf_view(&p, buf_rptr(payload), buf_avail(payload));
	transport_harness_received(s); /* as if framed: sequence number */
	return kex_filter(k, buf_rptr(payload)[0], &p, &reason);
}

/* Reads the next clear packet the server produced. */
static int next_out(struct transport *s, struct transport *c, struct buf *p, uint8_t *type)
{
	struct buf wire;
	buf_init(&wire, BUF_MAX_SIZE);
	int reason = transport_take_output(s, &wire);
	reason = reason ? reason : transport_feed(c, buf_rptr(&wire), buf_avail(&wire));
	buf_free(&wire);
	if (reason)
		return reason;
	return transport_next_packet(c, p, type, &reason);
}

/* The client half of a kex method, as a real client computes it. */
enum client_kem { KEM_NONE, KEM_SNTRUP761, KEM_MLKEM768 };
struct kex_client {
	const char *method;
	enum client_kem kem;
	enum hash_alg hash;
	uint8_t x_priv[32];
	uint8_t kem_sk[MLKEM768_SECRET_BYTES > SNTRUP761_SECRET_BYTES ? MLKEM768_SECRET_BYTES
								      : SNTRUP761_SECRET_BYTES];
};

/* Makes the client's ephemeral keys; appends Q_C to qc. */
static void client_start(struct kex_client *kc, const char *method, struct buf *qc)
{
	memset(kc, 0, sizeof(*kc));
	kc->method = method;
	kc->kem = strncmp(method, "sntrup761x25519-sha512", 22) == 0 ? KEM_SNTRUP761
		  : strcmp(method, "mlkem768x25519-sha256") == 0     ? KEM_MLKEM768
								     : KEM_NONE;
	kc->hash = kc->kem == KEM_SNTRUP761 ? HASH_SHA512 : HASH_SHA256;
	uint8_t x_pub[32], kem_pk[MLKEM768_PUBLIC_BYTES > SNTRUP761_PUBLIC_BYTES ? MLKEM768_PUBLIC_BYTES
										 : SNTRUP761_PUBLIC_BYTES];
	if (kc->kem == KEM_SNTRUP761) {
		sntrup761_keypair(kem_pk, kc->kem_sk);
		buf_put(qc, kem_pk, SNTRUP761_PUBLIC_BYTES);
	} else if (kc->kem == KEM_MLKEM768) {
		mlkem768_keypair(kem_pk, kc->kem_sk);
		buf_put(qc, kem_pk, MLKEM768_PUBLIC_BYTES);
	}
	x25519_keypair(x_pub, kc->x_priv);
	buf_put(qc, x_pub, sizeof(x_pub));
}

/* From the server's Q_S, the encoded shared secret K (mpint for X25519,
 * string of HASH(KEM key || X25519 secret) for the hybrids: SHA-512 for
 * sntrup761, SHA-256 for ML-KEM). */
static int client_finish(struct kex_client *kc, const uint8_t *qs, size_t qsl, struct buf *kenc)
{
	struct buf in;
	buf_view(&in, qs, qsl);
	uint8_t ct[MLKEM768_CIPHERTEXT_BYTES], x_peer[32], secrets[32 + 32], k[64];
	if (kc->kem == KEM_NONE) {
		if (qsl != 32 || x25519_shared(secrets, kc->x_priv, qs) != 0)
			return -1;
		return buf_put_mpint_unsigned(kenc, secrets, 32);
	}
	size_t ctl = kc->kem == KEM_SNTRUP761 ? SNTRUP761_CIPHERTEXT_BYTES : MLKEM768_CIPHERTEXT_BYTES;
	if (qsl != ctl + 32 || buf_get(&in, ct, ctl) || buf_get(&in, x_peer, 32))
		return -1;
	if (kc->kem == KEM_SNTRUP761)
		sntrup761_decap(secrets, ct, kc->kem_sk);
	else
		mlkem768_decap(secrets, ct, kc->kem_sk);
	if (x25519_shared(secrets + 32, kc->x_priv, x_peer) != 0)
		return -1;
	hash_once(kc->hash, secrets, sizeof(secrets), k);
	return buf_put_string(kenc, k, hash_len(kc->hash));
}

/* guess: GUESS_NONE, no guessed packet; GUESS_UNKNOWN_FIRST, the client's
 * first choice is a method we lack; GUESS_OTHER_FIRST, the client's first
 * choice is method itself, which is not our first choice. Both guesses are
 * wrong (RFC 4253 s7): a junk guessed packet follows and must be ignored. */
enum { GUESS_NONE, GUESS_UNKNOWN_FIRST, GUESS_OTHER_FIRST };
static void full_exchange(const char *method, const char *cipher, int guess_wrong)
{
	static struct hostkeys hk;
	make_hostkeys(&hk, strcmp(client_hk_algs, "ssh-ed25519") != 0);
	struct transport *s = transport_new(-1), *c = transport_new(-1);
	CHECK_EQ_INT(transport_feed(s, "SSH-2.0-unittest\r\n", 18), 0);
	CHECK_EQ_INT(transport_read_version(s), 1);
	struct kex k;
	kex_init(&k, s, &hk, NULL);
	CHECK_EQ_INT(kex_start(&k), 0);
	CHECK(transport_kex_active(s));

	struct buf ic, pl, init;
	buf_init(&ic, 4096);
	buf_init(&init, 4096);
	char kexl[256];
	snprintf(kexl, sizeof(kexl), "%s%s,kex-strict-c-v00@openssh.com,ext-info-c",
		 guess_wrong == GUESS_UNKNOWN_FIRST ? "ecdh-sha2-nistp256," : "", method);
	CHECK_EQ_INT(put_lists(&ic, kexl, cipher, guess_wrong != GUESS_NONE), 0);
	CHECK_EQ_INT(deliver(&k, s, &ic), 1);
	CHECK(k.strict);
	CHECK(k.ext_info_c);
	if (guess_wrong) {
		struct buf junk;
		buf_init(&junk, 64);
		buf_put_u8(&junk, SSH_MSG_KEX_ECDH_INIT);
		buf_put_cstring(&junk, "this is the wrong guess");
		CHECK_EQ_INT(deliver(&k, s, &junk), 1); /* silently ignored */
		buf_free(&junk);
	}
	struct kex_client kc;
	struct buf qc;
	buf_init(&qc, 4096);
	client_start(&kc, method, &qc);
	buf_put_u8(&init, SSH_MSG_KEX_ECDH_INIT);
	buf_put_buf(&init, &qc);
	CHECK_EQ_INT(deliver(&k, s, &init), 1);
	CHECK_STR(k.method->name, method);

	/* client side: KEXINIT, ECDH_REPLY, NEWKEYS, EXT_INFO come out */
	uint8_t type;
	CHECK_EQ_INT(next_out(s, c, &pl, &type), 1);
	CHECK_EQ_INT(type, SSH_MSG_KEXINIT);
	struct buf is;
	buf_init(&is, 4096);
	buf_put(&is, buf_rptr(&pl), buf_avail(&pl));
	CHECK(memmem(buf_rptr(&is), buf_avail(&is), "kex-strict-s-v00@openssh.com", 28) != NULL);
	CHECK_EQ_INT(next_out(s, c, &pl, &type), 1);
	CHECK_EQ_INT(type, SSH_MSG_KEX_ECDH_REPLY);
	const uint8_t *ks, *qs, *sig;
	size_t ksl, qsl, sigl;
	uint8_t t0;
	CHECK_EQ_INT(buf_get_u8(&pl, &t0), 0);
	CHECK_EQ_INT(buf_get_string_view(&pl, &ks, &ksl, 4096), 0);
	CHECK_EQ_INT(buf_get_string_view(&pl, &qs, &qsl, 4096), 0);
	CHECK_EQ_INT(buf_get_string_view(&pl, &sig, &sigl, 4096), 0);
	struct buf kenc, hb;
	buf_init(&kenc, 128);
	buf_init(&hb, 65536);
	CHECK_EQ_INT(client_finish(&kc, qs, qsl, &kenc), 0);
	buf_put_cstring(&hb, "SSH-2.0-unittest");
	buf_put_cstring(&hb, SSHBOX_VERSION_STRING);
	buf_put_buf(&hb, &ic);
	buf_put_buf(&hb, &is);
	buf_put_string(&hb, ks, ksl);
	buf_put_buf(&hb, &qc);
	buf_put_string(&hb, qs, qsl);
	buf_put(&hb, buf_rptr(&kenc), buf_avail(&kenc));
	uint8_t h[64];
	size_t hl = hash_len(kc.hash);
	hash_once(kc.hash, buf_rptr(&hb), buf_avail(&hb), h);
	struct pubkey pk;
	memset(&pk, 0, sizeof(pk));
	CHECK_EQ_INT(pubkey_parse(ks, ksl, &pk), 0);
	CHECK_EQ_INT(pubkey_verify(&pk, sig, sigl, h, hl, 0), 0); /* the host signed our H */
	char sigalg[64];
	CHECK_EQ_INT(pubkey_sig_alg_name(sig, sigl, sigalg, sizeof(sigalg)), 0);
	CHECK_STR(sigalg, client_hk_algs); /* the negotiated algorithm, e.g. rsa-sha2-256 */
	CHECK_STR(k.hostkey_alg, client_hk_algs);
	pubkey_free(&pk);
	CHECK_EQ_INT(k.session_id_len, hl);
	CHECK(memcmp(k.session_id, h, hl) == 0);
	CHECK_EQ_INT(next_out(s, c, &pl, &type), 1);
	CHECK_EQ_INT(type, SSH_MSG_NEWKEYS);
	struct transport_counters tc;
	transport_get_counters(s, &tc);
	CHECK_EQ_INT(tc.tx_seq, 1); /* strict: reset after NEWKEYS, then EXT_INFO used 0 */

	/* install the client's receive keys as the server derived them */
	const struct cipher_info *ci = cipher_by_name(cipher);
	const struct mac_info *mi = ci->aead ? NULL : mac_by_name("hmac-sha2-256-etm@openssh.com");
	uint8_t key[64], iv[16], mkey[64];
	CHECK_EQ_INT(kex_derive(kc.hash, &kenc, h, hl, 'B', h, hl, iv, ci->iv_len), 0);
	CHECK_EQ_INT(kex_derive(kc.hash, &kenc, h, hl, 'D', h, hl, key, ci->key_len), 0);
	if (mi)
		CHECK_EQ_INT(kex_derive(kc.hash, &kenc, h, hl, 'F', h, hl, mkey, mi->key_len), 0);
	struct transport_keys tk = {0};
	tk.ctx = cipher_ctx_new(ci, key, iv, mi, mkey);
	tk.aad = ci->aead || (mi && mi->etm);
	tk.block = ci->block_len < 8 ? 8 : ci->block_len;
	transport_set_next_keys(c, 0, &tk);
	CHECK_EQ_INT(transport_activate_rx(c, 1), 0);
	CHECK_EQ_INT(next_out(s, c, &pl, &type), 1); /* decrypts with our keys */
	CHECK_EQ_INT(type, SSH_MSG_EXT_INFO);

	/* data queued during kex, released after the client's NEWKEYS */
	uint8_t d[] = {SSH_MSG_IGNORE, 0, 0, 0, 0};
	struct buf db;
	buf_view(&db, d, sizeof(d));
	uint8_t ch[] = {SSH_MSG_CHANNEL_DATA, 0, 0, 0, 0};
	struct buf chb;
	buf_view(&chb, ch, sizeof(ch));
	CHECK_EQ_INT(transport_send(s, &chb), 0);
	size_t before = transport_output_pending(s);
	CHECK_EQ_INT(before, 0);
	uint8_t nk = SSH_MSG_NEWKEYS;
	struct buf nkb;
	buf_view(&nkb, &nk, 1);
	CHECK_EQ_INT(deliver(&k, s, &nkb), 1);
	CHECK(k.done_first);
	CHECK(!transport_kex_active(s));
	transport_get_counters(s, &tc);
	CHECK_EQ_INT(tc.rx_seq, 0); /* strict: reset */
	CHECK_EQ_INT(next_out(s, c, &pl, &type), 1);
	CHECK_EQ_INT(type, SSH_MSG_CHANNEL_DATA);
	(void)db;

	/* a second KEXINIT from the client now starts a rekey */
	buf_reset(&ic);
	put_lists(&ic, "curve25519-sha256", cipher, 0);
	CHECK_EQ_INT(deliver(&k, s, &ic), 1);
	CHECK(transport_kex_active(s));
	/* ... during which channel messages from the client are a violation */
	int reason;
	struct buf bad;
	buf_view(&bad, ch, sizeof(ch));
	CHECK(kex_filter(&k, SSH_MSG_CHANNEL_DATA, &bad, &reason) < 0);

	buf_free(&ic);
	buf_free(&is);
	buf_free(&init);
	buf_free(&qc);
	secure_zero(&kc, sizeof(kc));
	buf_free(&kenc);
	buf_free(&hb);
	kex_free(&k);
	transport_free(s);
	transport_free(c);
	hostkeys_wipe(&hk);
}

/* Each host key algorithm a client may pin (ssh -o HostKeyAlgorithms=...)
 * is chosen from a set of three keys, and the signature is made with it. */
TEST(exchange_each_host_key_algorithm)
{
	static const char *algs[] = {"ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256", "ssh-ed25519"};
	for (size_t i = 0; i < 4; i++) {
		client_hk_algs = algs[i];
		full_exchange("curve25519-sha256", "aes128-ctr", 0);
	}
	client_hk_algs = "ssh-ed25519";
}

TEST(exchange_chacha)
{
	full_exchange("curve25519-sha256", "chacha20-poly1305@openssh.com", 0);
}
TEST(exchange_gcm_wrong_guess)
{
	full_exchange("curve25519-sha256", "aes256-gcm@openssh.com", 1);
}
TEST(exchange_ctr)
{
	full_exchange("curve25519-sha256@libssh.org", "aes128-ctr", 0);
}
TEST(exchange_sntrup761_chacha)
{
	full_exchange("sntrup761x25519-sha512@openssh.com", "chacha20-poly1305@openssh.com", 0);
}
TEST(exchange_sntrup761_ctr_wrong_guess)
{
	full_exchange("sntrup761x25519-sha512", "aes128-ctr", 1);
}
TEST(exchange_mlkem768_chacha)
{
	full_exchange("mlkem768x25519-sha256", "chacha20-poly1305@openssh.com", 0);
}
TEST(exchange_mlkem768_gcm_wrong_guess)
{
	full_exchange("mlkem768x25519-sha256", "aes128-gcm@openssh.com", 1);
}
/* Dropbear 2025.89's client: sntrup761 first, and a guessed packet. The
 * method is negotiated, but our first choice is ML-KEM: a wrong guess. */
TEST(exchange_sntrup761_first_guess_not_ours)
{
	full_exchange("sntrup761x25519-sha512", "aes128-ctr", GUESS_OTHER_FIRST);
}

/* server_reply of method on a len-byte value v: 0 when it answered. */
static int reply_to(const struct kex_method *m, const uint8_t *v, size_t len)
{
	struct buf qs, kenc;
	buf_init(&qs, 4096);
	buf_init(&kenc, 128);
	int r = m->server_reply(v, len, &qs, &kenc);
	buf_free(&qs);
	buf_free(&kenc);
	return r;
}

/* mlkem768x25519: Q_C must be exactly an ML-KEM-768 public key and an
 * X25519 key; a public key failing the FIPS 203 check (coefficients not
 * reduced mod q) and a small-order X25519 point are refused. A good value
 * gets the ciphertext and the server's X25519 key, and K is a string of a
 * SHA-256 hash (4 + 32 bytes). */
TEST(mlkem768_client_value)
{
	const struct kex_method *m = kex_method_by_name("mlkem768x25519-sha256", 21);
	CHECK(m != NULL);
	static uint8_t v[MLKEM768_PUBLIC_BYTES + 33];
	static const size_t lens[] = {0,
				      32,
				      MLKEM768_PUBLIC_BYTES,
				      MLKEM768_PUBLIC_BYTES + 31,
				      MLKEM768_PUBLIC_BYTES + 33,
				      SNTRUP761_PUBLIC_BYTES + 32};
	static uint8_t sk[MLKEM768_SECRET_BYTES];
	mlkem768_keypair(v, sk);
	uint8_t x_priv[32];
	x25519_keypair(v + MLKEM768_PUBLIC_BYTES, x_priv);
	for (size_t i = 0; i < ARRAY_LEN(lens); i++)
		CHECK(reply_to(m, v, lens[i]) != 0);
	struct buf qs, kenc;
	buf_init(&qs, 4096);
	buf_init(&kenc, 128);
	CHECK_EQ_INT(m->server_reply(v, MLKEM768_PUBLIC_BYTES + 32, &qs, &kenc), 0);
	CHECK_EQ_INT(buf_avail(&qs), MLKEM768_CIPHERTEXT_BYTES + 32);
	CHECK_EQ_INT(buf_avail(&kenc), 4 + 32);
	buf_free(&qs);
	buf_free(&kenc);
	/* all-zero X25519 part */
	uint8_t saved[32];
	memcpy(saved, v + MLKEM768_PUBLIC_BYTES, 32);
	memset(v + MLKEM768_PUBLIC_BYTES, 0, 32);
	CHECK(reply_to(m, v, MLKEM768_PUBLIC_BYTES + 32) != 0);
	memcpy(v + MLKEM768_PUBLIC_BYTES, saved, 32);
	/* first coefficient 0xfff (>= q = 3329): not a valid encapsulation key */
	v[0] = 0xff;
	v[1] |= 0x0f;
	CHECK(reply_to(m, v, MLKEM768_PUBLIC_BYTES + 32) != 0);
	secure_zero(sk, sizeof(sk));
	secure_zero(x_priv, sizeof(x_priv));
}

/* Q_C of the wrong length, for either part of the hybrid: refused. */
TEST(sntrup761_bad_client_value)
{
	static const size_t lens[] = {0, 32, SNTRUP761_PUBLIC_BYTES, SNTRUP761_PUBLIC_BYTES + 31,
				      SNTRUP761_PUBLIC_BYTES + 33};
	const struct kex_method *m = kex_method_by_name("sntrup761x25519-sha512", 22);
	CHECK(m != NULL);
	static uint8_t v[SNTRUP761_PUBLIC_BYTES + 33];
	for (size_t i = 0; i < ARRAY_LEN(lens); i++) {
		struct buf qs, kenc;
		buf_init(&qs, 4096);
		buf_init(&kenc, 128);
		CHECK(m->server_reply(v, lens[i], &qs, &kenc) != 0);
		buf_free(&qs);
		buf_free(&kenc);
	}
	/* the right length but an all-zero (small-order) X25519 point */
	struct buf qs, kenc;
	buf_init(&qs, 4096);
	buf_init(&kenc, 128);
	CHECK(m->server_reply(v, SNTRUP761_PUBLIC_BYTES + 32, &qs, &kenc) != 0);
	buf_free(&qs);
	buf_free(&kenc);
}

/* Every advertised name has a method, and the other way round. */
TEST(supported_names_match_table)
{
	const char *names = kex_supported_names();
	size_t n = 0;
	for (const char *c = names; *c;) {
		const char *e = strchr(c, ',');
		size_t l = e ? (size_t)(e - c) : strlen(c);
		CHECK(kex_method_by_name(c, l) != NULL);
		n++;
		c = e ? e + 1 : c + l;
	}
	CHECK_EQ_INT(n, 5);
	CHECK(kex_list_has((const uint8_t *)names, strlen(names), "sntrup761x25519-sha512@openssh.com"));
	/* the default order: ML-KEM hybrid, sntrup761 hybrids, curve25519 */
	CHECK(
	    strncmp(names,
		    "mlkem768x25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,"
		    "curve25519-sha256",
		    strlen("mlkem768x25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,"
			   "curve25519-sha256")) == 0);
}

TEST(strict_violations)
{
	static struct hostkeys hk;
	make_hostkeys(&hk, 0);
	struct transport *s = transport_new(-1);
	struct kex k;
	kex_init(&k, s, &hk, NULL);
	kex_start(&k);
	struct buf ic, p;
	buf_init(&ic, 4096);
	put_lists(&ic, "curve25519-sha256,kex-strict-c-v00@openssh.com", "aes128-ctr", 0);
	int reason;
	/* KEXINIT that is not the first packet under strict kex */
	for (int i = 0; i < 4; i++)
		transport_harness_received(s); /* the fourth packet: seq 3 */
	CHECK_EQ_INT(transport_last_rx_seq(s), 3);
	buf_view(&p, buf_rptr(&ic), buf_avail(&ic));
	CHECK(kex_filter(&k, SSH_MSG_KEXINIT, &p, &reason) < 0);
	CHECK_STR(transport_error(s), "kex: strict KEX violation: KEXINIT was not the first packet");
	kex_free(&k);
	transport_free(s);

	s = transport_new(-1);
	kex_init(&k, s, &hk, NULL);
	kex_start(&k);
	transport_harness_received(s); /* the first packet: seq 0 */
	buf_view(&p, buf_rptr(&ic), buf_avail(&ic));
	CHECK_EQ_INT(kex_filter(&k, SSH_MSG_KEXINIT, &p, &reason), 1);
	uint8_t ign[] = {SSH_MSG_IGNORE, 0, 0, 0, 0};
	buf_view(&p, ign, sizeof(ign));
	CHECK_EQ_INT(kex_filter(&k, SSH_MSG_IGNORE, &p, &reason),
		     SB_ERR_PROTOCOL); /* strict: no IGNORE in initial kex */
	uint8_t nk = SSH_MSG_NEWKEYS;
	buf_view(&p, &nk, 1);
	CHECK(kex_filter(&k, SSH_MSG_NEWKEYS, &p, &reason) < 0); /* NEWKEYS before the exchange */
	/* no common cipher */
	kex_free(&k);
	transport_free(s);
	s = transport_new(-1);
	kex_init(&k, s, &hk, NULL);
	buf_reset(&ic);
	put_lists(&ic, "curve25519-sha256", "3des-cbc", 0);
	buf_view(&p, buf_rptr(&ic), buf_avail(&ic));
	CHECK_EQ_INT(kex_filter(&k, SSH_MSG_KEXINIT, &p, &reason), SB_ERR_KEX);
	CHECK(strncmp(transport_error(s), "kex: no matching cipher", 23) == 0);
	CHECK_EQ_INT(reason, SSH_DISCONNECT_KEY_EXCHANGE_FAILED);
	buf_free(&ic);
	kex_free(&k);
	transport_free(s);
	hostkeys_wipe(&hk);
}

/* put_lists with the kex list given as raw bytes (it may hold a NUL). */
static void kexinit_raw_kex(struct buf *b, const void *kex, size_t n)
{
	uint8_t cookie[16] = {0};
	buf_put_u8(b, SSH_MSG_KEXINIT);
	buf_put(b, cookie, 16);
	buf_put_string(b, kex, n);
	const char *rest[] = {"ssh-ed25519", "aes128-ctr", "aes128-ctr", MAC_NAMES_OFFERED, MAC_NAMES_OFFERED,
			      "none", "none", "", ""};
	for (size_t i = 0; i < ARRAY_LEN(rest); i++)
		buf_put_cstring(b, rest[i]);
	buf_put_u8(b, 0);
	buf_put_u32(b, 0);
}

/* Name lists are checked before matching: "curve25519-sha256\0junk" used
 * to negotiate as curve25519-sha256. */
TEST(kexinit_nul_in_name_refused)
{
	static struct hostkeys hk;
	make_hostkeys(&hk, 0);
	static const struct {
		const char *list;
		size_t n;
		int ok;
	} cases[] = {
		{"curve25519-sha256", 17, 1},
		{"curve25519-sha256\0junk", 22, 0},
		{"curve25519-sha256\0", 18, 0},
		{"curve25519-sha256,,x", 20, 0},
		{"curve25519-sha256 ", 18, 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct transport *s = transport_new(-1);
		struct kex k;
		kex_init(&k, s, &hk, NULL);
		struct buf ic, p;
		buf_init(&ic, 4096);
		kexinit_raw_kex(&ic, cases[i].list, cases[i].n);
		buf_view(&p, buf_rptr(&ic), buf_avail(&ic));
		int reason = 0;
		int r = kex_filter(&k, SSH_MSG_KEXINIT, &p, &reason);
		if (cases[i].ok) {
			CHECK_EQ_INT(r, 1);
		} else {
			CHECK(r < 0);
			CHECK_EQ_INT(reason, SSH_DISCONNECT_PROTOCOL_ERROR); /* malformed, not "no match" */
			/* the one error space: buf's code, and the reason the log line prints */
			CHECK_EQ_INT(r, SB_ERR_FORMAT);
			char want[160];
			snprintf(want, sizeof(want), "kex: malformed KEXINIT: kex_algorithms: %s",
				 sb_strerror(SB_ERR_FORMAT));
			CHECK_STR(transport_error(s), want);
		}
		buf_free(&ic);
		kex_free(&k);
		transport_free(s);
	}
	hostkeys_wipe(&hk);
}

/* A KEXINIT cut inside its first name list: buf's "too short", named with
 * the field in the reason the refusal log line prints. */
TEST(kexinit_truncated_reason)
{
	static struct hostkeys hk;
	make_hostkeys(&hk, 0);
	struct transport *s = transport_new(-1);
	struct kex k;
	kex_init(&k, s, &hk, NULL);
	struct buf ic, p;
	buf_init(&ic, 256);
	uint8_t cookie[16] = {0};
	buf_put_u8(&ic, SSH_MSG_KEXINIT);
	buf_put(&ic, cookie, 16);
	buf_put_u32(&ic, 1000); /* announces 1000 bytes, sends 5 */
	buf_put(&ic, "curve", 5);
	buf_view(&p, buf_rptr(&ic), buf_avail(&ic));
	int reason = 0;
	CHECK_EQ_INT(kex_filter(&k, SSH_MSG_KEXINIT, &p, &reason), SB_ERR_SHORT);
	CHECK_EQ_INT(reason, SSH_DISCONNECT_PROTOCOL_ERROR);
	CHECK_STR(transport_error(s), "kex: malformed KEXINIT: kex_algorithms: message too short");
	buf_free(&ic);
	kex_free(&k);
	transport_free(s);
	hostkeys_wipe(&hk);
}

int main(void)
{
	crypto_init();
	RUN(negotiate);
	RUN(derive);
	RUN(exchange_each_host_key_algorithm);
	RUN(exchange_chacha);
	RUN(exchange_gcm_wrong_guess);
	RUN(exchange_ctr);
	RUN(exchange_sntrup761_chacha);
	RUN(exchange_sntrup761_ctr_wrong_guess);
	RUN(sntrup761_bad_client_value);
	RUN(exchange_mlkem768_chacha);
	RUN(exchange_mlkem768_gcm_wrong_guess);
	RUN(exchange_sntrup761_first_guess_not_ours);
	RUN(mlkem768_client_value);
	RUN(supported_names_match_table);
	RUN(strict_violations);
	RUN(kexinit_nul_in_name_refused);
	RUN(kexinit_truncated_reason);
	return t_done();
}
