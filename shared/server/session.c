/* session: the "session" channel type. See session.h. */
#include "session.h"
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "agentfwd.h"
#include "authkeys.h"
#include "channel.h"
#include "config.h"
#include "connctx.h"
#include "log.h"
#include "loop.h"
#include "user.h"
#include "pty.h"
#include "spawn.h"
#include "sshd_config.h"
#include "loginaudit.h"
#include "utmp.h"
#include "util.h"

#define SESSION_MAX CHANNEL_MAX
#define ENV_NAME_MAX 256
#define ENV_VALUE_MAX 4096
#define TERM_MAX 256
#define PTY_DRAIN_MS 1500

struct sess {
	int used;
	struct conn *conn;
	struct channel *ch; /* NULL once the channel is gone */
	struct session_spec spec;
	int started;
	int ptym, ptys; /* ptym: our own copy for ioctls */
	char tty[PTY_NAME_MAX];
	pid_t pid;
	int ctl;
	int exited;
	int timer;
};

static struct sess sessions[SESSION_MAX];

static struct sess *sess_alloc(void)
{
	for (size_t i = 0; i < SESSION_MAX; i++) {
		struct sess *s = &sessions[i];
		if (!s->used) {
			memset(s, 0, sizeof(*s));
			s->used = 1;
			s->ptym = s->ptys = s->ctl = s->timer = -1;
			s->pid = -1;
			sessionspec_init(&s->spec);
			return s;
		}
	}
	return NULL;
}

static void sess_release(struct sess *s)
{
	close_fd(&s->ptym);
	close_fd(&s->ptys);
	close_fd(&s->ctl);
	sessionspec_free(&s->spec);
	s->used = 0;
}

static void stop_timer(struct sess *s)
{
	if (s->timer >= 0) {
		loop_unwatch_fd(conn_loop(s->conn), s->timer);
		close_fd(&s->timer);
	}
}

/* ---- exit ---- */

static void on_drain_timer(int fd, short revents, void *arg)
{
	(void)fd;
	(void)revents;
	struct sess *s = arg;
	uint64_t ticks;
	ssize_t r = read(s->timer, &ticks, sizeof(ticks));
	(void)r;
	struct channel *ch = s->ch;
	if (!ch) {
		stop_timer(s);
		return;
	}
	if (ch->remote_window == 0)
		return; /* the client is slow, not us: keep waiting (periodic timer) */
	/* The shell is gone but something (a background job) still holds the
	 * pty slave open: finish the channel as OpenSSH does. */
	log_debug("session %u: pty still open after the shell exited: closing the channel", ch->id);
	stop_timer(s);
	channel_close(ch);
}

static void send_exit(struct sess *s, int status)
{
	struct channel *ch = s->ch;
	struct buf b;
	buf_init(&b, 256);
	if (WIFSIGNALED(status) && session_signal_name(WTERMSIG(status))) {
		int r = buf_put_cstring(&b, session_signal_name(WTERMSIG(status)));
		r = r ? r : buf_put_u8(&b, WCOREDUMP(status) ? 1 : 0);
		r = r ? r : buf_put_cstring(&b, "");
		r = r ? r : buf_put_cstring(&b, "");
		if (!r)
			channel_send_request(ch, "exit-signal", 0, &b);
		log_debug("session %u: exit-signal %s", ch->id, session_signal_name(WTERMSIG(status)));
	} else {
		uint32_t code = WIFEXITED(status) ? (uint32_t)WEXITSTATUS(status)
			      : WIFSIGNALED(status) ? 128u + (uint32_t)WTERMSIG(status) : 255u;
		if (buf_put_u32(&b, code) == BUF_OK)
			channel_send_request(ch, "exit-status", 0, &b);
		log_debug("session %u: exit-status %u", ch->id, code);
	}
	buf_free(&b);
}

/* The exec child writes the logout record and the audit USER_END itself;
 * if it died before (killed, crashed) it cannot, and a stale "logged in"
 * record would stay behind: the process that started it closes them. */
static void close_login_records(struct sess *s, int status)
{
	const struct session_spec *sp = &s->spec;
	if (!sp->utmp || !sp->tty)
		return;
	int r = utmp_logout_if_open(sp->utmp_path, sp->wtmp_path, sp->tty);
	if (r <= 0)
		return;
	char how[48];
	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(status));
	else
		snprintf(how, sizeof(how), "exit status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	log_info("session: the exec child of %s on %s ended (%s) without its logout record: closed it",
		 sp->user, sp->tty, how);
	if (sp->audit)
		(void)loginaudit_session_end(sp->user, (uid_t)sp->uid, sp->client_addr, sp->tty);
}

static void on_child(pid_t pid, int status, void *arg)
{
	struct sess *s = arg;
	if (!s->used || s->pid != pid)
		return;
	s->exited = 1;
	close_login_records(s, status);
	metrics_conn_sessions(-1);
	if (!s->ch) { /* channel already gone */
		sess_release(s);
		return;
	}
	send_exit(s, status);
	struct channel *ch = s->ch;
	if (s->spec.pty) {
		s->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		struct itimerspec its = {.it_value = {PTY_DRAIN_MS / 1000, (PTY_DRAIN_MS % 1000) * 1000000L},
					 .it_interval = {0, 500 * 1000000L}};
		if (s->timer >= 0 &&
		    (timerfd_settime(s->timer, 0, &its, NULL) != 0 ||
		     loop_watch_fd(conn_loop(s->conn), s->timer, POLLIN, on_drain_timer, s) != 0))
			close_fd(&s->timer);
	}
	channel_release_close(ch);
}

/* ---- channel ops ---- */

static void sess_free(void *owner, struct channel *ch)
{
	struct sess *s = ch->ctx;
	if (!s)
		return;
	ch->ctx = NULL;
	s->ch = NULL;
	stop_timer(s);
	/* EOF on the control pipe: the exec child hangs up the session,
	 * writes the logout record and exits; we reap it via on_child. */
	close_fd(&s->ctl);
	close_fd(&s->ptym);
	close_fd(&s->ptys);
	if (!s->started || s->exited)
		sess_release(s);
}

static int accept_env_name(const struct sshd_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->accept_env.n; i++)
		if (fnmatch(cfg->accept_env.v[i], name, 0) == 0)
			return 1;
	return 0;
}

static int req_env(struct sess *s, struct buf *d)
{
	const struct conn_info *ci = conn_info(s->conn);
	char *name = NULL, *value = NULL;
	int ok = 0;
	if (buf_get_cstring(d, &name, ENV_NAME_MAX) || buf_get_cstring(d, &value, ENV_VALUE_MAX)) {
		log_debug("session: env request malformed or too long");
		goto out;
	}
	if (s->started || !name[0] || strchr(name, '='))
		goto out;
	if (!accept_env_name(ci->cfg, name)) {
		log_debug("session: env %s not accepted (AcceptEnv)", name);
		goto out;
	}
	if (sessionspec_add_env(&s->spec, name, value) != 0) {
		log_debug("session: env %s: too many variables", name);
		goto out;
	}
	log_debug("session: env %s accepted", name);
	ok = 1;
out:
	free(name);
	free(value);
	return ok;
}

static int req_pty(struct sess *s, struct buf *d)
{
	const struct conn_info *ci = conn_info(s->conn);
	char *term = NULL;
	uint32_t cols, rows, xp, yp;
	const uint8_t *modes;
	size_t mlen;
	if (buf_get_cstring(d, &term, TERM_MAX) || buf_get_u32(d, &cols) || buf_get_u32(d, &rows) ||
	    buf_get_u32(d, &xp) || buf_get_u32(d, &yp) || buf_get_string_view(d, &modes, &mlen, 64 * 1024)) {
		free(term);
		log_debug("session: pty-req malformed");
		return 0;
	}
	int ok = 0;
	if (s->started || s->ptym >= 0) {
		log_debug("session: pty-req after start or twice");
		goto out;
	}
	if (!ci->cfg->permit_tty || (ci->key_opts && ci->key_opts->no_pty)) {
		log_info("session: pty refused for %s (%s)", ci->user->name,
			 !ci->cfg->permit_tty ? "PermitTTY no" : "no-pty key option");
		goto out;
	}
	if (pty_open(&s->ptym, &s->ptys, s->tty, sizeof(s->tty)) != 0) {
		log_error("session: cannot allocate a pty: %s", strerror(errno));
		goto out;
	}
	if (pty_chown_slave(s->ptys, ci->user->uid, ci->user->gid) != 0)
		log_warn("session: chown %s: %s", s->tty, strerror(errno));
	if (pty_set_modes(s->ptys, modes, mlen) != 0)
		log_debug("session: terminal modes: %s", strerror(errno));
	pty_set_winsize(s->ptym, cols, rows, xp, yp);
	s->spec.pty = 1;
	sessionspec_set(&s->spec.term, term);
	sessionspec_set(&s->spec.tty, s->tty);
	log_debug("session: allocated %s (%ux%u, TERM %s)", s->tty, cols, rows, term);
	ok = 1;
out:
	free(term);
	return ok;
}

static int is_internal_sftp(const char *cmd, const char **args)
{
	size_t n = strlen("internal-sftp");
	if (strncmp(cmd, "internal-sftp", n) != 0 || (cmd[n] != 0 && cmd[n] != ' ' && cmd[n] != '\t'))
		return 0;
	*args = cmd + n;
	while (**args == ' ' || **args == '\t')
		(*args)++;
	return 1;
}

/* What a session runs: the client's request, after ForceCommand or a key's
 * command= replaced it. */
struct start_plan {
	uint32_t kind;		 /* SPEC_KIND_* */
	const char *command;	 /* NULL for a shell */
	const char *subsys_name; /* the subsystem asked for, or NULL */
	const char *requested;	 /* what the client asked to run (exec command, subsystem's) */
	const char *forced;	 /* the forced command, or NULL */
};

/* The client's request, what: "shell", "exec", "subsystem"; arg: command
 * or subsystem name. Returns < 0 for an unknown subsystem (logged). */
static int plan_request(const struct conn_info *ci, const char *what, const char *arg, struct start_plan *pl)
{
	const struct sshd_config *cfg = ci->cfg;
	*pl = (struct start_plan){.kind = SPEC_KIND_SHELL};
	if (strcmp(what, "exec") == 0) {
		pl->requested = arg;
		pl->kind = SPEC_KIND_EXEC;
		pl->command = arg;
	} else if (strcmp(what, "subsystem") == 0) {
		const struct subsystem *sub = NULL;
		for (size_t i = 0; i < cfg->n_subsystems; i++)
			if (strcmp(cfg->subsystems[i].name, arg) == 0)
				sub = &cfg->subsystems[i];
		if (!sub) {
			log_info("session: subsystem request for %s by %s failed, subsystem not found", arg,
				 ci->user->name);
			return -1;
		}
		pl->subsys_name = arg;
		pl->requested = sub->command;
		const char *args;
		if (sub->internal_sftp || is_internal_sftp(sub->command, &args)) {
			pl->kind = SPEC_KIND_INTERNAL_SFTP;
			if (!is_internal_sftp(sub->command, &args))
				args = "";
			pl->command = args;
		} else {
			pl->kind = SPEC_KIND_SUBSYSTEM;
			pl->command = sub->command;
		}
	}
	return 0;
}

/* ForceCommand, else the key's command= option, replaces what the client
 * asked for; the request is kept as SSH_ORIGINAL_COMMAND. Returns < 0 when
 * out of memory. */
static int apply_forced_command(const struct conn_info *ci, struct session_spec *sp, struct start_plan *pl)
{
	const struct sshd_config *cfg = ci->cfg;
	const struct authkeys_opts *ko = ci->key_opts;
	pl->forced = cfg->force_command ? cfg->force_command : (ko && ko->command) ? ko->command : NULL;
	if (!pl->forced)
		return 0;
	log_info("session: %s %s for %s", cfg->force_command ? "ForceCommand" : "forced command (key option)",
		 pl->forced, ci->user->name);
	const char *args;
	if (is_internal_sftp(pl->forced, &args)) {
		pl->kind = SPEC_KIND_INTERNAL_SFTP;
		pl->command = args;
	} else {
		pl->kind = SPEC_KIND_EXEC;
		pl->command = pl->forced;
	}
	sp->flags |= SPEC_FLAG_FORCED_COMMAND;
	if (pl->requested && sessionspec_set(&sp->original_command, pl->requested) != 0)
		return -1;
	return 0;
}

/* Who runs what, from where. Returns nonzero when out of memory. */
static int spec_set_identity(struct session_spec *sp, const struct conn_info *ci, const struct start_plan *pl)
{
	const struct user_info *u = ci->user;
	int r = 0;
	r |= sessionspec_set(&sp->user, u->name);
	sp->uid = (uint32_t)u->uid;
	sp->gid = (uint32_t)u->gid;
	uint32_t groups[SESSIONSPEC_MAX_GROUPS];
	size_t ng = u->n_groups > SESSIONSPEC_MAX_GROUPS ? SESSIONSPEC_MAX_GROUPS : u->n_groups;
	for (size_t i = 0; i < ng; i++)
		groups[i] = (uint32_t)u->gids[i];
	r |= sessionspec_set_groups(sp, groups, ng);
	r |= sessionspec_set(&sp->home, u->home && u->home[0] ? u->home : "/");
	r |= sessionspec_set(&sp->shell, u->shell && u->shell[0] ? u->shell : "/bin/sh");
	sp->kind = pl->kind;
	r |= sessionspec_set(&sp->command, pl->command);
	r |= sessionspec_set(&sp->subsystem, pl->subsys_name);
	r |= sessionspec_set(&sp->client_addr, ci->client_addr);
	sp->client_port = (uint32_t)ci->client_port;
	r |= sessionspec_set(&sp->server_addr, ci->local_addr);
	sp->server_port = (uint32_t)ci->local_port;
	return r;
}

/* authorized_keys environment= (already filtered by PermitUserEnvironment) */
static void add_key_environment(struct session_spec *sp, const struct authkeys_opts *ko)
{
	for (size_t i = 0; ko && i < ko->env.n; i++) {
		const char *kv = ko->env.v[i];
		const char *eq = strchr(kv, '=');
		char name[ENV_NAME_MAX];
		if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(name))
			continue;
		memcpy(name, kv, (size_t)(eq - kv));
		name[eq - kv] = 0;
		if (sessionspec_add_env(sp, name, eq + 1) != 0)
			log_debug("session: key environment %s dropped", name);
	}
}

/* What the exec child does around the command: PAM, login records,
 * audit, SELinux, chroot, motd, scp, agent socket. *oom is set when out of
 * memory; returns < 0 for a ChrootDirectory with bad tokens (logged). */
static int spec_set_login_steps(struct session_spec *sp, const struct sshd_config *cfg,
				const struct user_info *u, int root, int *oom)
{
	int r = 0;
	sp->use_pam = CONFIG_PAM && cfg->use_pam && root;
	r |= sessionspec_set(&sp->pam_service, cfg->pam_service_name ? cfg->pam_service_name : "sshbox");
	sp->utmp = root && sp->pty;
	r |= sessionspec_set(&sp->utmp_path, UTMP_DEFAULT_PATH);
	r |= sessionspec_set(&sp->wtmp_path, WTMP_DEFAULT_PATH);
	sp->audit = root;
	sp->selinux = 1;
	if (cfg->chroot_directory && strcmp(cfg->chroot_directory, "none") != 0) {
		char *dir = sshd_expand_tokens(cfg->chroot_directory, u->name, u->home, u->uid);
		if (!dir) {
			log_error("session: ChrootDirectory %s: bad tokens", cfg->chroot_directory);
			return -1;
		}
		r |= sessionspec_set(&sp->chroot_dir, dir);
		free(dir);
	}
	sp->print_motd = cfg->print_motd;
	if (cfg->internal_scp == INTERNAL_SCP_YES)
		sp->flags |= SPEC_FLAG_SCP_INTERNAL;
	else if (cfg->internal_scp == INTERNAL_SCP_NO)
		sp->flags |= SPEC_FLAG_SCP_EXTERNAL;
	sp->flags |= SPEC_FLAG_HUSHLOGIN_CHECK;
	const char *agent = agentfwd_path();
	if (agent && !sp->auth_sock)
		r |= sessionspec_set(&sp->auth_sock, agent);
	*oom |= r;
	return 0;
}

/* The started child's descriptors go to the channel (a pty: one copy of
 * the master); its exit is watched. A failure here kills the child, whose
 * exit then closes the channel. */
static void attach_child(struct sess *s, const struct session_proc *p)
{
	s->started = 1;
	metrics_inc(M_SESSIONS_TOTAL);
	metrics_conn_sessions(+1);
	s->pid = p->pid;
	s->ctl = p->ctl;
	close_fd(&s->ptys); /* the child has it */
	struct channel *ch = s->ch;
	int in = p->fd_in, out = p->fd_out, err = p->fd_err;
	if (s->spec.pty) {
		/* the channel owns one copy of the master; we keep ptym for
		 * window-change and break */
		in = out = fcntl(s->ptym, F_DUPFD_CLOEXEC, 3);
		if (in < 0) {
			log_error("session: dup: %s", strerror(errno));
			kill(p->pid, SIGKILL);
		}
	}
	ch->hold_close = 1;
	channel_set_fds(ch, in, out, err);
	if (loop_watch_child(conn_loop(s->conn), p->pid, on_child, s) != 0) {
		log_error("session: too many children to watch");
		kill(p->pid, SIGKILL);
	}
}

static void log_session_start(const struct sess *s, const struct start_plan *pl)
{
	const struct conn_info *ci = conn_info(s->conn);
	const char *user = ci->user->name;
	const char *tty = s->spec.pty ? s->tty + 5 : "notty"; /* without "/dev/" */
	uint32_t id = s->ch->id;
	if (pl->kind == SPEC_KIND_SHELL)
		log_info("Starting session: shell on %s for %s from %s port %d id %u", tty, user,
			 ci->client_addr, ci->client_port, id);
	else if (pl->subsys_name)
		log_info("Starting session: subsystem '%s' for %s from %s port %d id %u", pl->subsys_name,
			 user, ci->client_addr, ci->client_port, id);
	else
		log_info("Starting session: %scommand on %s for %s from %s port %d id %u",
			 pl->forced ? "forced-" : "", tty, user, ci->client_addr, ci->client_port, id);
}

/* what: "shell", "exec", "subsystem"; arg: command or subsystem name.
 * Builds the session spec and starts the exec child. Returns 1 when
 * started, 0 when refused or failed (logged). */
static int start(struct sess *s, const char *what, const char *arg)
{
	const struct conn_info *ci = conn_info(s->conn);
	const struct user_info *u = ci->user;
	struct session_spec *sp = &s->spec;
	if (s->started)
		return 0;
	int root = geteuid() == 0;
	if (!root && u->uid != geteuid()) {
		log_error("session: not root: cannot start a session for %s", u->name);
		return 0;
	}
	struct start_plan pl;
	if (plan_request(ci, what, arg, &pl) < 0 || apply_forced_command(ci, sp, &pl) < 0)
		return 0;
	int oom = spec_set_identity(sp, ci, &pl);
	add_key_environment(sp, ci->key_opts);
	if (spec_set_login_steps(sp, ci->cfg, u, root, &oom) < 0)
		return 0;
	if (oom) {
		log_error("session: out of memory building the session spec");
		return 0;
	}
	struct session_proc p;
	if (session_spawn(sp, s->ptym, s->ptys, &p) != 0)
		return 0;
	attach_child(s, &p);
	log_session_start(s, &pl);
	return 1;
}

static int sess_request(void *owner, struct channel *ch, const char *type, int want_reply, struct buf *data)
{
	(void)want_reply;
	struct sess *s = ch->ctx;
	if (!s)
		return 0;
	if (strcmp(type, "env") == 0)
		return req_env(s, data);
	if (strcmp(type, "pty-req") == 0)
		return req_pty(s, data);
	if (strcmp(type, "shell") == 0)
		return start(s, "shell", NULL);
	if (strcmp(type, "exec") == 0 || strcmp(type, "subsystem") == 0) {
		char *arg = NULL;
		if (buf_get_cstring(data, &arg, strcmp(type, "exec") == 0 ? SESSIONSPEC_MAX_CMD : 256)) {
			log_info("session: %s request malformed, too long or with NUL bytes", type);
			return 0;
		}
		int r = start(s, type, arg);
		free(arg);
		return r;
	}
	if (strcmp(type, "window-change") == 0) {
		uint32_t cols, rows, xp, yp;
		if (buf_get_u32(data, &cols) || buf_get_u32(data, &rows) || buf_get_u32(data, &xp) ||
		    buf_get_u32(data, &yp) || s->ptym < 0)
			return 0;
		return pty_set_winsize(s->ptym, cols, rows, xp, yp) == 0;
	}
	if (strcmp(type, "signal") == 0) {
		char name[32];
		if (buf_get_cstring_into(data, name, sizeof(name)) || !s->started || s->exited)
			return 0;
		int sig = session_signal_number(name);
		if (!sig) {
			log_debug("session: unknown signal %s", name);
			return 0;
		}
		log_debug("session %u: signal %s", ch->id, name);
		return session_signal(s->ctl, sig) == 0;
	}
	if (strcmp(type, "break") == 0) {
		uint32_t ms;
		if (buf_get_u32(data, &ms) || s->ptym < 0)
			return 0;
		return tcsendbreak(s->ptym, 0) == 0;
	}
	if (strcmp(type, "auth-agent-req@openssh.com") == 0) {
		char path[256];
		if (s->started || agentfwd_request(s->conn, path, sizeof(path)) != 0)
			return 0;
		return sessionspec_set(&s->spec.auth_sock, path) == 0;
	}
	log_debug("session: request %s not supported", type);
	return 0;
}

static const struct channel_ops sess_ops = {
	.request = sess_request,
	.free = sess_free,
};

int session_open(void *owner, struct channel *ch, struct buf *data, uint32_t *reason, char *desc,
		 size_t desclen)
{
	(void)data;
	const struct conn_info *ci = conn_info(owner);
	if (ci->no_more_sessions) {
		*reason = SSH_OPEN_ADMINISTRATIVELY_PROHIBITED;
		snprintf(desc, desclen, "no more sessions");
		return -1;
	}
	int max = ci->cfg && ci->cfg->max_sessions > 0 ? ci->cfg->max_sessions : 10;
	if (channel_count_type(channel_table_of(ch), "session") > max) {
		*reason = SSH_OPEN_ADMINISTRATIVELY_PROHIBITED;
		snprintf(desc, desclen, "too many sessions (MaxSessions %d)", max);
		return -1;
	}
	struct sess *s = sess_alloc();
	if (!s) {
		*reason = SSH_OPEN_RESOURCE_SHORTAGE;
		snprintf(desc, desclen, "too many sessions");
		return -1;
	}
	s->conn = owner;
	s->ch = ch;
	ch->ctx = s;
	ch->ops = &sess_ops;
	return 0;
}
