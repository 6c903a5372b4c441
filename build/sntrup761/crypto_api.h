/* Shim for OpenSSH's sntrup761.c: the fixed-width types it names and its
 * two outside needs, SHA-512 and randomness, mapped onto libsodium (whose
 * crypto_hash_sha512 already has the signature the KEM calls). The KEM's
 * own entry points are declared in shared/crypto.h. */
#ifndef SSHBOX_SNTRUP761_CRYPTO_API_H
#define SSHBOX_SNTRUP761_CRYPTO_API_H

#include <stddef.h>
#include <stdint.h>

typedef int8_t crypto_int8;
typedef uint8_t crypto_uint8;
typedef int16_t crypto_int16;
typedef uint16_t crypto_uint16;
typedef int32_t crypto_int32;
typedef uint32_t crypto_uint32;
typedef int64_t crypto_int64;
typedef uint64_t crypto_uint64;

/* libsodium */
int crypto_hash_sha512(unsigned char *out, const unsigned char *in, unsigned long long inlen);
void randombytes_buf(void *const buf, const size_t size);
uint32_t randombytes_random(void);

#define randombytes(buf, len) randombytes_buf((buf), (len))
#define small_random32() randombytes_random()

#define crypto_kem_sntrup761_PUBLICKEYBYTES 1158
#define crypto_kem_sntrup761_SECRETKEYBYTES 1763
#define crypto_kem_sntrup761_CIPHERTEXTBYTES 1039
#define crypto_kem_sntrup761_BYTES 32

int crypto_kem_sntrup761_enc(unsigned char *cstr, unsigned char *k, const unsigned char *pk);
int crypto_kem_sntrup761_dec(unsigned char *k, const unsigned char *cstr, const unsigned char *sk);
int crypto_kem_sntrup761_keypair(unsigned char *pk, unsigned char *sk);

#endif
