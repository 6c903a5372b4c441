/* hostkey: the daemon's host keys (ed25519, ecdsa nistp256, RSA), their
 * files, certificates and signatures. See hostkey.h. */
#include "hostkey.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "keyfile.h"
#include "log.h"
#include "util.h"

#define ED_NAME "ssh-ed25519"

/* Host key algorithm -> key type, certificate or plain, signature name. */
static const struct hk_alg {
	const char *name;
	enum key_type type;
	int cert;
	const char *sig;
} hk_algs[] = {
    {"ssh-ed25519-cert-v01@openssh.com", KEY_ED25519, 1, "ssh-ed25519"},
    {"ecdsa-sha2-nistp256-cert-v01@openssh.com", KEY_ECDSA_P256, 1, "ecdsa-sha2-nistp256"},
    {"rsa-sha2-512-cert-v01@openssh.com", KEY_RSA, 1, "rsa-sha2-512"},
    {"rsa-sha2-256-cert-v01@openssh.com", KEY_RSA, 1, "rsa-sha2-256"},
    {"ssh-ed25519", KEY_ED25519, 0, "ssh-ed25519"},
    {"ecdsa-sha2-nistp256", KEY_ECDSA_P256, 0, "ecdsa-sha2-nistp256"},
    {"rsa-sha2-512", KEY_RSA, 0, "rsa-sha2-512"},
    {"rsa-sha2-256", KEY_RSA, 0, "rsa-sha2-256"},
};

static const struct hk_alg *alg_by_name(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(hk_algs) / sizeof(hk_algs[0]); i++)
		if (strlen(hk_algs[i].name) == len && memcmp(hk_algs[i].name, name, len) == 0)
			return &hk_algs[i];
	return NULL;
}

static void set_comment(struct hostkey *hk, const char *comment)
{
	memset(hk->comment, 0, sizeof(hk->comment));
	if (comment)
		memcpy(hk->comment, comment, strnlen(comment, sizeof(hk->comment) - 1));
}

void hostkey_wipe(struct hostkey *hk)
{
	secure_zero(hk, sizeof(*hk));
}

int hostkey_generate_type(struct hostkey *hk, enum key_type type, const char *comment)
{
	int r = -1;
	memset(hk, 0, sizeof(*hk));
	hk->type = type;
	if (type == KEY_ED25519)
		r = crypto_sign_ed25519_keypair(hk->pub, hk->sk) == 0 ? 0 : -1;
	else if (type == KEY_ECDSA_P256)
		r = eckey_p256_generate(&hk->ec);
	else if (type == KEY_RSA)
		r = rsakey_generate(&hk->rsa, RSAKEY_GEN_BITS);
	if (r) {
		hostkey_wipe(hk);
		return -1;
	}
	set_comment(hk, comment);
	return 0;
}

int hostkey_generate(struct hostkey *hk, const char *comment)
{
	return hostkey_generate_type(hk, KEY_ED25519, comment);
}

int hostkey_pub_blob(const struct hostkey *hk, struct buf *out)
{
	int r;
	switch (hk->type) {
	case KEY_ED25519:
		r = buf_put_cstring(out, ED_NAME);
		return r ? r : buf_put_string(out, hk->pub, 32);
	case KEY_ECDSA_P256:
		return eckey_p256_put_public(&hk->ec, out);
	case KEY_RSA:
		return rsakey_put_public(&hk->rsa, out);
	default:
		return -1;
	}
}

/* A signature with the named signature algorithm, which must suit the key. */
static int sign_with(const struct hostkey *hk, const char *sigalg, const uint8_t *data, size_t len,
		     struct buf *out)
{
	uint8_t sig[64];
	int r = -1;
	if (hk->type == KEY_ED25519 && strcmp(sigalg, ED_NAME) == 0) {
		if (crypto_sign_ed25519_detached(sig, NULL, data, len, hk->sk) != 0)
			return -1;
		r = buf_put_cstring(out, ED_NAME);
		r = r ? r : buf_put_string(out, sig, sizeof(sig));
	} else if (hk->type == KEY_ECDSA_P256 && strcmp(sigalg, "ecdsa-sha2-nistp256") == 0) {
		r = eckey_p256_sign(&hk->ec, data, len, out);
	} else if (hk->type == KEY_RSA && strncmp(sigalg, "rsa-sha2-", 9) == 0) {
		r = rsakey_sign(&hk->rsa, strcmp(sigalg, "rsa-sha2-512") == 0, data, len, out);
	}
	return r ? -1 : 0;
}

int hostkey_sign(const struct hostkey *hk, const uint8_t *data, size_t len, struct buf *out)
{
	const char *def = hk->type == KEY_RSA ? "rsa-sha2-512" : key_type_name(hk->type);
	return sign_with(hk, def, data, len, out);
}

/* ---- files ---- */

/* The key type named in an OpenSSH private key's public blob. */
static enum key_type openssh_file_type(const uint8_t *bin, size_t len)
{
	struct buf pub, priv, b;
	const char *why;
	const uint8_t *name;
	size_t n;
	if (keyfile_openssh_open(bin, len, &pub, &priv, &why))
		return KEY_UNKNOWN;
	buf_view(&b, buf_rptr(&pub), buf_avail(&pub));
	if (buf_get_string_view(&b, &name, &n, 64))
		return KEY_UNKNOWN;
	return key_type_from_name((const char *)name, n);
}

/* The ed25519 private fields: name, string pub, string seed||pub. */
static int parse_ed25519(const uint8_t *bin, size_t len, struct hostkey *hk, const char **why)
{
	struct buf pub, priv;
	char name[16];
	const uint8_t *p;
	size_t n;
	uint8_t outer[32];
	if (keyfile_openssh_open(bin, len, &pub, &priv, why))
		return -1;
	*why = "malformed OpenSSH private key";
	if (buf_get_cstring_into(&pub, name, sizeof(name)) || strcmp(name, ED_NAME) != 0 ||
	    buf_get_string_view(&pub, &p, &n, 32) || n != 32 || buf_avail(&pub))
		return -1;
	memcpy(outer, p, 32);
	if (buf_get_cstring_into(&priv, name, sizeof(name)) || strcmp(name, ED_NAME) != 0 ||
	    buf_get_string_view(&priv, &p, &n, 32) || n != 32 || memcmp(p, outer, 32) != 0)
		return -1;
	memcpy(hk->pub, p, 32);
	if (buf_get_string_view(&priv, &p, &n, 64) || n != 64 || memcmp(p + 32, hk->pub, 32) != 0)
		return -1;
	memcpy(hk->sk, p, 64);
	if (keyfile_openssh_close(&priv, hk->comment, sizeof(hk->comment)))
		return -1;
	/* The seed must derive the stored public key. */
	uint8_t pub2[32], sk2[64];
	crypto_sign_ed25519_seed_keypair(pub2, sk2, hk->sk);
	int ok = memcmp(pub2, hk->pub, 32) == 0;
	secure_zero(sk2, sizeof(sk2));
	if (!ok)
		*why = "ed25519 seed does not give the stored public key";
	return ok ? 0 : -1;
}

/* Picks the parser by the file's armour (and, for OpenSSH files, by the
 * key type inside). */
static int parse_text(const char *text, size_t len, struct hostkey *hk, char *why, size_t whylen)
{
	uint8_t *bin = malloc(KEYFILE_MAX);
	size_t binlen = 0;
	const char *reason = "unsupported key type";
	int r = -1;
	if (!bin) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (keyfile_pem_body(text, len, KEYFILE_OPENSSH_BEGIN, KEYFILE_OPENSSH_END, bin, KEYFILE_MAX,
			     &binlen) == 0) {
		hk->type = openssh_file_type(bin, binlen);
		if (hk->type == KEY_ED25519) {
			r = parse_ed25519(bin, binlen, hk, &reason);
			snprintf(why, whylen, "%s", reason);
		} else if (hk->type == KEY_ECDSA_P256) {
			r = eckey_p256_parse(text, len, &hk->ec, why, whylen);
		} else if (hk->type == KEY_RSA) {
			r = rsakey_parse(text, len, &hk->rsa, why, whylen);
		} else {
			struct buf pub, priv;
			if (keyfile_openssh_open(bin, binlen, &pub, &priv, &reason) == 0)
				reason = "unsupported key type (ed25519, ecdsa nistp256 and RSA are)";
			snprintf(why, whylen, "%s", reason);
		}
	} else if (memmem(text, len, "-----BEGIN EC PRIVATE KEY-----", 30)) {
		hk->type = KEY_ECDSA_P256;
		r = eckey_p256_parse(text, len, &hk->ec, why, whylen);
	} else if (memmem(text, len, "-----BEGIN RSA PRIVATE KEY-----", 31)) {
		hk->type = KEY_RSA;
		r = rsakey_parse(text, len, &hk->rsa, why, whylen);
	} else if (memmem(text, len, "-----BEGIN PRIVATE KEY-----", 27)) {
		/* PKCS#8 names its algorithm inside the DER: try both */
		hk->type = KEY_ECDSA_P256;
		r = eckey_p256_parse(text, len, &hk->ec, why, whylen);
		if (r) {
			hk->type = KEY_RSA;
			r = rsakey_parse(text, len, &hk->rsa, why, whylen);
		}
		if (r)
			snprintf(why, whylen, "PKCS#8 key is neither ecdsa nistp256 nor RSA");
	} else {
		snprintf(why, whylen, "%s",
			 memmem(text, len, "ENCRYPTED", 9)
			     ? "encrypted private key; host keys must be unencrypted"
			     : "not an OpenSSH, PEM or PKCS#8 private key");
	}
	secure_zero(bin, KEYFILE_MAX);
	free(bin);
	if (r == 0 && hk->type == KEY_ECDSA_P256)
		memcpy(hk->comment, hk->ec.comment, sizeof(hk->comment));
	else if (r == 0 && hk->type == KEY_RSA)
		memcpy(hk->comment, hk->rsa.comment, sizeof(hk->comment));
	return r;
}

int hostkey_load(const char *path, struct hostkey *hk)
{
	char *text = NULL, why[256] = "";
	size_t len = 0;
	memset(hk, 0, sizeof(*hk));
	int r = keyfile_read(path, &text, &len, why, sizeof(why));
	if (r == 0)
		r = parse_text(text, len, hk, why, sizeof(why));
	keyfile_free(text, len);
	if (r) {
		hostkey_wipe(hk);
		log_error("Unable to load host key %s: %s", path, why);
		errno = EINVAL;
	}
	return r;
}

/* The private fields as an OpenSSH file holds them. */
static int put_private(const struct hostkey *hk, struct buf *out)
{
	int r;
	switch (hk->type) {
	case KEY_ED25519:
		r = buf_put_cstring(out, ED_NAME);
		r = r ? r : buf_put_string(out, hk->pub, 32);
		return r ? r : buf_put_string(out, hk->sk, 64);
	case KEY_ECDSA_P256:
		return eckey_p256_put_private(&hk->ec, out);
	case KEY_RSA:
		return rsakey_put_private(&hk->rsa, out);
	default:
		return -1;
	}
}

/* "type base64 comment\n", as ssh-keygen writes the .pub file. */
static int pub_line(const struct hostkey *hk, const struct buf *blob, struct buf *out)
{
	size_t l = sodium_base64_encoded_len(buf_avail(blob), sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(l);
	if (!b64)
		return -1;
	sodium_bin2base64(b64, l, buf_rptr(blob), buf_avail(blob), sodium_base64_VARIANT_ORIGINAL);
	int r = buf_putf(out, "%s %s%s%s\n", key_type_name(hk->type), b64, hk->comment[0] ? " " : "",
			 hk->comment);
	free(b64);
	return r;
}

int hostkey_save(const char *path, const struct hostkey *hk)
{
	struct buf blob, fields, pem, pub;
	int ret = -1;
	buf_init(&blob, 4096);
	buf_init(&fields, KEYFILE_MAX);
	buf_init(&pem, KEYFILE_MAX);
	buf_init(&pub, 8192);
	size_t pl = strlen(path);
	char *pubpath = malloc(pl + 5);
	if (pubpath && hostkey_pub_blob(hk, &blob) == 0 && put_private(hk, &fields) == 0 &&
	    keyfile_openssh_encode(&blob, &fields, hk->comment, &pem) == 0 &&
	    pub_line(hk, &blob, &pub) == 0 &&
	    keyfile_write_atomic(path, buf_rptr(&pem), buf_avail(&pem), 0600) == 0) {
		memcpy(pubpath, path, pl);
		memcpy(pubpath + pl, ".pub", 5);
		ret = keyfile_write_atomic(pubpath, buf_rptr(&pub), buf_avail(&pub), 0644);
	}
	free(pubpath);
	buf_free(&blob);
	buf_free(&fields);
	buf_free(&pem);
	buf_free(&pub);
	return ret;
}

/* mkdir -p for the parent directory of path, new directories 0700. */
static int make_parent_dirs(const char *path)
{
	char *d = strdup(path);
	if (!d)
		return -1;
	char *slash = strrchr(d, '/');
	if (!slash || slash == d) {
		free(d);
		return 0;
	}
	*slash = 0;
	for (char *p = d + 1;; p++) {
		if (*p == '/' || *p == 0) {
			char c = *p;
			*p = 0;
			if (mkdir(d, 0700) != 0 && errno != EEXIST) {
				int e = errno;
				log_error("cannot create directory %s: %s", d, strerror(e));
				free(d);
				errno = e;
				return -1;
			}
			*p = c;
			if (c == 0)
				break;
		}
	}
	free(d);
	return 0;
}

enum key_type hostkey_type_for_path(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strstr(base, "ecdsa"))
		return KEY_ECDSA_P256;
	if (strstr(base, "rsa"))
		return KEY_RSA;
	return KEY_ED25519;
}

int hostkey_load_or_create(const char *path, struct hostkey *hk, int *created)
{
	struct stat st;
	if (created)
		*created = 0;
	if (stat(path, &st) == 0 || errno != ENOENT)
		return hostkey_load(path, hk);
	if (make_parent_dirs(path) != 0)
		return -1;
	char host[100], comment[120];
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = 0;
	snprintf(comment, sizeof(comment), "sshbox@%s", host);
	enum key_type t = hostkey_type_for_path(path);
	if (hostkey_generate_type(hk, t, comment) != 0) {
		log_error("cannot generate a %s host key", key_type_name(t));
		return -1;
	}
	if (hostkey_save(path, hk) != 0) {
		hostkey_wipe(hk);
		return -1;
	}
	log_info("generated new %s host key %s", key_type_name(t), path);
	if (created)
		*created = 1;
	return 0;
}

/* ---- the set ---- */

static const struct hostkey *find_const(const struct hostkeys *s, enum key_type type)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->k[i].type == type)
			return &s->k[i];
	return NULL;
}

struct hostkey *hostkeys_find(struct hostkeys *s, enum key_type type)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->k[i].type == type)
			return &s->k[i];
	return NULL;
}

int hostkeys_add(struct hostkeys *s, const struct hostkey *hk)
{
	if (s->n >= HOSTKEYS_MAX || hostkeys_find(s, hk->type) ||
	    (hk->type != KEY_ED25519 && hk->type != KEY_ECDSA_P256 && hk->type != KEY_RSA))
		return -1;
	s->k[s->n++] = *hk;
	return 0;
}

int hostkeys_select(struct hostkeys *s, const char *wanted)
{
	const char *c = wanted ? wanted : HOSTKEY_ALGS;
	size_t o = 0;
	int count = 0;
	s->algs[0] = 0;
	while (*c) {
		size_t l = strcspn(c, ",");
		const struct hk_alg *a = alg_by_name(c, l);
		const struct hostkey *hk = a ? find_const(s, a->type) : NULL;
		if (hk && (!a->cert || hk->cert_len) && o + l + 2 < sizeof(s->algs)) {
			if (o)
				s->algs[o++] = ',';
			memcpy(s->algs + o, c, l);
			o += l;
			s->algs[o] = 0;
			count++;
		}
		c += l;
		if (*c == ',')
			c++;
	}
	return count;
}

const char *hostkeys_algs(const struct hostkeys *s)
{
	return s->algs;
}

int hostkeys_blob_for(const struct hostkeys *s, const char *alg, struct buf *out)
{
	const struct hk_alg *a = alg_by_name(alg, strlen(alg));
	const struct hostkey *hk = a ? find_const(s, a->type) : NULL;
	if (!hk)
		return -1;
	if (a->cert)
		return hk->cert_len ? buf_put(out, hk->cert, hk->cert_len) : -1;
	return hostkey_pub_blob(hk, out);
}

int hostkeys_sign(const struct hostkeys *s, const char *alg, const uint8_t *data, size_t len, struct buf *out)
{
	const struct hk_alg *a = alg_by_name(alg, strlen(alg));
	const struct hostkey *hk = a ? find_const(s, a->type) : NULL;
	return hk ? sign_with(hk, a->sig, data, len, out) : -1;
}

void hostkeys_wipe(struct hostkeys *s)
{
	secure_zero(s, sizeof(*s));
}
