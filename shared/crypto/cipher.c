/* cipher: SSH packet protection. See cipher.h.
 *
 * chacha20-poly1305@openssh.com: libsodium ChaCha20 (original 64-bit nonce
 *   variant) + Poly1305, per OpenSSH PROTOCOL.chacha20poly1305.
 * aes{128,256}-gcm@openssh.com: BearSSL GCM (RFC 5647), AES-NI CTR and
 *   PCLMUL GHASH when the CPU has them, constant-time ct64/ctmul64 otherwise.
 * aes{128,256}-ctr: BearSSL ctrcbc "ctr" (full 128-bit big-endian counter,
 *   as SSH needs), with nettle HMAC-SHA2-256/512 (plain or EtM; SHA-NI when the CPU
 *   has it, nettle picks at run time).
 */
#include "cipher.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <bearssl.h>
#include <nettle/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum cmode { M_CHACHA, M_GCM, M_CTR };
enum mmode { MAC_NONE, MAC_SHA256, MAC_SHA512 };

static const struct cipher_info ciphers[] = {
	{"chacha20-poly1305@openssh.com", 64, 0, 8, 16, 1},
	{"aes128-gcm@openssh.com", 16, 12, 16, 16, 1},
	{"aes256-gcm@openssh.com", 32, 12, 16, 16, 1},
	{"aes128-ctr", 16, 16, 16, 0, 0},
	{"aes256-ctr", 32, 16, 16, 0, 0},
};

static const struct mac_info macs[] = {
	{"hmac-sha2-256-etm@openssh.com", 32, 32, 1},
	{"hmac-sha2-512-etm@openssh.com", 64, 64, 1},
	{"hmac-sha2-256", 32, 32, 0},
	{"hmac-sha2-512", 64, 64, 0},
};

const struct cipher_info *cipher_by_name(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_LEN(ciphers); i++)
		if (strcmp(ciphers[i].name, name) == 0)
			return &ciphers[i];
	return NULL;
}

const struct mac_info *mac_by_name(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_LEN(macs); i++)
		if (strcmp(macs[i].name, name) == 0)
			return &macs[i];
	return NULL;
}

struct cipher_ctx {
	const struct cipher_info *c;
	const struct mac_info *mac;
	enum cmode mode;
	enum mmode mmode;
	size_t block, trailer;
	int etm;
	/* chacha */
	uint8_t k_main[32], k_len[32];
	/* AES */
	br_aes_gen_ctr_keys gcm_keys;
	br_gcm_context gcm;
	uint8_t gcm_iv[12];
	br_aes_gen_ctrcbc_keys ctr_keys;
	const br_block_ctrcbc_class *ctr_vt;
	uint8_t ctr[16];
	/* HMAC (nettle): keyed once; a digest resets it to the keyed state */
	struct hmac_sha256_ctx h256;
	struct hmac_sha512_ctx h512;
	/* CTR + non-EtM: first block decrypted by cipher_decrypt_length */
	uint8_t first_plain[16];
	int have_first;
};

static int force_portable;

void cipher_use_portable_impl(int on) { force_portable = on; }

static const br_block_ctr_class *aes_ctr_vtable(void)
{
	const br_block_ctr_class *vt = force_portable ? NULL : br_aes_x86ni_ctr_get_vtable();
	return vt ? vt : &br_aes_ct64_ctr_vtable;
}

static const br_block_ctrcbc_class *aes_ctrcbc_vtable(void)
{
	const br_block_ctrcbc_class *vt = force_portable ? NULL : br_aes_x86ni_ctrcbc_get_vtable();
	return vt ? vt : &br_aes_ct64_ctrcbc_vtable;
}

static br_ghash ghash_impl(void)
{
	br_ghash g = force_portable ? 0 : br_ghash_pclmul_get();
	return g ? g : &br_ghash_ctmul64;
}

const char *cipher_impl_name(void)
{
	int aesni = aes_ctr_vtable() != &br_aes_ct64_ctr_vtable;
	int pclmul = ghash_impl() != &br_ghash_ctmul64;
	return aesni ? (pclmul ? "aes-x86ni ghash-pclmul" : "aes-x86ni ghash-ctmul64")
		     : (pclmul ? "aes-ct64 ghash-pclmul" : "aes-ct64 ghash-ctmul64");
}

/* SHA-NI (CPUID.7.0:EBX bit 29): nettle's fat build uses it for HMAC-SHA2-256
 * when present; reported here only (nettle picks on its own). */
static int cpu_has_sha_ni(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned a, b, c, d;
	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
#else
	return 0;
#endif
}

const char *cipher_accel_summary(void)
{
	static char line[128];
	snprintf(line, sizeof(line), "%s chacha20-%s sha256-%s", cipher_impl_name(),
		 sodium_runtime_has_avx2() ? "avx2" : sodium_runtime_has_ssse3() ? "ssse3" : "portable",
		 cpu_has_sha_ni() ? "sha-ni" : "portable");
	return line;
}

struct cipher_ctx *cipher_ctx_new(const struct cipher_info *c, const uint8_t *key, const uint8_t *iv,
				  const struct mac_info *mac, const uint8_t *mac_key)
{
	if (!c || !key || (c->iv_len && !iv) || (!c->aead && (!mac || !mac_key)))
		return NULL;
	struct cipher_ctx *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->c = c;
	x->block = c->block_len;
	if (c->aead) {
		x->trailer = c->tag_len;
		x->mmode = MAC_NONE;
	} else {
		x->mac = mac;
		x->etm = mac->etm;
		x->trailer = mac->mac_len;
		x->mmode = mac->mac_len == 32 ? MAC_SHA256 : MAC_SHA512;
		if (x->mmode == MAC_SHA256)
			hmac_sha256_set_key(&x->h256, mac->key_len, mac_key);
		else
			hmac_sha512_set_key(&x->h512, mac->key_len, mac_key);
	}
	if (c->key_len == 64) {
		x->mode = M_CHACHA;
		/* K_2 (main, payload + poly1305 key) is the first half,
		 * K_1 (packet length) the second. */
		memcpy(x->k_main, key, 32);
		memcpy(x->k_len, key + 32, 32);
	} else if (c->aead) {
		x->mode = M_GCM;
		const br_block_ctr_class *vt = aes_ctr_vtable();
		vt->init(&x->gcm_keys.vtable, key, c->key_len);
		br_gcm_init(&x->gcm, &x->gcm_keys.vtable, ghash_impl());
		memcpy(x->gcm_iv, iv, 12);
	} else {
		x->mode = M_CTR;
		x->ctr_vt = aes_ctrcbc_vtable();
		x->ctr_vt->init(&x->ctr_keys.vtable, key, c->key_len);
		memcpy(x->ctr, iv, 16);
	}
	return x;
}

void cipher_ctx_free(struct cipher_ctx *ctx)
{
	if (!ctx)
		return;
	secure_zero(ctx, sizeof(*ctx));
	free(ctx);
}

size_t cipher_block_len(const struct cipher_ctx *ctx) { return ctx ? ctx->block : 8; }

size_t cipher_trailer_len(const struct cipher_ctx *ctx) { return ctx ? ctx->trailer : 0; }

int cipher_length_in_clear(const struct cipher_ctx *ctx)
{
	return !ctx || ctx->mode == M_GCM || ctx->etm;
}

size_t cipher_first_len(const struct cipher_ctx *ctx)
{
	return ctx && ctx->mode == M_CTR && !ctx->etm ? 16 : 4;
}

/* packet_length must make the encrypted part a whole number of blocks:
 * [len][body] for plain modes, [body] alone when the length is AAD. */
static int length_ok(const struct cipher_ctx *ctx, uint32_t plen)
{
	size_t bl = cipher_block_len(ctx);
	int aad = ctx && (ctx->c->aead || ctx->etm);
	if (plen == 0 || plen > BUF_MAX_SIZE)
		return 0;
	return aad ? plen % bl == 0 : ((size_t)plen + 4) % bl == 0;
}

static void chacha_nonce(uint8_t n[8], uint32_t seqnr)
{
	memset(n, 0, 4);
	store_be32(n + 4, seqnr);
}

static void gcm_iv_next(struct cipher_ctx *ctx)
{
	/* RFC 5647 7.1: the 64-bit invocation counter increments per packet. */
	for (int i = 11; i >= 4; i--)
		if (++ctx->gcm_iv[i] != 0)
			break;
}

static void mac_compute(struct cipher_ctx *ctx, uint32_t seqnr, const uint8_t *p, size_t n, uint8_t *out)
{
	uint8_t sq[4];
	store_be32(sq, seqnr);
	if (ctx->mmode == MAC_SHA256) {
		hmac_sha256_update(&ctx->h256, 4, sq);
		hmac_sha256_update(&ctx->h256, n, p);
		hmac_sha256_digest(&ctx->h256, SHA256_DIGEST_SIZE, out);
	} else {
		hmac_sha512_update(&ctx->h512, 4, sq);
		hmac_sha512_update(&ctx->h512, n, p);
		hmac_sha512_digest(&ctx->h512, SHA512_DIGEST_SIZE, out);
	}
}

int cipher_seal(struct cipher_ctx *ctx, uint32_t seqnr, struct buf *pkt)
{
	if (!ctx)
		return 0;
	size_t total = buf_avail(pkt);
	uint32_t plen;
	if (total < 4 || buf_peek_u32(pkt, 0, &plen) || (size_t)plen + 4 != total || !length_ok(ctx, plen))
		return CIPHER_ERR_INTERNAL;
	uint8_t *tag;
	if (buf_reserve(pkt, ctx->trailer, &tag) != BUF_OK)
		return CIPHER_ERR_INTERNAL;
	/* buf_reserve may have moved the data: take the start afterwards. */
	uint8_t *p = buf_wptr(pkt);
	if (!p)
		return CIPHER_ERR_INTERNAL;
	switch (ctx->mode) {
	case M_CHACHA: {
		uint8_t nonce[8], polykey[32];
		chacha_nonce(nonce, seqnr);
		crypto_stream_chacha20_xor(p, p, 4, nonce, ctx->k_len);
		crypto_stream_chacha20(polykey, sizeof(polykey), nonce, ctx->k_main);
		crypto_stream_chacha20_xor_ic(p + 4, p + 4, plen, nonce, 1, ctx->k_main);
		crypto_onetimeauth_poly1305(tag, p, total, polykey);
		secure_zero(polykey, sizeof(polykey));
		break;
	}
	case M_GCM:
		br_gcm_reset(&ctx->gcm, ctx->gcm_iv, 12);
		br_gcm_aad_inject(&ctx->gcm, p, 4);
		br_gcm_flip(&ctx->gcm);
		br_gcm_run(&ctx->gcm, 1, p + 4, plen);
		br_gcm_get_tag(&ctx->gcm, tag);
		gcm_iv_next(ctx);
		break;
	case M_CTR:
		if (ctx->etm) {
			ctx->ctr_vt->ctr(&ctx->ctr_keys.vtable, ctx->ctr, p + 4, plen);
			mac_compute(ctx, seqnr, p, total, tag);
		} else {
			mac_compute(ctx, seqnr, p, total, tag);
			ctx->ctr_vt->ctr(&ctx->ctr_keys.vtable, ctx->ctr, p, total);
		}
		break;
	}
	return 0;
}

int cipher_decrypt_length(struct cipher_ctx *ctx, uint32_t seqnr, const uint8_t *first, uint8_t *first_plain,
			  uint32_t *packet_len)
{
	size_t fl = cipher_first_len(ctx);
	if (!ctx || ctx->mode == M_GCM || ctx->etm) {
		memmove(first_plain, first, fl);
	} else if (ctx->mode == M_CHACHA) {
		uint8_t nonce[8];
		chacha_nonce(nonce, seqnr);
		crypto_stream_chacha20_xor(first_plain, first, 4, nonce, ctx->k_len);
	} else {
		memcpy(ctx->first_plain, first, 16);
		ctx->ctr_vt->ctr(&ctx->ctr_keys.vtable, ctx->ctr, ctx->first_plain, 16);
		memcpy(first_plain, ctx->first_plain, 16);
		ctx->have_first = 1;
	}
	*packet_len = load_be32(first_plain);
	return length_ok(ctx, *packet_len) ? 0 : CIPHER_ERR_LENGTH;
}

int cipher_open(struct cipher_ctx *ctx, uint32_t seqnr, struct buf *pkt)
{
	size_t total = buf_avail(pkt), trailer = cipher_trailer_len(ctx);
	uint8_t *p = buf_wptr(pkt); /* decrypted in place */
	uint32_t plen;
	if (total < 4 + trailer || !p)
		return CIPHER_ERR_LENGTH;
	if (!ctx) {
		plen = load_be32(p);
		return (size_t)plen + 4 == total && length_ok(ctx, plen) ? 0 : CIPHER_ERR_LENGTH;
	}
	size_t body = total - trailer; /* 4 + packet_length */
	const uint8_t *tag = p + body;
	uint8_t mac[64];
	int ok;
	switch (ctx->mode) {
	case M_CHACHA: {
		uint8_t nonce[8], polykey[32], lenp[4];
		chacha_nonce(nonce, seqnr);
		crypto_stream_chacha20_xor(lenp, p, 4, nonce, ctx->k_len);
		plen = load_be32(lenp);
		if ((size_t)plen + 4 != body || !length_ok(ctx, plen))
			return CIPHER_ERR_LENGTH;
		crypto_stream_chacha20(polykey, sizeof(polykey), nonce, ctx->k_main);
		ok = crypto_onetimeauth_poly1305_verify(tag, p, body, polykey) == 0;
		secure_zero(polykey, sizeof(polykey));
		if (!ok)
			return CIPHER_ERR_MAC;
		memcpy(p, lenp, 4);
		crypto_stream_chacha20_xor_ic(p + 4, p + 4, plen, nonce, 1, ctx->k_main);
		break;
	}
	case M_GCM:
		plen = load_be32(p);
		if ((size_t)plen + 4 != body || !length_ok(ctx, plen))
			return CIPHER_ERR_LENGTH;
		br_gcm_reset(&ctx->gcm, ctx->gcm_iv, 12);
		br_gcm_aad_inject(&ctx->gcm, p, 4);
		br_gcm_flip(&ctx->gcm);
		br_gcm_run(&ctx->gcm, 0, p + 4, plen);
		gcm_iv_next(ctx);
		if (!br_gcm_check_tag(&ctx->gcm, tag)) {
			/* Decryption ran before the check: do not leave plaintext. */
			secure_zero(p + 4, plen);
			return CIPHER_ERR_MAC;
		}
		break;
	case M_CTR:
		if (ctx->etm) {
			plen = load_be32(p);
			if ((size_t)plen + 4 != body || !length_ok(ctx, plen))
				return CIPHER_ERR_LENGTH;
			mac_compute(ctx, seqnr, p, body, mac);
			ok = ct_memeq(mac, tag, trailer);
			secure_zero(mac, sizeof(mac));
			if (!ok)
				return CIPHER_ERR_MAC;
			ctx->ctr_vt->ctr(&ctx->ctr_keys.vtable, ctx->ctr, p + 4, plen);
		} else {
			if (!ctx->have_first || body < 16)
				return CIPHER_ERR_INTERNAL;
			ctx->have_first = 0;
			plen = load_be32(ctx->first_plain);
			if ((size_t)plen + 4 != body || !length_ok(ctx, plen))
				return CIPHER_ERR_LENGTH;
			memcpy(p, ctx->first_plain, 16);
			secure_zero(ctx->first_plain, 16);
			ctx->ctr_vt->ctr(&ctx->ctr_keys.vtable, ctx->ctr, p + 16, body - 16);
			mac_compute(ctx, seqnr, p, body, mac);
			ok = ct_memeq(mac, tag, trailer);
			secure_zero(mac, sizeof(mac));
			if (!ok) {
				secure_zero(p, body);
				return CIPHER_ERR_MAC;
			}
		}
		break;
	}
	if (buf_consume_end(pkt, trailer) != BUF_OK)
		return CIPHER_ERR_INTERNAL;
	return 0;
}
