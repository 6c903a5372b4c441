/* Unit tests for shared/crypto.c: hash known answers (values computed with
 * python3 hashlib), incremental == one-shot, X25519 RFC 7748 6.1 vectors,
 * all-zero shared secret refused. */
#include <stdlib.h>

#include "crypto.h"
#include "t.h"
#include "util.h"

static int eqhex(const uint8_t *p, size_t n, const char *h)
{
	uint8_t tmp[256];
	size_t m = unhex(h, tmp, sizeof(tmp));
	return m == n && memcmp(tmp, p, n) == 0;
}

static const char *kat_abc[3] = {
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
};
static const char *kat_long[3] = {
    "d414b085826eb06778483ba35564dc849e643359f69ed9747878ba6e54985bed",
    "f5943b1fe9e4b5bd3b45c83ef1e748f5e0f095f405a67d11a37016e5e908a4c5033bf084186d1e352db6fdda24dda58c",
    "c93f55ccf2fa8c82699ff9b58afe3591242b135d908a6d865e17e38adb41c21d1d5359e51273036373d54d20b5659cc87e6e7b381ff027d33f971416cc590f90",
};

TEST(hash_kat)
{
	enum hash_alg algs[3] = {HASH_SHA256, HASH_SHA384, HASH_SHA512};
	uint8_t m[1280];
	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)i;
	for (int a = 0; a < 3; a++) {
		uint8_t out[64];
		size_t n = hash_len(algs[a]);
		CHECK_EQ_INT(n, a == 0 ? 32 : a == 1 ? 48 : 64);
		hash_once(algs[a], "abc", 3, out);
		CHECK(eqhex(out, n, kat_abc[a]));
		hash_once(algs[a], m, sizeof(m), out);
		CHECK(eqhex(out, n, kat_long[a]));
		/* incremental in odd pieces */
		struct hash_ctx h;
		hash_init(&h, algs[a]);
		size_t off = 0, step = 1;
		while (off < sizeof(m)) {
			size_t k = step < sizeof(m) - off ? step : sizeof(m) - off;
			hash_update(&h, m + off, k);
			off += k;
			step = step * 3 + 1;
		}
		memset(out, 0, sizeof(out));
		hash_final(&h, out);
		CHECK(eqhex(out, n, kat_long[a]));
	}
}

TEST(random_differs)
{
	uint8_t a[32], b[32];
	crypto_random(a, sizeof(a));
	crypto_random(b, sizeof(b));
	CHECK(memcmp(a, b, 32) != 0);
	crypto_random(a, 0);
}

TEST(x25519_rfc7748)
{
	uint8_t apriv[32], bpriv[32], apub[32], bpub[32], s1[32], s2[32];
	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", apriv, 32);
	unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", bpriv, 32);
	unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", apub, 32);
	unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", bpub, 32);
	CHECK_EQ_INT(x25519_shared(s1, apriv, bpub), 0);
	CHECK_EQ_INT(x25519_shared(s2, bpriv, apub), 0);
	CHECK(eqhex(s1, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"));
	CHECK(memcmp(s1, s2, 32) == 0);
}

TEST(x25519_roundtrip_and_zero)
{
	uint8_t p1[32], k1[32], p2[32], k2[32], s1[32], s2[32];
	x25519_keypair(p1, k1);
	x25519_keypair(p2, k2);
	CHECK_EQ_INT(x25519_shared(s1, k1, p2), 0);
	CHECK_EQ_INT(x25519_shared(s2, k2, p1), 0);
	CHECK(memcmp(s1, s2, 32) == 0);
	uint8_t zero[32] = {0}, one[32] = {1};
	CHECK(x25519_shared(s1, k1, zero) < 0);
	CHECK(x25519_shared(s1, k1, one) < 0);
	CHECK(memcmp(s1, zero, 32) == 0); /* wiped on failure */
}

/* sntrup761: both sides agree; a second encapsulation differs; a changed
 * ciphertext decapsulates to an unrelated key (implicit rejection). */
TEST(sntrup761_roundtrip_and_rejection)
{
	static uint8_t pk[SNTRUP761_PUBLIC_BYTES], sk[SNTRUP761_SECRET_BYTES];
	static uint8_t ct[SNTRUP761_CIPHERTEXT_BYTES], ct2[SNTRUP761_CIPHERTEXT_BYTES];
	uint8_t k_enc[SNTRUP761_SHARED_BYTES], k_dec[SNTRUP761_SHARED_BYTES], k2[SNTRUP761_SHARED_BYTES];
	sntrup761_keypair(pk, sk);
	sntrup761_encap(ct, k_enc, pk);
	sntrup761_decap(k_dec, ct, sk);
	CHECK(memcmp(k_enc, k_dec, sizeof(k_enc)) == 0);
	sntrup761_encap(ct2, k2, pk);
	CHECK(memcmp(ct, ct2, sizeof(ct)) != 0);
	CHECK(memcmp(k_enc, k2, sizeof(k2)) != 0);
	ct[100] ^= 1;
	sntrup761_decap(k_dec, ct, sk);
	CHECK(memcmp(k_enc, k_dec, sizeof(k_enc)) != 0);
	/* a different key pair does not open the ciphertext either */
	static uint8_t pk_b[SNTRUP761_PUBLIC_BYTES], sk_b[SNTRUP761_SECRET_BYTES];
	sntrup761_keypair(pk_b, sk_b);
	sntrup761_decap(k_dec, ct2, sk_b);
	CHECK(memcmp(k2, k_dec, sizeof(k2)) != 0);
	secure_zero(sk, sizeof(sk));
	secure_zero(sk_b, sizeof(sk_b));
}

/* ML-KEM-768: both sides agree; a second encapsulation differs; a
 * tampered ciphertext decapsulates, with no error, to a different key
 * (implicit rejection), as does a ciphertext for another key pair. */
TEST(mlkem768_roundtrip_and_rejection)
{
	static uint8_t pk[MLKEM768_PUBLIC_BYTES], sk[MLKEM768_SECRET_BYTES];
	static uint8_t ct[MLKEM768_CIPHERTEXT_BYTES], ct2[MLKEM768_CIPHERTEXT_BYTES];
	uint8_t k_enc[MLKEM768_SHARED_BYTES], k_dec[MLKEM768_SHARED_BYTES], k2[MLKEM768_SHARED_BYTES];
	mlkem768_keypair(pk, sk);
	CHECK_EQ_INT(mlkem768_encap(ct, k_enc, pk), 0);
	mlkem768_decap(k_dec, ct, sk);
	CHECK(memcmp(k_enc, k_dec, sizeof(k_enc)) == 0);
	CHECK_EQ_INT(mlkem768_encap(ct2, k2, pk), 0);
	CHECK(memcmp(ct, ct2, sizeof(ct)) != 0);
	CHECK(memcmp(k_enc, k2, sizeof(k2)) != 0);
	ct[100] ^= 1;
	mlkem768_decap(k_dec, ct, sk);
	CHECK(memcmp(k_enc, k_dec, sizeof(k_enc)) != 0);
	/* the rejection key is a function of the ciphertext, not noise */
	uint8_t k_again[MLKEM768_SHARED_BYTES];
	mlkem768_decap(k_again, ct, sk);
	CHECK(memcmp(k_dec, k_again, sizeof(k_dec)) == 0);
	static uint8_t pk_b[MLKEM768_PUBLIC_BYTES], sk_b[MLKEM768_SECRET_BYTES];
	mlkem768_keypair(pk_b, sk_b);
	mlkem768_decap(k_dec, ct2, sk_b);
	CHECK(memcmp(k2, k_dec, sizeof(k2)) != 0);
	/* an encapsulation key with a coefficient >= q is refused (FIPS 203 s7.2) */
	pk[0] = 0xff;
	pk[1] |= 0x0f;
	CHECK(mlkem768_encap(ct, k_enc, pk) != 0);
	secure_zero(sk, sizeof(sk));
	secure_zero(sk_b, sizeof(sk_b));
}

int main(void)
{
	if (crypto_init() != 0)
		return 2;
	RUN(hash_kat);
	RUN(random_differs);
	RUN(x25519_roundtrip_and_zero);
	RUN(x25519_rfc7748);
	RUN(sntrup761_roundtrip_and_rejection);
	RUN(mlkem768_roundtrip_and_rejection);
	return t_done();
}
