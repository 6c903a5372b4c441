/* certauth: user certificate authorization. See certauth.h. */
#include "certauth.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

int certauth_source_ok(const char *list, const char *addr)
{
	/* OpenSSH's addr_match_cidr_list: addresses and CIDR blocks only,
	 * no wildcards, no negation, no host names. */
	if (!list || !*list || strspn(list, "0123456789abcdefABCDEF.:/,") != strlen(list) ||
	    strstr(list, ",,") || list[0] == ',' || list[strlen(list) - 1] == ',')
		return -1;
	int r = match_addr_list(addr, list);
	return r == -2 ? -1 : r == 1;
}

int certauth_cert_opts(const struct cert *c, struct authkeys_opts *o, const char **why)
{
	authkeys_opts_init(o);
	if (c->unknown_critical) {
		*why = "Certificate has an unsupported critical option";
		log_info("Certificate critical option \"%.100s\" is not supported", c->unknown_critical);
		return -1;
	}
	if (c->source_address && certauth_source_ok(c->source_address, NULL) < 0) {
		*why = "Certificate source-address contents invalid";
		return -1;
	}
	unsigned e = c->extensions;
	o->no_pty = !(e & CERT_EXT_PTY);
	o->no_port_forwarding = !(e & CERT_EXT_PORT_FORWARDING);
	o->no_agent_forwarding = !(e & CERT_EXT_AGENT_FORWARDING);
	o->no_x11_forwarding = !(e & CERT_EXT_X11_FORWARDING);
	o->no_user_rc = !(e & CERT_EXT_USER_RC);
	o->no_touch_required = !!(e & CERT_EXT_NO_TOUCH_REQUIRED);
	o->verify_required = c->verify_required;
	if (c->force_command && !(o->command = strdup(c->force_command))) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

int certauth_merge(struct authkeys_opts *primary, const struct authkeys_opts *cert, struct authkeys_opts *out,
		   const char **why)
{
	if (primary->command && cert->command && strcmp(primary->command, cert->command) != 0) {
		*why = "Forced command options do not match";
		authkeys_opts_free(primary);
		return -1;
	}
	/* environment, permitopen/permitlisten, expiry, from: the line's only. */
	*out = *primary;
	authkeys_opts_init(primary);
	/* A permission must be granted by both; a requirement by either. */
	out->no_pty |= cert->no_pty;
	out->no_port_forwarding |= cert->no_port_forwarding;
	out->no_agent_forwarding |= cert->no_agent_forwarding;
	out->no_x11_forwarding |= cert->no_x11_forwarding;
	out->no_user_rc |= cert->no_user_rc;
	out->no_touch_required = out->no_touch_required && cert->no_touch_required;
	out->verify_required |= cert->verify_required;
	if (!out->command && cert->command && !(out->command = strdup(cert->command))) {
		*why = "out of memory";
		authkeys_opts_free(out);
		return -1;
	}
	return 0;
}

/* The certificate's own options, and its source-address against the client. */
static int cert_grant(const struct cert *c, const char *client_addr, struct authkeys_opts *o,
		      const char **why)
{
	if (certauth_cert_opts(c, o, why) < 0)
		return -1;
	if (c->source_address && certauth_source_ok(c->source_address, client_addr) != 1) {
		log_info("Authentication tried with valid certificate but not from a permitted source "
			 "address (%s)",
			 client_addr ? client_addr : "?");
		*why = "Refused by certificate options";
		authkeys_opts_free(o);
		return -1;
	}
	return 0;
}

static void refuse(const struct cert *c, const char *why)
{
	char cafp[64];
	cert_ca_fingerprint(c, cafp);
	log_info("Refusing certificate ID \"%s\" serial=%llu signed by %s CA %s: %s", c->key_id,
		 (unsigned long long)c->serial, key_label(c->ca.type, 0), cafp, why);
}

/* ---- 1. TrustedUserCAKeys + AuthorizedPrincipalsFile ---- */

struct principals_ctx {
	const struct sshd_config *cfg;
	const struct cert *c;
	struct authkeys_opts opts;
	char *from;
	int found;
};

/* One AuthorizedPrincipalsFile line: "[options ]principal" (OpenSSH:
 * internal whitespace means options precede the principal). */
static int principals_line(void *ctx, const char *path, int lineno, char *line)
{
	struct principals_ctx *p = ctx;
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	char *cp = line + strspn(line, " \t");
	size_t n = strlen(cp);
	while (n > 0 && (cp[n - 1] == ' ' || cp[n - 1] == '\t' || cp[n - 1] == '\r'))
		cp[--n] = '\0';
	if (n == 0)
		return 0;
	char *sp = strrchr(cp, ' '), *tab = strrchr(cp, '\t');
	char *principal = cp;
	if (sp || tab)
		principal = (sp > tab ? sp : tab) + 1;
	struct authkeys_opts o;
	char *from = NULL, why[160] = "";
	authkeys_opts_init(&o);
	if (principal != cp && authkeys_parse_options(cp, p->cfg, &o, &from, why, sizeof(why)) < 0) {
		log_debug("%s:%d: bad principals options: %s", path, lineno, why);
		return 0;
	}
	if (!cert_has_principal(p->c, principal)) {
		authkeys_opts_free(&o);
		free(from);
		return 0;
	}
	log_debug("%s:%d: matched principal \"%.100s\"", path, lineno, principal);
	p->opts = o;
	p->from = from;
	p->found = 1;
	return 1;
}

/* The matched principals line's own restrictions (auth_authorise_keyopts). */
static int principals_opts_ok(const struct principals_ctx *p, const char *client_addr, uint64_t now)
{
	if (p->opts.cert_authority || p->opts.principals) {
		log_info("AuthorizedPrincipals: cert-authority/principals= are not valid there");
		return 0;
	}
	if (p->opts.expiry && (uint64_t)p->opts.expiry < now) {
		log_info("AuthorizedPrincipals: entry expired");
		return 0;
	}
	if (p->from && !authkeys_from_allowed(p->from, client_addr, client_addr)) {
		log_info("AuthorizedPrincipals: not from a permitted host (ip=%s)", client_addr);
		return 0;
	}
	return 1;
}

static int principals_from_file(const struct sshd_config *cfg, const struct certauth_policy *pol,
				const char *user, uid_t uid, gid_t gid, const char *home,
				const struct cert *c, struct principals_ctx *p)
{
	char path[PATH_MAX];
	if (authkeys_expand_path(pol->principals_file, user, home, uid, path, sizeof(path)) < 0)
		return 0;
	char *text;
	size_t len;
	int r = authkeys_read_user_file(path, user, uid, gid, home, cfg->strict_modes, &text, &len);
	if (r <= 0)
		return r;
	p->cfg = cfg;
	p->c = c;
	r = authkeys_each_line(path, text, len, principals_line, p);
	free(text);
	return r < 0 ? r : p->found;
}

/* AuthorizedPrincipalsCommand: its output read as an AuthorizedPrincipalsFile. */
static int principals_from_command(const struct sshd_config *cfg, const struct certauth_policy *pol,
				   const struct cert *c, struct principals_ctx *p)
{
	static const char kw[] = "AuthorizedPrincipalsCommand";
	struct keycmd_tokens t = *pol->tokens;
	t.keyword = kw;
	char *out;
	size_t len;
	int ms = pol->command_timeout_ms ? pol->command_timeout_ms : KEYCMD_TIMEOUT_MS;
	if (keycmd_run(pol->principals_command, pol->principals_command_user, &t, ms, &out, &len) != 0)
		return 0;
	p->cfg = cfg;
	p->c = c;
	int r = authkeys_each_line(kw, out, len, principals_line, p);
	free(out);
	return r < 0 ? r : p->found;
}

/* As OpenSSH's match_principals_file || match_principals_command. */
static int principals_listed(const struct sshd_config *cfg, const struct certauth_policy *pol,
			     const char *user, uid_t uid, gid_t gid, const char *home, const struct cert *c,
			     struct principals_ctx *p)
{
	if (pol->principals_file && principals_from_file(cfg, pol, user, uid, gid, home, c, p) == 1)
		return 1;
	if (pol->principals_command && pol->tokens)
		return principals_from_command(cfg, pol, c, p) == 1;
	return 0;
}

static int via_trusted_ca(const struct sshd_config *cfg, const struct certauth_policy *pol, const char *user,
			  uid_t uid, gid_t gid, const char *home, const struct cert *c,
			  const char *client_addr, uint64_t now, struct authkeys_opts *opts)
{
	const char *why = NULL;
	struct principals_ctx p;
	memset(&p, 0, sizeof(p));
	authkeys_opts_init(&p.opts);
	int use_file = pol->principals_file || pol->principals_command, ok = 0;
	if (use_file && !principals_listed(cfg, pol, user, uid, gid, home, c, &p))
		why = "Certificate does not contain an authorized principal";
	else if (cert_check_authority(c, CERT_TYPE_USER, now, use_file ? NULL : user, &why) == 0) {
		struct authkeys_opts certopts;
		if (cert_grant(c, client_addr, &certopts, &why) == 0) {
			if (!use_file) {
				*opts = certopts;
				ok = 1;
			} else if (!principals_opts_ok(&p, client_addr, now)) {
				why = "Refused by certificate principals options";
				authkeys_opts_free(&certopts);
			} else {
				ok = certauth_merge(&p.opts, &certopts, opts, &why) == 0;
				authkeys_opts_free(&certopts);
			}
		}
	}
	authkeys_opts_free(&p.opts);
	free(p.from);
	if (!ok)
		refuse(c, why);
	return ok;
}

/* ---- 2. cert-authority lines ---- */

struct ca_line_ctx {
	const struct cert *c;
	const char *user, *client_addr;
	uint64_t now;
};

static int principals_option_ok(const char *list, const struct cert *c)
{
	char tmp[AUTHKEYS_MAX_LINE + 1];
	snprintf(tmp, sizeof(tmp), "%s", list);
	for (char *save = NULL, *e = strtok_r(tmp, ",", &save); e; e = strtok_r(NULL, ",", &save))
		if (cert_has_principal(c, e))
			return 1;
	return 0;
}

/* Called by authkeys for each cert-authority line of the CA. */
static int ca_line_accept(void *ctx, const struct authkeys_opts *line)
{
	const struct ca_line_ctx *x = ctx;
	const char *why = NULL;
	struct authkeys_opts certopts;
	if (cert_grant(x->c, x->client_addr, &certopts, &why) < 0) {
		refuse(x->c, why);
		return 0;
	}
	authkeys_opts_free(&certopts);
	if (line->principals && !principals_option_ok(line->principals, x->c))
		why = "Certificate does not contain an authorized principal";
	else if (cert_check_authority(x->c, CERT_TYPE_USER, x->now, line->principals ? NULL : x->user,
				      &why) == 0)
		return 1;
	refuse(x->c, why);
	return 0;
}

/* After a cert-authority line lookup (r as authkeys_check_ca returns):
 * the line's options merged with what the certificate grants. */
static int ca_line_grant(int r, struct authkeys_opts *line, const struct cert *c, const char *client_addr,
			 struct authkeys_opts *opts)
{
	struct authkeys_opts certopts;
	const char *why = NULL;
	if (r != 1) {
		authkeys_opts_free(line);
		return r;
	}
	char *file = line->file;
	int lineno = line->line;
	line->file = NULL;
	if (cert_grant(c, client_addr, &certopts, &why) == 0) {
		r = certauth_merge(line, &certopts, opts, &why) == 0;
		authkeys_opts_free(&certopts);
	} else {
		r = 0;
	}
	if (r) {
		opts->file = file;
		opts->line = lineno;
	} else {
		refuse(c, why);
		authkeys_opts_free(line);
		free(file);
	}
	return r;
}

static int via_authorized_keys(const struct sshd_config *cfg, const char *user, uid_t uid, gid_t gid,
			       const char *home, const struct cert *c, const char *client_addr, uint64_t now,
			       struct authkeys_opts *opts)
{
	struct ca_line_ctx x = {c, user, client_addr, now};
	struct authkeys_opts line;
	int r = authkeys_check_ca(cfg, user, uid, gid, home, c->ca_blob, c->ca_blob_len, client_addr,
				  client_addr, ca_line_accept, &x, &line);
	return ca_line_grant(r, &line, c, client_addr, opts);
}

int certauth_check_text(const struct sshd_config *cfg, const char *label, const char *text, size_t len,
			const char *user, const struct cert *c, const char *client_addr, uint64_t now,
			struct authkeys_opts *opts)
{
	struct ca_line_ctx x = {c, user, client_addr, now ? now : (uint64_t)time(NULL)};
	struct authkeys_opts line;
	authkeys_opts_init(opts);
	int r = authkeys_check_ca_text(label, text, len, cfg, c->ca_blob, c->ca_blob_len, client_addr,
				       client_addr, ca_line_accept, &x, &line);
	return ca_line_grant(r, &line, c, client_addr, opts);
}

static int ca_in_trusted_file(const struct sshd_config *cfg, const char *path, const struct cert *c)
{
	struct authkeys_opts o;
	/* Root's file (sshd reads it itself): no StrictModes walk, no user. */
	int r = authkeys_check_file(path, cfg, 0, "/", c->ca_blob, c->ca_blob_len, NULL, NULL, 0, 0, &o);
	authkeys_opts_free(&o);
	return r == 1;
}

int certauth_check(const struct sshd_config *cfg, const struct certauth_policy *pol, const char *user,
		   uid_t uid, gid_t gid, const char *home, const struct cert *c, const char *client_addr,
		   struct authkeys_opts *opts, char *via, size_t vialen)
{
	authkeys_opts_init(opts);
	uint64_t now = pol->now ? pol->now : (uint64_t)time(NULL);
	if (pol->trusted_ca_keys && ca_in_trusted_file(cfg, pol->trusted_ca_keys, c)) {
		if (via_trusted_ca(cfg, pol, user, uid, gid, home, c, client_addr, now, opts)) {
			snprintf(via, vialen, "%s", pol->trusted_ca_keys);
			return 1;
		}
		/* as OpenSSH, the authorized_keys files are tried next */
	}
	int r = via_authorized_keys(cfg, user, uid, gid, home, c, client_addr, now, opts);
	if (r == 1)
		snprintf(via, vialen, "%s:%d", opts->file ? opts->file : "?", opts->line);
	return r;
}
