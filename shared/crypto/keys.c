/* keys: SSH public keys (parse, encode, verify, fingerprint); host keys
 * live in hostkey.c. See keys.h.
 * Primitives: libsodium (ed25519, sha256, base64), BearSSL (RSA, ECDSA). */
#include "keys.h"

#include <bearssl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "log.h"
#include "util.h"

/* BearSSL's RSA code handles moduli up to 4096 bits (BR_MAX_RSA_SIZE). */
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 4096
#define SK_APP_MAX 1024
#define NAME_MAX_LEN 64

static const struct {
	enum key_type type;
	const char *name;
} key_names[] = {
    {KEY_ED25519, "ssh-ed25519"},
    {KEY_SK_ED25519, "sk-ssh-ed25519@openssh.com"},
    {KEY_RSA, "ssh-rsa"},
    {KEY_ECDSA_P256, "ecdsa-sha2-nistp256"},
    {KEY_ECDSA_P384, "ecdsa-sha2-nistp384"},
    {KEY_ECDSA_P521, "ecdsa-sha2-nistp521"},
};

const char *key_type_name(enum key_type t)
{
	for (size_t i = 0; i < ARRAY_LEN(key_names); i++)
		if (key_names[i].type == t)
			return key_names[i].name;
	return "unknown";
}

enum key_type key_type_from_name(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_LEN(key_names); i++)
		if (strlen(key_names[i].name) == len && memcmp(key_names[i].name, name, len) == 0)
			return key_names[i].type;
	return KEY_UNKNOWN;
}

struct ec_params {
	const char *curve_name; /* "nistp256" */
	int br_curve;
	size_t flen; /* field element / scalar length in bytes */
	enum hash_alg hash;
};

static const struct ec_params *ec_params(enum key_type t)
{
	static const struct ec_params p256 = {"nistp256", BR_EC_secp256r1, 32, HASH_SHA256};
	static const struct ec_params p384 = {"nistp384", BR_EC_secp384r1, 48, HASH_SHA384};
	static const struct ec_params p521 = {"nistp521", BR_EC_secp521r1, 66, HASH_SHA512};
	switch (t) {
	case KEY_ECDSA_P256:
		return &p256;
	case KEY_ECDSA_P384:
		return &p384;
	case KEY_ECDSA_P521:
		return &p521;
	default:
		return NULL;
	}
}

static int view_eq(const uint8_t *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

void pubkey_free(struct pubkey *k)
{
	if (!k)
		return;
	free(k->rsa_n);
	free(k->rsa_e);
	free(k->ec_point);
	free(k->sk_application);
	memset(k, 0, sizeof(*k));
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);
	if (d && n)
		memcpy(d, p, n);
	return d;
}

static size_t bit_length(const uint8_t *be, size_t n)
{
	while (n > 0 && be[0] == 0) {
		be++;
		n--;
	}
	if (n == 0)
		return 0;
	size_t bits = (n - 1) * 8;
	for (unsigned v = be[0]; v; v >>= 1)
		bits++;
	return bits;
}

int pubkey_parse_fields(enum key_type t, struct buf *b, struct pubkey *out)
{
	const uint8_t *p, *q;
	size_t n, m;
	memset(out, 0, sizeof(*out));
	switch (t) {
	case KEY_ED25519:
	case KEY_SK_ED25519:
		if (buf_get_string_view(b, &p, &n, 32) || n != 32)
			return -1;
		memcpy(out->ed25519, p, 32);
		if (t == KEY_SK_ED25519 && buf_get_cstring(b, &out->sk_application, SK_APP_MAX))
			goto fail;
		break;
	case KEY_RSA: {
		if (buf_get_mpint_unsigned_view(b, &p, &n, 64) ||
		    buf_get_mpint_unsigned_view(b, &q, &m, 2048))
			return -1;
		size_t bits = bit_length(q, m);
		if (n == 0 || !(p[n - 1] & 1) || (n == 1 && p[0] < 3)) {
			log_debug("rsa key: bad public exponent");
			return -1;
		}
		if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS || !(q[m - 1] & 1)) {
			log_debug("rsa key: modulus of %zu bits refused (%d..%d supported)", bits,
				  RSA_MIN_BITS, RSA_MAX_BITS);
			return -1;
		}
		out->rsa_e = dup_bytes(p, n);
		out->rsa_n = dup_bytes(q, m);
		out->rsa_e_len = n;
		out->rsa_n_len = m;
		if (!out->rsa_e || !out->rsa_n)
			goto fail;
		break;
	}
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521: {
		const struct ec_params *ep = ec_params(t);
		if (buf_get_string_view(b, &p, &n, NAME_MAX_LEN) || !view_eq(p, n, ep->curve_name))
			return -1;
		if (buf_get_string_view(b, &q, &m, 1 + 2 * 66) || m != 1 + 2 * ep->flen || q[0] != 0x04)
			return -1;
		/* Point validation: decoding (done by mul) checks it is on the curve. */
		uint8_t tmp[1 + 2 * 66];
		static const uint8_t one = 1;
		memcpy(tmp, q, m);
		if (br_ec_get_default()->mul(tmp, m, &one, 1, ep->br_curve) != 1) {
			log_debug("ecdsa key: point not on curve");
			return -1;
		}
		out->ec_point = dup_bytes(q, m);
		out->ec_point_len = m;
		if (!out->ec_point)
			goto fail;
		break;
	}
	default:
		return -1;
	}
	out->type = t;
	return 0;
fail:
	pubkey_free(out);
	return -1;
}

int pubkey_parse(const uint8_t *blob, size_t len, struct pubkey *out)
{
	struct buf b;
	const uint8_t *name;
	size_t name_len;
	memset(out, 0, sizeof(*out));
	buf_view(&b, blob, len);
	if (buf_get_string_view(&b, &name, &name_len, NAME_MAX_LEN))
		return -1;
	enum key_type t = key_type_from_name((const char *)name, name_len);
	if (pubkey_parse_fields(t, &b, out) != 0)
		return -1;
	if (buf_avail(&b) != 0) {
		pubkey_free(out);
		return -1;
	}
	return 0;
}

int pubkey_to_blob(const struct pubkey *k, struct buf *out)
{
	int r = buf_put_cstring(out, key_type_name(k->type));
	if (r)
		return r;
	switch (k->type) {
	case KEY_ED25519:
		return buf_put_string(out, k->ed25519, 32);
	case KEY_SK_ED25519:
		if ((r = buf_put_string(out, k->ed25519, 32)))
			return r;
		return buf_put_cstring(out, k->sk_application ? k->sk_application : "");
	case KEY_RSA:
		if ((r = buf_put_mpint_unsigned(out, k->rsa_e, k->rsa_e_len)))
			return r;
		return buf_put_mpint_unsigned(out, k->rsa_n, k->rsa_n_len);
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521:
		if ((r = buf_put_cstring(out, ec_params(k->type)->curve_name)))
			return r;
		return buf_put_string(out, k->ec_point, k->ec_point_len);
	default:
		return -1;
	}
}

int pubkey_equal(const struct pubkey *a, const struct pubkey *b)
{
	if (a->type != b->type || a->type == KEY_UNKNOWN)
		return 0;
	switch (a->type) {
	case KEY_ED25519:
		return memcmp(a->ed25519, b->ed25519, 32) == 0;
	case KEY_SK_ED25519:
		return memcmp(a->ed25519, b->ed25519, 32) == 0 && a->sk_application && b->sk_application &&
		       strcmp(a->sk_application, b->sk_application) == 0;
	case KEY_RSA:
		return a->rsa_n_len == b->rsa_n_len && a->rsa_e_len == b->rsa_e_len &&
		       memcmp(a->rsa_n, b->rsa_n, a->rsa_n_len) == 0 &&
		       memcmp(a->rsa_e, b->rsa_e, a->rsa_e_len) == 0;
	default:
		return a->ec_point_len == b->ec_point_len &&
		       memcmp(a->ec_point, b->ec_point, a->ec_point_len) == 0;
	}
}

void pubkey_fingerprint(const uint8_t *blob, size_t len, char out[64])
{
	uint8_t h[32];
	hash_once(HASH_SHA256, blob, len, h);
	memcpy(out, "SHA256:", 7);
	sodium_bin2base64(out + 7, 64 - 7, h, sizeof(h), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

int pubkey_sig_alg_name(const uint8_t *sig, size_t siglen, char *out, size_t cap)
{
	struct buf b;
	buf_view(&b, sig, siglen);
	return buf_get_cstring_into(&b, out, cap) == 0 ? 0 : -1;
}

int pubkey_sig_alg_ok(const struct pubkey *k, const char *sig_alg)
{
	if (!sig_alg)
		return 0;
	switch (k->type) {
	case KEY_RSA:
		return strcmp(sig_alg, "rsa-sha2-256") == 0 || strcmp(sig_alg, "rsa-sha2-512") == 0;
	case KEY_UNKNOWN:
		return 0;
	default:
		return strcmp(sig_alg, key_type_name(k->type)) == 0;
	}
}

static int verify_rsa(const struct pubkey *k, int sha512, const uint8_t *s, size_t slen, const uint8_t *data,
		      size_t datalen)
{
	/* Modulus length without leading zeros (buf mpint views have none). */
	size_t nlen = k->rsa_n_len;
	uint8_t sig[RSA_MAX_BITS / 8], h[64], hout[64];
	if (slen > nlen || nlen > sizeof(sig) || slen == 0)
		return -1;
	/* Like OpenSSH, accept a signature shorter than the modulus (left-pad). */
	memset(sig, 0, nlen - slen);
	memcpy(sig + (nlen - slen), s, slen);
	size_t hlen = sha512 ? 64 : 32;
	hash_once(sha512 ? HASH_SHA512 : HASH_SHA256, data, datalen, h);
	br_rsa_public_key pk = {k->rsa_n, nlen, k->rsa_e, k->rsa_e_len};
	const unsigned char *oid = sha512 ? BR_HASH_OID_SHA512 : BR_HASH_OID_SHA256;
	uint32_t ok = br_rsa_pkcs1_vrfy_get_default()(sig, nlen, oid, hlen, &pk, hout);
	return ok == 1 && ct_memeq(h, hout, hlen) ? 0 : -1;
}

static int verify_ecdsa(const struct pubkey *k, const uint8_t *s, size_t slen, const uint8_t *data,
			size_t datalen)
{
	const struct ec_params *ep = ec_params(k->type);
	struct buf sb;
	const uint8_t *r, *ss;
	size_t rl, sl;
	uint8_t raw[2 * 66], h[64];
	buf_view(&sb, s, slen);
	if (buf_get_mpint_unsigned_view(&sb, &r, &rl, ep->flen) ||
	    buf_get_mpint_unsigned_view(&sb, &ss, &sl, ep->flen) || buf_avail(&sb) != 0 || rl == 0 || sl == 0)
		return -1;
	memset(raw, 0, sizeof(raw));
	memcpy(raw + ep->flen - rl, r, rl);
	memcpy(raw + 2 * ep->flen - sl, ss, sl);
	hash_once(ep->hash, data, datalen, h);
	br_ec_public_key pk = {ep->br_curve, k->ec_point, k->ec_point_len};
	return br_ecdsa_i31_vrfy_raw(br_ec_get_default(), h, hash_len(ep->hash), &pk, raw, 2 * ep->flen) == 1
		   ? 0
		   : -1;
}

int pubkey_verify(const struct pubkey *k, const uint8_t *sig, size_t siglen, const uint8_t *data,
		  size_t datalen, int flags)
{
	struct buf b;
	char alg[NAME_MAX_LEN];
	const uint8_t *s;
	size_t slen;
	buf_view(&b, sig, siglen);
	if (buf_get_cstring_into(&b, alg, sizeof(alg)) || !pubkey_sig_alg_ok(k, alg))
		return -1;
	if (buf_get_string_view(&b, &s, &slen, RSA_MAX_BITS / 8 + 1))
		return -1;
	switch (k->type) {
	case KEY_ED25519:
		if (slen != 64 || buf_avail(&b) != 0)
			return -1;
		return crypto_sign_verify_detached(s, data, datalen, k->ed25519) == 0 ? 0 : -1;
	case KEY_SK_ED25519: {
		/* PROTOCOL.u2f: signed = sha256(app) || flags || u32 counter || sha256(data) */
		uint8_t sk_flags, msg[32 + 1 + 4 + 32];
		uint32_t counter;
		if (slen != 64 || buf_get_u8(&b, &sk_flags) || buf_get_u32(&b, &counter) ||
		    buf_avail(&b) != 0)
			return -1;
		if (!(sk_flags & SK_FLAG_USER_PRESENCE) && !(flags & PUBKEY_VERIFY_NO_TOUCH)) {
			log_info("sk-ssh-ed25519 signature without user presence refused");
			return -1;
		}
		if (!(sk_flags & SK_FLAG_USER_VERIFIED) && (flags & PUBKEY_VERIFY_NEED_UV)) {
			log_info(
			    "sk-ssh-ed25519 signature without user verification refused (verify-required)");
			return -1;
		}
		const char *app = k->sk_application ? k->sk_application : "";
		hash_once(HASH_SHA256, app, strlen(app), msg);
		msg[32] = sk_flags;
		store_be32(msg + 33, counter);
		hash_once(HASH_SHA256, data, datalen, msg + 37);
		return crypto_sign_verify_detached(s, msg, sizeof(msg), k->ed25519) == 0 ? 0 : -1;
	}
	case KEY_RSA:
		if (buf_avail(&b) != 0)
			return -1;
		return verify_rsa(k, strcmp(alg, "rsa-sha2-512") == 0, s, slen, data, datalen);
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521:
		if (buf_avail(&b) != 0)
			return -1;
		return verify_ecdsa(k, s, slen, data, datalen);
	default:
		return -1;
	}
}
