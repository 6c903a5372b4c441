/* rsakey: RSA host key loader, generator and signer. See rsakey.h. */
#include "rsakey.h"

#include <bearssl.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "keyfile.h"
#include "keys.h"
#include "util.h"

#define PKCS1_BEGIN "-----BEGIN RSA PRIVATE KEY-----"
#define PKCS1_END "-----END RSA PRIVATE KEY-----"
#define PKCS8_BEGIN "-----BEGIN PRIVATE KEY-----"
#define PKCS8_END "-----END PRIVATE KEY-----"
#define RSA_NAME "ssh-rsa"
#define I31_WORDS (RSAKEY_P_MAX * 8 / 31 + 3)

/* BearSSL's i31 big integers: exported by libbearssl.a, declared only in
 * its private src/inner.h (BearSSL 0.6, as pinned by build/deps.sh).
 * x[0] holds the encoded bit length, then 31-bit words, least significant
 * first. decode_reduce needs no odd modulus (it only uses muladd_small). */
void br_i31_decode(uint32_t *x, const void *src, size_t len);
void br_i31_decode_reduce(uint32_t *x, const void *src, size_t len, const uint32_t *m);
void br_i31_encode(void *dst, size_t len, const uint32_t *x);

void rsakey_wipe(struct rsakey *k)
{
	secure_zero(k, sizeof(*k));
}

/* Copies a big-endian magnitude without its leading zeros; -1 if it is
 * zero or longer than cap. */
static int put_mag(uint8_t *dst, size_t *dlen, size_t cap, const uint8_t *src, size_t n)
{
	while (n > 0 && src[0] == 0) {
		src++;
		n--;
	}
	if (n == 0 || n > cap)
		return -1;
	memcpy(dst, src, n);
	*dlen = n;
	return 0;
}

static br_rsa_private_key br_private(const struct rsakey *k)
{
	br_rsa_private_key sk = {k->bits,   (unsigned char *)k->p,  k->p_len,  (unsigned char *)k->q,
				 k->q_len,  (unsigned char *)k->dp, k->dp_len, (unsigned char *)k->dq,
				 k->dq_len, (unsigned char *)k->iq, k->iq_len};
	return sk;
}

/* d mod (m - 1) for an odd prime m: a CRT exponent. */
static int crt_exponent(const uint8_t *d, size_t dlen, const uint8_t *m, size_t mlen, uint8_t *out,
			size_t *outlen)
{
	uint32_t mm1[I31_WORDS], x[I31_WORDS];
	uint8_t enc[RSAKEY_P_MAX];
	int r = -1;
	if (mlen > RSAKEY_P_MAX || mlen == 0 || !(m[mlen - 1] & 1))
		return -1;
	br_i31_decode(mm1, m, mlen);
	mm1[1] &= ~(uint32_t)1; /* m odd: m - 1 only clears bit 0 */
	br_i31_decode_reduce(x, d, dlen, mm1);
	br_i31_encode(enc, mlen, x);
	r = put_mag(out, outlen, RSAKEY_P_MAX, enc, mlen);
	secure_zero(mm1, sizeof(mm1));
	secure_zero(x, sizeof(x));
	secure_zero(enc, sizeof(enc));
	return r;
}

static int self_test(const struct rsakey *k);

/* Sets k->e to e (k->e_len too). */
static int set_pubexp(struct rsakey *k, uint32_t e)
{
	uint8_t eb[4];
	store_be32(eb, e);
	return put_mag(k->e, &k->e_len, sizeof(k->e), eb, 4);
}

/* e for a CRT key read from DER (BearSSL's decoder keeps neither n nor
 * e). br_rsa_compute_pubexp cannot be the answer: BearSSL documents that
 * it returns 0 unless both p and q are 3 mod 4, true of every key
 * BearSSL generates but of only a quarter of ssh-keygen's (OpenSSL's)
 * keys, and a test that makes a new key per run saw it fail "at random".
 * So the usual exponents are tried, 65537 first, and the one kept is the
 * one whose public operation undoes a CRT signature (compute_privexp
 * alone would not do: it accepts any e prime to phi, not only the e
 * that dp and dq were made for). 0 when none fits. */
static uint32_t pubexp(struct rsakey *k)
{
	br_rsa_private_key sk = br_private(k);
	const uint32_t candidates[] = {65537, br_rsa_compute_pubexp_get_default()(&sk), 3, 5, 17, 37};
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (candidates[i] >= 3 && (candidates[i] & 1) && set_pubexp(k, candidates[i]) == 0 &&
		    self_test(k) == 0)
			return candidates[i];
	k->e_len = 0;
	return 0;
}

/* n = p*q and the 32-bit e from the CRT key; d too when the caller has none. */
static int complete_public(struct rsakey *k, uint32_t e)
{
	br_rsa_private_key sk = br_private(k);
	uint8_t n[RSAKEY_N_MAX];
	if (k->bits < RSAKEY_MIN_BITS || k->bits > RSAKEY_MAX_BITS)
		return -1;
	size_t nl = br_rsa_compute_modulus_get_default()(NULL, &sk);
	if (nl == 0 || nl > sizeof(n) || br_rsa_compute_modulus_get_default()(n, &sk) != nl)
		return -1;
	if (k->n_len && (k->n_len != nl || !ct_memeq(k->n, n, nl)))
		return -1; /* an OpenSSH file's n must be p*q */
	memcpy(k->n, n, nl);
	k->n_len = nl;
	if (!e)
		e = pubexp(k);
	if (e < 3 || !(e & 1) || set_pubexp(k, e))
		return -1;
	if (k->d_len == 0) {
		size_t dl = br_rsa_compute_privexp_get_default()(k->d, &sk, e);
		if (dl == 0 || dl > sizeof(k->d))
			return -1;
		k->d_len = dl;
	}
	return 0;
}

/* A loaded key must sign what its public key verifies (catches a file
 * whose parts do not belong together). */
static int self_test(const struct rsakey *k)
{
	static const uint8_t msg[] = "sshbox rsa host key self-test";
	struct buf blob, sig;
	struct pubkey pk;
	int r = -1;
	buf_init(&blob, 2048);
	buf_init(&sig, 2048);
	if (rsakey_put_public(k, &blob) == 0 && rsakey_sign(k, 0, msg, sizeof(msg), &sig) == 0 &&
	    pubkey_parse(buf_rptr(&blob), buf_avail(&blob), &pk) == 0) {
		r = pubkey_verify(&pk, buf_rptr(&sig), buf_avail(&sig), msg, sizeof(msg), 0);
		pubkey_free(&pk);
	}
	buf_free(&blob);
	buf_free(&sig);
	return r;
}

/* PKCS#1 or PKCS#8 DER, through BearSSL's decoder. */
static int parse_der(const uint8_t *der, size_t len, struct rsakey *k, const char **why)
{
	br_skey_decoder_context dc;
	br_skey_decoder_init(&dc);
	br_skey_decoder_push(&dc, der, len);
	const br_rsa_private_key *sk = br_skey_decoder_get_rsa(&dc);
	int r = -1;
	*why = "not an RSA private key (bad DER)";
	if (br_skey_decoder_last_error(&dc) == 0 && sk) {
		k->bits = sk->n_bitlen;
		r = put_mag(k->p, &k->p_len, RSAKEY_P_MAX, sk->p, sk->plen) ||
			    put_mag(k->q, &k->q_len, RSAKEY_P_MAX, sk->q, sk->qlen) ||
			    put_mag(k->dp, &k->dp_len, RSAKEY_P_MAX, sk->dp, sk->dplen) ||
			    put_mag(k->dq, &k->dq_len, RSAKEY_P_MAX, sk->dq, sk->dqlen) ||
			    put_mag(k->iq, &k->iq_len, RSAKEY_P_MAX, sk->iq, sk->iqlen) ||
			    complete_public(k, 0)
			? -1
			: 0;
		if (r)
			*why = "unusable RSA private key (2048 to 4096 bits, 32-bit e)";
	}
	secure_zero(&dc, sizeof(dc));
	return r;
}

/* mpint field into dst (cap bytes, no leading zeros). */
static int get_mag(struct buf *b, uint8_t *dst, size_t *dlen, size_t cap)
{
	const uint8_t *p;
	size_t n;
	if (buf_get_mpint_unsigned_view(b, &p, &n, cap + 1))
		return -1;
	return put_mag(dst, dlen, cap, p, n);
}

static int parse_openssh(const uint8_t *bin, size_t len, struct rsakey *k, const char **why)
{
	struct buf priv, pub;
	char name[16];
	uint8_t e[8], n[RSAKEY_N_MAX];
	size_t e_len, n_len;
	if (keyfile_openssh_open(bin, len, &pub, &priv, why))
		return -1;
	if (buf_get_cstring_into(&pub, name, sizeof(name)) || strcmp(name, RSA_NAME) != 0 ||
	    get_mag(&pub, e, &e_len, sizeof(e)) || get_mag(&pub, n, &n_len, sizeof(n)) || buf_avail(&pub)) {
		*why = "not an ssh-rsa key (or e over 64 bits, n over 4096 bits)";
		return -1;
	}
	*why = "malformed OpenSSH private key";
	if (buf_get_cstring_into(&priv, name, sizeof(name)) || strcmp(name, RSA_NAME) != 0 ||
	    get_mag(&priv, k->n, &k->n_len, sizeof(k->n)) || get_mag(&priv, k->e, &k->e_len, sizeof(k->e)) ||
	    get_mag(&priv, k->d, &k->d_len, sizeof(k->d)) ||
	    get_mag(&priv, k->iq, &k->iq_len, RSAKEY_P_MAX) ||
	    get_mag(&priv, k->p, &k->p_len, RSAKEY_P_MAX) || get_mag(&priv, k->q, &k->q_len, RSAKEY_P_MAX) ||
	    keyfile_openssh_close(&priv, k->comment, sizeof(k->comment)))
		return -1;
	if (n_len != k->n_len || !ct_memeq(n, k->n, n_len) || e_len != k->e_len || !ct_memeq(e, k->e, e_len))
		return -1; /* the public blob is another key */
	uint8_t eb[4] = {0};
	memcpy(eb + 4 - k->e_len, k->e, k->e_len);
	k->bits = 0;
	for (uint32_t top = k->n[0]; top; top >>= 1)
		k->bits++;
	k->bits += (uint32_t)(k->n_len - 1) * 8;
	*why = "unusable RSA private key (2048 to 4096 bits, 32-bit e)";
	if (crt_exponent(k->d, k->d_len, k->p, k->p_len, k->dp, &k->dp_len) ||
	    crt_exponent(k->d, k->d_len, k->q, k->q_len, k->dq, &k->dq_len) ||
	    complete_public(k, load_be32(eb)))
		return -1;
	return 0;
}

int rsakey_parse(const char *text, size_t len, struct rsakey *k, char *why, size_t whylen)
{
	uint8_t bin[RSAKEY_MAX_TEXT];
	size_t binlen = 0;
	const char *reason = "not an OpenSSH, PKCS#1 or PKCS#8 RSA private key";
	int r = -1;
	memset(k, 0, sizeof(*k));
	static const char *const der[4] = {PKCS1_BEGIN, PKCS1_END, PKCS8_BEGIN, PKCS8_END};
	int kind = keyfile_decode(text, len, RSAKEY_MAX_TEXT, der, bin, sizeof(bin), &binlen, &reason);
	if (kind == KEYFILE_OPENSSH)
		r = parse_openssh(bin, binlen, k, &reason);
	else if (kind == KEYFILE_DER)
		r = parse_der(bin, binlen, k, &reason);
	if (r == 0 && self_test(k) != 0) {
		reason = "RSA private key fails its signature self-test";
		r = -1;
	}
	secure_zero(bin, sizeof(bin));
	if (r < 0) {
		rsakey_wipe(k);
		snprintf(why, whylen, "%s", reason);
	}
	return r;
}

int rsakey_generate(struct rsakey *k, unsigned bits)
{
	br_hmac_drbg_context rng;
	uint8_t seed[48];
	uint8_t kbuf[BR_RSA_KBUF_PRIV_SIZE(RSAKEY_MAX_BITS)];
	br_rsa_private_key sk;
	int r = -1;
	memset(k, 0, sizeof(*k));
	if (bits < RSAKEY_MIN_BITS || bits > RSAKEY_MAX_BITS)
		return -1;
	crypto_random(seed, sizeof(seed));
	br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed));
	if (br_rsa_keygen_get_default()(&rng.vtable, &sk, kbuf, NULL, NULL, bits, 65537)) {
		k->bits = sk.n_bitlen;
		r = put_mag(k->p, &k->p_len, RSAKEY_P_MAX, sk.p, sk.plen) ||
			    put_mag(k->q, &k->q_len, RSAKEY_P_MAX, sk.q, sk.qlen) ||
			    put_mag(k->dp, &k->dp_len, RSAKEY_P_MAX, sk.dp, sk.dplen) ||
			    put_mag(k->dq, &k->dq_len, RSAKEY_P_MAX, sk.dq, sk.dqlen) ||
			    put_mag(k->iq, &k->iq_len, RSAKEY_P_MAX, sk.iq, sk.iqlen) ||
			    complete_public(k, 65537) || self_test(k)
			? -1
			: 0;
	}
	secure_zero(seed, sizeof(seed));
	secure_zero(kbuf, sizeof(kbuf));
	secure_zero(&rng, sizeof(rng));
	if (r)
		rsakey_wipe(k);
	return r;
}

int rsakey_put_public(const struct rsakey *k, struct buf *out)
{
	int r = buf_put_cstring(out, RSA_NAME);
	r = r ? r : buf_put_mpint_unsigned(out, k->e, k->e_len);
	return r ? r : buf_put_mpint_unsigned(out, k->n, k->n_len);
}

int rsakey_put_private(const struct rsakey *k, struct buf *out)
{
	if (k->d_len == 0)
		return -1;
	int r = buf_put_cstring(out, RSA_NAME);
	r = r ? r : buf_put_mpint_unsigned(out, k->n, k->n_len);
	r = r ? r : buf_put_mpint_unsigned(out, k->e, k->e_len);
	r = r ? r : buf_put_mpint_unsigned(out, k->d, k->d_len);
	r = r ? r : buf_put_mpint_unsigned(out, k->iq, k->iq_len);
	r = r ? r : buf_put_mpint_unsigned(out, k->p, k->p_len);
	return r ? r : buf_put_mpint_unsigned(out, k->q, k->q_len);
}

int rsakey_sign(const struct rsakey *k, int sha512, const uint8_t *data, size_t len, struct buf *out)
{
	uint8_t h[64], sig[RSAKEY_N_MAX];
	size_t hlen = sha512 ? 64 : 32, slen = (k->bits + 7) / 8;
	br_rsa_private_key sk = br_private(k);
	if (slen == 0 || slen > sizeof(sig))
		return -1;
	hash_once(sha512 ? HASH_SHA512 : HASH_SHA256, data, len, h);
	const unsigned char *oid = sha512 ? BR_HASH_OID_SHA512 : BR_HASH_OID_SHA256;
	if (!br_rsa_pkcs1_sign_get_default()(oid, h, hlen, &sk, sig))
		return -1;
	/* RFC 8332 s3: string "rsa-sha2-*", string s (as long as the modulus) */
	int r = buf_put_cstring(out, sha512 ? "rsa-sha2-512" : "rsa-sha2-256");
	r = r ? r : buf_put_string(out, sig, slen);
	return r ? -1 : 0;
}
