/* match: OpenSSH-style patterns and CIDR address lists (see match.h). */
#include "match.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"

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

int commalist_next(const char **cursor, const char **item, size_t *len)
{
	const char *c = *cursor;
	if (!c || !*c)
		return 0;
	const char *end = strchr(c, ',');
	*item = c;
	*len = end ? (size_t)(end - c) : strlen(c);
	*cursor = end ? end + 1 : NULL;
	return 1;
}

int commalist_copy(char *dst, size_t cap, const char *item, size_t len)
{
	if (len >= cap)
		return -1;
	memcpy(dst, item, len);
	dst[len] = '\0';
	return 0;
}

/* Walks a comma-separated list whose entries may be negated with "!",
 * asking match_entry about each entry (without its "!"): 1 on a positive
 * match, -1 as soon as a negated entry matches, 0 when none matched. An
 * entry answer of -2 (malformed) ends the walk with -2. */
static int match_negatable_list(const char *list,
				int (*match_entry)(const void *ctx, const char *ent, size_t len),
				const void *ctx)
{
	int got = 0;
	const char *cur = list, *ent;
	size_t len;
	while (commalist_next(&cur, &ent, &len)) {
		int neg = len > 0 && *ent == '!';
		if (neg) {
			ent++;
			len--;
		}
		int m = match_entry(ctx, ent, len);
		if (m == -2)
			return -2;
		if (m) {
			if (neg)
				return -1;
			got = 1;
		}
	}
	return got;
}

struct pattern_query {
	const char *s; /* lower-cased already when dolower */
	int dolower;
};

static int match_pattern_entry(const void *ctx, const char *q, size_t len)
{
	const struct pattern_query *pq = ctx;
	char pat[1024];
	if (len == 0 || len >= sizeof(pat))
		return 0;
	for (size_t i = 0; i < len; i++)
		pat[i] = pq->dolower ? (char)tolower((unsigned char)q[i]) : q[i];
	pat[len] = '\0';
	return match_pattern(pq->s, pat);
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
	struct pattern_query pq = {s, dolower};
	return match_negatable_list(list, match_pattern_entry, &pq);
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

/* ctx: the address, or NULL to only validate the entry. */
static int match_addr_entry(const void *ctx, const char *q, size_t len)
{
	const char *addr = ctx;
	char ent[256];
	if (len == 0 || commalist_copy(ent, sizeof(ent), q, len) < 0)
		return -2;
	if (strchr(ent, '/')) {
		int bad = 0, m = 0;
		if (addr) {
			m = addr_in_cidr(addr, ent, &bad);
		} else {
			int af, bits;
			uint8_t tmp[16];
			bad = parse_cidr(ent, &af, tmp, &bits) < 0;
		}
		return bad ? -2 : m;
	}
	return addr ? match_pattern(addr, ent) : 0;
}

int match_addr_list(const char *addr, const char *list)
{
	if (!list)
		return 0;
	return match_negatable_list(list, match_addr_entry, addr);
}

int match_addr_list_valid(const char *list)
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
