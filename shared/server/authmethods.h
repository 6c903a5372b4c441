/* authmethods: AuthenticationMethods (sshd_config(5)) — lists of methods
 * that must all succeed, in order, e.g. "publickey,password
 * publickey,keyboard-interactive". As OpenSSH (auth2.c): a method may be
 * tried only when some remaining list starts with it; its success removes
 * it from the front of every list that starts with it; authentication is
 * complete when a list becomes empty, otherwise the client is told
 * "partial success" (RFC 4252 s5.1) and which methods may continue.
 */
#ifndef SSHBOX_AUTHMETHODS_H
#define SSHBOX_AUTHMETHODS_H

#include <stddef.h>

#define AUTHMETHODS_MAX_LISTS 16
#define AUTHMETHODS_MAX_PER_LIST 8
#define AUTHMETHODS_MAX_SPEC 1024

struct authmethods {
	int active; /* 0: "any" (or unset): every enabled method may complete alone */
	size_t n_lists;
	/* each list: the methods still to go, front first */
	const char *lists[AUTHMETHODS_MAX_LISTS][AUTHMETHODS_MAX_PER_LIST + 1];
};

/* Parses spec (NULL or "any": inactive). Methods: publickey, password,
 * keyboard-interactive. 0, or -1 with a reason in why. */
int authmethods_parse(struct authmethods *m, const char *spec, char *why, size_t whylen);
/* 1 if method may be tried now. */
int authmethods_allowed(const struct authmethods *m, const char *method);
/* Records a successful method: 1 if authentication is now complete, 0 if
 * more is needed (partial success). */
int authmethods_success(struct authmethods *m, const char *method);
/* The methods that may continue (first of every remaining list, once
 * each, only those enabled(method) accepts), comma-separated, into out. */
void authmethods_next(const struct authmethods *m, int (*enabled)(const void *ctx, const char *method),
		      const void *ctx, char *out, size_t cap);

#endif
