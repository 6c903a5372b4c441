/* cert: OpenSSH certificates (PROTOCOL.certkeys): parsing, the CA
 * signature, and the checks every certificate use shares (type, validity
 * interval, principals, critical options). Policy (which CAs are trusted,
 * which principals a user accepts) is the caller's.
 *
 * A certificate blob comes from the network (userauth) or a file; it is
 * parsed only through struct buf with every count and length capped.
 */
#ifndef SSHBOX_CERT_H
#define SSHBOX_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"

#define CERT_TYPE_USER 1
#define CERT_TYPE_HOST 2

#define CERT_MAX_PRINCIPALS 256 /* as OpenSSH's SSHKEY_CERT_MAX_PRINCIPALS */
#define CERT_MAX_PRINCIPAL_LEN 1024
#define CERT_MAX_ID_LEN 1024
#define CERT_MAX_OPTIONS 64 /* critical options and extensions, each */
#define CERT_MAX_OPTION_NAME 256
#define CERT_MAX_OPTION_DATA 4096
#define CERT_MAX_BLOB 16384

/* Extensions we understand (bit set = present in the certificate). */
enum cert_ext {
	CERT_EXT_X11_FORWARDING = 1 << 0,
	CERT_EXT_AGENT_FORWARDING = 1 << 1,
	CERT_EXT_PORT_FORWARDING = 1 << 2,
	CERT_EXT_PTY = 1 << 3,
	CERT_EXT_USER_RC = 1 << 4,
	CERT_EXT_NO_TOUCH_REQUIRED = 1 << 5,
};

/* A parsed certificate whose CA signature has been verified. All heap. */
struct cert {
	struct pubkey key; /* the certified key */
	uint64_t serial;
	uint32_t type; /* CERT_TYPE_USER / CERT_TYPE_HOST */
	char *key_id;
	char **principals;
	size_t n_principals;
	uint64_t valid_after, valid_before; /* valid when after <= now < before */
	/* critical options */
	char *force_command;
	char *source_address; /* comma-separated CIDR list */
	int verify_required;
	char *unknown_critical; /* first critical option we do not know: refuse */
	unsigned extensions;	/* enum cert_ext bits */
	/* the CA */
	struct pubkey ca;
	uint8_t *ca_blob; /* the signature key blob as in the certificate */
	size_t ca_blob_len;
	char *sig_alg; /* algorithm of the CA's signature ("rsa-sha2-512", ...) */
};

/* The plain key type certified by a certificate of this blob type name
 * ("ssh-ed25519-cert-v01@openssh.com" -> KEY_ED25519); KEY_UNKNOWN if the
 * name is not a certificate type we support (ssh-dss, sk-ecdsa). */
enum key_type cert_key_type_from_name(const char *name, size_t len);
/* 1 if the algorithm name names a certificate ("...-cert-v01@openssh.com"). */
int cert_is_cert_alg(const char *alg);

/* Parses a certificate blob (string type, string nonce, key fields,
 * serial, type, key id, principals, validity, critical options,
 * extensions, reserved, signature key, signature) and verifies the CA's
 * signature over everything before the signature. The CA key must be a
 * plain key; ssh-rsa (SHA-1) CA signatures are refused as by OpenSSH's
 * default CASignatureAlgorithms. Returns 0, or -1 with a reason in why.
 * *out is always initialised; free with cert_free. */
int cert_parse(const uint8_t *blob, size_t len, struct cert *out, char *why, size_t whylen);
void cert_free(struct cert *c);

/* 1 if a userauth/host key algorithm name fits this certificate
 * (rsa-sha2-256-cert-v01@openssh.com and rsa-sha2-512-... for RSA, the
 * blob type name otherwise; never ssh-rsa-cert-v01). On success plain
 * gets the signature algorithm the key's signature must use. */
int cert_alg_ok(const struct cert *c, const char *alg, char *plain, size_t cap);

/* Common checks as OpenSSH's sshkey_cert_check_authority: the type
 * (want_type), valid_after <= now < valid_before (OpenSSH allows no clock
 * skew here), a non-empty principal list, and, when name != NULL, that
 * name is one of the principals (exact match). Returns 0, or -1 with a
 * reason (OpenSSH's wording) in *why. */
int cert_check_authority(const struct cert *c, uint32_t want_type, uint64_t now, const char *name,
			 const char **why);

/* 1 if principal is listed in the certificate. */
int cert_has_principal(const struct cert *c, const char *principal);

/* OpenSSH's sshkey_type() labels: "ED25519", "ED25519-SK", "RSA",
 * "ECDSA", and with -CERT appended when cert != 0. */
const char *key_label(enum key_type t, int cert);

/* "SHA256:..." of the certified key (as OpenSSH, the plain key) and of
 * the CA key. */
void cert_key_fingerprint(const struct cert *c, char out[64]);
void cert_ca_fingerprint(const struct cert *c, char out[64]);

/* HostCertificate: reads an OpenSSH certificate file ("type base64
 * [comment]", as ssh-keygen -s -h writes it) that must be a host
 * certificate, signed by its CA, for one of the keys in s (the one of its
 * type), which has no certificate yet; stores the blob with that key.
 * 0, or -1 with why. */
struct hostkeys;
int hostkeys_load_certificate(struct hostkeys *s, const char *path, char *why, size_t whylen);

#endif
