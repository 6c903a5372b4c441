/* Public key blobs and signature blobs, as a client sends them in a
 * publickey userauth request. Input: string blob, string signature,
 * byte allow_no_touch, then the signed data (the rest). The blob goes
 * through pubkey_parse; a parsed key is re-encoded, parsed again and must
 * be the same key, and the signature blob is checked against it with
 * pubkey_verify (which parses the algorithm name, the signature and the
 * sk fields; RSA and ECDSA signatures are decoded for BearSSL). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzzutil.h"
#include "keys.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf in;
	const uint8_t *blob, *sig;
	size_t bloblen, siglen;
	uint8_t touch = 0;
	buf_view(&in, data, size);
	if (buf_get_string_view(&in, &blob, &bloblen, 16384) || buf_get_string_view(&in, &sig, &siglen, 16384))
		return 0;
	(void)buf_get_u8(&in, &touch);
	fz_mute();
	struct pubkey k;
	char fp[64];
	pubkey_fingerprint(blob, bloblen, fp);
	if (pubkey_parse(blob, bloblen, &k) == 0) {
		struct buf enc;
		if (buf_init(&enc, 1 << 16) != BUF_OK)
			abort();
		if (pubkey_to_blob(&k, &enc) != BUF_OK)
			abort();
		struct pubkey k2;
		if (pubkey_parse(buf_rptr(&enc), buf_avail(&enc), &k2) != 0 || !pubkey_equal(&k, &k2))
			abort(); /* what we encode we must read back as the same key */
		pubkey_free(&k2);
		buf_free(&enc);
		(void)key_type_name(k.type);
		(void)pubkey_sig_alg_ok(&k, "rsa-sha2-256");
		(void)pubkey_verify(&k, sig, siglen, buf_rptr(&in), buf_avail(&in), touch & 1);
		pubkey_free(&k);
	}
	fz_unmute();
	return 0;
}
