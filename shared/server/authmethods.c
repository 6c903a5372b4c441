/* authmethods: AuthenticationMethods lists. See authmethods.h. */
#include "authmethods.h"

#include <stdio.h>
#include <string.h>

static const char *const known[] = {"publickey", "password", "keyboard-interactive"};

/* The static name for a method word, NULL if unknown. */
static const char *method_name(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i]) == n && memcmp(known[i], s, n) == 0)
			return known[i];
	return NULL;
}

static int bad(char *why, size_t whylen, const char *msg)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", msg);
	return -1;
}

/* One comma-separated list starting at s (n bytes) into m->lists[idx]. */
static int parse_list(struct authmethods *m, size_t idx, const char *s, size_t n, char *why, size_t whylen)
{
	size_t count = 0;
	const char *end = s + n;
	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		size_t len = comma ? (size_t)(comma - s) : (size_t)(end - s);
		const char *name = method_name(s, len);
		if (!name)
			return bad(why, whylen, "unknown or unsupported authentication method");
		if (count >= AUTHMETHODS_MAX_PER_LIST)
			return bad(why, whylen, "too many methods in one list");
		m->lists[idx][count++] = name;
		s += len + (comma ? 1 : 0);
		if (comma && s == end)
			return bad(why, whylen, "empty method name");
	}
	if (count == 0)
		return bad(why, whylen, "empty method list");
	m->lists[idx][count] = NULL;
	return 0;
}

int authmethods_parse(struct authmethods *m, const char *spec, char *why, size_t whylen)
{
	memset(m, 0, sizeof(*m));
	if (!spec || strcmp(spec, "any") == 0)
		return 0;
	if (strlen(spec) > AUTHMETHODS_MAX_SPEC)
		return bad(why, whylen, "AuthenticationMethods too long");
	const char *p = spec;
	while (*p) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		size_t n = strcspn(p, " \t");
		if (m->n_lists >= AUTHMETHODS_MAX_LISTS)
			return bad(why, whylen, "too many method lists");
		if (n == 3 && memcmp(p, "any", 3) == 0)
			return bad(why, whylen, "\"any\" must appear alone");
		if (parse_list(m, m->n_lists, p, n, why, whylen) < 0)
			return -1;
		m->n_lists++;
		p += n;
	}
	if (m->n_lists == 0)
		return bad(why, whylen, "no method list");
	m->active = 1;
	return 0;
}

int authmethods_allowed(const struct authmethods *m, const char *method)
{
	if (!m->active)
		return 1;
	for (size_t i = 0; i < m->n_lists; i++)
		if (m->lists[i][0] && strcmp(m->lists[i][0], method) == 0)
			return 1;
	return 0;
}

int authmethods_success(struct authmethods *m, const char *method)
{
	if (!m->active)
		return 1;
	for (size_t i = 0; i < m->n_lists; i++) {
		const char **l = m->lists[i];
		if (!l[0] || strcmp(l[0], method) != 0)
			continue;
		memmove(l, l + 1, AUTHMETHODS_MAX_PER_LIST * sizeof(*l));
		l[AUTHMETHODS_MAX_PER_LIST] = NULL;
		if (!l[0])
			return 1;
	}
	return 0;
}

void authmethods_next(const struct authmethods *m, int (*enabled)(const void *ctx, const char *method),
		      const void *ctx, char *out, size_t cap)
{
	out[0] = '\0';
	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
		const char *name = known[k];
		if (!authmethods_allowed(m, name) || (enabled && !enabled(ctx, name)))
			continue;
		size_t o = strlen(out);
		snprintf(out + o, cap - o, "%s%s", o ? "," : "", name);
	}
}
