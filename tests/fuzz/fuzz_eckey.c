/* Host private key files: ECDSA nistp256 (eckey_p256_parse) and RSA
 * (rsakey_parse) on the same input, the whole file's text (OpenSSH, SEC1 /
 * PKCS#1 or PKCS#8 PEM). Seeds: keys made by ssh-keygen (-t ecdsa and -t
 * rsa; -m PEM; -m PKCS8; other curves; ed25519). A loaded ECDSA key's point
 * must be d*G and a loaded RSA key must pass its sign-and-verify self-test,
 * which the parsers check themselves. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eckey.h"
#include "rsakey.h"
#include "fuzzutil.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eckey_p256 k;
	char why[128];
	fz_mute();
	if (eckey_p256_parse((const char *)data, size, &k, why, sizeof(why)) == 0 && k.q[0] != 4)
		abort(); /* a loaded key always has an uncompressed point */
	eckey_p256_wipe(&k);
	static struct rsakey rk;
	if (rsakey_parse((const char *)data, size, &rk, why, sizeof(why)) == 0 &&
	    (rk.bits < RSAKEY_MIN_BITS || rk.bits > RSAKEY_MAX_BITS || rk.n_len != (rk.bits + 7) / 8))
		abort(); /* a loaded key is within the size limits */
	rsakey_wipe(&rk);
	fz_unmute();
	return 0;
}
