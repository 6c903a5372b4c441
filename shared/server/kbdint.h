/* kbdint: keyboard-interactive authentication. */
#ifndef SSHBOX_KBDINT_H
#define SSHBOX_KBDINT_H

#include <stddef.h>

#include "sshd_config.h"

/* One context per keyboard-interactive attempt. Drive it like this:
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
	const char *name;	 /* may be "" */
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
/* Tests and the fuzzer: a PAM-mode context whose PAM child is the peer of
 * fd (rounds are read from it, answers written to it; no child process).
 * Takes fd (kbdint_free closes it). */
struct kbdint *kbdint_from_fd(int fd);
/* Returns 1 with q filled (valid until the next call), KBDINT_OK / KBDINT_FAIL
 * if PAM finished without asking anything. */
int kbdint_query(struct kbdint *k, struct kbdint_query *q);
/* responses: n_prompts strings (the caller wipes them afterwards). */
int kbdint_respond(struct kbdint *k, size_t n, const char *const *responses);
void kbdint_free(struct kbdint *k);

#endif
