/* The field table at work: the keyword table, init, free, copy and the
 * Match merge, each derived from sshd_config_fields.def; plus the error
 * helpers every config file uses. */
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "util.h"

/* ---------------------------------------------------------------- */
/* keyword table */

#define OFF(field) offsetof(struct sshd_config, field)
static const struct cfg_keyword keywords[] = {
#define CFG_INT(field, kw, flags, def, parse, arg, dump) {kw, flags, parse, OFF(field), arg, NULL},
#define CFG_STR(field, kw, flags, def, parse, arg, dump) {kw, flags, parse, OFF(field), arg, NULL},
#define CFG_LIST(field, kw, flags, parse, arg, dump) {kw, flags, parse, OFF(field), arg, NULL},
#define CFG_KEYWORD(kw, flags, parse, arg) {kw, flags, parse, 0, arg, NULL},
#define CFG_ALIAS(kw, target) {kw, 0, NULL, 0, NULL, target},
#define CFG_IGNORED(kw, flags, only) {kw, (flags) | KF_MULTI, parse_ignored, 0, only, NULL},
#include "sshd_config_fields.def"
};
#undef OFF

static const struct cfg_keyword *lookup_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(keywords); i++) {
		const struct cfg_keyword *k = &keywords[i];
		/* lines without a parser only name a -T line */
		if (!k->name || (!k->parse && !k->alias_of && !(k->flags & KF_LOADER)))
			continue;
		if (strcasecmp(k->name, name) == 0)
			return k;
	}
	return NULL;
}

const struct cfg_keyword *cfg_keyword_lookup(const char *name)
{
	const struct cfg_keyword *k = lookup_name(name);
	return k && k->alias_of ? lookup_name(k->alias_of) : k;
}

/* ---------------------------------------------------------------- */
/* init / free / copy */

void sshd_config_init(struct sshd_config *c)
{
	memset(c, 0, sizeof(*c));
#define CFG_INT(field, ...) c->field = -1;
#include "sshd_config_fields.def"
	c->max_startups.begin = -1;
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
	subsystems_free(c->subsystems, c->n_subsystems);
#define CFG_STR(field, ...) free(c->field);
#define CFG_LIST(field, ...) strlist_free(&c->field);
#include "sshd_config_fields.def"
	for (size_t i = 0; i < c->n_lines_; i++) {
		free(c->lines_[i].file);
		free(c->lines_[i].text);
	}
	free(c->lines_);
	memset(c, 0, sizeof(*c));
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The hand-written arrays of dst (already holding src's pointers) become
 * deep copies. 0, or -1 out of memory (dst stays freeable). */
static int copy_arrays(const struct sshd_config *src, struct sshd_config *dst)
{
	int bad = 0;
	dst->listen = NULL;
	dst->n_listen = 0;
	dst->subsystems = NULL;
	dst->n_subsystems = 0;
	dst->lines_ = NULL;
	dst->n_lines_ = dst->cap_lines_ = 0;
	if (src->n_listen) {
		dst->listen = calloc(src->n_listen, sizeof(*dst->listen));
		if (!dst->listen)
			return -1;
		dst->n_listen = src->n_listen;
		for (size_t i = 0; i < src->n_listen; i++) {
			dst->listen[i].port = src->listen[i].port;
			if (src->listen[i].host && !(dst->listen[i].host = strdup(src->listen[i].host)))
				bad = 1;
		}
	}
	if (src->n_subsystems) {
		dst->subsystems = calloc(src->n_subsystems, sizeof(*dst->subsystems));
		if (!dst->subsystems)
			return -1;
		dst->n_subsystems = src->n_subsystems;
		for (size_t i = 0; i < src->n_subsystems; i++) {
			dst->subsystems[i].internal_sftp = src->subsystems[i].internal_sftp;
			dst->subsystems[i].name = dup_or_null(src->subsystems[i].name);
			dst->subsystems[i].command = dup_or_null(src->subsystems[i].command);
			if (!dst->subsystems[i].name || !dst->subsystems[i].command)
				bad = 1;
		}
	}
	if (src->n_lines_) {
		dst->lines_ = calloc(src->n_lines_, sizeof(*dst->lines_));
		if (!dst->lines_)
			return -1;
		dst->n_lines_ = dst->cap_lines_ = src->n_lines_;
		for (size_t i = 0; i < src->n_lines_; i++) {
			dst->lines_[i] = src->lines_[i];
			dst->lines_[i].file = dup_or_null(src->lines_[i].file);
			dst->lines_[i].text = dup_or_null(src->lines_[i].text);
			if (!dst->lines_[i].file || !dst->lines_[i].text)
				bad = 1;
		}
	}
	return bad ? -1 : 0;
}

int sshd_config_copy(const struct sshd_config *src, struct sshd_config *dst)
{
	*dst = *src;
	/* first clear every table pointer, so a failure below frees only copies */
#define CFG_STR(field, ...) dst->field = NULL;
#define CFG_LIST(field, ...) dst->field = (struct strlist){0};
#include "sshd_config_fields.def"
	int bad = copy_arrays(src, dst) < 0;
#define CFG_STR(field, ...) bad |= src->field && !(dst->field = strdup(src->field));
#define CFG_LIST(field, ...) bad |= strlist_copy(&dst->field, &src->field) < 0;
#include "sshd_config_fields.def"
	if (bad) {
		sshd_config_free(dst);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* Match overlay */

void cfg_merge_overlay(struct sshd_config *out, struct sshd_config *ov)
{
	/* Only KF_MATCH fields can be set in the overlay; a field set there
	 * replaces the base value (the overlay's value is moved). Companion
	 * fields without a keyword (log_level_name, permit_open_any,
	 * rekey_limit_seconds) are set by their keyword's parser together
	 * with it, so "set in the overlay" is the same test for both. */
#define CFG_INT(field, kw, flags, ...)                                                                       \
	if (((flags)&KF_MATCH) && ov->field != -1)                                                           \
		out->field = ov->field;
#define CFG_STR(field, kw, flags, ...)                                                                       \
	if (((flags)&KF_MATCH) && ov->field) {                                                               \
		free(out->field);                                                                            \
		out->field = ov->field;                                                                      \
		ov->field = NULL;                                                                            \
	}
#define CFG_LIST(field, kw, flags, ...)                                                                      \
	if (((flags)&KF_MATCH) && ov->field.v) {                                                             \
		strlist_free(&out->field);                                                                   \
		out->field = ov->field;                                                                      \
		ov->field = (struct strlist){0};                                                             \
	}
#include "sshd_config_fields.def"
	if (ov->rekey_limit_bytes != UINT64_MAX)
		out->rekey_limit_bytes = ov->rekey_limit_bytes;
}

/* ---------------------------------------------------------------- */
/* errors */

int perr(struct pctx *p, const char *fmt, ...)
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

int perr_plain(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int cfg_bad_option(struct pctx *p, const char *kw)
{
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s: line %d: Bad configuration option: %s", p->file, p->lineno,
			 kw);
	return -1;
}
