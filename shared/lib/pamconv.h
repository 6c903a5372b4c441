/* pamconv: the ONE PAM conversation function, for every PAM user (the
 * password check, the keyboard-interactive PAM child, the exec child's
 * session). Each caller supplies what differs: what to do with
 * informational text and how to answer prompts. Only with CONFIG_PAM (the
 * system flavour); compiles to nothing otherwise. No SSH knowledge. */
#ifndef SSHBOX_PAMCONV_H
#define SSHBOX_PAMCONV_H

#include "config.h"

#if CONFIG_PAM
#include <security/pam_appl.h>

struct pamconv_ops {
	/* PAM_TEXT_INFO / PAM_ERROR_MSG text (never NULL). NULL: ignored. */
	void (*info)(void *ctx, int style, const char *msg);
	/* Answers one call's prompts (PAM_PROMPT_ECHO_OFF / _ON, at least
	 * one): answers[i] = malloc'd text for each prompt message i (the
	 * others stay NULL). 0, or -1 to fail the conversation (answers
	 * already set are wiped and freed). NULL: any prompt fails. */
	int (*prompts)(void *ctx, const struct pam_message **msg, int n, char **answers);
	void *ctx;
};

/* The conversation: appdata_ptr must be a struct pamconv_ops. Refuses a
 * message count outside 1..PAM_MAX_NUM_MSG and unknown styles. */
int pamconv_fn(int n, const struct pam_message **msg, struct pam_response **resp, void *appdata_ptr);

/* pam_start, or pam_start_confdir when pamconv_set_confdir was called
 * (tests: service files from a directory instead of /etc/pam.d). */
int pamconv_start(const char *service, const char *user, const struct pam_conv *conv, pam_handle_t **h);
#endif

/* Tests only; no effect without CONFIG_PAM. dir is not copied. */
void pamconv_set_confdir(const char *dir);

#endif
