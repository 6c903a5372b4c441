/* authkeys: authorized_keys lookup with OpenSSH option semantics and
 * StrictModes checks. */
#include "authkeys.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "util.h"

#define AUTHKEYS_MAX_OPTS_LEN 8192
#define AUTHKEYS_MAX_ENV 1024
#define AUTHKEYS_MAX_PERMITS 1024

void authkeys_opts_init(struct authkeys_opts *o)
{
	memset(o, 0, sizeof(*o));
}

void authkeys_opts_free(struct authkeys_opts *o)
{
	if (!o)
		return;
	free(o->command);
	free(o->principals);
	strlist_free(&o->env);
	strlist_free(&o->permitopen);
	strlist_free(&o->permitlisten);
	free(o->comment);
	free(o->file);
	memset(o, 0, sizeof(*o));
}

static int b64_index(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long authkeys_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap)
{
	if (inlen % 4 != 0 || inlen == 0)
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < inlen; i += 4) {
		int v[4];
		int pad = 0;
		for (int j = 0; j < 4; j++) {
			unsigned char c = (unsigned char)in[i + (size_t)j];
			if (c == '=') {
				/* padding only in the last group, last 1-2 chars */
				if (i + 4 != inlen || j < 2)
					return -1;
				v[j] = 0;
				pad++;
			} else {
				if (pad)
					return -1;
				v[j] = b64_index(c);
				if (v[j] < 0)
					return -1;
			}
		}
		uint32_t w =
		    ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) | ((uint32_t)v[2] << 6) | (uint32_t)v[3];
		size_t n = 3 - (size_t)pad;
		if (o + n > outcap)
			return -1;
		out[o++] = (uint8_t)(w >> 16);
		if (n > 1)
			out[o++] = (uint8_t)(w >> 8);
		if (n > 2)
			out[o++] = (uint8_t)w;
	}
	return (long)o;
}

/* Key type names that may start a key (without options). */
static const char *const key_types[] = {
    "ssh-ed25519",
    "sk-ssh-ed25519@openssh.com",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-dss",
    "ssh-ed25519-cert-v01@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "ssh-rsa-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ssh-dss-cert-v01@openssh.com",
};

static int is_key_type(const char *s, size_t n)
{
	for (size_t i = 0; i < ARRAY_LEN(key_types); i++)
		if (strlen(key_types[i]) == n && memcmp(key_types[i], s, n) == 0)
			return 1;
	return 0;
}

/* ---------------------------------------------------------------- */
/* options */

static int why_set(char *why, size_t whylen, const char *msg)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", msg);
	return -1;
}

/* Reads a quoted option value starting at *pp (pointing at the opening
 * quote). \" is an escaped quote; other backslashes are kept. */
static char *opt_quoted(const char **pp)
{
	const char *p = *pp;
	if (*p != '"')
		return NULL;
	p++;
	char *out = malloc(strlen(p) + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	while (*p && *p != '"') {
		if (*p == '\\' && p[1] == '"') {
			out[o++] = '"';
			p += 2;
			continue;
		}
		out[o++] = *p++;
	}
	if (*p != '"') {
		free(out);
		return NULL;
	}
	out[o] = '\0';
	*pp = p + 1;
	return out;
}

static int num_at(const char *buf, int off, int len)
{
	int v = 0;
	for (int k = 0; k < len; k++)
		v = v * 10 + (buf[off + k] - '0');
	return v;
}

/* "YYYYMMDD[HHMM[SS]][Z]" -> time_t (local time unless Z). */
static int parse_expiry(const char *s, time_t *out)
{
	size_t n = strlen(s);
	int utc = 0;
	char buf[16];
	if (n > 0 && (s[n - 1] == 'Z' || s[n - 1] == 'z')) {
		utc = 1;
		n--;
	}
	if (n != 8 && n != 12 && n != 14)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = num_at(buf, 0, 4) - 1900;
	tm.tm_mon = num_at(buf, 4, 2) - 1;
	tm.tm_mday = num_at(buf, 6, 2);
	if (n >= 12) {
		tm.tm_hour = num_at(buf, 8, 2);
		tm.tm_min = num_at(buf, 10, 2);
	}
	if (n == 14)
		tm.tm_sec = num_at(buf, 12, 2);
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_year < 70)
		return -1;
	tm.tm_isdst = -1;
	time_t t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t;
	return 0;
}

static int valid_port_str(const char *s, int allow_star, int allow_zero)
{
	if (allow_star && strcmp(s, "*") == 0)
		return 1;
	long v;
	if (parse_long(s, allow_zero ? 0 : 1, 65535, &v) < 0)
		return 0;
	return 1;
}

/* permitopen="host:port" (host may be [v6]); permitlisten="[host:]port". */
static int valid_permit(const char *s, int listen)
{
	const char *port = hostport_port_text(s, listen);
	return port && valid_port_str(port, 1, listen);
}

static int env_allowed(const struct sshd_config *cfg, const char *name)
{
	if (!cfg)
		return 0;
	if (cfg->permit_user_environment == PERMIT_USER_ENV_YES)
		return 1;
	if (cfg->permit_user_environment == PERMIT_USER_ENV_PATTERN && cfg->permit_user_environment_patterns)
		return match_pattern_list(name, cfg->permit_user_environment_patterns, 0) == 1;
	return 0;
}

/* The flag options: name, the int field of struct authkeys_opts it sets,
 * and the value ("no-pty" sets no_pty to 1, "pty" sets it back to 0). */
static const struct {
	const char *name;
	size_t field;
	int value;
} flag_options[] = {
    {"no-pty", offsetof(struct authkeys_opts, no_pty), 1},
    {"pty", offsetof(struct authkeys_opts, no_pty), 0},
    {"no-port-forwarding", offsetof(struct authkeys_opts, no_port_forwarding), 1},
    {"port-forwarding", offsetof(struct authkeys_opts, no_port_forwarding), 0},
    {"no-agent-forwarding", offsetof(struct authkeys_opts, no_agent_forwarding), 1},
    {"agent-forwarding", offsetof(struct authkeys_opts, no_agent_forwarding), 0},
    {"no-x11-forwarding", offsetof(struct authkeys_opts, no_x11_forwarding), 1},
    {"x11-forwarding", offsetof(struct authkeys_opts, no_x11_forwarding), 0},
    {"no-user-rc", offsetof(struct authkeys_opts, no_user_rc), 1},
    {"user-rc", offsetof(struct authkeys_opts, no_user_rc), 0},
    {"no-touch-required", offsetof(struct authkeys_opts, no_touch_required), 1},
    {"touch-required", offsetof(struct authkeys_opts, no_touch_required), 0},
    {"verify-required", offsetof(struct authkeys_opts, verify_required), 1},
    {"cert-authority", offsetof(struct authkeys_opts, cert_authority), 1},
};

/* A flag option (or "restrict"): 1 when nm is one, with *err set when it
 * came with a value; 0 when nm is not a flag option. */
static int apply_flag_option(const char *nm, const char *val, struct authkeys_opts *o, const char **err)
{
	if (strcmp(nm, "restrict") == 0) {
		if (val)
			*err = "unexpected value for flag option";
		o->no_pty = o->no_port_forwarding = o->no_agent_forwarding = 1;
		o->no_x11_forwarding = o->no_user_rc = 1;
		return 1;
	}
	for (size_t i = 0; i < ARRAY_LEN(flag_options); i++) {
		if (strcmp(nm, flag_options[i].name) != 0)
			continue;
		if (val)
			*err = "unexpected value for flag option";
		else
			*(int *)((char *)o + flag_options[i].field) = flag_options[i].value;
		return 1;
	}
	return 0;
}

/* An option that may appear once and needs a value (command=, from=,
 * principals=): moves *val into *dst. Returns the error, or NULL. */
static const char *take_once(char **dst, char **val, const char *missing, const char *twice)
{
	if (!*val)
		return missing;
	if (*dst)
		return twice;
	*dst = *val;
	*val = NULL;
	return NULL;
}

/* environment="NAME=value": kept only when PermitUserEnvironment allows
 * NAME; the first definition of a name wins. val is modified and restored.
 * Returns the error, or NULL. */
static const char *add_environment_option(const struct sshd_config *cfg, struct authkeys_opts *o, char *val)
{
	char *eq = val ? strchr(val, '=') : NULL;
	if (!val || !eq || eq == val)
		return "bad environment= value";
	*eq = '\0';
	for (const char *q = val; *q; q++)
		if (!isalnum((unsigned char)*q) && *q != '_')
			return "bad environment variable name";
	if (!env_allowed(cfg, val)) {
		log_debug("authorized_keys: environment=%s ignored (PermitUserEnvironment)", val);
		return NULL;
	}
	*eq = '=';
	size_t klen = (size_t)(eq - val) + 1;
	for (size_t i = 0; i < o->env.n; i++)
		if (strncmp(o->env.v[i], val, klen) == 0)
			return NULL;
	if (strlist_add(&o->env, val, AUTHKEYS_MAX_ENV) < 0)
		return "too many environment= options";
	return NULL;
}

/* permitopen="host:port" / permitlisten="[host:]port". Returns the error,
 * or NULL. */
static const char *add_permit_option(struct authkeys_opts *o, const char *val, int listen)
{
	if (!val || !valid_permit(val, listen))
		return listen ? "bad permitlisten= value" : "bad permitopen= value";
	if (strlist_add(listen ? &o->permitlisten : &o->permitopen, val, AUTHKEYS_MAX_PERMITS) < 0)
		return "too many permitopen/permitlisten options";
	return NULL;
}

/* One option, nm lower-cased, *val its unquoted value or NULL (taken when
 * stored). Returns the error, or NULL. */
static const char *apply_option(const char *nm, char **val, const struct sshd_config *cfg,
				struct authkeys_opts *o, char **from)
{
	const char *err = NULL;
	if (apply_flag_option(nm, *val, o, &err))
		return err;
	if (strcmp(nm, "command") == 0)
		return take_once(&o->command, val, "command= needs a value", "multiple command= options");
	if (strcmp(nm, "from") == 0)
		return take_once(from, val, "from= needs a value", "multiple from= options");
	if (strcmp(nm, "principals") == 0)
		return take_once(&o->principals, val, "principals= needs a value",
				 "multiple principals= options");
	if (strcmp(nm, "environment") == 0)
		return add_environment_option(cfg, o, *val);
	if (strcmp(nm, "expiry-time") == 0) {
		time_t t;
		if (!*val || parse_expiry(*val, &t) < 0)
			return "bad expiry-time= value";
		if (!o->expiry || t < o->expiry)
			o->expiry = t;
		return NULL;
	}
	if (strcmp(nm, "permitopen") == 0 || strcmp(nm, "permitlisten") == 0)
		return add_permit_option(o, *val, nm[6] == 'l');
	if (strcmp(nm, "tunnel") == 0)
		return "tunnel= is not supported";
	return "unknown option";
}

/* Parses the options prefix of a line. *pp points at it; on return it
 * points after the options (at whitespace). */
static int parse_options(const char **pp, const struct sshd_config *cfg, struct authkeys_opts *o, char **from,
			 char *why, size_t whylen)
{
	const char *p = *pp;
	for (;;) {
		/* option name */
		const char *name = p;
		while (*p && (isalnum((unsigned char)*p) || *p == '-' || *p == '_'))
			p++;
		size_t nlen = (size_t)(p - name);
		if (nlen == 0)
			return why_set(why, whylen, "bad option syntax");
		char nm[64];
		if (nlen >= sizeof(nm))
			return why_set(why, whylen, "unknown option");
		for (size_t i = 0; i < nlen; i++)
			nm[i] = (char)tolower((unsigned char)name[i]);
		nm[nlen] = '\0';
		char *val = NULL;
		if (*p == '=') {
			p++;
			val = opt_quoted(&p);
			if (!val)
				return why_set(why, whylen, "bad quoting in option value");
		}
		const char *err = apply_option(nm, &val, cfg, o, from);
		free(val);
		if (err) {
			if (why && whylen)
				snprintf(why, whylen, "%s (%.*s)", err, (int)(nlen > 40 ? 40 : nlen), name);
			return -1;
		}
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == ' ' || *p == '\t') {
			*pp = p;
			return 0;
		}
		return why_set(why, whylen, *p ? "bad option syntax" : "options without a key");
	}
}

int authkeys_parse_options(const char *text, const struct sshd_config *cfg, struct authkeys_opts *opts,
			   char **from, char *why, size_t whylen)
{
	*from = NULL;
	const char *p = text;
	if (parse_options(&p, cfg, opts, from, why, whylen) < 0) {
		free(*from);
		*from = NULL;
		return -1;
	}
	return 0;
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* The base64 key data (blen bytes at p, blen > 0): a blob that must start
 * with the string keytype. Returns the error, or NULL with *blob set. */
static const char *decode_key_blob(const char *p, size_t blen, const char *keytype, uint8_t **blob,
				   size_t *bloblen)
{
	size_t cap = blen / 4 * 3 + 3;
	uint8_t *b = malloc(cap);
	if (!b)
		return "out of memory";
	long n = authkeys_b64_decode(p, blen, b, cap);
	const char *err = NULL;
	if (n < 4) {
		err = "bad base64 key data";
	} else {
		uint32_t nl = load_be32(b);
		if (nl != strlen(keytype) || (size_t)n < 4 + (size_t)nl || memcmp(b + 4, keytype, nl) != 0)
			err = "key type does not match key data";
	}
	if (err) {
		free(b);
		return err;
	}
	*blob = b;
	*bloblen = (size_t)n;
	return NULL;
}

int authkeys_parse_line(const char *line, const struct sshd_config *cfg, struct authkeys_opts *opts,
			char **keytype, uint8_t **blob, size_t *bloblen, char **from, char *why,
			size_t whylen)
{
	*keytype = NULL;
	*blob = NULL;
	*bloblen = 0;
	*from = NULL;
	const char *err = NULL; /* NULL at bad: parse_options wrote why itself */
	const char *p = skip_blanks(line);
	if (*p == '\0' || *p == '#' || *p == '\n' || *p == '\r')
		return 1;
	size_t tlen = strcspn(p, " \t");
	if (!is_key_type(p, tlen)) {
		if (parse_options(&p, cfg, opts, from, why, whylen) < 0)
			goto bad;
		p = skip_blanks(p);
		tlen = strcspn(p, " \t");
		if (tlen == 0 || !is_key_type(p, tlen)) {
			err = tlen == 0 ? "missing key" : "unknown key type";
			goto bad;
		}
	}
	*keytype = strndup(p, tlen);
	if (!*keytype) {
		err = "out of memory";
		goto bad;
	}
	p = skip_blanks(p + tlen);
	size_t blen = strcspn(p, " \t\r\n");
	err = blen == 0 ? "missing key data" : decode_key_blob(p, blen, *keytype, blob, bloblen);
	if (err)
		goto bad;
	p = skip_blanks(p + blen);
	size_t clen = strcspn(p, "\r\n");
	if (clen && !(opts->comment = strndup(p, clen))) {
		err = "out of memory";
		goto bad;
	}
	return 0;
bad:
	if (err)
		why_set(why, whylen, err);
	free(*keytype);
	*keytype = NULL;
	free(*blob);
	*blob = NULL;
	*bloblen = 0;
	free(*from);
	*from = NULL;
	authkeys_opts_free(opts);
	return -1;
}

/* ---------------------------------------------------------------- */
/* from= and StrictModes */

int authkeys_from_allowed(const char *from, const char *host, const char *addr)
{
	int ra = addr ? match_addr_list(addr, from) : 0;
	if (ra == -2) {
		log_info("authorized_keys: bad from= list \"%.200s\"", from);
		return 0;
	}
	int rh = 0;
	if (host && (!addr || strcmp(host, addr) != 0))
		rh = match_pattern_list(host, from, 1);
	if (ra == -1 || rh == -1)
		return 0;
	return ra == 1 || rh == 1;
}

static int stat_ok(const struct stat *st, uid_t uid)
{
	return (st->st_uid == 0 || st->st_uid == uid) && (st->st_mode & 022) == 0;
}

int authkeys_secure_path(const char *path, uid_t uid, const char *home, char *why, size_t whylen)
{
	char rp[PATH_MAX], hp[PATH_MAX];
	struct stat st;
	if (!realpath(path, rp)) {
		snprintf(why, whylen, "realpath %s failed: %s", path, strerror(errno));
		return -1;
	}
	if (stat(rp, &st) < 0) {
		snprintf(why, whylen, "stat %s failed: %s", rp, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s is not a regular file", rp);
		return -1;
	}
	if (!stat_ok(&st, uid)) {
		snprintf(why, whylen, "bad ownership or modes for file %s", rp);
		return -1;
	}
	int have_home = home && realpath(home, hp) != NULL;
	/* walk up the directories */
	for (;;) {
		char *slash = strrchr(rp, '/');
		if (!slash)
			break;
		if (slash == rp)
			slash[1] = '\0'; /* "/" */
		else
			*slash = '\0';
		if (stat(rp, &st) < 0) {
			snprintf(why, whylen, "stat %s failed: %s", rp, strerror(errno));
			return -1;
		}
		if (!S_ISDIR(st.st_mode) || !stat_ok(&st, uid)) {
			snprintf(why, whylen, "bad ownership or modes for directory %s", rp);
			return -1;
		}
		if (have_home && strcmp(rp, hp) == 0)
			break;
		if (strcmp(rp, "/") == 0)
			break;
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* reading one file */

/* size_hint: the file's size from fstat. A buffer of that size (at least
 * 256 bytes, at most 8 KiB to start; it still grows to the bound if the
 * file grew or lied) comes from the allocator's small slots: a fixed 8 KiB
 * one cost a fresh mapping and its munmap on every authentication. */
static int read_bounded(int fd, off_t size_hint, char **out, size_t *outlen)
{
	size_t cap = size_hint < 256 ? 256 : size_hint < 8192 ? (size_t)size_hint + 1 : 8192, len = 0;
	char *b = malloc(cap + 1);
	if (!b)
		return -1;
	for (;;) {
		if (len == cap) {
			if (cap >= AUTHKEYS_MAX_FILE)
				break; /* stop reading: bound */
			size_t nc = cap * 2 > AUTHKEYS_MAX_FILE ? AUTHKEYS_MAX_FILE : cap * 2;
			char *nb = realloc(b, nc + 1);
			if (!nb) {
				free(b);
				return -1;
			}
			b = nb;
			cap = nc;
		}
		ssize_t r = read(fd, b + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(b);
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	b[len] = '\0';
	*out = b;
	*outlen = len;
	return 0;
}

/* Opens path (as the current euid), applies the StrictModes checks when
 * asked and reads it bounded. 1 with *text (caller frees), 0 when absent or
 * refused (logged), -1 on a read error. */
static int read_checked(const char *path, uid_t uid, const char *home, int strict_modes, char **text,
			size_t *len)
{
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_debug("%s: %s", path, strerror(errno));
		return 0;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_info("Authentication refused: %s is not a regular file", path);
		close(fd);
		return 0;
	}
	if (strict_modes) {
		char why[PATH_MAX + 64];
		if (!stat_ok(&st, uid)) {
			log_info("Authentication refused: bad ownership or modes for file %s", path);
			close(fd);
			return 0;
		}
		if (authkeys_secure_path(path, uid, home, why, sizeof(why)) < 0) {
			log_info("Authentication refused: %s", why);
			close(fd);
			return 0;
		}
	}
	if (read_bounded(fd, st.st_size, text, len) < 0) {
		log_info("%s: read failed: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 1;
}

/* Calls fn for each line of text that is not too long and has no NUL
 * (copied, NUL-terminated) until fn returns non-zero; returns that value. */
int authkeys_each_line(const char *path, const char *text, size_t len,
		       int (*fn)(void *ctx, const char *path, int lineno, char *line), void *ctx)
{
	int lineno = 0, r = 0;
	size_t pos = 0;
	/* no line is longer than the text: a small file needs no 16 KiB
	 * buffer (a fresh mapping and a munmap per call) */
	char *line = malloc((len < AUTHKEYS_MAX_LINE ? len : AUTHKEYS_MAX_LINE) + 1);
	if (!line)
		return -1;
	while (pos < len && r == 0) {
		lineno++;
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - start) : len - pos;
		pos += l + (nl ? 1 : 0);
		if (l > AUTHKEYS_MAX_LINE) {
			log_debug("%s:%d: line too long, skipped", path, lineno);
			continue;
		}
		if (memchr(start, '\0', l)) {
			log_debug("%s:%d: NUL byte in line, skipped", path, lineno);
			continue;
		}
		memcpy(line, start, l);
		line[l] = '\0';
		r = fn(ctx, path, lineno, line);
	}
	free(line);
	return r;
}

struct match_ctx {
	const struct sshd_config *cfg;
	const uint8_t *blob;
	size_t bloblen;
	const char *client_host, *client_addr;
	time_t now;
	int want_ca;
	int (*accept)(void *ctx, const struct authkeys_opts *o);
	void *accept_ctx;
	struct authkeys_opts *opts;
};

/* A line whose key is the one looked for: do its options let it be used? */
static int line_usable(const struct match_ctx *m, const char *path, int lineno, const struct authkeys_opts *o,
		       const char *from)
{
	if (o->cert_authority != m->want_ca)
		return 0; /* a CA line never authorizes the plain key, nor a plain line a certificate */
	if (o->principals && !o->cert_authority) {
		log_info("%s:%d: principals= on a key that is not a cert-authority: refused", path, lineno);
		return 0;
	}
	if (from && !authkeys_from_allowed(from, m->client_host, m->client_addr)) {
		log_info("Authentication tried for key at %s:%d with correct key but not from a "
			 "permitted host (host=%s, ip=%s)",
			 path, lineno, m->client_host ? m->client_host : "",
			 m->client_addr ? m->client_addr : "");
		return 0;
	}
	if (o->expiry && o->expiry <= m->now) {
		log_info("%s:%d: key has expired (expiry-time)", path, lineno);
		return 0;
	}
	return !m->accept || m->accept(m->accept_ctx, o);
}

static int match_line(void *ctx, const char *path, int lineno, char *line)
{
	struct match_ctx *m = ctx;
	struct authkeys_opts o;
	authkeys_opts_init(&o);
	char *kt = NULL, *from = NULL;
	uint8_t *kb = NULL;
	size_t kblen = 0;
	char why[160] = "";
	int r = authkeys_parse_line(line, m->cfg, &o, &kt, &kb, &kblen, &from, why, sizeof(why));
	if (r < 0)
		log_debug("%s:%d: skipping bad line: %s", path, lineno, why);
	int found = 0;
	if (r == 0 && kblen == m->bloblen && memcmp(kb, m->blob, m->bloblen) == 0 &&
	    line_usable(m, path, lineno, &o, from)) {
		found = 1;
		o.file = strdup(path);
		o.line = lineno;
		*m->opts = o;
		authkeys_opts_init(&o);
		log_debug("%s:%d: matching %s found", path, lineno, m->want_ca ? "CA" : "key");
	}
	authkeys_opts_free(&o);
	free(kt);
	free(kb);
	free(from);
	return found;
}

static int check_file(const char *path, uid_t uid, const char *home, int strict_modes, struct match_ctx *m)
{
	authkeys_opts_init(m->opts);
	if (m->now == 0)
		m->now = time(NULL);
	char *text;
	size_t len;
	int r = read_checked(path, uid, home, strict_modes, &text, &len);
	if (r <= 0)
		return r;
	r = authkeys_each_line(path, text, len, match_line, m);
	free(text);
	return r;
}

int authkeys_check_text(const char *label, const char *text, size_t len, const struct sshd_config *cfg,
			const uint8_t *blob, size_t bloblen, const char *client_host, const char *client_addr,
			struct authkeys_opts *opts)
{
	struct match_ctx m = {cfg, blob, bloblen, client_host, client_addr, time(NULL), 0, NULL, NULL, opts};
	authkeys_opts_init(opts);
	return authkeys_each_line(label, text, len, match_line, &m);
}

int authkeys_check_file(const char *path, const struct sshd_config *cfg, uid_t uid, const char *home,
			const uint8_t *blob, size_t bloblen, const char *client_host, const char *client_addr,
			int strict_modes, time_t now, struct authkeys_opts *opts)
{
	struct match_ctx m = {cfg, blob, bloblen, client_host, client_addr, now, 0, NULL, NULL, opts};
	return check_file(path, uid, home, strict_modes, &m);
}

/* ---------------------------------------------------------------- */
/* privilege switching */

struct saved_ids {
	int active;
	uid_t euid;
	gid_t egid;
	int ngroups;
	gid_t *groups;
};

static int temporarily_use_uid(const char *user, uid_t uid, gid_t gid, struct saved_ids *s)
{
	memset(s, 0, sizeof(*s));
	s->euid = geteuid();
	s->egid = getegid();
	int n = getgroups(0, NULL);
	if (n < 0)
		return -1;
	s->groups = calloc((size_t)n + 1, sizeof(gid_t));
	if (!s->groups)
		return -1;
	s->ngroups = getgroups(n, s->groups);
	if (s->ngroups < 0) {
		free(s->groups);
		return -1;
	}
	if (initgroups(user, gid) < 0 && setgroups(1, &gid) < 0)
		goto fail;
	if (setegid(gid) < 0)
		goto fail;
	if (seteuid(uid) < 0)
		goto fail;
	s->active = 1;
	return 0;
fail:
	log_error("authorized_keys: cannot switch to uid %lu: %s", (unsigned long)uid, strerror(errno));
	if (setegid(s->egid) < 0 || setgroups((size_t)s->ngroups, s->groups) < 0) {
		log_error("cannot restore privileges: %s", strerror(errno));
		_exit(255);
	}
	free(s->groups);
	s->groups = NULL;
	return -1;
}

static void restore_uid(struct saved_ids *s)
{
	if (!s->active)
		return;
	if (seteuid(s->euid) < 0 || setegid(s->egid) < 0 || setgroups((size_t)s->ngroups, s->groups) < 0) {
		log_error("cannot restore privileges: %s", strerror(errno));
		_exit(255);
	}
	free(s->groups);
	s->groups = NULL;
	s->active = 0;
}

int authkeys_expand_path(const char *tmpl, const char *user, const char *home, uid_t uid, char *path,
			 size_t cap)
{
	char *exp = sshd_expand_tokens(tmpl, user, home, uid);
	if (!exp) {
		log_info("\"%s\": bad token or too long", tmpl);
		return -1;
	}
	int n = exp[0] == '/' ? snprintf(path, cap, "%s", exp) : snprintf(path, cap, "%s/%s", home, exp);
	free(exp);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* As root, takes the user's ids for the file reads that follow, so the
 * kernel applies the user's permissions (a root-only file in a user's home
 * is not read on the user's behalf); as anyone else, changes nothing.
 * Returns 1 when switched (undo with restore_uid), 0 when not needed, -1
 * when the switch failed. */
static int read_as_user(const char *user, uid_t uid, gid_t gid, struct saved_ids *s)
{
	memset(s, 0, sizeof(*s));
	if (geteuid() != 0 || uid == 0)
		return 0;
	return temporarily_use_uid(user, uid, gid, s) < 0 ? -1 : 1;
}

/* Every AuthorizedKeysFile, read as the user when we are root. */
static int check_files(const struct sshd_config *cfg, const char *user, uid_t uid, gid_t gid,
		       const char *home, struct match_ctx *m)
{
	authkeys_opts_init(m->opts);
	if (!cfg || !user || !home || !m->blob)
		return -1;
	struct saved_ids s;
	int switched = read_as_user(user, uid, gid, &s);
	if (switched < 0)
		return -1;
	int result = 0;
	for (size_t i = 0; i < cfg->authorized_keys_files.n && result == 0; i++) {
		char path[PATH_MAX];
		if (authkeys_expand_path(cfg->authorized_keys_files.v[i], user, home, uid, path,
					 sizeof(path)) < 0)
			continue;
		log_debug("trying authorized keys file %s", path);
		result = check_file(path, uid, home, cfg->strict_modes, m);
	}
	if (switched)
		restore_uid(&s);
	return result;
}

int authkeys_check(const struct sshd_config *cfg, const char *user, uid_t uid, gid_t gid, const char *home,
		   const uint8_t *blob, size_t bloblen, const char *client_host, const char *client_addr,
		   struct authkeys_opts *opts)
{
	struct match_ctx m = {cfg, blob, bloblen, client_host, client_addr, 0, 0, NULL, NULL, opts};
	return check_files(cfg, user, uid, gid, home, &m);
}

int authkeys_check_ca(const struct sshd_config *cfg, const char *user, uid_t uid, gid_t gid, const char *home,
		      const uint8_t *ca_blob, size_t ca_bloblen, const char *client_host,
		      const char *client_addr, int (*accept)(void *ctx, const struct authkeys_opts *o),
		      void *ctx, struct authkeys_opts *opts)
{
	struct match_ctx m = {cfg, ca_blob, ca_bloblen, client_host, client_addr, 0, 1, accept, ctx, opts};
	return check_files(cfg, user, uid, gid, home, &m);
}

int authkeys_check_ca_text(const char *label, const char *text, size_t len, const struct sshd_config *cfg,
			   const uint8_t *ca_blob, size_t ca_bloblen, const char *client_host,
			   const char *client_addr, int (*accept)(void *ctx, const struct authkeys_opts *o),
			   void *ctx, struct authkeys_opts *opts)
{
	struct match_ctx m = {cfg,	  ca_blob, ca_bloblen, client_host, client_addr,
			      time(NULL), 1,	   accept,     ctx,	    opts};
	authkeys_opts_init(opts);
	return authkeys_each_line(label, text, len, match_line, &m);
}

int authkeys_read_user_file(const char *path, const char *user, uid_t uid, gid_t gid, const char *home,
			    int strict_modes, char **text, size_t *len)
{
	struct saved_ids s;
	int switched = read_as_user(user, uid, gid, &s);
	if (switched < 0)
		return -1;
	int r = read_checked(path, uid, home, strict_modes, text, len);
	if (switched)
		restore_uid(&s);
	return r;
}
