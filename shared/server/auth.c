/* auth: userauth protocol state machine. See auth.h. */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cert.h"
#include "certauth.h"
#include "keycmd.h"
#include "kbdint.h"
#include "keys.h"
#include "krl.h"
#include "log.h"
#include "passwd.h"
#include "transport.h"
#include "util.h"

#define AUTH_MAX_NAME 256
#define AUTH_MAX_BLOB 16384
#define AUTH_MAX_SIG 4096
#define AUTH_MAX_PASSWORD 1024
#define AUTH_MAX_REQUESTS 64 /* including "none" and PK queries */

/* A failed password answer is sent no earlier than this after the request
 * arrived, whoever the user is (see fail_delay). Above what a yescrypt
 * check costs even on a loaded machine (110 ms idle, ~350 ms at a load of
 * 15 on 2 cores here), so the answer time does not jump between 1x and 2x
 * from one try to the next. */
#define AUTH_FAIL_MIN_MS 500

void (*auth_result_hook)(const char *method, int ok);

/* Slows down guessing and hides what the check cost: a failed password
 * (or keyboard-interactive answer) is answered AUTH_FAIL_MIN_MS after the
 * request arrived, or, if the check took longer, at the next doubling of
 * that (as OpenSSH's ensure_minimum_time_since). A fixed target, not a
 * random one: random jitter averages out over repeated tries, a fixed one
 * leaves nothing to average. */
static void fail_delay(uint64_t start_ms)
{
	uint64_t target = AUTH_FAIL_MIN_MS, spent = monotonic_ms() - start_ms;
	while (spent > target && target < 60000)
		target *= 2;
	if (spent < target)
		usleep((useconds_t)((target - spent) * 1000u));
}

void auth_init(struct auth_ctx *a, const struct sshd_config *base, const char *client_addr, int client_port,
	       const uint8_t *session_id, size_t sid_len)
{
	memset(a, 0, sizeof(*a));
	a->base = base;
	a->client_addr = client_addr;
	a->client_port = client_port;
	a->session_id = session_id;
	a->session_id_len = sid_len;
	a->daemon_uid = geteuid();
	authkeys_opts_init(&a->key_opts);
}

void auth_free(struct auth_ctx *a)
{
	if (a->kbd)
		kbdint_free(a->kbd);
	a->kbd = NULL;
	if (a->have_cfg)
		sshd_config_free(&a->cfg);
	a->have_cfg = 0;
	if (a->user_exists)
		user_info_free(&a->ui);
	a->user_exists = 0;
	authkeys_opts_free(&a->key_opts);
	free(a->user);
	free(a->service);
	a->user = a->service = NULL;
}

static const struct sshd_config *cfg_of(const struct auth_ctx *a)
{
	return a->have_cfg ? &a->cfg : a->base;
}

static int method_enabled(const void *ctx, const char *method)
{
	const struct sshd_config *c = cfg_of(ctx);
	if (strcmp(method, "publickey") == 0)
		return c->pubkey_authentication;
	if (strcmp(method, "password") == 0)
		return c->password_authentication;
	return strcmp(method, "keyboard-interactive") == 0 && c->kbd_interactive_authentication;
}

/* The methods that can continue: the enabled ones, narrowed by AuthenticationMethods. */
static void methods_list(const struct auth_ctx *a, char *out, size_t cap)
{
	authmethods_next(&a->methods, method_enabled, a, out, cap);
}

/* USERAUTH_FAILURE; partial = 1 after a method that succeeded but is not
 * enough on its own (AuthenticationMethods, RFC 4252 s5.1). */
static int send_failure(struct auth_ctx *a, struct transport *t, int partial)
{
	char m[128];
	struct buf b;
	methods_list(a, m, sizeof(m));
	buf_init(&b, 512);
	int r = buf_put_u8(&b, SSH_MSG_USERAUTH_FAILURE);
	r = r ? r : buf_put_cstring(&b, m);
	r = r ? r : buf_put_u8(&b, partial ? 1 : 0);
	r = r ? r : transport_send(t, &b);
	buf_free(&b);
	return r;
}

static void send_banner(struct auth_ctx *a, struct transport *t)
{
	const struct sshd_config *c = cfg_of(a);
	a->banner_sent = 1;
	if (!c->banner || !c->banner[0])
		return;
	int fd = open(c->banner, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		log_debug("banner %s: %s", c->banner, strerror(errno));
		return;
	}
	char text[8192];
	ssize_t n;
	do
		n = read(fd, text, sizeof(text));
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return;
	struct buf b;
	buf_init(&b, sizeof(text) + 64);
	if (!buf_put_u8(&b, SSH_MSG_USERAUTH_BANNER) && !buf_put_string(&b, text, (size_t)n) &&
	    !buf_put_cstring(&b, ""))
		transport_send(t, &b);
	buf_free(&b);
}

int auth_pubkey_signed_data(struct buf *out, const uint8_t *sid, size_t sidlen, const char *user,
			    const char *service, const char *alg, const uint8_t *blob, size_t bloblen)
{
	int r = buf_put_string(out, sid, sidlen);
	r = r ? r : buf_put_u8(out, SSH_MSG_USERAUTH_REQUEST);
	r = r ? r : buf_put_cstring(out, user);
	r = r ? r : buf_put_cstring(out, service);
	r = r ? r : buf_put_cstring(out, "publickey");
	r = r ? r : buf_put_u8(out, 1);
	r = r ? r : buf_put_cstring(out, alg);
	r = r ? r : buf_put_string(out, blob, bloblen);
	return r;
}

/* AuthenticationMethods of this user's config (NULL or "any": none). */
static const char *auth_methods_spec(const struct sshd_config *c)
{
	return c->authentication_methods;
}

/* First request: look the user up, apply Match, check Allow/Deny. */
static void setup_user(struct auth_ctx *a)
{
	char err[256];
	a->user_exists = user_lookup(a->user, &a->ui) == 0;
	if (!a->user_exists) {
		log_info("Invalid user %s from %s port %d", a->user, a->client_addr, a->client_port);
		a->deny_why = "invalid user";
	}
	struct sshd_match_info mi;
	memset(&mi, 0, sizeof(mi));
	mi.user = a->user;
	mi.host = a->client_addr;
	mi.addr = a->client_addr;
	if (a->user_exists) {
		mi.groups = (const char *const *)a->ui.group_names;
		mi.n_groups = a->ui.n_groups;
	}
	if (sshd_config_match(a->base, &mi, &a->cfg, err, sizeof(err)) == 0)
		a->have_cfg = 1;
	else
		log_warn("Match evaluation failed: %s", err);
	if (authmethods_parse(&a->methods, auth_methods_spec(cfg_of(a)), err, sizeof(err)) < 0) {
		/* the config parser already checked it: refuse everything rather than weaken */
		log_error("AuthenticationMethods: %s", err);
		a->deny_why = "bad AuthenticationMethods";
		a->methods.active = 1;
		a->methods.n_lists = 0;
	}
	if (!a->user_exists)
		return;
	if (a->daemon_uid != 0 && a->ui.uid != a->daemon_uid) {
		log_info(
		    "User %s from %s not allowed: the daemon runs as uid %u and can only log in its own user",
		    a->user, a->client_addr, (unsigned)a->daemon_uid);
		a->deny_why = "not the daemon's user";
		return;
	}
	const char *why = NULL;
	if (!user_allowed(cfg_of(a), &a->ui, a->client_addr, a->client_addr, &why)) {
		log_info("User %s from %s not allowed because %s", a->user, a->client_addr,
			 why ? why : "of policy");
		a->deny_why = why ? why : "policy";
		return;
	}
	a->user_valid = 1;
}

static void result(struct auth_ctx *a, const char *method, int ok, const char *extra)
{
	const char *u = a->user ? a->user : "?";
	struct authmethods after = a->methods;
	if (ok)
		log_info("%s %s for %s from %s port %d%s%s",
			 authmethods_success(&after, method) ? "Accepted" : "Partial", method, u,
			 a->client_addr, a->client_port, extra ? " " : "", extra ? extra : "");
	else
		log_info("Failed %s for %s%s from %s port %d%s%s", method,
			 a->user_valid ? "" : "invalid user ", u, a->client_addr, a->client_port,
			 extra ? " " : "", extra ? extra : "");
	if (auth_result_hook)
		auth_result_hook(method, ok);
}

static int send_success(struct auth_ctx *a, struct transport *t, const char *method)
{
	uint8_t m = SSH_MSG_USERAUTH_SUCCESS;
	struct buf b;
	buf_view(&b, &m, 1);
	int r = transport_send(t, &b);
	if (r != 0)
		return r;
	snprintf(a->method, sizeof(a->method), "%s", method);
	a->success = 1;
	r = transport_enable_delayed_compression(t);
	return r == 0 ? 1 : r;
}

/* The key a publickey request offers: a plain key, or a certificate
 * (whose CA signature cert_parse has checked) and its certified key. */
struct offered_key {
	int is_cert;
	struct pubkey plain;
	struct cert cert;
	const struct pubkey *key; /* the key that signs the request */
	char sig_alg[64];	  /* the algorithm its signature must use */
	char fp[64];		  /* OpenSSH logs the certified key's own fingerprint */
	char log[512];		  /* "alg fp" or OpenSSH's certificate description */
};

static void offered_free(struct offered_key *o)
{
	pubkey_free(&o->plain);
	cert_free(&o->cert);
}

/* Parses the offered key and checks that alg fits it. 0 or -1 (logged). */
static int offered_parse(struct auth_ctx *a, const char *alg, const uint8_t *blob, size_t bloblen,
			 struct offered_key *o)
{
	char why[128];
	memset(o, 0, sizeof(*o));
	o->is_cert = cert_is_cert_alg(alg);
	if (!o->is_cert) {
		pubkey_fingerprint(blob, bloblen, o->fp);
		snprintf(o->log, sizeof(o->log), "%s %s", alg, o->fp);
		if (pubkey_parse(blob, bloblen, &o->plain) != 0) {
			log_info("publickey: unsupported or malformed key (%s) from %s", alg, a->client_addr);
			return SB_ERR_FORMAT; /* unparsable or unsupported key */
		}
		o->key = &o->plain;
		snprintf(o->sig_alg, sizeof(o->sig_alg), "%s", alg);
		if (!pubkey_sig_alg_ok(o->key, alg)) {
			log_info("publickey: signature algorithm %s does not fit key type %s", alg,
				 key_type_name(o->key->type));
			return SB_ERR_PROTOCOL;
		}
		return 0;
	}
	if (cert_parse(blob, bloblen, &o->cert, why, sizeof(why)) != 0) {
		log_info("publickey: certificate (%s) from %s refused: %s", alg, a->client_addr, why);
		return SB_ERR_FORMAT; /* refused certificate */
	}
	o->key = &o->cert.key;
	char cafp[64];
	cert_key_fingerprint(&o->cert, o->fp);
	cert_ca_fingerprint(&o->cert, cafp);
	snprintf(o->log, sizeof(o->log), "%s %s ID %s (serial %llu) CA %s %s", key_label(o->key->type, 1),
		 o->fp, o->cert.key_id, (unsigned long long)o->cert.serial, key_label(o->cert.ca.type, 0),
		 cafp);
	if (!cert_alg_ok(&o->cert, alg, o->sig_alg, sizeof(o->sig_alg))) {
		log_info("publickey: algorithm %s does not fit certificate %s", alg, o->log);
		return SB_ERR_PROTOCOL;
	}
	return 0;
}

/* The certificate's tokens for AuthorizedPrincipalsCommand, in strings
 * the caller owns: %t its type name, %k the certificate in base64, %K the
 * CA key in base64, %F %T %i %s. */
struct cert_token_text {
	char type[64], serial[24], cafp[64];
	char b64[AUTH_MAX_BLOB * 4 / 3 + 8], ca_b64[AUTH_MAX_BLOB * 4 / 3 + 8];
};

static void cert_tokens(const struct auth_ctx *a, const struct offered_key *o, const uint8_t *blob,
			size_t bloblen, struct cert_token_text *x, struct keycmd_tokens *t)
{
	struct buf b;
	buf_view(&b, blob, bloblen);
	if (buf_get_cstring_into(&b, x->type, sizeof(x->type)) != 0)
		snprintf(x->type, sizeof(x->type), "%s", key_type_name(o->key->type));
	snprintf(x->serial, sizeof(x->serial), "%llu", (unsigned long long)o->cert.serial);
	cert_ca_fingerprint(&o->cert, x->cafp);
	sodium_bin2base64(x->b64, sizeof(x->b64), blob, bloblen, sodium_base64_VARIANT_ORIGINAL);
	x->ca_b64[0] = '\0';
	if (o->cert.ca_blob_len <= AUTH_MAX_BLOB)
		sodium_bin2base64(x->ca_b64, sizeof(x->ca_b64), o->cert.ca_blob, o->cert.ca_blob_len,
				  sodium_base64_VARIANT_ORIGINAL);
	memset(t, 0, sizeof(*t));
	t->user = a->user;
	t->uid = a->ui.uid;
	t->home = a->ui.home;
	t->key_type = x->type;
	t->key_b64 = x->b64;
	t->key_fp = o->fp;
	t->key_id = o->cert.key_id;
	t->serial = x->serial;
	t->ca_type = key_type_name(o->cert.ca.type);
	t->ca_b64 = x->ca_b64;
	t->ca_fp = x->cafp;
}

/* TrustedUserCAKeys / AuthorizedPrincipalsFile / AuthorizedPrincipalsCommand
 * for this user's config. */
static void cert_policy(const struct sshd_config *c, const struct keycmd_tokens *t, struct certauth_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->trusted_ca_keys = c->trusted_user_ca_keys;
	p->principals_file = c->authorized_principals_file;
	p->principals_command = c->authorized_principals_command;
	p->principals_command_user = c->authorized_principals_command_user;
	p->tokens = t;
}

/* RevokedKeys of this user's config, NULL for none. */
static const char *revoked_keys_file(const struct sshd_config *c)
{
	return c->revoked_keys;
}

/* RevokedKeys: 1 when the key, its CA or the certificate is revoked, or
 * the file cannot be used (OpenSSH then refuses every key). */
static int offered_revoked(const struct auth_ctx *a, const struct offered_key *o)
{
	const char *path = revoked_keys_file(cfg_of(a));
	if (!path)
		return 0;
	char why[256];
	const struct krl *k = krl_cached(path, why, sizeof(why));
	if (!k) {
		log_error("RevokedKeys %s unusable, refusing every key: %s", path, why);
		return 1;
	}
	if (o->is_cert ? krl_cert_revoked(k, &o->cert) : krl_key_revoked(k, o->key)) {
		log_info("Authentication key %s revoked by file %s", o->log, path);
		return 1;
	}
	return 0;
}

/* AuthorizedKeysCommand and its user for this user's config (NULL: none). */
static const char *keys_command(const struct sshd_config *c)
{
	return c->authorized_keys_command;
}
static const char *keys_command_user(const struct sshd_config *c)
{
	return c->authorized_keys_command_user;
}

/* AuthorizedKeysCommand: its output is read as an authorized_keys file. */
/* AuthorizedKeysCommand, its output parsed like an authorized_keys file:
 * for a plain key a line with that key, for a certificate a cert-authority
 * line of its CA (as OpenSSH). Tokens as OpenSSH: %t the blob's type name
 * (a certificate's, e.g. ssh-ed25519-cert-v01@openssh.com), %k the blob,
 * %f the plain key's fingerprint. */
static int keys_command_check(struct auth_ctx *a, const struct offered_key *o, const uint8_t *blob,
			      size_t bloblen, struct authkeys_opts *opts)
{
	const struct sshd_config *c = cfg_of(a);
	char b64[AUTH_MAX_BLOB * 4 / 3 + 8], type[64], *out;
	size_t outlen;
	struct buf bb;
	buf_view(&bb, blob, bloblen);
	if (buf_get_cstring_into(&bb, type, sizeof(type)))
		return 0;
	sodium_bin2base64(b64, sizeof(b64), blob, bloblen, sodium_base64_VARIANT_ORIGINAL);
	struct keycmd_tokens tok = {.user = a->user,
				    .uid = a->ui.uid,
				    .home = a->ui.home,
				    .key_type = type,
				    .key_b64 = b64,
				    .key_fp = o->fp};
	if (keycmd_run(keys_command(c), keys_command_user(c), &tok, KEYCMD_TIMEOUT_MS, &out, &outlen) != 0)
		return 0;
	int m = o->is_cert ? certauth_check_text(c, "AuthorizedKeysCommand", out, outlen, a->user, &o->cert,
						 a->client_addr, 0, opts)
			   : authkeys_check_text("AuthorizedKeysCommand", out, outlen, c, blob, bloblen,
						 a->client_addr, a->client_addr, opts);
	free(out);
	return m;
}

/* A certificate: TrustedUserCAKeys (+ principals) or cert-authority lines. */
static int cert_authorized(struct auth_ctx *a, const struct offered_key *o, const uint8_t *blob,
			   size_t bloblen, int has_sig, struct authkeys_opts *opts)
{
	struct certauth_policy pol;
	char via[PATH_MAX + 16];
	struct keycmd_tokens tok;
	struct cert_token_text *text = malloc(sizeof(*text)); /* ~44 KiB: not on the stack */
	authkeys_opts_init(opts);
	if (!text)
		return SB_ERR_NOMEM;
	cert_tokens(a, o, blob, bloblen, text, &tok);
	cert_policy(cfg_of(a), &tok, &pol);
	int m = certauth_check(cfg_of(a), &pol, a->user, a->ui.uid, a->ui.gid, a->ui.home, &o->cert,
			       a->client_addr, opts, via, sizeof(via));
	free(text);
	if (m != 1 && keys_command(cfg_of(a))) { /* cert-authority lines in its output */
		authkeys_opts_free(opts);
		m = keys_command_check(a, o, blob, bloblen, opts);
		snprintf(via, sizeof(via), "AuthorizedKeysCommand");
	}
	if (m == 1 && has_sig)
		log_info("Accepted certificate ID \"%s\" (serial %llu) signed by %s CA via %s",
			 o->cert.key_id, (unsigned long long)o->cert.serial, key_label(o->cert.ca.type, 0),
			 via);
	return m;
}

/* Is the offered key authorized for the user? 1 with *opts, 0 if not. */
static int offered_authorized(struct auth_ctx *a, const struct offered_key *o, const uint8_t *blob,
			      size_t bloblen, int has_sig, struct authkeys_opts *opts)
{
	const struct sshd_config *c = cfg_of(a);
	int m;
	if (o->is_cert) {
		m = cert_authorized(a, o, blob, bloblen, has_sig, opts);
	} else {
		m = authkeys_check(c, a->user, a->ui.uid, a->ui.gid, a->ui.home, blob, bloblen,
				   a->client_addr, a->client_addr, opts);
		if (m != 1 && keys_command(c)) {
			authkeys_opts_free(opts);
			m = keys_command_check(a, o, blob, bloblen, opts);
		}
	}
	if (m != 1) {
		authkeys_opts_free(opts);
		if (has_sig || log_enabled(LOG_DEBUG))
			log_info("publickey: key %s not authorized for %s", o->fp, a->user);
		return 0;
	}
	return 1;
}

static int send_pk_ok(struct transport *t, const char *alg, const uint8_t *blob, size_t bloblen)
{
	struct buf b;
	buf_init(&b, AUTH_MAX_BLOB + 256);
	int r = buf_put_u8(&b, SSH_MSG_USERAUTH_PK_OK);
	r = r ? r : buf_put_cstring(&b, alg);
	r = r ? r : buf_put_string(&b, blob, bloblen);
	r = r ? r : transport_send(t, &b);
	buf_free(&b);
	return r ? -1 : 2;
}

/* The signature: over the RFC 4252 data, with exactly the algorithm the
 * request named (as OpenSSH's sshkey_check_sigtype). */
static int offered_verify(struct auth_ctx *a, const struct offered_key *o, const char *alg,
			  const uint8_t *blob, size_t bloblen, const uint8_t *sig, size_t siglen,
			  const struct authkeys_opts *opts)
{
	char sig_alg[64];
	if (pubkey_sig_alg_name(sig, siglen, sig_alg, sizeof(sig_alg)) != 0 ||
	    strcmp(sig_alg, o->sig_alg) != 0) {
		log_info("publickey: signature algorithm does not match %s", alg);
		return 0;
	}
	struct buf data;
	buf_init(&data, AUTH_MAX_BLOB + 1024);
	int flags = (opts->no_touch_required ? PUBKEY_VERIFY_NO_TOUCH : 0) |
		    (opts->verify_required ? PUBKEY_VERIFY_NEED_UV : 0);
	int ok = auth_pubkey_signed_data(&data, a->session_id, a->session_id_len, a->user, a->service, alg,
					 blob, bloblen) == 0 &&
		 pubkey_verify(o->key, sig, siglen, buf_rptr(&data), buf_avail(&data), flags) == 0;
	buf_free(&data);
	if (!ok)
		log_info("publickey: bad signature from %s for %s (%s)", a->client_addr, a->user, o->fp);
	return ok;
}

/* OpenSSH's auth2_key_already_used: 1 when the key (or the key of the
 * certificate) passed an earlier publickey step of this login. */
static int key_already_used(const struct auth_ctx *a, const struct offered_key *o)
{
	for (int i = 0; i < a->used_keys; i++)
		if (strcmp(a->used_fp[i], o->fp) == 0) {
			log_info("publickey: refusing previously-used %s key %s", key_type_name(o->key->type),
				 o->fp);
			return 1;
		}
	return 0;
}

static void key_record_used(struct auth_ctx *a, const struct offered_key *o)
{
	if (a->used_keys < AUTH_MAX_USED_KEYS)
		snprintf(a->used_fp[a->used_keys++], sizeof(a->used_fp[0]), "%s", o->fp);
}

/* Returns 1 success, 0 failure, 2 = "sent PK_OK / INFO_REQUEST, not a failure". */
static int do_publickey(struct auth_ctx *a, struct transport *t, struct buf *p)
{
	int has_sig;
	char alg[64];
	const uint8_t *blob, *sig = NULL;
	size_t bloblen, siglen = 0;
	int e = buf_get_bool(p, &has_sig);
	e = e ? e : buf_get_cstring_into(p, alg, sizeof(alg));
	e = e ? e : buf_get_string_view(p, &blob, &bloblen, AUTH_MAX_BLOB);
	if (!e && has_sig)
		e = buf_get_string_view(p, &sig, &siglen, AUTH_MAX_SIG);
	if (e)
		return e;
	if (buf_avail(p) != 0)
		return SB_ERR_FORMAT; /* trailing bytes */
	const struct sshd_config *c = cfg_of(a);
	if (!c->pubkey_authentication)
		return 0;
	struct offered_key o;
	struct authkeys_opts opts;
	authkeys_opts_init(&opts);
	int ok = 0;
	if (offered_parse(a, alg, blob, bloblen, &o) != 0)
		goto out;
	if (c->pubkey_accepted_algorithms && c->pubkey_accepted_algorithms[0] &&
	    match_pattern_list(alg, c->pubkey_accepted_algorithms, 0) != 1) {
		log_info("publickey: algorithm %s not in PubkeyAcceptedAlgorithms", alg);
		goto out;
	}
	if (!a->user_valid || key_already_used(a, &o) || offered_revoked(a, &o) ||
	    !offered_authorized(a, &o, blob, bloblen, has_sig, &opts))
		goto out;
	if (!has_sig) {
		authkeys_opts_free(&opts);
		offered_free(&o);
		log_debug("publickey: %s %s acceptable for %s", alg, o.fp, a->user);
		return send_pk_ok(t, alg, blob, bloblen);
	}
	if (!user_root_method_allowed(c, a->ui.uid, "publickey",
				      opts.command != NULL || c->force_command != NULL)) {
		log_info("ROOT LOGIN REFUSED FROM %s port %d", a->client_addr, a->client_port);
		goto out;
	}
	if (offered_verify(a, &o, alg, blob, bloblen, sig, siglen, &opts)) {
		ok = 1;
		authkeys_opts_free(&a->key_opts);
		a->key_opts = opts;
		authkeys_opts_init(&opts);
		snprintf(a->key_fp, sizeof(a->key_fp), "%s", o.fp);
		key_record_used(a, &o);
	}
out:
	authkeys_opts_free(&opts);
	if (has_sig || !ok)
		result(a, "publickey", ok, o.log[0] ? o.log : alg);
	offered_free(&o);
	return ok;
}

static int do_password(struct auth_ctx *a, struct buf *p)
{
	uint64_t start = monotonic_ms();
	int change;
	char *pw = NULL;
	int e = buf_get_bool(p, &change);
	e = e ? e : buf_get_cstring(p, &pw, AUTH_MAX_PASSWORD);
	if (e)
		return e;
	int ok = 0;
	const struct sshd_config *c = cfg_of(a);
	if (change) {
		/* password change is not supported */
		free_secret_str(pw);
		result(a, "password", 0, NULL);
		return 0;
	}
	if (c->password_authentication && a->user_valid &&
	    user_root_method_allowed(c, a->ui.uid, "password", c->force_command != NULL)) {
		int r = passwd_check(a->user, pw, c);
		ok = r == PASSWD_OK;
		if (!ok && r != PASSWD_FAIL)
			log_info("password for %s: %s", a->user, passwd_result_name(r));
	} else if (c->password_authentication) {
		passwd_dummy_check(pw); /* a missing or refused user costs a hash too */
	}
	free_secret_str(pw);
	if (!ok)
		fail_delay(start);
	result(a, "password", ok, NULL);
	return ok;
}

static int kbd_send_query(struct auth_ctx *a, struct transport *t)
{
	struct kbdint_query q;
	memset(&q, 0, sizeof(q));
	int r = kbdint_query(a->kbd, &q);
	if (r != 1)
		return r == KBDINT_OK ? 1 : 0;
	if (q.n_prompts > KBDINT_MAX_PROMPTS)
		return 0;
	struct buf b;
	buf_init(&b, 16384);
	int e = buf_put_u8(&b, SSH_MSG_USERAUTH_INFO_REQUEST);
	e = e ? e : buf_put_cstring(&b, q.name ? q.name : "");
	e = e ? e : buf_put_cstring(&b, q.instruction ? q.instruction : "");
	e = e ? e : buf_put_cstring(&b, "");
	e = e ? e : buf_put_u32(&b, (uint32_t)q.n_prompts);
	for (size_t i = 0; !e && i < q.n_prompts; i++) {
		e = buf_put_cstring(&b, q.prompts[i] ? q.prompts[i] : "");
		e = e ? e : buf_put_u8(&b, q.echo[i] ? 1 : 0);
	}
	e = e ? e : transport_send(t, &b);
	buf_free(&b);
	a->kbd_prompts = (int)q.n_prompts;
	return e ? e : 2;
}

static int do_kbdint_start(struct auth_ctx *a, struct transport *t, struct buf *p)
{
	const uint8_t *lang, *sub;
	size_t ll, sl;
	int e = buf_get_string_view(p, &lang, &ll, 1024);
	e = e ? e : buf_get_string_view(p, &sub, &sl, 1024);
	if (e)
		return e;
	const struct sshd_config *c = cfg_of(a);
	if (!c->kbd_interactive_authentication) {
		result(a, "keyboard-interactive", 0, NULL);
		return 0;
	}
	if (a->kbd)
		kbdint_free(a->kbd);
	/* A missing or refused user gets the same prompt as a real one and
	 * fails only after answering it: the message sequence must not tell
	 * which accounts exist. */
	if (a->user_valid &&
	    user_root_method_allowed(c, a->ui.uid, "keyboard-interactive", c->force_command != NULL))
		a->kbd = kbdint_start(a->user, c, a->client_addr);
	else
		a->kbd = kbdint_start_refused(c);
	if (!a->kbd) {
		result(a, "keyboard-interactive", 0, NULL);
		return 0;
	}
	int r = kbd_send_query(a, t);
	if (r == 2 || r < 0)
		return r;
	kbdint_free(a->kbd);
	a->kbd = NULL;
	result(a, "keyboard-interactive", r == 1, NULL);
	return r;
}

static int do_kbdint_response(struct auth_ctx *a, struct transport *t, struct buf *p)
{
	uint64_t start = monotonic_ms();
	uint32_t n;
	char *resp[KBDINT_MAX_PROMPTS];
	size_t got = 0;
	if (!a->kbd)
		return SB_ERR_PROTOCOL; /* no keyboard-interactive round is open */
	int r = buf_get_u32(p, &n);
	if (!r && (n != (uint32_t)a->kbd_prompts || n > KBDINT_MAX_PROMPTS))
		r = SB_ERR_PROTOCOL; /* not the number of prompts we sent */
	if (r)
		goto out;
	for (got = 0; got < n; got++)
		if ((r = buf_get_cstring(p, &resp[got], AUTH_MAX_PASSWORD)))
			goto out;
	if (buf_avail(p) != 0) {
		r = SB_ERR_FORMAT; /* trailing bytes */
		goto out;
	}
	r = kbdint_respond(a->kbd, n, (const char *const *)resp);
	if (r == KBDINT_MORE) {
		r = kbd_send_query(a, t);
		if (r == 2 || r < 0)
			goto out;
	} else {
		r = r == KBDINT_OK ? 1 : 0;
	}
	kbdint_free(a->kbd);
	a->kbd = NULL;
	if (!r)
		fail_delay(start);
	result(a, "keyboard-interactive", r == 1, NULL);
out:
	for (size_t i = 0; i < got; i++)
		free_secret_str(resp[i]);
	return r;
}

int auth_service_again(struct auth_ctx *a)
{
	if (a->success)
		return SB_ERR_PROTOCOL;
	if (++a->requests > AUTH_MAX_REQUESTS) {
		log_info("too many authentication requests from %s", a->client_addr);
		return SB_ERR_PROTOCOL;
	}
	return 0;
}

int auth_handle(struct auth_ctx *a, struct transport *t, uint8_t type, struct buf *payload, int *reason)
{
	*reason = SSH_DISCONNECT_PROTOCOL_ERROR;
	struct buf p;
	int e = buf_view_message_body(&p, payload);
	if (e)
		return e;
	if (a->success)
		return 0; /* late requests after success are ignored (RFC 4252 s5.1) */
	int r;
	const char *method_for_count = NULL;
	if (type == SSH_MSG_USERAUTH_INFO_RESPONSE) {
		r = do_kbdint_response(a, t, &p);
		method_for_count = "keyboard-interactive";
		if (r < 0) {
			log_info("malformed keyboard-interactive response from %s: %s", a->client_addr,
				 sb_strerror(r));
			return r;
		}
	} else if (type == SSH_MSG_USERAUTH_REQUEST) {
		char user[AUTH_MAX_NAME + 1], service[64], method[64];
		if ((e = buf_get_cstring_into(&p, user, sizeof(user))) ||
		    (e = buf_get_cstring_into(&p, service, sizeof(service))) ||
		    (e = buf_get_cstring_into(&p, method, sizeof(method)))) {
			log_info("malformed userauth request from %s: %s", a->client_addr, sb_strerror(e));
			return e;
		}
		if (++a->requests > AUTH_MAX_REQUESTS) {
			log_info("too many authentication requests for %s from %s", user, a->client_addr);
			*reason = SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE;
			return SB_ERR_PROTOCOL;
		}
		if (a->kbd) {
			kbdint_free(a->kbd);
			a->kbd = NULL;
		}
		if (!a->user) {
			a->user = strdup(user);
			a->service = strdup(service);
			if (!a->user || !a->service)
				return SB_ERR_NOMEM;
			setup_user(a);
			if (!a->banner_sent)
				send_banner(a, t);
		} else if (strcmp(a->user, user) != 0 || strcmp(a->service, service) != 0) {
			log_info("change of username or service not allowed: (%s,%s) -> (%s,%s)", a->user,
				 a->service, user, service);
			return SB_ERR_PROTOCOL;
		}
		if (strcmp(service, "ssh-connection") != 0) {
			log_info("unsupported service %s from %s", service, a->client_addr);
			*reason = SSH_DISCONNECT_SERVICE_NOT_AVAILABLE;
			return SB_ERR_PROTOCOL;
		}
		if (strcmp(method, "none") == 0) {
			r = 0;
		} else if (!authmethods_allowed(&a->methods, method)) {
			log_info("userauth: method %s not allowed now by AuthenticationMethods for %s",
				 method, user);
			r = 0;
			method_for_count = "not-allowed";
		} else if (strcmp(method, "publickey") == 0) {
			r = do_publickey(a, t, &p);
			method_for_count = "publickey";
		} else if (strcmp(method, "password") == 0) {
			r = do_password(a, &p);
			method_for_count = "password";
		} else if (strcmp(method, "keyboard-interactive") == 0) {
			r = do_kbdint_start(a, t, &p);
			method_for_count = "keyboard-interactive";
		} else {
			log_debug("userauth: unsupported method %s", method);
			r = 0;
		}
		if (r < 0) {
			log_info("malformed %s request from %s: %s", method, a->client_addr, sb_strerror(r));
			return r;
		}
	} else {
		return SB_ERR_PROTOCOL; /* conn.c hands over only the two types above */
	}
	if (r == 2)
		return 0;
	if (r == 1 && method_for_count && !authmethods_success(&a->methods, method_for_count))
		return send_failure(a, t, 1); /* partial success: the next method of the list */
	if (r == 1)
		return send_success(a, t, method_for_count ? method_for_count : "none");
	if (method_for_count) {
		a->failures++;
		int max = cfg_of(a)->max_auth_tries;
		if (max > 0 && a->failures >= max) {
			log_info("Disconnecting %s %s from %s port %d: Too many authentication failures",
				 a->user_valid ? "authenticating user" : "invalid user",
				 a->user ? a->user : "?", a->client_addr, a->client_port);
			*reason = SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE;
			return SB_ERR_AUTH_LIMIT;
		}
	}
	return send_failure(a, t, 0);
}
