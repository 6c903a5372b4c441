/* keycmd: AuthorizedKeysCommand and AuthorizedPrincipalsCommand
 * (sshd_config(5)). The command line is split on whitespace, each word
 * expanded (%u user, %U uid, %h home, %t key algorithm, %k base64 key
 * blob, %f fingerprint, %%; for AuthorizedPrincipalsCommand also the
 * certificate's %i key id, %s serial, %T CA algorithm, %K base64 CA key,
 * %F CA fingerprint; %C and %D are not supported: an error; no words after the
 * path = "%u", as OpenSSH), and the program, which must be an absolute path
 * owned by root and not writable by group or others (every directory up
 * to / too), run through the helper's keycmd applet as
 * AuthorizedKeysCommandUser / AuthorizedPrincipalsCommandUser (root only
 * when configured so), with stdin
 * /dev/null and a fixed environment. Its standard output is read up to
 * KEYCMD_MAX_OUTPUT bytes (more is cut off and the command killed) for at
 * most KEYCMD_TIMEOUT_MS (then it is killed with its process group and its
 * output ignored); a non-zero exit status discards the output, as OpenSSH.
 */
#ifndef SSHBOX_KEYCMD_H
#define SSHBOX_KEYCMD_H

#include <stddef.h>
#include <sys/types.h>

#define KEYCMD_MAX_OUTPUT (4u << 20)
#define KEYCMD_TIMEOUT_MS 10000
#define KEYCMD_MAX_ARGS 64

struct keycmd_tokens {
	const char *user;
	uid_t uid;
	const char *home;
	const char *key_type; /* %t */
	const char *key_b64;  /* %k */
	const char *key_fp;   /* %f */
	/* Certificate tokens (AuthorizedPrincipalsCommand); NULL = refused. */
	const char *key_id;  /* %i */
	const char *serial;  /* %s (decimal) */
	const char *ca_type; /* %T */
	const char *ca_b64;  /* %K */
	const char *ca_fp;   /* %F */
	/* The keyword named in log lines; NULL = "AuthorizedKeysCommand". */
	const char *keyword;
};

/* Runs command as run_as. 0 with *out (NUL-terminated, caller frees) and
 * *outlen on exit status 0; -1 otherwise (one log line says why). */
int keycmd_run(const char *command, const char *run_as, const struct keycmd_tokens *t, int timeout_ms,
	       char **out, size_t *outlen);

/* Expands one word's tokens into out (exposed for tests). 0, or -1 for an
 * unknown token or overflow. */
int keycmd_expand(const char *word, const struct keycmd_tokens *t, char *out, size_t cap);

#endif
