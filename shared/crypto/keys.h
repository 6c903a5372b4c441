/* keys: SSH public-key algorithms (RFC 4253 s6.6, RFC 8709, RFC 8332,
 * RFC 5656, OpenSSH PROTOCOL.u2f); host keys are in hostkey.h.
 * Verification uses libsodium (ed25519) and BearSSL (RSA, ECDSA). */
#ifndef SSHBOX_KEYS_H
#define SSHBOX_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Advertised in ext-info server-sig-algs. */
#define SERVER_SIG_ALGS                                                                                      \
	"ssh-ed25519,sk-ssh-ed25519@openssh.com,rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,"              \
	"ecdsa-sha2-nistp384,ecdsa-sha2-nistp521"

/* PubkeyAcceptedAlgorithms: what the server accepts in userauth, in
 * OpenSSH's default order (certificates first). server-sig-algs lists
 * only the plain algorithms, as OpenSSH's does. */
#define CERT_PUBKEY_ALGS                                                                                     \
	"ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,"                         \
	"ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,"                 \
	"sk-ssh-ed25519-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,"                             \
	"rsa-sha2-256-cert-v01@openssh.com"
#define PUBKEY_ALGS CERT_PUBKEY_ALGS "," SERVER_SIG_ALGS

enum key_type {
	KEY_UNKNOWN = 0,
	KEY_ED25519,
	KEY_SK_ED25519,
	KEY_RSA,
	KEY_ECDSA_P256,
	KEY_ECDSA_P384,
	KEY_ECDSA_P521,
};

/* A parsed public key. Holds copies of its parts. */
struct pubkey {
	enum key_type type;
	uint8_t ed25519[32];
	uint8_t *rsa_n, *rsa_e; /* big-endian magnitudes */
	size_t rsa_n_len, rsa_e_len;
	uint8_t *ec_point; /* uncompressed point 04||X||Y */
	size_t ec_point_len;
	char *sk_application; /* sk keys: e.g. "ssh:" */
};

/* Key type name as in blobs / authorized_keys ("ssh-rsa", "ecdsa-sha2-nistp256", ...). */
const char *key_type_name(enum key_type t);
enum key_type key_type_from_name(const char *name, size_t len);

/* Parses a public key blob (string "ssh-ed25519" + fields). Rejects
 * trailing bytes, RSA moduli below 2048 bits or above 4096 (BearSSL's
 * limit), even moduli/exponents, EC points not on the curve. */
int pubkey_parse(const uint8_t *blob, size_t len, struct pubkey *out);
/* The same checks for the key fields alone (after the type name, as they
 * also appear inside certificates), consumed from b; the caller checks
 * what follows. */
int pubkey_parse_fields(enum key_type t, struct buf *b, struct pubkey *out);
void pubkey_free(struct pubkey *k);
/* Encodes it back to a blob (appended to out, not wrapped in a string). */
int pubkey_to_blob(const struct pubkey *k, struct buf *out);
/* 1 if both are the same key (same type and key material). */
int pubkey_equal(const struct pubkey *a, const struct pubkey *b);
/* "SHA256:base64-without-padding" of the blob; out must hold 64 bytes. */
void pubkey_fingerprint(const uint8_t *blob, size_t len, char out[64]);
/* 1 if the signature algorithm name goes with this key type
 * (rsa-sha2-256/512 for KEY_RSA; "ssh-rsa" (SHA-1) is refused). */
int pubkey_sig_alg_ok(const struct pubkey *k, const char *sig_alg);

/* The algorithm name at the start of a signature blob (string alg, ...)
 * copied into out (cap bytes, NUL-terminated). 0, or -1 if malformed. */
int pubkey_sig_alg_name(const uint8_t *sig, size_t siglen, char *out, size_t cap);

/* pubkey_verify flags (PROTOCOL.u2f flags byte: 0x01 presence, 0x04 verified). */
#define PUBKEY_VERIFY_NO_TOUCH 1 /* sk keys: user presence not required */
#define PUBKEY_VERIFY_NEED_UV 2	 /* sk keys: user verification (PIN) required */
#define SK_FLAG_USER_PRESENCE 0x01
#define SK_FLAG_USER_VERIFIED 0x04

/* Verifies an SSH signature blob (string alg, string sig[, sk fields])
 * over data. For sk-ssh-ed25519 enforces the user-presence flag unless
 * flags has PUBKEY_VERIFY_NO_TOUCH, and the user-verified flag when it
 * has PUBKEY_VERIFY_NEED_UV. Returns 0 when valid, negative otherwise. */
int pubkey_verify(const struct pubkey *k, const uint8_t *sig, size_t siglen, const uint8_t *data,
		  size_t datalen, int flags);

#endif
