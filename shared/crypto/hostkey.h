/* hostkey: the daemon's host keys. One key of each type: ssh-ed25519,
 * ecdsa-sha2-nistp256, RSA (signing rsa-sha2-512 / rsa-sha2-256, RFC
 * 8332; SHA-1 "ssh-rsa" is not implemented), each with an optional OpenSSH
 * host certificate (HostCertificate). Files: OpenSSH private key format
 * for every type; PEM (SEC1 / PKCS#1) and PKCS#8 for ecdsa and RSA, as
 * ssh-keygen writes them (eckey.c, rsakey.c). The listener loads them; the
 * connection processes it forks inherit a copy for every key exchange.
 * Private key material is wiped by hostkey_wipe / hostkeys_wipe.
 */
#ifndef SSHBOX_HOSTKEY_H
#define SSHBOX_HOSTKEY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "eckey.h"
#include "keys.h"
#include "rsakey.h"

/* Every host key algorithm sshbox serves, in OpenSSH 10.0's default
 * HostKeyAlgorithms order (certificates first): the HostKeyAlgorithms
 * default. A server offers those it has a key (and certificate) for. */
#define HOSTKEY_ALGS                                                                                         \
	"ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,"                         \
	"rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-"        \
	"nistp256,"                                                                                          \
	"rsa-sha2-512,rsa-sha2-256"
#define HOSTKEY_CERT_MAX 8192
#define HOSTKEYS_MAX 3 /* one per type */

struct hostkey {
	enum key_type type; /* KEY_ED25519, KEY_ECDSA_P256 or KEY_RSA */
	uint8_t pub[32];    /* ed25519 */
	uint8_t sk[64];	    /* ed25519: libsodium secret key (seed||pub) */
	struct eckey_p256 ec;
	struct rsakey rsa;
	char comment[128];
	size_t cert_len; /* HostCertificate blob, 0 = none */
	uint8_t cert[HOSTKEY_CERT_MAX];
};

/* A new ed25519 key; hostkey_generate_type: ed25519, ecdsa nistp256 or RSA
 * (RSAKEY_GEN_BITS bits). */
int hostkey_generate(struct hostkey *hk, const char *comment);
int hostkey_generate_type(struct hostkey *hk, enum key_type type, const char *comment);
/* Reads a private key file of any supported type and format, unencrypted
 * only, refusing (as OpenSSH) a file of ours that group/others can access.
 * On failure logs exactly one line "Unable to load host key PATH: reason"
 * and returns -1 (*hk wiped). */
int hostkey_load(const char *path, struct hostkey *hk);
/* Writes path in OpenSSH format (mode 0600) and path.pub, each atomically
 * (temporary file + rename), so `ssh-keygen -l -f` reads them. */
int hostkey_save(const char *path, const struct hostkey *hk);
/* The type a key created at path gets: "ecdsa" in the file name gives
 * ecdsa nistp256, "rsa" RSA, anything else ed25519. */
enum key_type hostkey_type_for_path(const char *path);
/* Loads path, or creates it (type from hostkey_type_for_path) and its .pub
 * if it does not exist; missing parent directories are created mode 0700.
 * Comment "sshbox@<hostname>". Failures are logged (one line). */
int hostkey_load_or_create(const char *path, struct hostkey *hk, int *created);
/* Public key blob (appended to out, not wrapped in a string). */
int hostkey_pub_blob(const struct hostkey *hk, struct buf *out);
/* Appends a signature blob (string alg, string sig) with the key's default
 * algorithm (ssh-ed25519, ecdsa-sha2-nistp256, rsa-sha2-512); the fields
 * are appended directly: wrap them in a string yourself. */
int hostkey_sign(const struct hostkey *hk, const uint8_t *data, size_t len, struct buf *out);
void hostkey_wipe(struct hostkey *hk);

/* The set a server presents; algs is what its KEXINIT offers. */
struct hostkeys {
	size_t n;
	struct hostkey k[HOSTKEYS_MAX];
	char algs[512];
};

/* Copies hk into the set. -1 when the set already has a key of that type
 * (OpenSSH uses the first one too) or hk has no usable type. */
int hostkeys_add(struct hostkeys *s, const struct hostkey *hk);
/* The set's key of that type, or NULL. */
struct hostkey *hostkeys_find(struct hostkeys *s, enum key_type type);
/* Computes algs: the names of `wanted` (a resolved HostKeyAlgorithms list;
 * NULL = HOSTKEY_ALGS), in that order, that a key in the set can serve
 * (certificate algorithms only for keys with a certificate). Returns how
 * many; 0 means the server could offer nothing. */
int hostkeys_select(struct hostkeys *s, const char *wanted);
const char *hostkeys_algs(const struct hostkeys *s);
/* The blob the server presents for a negotiated algorithm (the
 * certificate for a -cert- algorithm) and the signature (string sigalg,
 * string sig) it makes with that key over data. 0, or -1 when the set has
 * no key for alg. */
int hostkeys_blob_for(const struct hostkeys *s, const char *alg, struct buf *out);
int hostkeys_sign(const struct hostkeys *s, const char *alg, const uint8_t *data, size_t len,
		  struct buf *out);
void hostkeys_wipe(struct hostkeys *s);

#endif
