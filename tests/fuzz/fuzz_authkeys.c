/* authorized_keys: one line (options, key type, base64 blob, comment)
 * through authkeys_parse_line under three PermitUserEnvironment policies;
 * a from= list it yields is evaluated the way authkeys_check_file does
 * (address list with CIDRs, then host patterns), and a decoded blob goes
 * through pubkey_parse and the fingerprint. Input: first byte selects the
 * policy, the rest is the line (cut at the first NUL or newline, as the
 * file reader hands out lines). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authkeys.h"
#include "fuzzutil.h"
#include "keys.h"
#include "sshd_config.h"

static struct sshd_config cfgs[3];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const texts[3] = {
		"PermitUserEnvironment no\n",
		"PermitUserEnvironment yes\n",
		"PermitUserEnvironment LANG,LC_*,FOO?,!BAD*\n",
	};
	char err[256];
	fz_init();
	setenv("HOME", "/nonexistent-fuzz-home", 1);
	for (int i = 0; i < 3; i++) {
		sshd_config_init(&cfgs[i]);
		if (sshd_config_load_string(&cfgs[i], "fuzz", texts[i], err, sizeof(err)) < 0 ||
		    sshd_config_finalize(&cfgs[i], err, sizeof(err)) < 0)
			abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > AUTHKEYS_MAX_LINE)
		return 0;
	const struct sshd_config *cfg = &cfgs[data[0] % 3];
	size_t n = 0;
	while (1 + n < size && data[1 + n] != '\n' && data[1 + n] != '\0')
		n++;
	char *line = fz_strdup(data + 1, n);
	fz_mute();

	struct authkeys_opts o;
	authkeys_opts_init(&o);
	char *keytype = NULL, *from = NULL;
	uint8_t *blob = NULL;
	size_t bloblen = 0;
	char why[256];
	int r = authkeys_parse_line(line, cfg, &o, &keytype, &blob, &bloblen, &from, why, sizeof(why));
	if (r == 0) {
		if (from) {
			static const char *const addrs[] = {"192.0.2.7", "2001:db8::7", "::ffff:10.1.2.3"};
			for (size_t i = 0; i < 3; i++) {
				(void)match_addr_list(addrs[i], from);
				(void)match_pattern_list("client.example.org", from, 1);
			}
		}
		struct pubkey k;
		memset(&k, 0, sizeof(k));
		if (pubkey_parse(blob, bloblen, &k) == 0)
			pubkey_free(&k);
		char fp[64];
		pubkey_fingerprint(blob, bloblen, fp);
	}
	free(keytype);
	free(blob);
	free(from);
	authkeys_opts_free(&o);
	fz_unmute();
	free(line);
	return 0;
}
