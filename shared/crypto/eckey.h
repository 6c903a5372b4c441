/* eckey: ECDSA nistp256 private keys as ssh-keygen writes them, for host
 * keys: OpenSSH's "-----BEGIN OPENSSH PRIVATE KEY-----" (openssh-key-v1,
 * unencrypted, one key) and PEM ("-----BEGIN EC PRIVATE KEY-----", SEC1,
 * as `ssh-keygen -t ecdsa -m PEM` writes; "-----BEGIN PRIVATE KEY-----",
 * PKCS#8, as `-m PKCS8`). The DER goes through BearSSL's key decoder; the
 * public point is recomputed from the scalar and must match the file's.
 * Encrypted keys are refused. The input is capped at ECKEY_MAX_TEXT.
 * Not yet used by the daemon (host keys are ed25519 only so far).
 */
#ifndef SSHBOX_ECKEY_H
#define SSHBOX_ECKEY_H

#include <stddef.h>
#include <stdint.h>

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

#endif
