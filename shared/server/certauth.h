/* certauth: may this user log in with this (already CA-verified) user
 * certificate? OpenSSH's semantics (sshd_config(5) TrustedUserCAKeys,
 * AuthorizedPrincipalsFile; sshd(8) cert-authority and principals=):
 *
 *  1. TrustedUserCAKeys lists the CA: when AuthorizedPrincipalsFile or
 *     AuthorizedPrincipalsCommand is set, a principal of the certificate
 *     must be on a line of the file or else of the command's output (same
 *     format: a line may carry authorized_keys options), otherwise the
 *     user name must be listed in the certificate;
 *  2. otherwise a cert-authority line for the CA in an AuthorizedKeysFile:
 *     one of its principals="..." must be in the certificate, or without
 *     principals= the user name.
 * In both the certificate must be a user certificate, inside its validity
 * interval, with a non-empty principal list, no unknown critical option,
 * and the client inside its source-address list. The options that apply
 * are the line's (or principals file line's) merged with the
 * certificate's as OpenSSH's sshauthopt_merge: permissions must be granted
 * by both, force-commands must agree.
 */
#ifndef SSHBOX_CERTAUTH_H
#define SSHBOX_CERTAUTH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "authkeys.h"
#include "cert.h"
#include "keycmd.h"
#include "sshd_config.h"

/* Where the trust comes from; NULL fields are "none". */
struct certauth_policy {
	const char *trusted_ca_keys;	     /* TrustedUserCAKeys file */
	const char *principals_file;	     /* AuthorizedPrincipalsFile template (%h %u %U %%) */
	const char *principals_command;	     /* AuthorizedPrincipalsCommand line */
	const char *principals_command_user; /* AuthorizedPrincipalsCommandUser */
	const struct keycmd_tokens *tokens;  /* its tokens (keyword set by certauth) */
	int command_timeout_ms;		     /* 0 = KEYCMD_TIMEOUT_MS */
	uint64_t now;			     /* 0 = time(NULL); tests set it */
};

/* 1 and *opts filled (free with authkeys_opts_free) when the certificate
 * is accepted for user; 0 when not (one log line says why, naming the key
 * id, serial and CA as OpenSSH does); < 0 on an internal error. via gets
 * where the trust came from (the CA file or "path:line"). */
int certauth_check(const struct sshd_config *cfg, const struct certauth_policy *pol, const char *user,
		   uid_t uid, gid_t gid, const char *home, const struct cert *c, const char *client_addr,
		   struct authkeys_opts *opts, char *via, size_t vialen);

/* cert-authority lines in text (AuthorizedKeysCommand output, parsed like
 * an authorized_keys file; label names it in logs): the same decision as
 * for such lines in authorized_keys. now 0 = the current time. 1 with
 * *opts, 0 refused (logged), -1 error. */
int certauth_check_text(const struct sshd_config *cfg, const char *label, const char *text, size_t len,
			const char *user, const struct cert *c, const char *client_addr, uint64_t now,
			struct authkeys_opts *opts);

/* The options a certificate grants (exposed for tests): its critical
 * options and extensions as authorized_keys options. -1 with *why for an
 * unknown critical option or a bad source-address list. */
int certauth_cert_opts(const struct cert *c, struct authkeys_opts *o, const char **why);

/* OpenSSH's sshauthopt_merge of a line's options (primary) with the
 * certificate's (cert) into *out (primary is consumed). -1 with *why if
 * both force a different command. */
int certauth_merge(struct authkeys_opts *primary, const struct authkeys_opts *cert, struct authkeys_opts *out,
		   const char **why);

/* 1 if addr is inside the certificate's source-address CIDR list, 0 if
 * not, -1 if the list is not a valid CIDR list. */
int certauth_source_ok(const char *list, const char *addr);

#endif
