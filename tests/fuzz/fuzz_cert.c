/* OpenSSH certificate blobs, as a client sends them in a publickey
 * userauth request (or as a host certificate file holds them): the input
 * is the blob itself. cert_parse parses every field, caps every count and
 * checks the CA signature; a parsed certificate then goes through the
 * common checks and the options it grants. Seeds: certificates made by
 * ssh-keygen -s (ed25519/ecdsa/rsa keys and CAs, user and host, with
 * principals, options, an unknown critical option, a SHA-1 CA signature). */
#include <stdint.h>
#include <stdlib.h>

#include "cert.h"
#include "certauth.h"
#include "fuzzutil.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cert c;
	char why[128], plain[64], fp[64];
	fz_mute();
	if (cert_parse(data, size, &c, why, sizeof(why)) == 0) {
		const char *w;
		struct authkeys_opts o;
		(void)cert_check_authority(&c, CERT_TYPE_USER, 1735689600ull, "alice", &w);
		(void)cert_alg_ok(&c, "rsa-sha2-512-cert-v01@openssh.com", plain, sizeof(plain));
		cert_key_fingerprint(&c, fp);
		cert_ca_fingerprint(&c, fp);
		if (certauth_cert_opts(&c, &o, &w) == 0)
			authkeys_opts_free(&o);
		if (c.source_address)
			(void)certauth_source_ok(c.source_address, "127.0.0.1");
		cert_free(&c);
	}
	fz_unmute();
	return 0;
}
