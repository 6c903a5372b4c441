/* Parsers of keywords with their own syntax (ports, addresses, log
 * settings, policy lists, Subsystem, MaxStartups, RekeyLimit, PermitOpen,
 * ...). Each validates the whole value before storing any of it, and
 * keeps OpenSSH's wording in messages. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authmethods.h"
#include "internal.h"
#include "log.h"
#include "util.h"

int cfg_parse_port(const char *s)
{
	long v;
	if (parse_long(s, 1, 65535, &v) < 0)
		return -1;
	return (int)v;
}

int parse_port_kw(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
		  char **argv, int argc)
{
	int port = cfg_parse_port(argv[0]);
	if (port < 0)
		return perr(p, "Badly formatted port number.");
	if (c->ports_from_cmdline && !p->cmdline)
		return 0;
	if (c->n_ports >= ARRAY_LEN(c->ports))
		return perr(p, "too many ports.");
	c->ports[c->n_ports++] = port;
	return 0;
}

/* "host", "host:port", "[v6]:port" or a bare IPv6 address into host and
 * port (0 = every Port). -1 with the message set. */
static int split_listen(struct pctx *p, const char *v, char *host, size_t cap, int *port)
{
	*port = 0;
	if (*v == '[') {
		const char *rb = strchr(v, ']');
		if (!rb || (rb[1] != ':' && rb[1] != '\0'))
			return perr(p, "bad address:port usage");
		size_t l = (size_t)(rb - v - 1);
		if (l == 0 || l >= cap)
			return perr(p, "bad address:port usage");
		memcpy(host, v + 1, l);
		host[l] = '\0';
		if (rb[1] == ':' && (*port = cfg_parse_port(rb + 2)) < 0)
			return perr(p, "bad port number");
		return 0;
	}
	const char *colon = strchr(v, ':');
	if (colon && !strchr(colon + 1, ':')) {
		size_t l = (size_t)(colon - v);
		if (l == 0 || l >= cap)
			return perr(p, "bad address:port usage");
		memcpy(host, v, l);
		host[l] = '\0';
		if ((*port = cfg_parse_port(colon + 1)) < 0)
			return perr(p, "bad port number");
		return 0;
	}
	/* a host name or a bare IPv6 address */
	if (!*v || strlen(v) >= cap)
		return perr(p, "bad address:port usage");
	strcpy(host, v);
	return 0;
}

int parse_listen_address(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k,
			 const char *kwname, char **argv, int argc)
{
	/* kept as (host, port 0 = every Port); finalize builds the set */
	char host[256];
	int port;
	if (split_listen(p, argv[0], host, sizeof(host), &port) < 0)
		return -1;
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

int parse_log_level(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
		    char **argv, int argc)
{
	const char *v = argv[0];
	int lv = log_level_parse(v);
	if (lv < 0)
		return perr(p, "unsupported log level '%s'", v);
	if (c->log_level != -1)
		return 0;
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
	return 0;
}

static const struct {
	const char *name;
	int fac;
} facilities[] = {
    /* <syslog.h> values (it cannot be included next to log.h) */
    {"DAEMON", 3 << 3},	 {"USER", 1 << 3},    {"AUTH", 4 << 3},	   {"AUTHPRIV", 10 << 3},
    {"LOCAL0", 16 << 3}, {"LOCAL1", 17 << 3}, {"LOCAL2", 18 << 3}, {"LOCAL3", 19 << 3},
    {"LOCAL4", 20 << 3}, {"LOCAL5", 21 << 3}, {"LOCAL6", 22 << 3}, {"LOCAL7", 23 << 3},
};

int parse_syslog_facility(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k,
			  const char *kwname, char **argv, int argc)
{
	for (size_t i = 0; i < ARRAY_LEN(facilities); i++) {
		if (strcasecmp(argv[0], facilities[i].name) == 0) {
			if (c->syslog_facility == -1) {
				c->syslog_facility = facilities[i].fac;
				free(c->syslog_facility_name);
				c->syslog_facility_name = strdup(facilities[i].name);
			}
			return 0;
		}
	}
	return perr(p, "unsupported log facility '%s'", argv[0]);
}

int parse_data_directory(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k,
			 const char *kwname, char **argv, int argc)
{
	if (argv[0][0] != '/')
		return perr(p, "DataDirectory must be an absolute path.");
	return cfg_set_string(p, &c->data_directory, argv[0]);
}

int parse_pam_service_name(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k,
			   const char *kwname, char **argv, int argc)
{
	const char *v = argv[0];
	/* it names a file under /etc/pam.d */
	for (const char *q = v; *q; q++)
		if (!isalnum((unsigned char)*q) && *q != '-' && *q != '_' && *q != '.')
			return perr(p, "invalid PAMServiceName \"%s\".", v);
	if (!*v || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		return perr(p, "invalid PAMServiceName \"%s\".", v);
	return cfg_set_string(p, &c->pam_service_name, v);
}

int parse_force_command(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k,
			const char *kwname, char **argv, int argc)
{
	/* the rest of the line is the command (OpenSSH keeps it verbatim) */
	if (c->force_command)
		return 0;
	char cmd[4096];
	if (cfg_join_args(cmd, sizeof(cmd), argv, argc) < 0)
		return perr(p, "ForceCommand too long.");
	return cfg_set_string(p, &c->force_command, cmd);
}

/* The rest of the line (AuthorizedKeysCommand: program and arguments). */
int parse_command_line(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
		       char **argv, int argc)
{
	char cmd[4096];
	if (cfg_join_args(cmd, sizeof(cmd), argv, argc) < 0)
		return perr(p, "%s too long.", kwname);
	return cfg_set_string(p, CFG_FIELD(c, k, char *), cmd);
}

/* AuthenticationMethods: checked here so a bad list never reaches auth. */
int parse_auth_methods(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
		       char **argv, int argc)
{
	char spec[AUTHMETHODS_MAX_SPEC + 1], why[128];
	struct authmethods m;
	if (cfg_join_args(spec, sizeof(spec), argv, argc) < 0)
		return perr(p, "AuthenticationMethods too long.");
	if (authmethods_parse(&m, spec, why, sizeof(why)) < 0)
		return perr(p, "AuthenticationMethods: %s: \"%s\".", why, spec);
	return cfg_set_string(p, CFG_FIELD(c, k, char *), spec);
}

int parse_principals_file(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k,
			  const char *kwname, char **argv, int argc)
{
	char *t = sshd_expand_tokens(argv[0], "u", "/h", 0);
	if (!t)
		return perr(p, "AuthorizedPrincipalsFile: bad token in \"%s\".", argv[0]);
	free(t);
	return cfg_set_string(p, CFG_FIELD(c, k, char *), argv[0]);
}

int parse_chroot_directory(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k,
			   const char *kwname, char **argv, int argc)
{
	const char *v = argv[0];
	if (strcasecmp(v, "none") != 0) {
		char *t = sshd_expand_tokens(v, "u", "/h", 0);
		if (!t)
			return perr(p, "ChrootDirectory: bad token in \"%s\".", v);
		free(t);
		if (*v != '/' && *v != '%')
			return perr(p, "ChrootDirectory must be an absolute path.");
	}
	return cfg_set_string(p, &c->chroot_directory, v);
}

int parse_authorized_keys_file(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k,
			       const char *kwname, char **argv, int argc)
{
	if (c->authorized_keys_files.v)
		return 0;
	if (argc == 1 && strcasecmp(argv[0], "none") == 0)
		return strlist_touch(&c->authorized_keys_files) < 0 ? perr(p, "out of memory") : 0;
	for (int i = 0; i < argc; i++) {
		char *t = sshd_expand_tokens(argv[i], "u", "/h", 0);
		if (!t)
			return perr(p, "AuthorizedKeysFile: bad token in \"%s\".", argv[i]);
		free(t);
	}
	return cfg_add_list_args(p, &c->authorized_keys_files, argv, argc);
}

int parse_host_key(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
		   char **argv, int argc)
{
	if (strlist_add(&c->host_keys, argv[0], CFG_MAX_LIST) < 0)
		return perr(p, "too many host keys");
	return 0;
}

/* AllowUsers / DenyUsers: "user" or "user@host"; a host part with a CIDR
 * must be a valid address list. */
int parse_user_patterns(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k,
			const char *kwname, char **argv, int argc)
{
	for (int i = 0; i < argc; i++) {
		const char *at = strchr(argv[i], '@');
		if (at && !match_addr_list_valid(at + 1) && strchr(at + 1, '/'))
			return perr(p, "Invalid %s pattern \"%s\".", kwname, argv[i]);
	}
	return cfg_add_list_args(p, CFG_FIELD(c, k, struct strlist), argv, argc);
}

int parse_accept_env(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
		     char **argv, int argc)
{
	for (int i = 0; i < argc; i++)
		if (!argv[i][0] || strchr(argv[i], '='))
			return perr(p, "Invalid environment name.");
	return cfg_add_list_args(p, &c->accept_env, argv, argc);
}

int parse_permit_user_env(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k,
			  const char *kwname, char **argv, int argc)
{
	const char *v = argv[0];
	int iv;
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
}

int parse_subsystem(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
		    char **argv, int argc)
{
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
	if (cfg_join_args(cmd, sizeof(cmd), argv + 1, argc - 1) < 0)
		return perr(p, "Subsystem command too long.");
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

int cfg_add_default_sftp_subsystem(struct sshd_config *c)
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

/* "begin" or "begin:rate:full" (OpenSSH default 10:30:100). */
int parse_max_startups(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
		       char **argv, int argc)
{
	long b, r = 100, f;
	char tmp[64];
	if (strlen(argv[0]) >= sizeof(tmp))
		return perr(p, "Invalid MaxStartups spec.");
	strcpy(tmp, argv[0]);
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
	if (c->max_startups.begin == -1)
		c->max_startups = (struct max_startups){(int)b, (int)r, (int)f};
	return 0;
}

/* PerSourceMaxStartups none|N (N >= 1); first value wins. */
int parse_per_source_max_startups(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k,
				  const char *kwname, char **argv, int argc)
{
	long n = 0;
	if (strcmp(argv[0], "none") != 0 && parse_long(argv[0], 1, 100000, &n) < 0)
		return perr(p, "Invalid PerSourceMaxStartups spec.");
	if (c->per_source_max_startups == -1)
		c->per_source_max_startups = (int)n;
	return 0;
}

/* PerSourceNetBlockSize v4[:v6] (0..32, 0..128; v6 default 128). */
int parse_netblock_size(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
			char **argv, int argc)
{
	char tmp[32];
	long v4, v6 = 128;
	if (strlen(argv[0]) >= sizeof(tmp))
		return perr(p, "Invalid PerSourceNetBlockSize spec.");
	strcpy(tmp, argv[0]);
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
		case 'k':
		case 'K':
			shift = 10;
			break;
		case 'm':
		case 'M':
			shift = 20;
			break;
		case 'g':
		case 'G':
			shift = 30;
			break;
		case 't':
		case 'T':
			shift = 40;
			break;
		default:
			return -1;
		}
		if (end[1])
			return -1;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* "RekeyLimit bytes [seconds]"; "default"/"none" = 0. */
int parse_rekey_limit(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
		      char **argv, int argc)
{
	const char *v = argv[0];
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
	if (argc == 2 && strcasecmp(argv[1], "default") != 0 && strcasecmp(argv[1], "none") != 0 &&
	    cfg_time_value(p, argv[1], &secs) < 0)
		return -1;
	if (c->rekey_limit_bytes == UINT64_MAX) {
		c->rekey_limit_bytes = bytes;
		c->rekey_limit_seconds = secs;
	}
	return 0;
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
	return cfg_parse_port(port) > 0 || (listen && strcmp(port, "0") == 0);
}

/* PermitOpen / PermitListen: a list, or "any" / "none" alone. */
int parse_permit(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
		 char **argv, int argc)
{
	int listen = k->off == offsetof(struct sshd_config, permit_listen);
	struct strlist *l = CFG_FIELD(c, k, struct strlist);
	int *any = listen ? &c->permit_listen_any : &c->permit_open_any;
	for (int i = 0; i < argc; i++)
		if (!valid_permit_entry(argv[i], listen))
			return perr(p, "%s bad port number", listen ? "PermitListen" : "PermitOpen");
	if (l->v)
		return 0; /* first wins */
	if (argc == 1 && (strcmp(argv[0], "any") == 0 || strcmp(argv[0], "none") == 0)) {
		*any = strcmp(argv[0], "any") == 0;
		return strlist_touch(l) < 0 ? perr(p, "out of memory") : 0;
	}
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "any") == 0 || strcmp(argv[i], "none") == 0)
			return perr(p, "%s: \"%s\" must be the only argument", kwname, argv[i]);
	*any = 0;
	return cfg_add_list_args(p, l, argv, argc);
}
