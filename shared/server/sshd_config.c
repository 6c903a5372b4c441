/* sshd_config: parser and evaluator, OpenSSH sshd_config(5) semantics. */
#include "sshd_config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cipher.h"
#include "kex.h"
#include "keys.h"
#include "log.h"
#include "util.h"

#define CFG_MAX_LINE 65536          /* bytes per line */
#define CFG_MAX_FILE (4u << 20)     /* bytes per file */
#define CFG_MAX_ARGS 256
#define CFG_MAX_INCLUDE_DEPTH 16
#define CFG_MAX_FILES 1024          /* files read per load, Include included */
#define CFG_MAX_STORED_LINES 100000
#define CFG_MAX_LIST 4096           /* entries in one accumulated list */

/* A line inside a Match block (or a Match line), kept for replay. */
struct sshd_cfg_line {
	char *file;
	int lineno;
	char *text;
	int is_match;  /* a "Match ..." line */
	long match_idx; /* for ordinary lines: index of the governing Match line */
};

/* ---------------------------------------------------------------- */
/* small helpers */

static void strlist_free(struct strlist *l)
{
	if (!l->v) {
		l->n = 0;
		return;
	}
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Marks a list as explicitly set (possibly empty). */
static int strlist_touch(struct strlist *l)
{
	if (!l->v) {
		l->v = calloc(1, sizeof(char *));
		if (!l->v)
			return -1;
	}
	return 0;
}

static int strlist_add(struct strlist *l, const char *s)
{
	if (l->n >= CFG_MAX_LIST)
		return -1;
	char **nv = realloc(l->v, (l->n + 2) * sizeof(char *));
	if (!nv)
		return -1;
	l->v = nv;
	l->v[l->n] = strdup(s);
	if (!l->v[l->n])
		return -1;
	l->n++;
	l->v[l->n] = NULL;
	return 0;
}

static int strlist_copy(struct strlist *dst, const struct strlist *src)
{
	dst->v = NULL;
	dst->n = 0;
	if (!src->v)
		return 0;
	if (strlist_touch(dst) < 0)
		return -1;
	for (size_t i = 0; i < src->n; i++)
		if (strlist_add(dst, src->v[i]) < 0)
			return -1;
	return 0;
}

static char *dupn(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---------------------------------------------------------------- */
/* patterns */

int match_pattern(const char *s, const char *p)
{
	/* Iterative glob with single-star backtracking: linear in practice,
	 * never exponential on hostile patterns. */
	const char *star = NULL, *ss = NULL;
	while (*s) {
		if (*p == '*') {
			star = p++;
			ss = s;
		} else if (*p == '?' || *p == *s) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++ss;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

int match_pattern_list(const char *s, const char *list, int dolower)
{
	if (!s || !list)
		return 0;
	char lower[1024];
	if (dolower) {
		size_t n = strlen(s);
		if (n >= sizeof(lower))
			return 0;
		for (size_t i = 0; i <= n; i++)
			lower[i] = (char)tolower((unsigned char)s[i]);
		s = lower;
	}
	int got = 0;
	const char *cur = list;
	while (*cur) {
		const char *end = strchr(cur, ',');
		size_t len = end ? (size_t)(end - cur) : strlen(cur);
		int neg = 0;
		const char *q = cur;
		if (len > 0 && *q == '!') {
			neg = 1;
			q++;
			len--;
		}
		char pat[1024];
		if (len < sizeof(pat)) {
			for (size_t i = 0; i < len; i++)
				pat[i] = dolower ? (char)tolower((unsigned char)q[i]) : q[i];
			pat[len] = '\0';
			if (len > 0 && match_pattern(s, pat)) {
				if (neg)
					return -1;
				got = 1;
			}
		}
		if (!end)
			break;
		cur = end + 1;
	}
	return got;
}

/* Parses "addr" or "addr/bits" into family, 16 bytes, bits. 0 ok, -1 bad. */
static int parse_cidr(const char *s, int *af, uint8_t a[16], int *bits)
{
	char tmp[128];
	size_t n = strlen(s);
	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n + 1);
	char *slash = strchr(tmp, '/');
	long b = -1;
	if (slash) {
		*slash = '\0';
		if (parse_long(slash + 1, 0, 128, &b) < 0)
			return -1;
	}
	memset(a, 0, 16);
	if (inet_pton(AF_INET, tmp, a) == 1) {
		*af = AF_INET;
		if (b > 32)
			return -1;
		*bits = b < 0 ? 32 : (int)b;
	} else if (inet_pton(AF_INET6, tmp, a) == 1) {
		*af = AF_INET6;
		*bits = b < 0 ? 128 : (int)b;
	} else {
		return -1;
	}
	/* OpenSSH refuses CIDRs with host bits set (e.g. 10.1.2.3/8) */
	int full = *bits / 8, rem = *bits % 8;
	int alen = *af == AF_INET ? 4 : 16;
	for (int i = full; i < alen; i++) {
		uint8_t mask = (i == full && rem) ? (uint8_t)(0xff >> rem) : 0xff;
		if (a[i] & mask)
			return -1;
	}
	return 0;
}

static int addr_in_cidr(const char *addr, const char *cidr, int *bad)
{
	int af1, af2, bits1, bits2;
	uint8_t a[16], net[16];
	*bad = 0;
	if (parse_cidr(cidr, &af2, net, &bits2) < 0) {
		*bad = 1;
		return 0;
	}
	if (parse_cidr(addr, &af1, a, &bits1) < 0)
		return 0;
	/* IPv4-mapped IPv6 client addresses compare as IPv4 */
	if (af1 == AF_INET6 && af2 == AF_INET) {
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(a, mapped, 12) != 0)
			return 0;
		memmove(a, a + 12, 4);
		af1 = AF_INET;
	}
	if (af1 != af2)
		return 0;
	int full = bits2 / 8, rem = bits2 % 8;
	if (memcmp(a, net, (size_t)full) != 0)
		return 0;
	if (rem) {
		uint8_t mask = (uint8_t)(0xff << (8 - rem));
		if ((a[full] & mask) != (net[full] & mask))
			return 0;
	}
	return 1;
}

int match_addr_list(const char *addr, const char *list)
{
	if (!list)
		return 0;
	int got = 0;
	const char *cur = list;
	while (*cur) {
		const char *end = strchr(cur, ',');
		size_t len = end ? (size_t)(end - cur) : strlen(cur);
		char ent[256];
		int neg = 0;
		const char *q = cur;
		if (len > 0 && *q == '!') {
			neg = 1;
			q++;
			len--;
		}
		if (len == 0 || len >= sizeof(ent))
			return -2;
		memcpy(ent, q, len);
		ent[len] = '\0';
		int m = 0;
		if (strchr(ent, '/')) {
			int bad = 0;
			if (addr) {
				m = addr_in_cidr(addr, ent, &bad);
			} else {
				int af, bits;
				uint8_t tmp[16];
				bad = parse_cidr(ent, &af, tmp, &bits) < 0;
			}
			if (bad)
				return -2;
		} else if (addr) {
			m = match_pattern(addr, ent);
		}
		if (m) {
			if (neg)
				return -1;
			got = 1;
		}
		if (!end)
			break;
		cur = end + 1;
	}
	return got;
}

/* Validates a Match Address / from= list without an address. */
static int addr_list_valid(const char *list)
{
	return match_addr_list(NULL, list) != -2;
}

int match_user_pattern(const char *user, const char *host, const char *addr, const char *pattern)
{
	const char *at = strchr(pattern, '@');
	if (!at)
		return user && match_pattern(user, pattern);
	char up[512];
	size_t ulen = (size_t)(at - pattern);
	if (ulen >= sizeof(up))
		return 0;
	memcpy(up, pattern, ulen);
	up[ulen] = '\0';
	if (!user || !match_pattern(user, up))
		return 0;
	const char *hp = at + 1;
	if (host && match_pattern_list(host, hp, 1) == 1)
		return 1;
	if (addr && match_addr_list(addr, hp) == 1)
		return 1;
	return 0;
}

char *sshd_expand_tokens(const char *tmpl, const char *user, const char *home, uid_t uid)
{
	char out[4096];
	size_t o = 0;
	char uidbuf[32];
	snprintf(uidbuf, sizeof(uidbuf), "%lu", (unsigned long)uid);
	for (const char *p = tmpl; *p; p++) {
		const char *add;
		char one[2] = {0, 0};
		if (*p == '%') {
			p++;
			switch (*p) {
			case '%': add = "%"; break;
			case 'h': add = home; break;
			case 'u': add = user; break;
			case 'U': add = uidbuf; break;
			default: return NULL;
			}
			if (!add)
				return NULL;
		} else {
			one[0] = *p;
			add = one;
		}
		size_t n = strlen(add);
		if (o + n >= sizeof(out))
			return NULL;
		memcpy(out + o, add, n);
		o += n;
	}
	out[o] = '\0';
	return strdup(out);
}

/* ---------------------------------------------------------------- */
/* keyword table */

enum kw {
	K_BAD = 0,
	K_PORT, K_LISTENADDRESS, K_ADDRESSFAMILY, K_HOSTKEY, K_DATADIRECTORY, K_LOGLEVEL, K_SYSLOGFACILITY,
	K_CIPHERS, K_MACS, K_KEX, K_HOSTKEYALGS, K_PUBKEYALGS, K_REKEYLIMIT, K_LOGINGRACETIME, K_MAXAUTHTRIES,
	K_MAXSESSIONS, K_MAXSTARTUPS, K_PERSOURCEMAXSTARTUPS, K_PERSOURCENETBLOCKSIZE, K_PERSOURCEPENALTIES, K_PERMITROOTLOGIN, K_PUBKEYAUTH, K_PASSWORDAUTH,
	K_KBDINTAUTH, K_PERMITEMPTYPASSWORDS, K_USEPAM, K_AUTHKEYSFILE, K_STRICTMODES, K_ALLOWUSERS, K_DENYUSERS,
	K_ALLOWGROUPS, K_DENYGROUPS, K_BANNER, K_PRINTMOTD, K_PRINTLASTLOG, K_ACCEPTENV, K_PERMITUSERENV,
	K_PERMITTTY, K_FORCECOMMAND, K_CHROOTDIRECTORY, K_SUBSYSTEM, K_ALLOWTCPFWD, K_ALLOWSTREAMLOCALFWD,
	K_ALLOWAGENTFWD, K_GATEWAYPORTS, K_PERMITOPEN, K_PERMITLISTEN, K_X11FORWARDING, K_CLIENTALIVEINTERVAL,
	K_CLIENTALIVECOUNTMAX, K_TCPKEEPALIVE, K_COMPRESSION, K_USEDNS, K_PIDFILE, K_HELPEREXECMETHOD,
	K_DEBUGSERVICE, K_DEBUGALLOWUSERS, K_DEBUGALLOWGROUPS, K_PAMSERVICENAME, K_INCLUDE, K_MATCH,
	K_DISABLEFORWARDING, K_IGNORED,
};

#define KF_MATCH 1   /* allowed inside Match */

struct kwinfo {
	const char *name;
	enum kw kw;
	int flags;
	const char *only; /* K_IGNORED: the only value accepted (NULL: any) */
};

static const struct kwinfo keywords[] = {
	{"port", K_PORT, 0, NULL},
	{"listenaddress", K_LISTENADDRESS, 0, NULL},
	{"addressfamily", K_ADDRESSFAMILY, 0, NULL},
	{"hostkey", K_HOSTKEY, 0, NULL},
	{"datadirectory", K_DATADIRECTORY, 0, NULL},
	{"loglevel", K_LOGLEVEL, KF_MATCH, NULL},
	{"syslogfacility", K_SYSLOGFACILITY, 0, NULL},
	{"ciphers", K_CIPHERS, 0, NULL},
	{"macs", K_MACS, 0, NULL},
	{"kexalgorithms", K_KEX, 0, NULL},
	{"hostkeyalgorithms", K_HOSTKEYALGS, 0, NULL},
	{"pubkeyacceptedalgorithms", K_PUBKEYALGS, KF_MATCH, NULL},
	{"pubkeyacceptedkeytypes", K_PUBKEYALGS, KF_MATCH, NULL},
	{"rekeylimit", K_REKEYLIMIT, KF_MATCH, NULL},
	{"logingracetime", K_LOGINGRACETIME, 0, NULL},
	{"maxauthtries", K_MAXAUTHTRIES, KF_MATCH, NULL},
	{"maxsessions", K_MAXSESSIONS, KF_MATCH, NULL},
	{"maxstartups", K_MAXSTARTUPS, 0, NULL},
	{"persourcemaxstartups", K_PERSOURCEMAXSTARTUPS, 0, NULL},
	{"persourcenetblocksize", K_PERSOURCENETBLOCKSIZE, 0, NULL},
	{"persourcepenalties", K_PERSOURCEPENALTIES, 0, NULL},
	{"permitrootlogin", K_PERMITROOTLOGIN, KF_MATCH, NULL},
	{"pubkeyauthentication", K_PUBKEYAUTH, KF_MATCH, NULL},
	{"passwordauthentication", K_PASSWORDAUTH, KF_MATCH, NULL},
	{"kbdinteractiveauthentication", K_KBDINTAUTH, KF_MATCH, NULL},
	{"challengeresponseauthentication", K_KBDINTAUTH, KF_MATCH, NULL},
	{"permitemptypasswords", K_PERMITEMPTYPASSWORDS, KF_MATCH, NULL},
	{"usepam", K_USEPAM, 0, NULL},
	{"authorizedkeysfile", K_AUTHKEYSFILE, KF_MATCH, NULL},
	{"strictmodes", K_STRICTMODES, 0, NULL},
	{"allowusers", K_ALLOWUSERS, KF_MATCH, NULL},
	{"denyusers", K_DENYUSERS, KF_MATCH, NULL},
	{"allowgroups", K_ALLOWGROUPS, KF_MATCH, NULL},
	{"denygroups", K_DENYGROUPS, KF_MATCH, NULL},
	{"banner", K_BANNER, KF_MATCH, NULL},
	{"printmotd", K_PRINTMOTD, 0, NULL},
	{"printlastlog", K_PRINTLASTLOG, 0, NULL},
	{"acceptenv", K_ACCEPTENV, KF_MATCH, NULL},
	{"permituserenvironment", K_PERMITUSERENV, 0, NULL},
	{"permittty", K_PERMITTTY, KF_MATCH, NULL},
	{"forcecommand", K_FORCECOMMAND, KF_MATCH, NULL},
	{"chrootdirectory", K_CHROOTDIRECTORY, KF_MATCH, NULL},
	{"subsystem", K_SUBSYSTEM, 0, NULL},
	{"allowtcpforwarding", K_ALLOWTCPFWD, KF_MATCH, NULL},
	{"allowstreamlocalforwarding", K_ALLOWSTREAMLOCALFWD, KF_MATCH, NULL},
	{"allowagentforwarding", K_ALLOWAGENTFWD, KF_MATCH, NULL},
	{"gatewayports", K_GATEWAYPORTS, KF_MATCH, NULL},
	{"permitopen", K_PERMITOPEN, KF_MATCH, NULL},
	{"permitlisten", K_PERMITLISTEN, KF_MATCH, NULL},
	{"x11forwarding", K_X11FORWARDING, KF_MATCH, NULL},
	{"clientaliveinterval", K_CLIENTALIVEINTERVAL, KF_MATCH, NULL},
	{"clientalivecountmax", K_CLIENTALIVECOUNTMAX, KF_MATCH, NULL},
	{"tcpkeepalive", K_TCPKEEPALIVE, 0, NULL},
	{"compression", K_COMPRESSION, 0, NULL},
	{"usedns", K_USEDNS, 0, NULL},
	{"pidfile", K_PIDFILE, 0, NULL},
	{"helperexecmethod", K_HELPEREXECMETHOD, 0, NULL},
	{"debugservice", K_DEBUGSERVICE, 0, NULL},
	{"debugallowusers", K_DEBUGALLOWUSERS, 0, NULL},
	{"debugallowgroups", K_DEBUGALLOWGROUPS, 0, NULL},
	{"pamservicename", K_PAMSERVICENAME, 0, NULL},
	{"include", K_INCLUDE, KF_MATCH, NULL},
	{"match", K_MATCH, KF_MATCH, NULL},
	{"disableforwarding", K_DISABLEFORWARDING, KF_MATCH, NULL},
	/* Known OpenSSH keywords for features sshbox does not have. Where
	 * ignoring a value would silently weaken security or surprise the
	 * operator, only the harmless value is accepted. */
	{"authenticationmethods", K_IGNORED, KF_MATCH, "any"},
	{"revokedkeys", K_IGNORED, KF_MATCH, "none"},
	{"trustedusercakeys", K_IGNORED, KF_MATCH, "none"},
	{"authorizedkeyscommand", K_IGNORED, KF_MATCH, "none"},
	{"authorizedkeyscommanduser", K_IGNORED, KF_MATCH, NULL},
	{"authorizedprincipalsfile", K_IGNORED, KF_MATCH, "none"},
	{"authorizedprincipalscommand", K_IGNORED, KF_MATCH, "none"},
	{"authorizedprincipalscommanduser", K_IGNORED, KF_MATCH, NULL},
	{"hostbasedauthentication", K_IGNORED, KF_MATCH, "no"},
	{"gssapiauthentication", K_IGNORED, KF_MATCH, "no"},
	{"gssapicleanupcredentials", K_IGNORED, 0, NULL},
	{"kerberosauthentication", K_IGNORED, KF_MATCH, "no"},
	{"ignorerhosts", K_IGNORED, KF_MATCH, NULL},
	{"ignoreuserknownhosts", K_IGNORED, 0, NULL},
	{"x11uselocalhost", K_IGNORED, KF_MATCH, NULL},
	{"x11displayoffset", K_IGNORED, KF_MATCH, NULL},
	{"permittunnel", K_IGNORED, KF_MATCH, "no"},
	{"permituserrc", K_IGNORED, KF_MATCH, NULL},
	{"useprivilegeseparation", K_IGNORED, 0, NULL},
	{"protocol", K_IGNORED, 0, NULL},
	{"versionaddendum", K_IGNORED, 0, NULL},
	{"ipqos", K_IGNORED, KF_MATCH, NULL},
	{"streamlocalbindunlink", K_IGNORED, KF_MATCH, NULL},
	{"streamlocalbindmask", K_IGNORED, KF_MATCH, NULL},
	{"fingerprinthash", K_IGNORED, 0, NULL},
	{"modulifile", K_IGNORED, 0, NULL},
	{"logverbose", K_IGNORED, KF_MATCH, NULL},
	{"exposeauthinfo", K_IGNORED, KF_MATCH, NULL},
	{"setenv", K_IGNORED, KF_MATCH, NULL},
	{"xauthlocation", K_IGNORED, 0, NULL},
	{"printlastlog_", K_BAD, 0, NULL},
};

static const struct kwinfo *kw_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(keywords); i++)
		if (keywords[i].kw != K_BAD && strcasecmp(keywords[i].name, name) == 0)
			return &keywords[i];
	return NULL;
}

/* ---------------------------------------------------------------- */
/* parse context and errors */

struct pctx {
	const char *file;
	int lineno;
	int cmdline; /* -o option */
	int quiet;   /* replaying Match lines per connection: no warnings */
	char *err;
	size_t errlen;
};

static void algs_warn(const struct pctx *p, const char *name)
{
	if (!p->quiet)
		log_warn("%s line %d: algorithm %s is not supported by sshbox; ignored", p->file, p->lineno, name);
}

static int perr(struct pctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct pctx *p, const char *fmt, ...)
{
	if (p->err && p->errlen) {
		int n = snprintf(p->err, p->errlen, "%s line %d: ", p->file, p->lineno);
		if (n < 0)
			n = 0;
		if ((size_t)n < p->errlen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -1;
}

static int perr_plain(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr_plain(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Splits `s` into arguments (OpenSSH argv_split rules: whitespace
 * separated, "double" or 'single' quotes, backslash escapes of quotes,
 * backslash and space, an unquoted '#' starting an argument ends the line).
 * Writes into a copy; returns argc or -1 for bad quotes. */
static int split_args(char *s, char **argv, int max)
{
	int argc = 0;
	char *r = s, *w;
	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n')
			r++;
		if (!*r)
			break;
		if (*r == '#')
			break;
		if (argc >= max)
			return -2;
		argv[argc++] = w = r;
		int quote = 0;
		for (;;) {
			char ch = *r;
			if (!ch) {
				if (quote)
					return -1;
				break;
			}
			if (ch == '\\' && (r[1] == '\\' || r[1] == '"' || r[1] == '\'' || (r[1] == ' ' && !quote))) {
				*w++ = r[1];
				r += 2;
				continue;
			}
			if (!quote && (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')) {
				r++;
				break;
			}
			if (quote && ch == quote) {
				quote = 0;
				r++;
				continue;
			}
			if (!quote && (ch == '"' || ch == '\'')) {
				quote = ch;
				r++;
				continue;
			}
			*w++ = ch;
			r++;
		}
		char *end = w;
		int at_end = (*r == '\0');
		*end = '\0';
		if (at_end)
			break;
	}
	return argc;
}

/* ---------------------------------------------------------------- */
/* value parsers */

static int parse_yesno(struct pctx *p, const char *v, int *out)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0)
		*out = 1;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0)
		*out = 0;
	else
		return perr(p, "unsupported option \"%s\".", v);
	return 0;
}

/* OpenSSH convtime: "90", "1h30m", units s m h d w. */
static long convtime(const char *s)
{
	if (!s || !*s)
		return -1;
	long total = 0;
	const char *q = s;
	while (*q) {
		if (!isdigit((unsigned char)*q))
			return -1;
		long v = 0;
		while (isdigit((unsigned char)*q)) {
			v = v * 10 + (*q - '0');
			if (v > INT_MAX)
				return -1;
			q++;
		}
		long mul = 1;
		switch (*q) {
		case '\0': break;
		case 's': case 'S': q++; break;
		case 'm': case 'M': mul = 60; q++; break;
		case 'h': case 'H': mul = 3600; q++; break;
		case 'd': case 'D': mul = 86400; q++; break;
		case 'w': case 'W': mul = 604800; q++; break;
		default: return -1;
		}
		if (v > INT_MAX / mul)
			return -1;
		total += v * mul;
		if (total > INT_MAX)
			return -1;
	}
	return total;
}

static int parse_time(struct pctx *p, const char *v, int *out)
{
	long t = convtime(v);
	if (t < 0)
		return perr(p, "invalid time value.");
	*out = (int)t;
	return 0;
}

static int parse_int_kw(struct pctx *p, const char *kwname, const char *v, int *out)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 0);
	if (end == v || *end || errno == ERANGE || n > INT_MAX || n < INT_MIN)
		return perr(p, "%s integer value invalid.", kwname);
	if (n < 0)
		return perr(p, "%s integer value too small.", kwname);
	*out = (int)n;
	return 0;
}

static int parse_port(const char *s)
{
	long v;
	if (parse_long(s, 1, 65535, &v) < 0)
		return -1;
	return (int)v;
}

/* Size with optional K/M/G/T suffix (power of 1024). */
static int parse_size(const char *s, uint64_t *out)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	unsigned shift = 0;
	if (*end) {
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: return -1;
		}
		if (end[1])
			return -1;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* ---------------------------------------------------------------- */
/* algorithm lists */

#define SUPPORTED_KEX KEX_NAMES_SUPPORTED
#define SUPPORTED_HOSTKEY HOSTKEY_ALGS
#define SUPPORTED_PUBKEY SERVER_SIG_ALGS

static int name_in_list(const char *name, size_t nlen, const char *list)
{
	const char *c = list;
	while (*c) {
		const char *e = strchr(c, ',');
		size_t l = e ? (size_t)(e - c) : strlen(c);
		if (l == nlen && strncmp(c, name, l) == 0)
			return 1;
		if (!e)
			break;
		c = e + 1;
	}
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

/* Resolves an OpenSSH algorithm spec (+list, -list, ^list or list, each
 * entry possibly a wildcard pattern) against the default/supported list.
 * Returns a malloc'd list, or NULL if an entry matches nothing supported
 * (bad) or the result is empty. */
/* Algorithm names OpenSSH knows but sshbox does not implement: in a list
 * they are dropped with a warning instead of failing the whole config
 * (hardened configs often list e.g. aes192-ctr or umac-128-etm). */
static const char KNOWN_CIPHERS[] = "3des-cbc,aes128-cbc,aes192-cbc,aes256-cbc,aes192-ctr,rijndael-cbc@lysator.liu.se";
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

struct pctx;
static void algs_warn(const struct pctx *p, const char *name);

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
	const char *c = list;
	while (*c) {
		const char *e = strchr(c, ',');
		size_t l = e ? (size_t)(e - c) : strlen(c);
		if (l == 0 || l >= sizeof(pat))
			return NULL;
		memcpy(pat, c, l);
		pat[l] = '\0';
		int any = 0;
		const char *s = supported;
		while (*s) {
			const char *se = strchr(s, ',');
			size_t sl = se ? (size_t)(se - s) : strlen(s);
			char nm[256];
			if (sl < sizeof(nm)) {
				memcpy(nm, s, sl);
				nm[sl] = '\0';
				if (match_pattern(nm, pat))
					any = 1;
			}
			if (!se)
				break;
			s = se + 1;
		}
		if (!any && mode != '-') {
			if (!name_in_list(pat, strlen(pat), known))
				return NULL;
			algs_warn(p, pat);
		}
		if (!e)
			break;
		c = e + 1;
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
		if (!src)
			continue;
		c = src;
		while (*c) {
			const char *e = strchr(c, ',');
			size_t l = e ? (size_t)(e - c) : strlen(c);
			if (l && l < sizeof(pat)) {
				memcpy(pat, c, l);
				pat[l] = '\0';
				/* expand patterns against the supported list, in its order */
				const char *s = supported;
				while (*s) {
					const char *se = strchr(s, ',');
					size_t sl = se ? (size_t)(se - s) : strlen(s);
					char nm[256];
					if (sl < sizeof(nm)) {
						memcpy(nm, s, sl);
						nm[sl] = '\0';
						int keep = match_pattern(nm, pat);
						if (keep && mode == '-' && match_pattern_list(nm, list, 0) == 1)
							keep = 0;
						if (keep && list_append(out, sizeof(out), nm, sl) < 0)
							return NULL;
					}
					if (!se)
						break;
					s = se + 1;
				}
			}
			if (!e)
				break;
			c = e + 1;
		}
	}
	if (!out[0])
		return NULL;
	return strdup(out);
}

/* Ciphers/MACs/KexAlgorithms/...: the first value given wins (as in
 * OpenSSH); a bad list is an error with the keyword's own message. */
static int set_alg_list(struct pctx *p, char **field, const char *v, const char *def, const char *supported,
			const char *known, const char *what)
{
	char *r = algs_resolve(p, v, def, supported, known);
	if (!r)
		return perr(p, "%s '%s'.", what, v);
	if (!*field)
		*field = r;
	else
		free(r);
	return 0;
}

/* ---------------------------------------------------------------- */
/* init / free / copy */

void sshd_config_init(struct sshd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->address_family = -1;
	c->log_level = -1;
	c->syslog_facility = -1;
	c->rekey_limit_seconds = -1;
	c->login_grace_time = -1;
	c->max_auth_tries = -1;
	c->max_sessions = -1;
	c->max_startups.begin = -1;
	c->per_source_max_startups = -1;
	c->per_source_netblock_v4 = -1;
	c->per_source_netblock_v6 = -1;
	c->per_source_penalties = -1;
	c->permit_root_login = -1;
	c->pubkey_authentication = -1;
	c->password_authentication = -1;
	c->kbd_interactive_authentication = -1;
	c->permit_empty_passwords = -1;
	c->use_pam = -1;
	c->strict_modes = -1;
	c->print_motd = -1;
	c->print_last_log = -1;
	c->permit_user_environment = -1;
	c->permit_tty = -1;
	c->allow_tcp_forwarding = -1;
	c->allow_streamlocal_forwarding = -1;
	c->allow_agent_forwarding = -1;
	c->gateway_ports = -1;
	c->permit_open_any = -1;
	c->permit_listen_any = -1;
	c->x11_forwarding = -1;
	c->disable_forwarding = -1;
	c->client_alive_interval = -1;
	c->client_alive_count_max = -1;
	c->tcp_keep_alive = -1;
	c->compression = -1;
	c->use_dns = -1;
	c->helper_exec_method = -1;
	c->debug_service = -1;
	c->rekey_limit_bytes = UINT64_MAX; /* unset marker */
}

static void subsystems_free(struct subsystem *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].name);
		free(s[i].command);
	}
	free(s);
}

void sshd_config_free(struct sshd_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_listen; i++)
		free(c->listen[i].host);
	free(c->listen);
	strlist_free(&c->host_keys);
	free(c->data_directory);
	free(c->pid_file);
	free(c->log_level_name);
	free(c->syslog_facility_name);
	free(c->ciphers);
	free(c->macs);
	free(c->kex_algorithms);
	free(c->host_key_algorithms);
	free(c->pubkey_accepted_algorithms);
	free(c->pam_service_name);
	strlist_free(&c->authorized_keys_files);
	strlist_free(&c->allow_users);
	strlist_free(&c->deny_users);
	strlist_free(&c->allow_groups);
	strlist_free(&c->deny_groups);
	free(c->banner);
	strlist_free(&c->accept_env);
	free(c->permit_user_environment_patterns);
	free(c->force_command);
	free(c->chroot_directory);
	subsystems_free(c->subsystems, c->n_subsystems);
	strlist_free(&c->permit_open);
	strlist_free(&c->permit_listen);
	strlist_free(&c->debug_allow_users);
	strlist_free(&c->debug_allow_groups);
	for (size_t i = 0; i < c->n_lines_; i++) {
		free(c->lines_[i].file);
		free(c->lines_[i].text);
	}
	free(c->lines_);
	memset(c, 0, sizeof(*c));
}

int sshd_config_copy(const struct sshd_config *src, struct sshd_config *dst)
{
	*dst = *src;
	/* clear every pointer, then deep-copy */
	dst->listen = NULL;
	dst->n_listen = 0;
	dst->host_keys = (struct strlist){0};
	dst->data_directory = dst->pid_file = dst->log_level_name = dst->syslog_facility_name = NULL;
	dst->ciphers = dst->macs = dst->kex_algorithms = dst->host_key_algorithms = NULL;
	dst->pubkey_accepted_algorithms = dst->pam_service_name = NULL;
	dst->authorized_keys_files = dst->allow_users = dst->deny_users = (struct strlist){0};
	dst->allow_groups = dst->deny_groups = dst->accept_env = (struct strlist){0};
	dst->banner = dst->permit_user_environment_patterns = dst->force_command = dst->chroot_directory = NULL;
	dst->subsystems = NULL;
	dst->n_subsystems = 0;
	dst->permit_open = dst->permit_listen = dst->debug_allow_users = dst->debug_allow_groups = (struct strlist){0};
	dst->lines_ = NULL;
	dst->n_lines_ = dst->cap_lines_ = 0;

	int bad = 0;
#define CP(f)                                         \
	do {                                          \
		if (src->f && !(dst->f = strdup(src->f))) \
			bad = 1;                      \
	} while (0)
	CP(data_directory);
	CP(pid_file);
	CP(log_level_name);
	CP(syslog_facility_name);
	CP(ciphers);
	CP(macs);
	CP(kex_algorithms);
	CP(host_key_algorithms);
	CP(pubkey_accepted_algorithms);
	CP(pam_service_name);
	CP(banner);
	CP(permit_user_environment_patterns);
	CP(force_command);
	CP(chroot_directory);
#undef CP
	bad |= strlist_copy(&dst->host_keys, &src->host_keys) < 0;
	bad |= strlist_copy(&dst->authorized_keys_files, &src->authorized_keys_files) < 0;
	bad |= strlist_copy(&dst->allow_users, &src->allow_users) < 0;
	bad |= strlist_copy(&dst->deny_users, &src->deny_users) < 0;
	bad |= strlist_copy(&dst->allow_groups, &src->allow_groups) < 0;
	bad |= strlist_copy(&dst->deny_groups, &src->deny_groups) < 0;
	bad |= strlist_copy(&dst->accept_env, &src->accept_env) < 0;
	bad |= strlist_copy(&dst->permit_open, &src->permit_open) < 0;
	bad |= strlist_copy(&dst->permit_listen, &src->permit_listen) < 0;
	bad |= strlist_copy(&dst->debug_allow_users, &src->debug_allow_users) < 0;
	bad |= strlist_copy(&dst->debug_allow_groups, &src->debug_allow_groups) < 0;
	if (src->n_listen) {
		dst->listen = calloc(src->n_listen, sizeof(*dst->listen));
		if (!dst->listen) {
			bad = 1;
		} else {
			dst->n_listen = src->n_listen;
			for (size_t i = 0; i < src->n_listen; i++) {
				dst->listen[i].port = src->listen[i].port;
				if (src->listen[i].host && !(dst->listen[i].host = strdup(src->listen[i].host)))
					bad = 1;
			}
		}
	}
	if (src->n_subsystems) {
		dst->subsystems = calloc(src->n_subsystems, sizeof(*dst->subsystems));
		if (!dst->subsystems) {
			bad = 1;
		} else {
			dst->n_subsystems = src->n_subsystems;
			for (size_t i = 0; i < src->n_subsystems; i++) {
				dst->subsystems[i].internal_sftp = src->subsystems[i].internal_sftp;
				dst->subsystems[i].name = dupn(src->subsystems[i].name);
				dst->subsystems[i].command = dupn(src->subsystems[i].command);
				if (!dst->subsystems[i].name || !dst->subsystems[i].command)
					bad = 1;
			}
		}
	}
	if (src->n_lines_) {
		dst->lines_ = calloc(src->n_lines_, sizeof(*dst->lines_));
		if (!dst->lines_) {
			bad = 1;
		} else {
			dst->n_lines_ = dst->cap_lines_ = src->n_lines_;
			for (size_t i = 0; i < src->n_lines_; i++) {
				dst->lines_[i] = src->lines_[i];
				dst->lines_[i].file = dupn(src->lines_[i].file);
				dst->lines_[i].text = dupn(src->lines_[i].text);
				if (!dst->lines_[i].file || !dst->lines_[i].text)
					bad = 1;
			}
		}
	}
	if (bad) {
		sshd_config_free(dst);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* applying one keyword */

static int set_str(char **field, const char *v)
{
	if (*field)
		return 0; /* first obtained wins */
	*field = strdup(v);
	return *field ? 0 : -1;
}

/* PerSourceMaxStartups none|N (N >= 1); first value wins. */
static int parse_per_source_max_startups(struct pctx *p, struct sshd_config *c, const char *v)
{
	long n = 0;
	if (strcmp(v, "none") != 0 && parse_long(v, 1, 100000, &n) < 0)
		return perr(p, "Invalid PerSourceMaxStartups spec.");
	if (c->per_source_max_startups == -1)
		c->per_source_max_startups = (int)n;
	return 0;
}

/* PerSourceNetBlockSize v4[:v6] (0..32, 0..128; v6 default 128). */
static int parse_netblock_size(struct pctx *p, struct sshd_config *c, const char *v)
{
	char tmp[32];
	long v4, v6 = 128;
	if (strlen(v) >= sizeof(tmp))
		return perr(p, "Invalid PerSourceNetBlockSize spec.");
	strcpy(tmp, v);
	char *colon = strchr(tmp, ':');
	if (colon)
		*colon = '\0';
	if (parse_long(tmp, 0, 32, &v4) < 0 || (colon && parse_long(colon + 1, 0, 128, &v6) < 0))
		return perr(p, "Invalid PerSourceNetBlockSize spec.");
	if (c->per_source_netblock_v4 == -1) {
		c->per_source_netblock_v4 = (int)v4;
		c->per_source_netblock_v6 = (int)v6;
	}
	return 0;
}

static void set_int(int *field, int v)
{
	if (*field == -1)
		*field = v;
}

static int valid_env_name(const char *s)
{
	if (!*s)
		return 0;
	for (const char *q = s; *q; q++)
		if (*q == '=')
			return 0;
	return 1;
}

/* "host:port", "[v6]:port", "*:port", "any", "none" for PermitOpen;
 * "[host:]port" or "port" for PermitListen (port may be "*"). */
static int valid_permit_entry(const char *s, int listen)
{
	if (strcmp(s, "any") == 0 || strcmp(s, "none") == 0)
		return 1;
	const char *port = hostport_port_text(s, listen);
	if (!port)
		return 0;
	if (strcmp(port, "*") == 0)
		return 1;
	return parse_port(port) > 0 || (listen && strcmp(port, "0") == 0);
}

/* Match criteria validation / evaluation. mi == NULL: only validate.
 * Returns 1 match, 0 no match, -1 error. */
static int match_eval(struct pctx *p, char **argv, int argc, const struct sshd_match_info *mi)
{
	if (argc == 0) {
		perr(p, "Bad Match condition");
		return -1;
	}
	int result = 1;
	for (int i = 0; i < argc; i++) {
		const char *attr = argv[i];
		if (strcasecmp(attr, "all") == 0) {
			if (argc != 1) {
				perr(p, "Bad Match condition ('all' cannot be combined with other Match attributes)");
				return -1;
			}
			return 1;
		}
		if (i + 1 >= argc || argv[i + 1][0] == '\0') {
			perr(p, "Bad Match condition (missing Match criteria for %s)", attr);
			return -1;
		}
		const char *arg = argv[++i];
		if (strcasecmp(attr, "user") == 0) {
			if (mi && (!mi->user || match_pattern_list(mi->user, arg, 0) != 1))
				result = 0;
		} else if (strcasecmp(attr, "group") == 0) {
			if (mi) {
				int any = 0, neg = 0;
				for (size_t g = 0; g < mi->n_groups; g++) {
					int r = match_pattern_list(mi->groups[g], arg, 0);
					if (r == -1)
						neg = 1;
					else if (r == 1)
						any = 1;
				}
				if (neg || !any)
					result = 0;
			}
		} else if (strcasecmp(attr, "host") == 0) {
			if (mi && (!mi->host || match_pattern_list(mi->host, arg, 1) != 1))
				result = 0;
		} else if (strcasecmp(attr, "address") == 0 || strcasecmp(attr, "localaddress") == 0) {
			if (!addr_list_valid(arg)) {
				perr(p, "Invalid Match address argument '%s'", arg);
				return -1;
			}
			if (mi) {
				const char *a = strcasecmp(attr, "address") == 0 ? mi->addr : mi->laddr;
				if (!a || match_addr_list(a, arg) != 1)
					result = 0;
			}
		} else if (strcasecmp(attr, "localport") == 0) {
			int port = parse_port(arg);
			if (port < 0) {
				perr(p, "Invalid LocalPort '%s' on Match line", arg);
				return -1;
			}
			if (mi && mi->lport != port)
				result = 0;
		} else {
			perr(p, "Bad Match condition (unsupported Match attribute %s)", attr);
			return -1;
		}
	}
	return result;
}

static int add_subsystem(struct pctx *p, struct sshd_config *c, char **argv, int argc, const char *rest)
{
	if (argc < 1)
		return perr(p, "Missing subsystem specification.");
	if (argc < 2)
		return perr(p, "Missing subsystem command.");
	for (size_t i = 0; i < c->n_subsystems; i++)
		if (strcmp(c->subsystems[i].name, argv[0]) == 0)
			return perr(p, "Subsystem '%s' already defined.", argv[0]);
	if (c->n_subsystems >= 64)
		return perr(p, "too many subsystems.");
	struct subsystem *ns = realloc(c->subsystems, (c->n_subsystems + 1) * sizeof(*ns));
	if (!ns)
		return perr(p, "out of memory");
	c->subsystems = ns;
	struct subsystem *s = &ns[c->n_subsystems];
	/* the command keeps its arguments as written (joined by spaces) */
	char cmd[4096];
	size_t o = 0;
	cmd[0] = '\0';
	for (int i = 1; i < argc; i++) {
		size_t l = strlen(argv[i]);
		if (o + l + 2 > sizeof(cmd))
			return perr(p, "Subsystem command too long.");
		if (o)
			cmd[o++] = ' ';
		memcpy(cmd + o, argv[i], l);
		o += l;
		cmd[o] = '\0';
	}
	(void)rest;
	s->name = strdup(argv[0]);
	s->command = strdup(cmd);
	s->internal_sftp = strcmp(argv[1], "internal-sftp") == 0;
	if (!s->name || !s->command) {
		free(s->name);
		free(s->command);
		return perr(p, "out of memory");
	}
	c->n_subsystems++;
	return 0;
}

static int add_default_sftp_subsystem(struct sshd_config *c)
{
	struct subsystem *ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -1;
	ns->name = strdup("sftp");
	ns->command = strdup("internal-sftp");
	ns->internal_sftp = 1;
	if (!ns->name || !ns->command) {
		free(ns->name);
		free(ns->command);
		free(ns);
		return -1;
	}
	free(c->subsystems);
	c->subsystems = ns;
	c->n_subsystems = 1;
	return 0;
}

static int parse_listen(struct pctx *p, struct sshd_config *c, const char *v)
{
	/* stored raw in a temporary form "host\0port" in listen[] with port 0
	 * meaning "every Port"; resolved at finalize */
	char host[256];
	int port = 0;
	if (*v == '[') {
		const char *rb = strchr(v, ']');
		if (!rb || (rb[1] != ':' && rb[1] != '\0'))
			return perr(p, "bad address:port usage");
		size_t l = (size_t)(rb - v - 1);
		if (l == 0 || l >= sizeof(host))
			return perr(p, "bad address:port usage");
		memcpy(host, v + 1, l);
		host[l] = '\0';
		if (rb[1] == ':') {
			port = parse_port(rb + 2);
			if (port < 0)
				return perr(p, "bad port number");
		}
	} else {
		const char *colon = strchr(v, ':');
		if (colon && strchr(colon + 1, ':')) {
			/* bare IPv6 address */
			if (strlen(v) >= sizeof(host))
				return perr(p, "bad address:port usage");
			strcpy(host, v);
		} else if (colon) {
			size_t l = (size_t)(colon - v);
			if (l == 0 || l >= sizeof(host))
				return perr(p, "bad address:port usage");
			memcpy(host, v, l);
			host[l] = '\0';
			port = parse_port(colon + 1);
			if (port < 0)
				return perr(p, "bad port number");
		} else {
			if (!*v || strlen(v) >= sizeof(host))
				return perr(p, "bad address:port usage");
			strcpy(host, v);
		}
	}
	if (c->n_listen >= 256)
		return perr(p, "too many ListenAddress entries");
	struct listen_addr *nl = realloc(c->listen, (c->n_listen + 1) * sizeof(*nl));
	if (!nl)
		return perr(p, "out of memory");
	c->listen = nl;
	nl[c->n_listen].host = strdup(host);
	nl[c->n_listen].port = port;
	if (!nl[c->n_listen].host)
		return perr(p, "out of memory");
	c->n_listen++;
	return 0;
}

static const struct {
	const char *name;
	int fac;
} facilities[] = {
	/* <syslog.h> values (it cannot be included next to log.h) */
	{"DAEMON", 3 << 3}, {"USER", 1 << 3},    {"AUTH", 4 << 3},    {"AUTHPRIV", 10 << 3},
	{"LOCAL0", 16 << 3}, {"LOCAL1", 17 << 3}, {"LOCAL2", 18 << 3}, {"LOCAL3", 19 << 3},
	{"LOCAL4", 20 << 3}, {"LOCAL5", 21 << 3}, {"LOCAL6", 22 << 3}, {"LOCAL7", 23 << 3},
};

static int add_list_args(struct pctx *p, struct strlist *l, char **argv, int argc)
{
	if (strlist_touch(l) < 0)
		return perr(p, "out of memory");
	for (int i = 0; i < argc; i++)
		if (strlist_add(l, argv[i]) < 0)
			return perr(p, "too many entries or out of memory");
	return 0;
}

/* Applies keyword kw with its arguments to c. */
static int apply_kw(struct pctx *p, struct sshd_config *c, const struct kwinfo *ki, const char *kwname, char **argv,
		    int argc)
{
	int iv;
	const char *v = argc > 0 ? argv[0] : NULL;

	/* keywords taking exactly one argument */
	switch (ki->kw) {
	case K_ALLOWUSERS: case K_DENYUSERS: case K_ALLOWGROUPS: case K_DENYGROUPS: case K_ACCEPTENV:
	case K_AUTHKEYSFILE: case K_SUBSYSTEM: case K_PERMITOPEN: case K_PERMITLISTEN: case K_FORCECOMMAND:
	case K_DEBUGALLOWUSERS: case K_DEBUGALLOWGROUPS: case K_REKEYLIMIT: case K_INCLUDE: case K_MATCH:
	case K_IGNORED: case K_PERMITUSERENV:
		if (argc < 1)
			return perr(p, "no argument after keyword \"%s\"", kwname);
		break;
	default:
		if (argc < 1)
			return perr(p, "no argument after keyword \"%s\"", kwname);
		if (argc > 1)
			return perr(p, "keyword %s extra arguments at end of line", kwname);
	}

	switch (ki->kw) {
	case K_PORT: {
		int port = parse_port(v);
		if (port < 0)
			return perr(p, "Badly formatted port number.");
		if (c->ports_from_cmdline && !p->cmdline)
			return 0;
		if (c->n_ports >= ARRAY_LEN(c->ports))
			return perr(p, "too many ports.");
		c->ports[c->n_ports++] = port;
		return 0;
	}
	case K_LISTENADDRESS:
		return parse_listen(p, c, v);
	case K_ADDRESSFAMILY:
		if (strcasecmp(v, "any") == 0)
			iv = SSHD_AF_ANY;
		else if (strcasecmp(v, "inet") == 0)
			iv = SSHD_AF_INET;
		else if (strcasecmp(v, "inet6") == 0)
			iv = SSHD_AF_INET6;
		else
			return perr(p, "unsupported option \"%s\".", v);
		set_int(&c->address_family, iv);
		return 0;
	case K_HOSTKEY:
		if (strlist_add(&c->host_keys, v) < 0)
			return perr(p, "too many host keys");
		return 0;
	case K_DATADIRECTORY:
		if (*v != '/')
			return perr(p, "DataDirectory must be an absolute path.");
		return set_str(&c->data_directory, v) < 0 ? perr(p, "out of memory") : 0;
	case K_PIDFILE:
		return set_str(&c->pid_file, v) < 0 ? perr(p, "out of memory") : 0;
	case K_LOGLEVEL: {
		int lv = log_level_parse(v);
		if (lv < 0)
			return perr(p, "unsupported log level '%s'", v);
		if (c->log_level == -1) {
			char up[32];
			size_t n = strlen(v);
			if (n >= sizeof(up))
				n = sizeof(up) - 1;
			for (size_t i = 0; i < n; i++)
				up[i] = (char)toupper((unsigned char)v[i]);
			up[n] = '\0';
			c->log_level = lv;
			free(c->log_level_name);
			c->log_level_name = strdup(up);
		}
		return 0;
	}
	case K_SYSLOGFACILITY:
		for (size_t i = 0; i < ARRAY_LEN(facilities); i++) {
			if (strcasecmp(v, facilities[i].name) == 0) {
				if (c->syslog_facility == -1) {
					c->syslog_facility = facilities[i].fac;
					free(c->syslog_facility_name);
					c->syslog_facility_name = strdup(facilities[i].name);
				}
				return 0;
			}
		}
		return perr(p, "unsupported log facility '%s'", v);
	case K_CIPHERS:
		return set_alg_list(p, &c->ciphers, v, CIPHER_NAMES_DEFAULT, CIPHER_NAMES_DEFAULT, KNOWN_CIPHERS,
				    "Bad SSH2 cipher spec");
	case K_MACS:
		return set_alg_list(p, &c->macs, v, MAC_NAMES_OFFERED, MAC_NAMES_DEFAULT, KNOWN_MACS, "Bad SSH2 mac spec");
	case K_KEX:
		return set_alg_list(p, &c->kex_algorithms, v, KEX_NAMES_SUPPORTED, SUPPORTED_KEX, KNOWN_KEX,
				    "Bad SSH2 KexAlgorithms");
	case K_HOSTKEYALGS:
		return set_alg_list(p, &c->host_key_algorithms, v, SUPPORTED_HOSTKEY, SUPPORTED_HOSTKEY, KNOWN_KEYS,
				    "Bad key types");
	case K_PUBKEYALGS:
		return set_alg_list(p, &c->pubkey_accepted_algorithms, v, SUPPORTED_PUBKEY, SUPPORTED_PUBKEY,
				    KNOWN_KEYS, "Bad key types");
	case K_REKEYLIMIT: {
		uint64_t bytes;
		if (argc > 2)
			return perr(p, "keyword %s extra arguments at end of line", kwname);
		if (strcasecmp(v, "default") == 0 || strcasecmp(v, "none") == 0)
			bytes = 0;
		else if (parse_size(v, &bytes) < 0)
			return perr(p, "Bad RekeyLimit number '%s': Invalid argument", v);
		else if (bytes != 0 && bytes < 16)
			return perr(p, "RekeyLimit too small");
		int secs = 0;
		if (argc == 2) {
			if (strcasecmp(argv[1], "default") == 0 || strcasecmp(argv[1], "none") == 0)
				secs = 0;
			else if (parse_time(p, argv[1], &secs) < 0)
				return -1;
		}
		if (c->rekey_limit_bytes == UINT64_MAX) {
			c->rekey_limit_bytes = bytes;
			c->rekey_limit_seconds = secs;
		}
		return 0;
	}
	case K_LOGINGRACETIME:
		if (parse_time(p, v, &iv) < 0)
			return -1;
		set_int(&c->login_grace_time, iv);
		return 0;
	case K_CLIENTALIVEINTERVAL:
		if (parse_time(p, v, &iv) < 0)
			return -1;
		set_int(&c->client_alive_interval, iv);
		return 0;
	case K_MAXAUTHTRIES:
		if (parse_int_kw(p, "MaxAuthTries", v, &iv) < 0)
			return -1;
		set_int(&c->max_auth_tries, iv);
		return 0;
	case K_MAXSESSIONS:
		if (parse_int_kw(p, "MaxSessions", v, &iv) < 0)
			return -1;
		set_int(&c->max_sessions, iv);
		return 0;
	case K_CLIENTALIVECOUNTMAX:
		if (parse_int_kw(p, "ClientAliveCountMax", v, &iv) < 0)
			return -1;
		set_int(&c->client_alive_count_max, iv);
		return 0;
	case K_MAXSTARTUPS: {
		long b, r = 100, f;
		char tmp[64];
		if (strlen(v) >= sizeof(tmp))
			return perr(p, "Invalid MaxStartups spec.");
		strcpy(tmp, v);
		char *c1 = strchr(tmp, ':');
		if (!c1) {
			if (parse_long(tmp, 1, 100000, &b) < 0)
				return perr(p, "Invalid MaxStartups spec.");
			f = b;
		} else {
			*c1 = '\0';
			char *c2 = strchr(c1 + 1, ':');
			if (!c2)
				return perr(p, "Invalid MaxStartups spec.");
			*c2 = '\0';
			if (parse_long(tmp, 1, 100000, &b) < 0 || parse_long(c1 + 1, 1, 100, &r) < 0 ||
			    parse_long(c2 + 1, 1, 100000, &f) < 0 || b > f)
				return perr(p, "Invalid MaxStartups spec.");
		}
		if (c->max_startups.begin == -1) {
			c->max_startups.begin = (int)b;
			c->max_startups.rate = (int)r;
			c->max_startups.full = (int)f;
		}
		return 0;
	}
	case K_PERSOURCEMAXSTARTUPS:
		return parse_per_source_max_startups(p, c, v);
	case K_PERSOURCENETBLOCKSIZE:
		return parse_netblock_size(p, c, v);
	case K_PERMITROOTLOGIN:
		if (strcasecmp(v, "yes") == 0)
			iv = PERMIT_ROOT_YES;
		else if (strcasecmp(v, "no") == 0)
			iv = PERMIT_ROOT_NO;
		else if (strcasecmp(v, "prohibit-password") == 0 || strcasecmp(v, "without-password") == 0)
			iv = PERMIT_ROOT_PROHIBIT_PASSWORD;
		else if (strcasecmp(v, "forced-commands-only") == 0)
			iv = PERMIT_ROOT_FORCED_COMMANDS_ONLY;
		else
			return perr(p, "unsupported option \"%s\".", v);
		set_int(&c->permit_root_login, iv);
		return 0;

#define YESNO(K, field)                         \
	case K:                                 \
		if (parse_yesno(p, v, &iv) < 0) \
			return -1;              \
		set_int(&c->field, iv);         \
		return 0;
		YESNO(K_PERSOURCEPENALTIES, per_source_penalties)
		YESNO(K_PUBKEYAUTH, pubkey_authentication)
		YESNO(K_PASSWORDAUTH, password_authentication)
		YESNO(K_KBDINTAUTH, kbd_interactive_authentication)
		YESNO(K_PERMITEMPTYPASSWORDS, permit_empty_passwords)
		YESNO(K_USEPAM, use_pam)
		YESNO(K_STRICTMODES, strict_modes)
		YESNO(K_PRINTMOTD, print_motd)
		YESNO(K_PRINTLASTLOG, print_last_log)
		YESNO(K_PERMITTTY, permit_tty)
		YESNO(K_ALLOWAGENTFWD, allow_agent_forwarding)
		YESNO(K_TCPKEEPALIVE, tcp_keep_alive)
		YESNO(K_USEDNS, use_dns)
		YESNO(K_DEBUGSERVICE, debug_service)
		YESNO(K_DISABLEFORWARDING, disable_forwarding)
#undef YESNO

	case K_X11FORWARDING:
		if (parse_yesno(p, v, &iv) < 0)
			return -1;
		if (iv && !p->quiet)
			log_warn("%s line %d: X11Forwarding yes is not supported; X11 forwarding stays disabled",
				 p->file, p->lineno);
		set_int(&c->x11_forwarding, 0);
		return 0;
	case K_AUTHKEYSFILE:
		if (c->authorized_keys_files.v)
			return 0;
		if (argc == 1 && strcasecmp(v, "none") == 0)
			return strlist_touch(&c->authorized_keys_files) < 0 ? perr(p, "out of memory") : 0;
		for (int i = 0; i < argc; i++) {
			char *t = sshd_expand_tokens(argv[i], "u", "/h", 0);
			if (!t)
				return perr(p, "AuthorizedKeysFile: bad token in \"%s\".", argv[i]);
			free(t);
		}
		return add_list_args(p, &c->authorized_keys_files, argv, argc);
	case K_ALLOWUSERS:
	case K_DENYUSERS: {
		for (int i = 0; i < argc; i++) {
			const char *at = strchr(argv[i], '@');
			if (at && !addr_list_valid(at + 1) && strchr(at + 1, '/'))
				return perr(p, "Invalid %s pattern \"%s\".", kwname, argv[i]);
		}
		return add_list_args(p, ki->kw == K_ALLOWUSERS ? &c->allow_users : &c->deny_users, argv, argc);
	}
	case K_ALLOWGROUPS:
		return add_list_args(p, &c->allow_groups, argv, argc);
	case K_DENYGROUPS:
		return add_list_args(p, &c->deny_groups, argv, argc);
	case K_DEBUGALLOWUSERS:
		return add_list_args(p, &c->debug_allow_users, argv, argc);
	case K_DEBUGALLOWGROUPS:
		return add_list_args(p, &c->debug_allow_groups, argv, argc);
	case K_ACCEPTENV:
		for (int i = 0; i < argc; i++)
			if (!valid_env_name(argv[i]))
				return perr(p, "Invalid environment name.");
		return add_list_args(p, &c->accept_env, argv, argc);
	case K_BANNER:
		return set_str(&c->banner, v) < 0 ? perr(p, "out of memory") : 0;
	case K_PERMITUSERENV:
		if (argc > 1)
			return perr(p, "keyword %s extra arguments at end of line", kwname);
		if (strcasecmp(v, "yes") == 0)
			iv = PERMIT_USER_ENV_YES;
		else if (strcasecmp(v, "no") == 0)
			iv = PERMIT_USER_ENV_NO;
		else
			iv = PERMIT_USER_ENV_PATTERN;
		if (c->permit_user_environment == -1) {
			c->permit_user_environment = iv;
			if (iv == PERMIT_USER_ENV_PATTERN && !(c->permit_user_environment_patterns = strdup(v)))
				return perr(p, "out of memory");
		}
		return 0;
	case K_FORCECOMMAND: {
		/* the rest of the line is the command (OpenSSH keeps it verbatim) */
		if (c->force_command)
			return 0;
		char cmd[4096];
		size_t o = 0;
		cmd[0] = '\0';
		for (int i = 0; i < argc; i++) {
			size_t l = strlen(argv[i]);
			if (o + l + 2 > sizeof(cmd))
				return perr(p, "ForceCommand too long.");
			if (o)
				cmd[o++] = ' ';
			memcpy(cmd + o, argv[i], l);
			o += l;
			cmd[o] = '\0';
		}
		return set_str(&c->force_command, cmd) < 0 ? perr(p, "out of memory") : 0;
	}
	case K_CHROOTDIRECTORY:
		if (strcasecmp(v, "none") != 0) {
			char *t = sshd_expand_tokens(v, "u", "/h", 0);
			if (!t)
				return perr(p, "ChrootDirectory: bad token in \"%s\".", v);
			free(t);
			if (*v != '/' && *v != '%')
				return perr(p, "ChrootDirectory must be an absolute path.");
		}
		return set_str(&c->chroot_directory, v) < 0 ? perr(p, "out of memory") : 0;
	case K_SUBSYSTEM:
		return add_subsystem(p, c, argv, argc, NULL);
	case K_ALLOWTCPFWD:
	case K_ALLOWSTREAMLOCALFWD:
		if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "all") == 0)
			iv = FWD_ALLOW_ALL;
		else if (strcasecmp(v, "no") == 0)
			iv = FWD_ALLOW_NO;
		else if (strcasecmp(v, "local") == 0)
			iv = FWD_ALLOW_LOCAL;
		else if (strcasecmp(v, "remote") == 0)
			iv = FWD_ALLOW_REMOTE;
		else
			return perr(p, "unsupported option \"%s\".", v);
		set_int(ki->kw == K_ALLOWTCPFWD ? &c->allow_tcp_forwarding : &c->allow_streamlocal_forwarding, iv);
		return 0;
	case K_GATEWAYPORTS:
		if (strcasecmp(v, "yes") == 0)
			iv = GATEWAY_PORTS_YES;
		else if (strcasecmp(v, "no") == 0)
			iv = GATEWAY_PORTS_NO;
		else if (strcasecmp(v, "clientspecified") == 0)
			iv = GATEWAY_PORTS_CLIENTSPECIFIED;
		else
			return perr(p, "unsupported option \"%s\".", v);
		set_int(&c->gateway_ports, iv);
		return 0;
	case K_PERMITOPEN:
	case K_PERMITLISTEN: {
		int listen = ki->kw == K_PERMITLISTEN;
		struct strlist *l = listen ? &c->permit_listen : &c->permit_open;
		int *any = listen ? &c->permit_listen_any : &c->permit_open_any;
		for (int i = 0; i < argc; i++)
			if (!valid_permit_entry(argv[i], listen))
				return perr(p, "%s bad port number", listen ? "PermitListen" : "PermitOpen");
		if (l->v)
			return 0; /* first wins */
		if (argc == 1 && strcmp(v, "any") == 0) {
			*any = 1;
			return strlist_touch(l) < 0 ? perr(p, "out of memory") : 0;
		}
		if (argc == 1 && strcmp(v, "none") == 0) {
			*any = 0;
			return strlist_touch(l) < 0 ? perr(p, "out of memory") : 0;
		}
		for (int i = 0; i < argc; i++)
			if (strcmp(argv[i], "any") == 0 || strcmp(argv[i], "none") == 0)
				return perr(p, "%s: \"%s\" must be the only argument", kwname, argv[i]);
		*any = 0;
		return add_list_args(p, l, argv, argc);
	}
	case K_COMPRESSION:
		if (strcasecmp(v, "yes") == 0)
			iv = COMPRESSION_YES;
		else if (strcasecmp(v, "delayed") == 0)
			iv = COMPRESSION_DELAYED;
		else if (strcasecmp(v, "no") == 0)
			iv = COMPRESSION_NO;
		else
			return perr(p, "unsupported option \"%s\".", v);
		set_int(&c->compression, iv);
		return 0;
	case K_HELPEREXECMETHOD:
		if (strcasecmp(v, "auto") == 0)
			iv = HELPER_EXEC_AUTO;
		else if (strcasecmp(v, "memfd") == 0)
			iv = HELPER_EXEC_MEMFD;
		else if (strcasecmp(v, "tmpfile") == 0)
			iv = HELPER_EXEC_TMPFILE;
		else if (strcasecmp(v, "mkstemp") == 0)
			iv = HELPER_EXEC_MKSTEMP;
		else if (strcasecmp(v, "procself") == 0)
			iv = HELPER_EXEC_PROCSELF;
		else
			return perr(p, "unsupported option \"%s\".", v);
		set_int(&c->helper_exec_method, iv);
		return 0;
	case K_PAMSERVICENAME:
		for (const char *q = v; *q; q++)
			if (!isalnum((unsigned char)*q) && *q != '-' && *q != '_' && *q != '.')
				return perr(p, "invalid PAMServiceName \"%s\".", v);
		if (!*v || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
			return perr(p, "invalid PAMServiceName \"%s\".", v);
		return set_str(&c->pam_service_name, v) < 0 ? perr(p, "out of memory") : 0;
	case K_IGNORED:
		if (ki->only) {
			/* the whole value must be the harmless one */
			if (argc != 1 || strcasecmp(v, ki->only) != 0)
				return perr(p, "unsupported option \"%s\" (sshbox supports only \"%s %s\").", v, kwname,
					    ki->only);
		}
		log_debug("%s line %d: %s is accepted and ignored", p->file, p->lineno, kwname);
		return 0;
	case K_INCLUDE:
	case K_MATCH:
	case K_BAD:
		break;
	}
	return perr(p, "internal error for keyword %s", kwname);
}

/* ---------------------------------------------------------------- */
/* line processing */

struct loadstate {
	struct sshd_config *c;
	long cur_match; /* index of governing Match line, -1 global */
	int depth;
	int files;      /* files read by this load (bounded: Include fan-out) */
	char *err;
	size_t errlen;
};

static int store_line(struct sshd_config *c, struct pctx *p, const char *text, int is_match, long match_idx)
{
	if (c->n_lines_ >= CFG_MAX_STORED_LINES)
		return perr(p, "too many lines in Match blocks");
	if (c->n_lines_ == c->cap_lines_) {
		size_t nc = c->cap_lines_ ? c->cap_lines_ * 2 : 16;
		struct sshd_cfg_line *nl = realloc(c->lines_, nc * sizeof(*nl));
		if (!nl)
			return perr(p, "out of memory");
		c->lines_ = nl;
		c->cap_lines_ = nc;
	}
	struct sshd_cfg_line *l = &c->lines_[c->n_lines_];
	l->file = strdup(p->file);
	l->text = strdup(text);
	l->lineno = p->lineno;
	l->is_match = is_match;
	l->match_idx = match_idx;
	if (!l->file || !l->text) {
		free(l->file);
		free(l->text);
		return perr(p, "out of memory");
	}
	c->n_lines_++;
	return 0;
}

static int load_file_depth(struct loadstate *ls, const char *path, int must_exist);

/* Splits a line into keyword and args. Returns argc (>= 0) with
 * *kwout set, 0 with *kwout NULL for blank/comment, -1 on error. */
static int split_line(struct pctx *p, char *buf, char **kwout, char **argv)
{
	*kwout = NULL;
	char *s = buf;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	char *kw = s;
	while (*s && *s != ' ' && *s != '\t' && *s != '=' && *s != '\r' && *s != '\n')
		s++;
	/* keyword then optional whitespace, optional single '=', whitespace */
	char *kwend = s;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '=')
		s++;
	*kwend = '\0';
	if (kwend == kw)
		return perr(p, "Bad configuration option: =");
	int argc = split_args(s, argv, CFG_MAX_ARGS);
	if (argc == -1)
		return perr(p, "invalid quotes");
	if (argc < 0)
		return perr(p, "too many arguments");
	*kwout = kw;
	return argc;
}

static int bad_option(struct pctx *p, const char *kw)
{
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s: line %d: Bad configuration option: %s", p->file, p->lineno, kw);
	return -1;
}

static int process_line(struct loadstate *ls, struct pctx *p, const char *line)
{
	size_t len = strlen(line);
	char *buf = malloc(len + 1);
	char **argv = malloc(sizeof(char *) * (CFG_MAX_ARGS + 1));
	int rc = -1;
	if (!buf || !argv) {
		perr(p, "out of memory");
		goto out;
	}
	memcpy(buf, line, len + 1);
	char *kw;
	int argc = split_line(p, buf, &kw, argv);
	if (argc < 0)
		goto out;
	if (!kw) {
		rc = 0;
		goto out;
	}
	const struct kwinfo *ki = kw_lookup(kw);
	if (!ki) {
		bad_option(p, kw);
		goto out;
	}
	if (ki->kw == K_MATCH) {
		if (p->cmdline) {
			perr(p, "Directive 'Match' is not allowed on the command line");
			goto out;
		}
		if (match_eval(p, argv, argc, NULL) < 0)
			goto out;
		if (store_line(ls->c, p, line, 1, -1) < 0)
			goto out;
		ls->cur_match = (long)ls->c->n_lines_ - 1;
		rc = 0;
		goto out;
	}
	if (ls->cur_match >= 0 && !(ki->flags & KF_MATCH)) {
		perr(p, "Directive '%s' is not allowed within a Match block", kw);
		goto out;
	}
	if (ki->kw == K_INCLUDE) {
		if (ls->depth >= CFG_MAX_INCLUDE_DEPTH) {
			perr(p, "Include nested too deep");
			goto out;
		}
		for (int i = 0; i < argc; i++) {
			char pat[PATH_MAX];
			if (argv[i][0] == '/' || argv[i][0] == '~') {
				if (argv[i][0] == '~') {
					perr(p, "Include: \"~\" paths are not supported");
					goto out;
				}
				snprintf(pat, sizeof(pat), "%s", argv[i]);
			} else {
				/* relative to the including file's directory */
				const char *slash = strrchr(p->file, '/');
				if (!slash || p->cmdline)
					snprintf(pat, sizeof(pat), "/etc/sshbox/%s", argv[i]);
				else
					snprintf(pat, sizeof(pat), "%.*s/%s", (int)(slash - p->file), p->file, argv[i]);
			}
			glob_t g;
			memset(&g, 0, sizeof(g));
			int gr = glob(pat, 0, NULL, &g);
			if (gr == GLOB_NOMATCH) {
				log_debug("%s line %d: include %s matched no files", p->file, p->lineno, pat);
				globfree(&g);
				continue;
			}
			if (gr != 0) {
				globfree(&g);
				perr(p, "include \"%s\": glob failed", pat);
				goto out;
			}
			long saved = ls->cur_match;
			ls->depth++;
			for (size_t j = 0; j < g.gl_pathc; j++) {
				if (load_file_depth(ls, g.gl_pathv[j], 1) < 0) {
					ls->depth--;
					globfree(&g);
					goto out;
				}
				/* a Match inside an included file ends with it */
				ls->cur_match = saved;
			}
			ls->depth--;
			globfree(&g);
		}
		rc = 0;
		goto out;
	}
	if (ls->cur_match >= 0) {
		/* validate now (into a scratch config), apply per connection */
		struct sshd_config scratch;
		sshd_config_init(&scratch);
		rc = apply_kw(p, &scratch, ki, kw, argv, argc);
		sshd_config_free(&scratch);
		if (rc == 0)
			rc = store_line(ls->c, p, line, 0, ls->cur_match);
		goto out;
	}
	rc = apply_kw(p, ls->c, ki, kw, argv, argc);
out:
	free(buf);
	free(argv);
	return rc;
}

/* Processes a whole text buffer of config lines. */
static int process_text(struct loadstate *ls, const char *name, const char *text, size_t len)
{
	struct pctx p = {.file = name, .lineno = 0, .cmdline = 0, .err = ls->err, .errlen = ls->errlen};
	size_t pos = 0;
	char *line = malloc(CFG_MAX_LINE + 1);
	if (!line)
		return perr_plain(ls->err, ls->errlen, "%s: out of memory", name);
	int rc = 0;
	while (pos < len) {
		p.lineno++;
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - start) : len - pos;
		pos += l + (nl ? 1 : 0);
		if (l > CFG_MAX_LINE) {
			rc = perr(&p, "line too long");
			break;
		}
		if (memchr(start, '\0', l)) {
			rc = perr(&p, "NUL character in line");
			break;
		}
		memcpy(line, start, l);
		line[l] = '\0';
		if (l && line[l - 1] == '\r')
			line[l - 1] = '\0';
		if (process_line(ls, &p, line) < 0) {
			rc = -1;
			break;
		}
	}
	free(line);
	return rc;
}

static int load_file_depth(struct loadstate *ls, const char *path, int must_exist)
{
	if (++ls->files > CFG_MAX_FILES)
		return perr_plain(ls->err, ls->errlen, "%s: too many included files (more than %d)", path, CFG_MAX_FILES);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return perr_plain(ls->err, ls->errlen, "%s: %s", path, strerror(errno));
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return perr_plain(ls->err, ls->errlen, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > CFG_MAX_FILE) {
		close(fd);
		return perr_plain(ls->err, ls->errlen, "%s: file too large", path);
	}
	size_t cap = (size_t)st.st_size + 1, len = 0;
	char *text = malloc(cap);
	if (!text) {
		close(fd);
		return perr_plain(ls->err, ls->errlen, "%s: out of memory", path);
	}
	for (;;) {
		if (len == cap) {
			if (cap > CFG_MAX_FILE) {
				free(text);
				close(fd);
				return perr_plain(ls->err, ls->errlen, "%s: file too large", path);
			}
			char *nt = realloc(text, cap * 2);
			if (!nt) {
				free(text);
				close(fd);
				return perr_plain(ls->err, ls->errlen, "%s: out of memory", path);
			}
			text = nt;
			cap *= 2;
		}
		ssize_t r = read(fd, text + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(text);
			close(fd);
			return perr_plain(ls->err, ls->errlen, "%s: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	int rc = process_text(ls, path, text, len);
	free(text);
	return rc;
}

int sshd_config_load(struct sshd_config *c, const char *path, int must_exist, char *err, size_t errlen)
{
	struct loadstate ls = {.c = c, .cur_match = -1, .depth = 0, .err = err, .errlen = errlen};
	return load_file_depth(&ls, path, must_exist);
}

int sshd_config_load_string(struct sshd_config *c, const char *name, const char *text, char *err, size_t errlen)
{
	struct loadstate ls = {.c = c, .cur_match = -1, .depth = 0, .err = err, .errlen = errlen};
	return process_text(&ls, name, text, strlen(text));
}

int sshd_config_option(struct sshd_config *c, const char *line, int lineno, char *err, size_t errlen)
{
	struct loadstate ls = {.c = c, .cur_match = -1, .depth = 0, .err = err, .errlen = errlen};
	struct pctx p = {.file = "command-line", .lineno = lineno, .cmdline = 1, .err = err, .errlen = errlen};
	if (strlen(line) > CFG_MAX_LINE)
		return perr(&p, "line too long");
	return process_line(&ls, &p, line);
}

int sshd_config_cmdline_port(struct sshd_config *c, const char *port, char *err, size_t errlen)
{
	int v = parse_port(port);
	if (v < 0)
		return perr_plain(err, errlen, "Bad port number: %s", port);
	if (!c->ports_from_cmdline) {
		c->n_ports = 0; /* -p overrides anything obtained before */
		c->ports_from_cmdline = 1;
	}
	if (c->n_ports >= ARRAY_LEN(c->ports))
		return perr_plain(err, errlen, "too many ports");
	c->ports[c->n_ports++] = v;
	return 0;
}

int sshd_config_cmdline_hostkey(struct sshd_config *c, const char *path)
{
	return strlist_add(&c->host_keys, path);
}

/* ---------------------------------------------------------------- */
/* finalize */

static int set_default_str(char **f, const char *v)
{
	if (*f)
		return 0;
	*f = strdup(v);
	return *f ? 0 : -1;
}

/* "none" sentinels become NULL, forwarding collapses under DisableForwarding. */
static void normalize(struct sshd_config *c)
{
	char **nonestr[] = {&c->banner, &c->force_command, &c->chroot_directory, &c->pid_file};
	for (size_t i = 0; i < ARRAY_LEN(nonestr); i++) {
		if (*nonestr[i] && strcasecmp(*nonestr[i], "none") == 0) {
			free(*nonestr[i]);
			*nonestr[i] = NULL;
		}
	}
	if (c->disable_forwarding == 1) {
		c->allow_tcp_forwarding = FWD_ALLOW_NO;
		c->allow_streamlocal_forwarding = FWD_ALLOW_NO;
		c->allow_agent_forwarding = 0;
	}
}

int sshd_config_finalize(struct sshd_config *c, char *err, size_t errlen)
{
	int bad = 0;
	int root = geteuid() == 0;
	if (c->n_ports == 0)
		c->ports[c->n_ports++] = 22;
	/* sshbox, unlike OpenSSH's built-in default, serves sftp (and so scp and
	 * most IDEs) with no config at all: a config without any Subsystem line
	 * gets "Subsystem sftp internal-sftp". */
	if (c->n_subsystems == 0 && add_default_sftp_subsystem(c) < 0)
		return perr_plain(err, errlen, "out of memory");
	if (c->address_family == -1)
		c->address_family = SSHD_AF_ANY;

	/* listen set: every ListenAddress without port gets every Port */
	{
		struct listen_addr *out = NULL;
		size_t n = 0;
		size_t want = (c->n_listen ? c->n_listen : 1) * c->n_ports;
		out = calloc(want, sizeof(*out));
		if (!out)
			return perr_plain(err, errlen, "out of memory");
		if (c->n_listen == 0) {
			for (size_t i = 0; i < c->n_ports; i++) {
				out[n].host = NULL;
				out[n++].port = c->ports[i];
			}
		} else {
			for (size_t i = 0; i < c->n_listen; i++) {
				if (c->listen[i].port) {
					out[n].host = c->listen[i].host;
					c->listen[i].host = NULL;
					out[n++].port = c->listen[i].port;
				} else {
					for (size_t j = 0; j < c->n_ports; j++) {
						out[n].host = strdup(c->listen[i].host);
						if (!out[n].host)
							bad = 1;
						out[n++].port = c->ports[j];
					}
				}
			}
		}
		for (size_t i = 0; i < c->n_listen; i++)
			free(c->listen[i].host);
		free(c->listen);
		c->listen = out;
		c->n_listen = n;
	}

	if (!c->data_directory) {
		if (root) {
			c->data_directory = strdup("/var/lib/sshbox");
		} else {
			const char *xdg = getenv("XDG_STATE_HOME");
			char path[PATH_MAX];
			if (xdg && xdg[0] == '/') {
				snprintf(path, sizeof(path), "%s/sshbox", xdg);
			} else {
				const char *home = getenv("HOME");
				if (!home || home[0] != '/') {
					struct passwd *pw = getpwuid(geteuid());
					home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
				}
				if (!home)
					return perr_plain(err, errlen, "cannot determine DataDirectory: no HOME");
				snprintf(path, sizeof(path), "%s/.local/state/sshbox", home);
			}
			c->data_directory = strdup(path);
		}
		if (!c->data_directory)
			bad = 1;
	}
	if (c->host_keys.n == 0 && c->data_directory) {
		char hk[PATH_MAX];
		snprintf(hk, sizeof(hk), "%s/ssh_host_ed25519_key", c->data_directory);
		bad |= strlist_add(&c->host_keys, hk) < 0;
	}
	if (!c->pid_file && c->data_directory) {
		char pf[PATH_MAX];
		if (root)
			snprintf(pf, sizeof(pf), "/run/sshbox.pid");
		else
			snprintf(pf, sizeof(pf), "%s/sshd.pid", c->data_directory);
		bad |= set_default_str(&c->pid_file, pf) < 0;
	}
	if (c->log_level == -1) {
		c->log_level = LOG_INFO;
		free(c->log_level_name);
		c->log_level_name = strdup("INFO");
	}
	if (c->syslog_facility == -1) {
		c->syslog_facility = 4 << 3; /* LOG_AUTH */
		free(c->syslog_facility_name);
		c->syslog_facility_name = strdup("AUTH");
	}
	bad |= set_default_str(&c->ciphers, CIPHER_NAMES_DEFAULT) < 0;
	bad |= set_default_str(&c->macs, MAC_NAMES_OFFERED) < 0;
	bad |= set_default_str(&c->kex_algorithms, KEX_NAMES_SUPPORTED) < 0;
	bad |= set_default_str(&c->host_key_algorithms, SUPPORTED_HOSTKEY) < 0;
	bad |= set_default_str(&c->pubkey_accepted_algorithms, SUPPORTED_PUBKEY) < 0;
	if (c->rekey_limit_bytes == UINT64_MAX) {
		c->rekey_limit_bytes = 0;
		c->rekey_limit_seconds = 0;
	}
	set_int(&c->login_grace_time, 120);
	set_int(&c->max_auth_tries, 6);
	set_int(&c->max_sessions, 10);
	if (c->max_startups.begin == -1)
		c->max_startups = (struct max_startups){10, 30, 100};
	/* sshbox default: a quarter of the unauthenticated slots per source
	 * (OpenSSH: none), so one flooding netblock cannot hold them all */
	if (c->per_source_max_startups == -1)
		c->per_source_max_startups = c->max_startups.full / 4 > 0 ? c->max_startups.full / 4 : 1;
	set_int(&c->per_source_netblock_v4, 32);
	set_int(&c->per_source_netblock_v6, 128);
	set_int(&c->per_source_penalties, 1);
	set_int(&c->permit_root_login, PERMIT_ROOT_PROHIBIT_PASSWORD);
	set_int(&c->pubkey_authentication, 1);
	set_int(&c->password_authentication, 1);
	set_int(&c->kbd_interactive_authentication, 1);
	set_int(&c->permit_empty_passwords, 0);
	set_int(&c->use_pam, 0);
	bad |= set_default_str(&c->pam_service_name, SSHD_DEFAULT_PAM_SERVICE) < 0;
	if (!c->authorized_keys_files.v) {
		bad |= strlist_add(&c->authorized_keys_files, ".ssh/authorized_keys") < 0;
		bad |= strlist_add(&c->authorized_keys_files, ".ssh/authorized_keys2") < 0;
	}
	set_int(&c->strict_modes, 1);
	set_int(&c->print_motd, 1);
	set_int(&c->print_last_log, 1);
	if (!c->accept_env.v) {
		bad |= strlist_add(&c->accept_env, "TERM") < 0;
		bad |= strlist_add(&c->accept_env, "LANG") < 0;
		bad |= strlist_add(&c->accept_env, "LC_*") < 0;
	}
	set_int(&c->permit_user_environment, PERMIT_USER_ENV_NO);
	set_int(&c->permit_tty, 1);
	set_int(&c->allow_tcp_forwarding, FWD_ALLOW_ALL);
	set_int(&c->allow_streamlocal_forwarding, FWD_ALLOW_ALL);
	set_int(&c->allow_agent_forwarding, 1);
	set_int(&c->gateway_ports, GATEWAY_PORTS_NO);
	if (!c->permit_open.v) {
		c->permit_open_any = 1;
		bad |= strlist_touch(&c->permit_open) < 0;
	}
	if (!c->permit_listen.v) {
		c->permit_listen_any = 1;
		bad |= strlist_touch(&c->permit_listen) < 0;
	}
	set_int(&c->x11_forwarding, 0);
	set_int(&c->disable_forwarding, 0);
	set_int(&c->client_alive_interval, 0);
	set_int(&c->client_alive_count_max, 3);
	set_int(&c->tcp_keep_alive, 1);
	set_int(&c->compression, COMPRESSION_DELAYED);
	set_int(&c->use_dns, 0);
	set_int(&c->helper_exec_method, HELPER_EXEC_AUTO);
	set_int(&c->debug_service, 1);
	bad |= strlist_touch(&c->host_keys) < 0;
	bad |= strlist_touch(&c->allow_users) < 0;
	bad |= strlist_touch(&c->deny_users) < 0;
	bad |= strlist_touch(&c->allow_groups) < 0;
	bad |= strlist_touch(&c->deny_groups) < 0;
	bad |= strlist_touch(&c->debug_allow_users) < 0;
	bad |= strlist_touch(&c->debug_allow_groups) < 0;
	normalize(c);
	if (!c->log_level_name || !c->syslog_facility_name)
		bad = 1;
	c->finalized_ = 1;
	if (bad)
		return perr_plain(err, errlen, "out of memory");
	return 0;
}

/* ---------------------------------------------------------------- */
/* Match */

static int lookup_groups(const char *user, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	struct passwd *pw = getpwnam(user);
	if (!pw)
		return 0;
	int ng = 64;
	gid_t *gids = NULL;
	for (int tries = 0; tries < 4; tries++) {
		gid_t *ngids = realloc(gids, (size_t)ng * sizeof(gid_t));
		if (!ngids) {
			free(gids);
			return -1;
		}
		gids = ngids;
		int cnt = ng;
		if (getgrouplist(user, pw->pw_gid, gids, &cnt) >= 0) {
			ng = cnt;
			break;
		}
		if (cnt <= ng || cnt > 65536) {
			ng = 0;
			break;
		}
		ng = cnt;
	}
	char **out = calloc((size_t)ng + 1, sizeof(char *));
	if (!out) {
		free(gids);
		return -1;
	}
	size_t k = 0;
	for (int i = 0; i < ng; i++) {
		struct group *gr = getgrgid(gids[i]);
		if (gr && gr->gr_name && (out[k] = strdup(gr->gr_name)))
			k++;
	}
	free(gids);
	*names = out;
	*n = k;
	return 0;
}

#define MERGE_INT(f)                \
	do {                        \
		if (ov->f != -1)    \
			out->f = ov->f; \
	} while (0)
#define MERGE_STR(f)                       \
	do {                               \
		if (ov->f) {               \
			free(out->f);      \
			out->f = ov->f;    \
			ov->f = NULL;      \
		}                          \
	} while (0)
#define MERGE_LIST(f)                      \
	do {                               \
		if (ov->f.v) {             \
			strlist_free(&out->f); \
			out->f = ov->f;    \
			ov->f = (struct strlist){0}; \
		}                          \
	} while (0)

static void merge_overlay(struct sshd_config *out, struct sshd_config *ov)
{
	if (ov->log_level != -1) {
		out->log_level = ov->log_level;
		MERGE_STR(log_level_name);
	}
	MERGE_STR(pubkey_accepted_algorithms);
	if (ov->rekey_limit_bytes != UINT64_MAX) {
		out->rekey_limit_bytes = ov->rekey_limit_bytes;
		out->rekey_limit_seconds = ov->rekey_limit_seconds;
	}
	MERGE_INT(max_auth_tries);
	MERGE_INT(max_sessions);
	MERGE_INT(permit_root_login);
	MERGE_INT(pubkey_authentication);
	MERGE_INT(password_authentication);
	MERGE_INT(kbd_interactive_authentication);
	MERGE_INT(permit_empty_passwords);
	MERGE_LIST(authorized_keys_files);
	MERGE_LIST(allow_users);
	MERGE_LIST(deny_users);
	MERGE_LIST(allow_groups);
	MERGE_LIST(deny_groups);
	MERGE_STR(banner);
	MERGE_LIST(accept_env);
	MERGE_INT(permit_tty);
	MERGE_STR(force_command);
	MERGE_STR(chroot_directory);
	MERGE_INT(allow_tcp_forwarding);
	MERGE_INT(allow_streamlocal_forwarding);
	MERGE_INT(allow_agent_forwarding);
	MERGE_INT(gateway_ports);
	if (ov->permit_open.v) {
		MERGE_LIST(permit_open);
		out->permit_open_any = ov->permit_open_any;
	}
	if (ov->permit_listen.v) {
		MERGE_LIST(permit_listen);
		out->permit_listen_any = ov->permit_listen_any;
	}
	MERGE_INT(disable_forwarding);
	MERGE_INT(client_alive_interval);
	MERGE_INT(client_alive_count_max);
}

int sshd_config_match(const struct sshd_config *base, const struct sshd_match_info *mi, struct sshd_config *out,
		      char *err, size_t errlen)
{
	if (sshd_config_copy(base, out) < 0)
		return perr_plain(err, errlen, "out of memory");
	if (base->n_lines_ == 0)
		return 0;
	struct sshd_match_info m = *mi;
	char **gnames = NULL;
	size_t ngn = 0;
	if (!m.groups && m.user) {
		if (lookup_groups(m.user, &gnames, &ngn) < 0) {
			sshd_config_free(out);
			return perr_plain(err, errlen, "out of memory");
		}
		m.groups = (const char *const *)gnames;
		m.n_groups = ngn;
	}
	signed char *res = calloc(base->n_lines_, 1);
	struct sshd_config ov;
	sshd_config_init(&ov);
	int rc = 0;
	char **argv = malloc(sizeof(char *) * (CFG_MAX_ARGS + 1));
	if (!res || !argv) {
		rc = perr_plain(err, errlen, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < base->n_lines_ && rc == 0; i++) {
		const struct sshd_cfg_line *l = &base->lines_[i];
		struct pctx p = {.file = l->file, .lineno = l->lineno, .quiet = 1, .err = err, .errlen = errlen};
		if (!l->is_match && (l->match_idx < 0 || (size_t)l->match_idx >= i || !res[l->match_idx]))
			continue;
		char *buf = strdup(l->text);
		if (!buf) {
			rc = perr_plain(err, errlen, "out of memory");
			break;
		}
		char *kw;
		int argc = split_line(&p, buf, &kw, argv);
		if (argc < 0 || !kw) {
			free(buf);
			rc = argc < 0 ? -1 : 0;
			continue;
		}
		if (l->is_match) {
			int r = match_eval(&p, argv, argc, &m);
			if (r < 0)
				rc = -1;
			else
				res[i] = (signed char)r;
			if (r == 1)
				log_debug("%s line %d: Match applies to user %s host %s addr %s", l->file, l->lineno,
					  m.user ? m.user : "", m.host ? m.host : "", m.addr ? m.addr : "");
		} else {
			const struct kwinfo *ki = kw_lookup(kw);
			if (!ki)
				rc = bad_option(&p, kw);
			else
				rc = apply_kw(&p, &ov, ki, kw, argv, argc);
		}
		free(buf);
	}
	if (rc == 0) {
		merge_overlay(out, &ov);
		normalize(out);
	}
done:
	free(argv);
	free(res);
	sshd_config_free(&ov);
	if (gnames) {
		for (size_t i = 0; i < ngn; i++)
			free(gnames[i]);
		free(gnames);
	}
	if (rc < 0)
		sshd_config_free(out);
	return rc;
}

/* ---------------------------------------------------------------- */
/* -T dump */

const char *permit_root_login_name(int v)
{
	switch (v) {
	case PERMIT_ROOT_NO: return "no";
	case PERMIT_ROOT_FORCED_COMMANDS_ONLY: return "forced-commands-only";
	case PERMIT_ROOT_PROHIBIT_PASSWORD: return "without-password";
	case PERMIT_ROOT_YES: return "yes";
	}
	return "unknown";
}

static const char *yn(int v)
{
	return v ? "yes" : "no";
}

static const char *fwd_name(int v)
{
	switch (v) {
	case FWD_ALLOW_NO: return "no";
	case FWD_ALLOW_LOCAL: return "local";
	case FWD_ALLOW_REMOTE: return "remote";
	default: return "yes";
	}
}

static void dump_list(FILE *f, const char *kw, const struct strlist *l, const char *empty)
{
	if (l->n == 0) {
		if (empty)
			fprintf(f, "%s %s\n", kw, empty);
		return;
	}
	fprintf(f, "%s", kw);
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, " %s", l->v[i]);
	fputc('\n', f);
}

static void dump_each(FILE *f, const char *kw, const struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, "%s %s\n", kw, l->v[i]);
}

int sshd_config_dump(const struct sshd_config *c, FILE *f)
{
	static const char *afn[] = {"any", "inet", "inet6"};
	static const char *gwn[] = {"no", "yes", "clientspecified"};
	static const char *compn[] = {"no", "yes", "yes"}; /* OpenSSH prints delayed as yes */
	static const char *hem[] = {"auto", "memfd", "tmpfile", "mkstemp", "procself"};
	for (size_t i = 0; i < c->n_ports; i++)
		fprintf(f, "port %d\n", c->ports[i]);
	fprintf(f, "addressfamily %s\n", afn[c->address_family >= 0 && c->address_family <= 2 ? c->address_family : 0]);
	for (size_t i = 0; i < c->n_listen; i++) {
		const char *h = c->listen[i].host;
		if (!h) {
			if (c->address_family != SSHD_AF_INET)
				fprintf(f, "listenaddress [::]:%d\n", c->listen[i].port);
			if (c->address_family != SSHD_AF_INET6)
				fprintf(f, "listenaddress 0.0.0.0:%d\n", c->listen[i].port);
		} else if (strchr(h, ':')) {
			fprintf(f, "listenaddress [%s]:%d\n", h, c->listen[i].port);
		} else {
			fprintf(f, "listenaddress %s:%d\n", h, c->listen[i].port);
		}
	}
	fprintf(f, "usepam %s\n", yn(c->use_pam));
	fprintf(f, "logingracetime %d\n", c->login_grace_time);
	fprintf(f, "maxauthtries %d\n", c->max_auth_tries);
	fprintf(f, "maxsessions %d\n", c->max_sessions);
	fprintf(f, "clientaliveinterval %d\n", c->client_alive_interval);
	fprintf(f, "clientalivecountmax %d\n", c->client_alive_count_max);
	fprintf(f, "permitrootlogin %s\n", permit_root_login_name(c->permit_root_login));
	fprintf(f, "pubkeyauthentication %s\n", yn(c->pubkey_authentication));
	fprintf(f, "passwordauthentication %s\n", yn(c->password_authentication));
	fprintf(f, "kbdinteractiveauthentication %s\n", yn(c->kbd_interactive_authentication));
	fprintf(f, "printmotd %s\n", yn(c->print_motd));
	fprintf(f, "printlastlog %s\n", yn(c->print_last_log));
	fprintf(f, "x11forwarding %s\n", yn(c->x11_forwarding));
	fprintf(f, "permittty %s\n", yn(c->permit_tty));
	fprintf(f, "strictmodes %s\n", yn(c->strict_modes));
	fprintf(f, "tcpkeepalive %s\n", yn(c->tcp_keep_alive));
	fprintf(f, "permitemptypasswords %s\n", yn(c->permit_empty_passwords));
	fprintf(f, "compression %s\n", compn[c->compression >= 0 && c->compression <= 2 ? c->compression : 1]);
	fprintf(f, "gatewayports %s\n", gwn[c->gateway_ports >= 0 && c->gateway_ports <= 2 ? c->gateway_ports : 0]);
	fprintf(f, "usedns %s\n", yn(c->use_dns));
	fprintf(f, "allowtcpforwarding %s\n", fwd_name(c->allow_tcp_forwarding));
	fprintf(f, "allowagentforwarding %s\n", yn(c->allow_agent_forwarding));
	fprintf(f, "disableforwarding %s\n", yn(c->disable_forwarding == 1));
	fprintf(f, "allowstreamlocalforwarding %s\n", fwd_name(c->allow_streamlocal_forwarding));
	fprintf(f, "persourcepenalties %s\n", yn(c->per_source_penalties));
	fprintf(f, "pidfile %s\n", c->pid_file ? c->pid_file : "none");
	fprintf(f, "ciphers %s\n", c->ciphers ? c->ciphers : "");
	fprintf(f, "macs %s\n", c->macs ? c->macs : "");
	fprintf(f, "banner %s\n", c->banner ? c->banner : "none");
	fprintf(f, "forcecommand %s\n", c->force_command ? c->force_command : "none");
	fprintf(f, "chrootdirectory %s\n", c->chroot_directory ? c->chroot_directory : "none");
	fprintf(f, "kexalgorithms %s\n", c->kex_algorithms ? c->kex_algorithms : "");
	fprintf(f, "hostkeyalgorithms %s\n", c->host_key_algorithms ? c->host_key_algorithms : "");
	fprintf(f, "pubkeyacceptedalgorithms %s\n", c->pubkey_accepted_algorithms ? c->pubkey_accepted_algorithms : "");
	fprintf(f, "loglevel %s\n", c->log_level_name ? c->log_level_name : "INFO");
	fprintf(f, "syslogfacility %s\n", c->syslog_facility_name ? c->syslog_facility_name : "AUTH");
	dump_list(f, "authorizedkeysfile", &c->authorized_keys_files, "none");
	dump_each(f, "hostkey", &c->host_keys);
	dump_list(f, "allowusers", &c->allow_users, NULL);
	dump_list(f, "denyusers", &c->deny_users, NULL);
	dump_list(f, "allowgroups", &c->allow_groups, NULL);
	dump_list(f, "denygroups", &c->deny_groups, NULL);
	dump_list(f, "acceptenv", &c->accept_env, NULL);
	for (size_t i = 0; i < c->n_subsystems; i++)
		fprintf(f, "subsystem %s %s\n", c->subsystems[i].name, c->subsystems[i].command);
	fprintf(f, "maxstartups %d:%d:%d\n", c->max_startups.begin, c->max_startups.rate, c->max_startups.full);
	if (c->per_source_max_startups > 0)
		fprintf(f, "persourcemaxstartups %d\n", c->per_source_max_startups);
	else
		fprintf(f, "persourcemaxstartups none\n");
	fprintf(f, "persourcenetblocksize %d:%d\n", c->per_source_netblock_v4, c->per_source_netblock_v6);
	if (c->rekey_limit_bytes == UINT64_MAX)
		fprintf(f, "rekeylimit 0 0\n");
	else
		fprintf(f, "rekeylimit %llu %d\n", (unsigned long long)c->rekey_limit_bytes, c->rekey_limit_seconds);
	if (c->permit_open_any || c->permit_open.n)
		dump_list(f, "permitopen", &c->permit_open, "any");
	else
		fprintf(f, "permitopen none\n");
	if (c->permit_listen_any || c->permit_listen.n)
		dump_list(f, "permitlisten", &c->permit_listen, "any");
	else
		fprintf(f, "permitlisten none\n");
	if (c->permit_user_environment == PERMIT_USER_ENV_PATTERN && c->permit_user_environment_patterns)
		fprintf(f, "permituserenvironment %s\n", c->permit_user_environment_patterns);
	else
		fprintf(f, "permituserenvironment %s\n", yn(c->permit_user_environment == PERMIT_USER_ENV_YES));
	fprintf(f, "datadirectory %s\n", c->data_directory ? c->data_directory : "none");
	fprintf(f, "helperexecmethod %s\n",
		hem[c->helper_exec_method >= 0 && c->helper_exec_method <= 4 ? c->helper_exec_method : 0]);
	fprintf(f, "debugservice %s\n", yn(c->debug_service));
	dump_list(f, "debugallowusers", &c->debug_allow_users, NULL);
	dump_list(f, "debugallowgroups", &c->debug_allow_groups, NULL);
	fprintf(f, "pamservicename %s\n", c->pam_service_name ? c->pam_service_name : SSHD_DEFAULT_PAM_SERVICE);
	return ferror(f) ? -1 : 0;
}

int sshd_match_spec_parse(const char *spec, struct sshd_match_spec *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	size_t n = strlen(spec);
	if (n >= sizeof(out->buf))
		return perr_plain(err, errlen, "Invalid test mode specification: too long");
	memcpy(out->buf, spec, n + 1);
	char *save = NULL;
	for (char *tok = strtok_r(out->buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq || eq == tok || !eq[1])
			return perr_plain(err, errlen, "Invalid test mode specification %s", tok);
		*eq = '\0';
		const char *v = eq + 1;
		if (strcasecmp(tok, "user") == 0) {
			out->mi.user = v;
		} else if (strcasecmp(tok, "host") == 0) {
			out->mi.host = v;
		} else if (strcasecmp(tok, "addr") == 0) {
			out->mi.addr = v;
		} else if (strcasecmp(tok, "laddr") == 0) {
			out->mi.laddr = v;
		} else if (strcasecmp(tok, "lport") == 0) {
			int port = parse_port(v);
			if (port < 0)
				return perr_plain(err, errlen, "Invalid port '%s' in test mode specification", v);
			out->mi.lport = port;
		} else if (strcasecmp(tok, "rdomain") == 0) {
			/* accepted, not supported */
		} else {
			return perr_plain(err, errlen, "Invalid test mode specification %s", tok);
		}
	}
	if (!out->mi.host && out->mi.addr)
		out->mi.host = out->mi.addr;
	return 0;
}
