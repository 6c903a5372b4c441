/* RevokedKeys files: the input is parsed as a binary OpenSSH KRL and as a
 * plain list of public keys; whatever parses is asked about a certificate
 * (ssh-keygen-made, from tests/unit/t_certs.h) and its key, which walks the
 * serial ranges, key ids and hash tables. Seeds: KRLs made by ssh-keygen
 * -k (by serial, range, key id, explicit key, CA key, SHA1/SHA256 hash). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzzutil.h"
#include "krl.h"
#include "t_certs.h"

static struct cert fz_cert;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char why[128];
	fz_init();
	if (parse_b64(ED_CERT, &fz_cert, why, sizeof(why)) != 0)
		abort();
	return 0;
}

static void ask(struct krl *k)
{
	(void)krl_cert_revoked(k, &fz_cert);
	(void)krl_key_revoked(k, &fz_cert.key);
	(void)krl_entries(k);
	krl_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct krl *k;
	char why[128];
	fz_mute();
	if (krl_parse(data, size, &k, why, sizeof(why)) == 0)
		ask(k);
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (krl_parse_keylist(text, size, &k, why, sizeof(why)) == 0)
		ask(k);
	free(text);
	fz_unmute();
	return 0;
}
