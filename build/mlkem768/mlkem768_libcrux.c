/* Wrapper that compiles libcrux's ML-KEM-768 (libcrux_mlkem768_sha3.h,
 * taken from Debian trixie's openssh source into the deps prefix's src/ by
 * build/deps.sh; nothing of it is in this repository) into three plain
 * functions, declared in shared/crypto/crypto.h and given their randomness
 * by shared/crypto/crypto.c. Built like sntrup761.c: third-party code,
 * without our warning set. */
/* explicit_bzero */
#define _DEFAULT_SOURCE 1

#include <endian.h> /* le64toh, htole64 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The header's only outside need: its "cannot happen" exit (an internal
 * error in the Rust-extracted code), which OpenSSH maps to fatal(). */
#define fatal_f(...) abort()

#include "libcrux_mlkem768_sha3.h"

#define PK_BYTES 1184
#define SK_BYTES 2400
#define CT_BYTES 1088
#define SS_BYTES 32

_Static_assert(sizeof(((struct libcrux_mlkem768_pk *)0)->value) == PK_BYTES, "ML-KEM-768 public key size");
_Static_assert(sizeof(((struct libcrux_mlkem768_sk *)0)->value) == SK_BYTES, "ML-KEM-768 secret key size");
_Static_assert(sizeof(((struct libcrux_mlkem768_ciphertext *)0)->value) == CT_BYTES,
	       "ML-KEM-768 ciphertext size");

void sshbox_libcrux_mlkem768_keypair(const uint8_t rnd[64], uint8_t pk[PK_BYTES], uint8_t sk[SK_BYTES])
{
	uint8_t seed[LIBCRUX_ML_KEM_KEY_PAIR_PRNG_LEN];
	memcpy(seed, rnd, sizeof(seed));
	struct libcrux_mlkem768_keypair kp = libcrux_ml_kem_mlkem768_portable_generate_key_pair(seed);
	memcpy(pk, kp.pk.value, PK_BYTES);
	memcpy(sk, kp.sk.value, SK_BYTES);
	explicit_bzero(&kp, sizeof(kp));
	explicit_bzero(seed, sizeof(seed));
}

int sshbox_libcrux_mlkem768_encap(const uint8_t rnd[32], const uint8_t pk[PK_BYTES], uint8_t ct[CT_BYTES],
				  uint8_t ss[SS_BYTES])
{
	struct libcrux_mlkem768_pk p;
	uint8_t seed[LIBCRUX_ML_KEM_ENC_PRNG_LEN];
	memcpy(p.value, pk, PK_BYTES);
	/* FIPS 203 s7.2 encapsulation key check (as OpenSSH does). */
	if (!libcrux_ml_kem_mlkem768_portable_validate_public_key(&p))
		return -1;
	memcpy(seed, rnd, sizeof(seed));
	struct libcrux_mlkem768_enc_result enc = libcrux_ml_kem_mlkem768_portable_encapsulate(&p, seed);
	memcpy(ct, enc.fst.value, CT_BYTES);
	memcpy(ss, enc.snd, SS_BYTES);
	explicit_bzero(&enc, sizeof(enc));
	explicit_bzero(seed, sizeof(seed));
	return 0;
}

void sshbox_libcrux_mlkem768_decap(const uint8_t sk[SK_BYTES], const uint8_t ct[CT_BYTES],
				   uint8_t ss[SS_BYTES])
{
	struct libcrux_mlkem768_sk s;
	struct libcrux_mlkem768_ciphertext c;
	memcpy(s.value, sk, SK_BYTES);
	memcpy(c.value, ct, CT_BYTES);
	libcrux_ml_kem_mlkem768_portable_decapsulate(&s, &c, ss);
	explicit_bzero(&s, sizeof(s));
}
