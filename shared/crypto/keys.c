/* keys: SSH public keys (parse, encode, verify, fingerprint) and the
 * ed25519 host key in OpenSSH private-key format. See keys.h.
 * Primitives: libsodium (ed25519, sha256, base64), BearSSL (RSA, ECDSA). */
#include "keys.h"

#include <bearssl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* ---- host key ---- */

#define PEM_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define PEM_END "-----END OPENSSH PRIVATE KEY-----"
#define KEY_MAGIC "openssh-key-v1" /* followed by a NUL */
#define KEYFILE_MAX (64 * 1024)

static void set_comment(struct hostkey *hk, const char *comment)
{
	memset(hk->comment, 0, sizeof(hk->comment));
	if (comment) {
		size_t n = strnlen(comment, sizeof(hk->comment) - 1);
		memcpy(hk->comment, comment, n);
	}
}

int hostkey_generate(struct hostkey *hk, const char *comment)
{
	if (crypto_sign_ed25519_keypair(hk->pub, hk->sk) != 0)
		return -1;
	set_comment(hk, comment);
	return 0;
}

void hostkey_wipe(struct hostkey *hk)
{
	secure_zero(hk, sizeof(*hk));
}

int hostkey_pub_blob(const struct hostkey *hk, struct buf *out)
{
	int r = buf_put_cstring(out, "ssh-ed25519");
	return r ? r : buf_put_string(out, hk->pub, 32);
}

const char *hostkey_algs(const struct hostkey *hk)
{
	return hk->cert_len ? HOSTKEY_CERT_ALG "," HOSTKEY_ALGS : HOSTKEY_ALGS;
}

int hostkey_blob_for(const struct hostkey *hk, const char *alg, struct buf *out)
{
	if (strcmp(alg, HOSTKEY_CERT_ALG) == 0)
		return hk->cert_len ? buf_put(out, hk->cert, hk->cert_len) : -1;
	return hostkey_pub_blob(hk, out);
}

int hostkey_sign(const struct hostkey *hk, const uint8_t *data, size_t len, struct buf *out)
{
	uint8_t sig[64];
	if (crypto_sign_ed25519_detached(sig, NULL, data, len, hk->sk) != 0)
		return -1;
	int r = buf_put_cstring(out, "ssh-ed25519");
	if (!r)
		r = buf_put_string(out, sig, sizeof(sig));
	return r;
}

static int read_file(const char *path, char **out, size_t *outlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > KEYFILE_MAX) {
		int e = errno;
		close(fd);
		errno = S_ISREG(st.st_mode) ? (e ? e : EFBIG) : EINVAL;
		return -1;
	}
	/* As OpenSSH (sshkey_perm_ok): a key of ours readable by others is ignored. */
	if ((st.st_mode & 077) && st.st_uid == getuid()) {
		log_error("permissions %04o for '%s' are too open; the private key must not be accessible by "
			  "others",
			  (unsigned)(st.st_mode & 07777), path);
		close(fd);
		errno = EPERM;
		return -1;
	}
	size_t n = (size_t)st.st_size;
	char *d = malloc(n + 1);
	if (!d || read_full(fd, d, n) != 0) {
		int e = errno;
		free(d);
		close(fd);
		errno = e ? e : EIO;
		return -1;
	}
	close(fd);
	d[n] = 0;
	*out = d;
	*outlen = n;
	return 0;
}

/* Parses the binary openssh-key-v1 structure. */
static int parse_openssh_key(const char *path, const uint8_t *bin, size_t len, struct hostkey *hk)
{
	struct buf b, priv;
	const uint8_t *p;
	size_t n;
	uint32_t nkeys, c1, c2;
	char name[NAME_MAX_LEN];
	buf_view(&b, bin, len);
	if (buf_get(&b, name, sizeof(KEY_MAGIC)) || memcmp(name, KEY_MAGIC, sizeof(KEY_MAGIC)) != 0) {
		log_error("%s: not an openssh-key-v1 private key", path);
		return -1;
	}
	if (buf_get_cstring_into(&b, name, sizeof(name)))
		goto bad;
	if (strcmp(name, "none") != 0) {
		log_error("%s: private key is encrypted (cipher %s); host keys must be unencrypted", path,
			  name);
		return -1;
	}
	if (buf_get_cstring_into(&b, name, sizeof(name)))
		goto bad;
	if (strcmp(name, "none") != 0) {
		log_error("%s: private key uses kdf %s; host keys must be unencrypted", path, name);
		return -1;
	}
	if (buf_get_string_view(&b, &p, &n, 1024) || buf_get_u32(&b, &nkeys))
		goto bad;
	if (nkeys != 1) {
		log_error("%s: %u keys in file, expected 1", path, nkeys);
		return -1;
	}
	if (buf_get_string_view(&b, &p, &n, 1024)) /* public blob, checked below */
		goto bad;
	struct pubkey pk;
	if (pubkey_parse(p, n, &pk) != 0 || pk.type != KEY_ED25519) {
		pubkey_free(&pk);
		log_error("%s: not an ssh-ed25519 key (only ed25519 host keys are supported)", path);
		return -1;
	}
	uint8_t outer_pub[32];
	memcpy(outer_pub, pk.ed25519, 32);
	pubkey_free(&pk);
	if (buf_get_string_buf(&b, &priv, KEYFILE_MAX) || buf_avail(&b) != 0)
		goto bad;
	if (buf_get_u32(&priv, &c1) || buf_get_u32(&priv, &c2) || c1 != c2)
		goto bad;
	if (buf_get_cstring_into(&priv, name, sizeof(name)) || strcmp(name, "ssh-ed25519") != 0)
		goto bad;
	if (buf_get_string_view(&priv, &p, &n, 32) || n != 32 || memcmp(p, outer_pub, 32) != 0)
		goto bad;
	memcpy(hk->pub, p, 32);
	if (buf_get_string_view(&priv, &p, &n, 64) || n != 64 || memcmp(p + 32, hk->pub, 32) != 0)
		goto bad;
	memcpy(hk->sk, p, 64);
	const uint8_t *cp;
	size_t cn;
	if (buf_get_string_view(&priv, &cp, &cn, 4096))
		goto bad;
	memset(hk->comment, 0, sizeof(hk->comment));
	memcpy(hk->comment, cp, cn < sizeof(hk->comment) - 1 ? cn : sizeof(hk->comment) - 1);
	for (uint8_t i = 1; buf_avail(&priv) > 0; i++) {
		uint8_t pad;
		if (buf_get_u8(&priv, &pad) || pad != i || i > 8)
			goto bad;
	}
	/* The seed must derive the stored public key. */
	uint8_t pub2[32], sk2[64];
	crypto_sign_ed25519_seed_keypair(pub2, sk2, hk->sk);
	int ok = memcmp(pub2, hk->pub, 32) == 0;
	secure_zero(sk2, sizeof(sk2));
	if (!ok)
		goto bad;
	return 0;
bad:
	log_error("%s: malformed OpenSSH private key", path);
	hostkey_wipe(hk);
	return -1;
}

int hostkey_load(const char *path, struct hostkey *hk)
{
	char *txt = NULL;
	size_t len;
	memset(hk, 0, sizeof(*hk));
	if (read_file(path, &txt, &len) != 0) {
		int e = errno;
		log_error("cannot read host key %s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	int ret = -1;
	uint8_t *bin = NULL;
	char *begin = strstr(txt, PEM_BEGIN);
	char *end = begin ? strstr(begin, PEM_END) : NULL;
	if (!begin || !end) {
		if (strstr(txt, "ENCRYPTED") || strstr(txt, "Proc-Type"))
			log_error("%s: encrypted private key; host keys must be unencrypted", path);
		else
			log_error("%s: not an OpenSSH private key (expected " PEM_BEGIN ")", path);
		goto out;
	}
	begin += strlen(PEM_BEGIN);
	size_t b64len = (size_t)(end - begin);
	size_t binlen = 0;
	bin = malloc(b64len);
	if (!bin)
		goto out;
	if (sodium_base642bin(bin, b64len, begin, b64len, " \t\r\n", &binlen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0) {
		log_error("%s: bad base64 in private key", path);
		goto out;
	}
	ret = parse_openssh_key(path, bin, binlen, hk);
out:
	if (bin) {
		secure_zero(bin, b64len);
		free(bin);
	}
	secure_zero(txt, len);
	free(txt);
	errno = ret ? EINVAL : 0;
	return ret;
}

/* Writes data to path atomically (temp file in the same dir + rename). */
static int write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	size_t pl = strlen(path);
	char *tmp = malloc(pl + 16);
	if (!tmp)
		return -1;
	memcpy(tmp, path, pl);
	memcpy(tmp + pl, ".tmpXXXXXX", 11);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		log_error("cannot create %s: %s", tmp, strerror(e));
		free(tmp);
		errno = e;
		return -1;
	}
	int ok = fchmod(fd, mode) == 0 && write_full(fd, data, len) == 0 && fsync(fd) == 0;
	int e = errno;
	if (close(fd) != 0 && ok) {
		ok = 0;
		e = errno;
	}
	if (ok && rename(tmp, path) != 0) {
		ok = 0;
		e = errno;
	}
	if (!ok) {
		log_error("cannot write %s: %s", path, strerror(e));
		unlink(tmp);
	}
	free(tmp);
	errno = ok ? 0 : e;
	return ok ? 0 : -1;
}

static int b64_encode(const uint8_t *bin, size_t n, char **out)
{
	size_t l = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
	*out = malloc(l);
	if (!*out)
		return -1;
	sodium_bin2base64(*out, l, bin, n, sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

int hostkey_save(const char *path, const struct hostkey *hk)
{
	struct buf bin, priv, pem, pub;
	char *b64 = NULL;
	int ret = -1;
	uint32_t check;
	buf_init(&bin, KEYFILE_MAX);
	buf_init(&priv, KEYFILE_MAX);
	buf_init(&pem, KEYFILE_MAX);
	buf_init(&pub, KEYFILE_MAX);
	crypto_random(&check, sizeof(check));
	/* private section */
	if (buf_put_u32(&priv, check) || buf_put_u32(&priv, check) || buf_put_cstring(&priv, "ssh-ed25519") ||
	    buf_put_string(&priv, hk->pub, 32) || buf_put_string(&priv, hk->sk, 64) ||
	    buf_put_cstring(&priv, hk->comment))
		goto out;
	for (uint8_t i = 1; buf_avail(&priv) % 8 != 0; i++)
		if (buf_put_u8(&priv, i))
			goto out;
	/* outer structure */
	struct buf blob;
	buf_init(&blob, 1024);
	if (hostkey_pub_blob(hk, &blob)) {
		buf_free(&blob);
		goto out;
	}
	int r = buf_put(&bin, KEY_MAGIC, sizeof(KEY_MAGIC)) || buf_put_cstring(&bin, "none") ||
		buf_put_cstring(&bin, "none") || buf_put_string(&bin, "", 0) || buf_put_u32(&bin, 1) ||
		buf_put_buf(&bin, &blob) || buf_put_buf(&bin, &priv);
	if (r) {
		buf_free(&blob);
		goto out;
	}
	if (b64_encode(buf_rptr(&bin), buf_avail(&bin), &b64)) {
		buf_free(&blob);
		goto out;
	}
	size_t bl = strlen(b64);
	r = buf_put(&pem, PEM_BEGIN "\n", strlen(PEM_BEGIN) + 1);
	for (size_t i = 0; !r && i < bl; i += 70)
		r = buf_put(&pem, b64 + i, bl - i < 70 ? bl - i : 70) || buf_put_u8(&pem, '\n');
	r = r || buf_put(&pem, PEM_END "\n", strlen(PEM_END) + 1);
	secure_zero(b64, bl);
	free(b64);
	b64 = NULL;
	/* .pub line */
	if (!r && !b64_encode(buf_rptr(&blob), buf_avail(&blob), &b64)) {
		r = buf_put(&pub, "ssh-ed25519 ", 12) || buf_put(&pub, b64, strlen(b64));
		if (!r && hk->comment[0])
			r = buf_put_u8(&pub, ' ') || buf_put(&pub, hk->comment, strlen(hk->comment));
		r = r || buf_put_u8(&pub, '\n');
	} else {
		r = 1;
	}
	buf_free(&blob);
	if (r)
		goto out;
	if (write_atomic(path, buf_rptr(&pem), buf_avail(&pem), 0600))
		goto out;
	size_t pl = strlen(path);
	char *pubpath = malloc(pl + 5);
	if (!pubpath)
		goto out;
	memcpy(pubpath, path, pl);
	memcpy(pubpath + pl, ".pub", 5);
	ret = write_atomic(pubpath, buf_rptr(&pub), buf_avail(&pub), 0644);
	free(pubpath);
out:
	free(b64);
	buf_free(&bin);
	buf_free(&priv);
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
	if (hostkey_generate(hk, comment) != 0)
		return -1;
	if (hostkey_save(path, hk) != 0) {
		hostkey_wipe(hk);
		return -1;
	}
	log_info("generated new ed25519 host key %s", path);
	if (created)
		*created = 1;
	return 0;
}
