/* Pattern and address matching fed by client-chosen names (user names,
 * host names, forwarding destinations) against configured lists:
 * match_pattern / match_pattern_list / match_addr_list (CIDR) /
 * match_user_pattern, sshd_expand_tokens, and the forwarding policy
 * helpers (fwd_split_hostport, PermitOpen / PermitListen lists,
 * fwd_bind_address).
 *
 * Input: NUL-separated strings: subject \0 pattern-or-list \0 address \0
 * host:port entries separated by '\n'; a missing part is "". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "fwd.h"
#include "sshd_config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init();
	return 0;
}

static void run(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	size_t n1, n2, n3, n4;
	const uint8_t *a = fz_next_part(&p, end, 0, &n1);
	const uint8_t *b = fz_next_part(&p, end, 0, &n2);
	const uint8_t *c = fz_next_part(&p, end, 0, &n3);
	const uint8_t *d = fz_next_part(&p, end, 0, &n4);
	char *subj = fz_strdup(a, n1), *pat = fz_strdup(b, n2), *addr = fz_strdup(c, n3),
	     *entries = fz_strdup(d, n4);

	(void)match_pattern(subj, pat);
	(void)match_pattern_list(subj, pat, 0);
	(void)match_pattern_list(subj, pat, 1);
	(void)match_addr_list(addr, pat);
	(void)match_addr_list(subj, pat);
	(void)match_user_pattern(subj, "client.example.org", addr, pat);
	char *x = sshd_expand_tokens(pat, subj, "/home/fuzz", 1000);
	free(x);

	/* forwarding: the subject as a client's host:port, the entries as a
	 * PermitOpen / PermitListen list */
	const char *list[32];
	size_t nl = 0;
	char *save = NULL;
	for (char *e = strtok_r(entries, "\n", &save); e && nl < 32; e = strtok_r(NULL, "\n", &save))
		list[nl++] = e;
	char host[256];
	int port;
	for (int bare = 0; bare < 2; bare++) {
		if (fwd_split_hostport(subj, bare, host, sizeof(host), &port) == 0) {
			unsigned up = port < 0 ? 0 : (unsigned)port;
			(void)fwd_permitted_open(list, nl, host, up);
			(void)fwd_permitted_listen(list, nl, host, up);
		}
	}
	(void)fwd_permitted_open(list, nl, addr, 22);
	(void)fwd_permitted_listen(list, nl, addr, 8080);
	for (int g = 0; g < 3; g++)
		(void)fwd_bind_address(g, addr);
	free(subj);
	free(pat);
	free(addr);
	free(entries);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	fz_mute();
	run(data, size);
	fz_unmute();
	return 0;
}
