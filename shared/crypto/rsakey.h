/* rsakey: RSA private keys for host keys, as ssh-keygen writes them:
 * OpenSSH's "-----BEGIN OPENSSH PRIVATE KEY-----" (openssh-key-v1,
 * unencrypted, one ssh-rsa key), PEM "-----BEGIN RSA PRIVATE KEY-----"
 * (PKCS#1, `ssh-keygen -t rsa -m PEM`) and "-----BEGIN PRIVATE KEY-----"
 * (PKCS#8, `-m PKCS8`). DER goes through BearSSL's key decoder; the CRT
 * exponents an OpenSSH file lacks (d mod p-1, d mod q-1) are reduced with
 * BearSSL's i31 big integers. Moduli of 2048 to 4096 bits (BearSSL's
 * limit), public exponents of at most 32 bits. Every loaded key signs a
 * test message that its public key must verify. Signing: RFC 8332
 * rsa-sha2-256 / rsa-sha2-512 (PKCS#1 v1.5); SHA-1 "ssh-rsa" is not
 * offered. */
#ifndef SSHBOX_RSAKEY_H
#define SSHBOX_RSAKEY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define RSAKEY_MIN_BITS 2048
#define RSAKEY_MAX_BITS 4096
#define RSAKEY_GEN_BITS 3072 /* ssh-keygen's default */
#define RSAKEY_MAX_TEXT 16384
#define RSAKEY_N_MAX (RSAKEY_MAX_BITS / 8)
#define RSAKEY_P_MAX (RSAKEY_MAX_BITS / 16 + 8) /* p and q may differ a little in size */

/* Big-endian magnitudes without leading zeros; wipe with rsakey_wipe. */
struct rsakey {
	uint32_t bits; /* of n */
	uint8_t n[RSAKEY_N_MAX], e[4], d[RSAKEY_N_MAX];
	uint8_t p[RSAKEY_P_MAX], q[RSAKEY_P_MAX], dp[RSAKEY_P_MAX], dq[RSAKEY_P_MAX], iq[RSAKEY_P_MAX];
	size_t n_len, e_len, d_len, p_len, q_len, dp_len, dq_len, iq_len;
	char comment[128]; /* OpenSSH format only, "" otherwise */
};

/* Parses the text of a private key file. 0, or -1 with a reason in why
 * (never key material); *k is wiped on failure. A PEM or PKCS#8 key has
 * no d (d_len 0): it can sign but not be written in OpenSSH format. */
int rsakey_parse(const char *text, size_t len, struct rsakey *k, char *why, size_t whylen);
/* A new key of `bits` bits, e = 65537 (BearSSL's key generator, seeded
 * from the system CSPRNG). */
int rsakey_generate(struct rsakey *k, unsigned bits);
void rsakey_wipe(struct rsakey *k);

/* Appends the public key blob fields (string "ssh-rsa", mpint e, mpint n). */
int rsakey_put_public(const struct rsakey *k, struct buf *out);
/* Appends the OpenSSH private fields (string "ssh-rsa", mpint n, e, d,
 * iqmp, p, q); -1 for a key without d. */
int rsakey_put_private(const struct rsakey *k, struct buf *out);
/* Appends an SSH signature over data (string "rsa-sha2-512" or
 * "rsa-sha2-256", string s with s as long as the modulus); the fields are
 * appended directly: wrap them in a string yourself. */
int rsakey_sign(const struct rsakey *k, int sha512, const uint8_t *data, size_t len, struct buf *out);

#endif
