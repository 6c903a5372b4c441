/* passwd: password verification (shadow + crypt, or PAM). Keyboard-
 * interactive is kbdint.c, the user admission policy user.c. */
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
#include "pamconv.h"
#include "util.h"

#define SHADOW_PATH "/etc/shadow"
#define SHADOW_MAX_LINE 4096
#define SHADOW_MAX_FILE (16u << 20)

/* A valid hash for no password: the last resort for dummy_hash_of when a
 * shadow file holds no usable hash to take the scheme and cost from. */
#define DUMMY_HASH                                                                                           \
	"$6$sshboxdummysalt1$zkbcq3cTD3aXAehZ5fuhri8by.hM7p9Tq.TyQezylWWCWDnjWzPP9Vj0W0ZcrlhmWdcQIJ0M1tck."  \
	"JCxE1n/6."

const char *passwd_result_name(int r)
{
	return sb_strerror(r);
}

int passwd_verify_hash(const char *hash, const char *password)
{
	if (!hash || !password)
		return PASSWD_ERROR;
	if (hash[0] == '!' || hash[0] == '*')
		return PASSWD_LOCKED;
	if (hash[0] == '\0')
		return password[0] == '\0' ? PASSWD_OK : PASSWD_FAIL;
	if (strlen(password) > PASSWD_MAX_LEN)
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
	/* on the stack: a 4 KiB heap block is a fresh mapping and a munmap
	 * per login with musl's allocator */
	char line[SHADOW_MAX_LINE + 2];
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
	secure_zero(line, sizeof(line));
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

int passwd_shadow_refuses(const char *user, const char **why)
{
	struct shadow_ent e = {0}; /* on the stack: see shadow_lookup */
	int refused = 0;
	if (shadow_lookup(SHADOW_PATH, user, &e) == 1) {
		if (e.hash[0] == '!') {
			*why = "account is locked";
			refused = 1;
		} else if (shadow_account_expired(&e, today_days())) {
			*why = "account has expired";
			refused = 1;
		}
	}
	secure_zero(&e, sizeof(e));
	return refused;
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

void passwd_pam_set_confdir(const char *dir)
{
	pamconv_set_confdir(dir);
}

#if CONFIG_PAM
/* The password is the answer to every echo-off prompt; any other prompt
 * fails (a password check cannot answer questions). */
static int answer_password(void *ctx, const struct pam_message **msg, int n, char **answers)
{
	const char *password = ctx;
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			return -1;
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF && !(answers[i] = strdup(password)))
			return -1;
	}
	return 0;
}

static int passwd_check_pam(const char *user, const char *password, const struct sshd_config *cfg)
{
	struct pamconv_ops ops = {.prompts = answer_password, .ctx = (void *)(uintptr_t)password};
	struct pam_conv conv = {pamconv_fn, &ops};
	pam_handle_t *h = NULL;
	const char *svc = cfg && cfg->pam_service_name ? cfg->pam_service_name : SSHD_DEFAULT_PAM_SERVICE;
	int r = pamconv_start(svc, user, &conv, &h);
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
	if (strlen(password) > PASSWD_MAX_LEN)
		return PASSWD_FAIL;
#if CONFIG_PAM
	if (cfg && cfg->use_pam == 1)
		return passwd_check_pam(user, password, cfg);
#endif
	return passwd_check_shadow(user, password, cfg);
}
