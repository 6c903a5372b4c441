/* Algorithm lists (Ciphers, MACs, KexAlgorithms, HostKeyAlgorithms,
 * PubkeyAcceptedAlgorithms): OpenSSH's +list / -list / ^list / list
 * syntax with wildcards, resolved against what sshbox implements. */
#include <stdlib.h>
#include <string.h>

#include "cipher.h"
#include "internal.h"
#include "kex.h"
#include "hostkey.h"
#include "keys.h"
#include "log.h"

static int name_in_list(const char *name, size_t nlen, const char *list)
{
	const char *c = list, *item;
	size_t l;
	while (commalist_next(&c, &item, &l))
		if (l == nlen && strncmp(item, name, l) == 0)
			return 1;
	return 0;
}

/* Appends `name` (len) to a comma list in out (cap), no duplicates. */
static int list_append(char *out, size_t cap, const char *name, size_t len)
{
	if (name_in_list(name, len, out))
		return 0;
	size_t o = strlen(out);
	if (o + len + 2 > cap)
		return -1;
	if (o)
		out[o++] = ',';
	memcpy(out + o, name, len);
	out[o + len] = '\0';
	return 0;
}

/* Algorithm names OpenSSH knows but sshbox does not implement: in a list
 * they are dropped with a warning instead of failing the whole config
 * (hardened configs often list e.g. aes192-ctr or umac-128-etm). */
static const char KNOWN_CIPHERS[] =
    "3des-cbc,aes128-cbc,aes192-cbc,aes256-cbc,aes192-ctr,rijndael-cbc@lysator.liu.se";
static const char KNOWN_MACS[] =
    "hmac-sha1,hmac-sha1-96,hmac-md5,hmac-md5-96,umac-64@openssh.com,umac-128@openssh.com,"
    "hmac-sha1-etm@openssh.com,hmac-sha1-96-etm@openssh.com,hmac-md5-etm@openssh.com,"
    "hmac-md5-96-etm@openssh.com,umac-64-etm@openssh.com,umac-128-etm@openssh.com";
static const char KNOWN_KEX[] =
    "diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group14-sha256,"
    "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,"
    "diffie-hellman-group-exchange-sha256,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
    "mlkem768x25519-sha256";
static const char KNOWN_KEYS[] =
    "ssh-ed25519,sk-ssh-ed25519@openssh.com,rsa-sha2-512,rsa-sha2-256,ssh-rsa,ssh-dss,ecdsa-sha2-nistp256,"
    "ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ecdsa-sha2-nistp256@openssh.com,"
    "ssh-ed25519-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,"
    "rsa-sha2-256-cert-v01@openssh.com,ssh-rsa-cert-v01@openssh.com,ssh-dss-cert-v01@openssh.com,"
    "ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,"
    "ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com";

static void algs_warn(const struct pctx *p, const char *name)
{
	if (!p->quiet)
		log_warn("%s line %d: algorithm %s is not supported by sshbox; ignored", p->file, p->lineno,
			 name);
}

/* Does the pattern match a name of the comma list `supported`? */
static int matches_supported(const char *pat, const char *supported)
{
	const char *s = supported, *item;
	size_t sl;
	char nm[256];
	while (commalist_next(&s, &item, &sl))
		if (commalist_copy(nm, sizeof(nm), item, sl) == 0 && match_pattern(nm, pat))
			return 1;
	return 0;
}

/* Appends to out (cap) every name of `supported` the pattern matches, in
 * supported's order, except (removed != NULL: a "-list") the names that
 * list matches. */
static int append_supported(char *out, size_t cap, const char *pat, const char *supported,
			    const char *removed)
{
	const char *s = supported, *item;
	size_t sl;
	char nm[256];
	while (commalist_next(&s, &item, &sl)) {
		if (commalist_copy(nm, sizeof(nm), item, sl) < 0 || !match_pattern(nm, pat))
			continue;
		if (removed && match_pattern_list(nm, removed, 0) == 1)
			continue;
		if (list_append(out, cap, nm, sl) < 0)
			return -1;
	}
	return 0;
}

/* Resolves an OpenSSH algorithm spec (+list, -list, ^list or list, each
 * entry possibly a wildcard pattern) against the default/supported list.
 * Returns a malloc'd list, or NULL if an entry matches nothing supported
 * nor `known` (bad), or the result is empty. */
static char *algs_resolve(const struct pctx *p, const char *spec, const char *defaults, const char *supported,
			  const char *known)
{
	char out[2048] = "";
	char pat[256];
	const char *list = spec;
	char mode = 0;
	if (*spec == '+' || *spec == '-' || *spec == '^') {
		mode = *spec;
		list = spec + 1;
	}
	if (!*list)
		return NULL;
	/* every entry must match something supported */
	const char *c = list, *item;
	size_t l;
	while (commalist_next(&c, &item, &l)) {
		if (l == 0 || commalist_copy(pat, sizeof(pat), item, l) < 0)
			return NULL;
		if (!matches_supported(pat, supported) && mode != '-') {
			if (!name_in_list(pat, strlen(pat), known))
				return NULL;
			algs_warn(p, pat);
		}
	}
	/* assemble */
	const char *first = NULL, *second = NULL;
	if (mode == '+') {
		first = defaults;
		second = list;
	} else if (mode == '^') {
		first = list;
		second = defaults;
	} else if (mode == '-') {
		first = defaults;
	} else {
		first = list;
	}
	for (int pass = 0; pass < 2; pass++) {
		const char *src = pass == 0 ? first : second;
		c = src;
		/* expand patterns against the supported list, in its order */
		while (commalist_next(&c, &item, &l))
			if (l && commalist_copy(pat, sizeof(pat), item, l) == 0 &&
			    append_supported(out, sizeof(out), pat, supported, mode == '-' ? list : NULL) < 0)
				return NULL;
	}
	if (!out[0])
		return NULL;
	return strdup(out);
}

const struct cfg_algs cfg_algs_ciphers = {CIPHER_NAMES_DEFAULT, CIPHER_NAMES_DEFAULT, KNOWN_CIPHERS,
					  "Bad SSH2 cipher spec"};
const struct cfg_algs cfg_algs_macs = {MAC_NAMES_OFFERED, MAC_NAMES_DEFAULT, KNOWN_MACS, "Bad SSH2 mac spec"};
const struct cfg_algs cfg_algs_kex = {KEX_NAMES_SUPPORTED, KEX_NAMES_SUPPORTED, KNOWN_KEX,
				      "Bad SSH2 KexAlgorithms"};
const struct cfg_algs cfg_algs_hostkey = {HOSTKEY_ALGS, HOSTKEY_ALGS, KNOWN_KEYS, "Bad key types"};
const struct cfg_algs cfg_algs_pubkey = {PUBKEY_ALGS, PUBKEY_ALGS, KNOWN_KEYS, "Bad key types"};

/* The first value given wins (as in OpenSSH); a bad list is an error with
 * the keyword's own message. */
int parse_algorithms(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
		     char **argv, int argc)
{
	const struct cfg_algs *a = k->arg;
	char **field = CFG_FIELD(c, k, char *);
	char *r = algs_resolve(p, argv[0], a->defaults, a->supported, a->known);
	if (!r)
		return perr(p, "%s '%s'.", a->what, argv[0]);
	if (!*field)
		*field = r;
	else
		free(r);
	return 0;
}
