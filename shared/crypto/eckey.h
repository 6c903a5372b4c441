/* eckey: ECDSA nistp256 private keys as ssh-keygen writes them, for host
 * keys: OpenSSH's "-----BEGIN OPENSSH PRIVATE KEY-----" (openssh-key-v1,
 * unencrypted, one key) and PEM ("-----BEGIN EC PRIVATE KEY-----", SEC1,
 * as `ssh-keygen -t ecdsa -m PEM` writes; "-----BEGIN PRIVATE KEY-----",
 * PKCS#8, as `-m PKCS8`). The DER goes through BearSSL's key decoder; the
 * public point is recomputed from the scalar and must match the file's.
 * Encrypted keys are refused. The input is capped at ECKEY_MAX_TEXT.
 * Used for ecdsa-sha2-nistp256 host keys (hostkey.c).
 */
#ifndef SSHBOX_ECKEY_H
#define SSHBOX_ECKEY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define ECKEY_MAX_TEXT 16384
#define ECKEY_P256_SCALAR 32
#define ECKEY_P256_POINT 65 /* 04 || X || Y */

struct eckey_p256 {
	uint8_t d[ECKEY_P256_SCALAR]; /* secret scalar, big-endian: wipe with eckey_p256_wipe */
	uint8_t q[ECKEY_P256_POINT];  /* public point, uncompressed */
	char comment[128];	      /* OpenSSH format only, "" otherwise */
};

/* Parses the text of a private key file. 0, or -1 with a reason in why
 * (never key material). *k is wiped on failure. */
int eckey_p256_parse(const char *text, size_t len, struct eckey_p256 *k, char *why, size_t whylen);
void eckey_p256_wipe(struct eckey_p256 *k);
/* A new random key (BearSSL's key generator, seeded from the system CSPRNG). */
int eckey_p256_generate(struct eckey_p256 *k);
/* Appends the public key fields (string "ecdsa-sha2-nistp256", string
 * "nistp256", string Q): the public key blob. */
int eckey_p256_put_public(const struct eckey_p256 *k, struct buf *out);
/* Appends the same fields and mpint d, as in an OpenSSH private key. */
int eckey_p256_put_private(const struct eckey_p256 *k, struct buf *out);
/* Appends an SSH signature over data (RFC 5656 s3.1.2: string
 * "ecdsa-sha2-nistp256", string (mpint r, mpint s)), SHA-256 and a
 * deterministic nonce (RFC 6979, BearSSL); the fields are appended
 * directly: wrap them in a string yourself. */
int eckey_p256_sign(const struct eckey_p256 *k, const uint8_t *data, size_t len, struct buf *out);

#endif
