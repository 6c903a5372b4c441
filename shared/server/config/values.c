/* Generic value parsers for table fields (yes/no, enums, times, counts,
 * strings, lists), the enum name tables, the arity check, and the %-token
 * expansion of path templates. Every value is hostile text from a config
 * file or the command line: bounded, and rejected with one message. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "log.h"
#include "util.h"

const struct cfg_enum_name cfg_address_families[] = {
    {"any", SSHD_AF_ANY}, {"inet", SSHD_AF_INET}, {"inet6", SSHD_AF_INET6}, {NULL, 0}};
/* -T prints the first name: "without-password", as OpenSSH does */
const struct cfg_enum_name cfg_permit_root_login_names[] = {
    {"without-password", PERMIT_ROOT_PROHIBIT_PASSWORD},
    {"prohibit-password", PERMIT_ROOT_PROHIBIT_PASSWORD},
    {"yes", PERMIT_ROOT_YES},
    {"no", PERMIT_ROOT_NO},
    {"forced-commands-only", PERMIT_ROOT_FORCED_COMMANDS_ONLY},
    {NULL, 0}};
const struct cfg_enum_name cfg_compression_modes[] = {
    {"yes", COMPRESSION_YES}, {"delayed", COMPRESSION_DELAYED}, {"no", COMPRESSION_NO}, {NULL, 0}};
const struct cfg_enum_name cfg_gateway_ports_names[] = {{"no", GATEWAY_PORTS_NO},
							{"yes", GATEWAY_PORTS_YES},
							{"clientspecified", GATEWAY_PORTS_CLIENTSPECIFIED},
							{NULL, 0}};
const struct cfg_enum_name cfg_fwd_allow_names[] = {{"yes", FWD_ALLOW_ALL},	  {"all", FWD_ALLOW_ALL},
						    {"no", FWD_ALLOW_NO},	  {"local", FWD_ALLOW_LOCAL},
						    {"remote", FWD_ALLOW_REMOTE}, {NULL, 0}};
const struct cfg_enum_name cfg_helper_exec_methods[] = {
    {"auto", HELPER_EXEC_AUTO},	      {"memfd", HELPER_EXEC_MEMFD},	  {"tmpfile", HELPER_EXEC_TMPFILE},
    {"mkstemp", HELPER_EXEC_MKSTEMP}, {"procself", HELPER_EXEC_PROCSELF}, {NULL, 0}};

const struct cfg_enum_name cfg_internal_scp_names[] = {
    {"auto", INTERNAL_SCP_AUTO}, {"yes", INTERNAL_SCP_YES}, {"no", INTERNAL_SCP_NO}, {NULL, 0}};

const char *permit_root_login_name(int v)
{
	for (const struct cfg_enum_name *e = cfg_permit_root_login_names; e->name; e++)
		if (e->value == v)
			return e->name;
	return "unknown";
}

int cfg_apply_keyword(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
		      char **argv, int argc)
{
	if (argc < 1)
		return perr(p, "no argument after keyword \"%s\"", kwname);
	if (argc > 1 && !(k->flags & KF_MULTI))
		return perr(p, "keyword %s extra arguments at end of line", kwname);
	if (!k->parse)
		return perr(p, "internal error for keyword %s", kwname);
	return k->parse(p, c, k, kwname, argv, argc);
}

/* The first value obtained for a keyword wins (OpenSSH). */
static void set_int(int *field, int v)
{
	if (*field == -1)
		*field = v;
}

int parse_enum(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
	       char **argv, int argc)
{
	for (const struct cfg_enum_name *e = k->arg; e->name; e++) {
		if (strcasecmp(argv[0], e->name) == 0) {
			set_int(CFG_FIELD(c, k, int), e->value);
			return 0;
		}
	}
	return perr(p, "unsupported option \"%s\".", argv[0]);
}

static int yesno_value(struct pctx *p, const char *v, int *out)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0)
		*out = 1;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0)
		*out = 0;
	else
		return perr(p, "unsupported option \"%s\".", v);
	return 0;
}

int parse_yesno(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
		char **argv, int argc)
{
	int v = 0;
	if (yesno_value(p, argv[0], &v) < 0)
		return -1;
	set_int(CFG_FIELD(c, k, int), v);
	return 0;
}

int parse_x11_forwarding(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k,
			 const char *kwname, char **argv, int argc)
{
	int v = 0;
	if (yesno_value(p, argv[0], &v) < 0)
		return -1;
	if (v && !p->quiet)
		log_warn("%s line %d: X11Forwarding yes is not supported; X11 forwarding stays disabled",
			 p->file, p->lineno);
	set_int(&c->x11_forwarding, 0);
	return 0;
}

/* OpenSSH convtime: "90", "1h30m", units s m h d w. -1 if bad or over INT_MAX. */
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
		case '\0':
			break;
		case 's':
		case 'S':
			q++;
			break;
		case 'm':
		case 'M':
			mul = 60;
			q++;
			break;
		case 'h':
		case 'H':
			mul = 3600;
			q++;
			break;
		case 'd':
		case 'D':
			mul = 86400;
			q++;
			break;
		case 'w':
		case 'W':
			mul = 604800;
			q++;
			break;
		default:
			return -1;
		}
		if (v > INT_MAX / mul)
			return -1;
		total += v * mul;
		if (total > INT_MAX)
			return -1;
	}
	return total;
}

int cfg_time_value(struct pctx *p, const char *v, int *out)
{
	long t = convtime(v);
	if (t < 0)
		return perr(p, "invalid time value.");
	*out = (int)t;
	return 0;
}

int parse_time(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
	       char **argv, int argc)
{
	int v = 0;
	if (cfg_time_value(p, argv[0], &v) < 0)
		return -1;
	set_int(CFG_FIELD(c, k, int), v);
	return 0;
}

/* A non-negative int; messages name the keyword as documented. */
int parse_count(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
		char **argv, int argc)
{
	const char *v = argv[0];
	char *end;
	errno = 0;
	long n = strtol(v, &end, 0);
	if (end == v || *end || errno == ERANGE || n > INT_MAX || n < INT_MIN)
		return perr(p, "%s integer value invalid.", k->name);
	if (n < 0)
		return perr(p, "%s integer value too small.", k->name);
	set_int(CFG_FIELD(c, k, int), (int)n);
	return 0;
}

int cfg_set_string(struct pctx *p, char **field, const char *v)
{
	if (*field)
		return 0; /* first obtained wins */
	*field = strdup(v);
	return *field ? 0 : perr(p, "out of memory");
}

int parse_string(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
		 char **argv, int argc)
{
	return cfg_set_string(p, CFG_FIELD(c, k, char *), argv[0]);
}

int cfg_add_list_args(struct pctx *p, struct strlist *l, char **argv, int argc)
{
	if (strlist_touch(l) < 0)
		return perr(p, "out of memory");
	for (int i = 0; i < argc; i++)
		if (strlist_add(l, argv[i], CFG_MAX_LIST) < 0)
			return perr(p, "too many entries or out of memory");
	return 0;
}

/* Lists accumulate over lines. */
int parse_list(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
	       char **argv, int argc)
{
	return cfg_add_list_args(p, CFG_FIELD(c, k, struct strlist), argv, argc);
}

int parse_ignored(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
		  char **argv, int argc)
{
	const char *only = k->arg;
	/* the whole value must be the harmless one */
	if (only && (argc != 1 || strcasecmp(argv[0], only) != 0))
		return perr(p, "unsupported option \"%s\" (sshbox supports only \"%s %s\").", argv[0], kwname,
			    only);
	log_debug("%s line %d: %s is accepted and ignored", p->file, p->lineno, kwname);
	return 0;
}

/* Joins argv with single spaces into out (cap). -1 if it does not fit. */
int cfg_join_args(char *out, size_t cap, char **argv, int argc)
{
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]);
		if (o + l + 2 > cap)
			return -1;
		if (o)
			out[o++] = ' ';
		memcpy(out + o, argv[i], l);
		o += l;
		out[o] = '\0';
	}
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
			case '%':
				add = "%";
				break;
			case 'h':
				add = home;
				break;
			case 'u':
				add = user;
				break;
			case 'U':
				add = uidbuf;
				break;
			default:
				return NULL;
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
