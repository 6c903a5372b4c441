/* eckey: ECDSA nistp256 private key loader. See eckey.h. */
#include "eckey.h"

#include <bearssl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "keyfile.h"
#include "util.h"

#define SEC1_BEGIN "-----BEGIN EC PRIVATE KEY-----"
#define SEC1_END "-----END EC PRIVATE KEY-----"
#define PKCS8_BEGIN "-----BEGIN PRIVATE KEY-----"
#define PKCS8_END "-----END PRIVATE KEY-----"
#define P256_NAME "ecdsa-sha2-nistp256"

void eckey_p256_wipe(struct eckey_p256 *k)
{
	secure_zero(k, sizeof(*k));
}

/* d must be in [1, n-1] and d*G must be the point q (when given) or is
 * stored into k->q. */
static int check_scalar(struct eckey_p256 *k, int have_q)
{
	const br_ec_impl *ec = br_ec_get_default();
	br_ec_private_key sk = {BR_EC_secp256r1, k->d, sizeof(k->d)};
	br_ec_public_key pk;
	uint8_t q[BR_EC_KBUF_PUB_MAX_SIZE];
	size_t n = br_ec_compute_pub(ec, &pk, q, &sk);
	int ok = n == ECKEY_P256_POINT && (!have_q || sodium_memcmp(q, k->q, n) == 0);
	if (ok && !have_q)
		memcpy(k->q, q, n);
	return ok ? 0 : -1;
}

/* SEC1 or PKCS#8 DER, through BearSSL's decoder. */
static int parse_der(const uint8_t *der, size_t len, struct eckey_p256 *k, const char **why)
{
	br_skey_decoder_context dc;
	br_skey_decoder_init(&dc);
	br_skey_decoder_push(&dc, der, len);
	const br_ec_private_key *ec = br_skey_decoder_get_ec(&dc);
	int r = -1;
	if (br_skey_decoder_last_error(&dc) != 0 || !ec)
		*why = "not an EC private key (bad DER)";
	else if (ec->curve != BR_EC_secp256r1)
		*why = "EC private key is not on nistp256";
	else if (ec->xlen == 0 || ec->xlen > ECKEY_P256_SCALAR)
		*why = "bad EC private scalar";
	else {
		memcpy(k->d + ECKEY_P256_SCALAR - ec->xlen, ec->x, ec->xlen);
		r = check_scalar(k, 0);
		if (r < 0)
			*why = "bad EC private scalar";
	}
	secure_zero(&dc, sizeof(dc));
	return r;
}

/* string "ecdsa-sha2-nistp256", string "nistp256", string Q: the public
 * blob, and the same fields at the start of the private section. */
static int get_p256_pub(struct buf *b, uint8_t q[ECKEY_P256_POINT])
{
	char name[32];
	const uint8_t *p;
	size_t n;
	if (buf_get_cstring_into(b, name, sizeof(name)) || strcmp(name, P256_NAME) != 0)
		return -1;
	if (buf_get_cstring_into(b, name, sizeof(name)) || strcmp(name, "nistp256") != 0)
		return -1;
	if (buf_get_string_view(b, &p, &n, ECKEY_P256_POINT) || n != ECKEY_P256_POINT || p[0] != 4)
		return -1;
	memcpy(q, p, n);
	return 0;
}

/* The private section after the check integers: key fields, mpint d,
 * comment, padding. */
static int parse_openssh_private(struct buf *priv, struct eckey_p256 *k)
{
	uint8_t q[ECKEY_P256_POINT];
	const uint8_t *p;
	size_t n;
	if (get_p256_pub(priv, q) || sodium_memcmp(q, k->q, sizeof(q)) != 0)
		return -1;
	/* mpint: positive, at most 32 bytes once its leading zero is gone */
	if (buf_get_mpint_unsigned_view(priv, &p, &n, ECKEY_P256_SCALAR + 1))
		return -1;
	while (n > 0 && p[0] == 0) {
		p++;
		n--;
	}
	if (n == 0 || n > ECKEY_P256_SCALAR)
		return -1;
	memcpy(k->d + ECKEY_P256_SCALAR - n, p, n);
	if (keyfile_openssh_close(priv, k->comment, sizeof(k->comment)))
		return -1;
	return check_scalar(k, 1);
}

static int parse_openssh(const uint8_t *bin, size_t len, struct eckey_p256 *k, const char **why)
{
	struct buf priv, pub;
	if (keyfile_openssh_open(bin, len, &pub, &priv, why))
		return -1;
	if (get_p256_pub(&pub, k->q) || buf_avail(&pub) != 0) {
		*why = "not an ecdsa-sha2-nistp256 key";
		return -1;
	}
	*why = "malformed OpenSSH private key";
	return parse_openssh_private(&priv, k);
}

int eckey_p256_parse(const char *text, size_t len, struct eckey_p256 *k, char *why, size_t whylen)
{
	uint8_t bin[ECKEY_MAX_TEXT];
	size_t binlen = 0;
	const char *reason = "not an OpenSSH, SEC1 or PKCS#8 private key";
	int r = -1;
	memset(k, 0, sizeof(*k));
	static const char *const der[4] = {SEC1_BEGIN, SEC1_END, PKCS8_BEGIN, PKCS8_END};
	int kind = keyfile_decode(text, len, ECKEY_MAX_TEXT, der, bin, sizeof(bin), &binlen, &reason);
	if (kind == KEYFILE_OPENSSH)
		r = parse_openssh(bin, binlen, k, &reason);
	else if (kind == KEYFILE_DER)
		r = parse_der(bin, binlen, k, &reason);
	secure_zero(bin, sizeof(bin));
	if (r < 0) {
		eckey_p256_wipe(k);
		snprintf(why, whylen, "%s", reason);
	}
	return r;
}

int eckey_p256_generate(struct eckey_p256 *k)
{
	br_hmac_drbg_context rng;
	uint8_t seed[48];
	br_ec_private_key sk;
	uint8_t kbuf[BR_EC_KBUF_PRIV_MAX_SIZE];
	memset(k, 0, sizeof(*k));
	crypto_random(seed, sizeof(seed));
	br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed));
	size_t n = br_ec_keygen(&rng.vtable, br_ec_get_default(), &sk, kbuf, BR_EC_secp256r1);
	int r = -1;
	if (n > 0 && n <= ECKEY_P256_SCALAR) {
		memcpy(k->d + ECKEY_P256_SCALAR - n, kbuf, n);
		r = check_scalar(k, 0);
	}
	secure_zero(seed, sizeof(seed));
	secure_zero(kbuf, sizeof(kbuf));
	secure_zero(&rng, sizeof(rng));
	if (r < 0)
		eckey_p256_wipe(k);
	return r;
}

int eckey_p256_put_public(const struct eckey_p256 *k, struct buf *out)
{
	int r = buf_put_cstring(out, P256_NAME);
	r = r ? r : buf_put_cstring(out, "nistp256");
	return r ? r : buf_put_string(out, k->q, sizeof(k->q));
}

int eckey_p256_put_private(const struct eckey_p256 *k, struct buf *out)
{
	int r = eckey_p256_put_public(k, out);
	return r ? r : buf_put_mpint_unsigned(out, k->d, sizeof(k->d));
}

int eckey_p256_sign(const struct eckey_p256 *k, const uint8_t *data, size_t len, struct buf *out)
{
	uint8_t h[32], raw[2 * ECKEY_P256_SCALAR];
	br_ec_private_key sk = {BR_EC_secp256r1, (unsigned char *)k->d, sizeof(k->d)};
	struct buf inner;
	hash_once(HASH_SHA256, data, len, h);
	/* BearSSL derives the nonce from the key and hash (RFC 6979). */
	size_t n = br_ecdsa_sign_raw_get_default()(br_ec_get_default(), &br_sha256_vtable, h, &sk, raw);
	if (n != sizeof(raw))
		return -1;
	/* RFC 5656 s3.1.2: string alg, string (mpint r, mpint s) */
	buf_init(&inner, 128);
	int r = buf_put_mpint_unsigned(&inner, raw, ECKEY_P256_SCALAR);
	r = r ? r : buf_put_mpint_unsigned(&inner, raw + ECKEY_P256_SCALAR, ECKEY_P256_SCALAR);
	r = r ? r : buf_put_cstring(out, P256_NAME);
	r = r ? r : buf_put_buf(out, &inner);
	buf_free(&inner);
	return r ? -1 : 0;
}
