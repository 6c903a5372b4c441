/* crypto: thin wrappers over libsodium / BearSSL for randomness, hashes,
 * HMAC and X25519. No primitive is implemented here. */
#ifndef SSHBOX_CRYPTO_H
#define SSHBOX_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

int crypto_init(void);		       /* sodium_init; call once per process */
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
/* SHA-1 (BearSSL), only to look up keys that OpenSSH KRLs list by their
 * SHA-1 hash; never for signatures or MACs. */
void sha1_once(const void *p, size_t n, uint8_t out[20]);

/* X25519: keygen and shared secret (rejects an all-zero result). */
void x25519_keypair(uint8_t pub[32], uint8_t priv[32]);
int x25519_shared(uint8_t out[32], const uint8_t priv[32], const uint8_t peer_pub[32]);

/* sntrup761 KEM (Streamlined NTRU Prime). The implementation is OpenSSH's
 * sntrup761.c (public domain, from SUPERCOP), compiled from Debian's
 * openssh source package by build/deps.sh; nothing of it is written here.
 * Any byte string of the right length is a valid public key or
 * ciphertext: decapsulating a forged ciphertext yields an unrelated key
 * (implicit rejection), never an error. */
#define SNTRUP761_PUBLIC_BYTES 1158
#define SNTRUP761_SECRET_BYTES 1763
#define SNTRUP761_CIPHERTEXT_BYTES 1039
#define SNTRUP761_SHARED_BYTES 32
void sntrup761_keypair(uint8_t pk[SNTRUP761_PUBLIC_BYTES], uint8_t sk[SNTRUP761_SECRET_BYTES]);
void sntrup761_encap(uint8_t ct[SNTRUP761_CIPHERTEXT_BYTES], uint8_t key[SNTRUP761_SHARED_BYTES],
		     const uint8_t pk[SNTRUP761_PUBLIC_BYTES]);
void sntrup761_decap(uint8_t key[SNTRUP761_SHARED_BYTES], const uint8_t ct[SNTRUP761_CIPHERTEXT_BYTES],
		     const uint8_t sk[SNTRUP761_SECRET_BYTES]);

/* ML-KEM-768 (FIPS 203). The implementation is libcrux's formally verified
 * one (libcrux_mlkem768_sha3.h, MIT), taken from Debian trixie's openssh
 * source package by build/deps.sh and compiled through
 * build/mlkem768/mlkem768_libcrux.c; nothing of it is written here.
 * mlkem768_encap first checks the public key as FIPS 203 s7.2 requires
 * (its coefficients are reduced mod q) and returns -1 for one that is
 * not; a ciphertext is never rejected: decapsulating a forged one yields
 * an unrelated key (implicit rejection). */
#define MLKEM768_PUBLIC_BYTES 1184
#define MLKEM768_SECRET_BYTES 2400
#define MLKEM768_CIPHERTEXT_BYTES 1088
#define MLKEM768_SHARED_BYTES 32
void mlkem768_keypair(uint8_t pk[MLKEM768_PUBLIC_BYTES], uint8_t sk[MLKEM768_SECRET_BYTES]);
int mlkem768_encap(uint8_t ct[MLKEM768_CIPHERTEXT_BYTES], uint8_t key[MLKEM768_SHARED_BYTES],
		   const uint8_t pk[MLKEM768_PUBLIC_BYTES]);
void mlkem768_decap(uint8_t key[MLKEM768_SHARED_BYTES], const uint8_t ct[MLKEM768_CIPHERTEXT_BYTES],
		    const uint8_t sk[MLKEM768_SECRET_BYTES]);

#endif
