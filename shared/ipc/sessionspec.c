/* sessionspec: see sessionspec.h. */
#include "sessionspec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

void sessionspec_init(struct session_spec *s) { memset(s, 0, sizeof(*s)); }

static void free_str(char **p)
{
	free(*p);
	*p = NULL;
}

void sessionspec_free(struct session_spec *s)
{
	free_str(&s->user);
	free(s->groups);
	free_str(&s->home);
	free_str(&s->shell);
	free_str(&s->command);
	free_str(&s->subsystem);
	free_str(&s->term);
	free_str(&s->tty);
	free_str(&s->client_addr);
	free_str(&s->server_addr);
	for (size_t i = 0; i < s->nenv; i++)
		free(s->env[i]);
	free(s->env);
	free_str(&s->original_command);
	free_str(&s->auth_sock);
	free_str(&s->pam_service);
	free_str(&s->utmp_path);
	free_str(&s->wtmp_path);
	free_str(&s->chroot_dir);
	free_str(&s->motd_path);
	memset(s, 0, sizeof(*s));
}

int sessionspec_set(char **field, const char *value)
{
	char *n = NULL;
	if (value) {
		if (strlen(value) > SESSIONSPEC_MAX_CMD)
			return -1;
		n = strdup(value);
		if (!n)
			return -1;
	}
	free(*field);
	*field = n;
	return 0;
}

int sessionspec_set_groups(struct session_spec *s, const uint32_t *groups, size_t n)
{
	if (n > SESSIONSPEC_MAX_GROUPS)
		return -1;
	uint32_t *g = NULL;
	if (n) {
		g = calloc(n, sizeof(*g));
		if (!g)
			return -1;
		memcpy(g, groups, n * sizeof(*g));
	}
	free(s->groups);
	s->groups = g;
	s->ngroups = n;
	return 0;
}

int sessionspec_add_env(struct session_spec *s, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	if (nl == 0 || strchr(name, '=') || nl + vl + 1 >= SESSIONSPEC_MAX_ENV_LEN)
		return -1;
	char *kv = malloc(nl + vl + 2);
	if (!kv)
		return -1;
	memcpy(kv, name, nl);
	kv[nl] = '=';
	memcpy(kv + nl + 1, value, vl + 1);
	for (size_t i = 0; i < s->nenv; i++) {
		if (strncmp(s->env[i], name, nl) == 0 && s->env[i][nl] == '=') {
			free(s->env[i]);
			s->env[i] = kv;
			return 0;
		}
	}
	if (s->nenv >= SESSIONSPEC_MAX_ENV) {
		free(kv);
		return -1;
	}
	char **ne = realloc(s->env, (s->nenv + 1) * sizeof(*ne));
	if (!ne) {
		free(kv);
		return -1;
	}
	s->env = ne;
	s->env[s->nenv++] = kv;
	return 0;
}

/* ---- encode ---- */

static int put_str(struct buf *b, const char *s) { return buf_put_cstring(b, s ? s : ""); }

static int put_opt(struct buf *b, const char *s)
{
	int r = buf_put_u8(b, s ? 1 : 0);
	if (!r && s)
		r = buf_put_cstring(b, s);
	return r;
}

static int put_body(const struct session_spec *s, struct buf *b)
{
	int r = buf_put_u32(b, SESSIONSPEC_MAGIC);
	r = r ? r : buf_put_u32(b, SESSIONSPEC_VERSION);
	r = r ? r : put_str(b, s->user);
	r = r ? r : buf_put_u32(b, s->uid);
	r = r ? r : buf_put_u32(b, s->gid);
	if (!r && s->ngroups > SESSIONSPEC_MAX_GROUPS)
		r = BUF_ERR_LIMIT;
	r = r ? r : buf_put_u32(b, (uint32_t)s->ngroups);
	for (size_t i = 0; !r && i < s->ngroups; i++)
		r = buf_put_u32(b, s->groups[i]);
	r = r ? r : put_str(b, s->home);
	r = r ? r : put_str(b, s->shell);
	r = r ? r : buf_put_u32(b, s->kind);
	r = r ? r : put_opt(b, s->command);
	r = r ? r : put_opt(b, s->subsystem);
	r = r ? r : buf_put_u8(b, s->pty ? 1 : 0);
	r = r ? r : put_opt(b, s->term);
	r = r ? r : put_opt(b, s->tty);
	r = r ? r : put_str(b, s->client_addr);
	r = r ? r : buf_put_u32(b, s->client_port);
	r = r ? r : put_str(b, s->server_addr);
	r = r ? r : buf_put_u32(b, s->server_port);
	if (!r && s->nenv > SESSIONSPEC_MAX_ENV)
		r = BUF_ERR_LIMIT;
	r = r ? r : buf_put_u32(b, (uint32_t)s->nenv);
	for (size_t i = 0; !r && i < s->nenv; i++)
		r = put_str(b, s->env[i]);
	r = r ? r : put_opt(b, s->original_command);
	r = r ? r : put_opt(b, s->auth_sock);
	r = r ? r : buf_put_u8(b, s->use_pam ? 1 : 0);
	r = r ? r : put_opt(b, s->pam_service);
	r = r ? r : buf_put_u8(b, s->utmp ? 1 : 0);
	r = r ? r : put_opt(b, s->utmp_path);
	r = r ? r : put_opt(b, s->wtmp_path);
	r = r ? r : buf_put_u8(b, s->audit ? 1 : 0);
	r = r ? r : buf_put_u8(b, s->selinux ? 1 : 0);
	r = r ? r : put_opt(b, s->chroot_dir);
	r = r ? r : buf_put_u8(b, s->print_motd ? 1 : 0);
	r = r ? r : put_opt(b, s->motd_path);
	r = r ? r : buf_put_u32(b, s->flags);
	return r;
}

int sessionspec_encode(const struct session_spec *s, struct buf *out)
{
	struct buf body;
	int r = buf_init(&body, SESSIONSPEC_MAX_SIZE);
	if (r)
		return r;
	r = put_body(s, &body);
	r = r ? r : buf_put_u32(out, (uint32_t)buf_avail(&body));
	r = r ? r : buf_put(out, buf_rptr(&body), buf_avail(&body));
	buf_free(&body);
	return r;
}

/* ---- decode ---- */

static int get_str(struct buf *b, char **out, size_t max) { return buf_get_cstring(b, out, max); }

static int get_opt(struct buf *b, char **out, size_t max)
{
	int present;
	int r = buf_get_bool(b, &present);
	if (r)
		return r;
	if (!present)
		return BUF_OK;
	return buf_get_cstring(b, out, max);
}

static int get_flag(struct buf *b, int *v) { return buf_get_bool(b, v); }

static int get_body(struct buf *b, struct session_spec *s)
{
	uint32_t magic, version, n;
	int r = buf_get_u32(b, &magic);
	r = r ? r : buf_get_u32(b, &version);
	if (!r && (magic != SESSIONSPEC_MAGIC || version != SESSIONSPEC_VERSION))
		r = BUF_ERR_FORMAT;
	r = r ? r : get_str(b, &s->user, SESSIONSPEC_MAX_STR);
	r = r ? r : buf_get_u32(b, &s->uid);
	r = r ? r : buf_get_u32(b, &s->gid);
	r = r ? r : buf_get_u32(b, &n);
	if (!r && n > SESSIONSPEC_MAX_GROUPS)
		r = BUF_ERR_LIMIT;
	if (!r && (size_t)n * 4u > buf_avail(b))
		r = BUF_ERR_SHORT;
	if (!r && n) {
		s->groups = calloc(n, sizeof(*s->groups));
		if (!s->groups)
			r = BUF_ERR_NOMEM;
		for (uint32_t i = 0; !r && i < n; i++) {
			r = buf_get_u32(b, &s->groups[i]);
			if (!r)
				s->ngroups = i + 1;
		}
	}
	r = r ? r : get_str(b, &s->home, SESSIONSPEC_MAX_STR);
	r = r ? r : get_str(b, &s->shell, SESSIONSPEC_MAX_STR);
	r = r ? r : buf_get_u32(b, &s->kind);
	if (!r && s->kind > SPEC_KIND_INTERNAL_SFTP)
		r = BUF_ERR_FORMAT;
	r = r ? r : get_opt(b, &s->command, SESSIONSPEC_MAX_CMD);
	r = r ? r : get_opt(b, &s->subsystem, SESSIONSPEC_MAX_STR);
	r = r ? r : get_flag(b, &s->pty);
	r = r ? r : get_opt(b, &s->term, SESSIONSPEC_MAX_STR);
	r = r ? r : get_opt(b, &s->tty, SESSIONSPEC_MAX_STR);
	r = r ? r : get_str(b, &s->client_addr, SESSIONSPEC_MAX_STR);
	r = r ? r : buf_get_u32(b, &s->client_port);
	r = r ? r : get_str(b, &s->server_addr, SESSIONSPEC_MAX_STR);
	r = r ? r : buf_get_u32(b, &s->server_port);
	r = r ? r : buf_get_u32(b, &n);
	if (!r && n > SESSIONSPEC_MAX_ENV)
		r = BUF_ERR_LIMIT;
	if (!r && (size_t)n * 4u > buf_avail(b))
		r = BUF_ERR_SHORT;
	if (!r && n) {
		s->env = calloc(n, sizeof(*s->env));
		if (!s->env)
			r = BUF_ERR_NOMEM;
		for (uint32_t i = 0; !r && i < n; i++) {
			char *kv = NULL;
			r = get_str(b, &kv, SESSIONSPEC_MAX_ENV_LEN);
			if (!r && (kv[0] == '=' || !strchr(kv, '='))) {
				free(kv);
				r = BUF_ERR_FORMAT;
			}
			if (!r)
				s->env[s->nenv++] = kv;
		}
	}
	r = r ? r : get_opt(b, &s->original_command, SESSIONSPEC_MAX_CMD);
	r = r ? r : get_opt(b, &s->auth_sock, SESSIONSPEC_MAX_STR);
	r = r ? r : get_flag(b, &s->use_pam);
	r = r ? r : get_opt(b, &s->pam_service, SESSIONSPEC_MAX_STR);
	r = r ? r : get_flag(b, &s->utmp);
	r = r ? r : get_opt(b, &s->utmp_path, SESSIONSPEC_MAX_STR);
	r = r ? r : get_opt(b, &s->wtmp_path, SESSIONSPEC_MAX_STR);
	r = r ? r : get_flag(b, &s->audit);
	r = r ? r : get_flag(b, &s->selinux);
	r = r ? r : get_opt(b, &s->chroot_dir, SESSIONSPEC_MAX_STR);
	r = r ? r : get_flag(b, &s->print_motd);
	r = r ? r : get_opt(b, &s->motd_path, SESSIONSPEC_MAX_STR);
	r = r ? r : buf_get_u32(b, &s->flags);
	if (!r && buf_avail(b) != 0)
		r = BUF_ERR_FORMAT;
	/* kinds that need a command have one */
	if (!r && s->kind != SPEC_KIND_SHELL && s->kind != SPEC_KIND_INTERNAL_SFTP && !s->command)
		r = BUF_ERR_FORMAT;
	if (!r && (!s->user[0] || !s->shell[0] || !s->home[0]))
		r = BUF_ERR_FORMAT;
	return r;
}

int sessionspec_decode(struct buf *in, struct session_spec *s)
{
	sessionspec_init(s);
	uint32_t len;
	struct buf body;
	int r = buf_get_u32(in, &len);
	if (r)
		return r;
	if (len > SESSIONSPEC_MAX_SIZE)
		return BUF_ERR_LIMIT;
	if (buf_avail(in) != len)
		return buf_avail(in) < len ? BUF_ERR_SHORT : BUF_ERR_FORMAT;
	buf_view(&body, buf_rptr(in), len);
	r = get_body(&body, s);
	if (r) {
		sessionspec_free(s);
		return r;
	}
	buf_consume(in, len);
	return BUF_OK;
}

int sessionspec_read_fd(int fd, struct session_spec *s)
{
	sessionspec_init(s);
	uint8_t hdr[4];
	if (read_full(fd, hdr, sizeof(hdr)) != 0)
		return -1;
	uint32_t len = load_be32(hdr);
	if (len > SESSIONSPEC_MAX_SIZE) {
		errno = EMSGSIZE;
		return -1;
	}
	struct buf b;
	uint8_t *p;
	if (buf_init(&b, (size_t)len + 4u) != BUF_OK)
		return -1;
	if (buf_put(&b, hdr, 4) != BUF_OK || buf_reserve(&b, len, &p) != BUF_OK || read_full(fd, p, len) != 0) {
		buf_free(&b);
		return -1;
	}
	int r = sessionspec_decode(&b, s);
	buf_free(&b);
	if (r) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int sessionspec_pipe(const struct session_spec *s)
{
	struct buf b;
	if (buf_init(&b, SESSIONSPEC_MAX_SIZE + 4u) != BUF_OK)
		return -1;
	if (sessionspec_encode(s, &b) != BUF_OK) {
		log_error("session spec too large or out of memory");
		buf_free(&b);
		return -1;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0) {
		buf_free(&b);
		return -1;
	}
	size_t n = buf_avail(&b);
	int cap = fcntl(p[1], F_GETPIPE_SZ);
	if (cap >= 0 && (size_t)cap < n) {
		/* grow it (up to /proc/sys/fs/pipe-max-size for non-root) */
		cap = fcntl(p[1], F_SETPIPE_SZ, (int)n);
	}
	int ok = cap >= 0 && (size_t)cap >= n && set_nonblock(p[1], 1) == 0;
	if (ok) {
		ssize_t w;
		do
			w = write(p[1], buf_rptr(&b), n);
		while (w < 0 && errno == EINTR);
		ok = w == (ssize_t)n;
	}
	buf_free(&b);
	close(p[1]);
	if (!ok) {
		log_error("session spec: cannot queue %zu bytes in a pipe", n);
		close(p[0]);
		return -1;
	}
	return p[0];
}
