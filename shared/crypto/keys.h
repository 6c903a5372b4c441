/* keys: SSH public-key algorithms (RFC 4253 s6.6, RFC 8709, RFC 8332,
 * RFC 5656, OpenSSH PROTOCOL.u2f) and the ed25519 host key.
 * Verification uses libsodium (ed25519) and BearSSL (RSA, ECDSA). */
#ifndef SSHBOX_KEYS_H
#define SSHBOX_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define HOSTKEY_ALGS "ssh-ed25519"
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

/* The ed25519 host key, and its OpenSSH host certificate if configured
 * (HostCertificate; cert_len 0 = none). */
#define HOSTKEY_CERT_MAX 8192
struct hostkey {
	uint8_t pub[32];
	uint8_t sk[64]; /* libsodium secret key (seed||pub) */
	char comment[128];
	size_t cert_len;
	uint8_t cert[HOSTKEY_CERT_MAX];
};
#define HOSTKEY_CERT_ALG "ssh-ed25519-cert-v01@openssh.com"
/* The host key algorithms this host key can serve, in OpenSSH's order
 * (the certificate first): "ssh-ed25519-cert-v01@openssh.com,ssh-ed25519"
 * or "ssh-ed25519". */
const char *hostkey_algs(const struct hostkey *hk);
int hostkey_generate(struct hostkey *hk, const char *comment);
/* Reads/writes OpenSSH "-----BEGIN OPENSSH PRIVATE KEY-----" (unencrypted)
 * so `ssh-keygen -l -f` reads it; save also writes path.pub, mode 0600,
 * atomically (temp file + rename). Load refuses encrypted keys, non-ed25519
 * keys, and (as OpenSSH) a file of ours that group/others can access. */
int hostkey_load(const char *path, struct hostkey *hk);
int hostkey_save(const char *path, const struct hostkey *hk);
/* Loads path, or creates it (and the .pub) if it does not exist; missing
 * parent directories are created mode 0700. Comment "sshbox@<hostname>". */
int hostkey_load_or_create(const char *path, struct hostkey *hk, int *created);
/* Public key blob of the host key (appended to out, not wrapped in a string). */
int hostkey_pub_blob(const struct hostkey *hk, struct buf *out);
/* The blob the server presents for a negotiated host key algorithm: the
 * certificate for HOSTKEY_CERT_ALG, the plain key otherwise. */
int hostkey_blob_for(const struct hostkey *hk, const char *alg, struct buf *out);
/* Appends an SSH signature blob (string "ssh-ed25519", string sig) over data;
 * the blob's fields are appended directly: wrap it in a string yourself. */
int hostkey_sign(const struct hostkey *hk, const uint8_t *data, size_t len, struct buf *out);
void hostkey_wipe(struct hostkey *hk);

#endif
