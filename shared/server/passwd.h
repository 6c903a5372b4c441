/* passwd: password checking and user policy.
 *
 * Static flavour (CONFIG_SHADOW_CRYPT, no PAM): /etc/shadow + crypt_r.
 * System flavour (CONFIG_PAM) with UsePAM yes: PAM service
 * cfg->pam_service_name (pam_authenticate + pam_acct_mgmt).
 * Callers add the failure delay; this module only checks.
 */
#ifndef SSHBOX_PASSWD_H
#define SSHBOX_PASSWD_H

#include <stddef.h>
#include <sys/types.h>

#include "sshd_config.h"

enum passwd_result {
	PASSWD_OK = 0,
	PASSWD_FAIL = -1,     /* wrong password, or no such user (indistinguishable) */
	PASSWD_LOCKED = -2,   /* "!" / "*" hash, or no password entry */
	PASSWD_EXPIRED = -3,  /* account expired (shadow expire field) or password too old */
	PASSWD_EMPTY = -4,    /* empty password and PermitEmptyPasswords no */
	PASSWD_ERROR = -5,    /* internal error (unreadable shadow, crypt failure) */
};

/* Checks user's password. Uses PAM when built with CONFIG_PAM and
 * cfg->use_pam; otherwise /etc/shadow (or the passwd entry's hash).
 * Does not wipe `password` (the caller owns it and wipes it). */
int passwd_check(const char *user, const char *password, const struct sshd_config *cfg);
/* Same against a given shadow file (tests); now = days since epoch for
 * expiry checks (< 0: today). */
int passwd_check_file(const char *shadow_path, const char *user, const char *password, int permit_empty,
		      long now_days);
/* Checks a password against a crypt(3) hash ("$6$...", "$y$...", "$2b$"...).
 * Constant-time compare. 0 match, PASSWD_FAIL, PASSWD_LOCKED, PASSWD_ERROR. */
int passwd_verify_hash(const char *hash, const char *password);
const char *passwd_result_name(int r);
/* Spends the time of a real check on a missing, locked or refused account:
 * hashes password against a hash of the scheme and cost the accounts in
 * /etc/shadow use (the first usable one; cached per process) and throws
 * the result away. */
void passwd_dummy_check(const char *password);
/* Tests only: read PAM service files from dir instead of /etc/pam.d
 * (pam_start_confdir). No effect without CONFIG_PAM. */
void passwd_pam_set_confdir(const char *dir);

/* ---- keyboard-interactive ----
 * One context per keyboard-interactive attempt. Drive it like this:
 *   k = kbdint_start(user, cfg, client_host);
 *   loop: r = kbdint_query(k, &q);  // r == 1: send INFO_REQUEST with q
 *         ... receive INFO_RESPONSE ...
 *         r = kbdint_respond(k, n, responses);
 *         r == KBDINT_MORE: loop to kbdint_query; KBDINT_OK: success;
 *         otherwise failure.
 *   kbdint_free(k);
 * With PAM (CONFIG_PAM && UsePAM): PAM runs in a forked child and its
 * conversation prompts are relayed round by round (kbdint_respond blocks
 * until PAM asks again or finishes; PAM_TEXT_INFO/ERROR_MSG messages go
 * into the next round's instruction). Without PAM: one round, one prompt
 * "Password: " (echo off), checked with passwd_check. */
#define KBDINT_OK 0
#define KBDINT_MORE 1
#define KBDINT_FAIL (-1)
#define KBDINT_MAX_PROMPTS 16

struct kbdint_query {
	const char *name;        /* may be "" */
	const char *instruction; /* may be "" */
	size_t n_prompts;
	const char *prompts[KBDINT_MAX_PROMPTS];
	int echo[KBDINT_MAX_PROMPTS];
};

struct kbdint;
/* Whether keyboard-interactive can work with this config: through PAM
 * (CONFIG_PAM and UsePAM yes), or, without PAM, only as a password
 * prompt when PasswordAuthentication is yes (so "PasswordAuthentication
 * no" also closes passwords over keyboard-interactive, as in OpenSSH
 * without PAM). Does not look at KbdInteractiveAuthentication itself.
 * Use it to decide whether to list the method. */
int kbdint_available(const struct sshd_config *cfg);
/* NULL when not available (see above) or on error. */
struct kbdint *kbdint_start(const char *user, const struct sshd_config *cfg, const char *client_host);
/* For a missing or refused account, so that keyboard-interactive answers
 * every name alike: the same "Password: " round as without PAM, whatever
 * is answered costs a passwd_dummy_check and fails. NULL exactly when
 * kbdint_start would be (not available, or out of memory). */
struct kbdint *kbdint_start_refused(const struct sshd_config *cfg);
/* Returns 1 with q filled (valid until the next call), KBDINT_OK / KBDINT_FAIL
 * if PAM finished without asking anything. */
int kbdint_query(struct kbdint *k, struct kbdint_query *q);
/* responses: n_prompts strings (the caller wipes them afterwards). */
int kbdint_respond(struct kbdint *k, size_t n, const char *const *responses);
void kbdint_free(struct kbdint *k);

/* ---- users and policy ---- */
struct user_info {
	char *name;
	uid_t uid;
	gid_t gid;
	char *home;
	char *shell;  /* "/bin/sh" if empty in passwd */
	char *gecos;
	gid_t *gids;        /* all groups incl. primary */
	char **group_names; /* names for gids (numeric string if no name) */
	size_t n_groups;
};

/* getpwnam + getgrouplist, copied. 0, or -1 if no such user / error. */
int user_lookup(const char *name, struct user_info *ui);
void user_info_free(struct user_info *ui);

/* OpenSSH allowed_user(): shell must exist and be executable; account not
 * locked/expired in shadow (when readable); DenyUsers, AllowUsers,
 * DenyGroups, AllowGroups in that order (user@host patterns match
 * client_host or client_addr, with CIDR). Root: PermitRootLogin "no"
 * refuses here; the other PermitRootLogin values depend on the method:
 * use user_root_method_allowed. Returns 1 allowed, 0 refused with *why
 * (static string suitable for the log line). */
int user_allowed(const struct sshd_config *cfg, const struct user_info *ui, const char *client_host,
		 const char *client_addr, const char **why);

/* PermitRootLogin for a method: method is "publickey", "password",
 * "keyboard-interactive"; forced_command: the key had command= (or a
 * ForceCommand applies). For non-root users always 1. */
int user_root_method_allowed(const struct sshd_config *cfg, uid_t uid, const char *method, int forced_command);

/* OpenSSH's ChrootDirectory checks (before chroot(2), as root): path
 * must be absolute and every component from / down to it a directory
 * owned by root and not writable by group or others. 0 ok, or -1 with
 * why set, e.g. "bad ownership or modes for chroot directory /srv". */
int chroot_path_secure(const char *path, char *why, size_t whylen);

#endif
