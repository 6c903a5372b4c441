/* crypto: thin wrappers over libsodium / BearSSL for randomness, hashes,
 * HMAC and X25519. No primitive is implemented here. */
#ifndef SSHBOX_CRYPTO_H
#define SSHBOX_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

int crypto_init(void);                 /* sodium_init; call once per process */
void crypto_random(void *p, size_t n); /* CSPRNG */

enum hash_alg { HASH_SHA256, HASH_SHA384, HASH_SHA512 };
size_t hash_len(enum hash_alg alg);
/* Incremental hash; the ctx is large enough for any of the three. */
struct hash_ctx {
	enum hash_alg alg;
	union {
		uint64_t align;
		unsigned char state[512];
	} u;
};
void hash_init(struct hash_ctx *h, enum hash_alg alg);
void hash_update(struct hash_ctx *h, const void *p, size_t n);
void hash_final(struct hash_ctx *h, uint8_t *out); /* wipes the state */
void hash_once(enum hash_alg alg, const void *p, size_t n, uint8_t *out);

/* X25519: keygen and shared secret (rejects an all-zero result). */
void x25519_keypair(uint8_t pub[32], uint8_t priv[32]);
int x25519_shared(uint8_t out[32], const uint8_t priv[32], const uint8_t peer_pub[32]);

#endif
