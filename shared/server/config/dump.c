/* `sshd -T`: one "keyword value" line per setting, lower-case keywords,
 * in the table's order (as OpenSSH prints them). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* the keyword as -T prints it: lower case */
static void put_keyword(FILE *f, const char *kw)
{
	for (const char *q = kw; *q; q++)
		fputc(tolower((unsigned char)*q), f);
}

static void dump_int(FILE *f, const char *kw, int v, const void *arg)
{
	put_keyword(f, kw);
	fprintf(f, " %d\n", v);
}

static void dump_yesno(FILE *f, const char *kw, int v, const void *arg)
{
	put_keyword(f, kw);
	fprintf(f, " %s\n", v ? "yes" : "no");
}

/* the first name the enum's table lists for v */
static void dump_enum(FILE *f, const char *kw, int v, const void *arg)
{
	const char *name = "unknown";
	for (const struct cfg_enum_name *e = arg; e->name; e++) {
		if (e->value == v) {
			name = e->name;
			break;
		}
	}
	put_keyword(f, kw);
	fprintf(f, " %s\n", name);
}

/* a positive count, or "none" */
static void dump_count_or_none(FILE *f, const char *kw, int v, const void *arg)
{
	put_keyword(f, kw);
	if (v > 0)
		fprintf(f, " %d\n", v);
	else
		fprintf(f, " none\n");
}

/* OpenSSH prints "delayed" as "yes" */
static void dump_compression(FILE *f, const char *kw, int v, const void *arg)
{
	dump_yesno(f, kw, v != COMPRESSION_NO, arg);
}

/* unset or "none" (finalize turns "none" into NULL): "none" */
static void dump_string(FILE *f, const char *kw, const char *v, const void *arg)
{
	put_keyword(f, kw);
	fprintf(f, " %s\n", v ? v : "none");
}

/* all entries on one line; nothing (or `empty`) for an empty list */
static void dump_list_with(FILE *f, const char *kw, const struct strlist *l, const char *empty)
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

static void dump_list(FILE *f, const char *kw, const struct strlist *l, const void *arg)
{
	char lower[64];
	snprintf(lower, sizeof(lower), "%s", kw);
	for (char *q = lower; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	dump_list_with(f, lower, l, arg);
}

static void dump_list_or_none(FILE *f, const char *kw, const struct strlist *l, const void *arg)
{
	dump_list(f, kw, l, "none");
}

/* one line per entry */
static void dump_each(FILE *f, const char *kw, const struct strlist *l, const void *arg)
{
	for (size_t i = 0; i < l->n; i++) {
		put_keyword(f, kw);
		fprintf(f, " %s\n", l->v[i]);
	}
}

static void dump_ports(FILE *f, const struct sshd_config *c)
{
	for (size_t i = 0; i < c->n_ports; i++)
		fprintf(f, "port %d\n", c->ports[i]);
}

static void dump_listen(FILE *f, const struct sshd_config *c)
{
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
}

static void dump_subsystems(FILE *f, const struct sshd_config *c)
{
	for (size_t i = 0; i < c->n_subsystems; i++)
		fprintf(f, "subsystem %s %s\n", c->subsystems[i].name, c->subsystems[i].command);
}

static void dump_max_startups(FILE *f, const struct sshd_config *c)
{
	fprintf(f, "maxstartups %d:%d:%d\n", c->max_startups.begin, c->max_startups.rate,
		c->max_startups.full);
}

static void dump_netblock_size(FILE *f, const struct sshd_config *c)
{
	fprintf(f, "persourcenetblocksize %d:%d\n", c->per_source_netblock_v4, c->per_source_netblock_v6);
}

static void dump_rekey_limit(FILE *f, const struct sshd_config *c)
{
	if (c->rekey_limit_bytes == UINT64_MAX)
		fprintf(f, "rekeylimit 0 0\n");
	else
		fprintf(f, "rekeylimit %llu %d\n", (unsigned long long)c->rekey_limit_bytes,
			c->rekey_limit_seconds);
}

static void dump_permit(FILE *f, const char *kw, const struct strlist *l, int any)
{
	if (any > 0 || l->n)
		dump_list_with(f, kw, l, "any");
	else
		fprintf(f, "%s none\n", kw);
}

static void dump_permit_open(FILE *f, const struct sshd_config *c)
{
	dump_permit(f, "permitopen", &c->permit_open, c->permit_open_any);
}

static void dump_permit_listen(FILE *f, const struct sshd_config *c)
{
	dump_permit(f, "permitlisten", &c->permit_listen, c->permit_listen_any);
}

static void dump_permit_user_env(FILE *f, const struct sshd_config *c)
{
	if (c->permit_user_environment == PERMIT_USER_ENV_PATTERN && c->permit_user_environment_patterns)
		fprintf(f, "permituserenvironment %s\n", c->permit_user_environment_patterns);
	else
		fprintf(f, "permituserenvironment %s\n",
			c->permit_user_environment == PERMIT_USER_ENV_YES ? "yes" : "no");
}

int sshd_config_dump(const struct sshd_config *c, FILE *f)
{
/* no_dump(...) in the dump column expands to nothing */
#define no_dump(...) ((void)0)
#define CFG_INT(field, kw, flags, def, parse, arg, dump) dump(f, kw, c->field, arg);
#define CFG_STR(field, kw, flags, def, parse, arg, dump) dump(f, kw, c->field, arg);
#define CFG_LIST(field, kw, flags, parse, arg, dump) dump(f, kw, &c->field, arg);
#define CFG_DUMP(fn) fn(f, c);
#include "sshd_config_fields.def"
#undef no_dump
	return ferror(f) ? -1 : 0;
}
