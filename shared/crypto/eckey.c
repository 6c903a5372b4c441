/* eckey: ECDSA nistp256 private key loader. See eckey.h. */
#include "eckey.h"

#include <bearssl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "util.h"

#define OPENSSH_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define OPENSSH_END "-----END OPENSSH PRIVATE KEY-----"
#define SEC1_BEGIN "-----BEGIN EC PRIVATE KEY-----"
#define SEC1_END "-----END EC PRIVATE KEY-----"
#define PKCS8_BEGIN "-----BEGIN PRIVATE KEY-----"
#define PKCS8_END "-----END PRIVATE KEY-----"
#define OPENSSH_MAGIC "openssh-key-v1" /* with its NUL */
#define P256_NAME "ecdsa-sha2-nistp256"

void eckey_p256_wipe(struct eckey_p256 *k)
{
	secure_zero(k, sizeof(*k));
}

/* The base64 between begin and end markers, decoded into bin (cap bytes). */
static int pem_body(const char *text, size_t len, const char *begin, const char *end, uint8_t *bin,
		    size_t cap, size_t *binlen)
{
	const char *b = memmem(text, len, begin, strlen(begin));
	if (!b)
		return -1;
	b += strlen(begin);
	const char *e = memmem(b, len - (size_t)(b - text), end, strlen(end));
	if (!e)
		return -1;
	return sodium_base642bin(bin, cap, b, (size_t)(e - b), " \t\r\n", binlen, NULL,
				 sodium_base64_VARIANT_ORIGINAL);
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

/* The private section: check ints, key fields, mpint d, comment, padding. */
static int parse_openssh_private(struct buf *priv, struct eckey_p256 *k)
{
	uint32_t c1, c2;
	uint8_t q[ECKEY_P256_POINT];
	const uint8_t *p;
	size_t n;
	if (buf_get_u32(priv, &c1) || buf_get_u32(priv, &c2) || c1 != c2 || get_p256_pub(priv, q) ||
	    sodium_memcmp(q, k->q, sizeof(q)) != 0)
		return -1;
	/* mpint: positive, at most one leading zero byte before 32 bytes */
	if (buf_get_mpint_unsigned_view(priv, &p, &n, ECKEY_P256_SCALAR + 1))
		return -1;
	while (n > 0 && p[0] == 0) {
		p++;
		n--;
	}
	if (n == 0 || n > ECKEY_P256_SCALAR)
		return -1;
	memcpy(k->d + ECKEY_P256_SCALAR - n, p, n);
	if (buf_get_string_view(priv, &p, &n, 4096))
		return -1;
	memcpy(k->comment, p, n < sizeof(k->comment) - 1 ? n : sizeof(k->comment) - 1);
	for (uint8_t i = 1; buf_avail(priv) > 0; i++) {
		uint8_t pad;
		if (buf_get_u8(priv, &pad) || pad != i || i > 8)
			return -1;
	}
	return check_scalar(k, 1);
}

static int parse_openssh(const uint8_t *bin, size_t len, struct eckey_p256 *k, const char **why)
{
	struct buf b, priv, pub;
	char name[32];
	const uint8_t *p;
	size_t n;
	uint32_t nkeys;
	buf_view(&b, bin, len);
	*why = "malformed OpenSSH private key";
	if (buf_get(&b, name, sizeof(OPENSSH_MAGIC)) ||
	    memcmp(name, OPENSSH_MAGIC, sizeof(OPENSSH_MAGIC)) != 0)
		return -1;
	if (buf_get_cstring_into(&b, name, sizeof(name)) || strcmp(name, "none") != 0 ||
	    buf_get_cstring_into(&b, name, sizeof(name)) || strcmp(name, "none") != 0) {
		*why = "encrypted private key; host keys must be unencrypted";
		return -1;
	}
	if (buf_get_string_view(&b, &p, &n, 1024) || buf_get_u32(&b, &nkeys) || nkeys != 1)
		return -1;
	if (buf_get_string_buf(&b, &pub, 1024))
		return -1;
	if (get_p256_pub(&pub, k->q) || buf_avail(&pub) != 0) {
		*why = "not an ecdsa-sha2-nistp256 key";
		return -1;
	}
	if (buf_get_string_buf(&b, &priv, ECKEY_MAX_TEXT) || buf_avail(&b) != 0)
		return -1;
	return parse_openssh_private(&priv, k);
}

int eckey_p256_parse(const char *text, size_t len, struct eckey_p256 *k, char *why, size_t whylen)
{
	uint8_t bin[ECKEY_MAX_TEXT];
	size_t binlen = 0;
	const char *reason = "not an OpenSSH, SEC1 or PKCS#8 private key";
	int r = -1;
	memset(k, 0, sizeof(*k));
	if (len > ECKEY_MAX_TEXT)
		reason = "private key file too large";
	else if (memmem(text, len, "ENCRYPTED", 9))
		reason = "encrypted private key; host keys must be unencrypted";
	else if (pem_body(text, len, OPENSSH_BEGIN, OPENSSH_END, bin, sizeof(bin), &binlen) == 0)
		r = parse_openssh(bin, binlen, k, &reason);
	else if (pem_body(text, len, SEC1_BEGIN, SEC1_END, bin, sizeof(bin), &binlen) == 0 ||
		 pem_body(text, len, PKCS8_BEGIN, PKCS8_END, bin, sizeof(bin), &binlen) == 0)
		r = parse_der(bin, binlen, k, &reason);
	secure_zero(bin, sizeof(bin));
	if (r < 0) {
		eckey_p256_wipe(k);
		snprintf(why, whylen, "%s", reason);
	}
	return r;
}
