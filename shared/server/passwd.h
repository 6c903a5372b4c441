/* passwd: password checking (keyboard-interactive: kbdint.h; user policy:
 * user.h).
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

#include "err.h"
#include "sshd_config.h"

/* Results: codes of the one error space (err.h). */
enum passwd_result {
	PASSWD_OK = SB_OK,
	PASSWD_FAIL = SB_ERR_PW_WRONG,      /* wrong password, or no such user (indistinguishable) */
	PASSWD_LOCKED = SB_ERR_PW_LOCKED,   /* "!" / "*" hash, or no password entry */
	PASSWD_EXPIRED = SB_ERR_PW_EXPIRED, /* account expired (shadow expire field) or password too old */
	PASSWD_EMPTY = SB_ERR_PW_EMPTY,     /* empty password and PermitEmptyPasswords no */
	PASSWD_ERROR = SB_ERR_PW_INTERNAL,  /* internal error (unreadable shadow, crypt failure) */
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
/* Longer passwords are refused without checking (bounded crypt work). */
#define PASSWD_MAX_LEN 1024
/* The shadow entry (when readable) refuses any login: a locked hash ('!'
 * prefix; '*' still allows keys, as in OpenSSH) or an expired account.
 * 1 with *why set (static text for the log line), 0 otherwise. */
int passwd_shadow_refuses(const char *user, const char **why);
/* Spends the time of a real check on a missing, locked or refused account:
 * hashes password against a hash of the scheme and cost the accounts in
 * /etc/shadow use (the first usable one; cached per process) and throws
 * the result away. */
void passwd_dummy_check(const char *password);
/* Tests only: read PAM service files from dir instead of /etc/pam.d
 * (pam_start_confdir). No effect without CONFIG_PAM. */
void passwd_pam_set_confdir(const char *dir);

#endif
