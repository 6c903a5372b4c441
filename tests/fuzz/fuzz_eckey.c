/* ECDSA nistp256 private key files (eckey_p256_parse): the whole input is
 * the file's text (OpenSSH, SEC1 or PKCS#8 PEM). Seeds: keys made by
 * ssh-keygen (-t ecdsa; -m PEM; -m PKCS8; other curves; ed25519). A loaded
 * key's point must be d*G, which the parser itself checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eckey.h"
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
	fz_unmute();
	return 0;
}
