/* kbdint: keyboard-interactive authentication (see kbdint.h): a password
 * prompt, or PAM running in a forked child whose conversation is relayed
 * round by round over a socketpair. */
#include "kbdint.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "pamconv.h"
#include "passwd.h"
#include "util.h"

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

static void kbd_child_info(void *ctx, int style, const char *msg)
{
	struct kbd_child *c = ctx;
	size_t l = strlen(c->info);
	snprintf(c->info + l, sizeof(c->info) - l, "%s\n", msg);
}

/* One PAM call's prompts become one round to the parent: name, the
 * pending info text as instruction, the prompts, then the answers back. */
static int kbd_child_prompts(void *ctx, const struct pam_message **msg, int n, char **answers)
{
	struct kbd_child *c = ctx;
	int prompts = 0;
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			prompts++;
	if (prompts > KBDINT_MAX_PROMPTS)
		return -1;
	if (frame_write(c->fd, 'N', "", 0) < 0 || frame_write(c->fd, 'I', c->info, strlen(c->info)) < 0)
		return -1;
	c->info[0] = '\0';
	for (int i = 0; i < n; i++) {
		int st = msg[i]->msg_style;
		const char *m = msg[i]->msg ? msg[i]->msg : "";
		if (st == PAM_PROMPT_ECHO_OFF || st == PAM_PROMPT_ECHO_ON)
			if (frame_write(c->fd, st == PAM_PROMPT_ECHO_ON ? 'E' : 'P', m, strlen(m)) < 0)
				return -1;
	}
	if (frame_write(c->fd, 'R', "", 0) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		int st = msg[i]->msg_style;
		if (st != PAM_PROMPT_ECHO_OFF && st != PAM_PROMPT_ECHO_ON)
			continue;
		char t;
		size_t al;
		if (frame_read(c->fd, &t, &answers[i], &al) < 0)
			return -1;
		if (t != 'A')
			return -1;
	}
	return 0;
}

static void kbd_child_main(int fd, const char *user, const struct sshd_config *cfg, const char *rhost)
{
	struct kbd_child c;
	memset(&c, 0, sizeof(c));
	c.fd = fd;
	struct pamconv_ops ops = {.info = kbd_child_info, .prompts = kbd_child_prompts, .ctx = &c};
	struct pam_conv conv = {pamconv_fn, &ops};
	pam_handle_t *h = NULL;
	const char *svc = cfg && cfg->pam_service_name ? cfg->pam_service_name : SSHD_DEFAULT_PAM_SERVICE;
	uint8_t ok = 1;
	int r = pamconv_start(svc, user, &conv, &h);
	if (r == PAM_SUCCESS) {
		if (rhost)
			pam_set_item(h, PAM_RHOST, rhost);
		r = pam_authenticate(h,
				     cfg && cfg->permit_empty_passwords == 1 ? 0 : PAM_DISALLOW_NULL_AUTHTOK);
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

struct kbdint *kbdint_from_fd(int fd)
{
	struct kbdint *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->user = strdup("fuzz");
	if (!k->user) {
		free(k);
		return NULL;
	}
	k->mode = 1;
	k->fd = fd;
	k->pid = -1;
	(void)kbd_read_round(k);
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
		if (!responses[i] || strlen(responses[i]) > PASSWD_MAX_LEN) {
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
