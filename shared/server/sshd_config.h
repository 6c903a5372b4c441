/* sshd_config: the server configuration (sshd_config(5) syntax and
 * semantics, plus a few sshbox keywords).
 *
 * Life cycle (the sshd applet):
 *     struct sshd_config cfg;
 *     sshd_config_init(&cfg);                        // everything "unset"
 *     for each -o: sshd_config_option(&cfg, arg, ++n, err, sizeof err);
 *     -p PORT:     sshd_config_cmdline_port(&cfg, "2222", err, sizeof err);
 *     -h FILE:     sshd_config_cmdline_hostkey(&cfg, path);
 *     sshd_config_load(&cfg, path, explicit_f, err, sizeof err);
 *     sshd_config_finalize(&cfg, err, sizeof err);   // defaults filled in
 *     -T: sshd_config_dump(&cfg, stdout);
 * Any of these returning < 0: print err (one line, OpenSSH wording, e.g.
 * "FILE: line 3: Bad configuration option: Foo" or
 * "FILE line 4: Badly formatted port number.") to stderr and exit 255.
 *
 * OpenSSH semantics: keywords are case-insensitive; "Keyword value" or
 * "Keyword=value"; the first value obtained for a keyword wins, except for
 * the multi-valued ones (Port, ListenAddress, HostKey, AcceptEnv,
 * AllowUsers, DenyUsers, AllowGroups, DenyGroups, Subsystem,
 * DebugAllowUsers, DebugAllowGroups) which accumulate. -o options are
 * applied before the file, so they win.
 *
 * Per connection, after the user name is known (and again after auth if
 * you like), compute the effective config with sshd_config_match(); the
 * result is an independent deep copy freed with sshd_config_free().
 *
 * After sshd_config_finalize() every field below holds a definite value
 * (no -1 / NULL "unset" left, except where noted "NULL = none").
 */
#ifndef SSHBOX_SSHD_CONFIG_H
#define SSHBOX_SSHD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "match.h"
#include "strlist.h"

#define SSHD_CONFIG_DEFAULT_PATH "/etc/sshbox/sshd_config"
#define SSHD_DEFAULT_PAM_SERVICE "sshbox"

struct sshd_cfg_line; /* private, see config/internal.h */

enum permit_root_login {
	PERMIT_ROOT_NO = 0,
	PERMIT_ROOT_FORCED_COMMANDS_ONLY = 1,
	PERMIT_ROOT_PROHIBIT_PASSWORD = 2, /* default; alias "without-password" */
	PERMIT_ROOT_YES = 3,
};

/* AllowTcpForwarding / AllowStreamLocalForwarding: bit mask. */
enum fwd_allow {
	FWD_ALLOW_NO = 0,
	FWD_ALLOW_LOCAL = 1,  /* client-initiated: -L, -W, direct-tcpip */
	FWD_ALLOW_REMOTE = 2, /* server-side listen: -R, tcpip-forward */
	FWD_ALLOW_ALL = 3,    /* "yes" / "all" (default) */
};

enum gateway_ports { GATEWAY_PORTS_NO = 0, GATEWAY_PORTS_YES = 1, GATEWAY_PORTS_CLIENTSPECIFIED = 2 };

enum compression_mode { COMPRESSION_NO = 0, COMPRESSION_DELAYED = 1, COMPRESSION_YES = 2 };

/* Our own: how the embedded helper is made executable (shared/ipc/spawn.c). */
/* InternalScp: who serves an `scp -t/-f` session command. */
enum internal_scp {
	INTERNAL_SCP_AUTO = 0, /* the built-in applet when no scp binary is found */
	INTERNAL_SCP_YES,      /* always the built-in applet */
	INTERNAL_SCP_NO,       /* always the shell (as OpenSSH) */
};

enum helper_exec_method {
	HELPER_EXEC_AUTO = 0,
	HELPER_EXEC_MEMFD,
	HELPER_EXEC_TMPFILE,
	HELPER_EXEC_MKSTEMP,
	HELPER_EXEC_PROCSELF,
};

/* AddressFamily */
enum sshd_address_family { SSHD_AF_ANY = 0, SSHD_AF_INET = 1, SSHD_AF_INET6 = 2 };

/* PermitUserEnvironment: no / yes / a pattern list of allowed names. */
enum permit_user_env { PERMIT_USER_ENV_NO = 0, PERMIT_USER_ENV_YES = 1, PERMIT_USER_ENV_PATTERN = 2 };

/* One address to listen on after finalize: host is a numeric or DNS name
 * without brackets, or NULL for the wildcard (both families unless
 * address_family says otherwise). */
struct listen_addr {
	char *host;
	int port;
};

struct subsystem {
	char *name;	   /* "sftp" */
	char *command;	   /* full command line as configured, e.g. "/usr/lib/sftp-server -l INFO" */
	int internal_sftp; /* command's first word is "internal-sftp" */
};

/* MaxStartups start:rate:full (OpenSSH default 10:30:100). */
struct max_startups {
	int begin, rate, full;
};

/* Most fields come from config/sshd_config_fields.def (one line each, with
 * its keyword, default and -T format; see there for each field's meaning):
 * int fields are -1 while unset, strings NULL, lists have v == NULL. The
 * fields declared here by hand have their own shapes. */
struct sshd_config {
	/* Listening */
	int ports[64]; /* Port; after finalize n_ports >= 1 (default 22) */
	size_t n_ports;
	int ports_from_cmdline;	    /* -p given: Port lines in files are ignored */
	struct listen_addr *listen; /* after finalize: the full (host, port) set */
	size_t n_listen;
	struct subsystem *subsystems; /* Subsystem; default sftp internal-sftp */
	size_t n_subsystems;
	struct max_startups max_startups; /* begin == -1 while unset */
	uint64_t rekey_limit_bytes;	  /* RekeyLimit; 0 = "default" (cipher-dependent); UINT64_MAX unset */

#define CFG_INT(field, ...) int field;
#define CFG_STR(field, ...) char *field;
#define CFG_LIST(field, ...) struct strlist field;
#include "config/sshd_config_fields.def"

	/* Internal: parsed source lines, replayed by sshd_config_match(). */
	struct sshd_cfg_line *lines_;
	size_t n_lines_, cap_lines_;
	int finalized_;
};

/* Connection facts for Match. NULL/0 fields never match their criterion
 * (except that a NULL groups list is looked up from the system with
 * getpwnam/getgrouplist when user is set). */
struct sshd_match_info {
	const char *user;
	const char *host;	   /* client host name (= address when UseDNS no) */
	const char *addr;	   /* client address, numeric */
	const char *laddr;	   /* local address, numeric */
	int lport;		   /* local port */
	const char *const *groups; /* user's group names */
	size_t n_groups;
};

/* `sshd -T -C user=alice,host=h.example,addr=10.0.0.1,laddr=10.0.0.2,lport=22`:
 * parses the -C connection spec (OpenSSH keywords user, host, addr, laddr,
 * lport; rdomain is accepted and ignored) into out->mi. Strings live in
 * out->buf. Groups are left NULL (looked up from the user by
 * sshd_config_match). 0 or -1 with err "Invalid test mode specification ...". */
struct sshd_match_spec {
	struct sshd_match_info mi;
	char buf[1024];
};
int sshd_match_spec_parse(const char *spec, struct sshd_match_spec *out, char *err, size_t errlen);

void sshd_config_init(struct sshd_config *c);
/* One "-o Keyword=value"; lineno counts -o options from 1 for messages
 * ("command-line line N: ..."). */
int sshd_config_option(struct sshd_config *c, const char *line, int lineno, char *err, size_t errlen);
/* -p: adds a port and makes the file's Port lines be ignored. */
int sshd_config_cmdline_port(struct sshd_config *c, const char *port, char *err, size_t errlen);
/* -h: adds a host key path (before any HostKey from the file). */
int sshd_config_cmdline_hostkey(struct sshd_config *c, const char *path);
/* Reads a config file (with Include). If the file does not exist:
 * must_exist ? error "PATH: No such file or directory" : 0 (built-in defaults). */
int sshd_config_load(struct sshd_config *c, const char *path, int must_exist, char *err, size_t errlen);
/* Parses config text from memory (tests); name is used in messages. */
int sshd_config_load_string(struct sshd_config *c, const char *name, const char *text, char *err,
			    size_t errlen);
/* Fills every unset field with its default, resolves algorithm lists and
 * the listen set, DataDirectory (root: /var/lib/sshbox; otherwise
 * ${XDG_STATE_HOME:-$HOME/.local/state}/sshbox) and the default host key
 * (DataDirectory/ssh_host_ed25519_key when no HostKey is given). */
int sshd_config_finalize(struct sshd_config *c, char *err, size_t errlen);
/* Effective config for one connection: a deep copy of base (finalized)
 * with the matching Match blocks applied. Free with sshd_config_free. */
int sshd_config_match(const struct sshd_config *base, const struct sshd_match_info *mi,
		      struct sshd_config *out, char *err, size_t errlen);
/* Deep copy. */
int sshd_config_copy(const struct sshd_config *src, struct sshd_config *dst);
/* `sshd -T`: "keyword value" lines, lower-case keywords, as OpenSSH prints. */
int sshd_config_dump(const struct sshd_config *c, FILE *out);
void sshd_config_free(struct sshd_config *c);

/* Token expansion for AuthorizedKeysFile / ChrootDirectory:
 * %% -> %, %h -> home, %u -> user, %U -> decimal uid. Unknown token or
 * result over 4095 bytes -> NULL. Returns malloc'd string. */
char *sshd_expand_tokens(const char *tmpl, const char *user, const char *home, uid_t uid);

/* The pattern helpers (match_pattern, match_addr_list, ...) are in
 * shared/lib/match.h, included above. */

/* Name of an enum value as -T prints it. */
const char *permit_root_login_name(int v);

#endif
