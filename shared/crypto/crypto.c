/* crypto: randomness, hashes, X25519 and the sntrup761 and ML-KEM-768 KEMs
 * over libsodium, BearSSL, OpenSSH's sntrup761.c and libcrux.
 * No primitive is implemented here. See crypto.h. */
#include "crypto.h"

#include <bearssl.h>
#include <sodium.h>
#include <string.h>

#include "util.h"

_Static_assert(sizeof(crypto_hash_sha256_state) <= 512, "hash_ctx too small for sha256");
_Static_assert(sizeof(crypto_hash_sha512_state) <= 512, "hash_ctx too small for sha512");
_Static_assert(sizeof(br_sha384_context) <= 512, "hash_ctx too small for sha384");

int crypto_init(void)
{
	/* 0: initialised now, 1: already initialised, -1: failure. */
	return sodium_init() < 0 ? -1 : 0;
}

void crypto_random(void *p, size_t n)
{
	if (n)
		randombytes_buf(p, n);
}

size_t hash_len(enum hash_alg alg)
{
	switch (alg) {
	case HASH_SHA256:
		return 32;
	case HASH_SHA384:
		return 48;
	case HASH_SHA512:
		return 64;
	}
	return 0;
}

void hash_init(struct hash_ctx *h, enum hash_alg alg)
{
	h->alg = alg;
	switch (alg) {
	case HASH_SHA256:
		crypto_hash_sha256_init((crypto_hash_sha256_state *)(void *)h->u.state);
		break;
	case HASH_SHA384:
		br_sha384_init((br_sha384_context *)(void *)h->u.state);
		break;
	case HASH_SHA512:
		crypto_hash_sha512_init((crypto_hash_sha512_state *)(void *)h->u.state);
		break;
	}
}

void hash_update(struct hash_ctx *h, const void *p, size_t n)
{
	if (n == 0)
		return;
	switch (h->alg) {
	case HASH_SHA256:
		crypto_hash_sha256_update((crypto_hash_sha256_state *)(void *)h->u.state, p, n);
		break;
	case HASH_SHA384:
		br_sha384_update((br_sha384_context *)(void *)h->u.state, p, n);
		break;
	case HASH_SHA512:
		crypto_hash_sha512_update((crypto_hash_sha512_state *)(void *)h->u.state, p, n);
		break;
	}
}

void hash_final(struct hash_ctx *h, uint8_t *out)
{
	switch (h->alg) {
	case HASH_SHA256:
		crypto_hash_sha256_final((crypto_hash_sha256_state *)(void *)h->u.state, out);
		break;
	case HASH_SHA384:
		br_sha384_out((br_sha384_context *)(void *)h->u.state, out);
		break;
	case HASH_SHA512:
		crypto_hash_sha512_final((crypto_hash_sha512_state *)(void *)h->u.state, out);
		break;
	}
	secure_zero(h->u.state, sizeof(h->u.state));
}

void hash_once(enum hash_alg alg, const void *p, size_t n, uint8_t *out)
{
	struct hash_ctx h;
	hash_init(&h, alg);
	hash_update(&h, p, n);
	hash_final(&h, out);
}

void sha1_once(const void *p, size_t n, uint8_t out[20])
{
	br_sha1_context c;
	br_sha1_init(&c);
	br_sha1_update(&c, p, n);
	br_sha1_out(&c, out);
}

void x25519_keypair(uint8_t pub[32], uint8_t priv[32])
{
	crypto_random(priv, 32);
	crypto_scalarmult_base(pub, priv);
}

int x25519_shared(uint8_t out[32], const uint8_t priv[32], const uint8_t peer_pub[32])
{
	/* libsodium already fails on an all-zero result (small-order peer
	 * point); check again explicitly so the contract does not depend on it. */
	static const uint8_t zero[32];
	if (crypto_scalarmult(out, priv, peer_pub) != 0 || ct_memeq(out, zero, 32)) {
		secure_zero(out, 32);
		return -1;
	}
	return 0;
}

/* Entry points of sntrup761.c (SUPERCOP's crypto_kem API; each returns 0). */
int crypto_kem_sntrup761_keypair(unsigned char *pk, unsigned char *sk);
int crypto_kem_sntrup761_enc(unsigned char *cstr, unsigned char *k, const unsigned char *pk);
int crypto_kem_sntrup761_dec(unsigned char *k, const unsigned char *cstr, const unsigned char *sk);

void sntrup761_keypair(uint8_t pk[SNTRUP761_PUBLIC_BYTES], uint8_t sk[SNTRUP761_SECRET_BYTES])
{
	(void)crypto_kem_sntrup761_keypair(pk, sk);
}

void sntrup761_encap(uint8_t ct[SNTRUP761_CIPHERTEXT_BYTES], uint8_t key[SNTRUP761_SHARED_BYTES],
		     const uint8_t pk[SNTRUP761_PUBLIC_BYTES])
{
	(void)crypto_kem_sntrup761_enc(ct, key, pk);
}

void sntrup761_decap(uint8_t key[SNTRUP761_SHARED_BYTES], const uint8_t ct[SNTRUP761_CIPHERTEXT_BYTES],
		     const uint8_t sk[SNTRUP761_SECRET_BYTES])
{
	(void)crypto_kem_sntrup761_dec(key, ct, sk);
}

/* Entry points of build/mlkem768/mlkem768_libcrux.c: libcrux's
 * deterministic functions, which take their randomness as an argument. */
void sshbox_libcrux_mlkem768_keypair(const uint8_t rnd[64], uint8_t *pk, uint8_t *sk);
int sshbox_libcrux_mlkem768_encap(const uint8_t rnd[32], const uint8_t *pk, uint8_t *ct, uint8_t *ss);
void sshbox_libcrux_mlkem768_decap(const uint8_t *sk, const uint8_t *ct, uint8_t *ss);

void mlkem768_keypair(uint8_t pk[MLKEM768_PUBLIC_BYTES], uint8_t sk[MLKEM768_SECRET_BYTES])
{
	uint8_t rnd[64];
	crypto_random(rnd, sizeof(rnd));
	sshbox_libcrux_mlkem768_keypair(rnd, pk, sk);
	secure_zero(rnd, sizeof(rnd));
}

int mlkem768_encap(uint8_t ct[MLKEM768_CIPHERTEXT_BYTES], uint8_t key[MLKEM768_SHARED_BYTES],
		   const uint8_t pk[MLKEM768_PUBLIC_BYTES])
{
	uint8_t rnd[32];
	crypto_random(rnd, sizeof(rnd));
	int r = sshbox_libcrux_mlkem768_encap(rnd, pk, ct, key);
	secure_zero(rnd, sizeof(rnd));
	return r == 0 ? 0 : -1;
}

void mlkem768_decap(uint8_t key[MLKEM768_SHARED_BYTES], const uint8_t ct[MLKEM768_CIPHERTEXT_BYTES],
		    const uint8_t sk[MLKEM768_SECRET_BYTES])
{
	sshbox_libcrux_mlkem768_decap(sk, ct, key);
}
