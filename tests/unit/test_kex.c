/* Unit tests for shared/kex.c: name-list negotiation, RFC 4253 s7.2 key
 * derivation, and a whole server-side key exchange against a client built
 * here from the primitives (signature over H verified, keys agree, strict
 * kex resets sequence numbers, guesses and hostile messages handled). */
#include <string.h>

#include "cipher.h"
#include "crypto.h"
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

static int put_lists(struct buf *b, const char *kex, const char *cipher, int follows)
{
	uint8_t cookie[16] = {0};
	int r = buf_put_u8(b, SSH_MSG_KEXINIT);
	r = r ? r : buf_put(b, cookie, 16);
	r = r ? r : buf_put_cstring(b, kex);
	r = r ? r : buf_put_cstring(b, "ssh-ed25519");
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
	s->last_rx_seq = s->rx.seq++;
	return kex_filter(k, buf_rptr(payload)[0], &p, &reason);
}

/* Reads the next clear packet the server produced. */
static int next_out(struct transport *s, struct transport *c, struct buf *p, uint8_t *type)
{
	buf_put(&c->in, buf_rptr(&s->out), buf_avail(&s->out));
	buf_reset(&s->out);
	int reason;
	return transport_next_packet(c, p, type, &reason);
}

static void full_exchange(const char *cipher, int guess_wrong)
{
	struct hostkey hk;
	CHECK_EQ_INT(hostkey_generate(&hk, "test"), 0);
	struct transport s, c;
	transport_init(&s, -1);
	transport_init(&c, -1);
	snprintf(s.peer_version, sizeof(s.peer_version), "SSH-2.0-unittest");
	struct kex k;
	kex_init(&k, &s, &hk, NULL);
	CHECK_EQ_INT(kex_start(&k), 0);
	CHECK(s.kex_active);

	struct buf ic, pl, init;
	buf_init(&ic, 4096);
	buf_init(&init, 256);
	const char *kexl = guess_wrong ? "sntrup761x25519-sha512@openssh.com,curve25519-sha256,kex-strict-c-v00@openssh.com,ext-info-c"
				       : "curve25519-sha256,kex-strict-c-v00@openssh.com,ext-info-c";
	CHECK_EQ_INT(put_lists(&ic, kexl, cipher, guess_wrong), 0);
	CHECK_EQ_INT(deliver(&k, &s, &ic), 1);
	CHECK(k.strict);
	CHECK(k.ext_info_c);
	if (guess_wrong) {
		struct buf junk;
		buf_init(&junk, 64);
		buf_put_u8(&junk, SSH_MSG_KEX_ECDH_INIT);
		buf_put_cstring(&junk, "this is the wrong guess");
		CHECK_EQ_INT(deliver(&k, &s, &junk), 1); /* silently ignored */
		buf_free(&junk);
	}
	uint8_t cpub[32], cpriv[32];
	x25519_keypair(cpub, cpriv);
	buf_put_u8(&init, SSH_MSG_KEX_ECDH_INIT);
	buf_put_string(&init, cpub, 32);
	CHECK_EQ_INT(deliver(&k, &s, &init), 1);

	/* client side: KEXINIT, ECDH_REPLY, NEWKEYS, EXT_INFO come out */
	uint8_t type;
	CHECK_EQ_INT(next_out(&s, &c, &pl, &type), 1);
	CHECK_EQ_INT(type, SSH_MSG_KEXINIT);
	struct buf is;
	buf_init(&is, 4096);
	buf_put(&is, buf_rptr(&pl), buf_avail(&pl));
	CHECK(memmem(buf_rptr(&is), buf_avail(&is), "kex-strict-s-v00@openssh.com", 28) != NULL);
	CHECK_EQ_INT(next_out(&s, &c, &pl, &type), 1);
	CHECK_EQ_INT(type, SSH_MSG_KEX_ECDH_REPLY);
	const uint8_t *ks, *qs, *sig;
	size_t ksl, qsl, sigl;
	uint8_t t0;
	CHECK_EQ_INT(buf_get_u8(&pl, &t0), 0);
	CHECK_EQ_INT(buf_get_string_view(&pl, &ks, &ksl, 4096), 0);
	CHECK_EQ_INT(buf_get_string_view(&pl, &qs, &qsl, 4096), 0);
	CHECK_EQ_INT(buf_get_string_view(&pl, &sig, &sigl, 4096), 0);
	CHECK_EQ_INT(qsl, 32);
	uint8_t kraw[32];
	CHECK_EQ_INT(x25519_shared(kraw, cpriv, qs), 0);
	struct buf kenc, hb;
	buf_init(&kenc, 64);
	buf_init(&hb, 65536);
	buf_put_mpint_unsigned(&kenc, kraw, 32);
	buf_put_cstring(&hb, "SSH-2.0-unittest");
	buf_put_cstring(&hb, SSHBOX_VERSION_STRING);
	buf_put_buf(&hb, &ic);
	buf_put_buf(&hb, &is);
	buf_put_string(&hb, ks, ksl);
	buf_put_string(&hb, cpub, 32);
	buf_put_string(&hb, qs, qsl);
	buf_put(&hb, buf_rptr(&kenc), buf_avail(&kenc));
	uint8_t h[32];
	hash_once(HASH_SHA256, buf_rptr(&hb), buf_avail(&hb), h);
	struct pubkey pk;
	memset(&pk, 0, sizeof(pk));
	CHECK_EQ_INT(pubkey_parse(ks, ksl, &pk), 0);
	CHECK_EQ_INT(pubkey_verify(&pk, sig, sigl, h, 32, 0), 0); /* the host signed our H */
	pubkey_free(&pk);
	CHECK(memcmp(k.session_id, h, 32) == 0);
	CHECK_EQ_INT(next_out(&s, &c, &pl, &type), 1);
	CHECK_EQ_INT(type, SSH_MSG_NEWKEYS);
	CHECK_EQ_INT(s.tx.seq, 1); /* strict: reset after NEWKEYS, then EXT_INFO used 0 */

	/* install the client's receive keys as the server derived them */
	const struct cipher_info *ci = cipher_by_name(cipher);
	const struct mac_info *mi = ci->aead ? NULL : mac_by_name("hmac-sha2-256-etm@openssh.com");
	uint8_t key[64], iv[16], mkey[64];
	CHECK_EQ_INT(kex_derive(HASH_SHA256, &kenc, h, 32, 'B', h, 32, iv, ci->iv_len), 0);
	CHECK_EQ_INT(kex_derive(HASH_SHA256, &kenc, h, 32, 'D', h, 32, key, ci->key_len), 0);
	if (mi)
		CHECK_EQ_INT(kex_derive(HASH_SHA256, &kenc, h, 32, 'F', h, 32, mkey, mi->key_len), 0);
	struct transport_keys tk = {0};
	tk.ctx = cipher_ctx_new(ci, key, iv, mi, mkey);
	tk.aad = ci->aead || (mi && mi->etm);
	tk.block = ci->block_len < 8 ? 8 : ci->block_len;
	transport_set_next_keys(&c, 0, &tk);
	CHECK_EQ_INT(transport_activate_rx(&c, 1), 0);
	CHECK_EQ_INT(next_out(&s, &c, &pl, &type), 1); /* decrypts with our keys */
	CHECK_EQ_INT(type, SSH_MSG_EXT_INFO);

	/* data queued during kex, released after the client's NEWKEYS */
	uint8_t d[] = {SSH_MSG_IGNORE, 0, 0, 0, 0};
	struct buf db;
	buf_view(&db, d, sizeof(d));
	uint8_t ch[] = {SSH_MSG_CHANNEL_DATA, 0, 0, 0, 0};
	struct buf chb;
	buf_view(&chb, ch, sizeof(ch));
	CHECK_EQ_INT(transport_send(&s, &chb), 0);
	size_t before = buf_avail(&s.out);
	CHECK_EQ_INT(before, 0);
	uint8_t nk = SSH_MSG_NEWKEYS;
	struct buf nkb;
	buf_view(&nkb, &nk, 1);
	CHECK_EQ_INT(deliver(&k, &s, &nkb), 1);
	CHECK(k.done_first);
	CHECK(!s.kex_active);
	CHECK_EQ_INT(s.rx.seq, 0); /* strict: reset */
	CHECK_EQ_INT(next_out(&s, &c, &pl, &type), 1);
	CHECK_EQ_INT(type, SSH_MSG_CHANNEL_DATA);
	(void)db;

	/* a second KEXINIT from the client now starts a rekey */
	buf_reset(&ic);
	put_lists(&ic, "curve25519-sha256", cipher, 0);
	CHECK_EQ_INT(deliver(&k, &s, &ic), 1);
	CHECK(s.kex_active);
	/* ... during which channel messages from the client are a violation */
	int reason;
	struct buf bad;
	buf_view(&bad, ch, sizeof(ch));
	CHECK(kex_filter(&k, SSH_MSG_CHANNEL_DATA, &bad, &reason) < 0);

	buf_free(&ic);
	buf_free(&is);
	buf_free(&init);
	buf_free(&kenc);
	buf_free(&hb);
	kex_free(&k);
	transport_free(&s);
	transport_free(&c);
	hostkey_wipe(&hk);
}

TEST(exchange_chacha) { full_exchange("chacha20-poly1305@openssh.com", 0); }
TEST(exchange_gcm_wrong_guess) { full_exchange("aes256-gcm@openssh.com", 1); }
TEST(exchange_ctr) { full_exchange("aes128-ctr", 0); }

TEST(strict_violations)
{
	struct hostkey hk;
	hostkey_generate(&hk, "t");
	struct transport s;
	transport_init(&s, -1);
	struct kex k;
	kex_init(&k, &s, &hk, NULL);
	kex_start(&k);
	struct buf ic, p;
	buf_init(&ic, 4096);
	put_lists(&ic, "curve25519-sha256,kex-strict-c-v00@openssh.com", "aes128-ctr", 0);
	int reason;
	/* KEXINIT that is not the first packet under strict kex */
	s.last_rx_seq = 3;
	buf_view(&p, buf_rptr(&ic), buf_avail(&ic));
	CHECK(kex_filter(&k, SSH_MSG_KEXINIT, &p, &reason) < 0);
	kex_free(&k);
	transport_free(&s);

	transport_init(&s, -1);
	kex_init(&k, &s, &hk, NULL);
	kex_start(&k);
	s.last_rx_seq = 0;
	buf_view(&p, buf_rptr(&ic), buf_avail(&ic));
	CHECK_EQ_INT(kex_filter(&k, SSH_MSG_KEXINIT, &p, &reason), 1);
	uint8_t ign[] = {SSH_MSG_IGNORE, 0, 0, 0, 0};
	buf_view(&p, ign, sizeof(ign));
	CHECK(kex_filter(&k, SSH_MSG_IGNORE, &p, &reason) < 0); /* strict: no IGNORE in initial kex */
	uint8_t nk = SSH_MSG_NEWKEYS;
	buf_view(&p, &nk, 1);
	CHECK(kex_filter(&k, SSH_MSG_NEWKEYS, &p, &reason) < 0); /* NEWKEYS before the exchange */
	/* no common cipher */
	kex_free(&k);
	transport_free(&s);
	transport_init(&s, -1);
	kex_init(&k, &s, &hk, NULL);
	buf_reset(&ic);
	put_lists(&ic, "curve25519-sha256", "3des-cbc", 0);
	buf_view(&p, buf_rptr(&ic), buf_avail(&ic));
	CHECK(kex_filter(&k, SSH_MSG_KEXINIT, &p, &reason) < 0);
	CHECK_EQ_INT(reason, SSH_DISCONNECT_KEY_EXCHANGE_FAILED);
	buf_free(&ic);
	kex_free(&k);
	transport_free(&s);
	hostkey_wipe(&hk);
}

int main(void)
{
	crypto_init();
	RUN(negotiate);
	RUN(derive);
	RUN(exchange_chacha);
	RUN(exchange_gcm_wrong_guess);
	RUN(exchange_ctr);
	RUN(strict_violations);
	return t_done();
}
