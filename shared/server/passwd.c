/* passwd: password verification (shadow + crypt, or PAM), keyboard-
 * interactive, and the OpenSSH user admission policy. */
#include "passwd.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "util.h"

#if CONFIG_PAM
#include <security/pam_appl.h>
#endif

#define SHADOW_PATH "/etc/shadow"
#define SHADOW_MAX_LINE 4096
#define SHADOW_MAX_FILE (16u << 20)
#define PASSWORD_MAX 1024

/* A valid hash for no password: the last resort for dummy_hash_of when a
 * shadow file holds no usable hash to take the scheme and cost from. */
#define DUMMY_HASH "$6$sshboxdummysalt1$zkbcq3cTD3aXAehZ5fuhri8by.hM7p9Tq.TyQezylWWCWDnjWzPP9Vj0W0ZcrlhmWdcQIJ0M1tck.JCxE1n/6."

const char *passwd_result_name(int r)
{
	switch (r) {
	case PASSWD_OK: return "ok";
	case PASSWD_FAIL: return "wrong password";
	case PASSWD_LOCKED: return "account locked";
	case PASSWD_EXPIRED: return "account or password expired";
	case PASSWD_EMPTY: return "empty password not permitted";
	case PASSWD_ERROR: return "internal error";
	}
	return "unknown";
}

int passwd_verify_hash(const char *hash, const char *password)
{
	if (!hash || !password)
		return PASSWD_ERROR;
	if (hash[0] == '!' || hash[0] == '*')
		return PASSWD_LOCKED;
	if (hash[0] == '\0')
		return password[0] == '\0' ? PASSWD_OK : PASSWD_FAIL;
	if (strlen(password) > PASSWORD_MAX)
		return PASSWD_FAIL;
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	if (!cd)
		return PASSWD_ERROR;
	int rc;
	char *out = crypt_r(password, hash, cd);
	if (!out || out[0] == '*' || out[0] == '\0') {
		rc = PASSWD_ERROR; /* unsupported or malformed hash */
		log_debug("crypt: hash method not supported or malformed hash");
	} else {
		size_t ol = strlen(out), hl = strlen(hash);
		/* compare in constant time over the hash length */
		int eq = ol == hl && ct_memeq(out, hash, hl);
		rc = eq ? PASSWD_OK : PASSWD_FAIL;
	}
	secure_zero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

/* ---------------------------------------------------------------- */
/* shadow */

struct shadow_ent {
	char hash[SHADOW_MAX_LINE];
	long lastchg, min, max, warn, inactive, expire;
};

static long field_num(const char *s)
{
	long v;
	if (!s || !*s)
		return -1;
	if (parse_long(s, 0, LONG_MAX, &v) < 0)
		return -1;
	return v;
}

/* Finds user in a shadow-format file. 1 found, 0 not found, -1 error. */
static int shadow_lookup(const char *path, const char *user, struct shadow_ent *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -1;
	}
	char *line = malloc(SHADOW_MAX_LINE + 2);
	if (!line) {
		fclose(f);
		return -1;
	}
	size_t ulen = strlen(user);
	int found = 0;
	size_t total = 0;
	while (!found && fgets(line, SHADOW_MAX_LINE + 2, f)) {
		size_t l = strlen(line);
		total += l;
		if (total > SHADOW_MAX_FILE)
			break;
		if (l > 0 && line[l - 1] != '\n' && !feof(f)) {
			/* overlong line: skip the rest of it */
			int ch;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			continue;
		}
		if (l > 0 && line[l - 1] == '\n')
			line[--l] = '\0';
		if (strncmp(line, user, ulen) != 0 || line[ulen] != ':')
			continue;
		/* name:hash:lastchg:min:max:warn:inactive:expire:flag */
		char *fields[9] = {0};
		char *p = line;
		for (int i = 0; i < 9 && p; i++) {
			fields[i] = p;
			p = strchr(p, ':');
			if (p)
				*p++ = '\0';
		}
		snprintf(e->hash, sizeof(e->hash), "%s", fields[1] ? fields[1] : "*");
		e->lastchg = field_num(fields[2]);
		e->min = field_num(fields[3]);
		e->max = field_num(fields[4]);
		e->warn = field_num(fields[5]);
		e->inactive = field_num(fields[6]);
		e->expire = field_num(fields[7]);
		found = 1;
	}
	secure_zero(line, SHADOW_MAX_LINE + 2);
	free(line);
	fclose(f);
	return found;
}

/* The hash a missing, locked or refused account is checked against, so that
 * a wrong password costs the same time whether or not the account exists:
 * the first usable hash in the shadow file, i.e. the scheme and cost
 * (yescrypt "$y$j9T$...", "$6$rounds=N$...") real accounts use here.
 * crypt_r takes a whole hash as its setting, so hashing against it is
 * exactly as slow as verifying that account; the result is thrown away.
 * Cached per process for the default file (read once per connection). */
static const char *dummy_hash_of(const char *path)
{
	static char cached[SHADOW_MAX_LINE], cached_path[PATH_MAX];
	if (strcmp(path, cached_path) == 0)
		return cached[0] ? cached : DUMMY_HASH;
	cached[0] = '\0';
	snprintf(cached_path, sizeof(cached_path), "%s", path);
	FILE *f = fopen(path, "re");
	char *line = f ? malloc(SHADOW_MAX_LINE + 2) : NULL;
	for (size_t total = 0; line && !cached[0] && fgets(line, SHADOW_MAX_LINE + 2, f);) {
		total += strlen(line);
		if (total > SHADOW_MAX_FILE)
			break;
		char *h = strchr(line, ':');
		char *end = h ? strchr(h + 1, ':') : NULL;
		if (!end || h[1] != '$' || end - h - 1 >= (ptrdiff_t)sizeof(cached))
			continue; /* no hash field, locked ("!", "*"), empty or DES */
		memcpy(cached, h + 1, (size_t)(end - h - 1));
		cached[end - h - 1] = '\0';
	}
	if (line) {
		secure_zero(line, SHADOW_MAX_LINE + 2);
		free(line);
	}
	if (f)
		fclose(f);
	return cached[0] ? cached : DUMMY_HASH;
}

void passwd_dummy_check(const char *password)
{
	(void)passwd_verify_hash(dummy_hash_of(SHADOW_PATH), password ? password : "");
}

static long today_days(void)
{
	return (long)(time(NULL) / 86400);
}

/* Account expiry per shadow(5): expire day reached, or password expired
 * beyond the inactivity period. */
static int shadow_account_expired(const struct shadow_ent *e, long now)
{
	if (e->expire >= 0 && now >= e->expire)
		return 1;
	if (e->lastchg > 0 && e->max >= 0 && e->inactive >= 0 && now > e->lastchg + e->max + e->inactive)
		return 1;
	return 0;
}

/* Password must be changed (forced change or aged out): we cannot run
 * a password change, so password login is refused. */
static int shadow_password_expired(const struct shadow_ent *e, long now)
{
	if (e->lastchg == 0)
		return 1;
	if (e->lastchg > 0 && e->max >= 0 && e->max < 99999 && now > e->lastchg + e->max)
		return 1;
	return 0;
}

static int check_against_entry(const char *path, struct shadow_ent *e, const char *password, int permit_empty,
			       long now)
{
	int rc;
	if (e->hash[0] == '!' || e->hash[0] == '*') {
		/* still spend the time of a hash */
		(void)passwd_verify_hash(dummy_hash_of(path), password);
		rc = PASSWD_LOCKED;
	} else if (e->hash[0] == '\0') {
		if (password[0] != '\0')
			rc = PASSWD_FAIL;
		else
			rc = permit_empty ? PASSWD_OK : PASSWD_EMPTY;
	} else {
		rc = passwd_verify_hash(e->hash, password);
	}
	if (rc == PASSWD_OK && shadow_account_expired(e, now))
		rc = PASSWD_EXPIRED;
	if (rc == PASSWD_OK && shadow_password_expired(e, now))
		rc = PASSWD_EXPIRED;
	return rc;
}

int passwd_check_file(const char *shadow_path, const char *user, const char *password, int permit_empty,
		      long now_days)
{
	if (!user || !password || !shadow_path)
		return PASSWD_ERROR;
	if (now_days < 0)
		now_days = today_days();
	struct shadow_ent *e = calloc(1, sizeof(*e));
	if (!e)
		return PASSWD_ERROR;
	int rc;
	int r = shadow_lookup(shadow_path, user, e);
	if (r < 0) {
		rc = PASSWD_ERROR;
	} else if (r == 0) {
		(void)passwd_verify_hash(dummy_hash_of(shadow_path), password);
		rc = PASSWD_FAIL;
	} else {
		rc = check_against_entry(shadow_path, e, password, permit_empty, now_days);
	}
	secure_zero(e, sizeof(*e));
	free(e);
	return rc;
}

static int passwd_check_shadow(const char *user, const char *password, const struct sshd_config *cfg)
{
	struct shadow_ent *e = calloc(1, sizeof(*e));
	if (!e)
		return PASSWD_ERROR;
	int permit_empty = cfg ? cfg->permit_empty_passwords == 1 : 0;
	int rc;
	int r = shadow_lookup(SHADOW_PATH, user, e);
	if (r < 0) {
		log_error("cannot read %s: %s%s", SHADOW_PATH, strerror(errno),
			  geteuid() ? " (password authentication needs a root daemon)" : "");
		rc = PASSWD_ERROR;
	} else if (r == 1) {
		rc = check_against_entry(SHADOW_PATH, e, password, permit_empty, today_days());
	} else {
		/* not in shadow: a hash directly in /etc/passwd? */
		struct passwd *pw = getpwnam(user);
		if (pw && pw->pw_passwd && strcmp(pw->pw_passwd, "x") != 0) {
			memset(e, 0, sizeof(*e));
			snprintf(e->hash, sizeof(e->hash), "%s", pw->pw_passwd);
			e->lastchg = e->min = e->max = e->warn = e->inactive = e->expire = -1;
			rc = check_against_entry(SHADOW_PATH, e, password, permit_empty, today_days());
		} else {
			passwd_dummy_check(password);
			rc = PASSWD_FAIL;
		}
	}
	secure_zero(e, sizeof(*e));
	free(e);
	return rc;
}

/* ---------------------------------------------------------------- */
/* PAM password */

static const char *pam_confdir; /* tests only */

void passwd_pam_set_confdir(const char *dir)
{
	pam_confdir = dir;
}

#if CONFIG_PAM
static int pam_begin(const char *svc, const char *user, const struct pam_conv *conv, pam_handle_t **h)
{
	if (pam_confdir)
		return pam_start_confdir(svc, user, conv, pam_confdir, h);
	return pam_start(svc, user, conv, h);
}

struct pam_pw_ctx {
	const char *password;
};

static int pam_password_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_pw_ctx *c = data;
	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			r[i].resp = strdup(c->password);
			if (!r[i].resp)
				goto fail;
			break;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			break;
		default:
			goto fail;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
fail:
	for (int i = 0; i < n; i++)
		free_secret_str(r[i].resp);
	free(r);
	return PAM_CONV_ERR;
}

static int passwd_check_pam(const char *user, const char *password, const struct sshd_config *cfg)
{
	struct pam_pw_ctx ctx = {.password = password};
	struct pam_conv conv = {pam_password_conv, &ctx};
	pam_handle_t *h = NULL;
	const char *svc = cfg && cfg->pam_service_name ? cfg->pam_service_name : SSHD_DEFAULT_PAM_SERVICE;
	int r = pam_begin(svc, user, &conv, &h);
	if (r != PAM_SUCCESS) {
		log_error("pam_start(%s): %s", svc, pam_strerror(h, r));
		return PASSWD_ERROR;
	}
	int rc;
	r = pam_authenticate(h, cfg && cfg->permit_empty_passwords == 1 ? 0 : PAM_DISALLOW_NULL_AUTHTOK);
	if (r == PAM_SUCCESS) {
		r = pam_acct_mgmt(h, 0);
		if (r == PAM_SUCCESS)
			rc = PASSWD_OK;
		else if (r == PAM_NEW_AUTHTOK_REQD || r == PAM_ACCT_EXPIRED || r == PAM_AUTHTOK_EXPIRED)
			rc = PASSWD_EXPIRED;
		else
			rc = PASSWD_LOCKED;
		if (r != PAM_SUCCESS)
			log_info("pam_acct_mgmt for %s: %s", user, pam_strerror(h, r));
	} else {
		log_debug("pam_authenticate for %s: %s", user, pam_strerror(h, r));
		rc = r == PAM_MAXTRIES || r == PAM_ACCT_EXPIRED ? PASSWD_LOCKED : PASSWD_FAIL;
	}
	pam_end(h, r);
	return rc;
}
#endif

int passwd_check(const char *user, const char *password, const struct sshd_config *cfg)
{
	if (!user || !password)
		return PASSWD_ERROR;
	if (strlen(password) > PASSWORD_MAX)
		return PASSWD_FAIL;
#if CONFIG_PAM
	if (cfg && cfg->use_pam == 1)
		return passwd_check_pam(user, password, cfg);
#endif
	return passwd_check_shadow(user, password, cfg);
}

/* ---------------------------------------------------------------- */
/* keyboard-interactive */

struct kbdint {
	int mode;  /* 0: password prompt, 1: PAM child, 2: refused account (prompt, dummy check, fail) */
	int state; /* 0 fresh, 1 waiting for responses, 2 done */
	int result;
	char *user;
	const struct sshd_config *cfg;
	/* current round */
	char *name, *instruction;
	char *prompts[KBDINT_MAX_PROMPTS];
	int echo[KBDINT_MAX_PROMPTS];
	size_t n_prompts;
	/* PAM child */
	pid_t pid;
	int fd;
};

static void round_clear(struct kbdint *k)
{
	free(k->name);
	free(k->instruction);
	k->name = k->instruction = NULL;
	for (size_t i = 0; i < k->n_prompts; i++)
		free(k->prompts[i]);
	k->n_prompts = 0;
}

/* Wire format between the PAM child and the parent, over a socketpair:
 * frames of [u8 type][u32 len][len bytes]. A round is: 'N' name, 'I'
 * instruction, 'P'/'E' prompt (echo off / on) ..., 'R' (end of round).
 * Responses: 'A' answer ... then 'R'. Result: 'S' with 1 byte (0 ok). */
#define KBD_FRAME_MAX 4096
#define KBD_TIMEOUT_MS 120000

static int frame_write(int fd, char type, const char *s, size_t n)
{
	if (n > KBD_FRAME_MAX)
		n = KBD_FRAME_MAX;
	uint8_t hdr[5];
	hdr[0] = (uint8_t)type;
	hdr[1] = (uint8_t)(n >> 24);
	hdr[2] = (uint8_t)(n >> 16);
	hdr[3] = (uint8_t)(n >> 8);
	hdr[4] = (uint8_t)n;
	if (write_full(fd, hdr, 5) < 0)
		return -1;
	return n ? write_full(fd, s, n) : 0;
}

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	for (;;) {
		int r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		return r > 0 ? 0 : -1;
	}
}

/* Reads one frame; *out is malloc'd and NUL-terminated. */
static int frame_read(int fd, char *type, char **out, size_t *outlen)
{
	uint8_t hdr[5];
	if (wait_readable(fd, KBD_TIMEOUT_MS) < 0 || read_full(fd, hdr, 5) < 0)
		return -1;
	size_t n = ((size_t)hdr[1] << 24) | ((size_t)hdr[2] << 16) | ((size_t)hdr[3] << 8) | hdr[4];
	if (n > KBD_FRAME_MAX)
		return -1;
	char *b = malloc(n + 1);
	if (!b)
		return -1;
	if (n && read_full(fd, b, n) < 0) {
		free(b);
		return -1;
	}
	b[n] = '\0';
	*type = (char)hdr[0];
	*out = b;
	if (outlen)
		*outlen = n;
	return 0;
}

#if CONFIG_PAM
/* ---- child side ---- */
struct kbd_child {
	int fd;
	char info[KBD_FRAME_MAX]; /* pending TEXT_INFO/ERROR_MSG text */
};

static int kbd_child_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct kbd_child *c = data;
	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	int prompts = 0;
	for (int i = 0; i < n; i++) {
		int st = msg[i]->msg_style;
		const char *m = msg[i]->msg ? msg[i]->msg : "";
		if (st == PAM_TEXT_INFO || st == PAM_ERROR_MSG) {
			size_t l = strlen(c->info);
			snprintf(c->info + l, sizeof(c->info) - l, "%s\n", m);
		} else if (st == PAM_PROMPT_ECHO_OFF || st == PAM_PROMPT_ECHO_ON) {
			prompts++;
		} else {
			free(r);
			return PAM_CONV_ERR;
		}
	}
	if (prompts == 0) {
		*resp = r;
		return PAM_SUCCESS;
	}
	if (prompts > KBDINT_MAX_PROMPTS)
		goto fail;
	/* send the round */
	if (frame_write(c->fd, 'N', "", 0) < 0 || frame_write(c->fd, 'I', c->info, strlen(c->info)) < 0)
		goto fail;
	c->info[0] = '\0';
	for (int i = 0; i < n; i++) {
		int st = msg[i]->msg_style;
		const char *m = msg[i]->msg ? msg[i]->msg : "";
		if (st == PAM_PROMPT_ECHO_OFF || st == PAM_PROMPT_ECHO_ON)
			if (frame_write(c->fd, st == PAM_PROMPT_ECHO_ON ? 'E' : 'P', m, strlen(m)) < 0)
				goto fail;
	}
	if (frame_write(c->fd, 'R', "", 0) < 0)
		goto fail;
	/* read answers */
	for (int i = 0; i < n; i++) {
		int st = msg[i]->msg_style;
		if (st != PAM_PROMPT_ECHO_OFF && st != PAM_PROMPT_ECHO_ON)
			continue;
		char t;
		char *a;
		size_t al;
		if (frame_read(c->fd, &t, &a, &al) < 0)
			goto fail;
		if (t != 'A') {
			free_secret_str(a);
			goto fail;
		}
		r[i].resp = a;
	}
	*resp = r;
	return PAM_SUCCESS;
fail:
	for (int i = 0; i < n; i++)
		free_secret_str(r[i].resp);
	free(r);
	return PAM_CONV_ERR;
}

static void kbd_child_main(int fd, const char *user, const struct sshd_config *cfg, const char *rhost)
{
	struct kbd_child c;
	memset(&c, 0, sizeof(c));
	c.fd = fd;
	struct pam_conv conv = {kbd_child_conv, &c};
	pam_handle_t *h = NULL;
	const char *svc = cfg && cfg->pam_service_name ? cfg->pam_service_name : SSHD_DEFAULT_PAM_SERVICE;
	uint8_t ok = 1;
	int r = pam_begin(svc, user, &conv, &h);
	if (r == PAM_SUCCESS) {
		if (rhost)
			pam_set_item(h, PAM_RHOST, rhost);
		r = pam_authenticate(h, cfg && cfg->permit_empty_passwords == 1 ? 0 : PAM_DISALLOW_NULL_AUTHTOK);
		if (r == PAM_SUCCESS)
			r = pam_acct_mgmt(h, 0);
		if (r == PAM_SUCCESS)
			ok = 0;
		else
			log_info("keyboard-interactive/pam for %s: %s", user, pam_strerror(h, r));
		pam_end(h, r);
	} else {
		log_error("pam_start(%s): %s", svc, pam_strerror(h, r));
	}
	(void)frame_write(fd, 'S', (const char *)&ok, 1);
	_exit(0);
}
#endif

/* Parent: reads the next round or the result from the child. */
static int kbd_read_round(struct kbdint *k)
{
	round_clear(k);
	for (;;) {
		char t;
		char *s;
		size_t l;
		if (frame_read(k->fd, &t, &s, &l) < 0) {
			k->state = 2;
			k->result = KBDINT_FAIL;
			return KBDINT_FAIL;
		}
		switch (t) {
		case 'N':
			free(k->name);
			k->name = s;
			break;
		case 'I':
			free(k->instruction);
			k->instruction = s;
			break;
		case 'P':
		case 'E':
			if (k->n_prompts >= KBDINT_MAX_PROMPTS) {
				free(s);
				k->state = 2;
				k->result = KBDINT_FAIL;
				return KBDINT_FAIL;
			}
			k->echo[k->n_prompts] = t == 'E';
			k->prompts[k->n_prompts++] = s;
			break;
		case 'R':
			free(s);
			k->state = 1;
			return KBDINT_MORE;
		case 'S':
			k->state = 2;
			k->result = (l == 1 && s[0] == 0) ? KBDINT_OK : KBDINT_FAIL;
			free(s);
			return k->result;
		default:
			free(s);
			k->state = 2;
			k->result = KBDINT_FAIL;
			return KBDINT_FAIL;
		}
	}
}

int kbdint_available(const struct sshd_config *cfg)
{
	if (!cfg)
		return 0;
#if CONFIG_PAM
	if (cfg->use_pam == 1)
		return 1;
#endif
	return cfg->password_authentication == 1;
}

static struct kbdint *password_round(struct kbdint *k);

struct kbdint *kbdint_start(const char *user, const struct sshd_config *cfg, const char *client_host)
{
	if (!user || !kbdint_available(cfg))
		return NULL;
	struct kbdint *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->user = strdup(user);
	k->cfg = cfg;
	k->fd = -1;
	k->pid = -1;
	if (!k->user) {
		free(k);
		return NULL;
	}
#if CONFIG_PAM
	if (cfg && cfg->use_pam == 1) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
			kbdint_free(k);
			return NULL;
		}
		pid_t pid = fork();
		if (pid < 0) {
			close(sv[0]);
			close(sv[1]);
			kbdint_free(k);
			return NULL;
		}
		if (pid == 0) {
			close(sv[0]);
			signal(SIGPIPE, SIG_IGN);
			kbd_child_main(sv[1], user, cfg, client_host);
			_exit(1);
		}
		close(sv[1]);
		k->mode = 1;
		k->pid = pid;
		k->fd = sv[0];
		(void)kbd_read_round(k);
		return k;
	}
#endif
	(void)client_host;
	k->mode = 0;
	return password_round(k);
}

struct kbdint *kbdint_start_refused(const struct sshd_config *cfg)
{
	if (!kbdint_available(cfg))
		return NULL;
	struct kbdint *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->user = strdup("");
	k->cfg = cfg;
	k->fd = -1;
	k->pid = -1;
	k->mode = 2;
	if (!k->user) {
		free(k);
		return NULL;
	}
	return password_round(k);
}

/* The one round of the password prompt (modes 0 and 2). Frees k on error. */
static struct kbdint *password_round(struct kbdint *k)
{
	k->name = strdup("");
	k->instruction = strdup("");
	k->prompts[0] = strdup("Password: ");
	k->echo[0] = 0;
	k->n_prompts = 1;
	k->state = 1;
	if (!k->name || !k->instruction || !k->prompts[0]) {
		kbdint_free(k);
		return NULL;
	}
	return k;
}

int kbdint_query(struct kbdint *k, struct kbdint_query *q)
{
	if (!k || !q)
		return KBDINT_FAIL;
	if (k->state == 2)
		return k->result;
	if (k->state != 1)
		return KBDINT_FAIL;
	memset(q, 0, sizeof(*q));
	q->name = k->name ? k->name : "";
	q->instruction = k->instruction ? k->instruction : "";
	q->n_prompts = k->n_prompts;
	for (size_t i = 0; i < k->n_prompts; i++) {
		q->prompts[i] = k->prompts[i];
		q->echo[i] = k->echo[i];
	}
	return 1;
}

int kbdint_respond(struct kbdint *k, size_t n, const char *const *responses)
{
	if (!k || k->state != 1)
		return KBDINT_FAIL;
	if (n != k->n_prompts) {
		k->state = 2;
		k->result = KBDINT_FAIL;
		return KBDINT_FAIL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!responses[i] || strlen(responses[i]) > PASSWORD_MAX) {
			k->state = 2;
			k->result = KBDINT_FAIL;
			return KBDINT_FAIL;
		}
	}
	if (k->mode == 2) {
		passwd_dummy_check(responses[0]);
		k->state = 2;
		k->result = KBDINT_FAIL;
		return KBDINT_FAIL;
	}
	if (k->mode == 0) {
		int r = passwd_check(k->user, responses[0], k->cfg);
		if (r != PASSWD_OK)
			log_debug("keyboard-interactive for %s: %s", k->user, passwd_result_name(r));
		k->state = 2;
		k->result = r == PASSWD_OK ? KBDINT_OK : KBDINT_FAIL;
		return k->result;
	}
	for (size_t i = 0; i < n; i++) {
		if (frame_write(k->fd, 'A', responses[i], strlen(responses[i])) < 0) {
			k->state = 2;
			k->result = KBDINT_FAIL;
			return KBDINT_FAIL;
		}
	}
	return kbd_read_round(k);
}

void kbdint_free(struct kbdint *k)
{
	if (!k)
		return;
	round_clear(k);
	if (k->fd >= 0)
		close(k->fd);
	if (k->pid > 0) {
		int st;
		pid_t r = waitpid(k->pid, &st, WNOHANG);
		if (r == 0) {
			kill(k->pid, SIGTERM);
			(void)waitpid(k->pid, &st, 0);
		}
	}
	free(k->user);
	free(k);
}

/* ---------------------------------------------------------------- */
/* users */

void user_info_free(struct user_info *ui)
{
	if (!ui)
		return;
	free(ui->name);
	free(ui->home);
	free(ui->shell);
	free(ui->gecos);
	free(ui->gids);
	if (ui->group_names) {
		for (size_t i = 0; i < ui->n_groups; i++)
			free(ui->group_names[i]);
		free(ui->group_names);
	}
	memset(ui, 0, sizeof(*ui));
}

int user_lookup(const char *name, struct user_info *ui)
{
	memset(ui, 0, sizeof(*ui));
	if (!name || !*name || strlen(name) > 256)
		return -1;
	struct passwd *pw = getpwnam(name);
	if (!pw)
		return -1;
	ui->name = strdup(pw->pw_name);
	ui->uid = pw->pw_uid;
	ui->gid = pw->pw_gid;
	ui->home = strdup(pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/");
	ui->shell = strdup(pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh");
	ui->gecos = strdup(pw->pw_gecos ? pw->pw_gecos : "");
	if (!ui->name || !ui->home || !ui->shell || !ui->gecos)
		goto fail;
	int ng = 32;
	gid_t *g = NULL;
	for (int tries = 0; tries < 5; tries++) {
		gid_t *ng2 = realloc(g, (size_t)ng * sizeof(gid_t));
		if (!ng2)
			goto fail_g;
		g = ng2;
		int cnt = ng;
		if (getgrouplist(ui->name, ui->gid, g, &cnt) >= 0) {
			ng = cnt;
			break;
		}
		if (cnt <= ng || cnt > 65536) {
			/* cannot size it: primary group only */
			g[0] = ui->gid;
			ng = 1;
			break;
		}
		ng = cnt;
	}
	ui->gids = g;
	ui->n_groups = (size_t)ng;
	ui->group_names = calloc((size_t)ng + 1, sizeof(char *));
	if (!ui->group_names)
		goto fail;
	for (int i = 0; i < ng; i++) {
		struct group *gr = getgrgid(g[i]);
		char num[32];
		snprintf(num, sizeof(num), "%lu", (unsigned long)g[i]);
		ui->group_names[i] = strdup(gr && gr->gr_name ? gr->gr_name : num);
		if (!ui->group_names[i])
			goto fail;
	}
	return 0;
fail_g:
	free(g);
fail:
	user_info_free(ui);
	return -1;
}

static int groups_match(const struct user_info *ui, const struct strlist *pats)
{
	for (size_t i = 0; i < ui->n_groups; i++)
		for (size_t j = 0; j < pats->n; j++)
			if (match_pattern(ui->group_names[i], pats->v[j]))
				return 1;
	return 0;
}

int user_allowed(const struct sshd_config *cfg, const struct user_info *ui, const char *client_host,
		 const char *client_addr, const char **why)
{
	static const char *dummy;
	if (!why)
		why = &dummy;
	*why = NULL;
	if (!cfg || !ui || !ui->name) {
		*why = "no such user";
		return 0;
	}
	/* a daemon that is not root can only log in its own user */
	if (geteuid() != 0 && ui->uid != geteuid()) {
		*why = "daemon is not running as root: only its own user may log in";
		return 0;
	}
	if (ui->uid == 0 && cfg->permit_root_login == PERMIT_ROOT_NO) {
		*why = "root login refused (PermitRootLogin no)";
		return 0;
	}
	/* shadow: locked ('!' prefix; '*' means "no password" and still allows
	 * keys, as in OpenSSH) and account expiry. Skipped under PAM, whose
	 * account stack decides. */
	if (cfg->use_pam != 1) {
		struct shadow_ent *e = calloc(1, sizeof(*e));
		if (e) {
			if (shadow_lookup(SHADOW_PATH, ui->name, e) == 1) {
				int locked = e->hash[0] == '!';
				int expired = shadow_account_expired(e, today_days());
				secure_zero(e, sizeof(*e));
				free(e);
				if (locked) {
					*why = "account is locked";
					return 0;
				}
				if (expired) {
					*why = "account has expired";
					return 0;
				}
			} else {
				free(e);
			}
		}
	}
	/* the shell must exist and be executable, unless chrooted */
	if (!cfg->chroot_directory) {
		struct stat st;
		const char *sh = ui->shell && *ui->shell ? ui->shell : "/bin/sh";
		if (stat(sh, &st) < 0) {
			*why = "shell does not exist";
			return 0;
		}
		if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0) {
			*why = "shell is not executable";
			return 0;
		}
	}
	for (size_t i = 0; i < cfg->deny_users.n; i++) {
		if (match_user_pattern(ui->name, client_host, client_addr, cfg->deny_users.v[i])) {
			*why = "listed in DenyUsers";
			return 0;
		}
	}
	if (cfg->allow_users.n) {
		int ok = 0;
		for (size_t i = 0; i < cfg->allow_users.n && !ok; i++)
			ok = match_user_pattern(ui->name, client_host, client_addr, cfg->allow_users.v[i]);
		if (!ok) {
			*why = "not listed in AllowUsers";
			return 0;
		}
	}
	if (cfg->deny_groups.n && groups_match(ui, &cfg->deny_groups)) {
		*why = "a group is listed in DenyGroups";
		return 0;
	}
	if (cfg->allow_groups.n && !groups_match(ui, &cfg->allow_groups)) {
		*why = "none of the user's groups are listed in AllowGroups";
		return 0;
	}
	return 1;
}

int user_root_method_allowed(const struct sshd_config *cfg, uid_t uid, const char *method, int forced_command)
{
	if (uid != 0)
		return 1;
	if (!cfg || !method)
		return 0;
	int pk = strcmp(method, "publickey") == 0;
	switch (cfg->permit_root_login) {
	case PERMIT_ROOT_YES:
		return 1;
	case PERMIT_ROOT_PROHIBIT_PASSWORD:
		return pk;
	case PERMIT_ROOT_FORCED_COMMANDS_ONLY:
		return pk && forced_command;
	default:
		return 0;
	}
}

int chroot_path_secure(const char *path, char *why, size_t whylen)
{
	char buf[PATH_MAX];
	if (!path || path[0] != '/') {
		snprintf(why, whylen, "chroot path does not begin at root");
		return -1;
	}
	size_t n = strlen(path);
	if (n >= sizeof(buf)) {
		snprintf(why, whylen, "chroot path too long");
		return -1;
	}
	/* check "/", then every prefix that ends a component */
	for (size_t j = 0; j <= n; j++) {
		size_t len;
		if (j == 0)
			len = 1;
		else if ((j == n || path[j] == '/') && path[j - 1] != '/')
			len = j;
		else
			continue;
		memcpy(buf, path, len);
		buf[len] = '\0';
		struct stat st;
		if (stat(buf, &st) != 0) {
			snprintf(why, whylen, "stat(\"%s\"): %s", buf, strerror(errno));
			return -1;
		}
		const char *comp = (j == n) ? "" : "component ";
		if (st.st_uid != 0 || (st.st_mode & 022) != 0) {
			snprintf(why, whylen, "bad ownership or modes for chroot directory %s\"%s\"", comp, buf);
			return -1;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(why, whylen, "chroot path %s\"%s\" is not a directory", comp, buf);
			return -1;
		}
	}
	return 0;
}
