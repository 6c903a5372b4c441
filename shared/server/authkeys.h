/* authkeys: the authorized_keys file (sshd(8) AUTHORIZED_KEYS FILE FORMAT)
 * and OpenSSH StrictModes ownership/permission checks.
 *
 * Called by the userauth layer (shared/auth.c) for publickey requests,
 * both for the query (no signature) and for the signed request; the
 * returned options are what the session/forwarding layers must enforce.
 *
 * Files may be written by the (hostile) user: lines are bounded
 * (AUTHKEYS_MAX_LINE), files too (AUTHKEYS_MAX_FILE); bad lines are
 * skipped with a debug log, never fatal.
 */
#ifndef SSHBOX_AUTHKEYS_H
#define SSHBOX_AUTHKEYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "sshd_config.h"

#define AUTHKEYS_MAX_LINE 16384	     /* longer lines are skipped */
#define AUTHKEYS_MAX_FILE (4u << 20) /* reading stops after 4 MiB */

/* The options of the line that matched. All heap, freed by authkeys_opts_free. */
struct authkeys_opts {
	char *command;		/* command="..." (forced command), NULL if none */
	int no_pty;		/* no-pty (or restrict without pty) */
	int no_port_forwarding; /* no-port-forwarding (or restrict without port-forwarding) */
	int no_agent_forwarding;
	int no_x11_forwarding;
	int no_user_rc;
	int no_touch_required;	     /* sk keys: user presence not required */
	int verify_required;	     /* sk keys: user verification (PIN) required */
	int cert_authority;	     /* cert-authority: the key is a CA for user certificates */
	char *principals;	     /* principals="a,b" (cert-authority lines), NULL if none */
	struct strlist env;	     /* environment="NAME=value", only filled when
					PermitUserEnvironment allows the name */
	struct strlist permitopen;   /* "host:port" entries; empty = no restriction */
	struct strlist permitlisten; /* "[host:]port" entries; empty = no restriction */
	time_t expiry;		     /* expiry-time= as time_t, 0 if none (already checked) */
	char *comment;		     /* key comment (may be NULL) */
	char *file;		     /* file and line that matched, for logs */
	int line;
};

/* Is `blob` (an SSH public key blob as sent in userauth) authorized for
 * this user? Expands every AuthorizedKeysFile of cfg (%h %u %U %%;
 * relative paths are relative to home), applies StrictModes checks, reads
 * the files as the user when running as root (seteuid/setegid and back),
 * and evaluates from= and expiry-time= against client_host/client_addr
 * and the current time.
 * Returns 1 and fills *opts on a match, 0 if not authorized, < 0 on an
 * internal error (treat as not authorized). *opts is always initialised;
 * free it with authkeys_opts_free. */
int authkeys_check(const struct sshd_config *cfg, const char *user, uid_t uid, gid_t gid, const char *home,
		   const uint8_t *blob, size_t bloblen, const char *client_host, const char *client_addr,
		   struct authkeys_opts *opts);

/* One file, no privilege switching (tests, and the core of authkeys_check).
 * strict_modes != 0: checks the file and its directories against
 * (uid, home) first. now: the time for expiry-time (0 = time(NULL)). */
int authkeys_check_file(const char *path, const struct sshd_config *cfg, uid_t uid, const char *home,
			const uint8_t *blob, size_t bloblen, const char *client_host, const char *client_addr,
			int strict_modes, time_t now, struct authkeys_opts *opts);

/* authorized_keys lines from memory (AuthorizedKeysCommand output); label
 * names them in logs. Same returns as authkeys_check. */
int authkeys_check_text(const char *label, const char *text, size_t len, const struct sshd_config *cfg,
			const uint8_t *blob, size_t bloblen, const char *client_host, const char *client_addr,
			struct authkeys_opts *opts);

/* The certificate counterpart of authkeys_check: looks for
 * cert-authority lines whose key is ca_blob (plain-key lookups never match
 * such lines). A line that passes from=/expiry-time is offered to
 * accept(ctx, line options) (principals, certificate checks); 0 from it
 * continues with the next line, as OpenSSH does. Same returns. */
int authkeys_check_ca(const struct sshd_config *cfg, const char *user, uid_t uid, gid_t gid, const char *home,
		      const uint8_t *ca_blob, size_t ca_bloblen, const char *client_host,
		      const char *client_addr, int (*accept)(void *ctx, const struct authkeys_opts *o),
		      void *ctx, struct authkeys_opts *opts);

/* authkeys_check_ca over text already read (AuthorizedKeysCommand output);
 * label names it in log lines. */
int authkeys_check_ca_text(const char *label, const char *text, size_t len, const struct sshd_config *cfg,
			   const uint8_t *ca_blob, size_t ca_bloblen, const char *client_host,
			   const char *client_addr, int (*accept)(void *ctx, const struct authkeys_opts *o),
			   void *ctx, struct authkeys_opts *opts);

/* Expands a file template (%h %u %U %%; relative = relative to home) into
 * path. 0, or -1 (logged) on a bad token or a path too long. */
int authkeys_expand_path(const char *tmpl, const char *user, const char *home, uid_t uid, char *path,
			 size_t cap);

/* Reads a user-controlled file (e.g. AuthorizedPrincipalsFile) as the
 * user when running as root, with the StrictModes checks when asked and
 * the AUTHKEYS_MAX_FILE bound. 1 with *text (NUL-terminated, caller
 * frees), 0 if absent or refused (logged), -1 on error. */
int authkeys_read_user_file(const char *path, const char *user, uid_t uid, gid_t gid, const char *home,
			    int strict_modes, char **text, size_t *len);

/* Calls fn(ctx, path, lineno, line) for each line of text (lines over
 * AUTHKEYS_MAX_LINE or with a NUL are skipped) until fn returns non-zero;
 * returns that value (0 if none did). */
int authkeys_each_line(const char *path, const char *text, size_t len,
		       int (*fn)(void *ctx, const char *path, int lineno, char *line), void *ctx);

/* Parses the options prefix of text (authorized_keys syntax, ending at
 * whitespace) into *opts and *from (from= value, caller frees). 0 or -1
 * with a reason in why. */
int authkeys_parse_options(const char *text, const struct sshd_config *cfg, struct authkeys_opts *opts,
			   char **from, char *why, size_t whylen);

/* 1 if a client (host name, address) may use a key under this from= list. */
int authkeys_from_allowed(const char *from, const char *host, const char *addr);

/* Parses one line (no trailing newline). Returns 1 for a blank or
 * comment line (nothing filled). On success returns 0, fills
 * *opts with the line's options (without applying them), and points
 * blob and bloblen at a malloc'd decoded key blob (caller frees).
 * keytype gets the type word. Returns < 0 for a bad line. */
int authkeys_parse_line(const char *line, const struct sshd_config *cfg, struct authkeys_opts *opts,
			char **keytype, uint8_t **blob, size_t *bloblen, char **from, char *why,
			size_t whylen);

/* OpenSSH StrictModes: path and every directory up to (and including) home,
 * or up to / when path is outside home, must be owned by root or uid and not
 * group/world writable; path must be a regular file. Returns 0 or -1 with
 * a reason in why ("bad ownership or modes for directory /home/u"). */
int authkeys_secure_path(const char *path, uid_t uid, const char *home, char *why, size_t whylen);

void authkeys_opts_init(struct authkeys_opts *o);
void authkeys_opts_free(struct authkeys_opts *o);

/* Base64 (standard alphabet, '=' padding, no whitespace). Returns decoded
 * length or -1. out must hold (strlen(in)/4)*3 bytes. */
long authkeys_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap);

#endif
