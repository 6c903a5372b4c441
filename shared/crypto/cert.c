/* cert: OpenSSH certificates (PROTOCOL.certkeys). See cert.h. */
#include "cert.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hostkey.h"
#include "util.h"

#define CERT_SUFFIX "-cert-v01@openssh.com"
#define NONCE_MAX 1024
#define SIG_MAX 4096

static const struct {
	enum key_type type;
	const char *name;
} cert_names[] = {
    {KEY_ED25519, "ssh-ed25519-cert-v01@openssh.com"},
    {KEY_SK_ED25519, "sk-ssh-ed25519-cert-v01@openssh.com"},
    {KEY_RSA, "ssh-rsa-cert-v01@openssh.com"},
    {KEY_ECDSA_P256, "ecdsa-sha2-nistp256-cert-v01@openssh.com"},
    {KEY_ECDSA_P384, "ecdsa-sha2-nistp384-cert-v01@openssh.com"},
    {KEY_ECDSA_P521, "ecdsa-sha2-nistp521-cert-v01@openssh.com"},
};

enum key_type cert_key_type_from_name(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_LEN(cert_names); i++)
		if (strlen(cert_names[i].name) == len && memcmp(cert_names[i].name, name, len) == 0)
			return cert_names[i].type;
	return KEY_UNKNOWN;
}

int cert_is_cert_alg(const char *alg)
{
	size_t n = strlen(alg), s = strlen(CERT_SUFFIX);
	return n > s && strcmp(alg + n - s, CERT_SUFFIX) == 0;
}

void cert_free(struct cert *c)
{
	if (!c)
		return;
	pubkey_free(&c->key);
	pubkey_free(&c->ca);
	free(c->key_id);
	for (size_t i = 0; i < c->n_principals; i++)
		free(c->principals[i]);
	free(c->principals);
	free(c->force_command);
	free(c->source_address);
	free(c->unknown_critical);
	free(c->ca_blob);
	free(c->sig_alg);
	memset(c, 0, sizeof(*c));
}

static int fail(char *why, size_t whylen, const char *msg)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", msg);
	return -1;
}

static int parse_principals(struct buf *b, struct cert *c)
{
	while (buf_avail(b) > 0) {
		if (c->n_principals >= CERT_MAX_PRINCIPALS)
			return -1;
		char *p;
		if (buf_get_cstring(b, &p, CERT_MAX_PRINCIPAL_LEN))
			return -1;
		char **np = realloc(c->principals, (c->n_principals + 1) * sizeof(*np));
		if (!np) {
			free(p);
			return -1;
		}
		c->principals = np;
		c->principals[c->n_principals++] = p;
	}
	return 0;
}

/* A critical option whose data is one string (force-command, source-address). */
static int option_string(struct buf *data, char **dst)
{
	if (*dst)
		return -1; /* repeated: OpenSSH refuses the certificate */
	if (buf_get_cstring(data, dst, CERT_MAX_OPTION_DATA))
		return -1;
	return buf_avail(data) == 0 ? 0 : -1;
}

static int critical_option(struct cert *c, const char *name, struct buf *data)
{
	if (strcmp(name, "force-command") == 0)
		return option_string(data, &c->force_command);
	if (strcmp(name, "source-address") == 0)
		return option_string(data, &c->source_address);
	if (strcmp(name, "verify-required") == 0) {
		c->verify_required = 1;
		return buf_avail(data) == 0 ? 0 : -1;
	}
	/* Unknown: remembered, the certificate is refused for user auth. */
	if (!c->unknown_critical && !(c->unknown_critical = strdup(name)))
		return -1;
	return 0;
}

static int extension(struct cert *c, const char *name, struct buf *data)
{
	static const struct {
		const char *name;
		unsigned bit;
	} known[] = {
	    {"permit-X11-forwarding", CERT_EXT_X11_FORWARDING},
	    {"permit-agent-forwarding", CERT_EXT_AGENT_FORWARDING},
	    {"permit-port-forwarding", CERT_EXT_PORT_FORWARDING},
	    {"permit-pty", CERT_EXT_PTY},
	    {"permit-user-rc", CERT_EXT_USER_RC},
	    {"no-touch-required", CERT_EXT_NO_TOUCH_REQUIRED},
	};
	for (size_t i = 0; i < ARRAY_LEN(known); i++)
		if (strcmp(name, known[i].name) == 0) {
			c->extensions |= known[i].bit;
			return buf_avail(data) == 0 ? 0 : -1;
		}
	return 0; /* unknown extensions are ignored, as by OpenSSH */
}

/* The critical options or extensions section: (string name, string data)*. */
static int parse_options(struct buf *b, struct cert *c, int critical)
{
	for (size_t count = 0; buf_avail(b) > 0; count++) {
		char name[CERT_MAX_OPTION_NAME];
		struct buf data;
		if (count >= CERT_MAX_OPTIONS || buf_get_cstring_into(b, name, sizeof(name)) ||
		    buf_get_string_buf(b, &data, CERT_MAX_OPTION_DATA))
			return -1;
		if ((critical ? critical_option(c, name, &data) : extension(c, name, &data)) != 0)
			return -1;
	}
	return 0;
}

/* Everything between the key fields and the signature key. */
static int parse_body(struct buf *b, struct cert *c, char *why, size_t whylen)
{
	struct buf principals, crit, exts;
	const uint8_t *reserved;
	size_t rlen;
	if (buf_get_u64(b, &c->serial) || buf_get_u32(b, &c->type) ||
	    buf_get_cstring(b, &c->key_id, CERT_MAX_ID_LEN) ||
	    buf_get_string_buf(b, &principals, CERT_MAX_BLOB) || buf_get_u64(b, &c->valid_after) ||
	    buf_get_u64(b, &c->valid_before) || buf_get_string_buf(b, &crit, CERT_MAX_BLOB) ||
	    buf_get_string_buf(b, &exts, CERT_MAX_BLOB) ||
	    buf_get_string_view(b, &reserved, &rlen, CERT_MAX_BLOB))
		return fail(why, whylen, "malformed certificate");
	if (c->type != CERT_TYPE_USER && c->type != CERT_TYPE_HOST)
		return fail(why, whylen, "unknown certificate type");
	if (parse_principals(&principals, c))
		return fail(why, whylen, "malformed or too many principals");
	if (parse_options(&crit, c, 1) || parse_options(&exts, c, 0))
		return fail(why, whylen, "malformed certificate options");
	return 0;
}

/* The signature key (a plain key) and the signature over blob[0, signed_len). */
static int check_signature(struct buf *b, struct cert *c, const uint8_t *blob, size_t len, char *why,
			   size_t whylen)
{
	const uint8_t *ca, *sig;
	size_t calen, siglen;
	if (buf_get_string_view(b, &ca, &calen, CERT_MAX_BLOB))
		return fail(why, whylen, "malformed signature key");
	size_t signed_len = len - buf_avail(b);
	if (buf_get_string_view(b, &sig, &siglen, SIG_MAX) || buf_avail(b) != 0)
		return fail(why, whylen, "malformed certificate signature");
	if (pubkey_parse(ca, calen, &c->ca) != 0)
		return fail(why, whylen, "invalid or unsupported CA key");
	c->ca_blob = malloc(calen);
	char alg[64];
	if (!c->ca_blob || pubkey_sig_alg_name(sig, siglen, alg, sizeof(alg)) || !(c->sig_alg = strdup(alg)))
		return fail(why, whylen, "malformed certificate signature");
	memcpy(c->ca_blob, ca, calen);
	c->ca_blob_len = calen;
	/* The CA's own user-presence flag is not checked (as OpenSSH). */
	if (pubkey_verify(&c->ca, sig, siglen, blob, signed_len, PUBKEY_VERIFY_NO_TOUCH) != 0)
		return fail(why, whylen, "bad CA signature (or a refused algorithm such as ssh-rsa)");
	return 0;
}

int cert_parse(const uint8_t *blob, size_t len, struct cert *out, char *why, size_t whylen)
{
	struct buf b;
	const uint8_t *name, *nonce;
	size_t name_len, nonce_len;
	memset(out, 0, sizeof(*out));
	if (!blob || len > CERT_MAX_BLOB)
		return fail(why, whylen, "certificate too large");
	buf_view(&b, blob, len);
	if (buf_get_string_view(&b, &name, &name_len, 64))
		return fail(why, whylen, "malformed certificate");
	enum key_type t = cert_key_type_from_name((const char *)name, name_len);
	if (t == KEY_UNKNOWN)
		return fail(why, whylen, "unsupported certificate type");
	if (buf_get_string_view(&b, &nonce, &nonce_len, NONCE_MAX) ||
	    pubkey_parse_fields(t, &b, &out->key) != 0)
		return fail(why, whylen, "malformed certified key");
	int r = parse_body(&b, out, why, whylen);
	if (r == 0)
		r = check_signature(&b, out, blob, len, why, whylen);
	if (r != 0)
		cert_free(out);
	return r;
}

int cert_alg_ok(const struct cert *c, const char *alg, char *plain, size_t cap)
{
	size_t n = strlen(alg), s = strlen(CERT_SUFFIX);
	if (!cert_is_cert_alg(alg) || n - s + 1 > cap)
		return 0;
	memcpy(plain, alg, n - s);
	plain[n - s] = '\0';
	/* The plain name must fit the key: "ssh-rsa" (SHA-1) is never accepted. */
	return pubkey_sig_alg_ok(&c->key, plain);
}

int cert_has_principal(const struct cert *c, const char *principal)
{
	for (size_t i = 0; i < c->n_principals; i++)
		if (strcmp(c->principals[i], principal) == 0)
			return 1;
	return 0;
}

int cert_check_authority(const struct cert *c, uint32_t want_type, uint64_t now, const char *name,
			 const char **why)
{
	if (c->type != want_type) {
		*why = want_type == CERT_TYPE_USER ? "Certificate invalid: not a user certificate"
						   : "Certificate invalid: not a host certificate";
		return -1;
	}
	if (now < c->valid_after) {
		*why = "Certificate invalid: not yet valid";
		return -1;
	}
	if (now >= c->valid_before) {
		*why = "Certificate invalid: expired";
		return -1;
	}
	/* An empty list once meant "any principal"; current OpenSSH (and we)
	 * refuse it everywhere (CVE-2024-7594 shows why). */
	if (c->n_principals == 0) {
		*why = "Certificate lacks principal list";
		return -1;
	}
	if (name && !cert_has_principal(c, name)) {
		*why = "Certificate invalid: name is not a listed principal";
		return -1;
	}
	return 0;
}

const char *key_label(enum key_type t, int cert)
{
	switch (t) {
	case KEY_ED25519:
		return cert ? "ED25519-CERT" : "ED25519";
	case KEY_SK_ED25519:
		return cert ? "ED25519-SK-CERT" : "ED25519-SK";
	case KEY_RSA:
		return cert ? "RSA-CERT" : "RSA";
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521:
		return cert ? "ECDSA-CERT" : "ECDSA";
	default:
		return "unknown";
	}
}

static void fingerprint_of(const struct pubkey *k, char out[64])
{
	struct buf b;
	snprintf(out, 64, "(none)");
	if (buf_init(&b, CERT_MAX_BLOB) != BUF_OK)
		return;
	if (pubkey_to_blob(k, &b) == 0)
		pubkey_fingerprint(buf_rptr(&b), buf_avail(&b), out);
	buf_free(&b);
}

void cert_key_fingerprint(const struct cert *c, char out[64])
{
	fingerprint_of(&c->key, out);
}

void cert_ca_fingerprint(const struct cert *c, char out[64])
{
	pubkey_fingerprint(c->ca_blob, c->ca_blob_len, out);
}

/* The set's key that c certifies, or NULL. */
static struct hostkey *certified_key(struct hostkeys *s, const struct cert *c)
{
	struct hostkey *hk = hostkeys_find(s, c->key.type);
	struct buf a, b;
	int same = 0;
	if (!hk)
		return NULL;
	buf_init(&a, CERT_MAX_BLOB);
	buf_init(&b, CERT_MAX_BLOB);
	if (hostkey_pub_blob(hk, &a) == 0 && pubkey_to_blob(&c->key, &b) == 0)
		same =
		    buf_avail(&a) == buf_avail(&b) && memcmp(buf_rptr(&a), buf_rptr(&b), buf_avail(&a)) == 0;
	buf_free(&a);
	buf_free(&b);
	return same ? hk : NULL;
}

int hostkeys_load_certificate(struct hostkeys *s, const char *path, char *why, size_t whylen)
{
	char text[HOSTKEY_CERT_MAX * 2];
	uint8_t blob[HOSTKEY_CERT_MAX];
	size_t n;
	long len = read_text_file(path, text, sizeof(text));
	if (len <= 0)
		return fail(why, whylen, "cannot read the certificate file");
	char *b64 = text + strcspn(text, " \t");
	b64 += strspn(b64, " \t");
	size_t b64len = strcspn(b64, " \t\r\n");
	if (sodium_base642bin(blob, sizeof(blob), b64, b64len, NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return fail(why, whylen, "not a certificate file (bad base64)");
	struct cert c;
	if (cert_parse(blob, n, &c, why, whylen) != 0)
		return -1;
	struct hostkey *hk = c.type == CERT_TYPE_HOST ? certified_key(s, &c) : NULL;
	cert_free(&c);
	if (!hk)
		return fail(why, whylen, "not a host certificate for any loaded host key");
	if (hk->cert_len)
		return fail(why, whylen, "a second certificate for the same host key");
	memcpy(hk->cert, blob, n);
	hk->cert_len = n;
	return 0;
}
