/* Private to shared/server/config/: the parse context, the keyword table
 * derived from sshd_config_fields.def, and the functions the config files
 * share. Nothing outside config/ includes this. */
#ifndef SSHBOX_CONFIG_INTERNAL_H
#define SSHBOX_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sshd_config.h"

#define CFG_MAX_LINE 65536	/* bytes per line */
#define CFG_MAX_FILE (4u << 20) /* bytes per file */
#define CFG_MAX_ARGS 256
#define CFG_MAX_INCLUDE_DEPTH 16
#define CFG_MAX_FILES 1024 /* files read per load, Include included */
#define CFG_MAX_STORED_LINES 100000
#define CFG_MAX_LIST 4096 /* entries in one accumulated list */

#define KF_MATCH 1  /* allowed inside Match; merged by the Match overlay */
#define KF_MULTI 2  /* takes more than one argument */
#define KF_LOADER 4 /* Include / Match: handled by load.c itself */

#define CFG_NO_DEFAULT (-2)   /* CFG_INT default column: finalize sets it by hand */
#define CFG_LOG_AUTH (4 << 3) /* <syslog.h> LOG_AUTH (it cannot be included next to log.h) */

/* A line inside a Match block (or a Match line), kept for replay. */
struct sshd_cfg_line {
	char *file;
	int lineno;
	char *text;
	int is_match;	/* a "Match ..." line */
	long match_idx; /* for ordinary lines: index of the governing Match line */
};

/* Where a line came from, and where its error message goes. */
struct pctx {
	const char *file;
	int lineno;
	int cmdline; /* -o option */
	int quiet;   /* replaying Match lines per connection: no warnings */
	char *err;
	size_t errlen;
};

struct cfg_keyword;
/* Applies one keyword's arguments (argc >= 1; argc == 1 unless KF_MULTI)
 * to c. kwname is the keyword as written (for messages). 0, or -1 with
 * p->err set. */
typedef int cfg_parse_fn(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k,
			 const char *kwname, char **argv, int argc);

struct cfg_keyword {
	const char *name; /* as documented, e.g. "MaxAuthTries" */
	int flags;	  /* KF_* */
	cfg_parse_fn *parse;
	size_t off;	      /* the field's offset in struct sshd_config (table fields) */
	const void *arg;      /* parser data: name table, algorithm set, the one accepted value */
	const char *alias_of; /* CFG_ALIAS: the keyword this one spells */
};

/* An enum keyword's names; the first name listed for a value is the one
 * -T prints. Terminated by {NULL, 0}. */
struct cfg_enum_name {
	const char *name;
	int value;
};

/* An algorithm keyword: defaults, what sshbox supports, names OpenSSH
 * knows that sshbox drops with a warning, and the error wording. */
struct cfg_algs {
	const char *defaults;
	const char *supported;
	const char *known;
	const char *what;
};

/* table.c: the table and lookup (case-insensitive, aliases resolved).
 * NULL: not a keyword. */
const struct cfg_keyword *cfg_keyword_lookup(const char *name);
/* Field access by table offset. */
#define CFG_FIELD(c, k, type) ((type *)(void *)((char *)(c) + (k)->off))

/* errors: "FILE line N: message" into p->err; always -1. */
int perr(struct pctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* message as is into err; always -1. */
int perr_plain(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "FILE: line N: Bad configuration option: KW"; -1. */
int cfg_bad_option(struct pctx *p, const char *kw);

/* values.c: the arity check, then k->parse. */
int cfg_apply_keyword(struct pctx *p, struct sshd_config *c, const struct cfg_keyword *k, const char *kwname,
		      char **argv, int argc);
/* OpenSSH time ("90", "1h30m") into *out; -1 with "invalid time value.". */
int cfg_time_value(struct pctx *p, const char *v, int *out);
/* *field = copy of v unless already set (the first value wins); -1 out of memory. */
int cfg_set_string(struct pctx *p, char **field, const char *v);
/* Marks l set and appends argv; -1 too many entries / out of memory. */
int cfg_add_list_args(struct pctx *p, struct strlist *l, char **argv, int argc);
/* argv joined by single spaces into out; -1 if it does not fit in cap. */
int cfg_join_args(char *out, size_t cap, char **argv, int argc);

/* keywords.c */
int cfg_parse_port(const char *s); /* 1..65535, or -1 */
/* "Subsystem sftp internal-sftp" as the only subsystem; -1 out of memory. */
int cfg_add_default_sftp_subsystem(struct sshd_config *c);

/* load.c: splits a line into keyword and args (OpenSSH rules). Returns argc
 * (>= 0) with *kwout set, 0 with *kwout NULL for blank/comment, -1 on error. */
int cfg_split_line(struct pctx *p, char *buf, char **kwout, char **argv);

/* match.c: Match criteria. mi == NULL: only validate. 1 match, 0 no, -1 error. */
int cfg_match_eval(struct pctx *p, char **argv, int argc, const struct sshd_match_info *mi);

/* finalize.c: "none" sentinels become NULL; DisableForwarding applies. */
void cfg_normalize(struct sshd_config *c);

/* table.c: the overlay's set fields replace out's (moved, not copied). */
void cfg_merge_overlay(struct sshd_config *out, struct sshd_config *ov);

/* Parsers and dumpers named in sshd_config_fields.def. */
#define CFG_DECLARE_PARSE(fn) cfg_parse_fn fn;
CFG_DECLARE_PARSE(parse_port_kw)
CFG_DECLARE_PARSE(parse_listen_address)
CFG_DECLARE_PARSE(parse_enum)
CFG_DECLARE_PARSE(parse_yesno)
CFG_DECLARE_PARSE(parse_time)
CFG_DECLARE_PARSE(parse_count)
CFG_DECLARE_PARSE(parse_x11_forwarding)
CFG_DECLARE_PARSE(parse_string)
CFG_DECLARE_PARSE(parse_algorithms)
CFG_DECLARE_PARSE(parse_force_command)
CFG_DECLARE_PARSE(parse_command_line)
CFG_DECLARE_PARSE(parse_auth_methods)
CFG_DECLARE_PARSE(parse_principals_file)
CFG_DECLARE_PARSE(parse_chroot_directory)
CFG_DECLARE_PARSE(parse_log_level)
CFG_DECLARE_PARSE(parse_syslog_facility)
CFG_DECLARE_PARSE(parse_authorized_keys_file)
CFG_DECLARE_PARSE(parse_host_key)
CFG_DECLARE_PARSE(parse_user_patterns)
CFG_DECLARE_PARSE(parse_list)
CFG_DECLARE_PARSE(parse_accept_env)
CFG_DECLARE_PARSE(parse_subsystem)
CFG_DECLARE_PARSE(parse_max_startups)
CFG_DECLARE_PARSE(parse_per_source_max_startups)
CFG_DECLARE_PARSE(parse_netblock_size)
CFG_DECLARE_PARSE(parse_rekey_limit)
CFG_DECLARE_PARSE(parse_permit)
CFG_DECLARE_PARSE(parse_permit_user_env)
CFG_DECLARE_PARSE(parse_data_directory)
CFG_DECLARE_PARSE(parse_pam_service_name)
CFG_DECLARE_PARSE(parse_ignored)
#undef CFG_DECLARE_PARSE

extern const struct cfg_enum_name cfg_address_families[], cfg_permit_root_login_names[],
    cfg_compression_modes[], cfg_gateway_ports_names[], cfg_fwd_allow_names[], cfg_helper_exec_methods[],
    cfg_internal_scp_names[];
extern const struct cfg_algs cfg_algs_ciphers, cfg_algs_macs, cfg_algs_kex, cfg_algs_hostkey, cfg_algs_pubkey;

#endif
