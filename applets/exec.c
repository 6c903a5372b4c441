/* exec: the session process, started by the connection process (shared/
 * session.c) through spawn_applet from the sealed helper. One per session.
 *
 * fds on entry:
 *   0, 1   the session's stdin/stdout (pipes, or the pty slave)
 *   2      the daemon's log (our log_* output; never the user's)
 *   3      the session spec (shared/sessionspec.h), read once and closed
 *   4      control pipe from the connection process: each byte is a signal
 *          number to deliver to the shell's process group; EOF means the
 *          connection is gone: the shell's group gets SIGHUP (then SIGKILL)
 *   5      the session's stderr (pipe, or the pty slave)
 *
 * Order (as root): audit USER_LOGIN -> PAM acct_mgmt/setcred/open_session
 * -> loginuid -> fork the shell (vfork when the child only makes system
 * calls before execve: see shell_may_vfork); in the shell child: setsid (+ TIOCSCTTY),
 * SELinux exec context, chroot, privilege drop (shared/privdrop.h), chdir
 * home (fallback "/" with a message), environment, motd, exec. This process
 * stays root as the shell's parent: it writes the utmp/wtmp login record
 * for pty sessions, waits, writes the logout record, closes the PAM session,
 * logs audit USER_END, and exits with the shell's status or dies by the
 * same signal, so the connection process can send exit-status/exit-signal.
 *
 * Usage: exec [--log-level LEVEL]   (everything else comes from fd 3)
 * Exit codes of its own: 254 bad spec / setup failure, 255 privilege drop
 * failed, 127 shell not executable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "applets.h"
#include "config.h"
#include "log.h"
#include "pamconv.h"
#include "privdrop.h"
#include "scp.h"
#include "sessionspec.h"
#include "util.h"
#include "utmp.h"
#include "util.h"

#if CONFIG_AUDIT
#include <libaudit.h>
#endif
#if CONFIG_PAM
#include <security/pam_appl.h>
#endif
#if CONFIG_SELINUX
#include <selinux/get_context_list.h>
#include <selinux/selinux.h>
#endif

#define FD_SPEC 3
#define FD_CTL 4
#define FD_UERR 5

#define EXIT_SETUP 254
#define EXIT_PRIV 255
#define EXIT_NOSHELL 127

static struct session_spec spec;
static int is_root;

/* Message to the user's stderr (fd 5 before the fork; fd 2 in the child). */
static void user_msg(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void user_msg(int fd, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 3)
		n = (int)sizeof(line) - 3;
	line[n++] = '\n';
	ssize_t w = write(fd, line, (size_t)n);
	(void)w;
}

/* ---------------- audit ---------------- */

static int audit_fd = -1;

static void audit_event(int type, const char *op, int ok)
{
#if CONFIG_AUDIT
	if (audit_fd < 0)
		return;
	const char *tty = spec.tty ? spec.tty : "ssh";
	if (audit_log_acct_message(audit_fd, type, NULL, op, spec.user, spec.uid, NULL, spec.client_addr, tty,
				   ok) <= 0)
		log_debug("exec: audit %s: %s", op, strerror(errno));
#else
	(void)type;
	(void)op;
	(void)ok;
#endif
}

static void audit_start(void)
{
#if CONFIG_AUDIT
	if (!spec.audit || !is_root) {
		log_debug("exec: audit: %s", is_root ? "disabled in spec" : "not root, skipped");
		return;
	}
	int fd = audit_open();
	if (fd < 0) {
		log_debug("exec: audit: audit_open: %s (no audit support), skipped", strerror(errno));
		return;
	}
	if (audit_is_enabled(fd) <= 0) {
		log_debug("exec: audit: kernel audit not enabled, skipped");
		audit_close(fd);
		return;
	}
	audit_fd = fd;
	audit_event(AUDIT_USER_LOGIN, "login", 1);
#else
	log_debug("exec: audit: not built (CONFIG_AUDIT off)");
#endif
}

static void audit_end(void)
{
#if CONFIG_AUDIT
	if (audit_fd < 0)
		return;
	audit_event(AUDIT_USER_END, "session_close", 1);
	audit_close(audit_fd);
	audit_fd = -1;
#endif
}

/* ---------------- PAM ---------------- */

#if CONFIG_PAM
static pam_handle_t *pamh;
static int pam_session_open, pam_cred_set;
static char **pam_env;

/* PAM's informational text goes to the user; a session asks no questions. */
static void pam_show_info(void *ctx, int style, const char *msg)
{
	(void)ctx;
	(void)style;
	user_msg(FD_UERR, "%s", msg);
}

static const struct pamconv_ops pam_session_ops = {.info = pam_show_info};
static const struct pam_conv pam_conversation = {pamconv_fn, (void *)(uintptr_t)&pam_session_ops};

static int pam_begin(void)
{
	if (!spec.use_pam) {
		log_debug("exec: PAM not used for this session (UsePAM no or not root)");
		return 0;
	}
	if (!is_root) {
		log_debug("exec: not root: PAM session skipped");
		return 0;
	}
	const char *svc = spec.pam_service ? spec.pam_service : "sshbox";
	int r = pamconv_start(svc, spec.user, &pam_conversation, &pamh);
	if (r != PAM_SUCCESS) {
		log_error("exec: pam_start(%s): %s", svc, pam_strerror(NULL, r));
		pamh = NULL;
		return -1;
	}
	pam_set_item(pamh, PAM_RHOST, spec.client_addr);
	pam_set_item(pamh, PAM_TTY, spec.tty ? spec.tty : "ssh");
	pam_set_item(pamh, PAM_RUSER, spec.user);
	r = pam_acct_mgmt(pamh, 0);
	if (r != PAM_SUCCESS) {
		log_error("exec: pam_acct_mgmt for %s: %s", spec.user, pam_strerror(pamh, r));
		user_msg(FD_UERR, "Access denied: %s", pam_strerror(pamh, r));
		return -1;
	}
	r = pam_setcred(pamh, PAM_ESTABLISH_CRED);
	if (r != PAM_SUCCESS) {
		log_error("exec: pam_setcred: %s", pam_strerror(pamh, r));
		return -1;
	}
	pam_cred_set = 1;
	r = pam_open_session(pamh, 0);
	if (r != PAM_SUCCESS) {
		log_error("exec: pam_open_session: %s", pam_strerror(pamh, r));
		return -1;
	}
	pam_session_open = 1;
	pam_env = pam_getenvlist(pamh);
	log_debug("exec: PAM session opened (service %s)", svc);
	return 0;
}

static void pam_finish(void)
{
	if (!pamh)
		return;
	if (pam_session_open) {
		int r = pam_close_session(pamh, 0);
		if (r != PAM_SUCCESS)
			log_warn("exec: pam_close_session: %s", pam_strerror(pamh, r));
		else
			log_debug("exec: PAM session closed");
	}
	if (pam_cred_set)
		pam_setcred(pamh, PAM_DELETE_CRED);
	pam_end(pamh, PAM_SUCCESS);
	pamh = NULL;
}
#else
static int pam_begin(void)
{
	if (spec.use_pam)
		log_debug("exec: PAM requested but not built (static flavour): skipped");
	return 0;
}
static void pam_finish(void) {}
#endif

/* ---------------- SELinux ---------------- */

static int selinux_setup(void)
{
#if CONFIG_SELINUX
	if (!spec.selinux || is_selinux_enabled() <= 0) {
		log_debug("exec: SELinux %s: no exec context", spec.selinux ? "not enabled" : "off for this session");
		return 0;
	}
	char *seuser = NULL, *level = NULL, *ctx = NULL;
	int enforcing = security_getenforce() == 1;
	if (getseuserbyname(spec.user, &seuser, &level) != 0 ||
	    get_default_context_with_level(seuser, level, NULL, &ctx) != 0) {
		log_warn("exec: SELinux: no default context for %s", spec.user);
		free(seuser);
		free(level);
		return enforcing ? -1 : 0;
	}
	int r = setexeccon(ctx);
	if (r != 0)
		log_warn("exec: SELinux: setexeccon(%s): %s", ctx, strerror(errno));
	freecon(ctx);
	free(seuser);
	free(level);
	return r != 0 && enforcing ? -1 : 0;
#else
	log_debug("exec: SELinux not built: no exec context");
	return 0;
#endif
}

/* ---------------- loginuid ---------------- */

static void set_loginuid(void)
{
	if (!is_root)
		return;
	int fd = open("/proc/self/loginuid", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		log_debug("exec: loginuid: %s", strerror(errno));
		return;
	}
	char b[16];
	int n = snprintf(b, sizeof(b), "%u", spec.uid);
	if (write(fd, b, (size_t)n) != n)
		log_debug("exec: loginuid: write: %s", strerror(errno));
	close(fd);
}

/* ---------------- the shell child ---------------- */

#define MAX_ENV (SESSIONSPEC_MAX_ENV + 64)
static char *envv[MAX_ENV + 1];
static size_t envn;

static void env_set(const char *name, const char *value)
{
	if (!value)
		return;
	size_t nl = strlen(name);
	size_t need = nl + strlen(value) + 2;
	char *kv = malloc(need);
	if (!kv)
		return;
	snprintf(kv, need, "%s=%s", name, value);
	for (size_t i = 0; i < envn; i++) {
		if (strncmp(envv[i], name, nl) == 0 && envv[i][nl] == '=') {
			envv[i] = kv;
			return;
		}
	}
	if (envn < MAX_ENV)
		envv[envn++] = kv;
}

static void env_put(const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return;
	char name[256];
	size_t nl = (size_t)(eq - kv);
	if (nl >= sizeof(name))
		return;
	memcpy(name, kv, nl);
	name[nl] = 0;
	env_set(name, eq + 1);
}

static void build_env(void)
{
	char tmp[512];
	env_set("USER", spec.user);
	env_set("LOGNAME", spec.user);
	env_set("HOME", spec.home);
	env_set("PATH", spec.uid == 0 ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
				      : "/usr/local/bin:/usr/bin:/bin:/usr/games");
	snprintf(tmp, sizeof(tmp), "/var/mail/%s", spec.user);
	env_set("MAIL", tmp);
	env_set("SHELL", spec.shell);
	if (spec.pty)
		env_set("TERM", spec.term && spec.term[0] ? spec.term : "dumb");
	for (size_t i = 0; i < spec.nenv; i++)
		env_put(spec.env[i]);
	snprintf(tmp, sizeof(tmp), "%s %u %u", spec.client_addr, spec.client_port, spec.server_port);
	env_set("SSH_CLIENT", tmp);
	snprintf(tmp, sizeof(tmp), "%s %u %s %u", spec.client_addr, spec.client_port, spec.server_addr,
		 spec.server_port);
	env_set("SSH_CONNECTION", tmp);
	if (spec.pty && spec.tty)
		env_set("SSH_TTY", spec.tty);
	if (spec.original_command)
		env_set("SSH_ORIGINAL_COMMAND", spec.original_command);
	if (spec.auth_sock)
		env_set("SSH_AUTH_SOCK", spec.auth_sock);
#if CONFIG_PAM
	for (size_t i = 0; pam_env && pam_env[i]; i++)
		env_put(pam_env[i]);
#endif
	envv[envn] = NULL;
}

static void print_motd(void)
{
	if (!spec.print_motd || !spec.pty || spec.kind != SPEC_KIND_SHELL)
		return;
	char hush[PATH_MAX];
	if (snprintf(hush, sizeof(hush), "%s/.hushlogin", spec.home) < (int)sizeof(hush) && access(hush, F_OK) == 0)
		return;
	int fd = open(spec.motd_path ? spec.motd_path : "/etc/motd", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char b[4096];
	size_t total = 0;
	ssize_t n;
	while (total < (1u << 20) && (n = read(fd, b, sizeof(b))) > 0) {
		total += (size_t)n;
		/* LF -> CRLF is the pty's job (ONLCR) */
		if (write(1, b, (size_t)n) != n)
			break;
	}
	close(fd);
}

/* OpenSSH safely_chroot(): an absolute path whose every component is a
 * directory owned by root and not writable by group or others. */
static int chroot_path_ok(const char *path, char *why, size_t whylen)
{
	if (path[0] != '/' || strlen(path) >= PATH_MAX) {
		snprintf(why, whylen, "chroot path %s must be absolute", path);
		return 0;
	}
	char comp[PATH_MAX];
	size_t len = strlen(path);
	for (size_t i = 0; i <= len; i++) {
		/* "/" first, then every prefix ending before a '/' and the whole path */
		if (i > 0 && path[i] != '/' && path[i] != 0)
			continue;
		size_t n = i == 0 ? 1 : i;
		memcpy(comp, path, n);
		comp[n] = 0;
		struct stat st;
		if (lstat(comp, &st) != 0) {
			snprintf(why, whylen, "stat(\"%s\"): %s", comp, strerror(errno));
			return 0;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(why, whylen, "chroot path %s: %s is not a directory", path, comp);
			return 0;
		}
		if (st.st_uid != 0 || (st.st_mode & 022) != 0) {
			snprintf(why, whylen, "bad ownership or modes for chroot directory component \"%s\"", comp);
			return 0;
		}
	}
	return 1;
}

static const char *base_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int run_internal_sftp(void)
{
	char *argv[64];
	int argc = 0;
	argv[argc++] = "sftp";
	char *args = spec.command ? strdup(spec.command) : NULL;
	for (char *save = NULL, *t = args ? strtok_r(args, " \t", &save) : NULL; t && argc < 63;
	     t = strtok_r(NULL, " \t", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	prctl(PR_SET_NAME, "sshbox-sftp", 0, 0, 0);
	return applet_sftp_main(argc, argv);
}

/* An executable `scp` as the shell would find it: the command's own path
 * when it has a '/', else through PATH. */
static int scp_binary_present(const char *first_word)
{
	if (strchr(first_word, '/'))
		return access(first_word, X_OK) == 0;
	const char *path = getenv("PATH");
	char dir[PATH_MAX], file[PATH_MAX + 8];
	while (path && *path) {
		size_t n = strcspn(path, ":");
		if (n > 0 && n < sizeof(dir)) {
			memcpy(dir, path, n);
			dir[n] = '\0';
			snprintf(file, sizeof(file), "%s/scp", dir);
			if (access(file, X_OK) == 0)
				return 1;
		}
		path += n + (path[n] == ':');
	}
	return 0;
}

/* InternalScp: an `scp -t/-f` command is served by the built-in applet
 * (always with "yes", when no scp binary is found with "auto"). Returns
 * only when the command is left to the shell. Runs after chroot and the
 * privilege drop, so the applet sees what the user's shell would. */
static void maybe_internal_scp(void)
{
	if (spec.kind != SPEC_KIND_EXEC || !spec.command || (spec.flags & SPEC_FLAG_SCP_EXTERNAL))
		return;
	struct scp_cmd cmd;
	if (scp_parse_command(spec.command, &cmd) != 0)
		return;
	char first[PATH_MAX];
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(spec.command, " \t"), spec.command);
	if (!(spec.flags & SPEC_FLAG_SCP_INTERNAL) && scp_binary_present(first)) {
		scp_cmd_free(&cmd);
		return;
	}
	prctl(PR_SET_NAME, "sshbox-scp", 0, 0, 0);
	/* fd 2 is the user's stderr now: the protocol carries scp's errors */
	log_set_level(LOG_ERROR);
	int rc = scp_run(&cmd, 0, 1, spec.home);
	scp_cmd_free(&cmd);
	exit(rc);
}

/* Whether the shell child may be started with vfork: it then runs in
 * this process's memory until it execs, so it must do nothing but system
 * calls on its own stack (no malloc, no stdio, no exit()). The internal
 * sftp/scp applets run in the child itself, and libselinux allocates, so
 * those take a real fork. vfork saves the copy of our page tables and the
 * copy-on-write faults of both processes (about a tenth of a login's CPU
 * in this applet). */
static int shell_may_vfork(void)
{
	if (spec.kind == SPEC_KIND_INTERNAL_SFTP)
		return 0;
#if CONFIG_SELINUX
	if (spec.selinux && is_selinux_enabled() > 0)
		return 0;
#endif
	if (spec.kind == SPEC_KIND_EXEC && spec.command && !(spec.flags & SPEC_FLAG_SCP_EXTERNAL)) {
		struct scp_cmd cmd;
		if (scp_parse_command(spec.command, &cmd) == 0) {
			scp_cmd_free(&cmd);
			return 0; /* maybe the internal scp applet */
		}
	}
	return 1;
}

/* In the forked (or vforked: shared_memory) child. Never returns. The
 * environment (envv) is built by the parent before the fork. */
static void shell_child(int shared_memory)
{
	sigset_t none;
	sigemptyset(&none);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);

	if (setsid() < 0)
		log_debug("exec: setsid: %s", strerror(errno));
	if (spec.pty && ioctl(0, TIOCSCTTY, 0) != 0)
		log_warn("exec: TIOCSCTTY: %s", strerror(errno));
	int se = selinux_setup(); /* logs to the daemon's log (fd 2 still) */
	/* from here on, fd 2 is the user's stderr */
	if (dup2(FD_UERR, 2) < 0)
		_exit(EXIT_SETUP);
	close_fds_from(3);
	if (se != 0) {
		user_msg(2, "Unable to set SELinux context for %s", spec.user);
		_exit(EXIT_PRIV);
	}
	if (spec.chroot_dir && strcmp(spec.chroot_dir, "none") != 0) {
		char why[PATH_MAX + 128];
		if (!is_root) {
			user_msg(2, "sshbox: ChrootDirectory needs a root daemon");
			_exit(EXIT_PRIV);
		}
		if (!chroot_path_ok(spec.chroot_dir, why, sizeof(why))) {
			user_msg(2, "sshbox: %s", why);
			_exit(EXIT_PRIV);
		}
		if (chdir(spec.chroot_dir) != 0 || chroot(".") != 0 || chdir("/") != 0) {
			user_msg(2, "Could not chroot to %s: %s", spec.chroot_dir, strerror(errno));
			_exit(EXIT_PRIV);
		}
	}
	gid_t groups[SESSIONSPEC_MAX_GROUPS];
	for (size_t i = 0; i < spec.ngroups; i++)
		groups[i] = (gid_t)spec.groups[i];
	int pr = privdrop_raw((uid_t)spec.uid, (gid_t)spec.gid, groups, spec.ngroups);
	if (pr < 0) {
		int e = errno;
		user_msg(2, "sshbox: cannot change to user %s: %s: %s", spec.user, privdrop_strerror(pr), strerror(e));
		_exit(EXIT_PRIV);
	}
	/* checkhomedir semantics: as the user, after the drop */
	const char *home = spec.home;
	if (chdir(home) != 0) {
		user_msg(2, "Could not chdir to home directory %s: %s", home, strerror(errno));
		if (chdir("/") != 0)
			_exit(EXIT_SETUP);
	}
	if (!shared_memory) {
		if (spec.kind == SPEC_KIND_INTERNAL_SFTP) {
			environ = envv;
			exit(run_internal_sftp());
		}
		environ = envv;
		maybe_internal_scp();
	}
	print_motd();
	char argv0[PATH_MAX + 2];
	const char *sh = spec.shell;
	char *argv[4];
	if (spec.kind == SPEC_KIND_SHELL && !spec.command) {
		snprintf(argv0, sizeof(argv0), "-%s", base_of(sh));
		argv[0] = argv0;
		argv[1] = NULL;
	} else {
		snprintf(argv0, sizeof(argv0), "%s", base_of(sh));
		argv[0] = argv0;
		argv[1] = "-c";
		argv[2] = spec.command;
		argv[3] = NULL;
	}
	execve(sh, argv, envv);
	int e = errno;
	user_msg(2, "sshbox: cannot execute shell %s: %s", sh, strerror(e));
	_exit(EXIT_NOSHELL);
}

/* ---------------- supervision ---------------- */

static pid_t child_pid = -1;

static void signal_group(int sig)
{
	if (child_pid <= 0)
		return;
	if (kill(-child_pid, sig) != 0 && errno == ESRCH)
		kill(child_pid, sig);
}

static int valid_forward_signal(int s)
{
	switch (s) {
	case SIGABRT: case SIGALRM: case SIGFPE: case SIGHUP: case SIGILL: case SIGINT: case SIGKILL:
	case SIGPIPE: case SIGQUIT: case SIGSEGV: case SIGTERM: case SIGUSR1: case SIGUSR2:
		return 1;
	default:
		return 0;
	}
}

/* Waits for the shell; returns its wait status. */
static int supervise(int sfd)
{
	int ctl_open = 1, terminating = 0;
	uint64_t kill_at = 0;
	for (;;) {
		struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = ctl_open ? FD_CTL : -1, .events = POLLIN}};
		int timeout = terminating ? 200 : -1;
		int r = poll(p, 2, timeout);
		if (r < 0 && errno != EINTR) {
			log_error("exec: poll: %s", strerror(errno));
			signal_group(SIGKILL);
		}
		if (r > 0 && p[0].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					continue;
				/* a signal to us (daemon shutdown, admin): pass it on */
				signal_group((int)si.ssi_signo);
			}
		}
		int st;
		pid_t w = waitpid(child_pid, &st, WNOHANG);
		if (w == child_pid)
			return st;
		if (w < 0 && errno == ECHILD)
			return 255 << 8;
		if (r > 0 && ctl_open && p[1].revents) {
			unsigned char b[64];
			ssize_t n = read(FD_CTL, b, sizeof(b));
			if (n > 0) {
				for (ssize_t i = 0; i < n; i++) {
					if (valid_forward_signal(b[i])) {
						log_debug("exec: delivering signal %d to the session", b[i]);
						signal_group(b[i]);
					}
				}
			} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
				log_debug("exec: connection gone: hanging up the session");
				ctl_open = 0;
				terminating = 1;
				signal_group(SIGHUP);
				signal_group(SIGCONT);
				struct timespec ts;
				clock_gettime(CLOCK_MONOTONIC, &ts);
				kill_at = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u + 2000u;
			}
		}
		if (terminating) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			uint64_t now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
			if (now >= kill_at) {
				signal_group(SIGKILL);
				kill_at = now + 1000u;
			}
		}
	}
}

static void null_fd(int fd)
{
	/* /dev/null, or a sealed memfd on a root filesystem without /dev: the
	 * session's fds must be dropped either way, or EOF never reaches the
	 * connection process. */
	int n = open_empty_fd(NULL);
	if (n < 0) {
		close(fd);
		return;
	}
	if (n != fd) {
		dup2(n, fd);
		close(n);
	}
}

int applet_exec_main(int argc, char **argv)
{
	prctl(PR_SET_NAME, "sshbox-exec", 0, 0, 0);
	log_init("exec", LOG_INFO, LOG_TO_STDERR);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
			int l = log_level_parse(argv[++i]);
			if (l >= 0)
				log_set_level((enum log_level)l);
		} else {
			fprintf(stderr, "usage: exec [--log-level LEVEL]  (session spec on fd 3; internal applet)\n");
			return EXIT_SETUP;
		}
	}
	if (fcntl(FD_SPEC, F_GETFD) < 0 || fcntl(FD_UERR, F_GETFD) < 0) {
		fprintf(stderr, "exec: internal applet: needs the session spec on fd 3 and fds 4, 5\n");
		return EXIT_SETUP;
	}
	if (sessionspec_read_fd(FD_SPEC, &spec) != 0) {
		log_error("exec: bad session spec: %s", strerror(errno));
		return EXIT_SETUP;
	}
	close(FD_SPEC);
	is_root = geteuid() == 0;
	log_debug("exec: session for %s (uid %u) kind %u%s", spec.user, spec.uid, spec.kind, spec.pty ? " pty" : "");

	/* Signals: handled synchronously through a signalfd. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		log_error("exec: signalfd: %s", strerror(errno));
		return EXIT_SETUP;
	}
	int fl = fcntl(FD_CTL, F_GETFL);
	if (fl >= 0)
		fcntl(FD_CTL, F_SETFL, fl | O_NONBLOCK);

	if (!is_root)
		log_debug("exec: not root (uid %ld): session of the daemon's own user; setgroups, utmp/wtmp, audit, "
			  "loginuid and PAM are skipped",
			  (long)geteuid());
	audit_start();
	if (pam_begin() != 0) {
		audit_event(
#if CONFIG_AUDIT
			AUDIT_USER_ERR,
#else
			0,
#endif
			"PAM:session_open", 0);
		pam_finish();
		return EXIT_PRIV;
	}
	set_loginuid();

	build_env();
	int use_vfork = shell_may_vfork();
	child_pid = use_vfork ? vfork() : fork();
	if (child_pid < 0) {
		log_error("exec: fork: %s", strerror(errno));
		user_msg(FD_UERR, "sshbox: fork failed: %s", strerror(errno));
		pam_finish();
		audit_end();
		return EXIT_SETUP;
	}
	if (child_pid == 0)
		shell_child(use_vfork);

	int do_utmp = spec.utmp && spec.pty && spec.tty && is_root;
	if (do_utmp && utmp_login(spec.utmp_path, spec.wtmp_path, child_pid, spec.tty, spec.user, spec.client_addr,
				  spec.client_addr) != 0)
		log_debug("exec: utmp login record not (fully) written");
	if (!do_utmp)
		log_debug("exec: no utmp record (%s)", !spec.pty ? "no pty" : !is_root ? "not root" : "disabled");

	/* Drop our copies of the session's fds: EOF/EIO must reach the
	 * connection process when the shell's side closes. */
	null_fd(0);
	null_fd(1);
	null_fd(FD_UERR);

	int st = supervise(sfd);
	if (WIFEXITED(st))
		log_debug("exec: shell %ld exited with %d", (long)child_pid, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		log_debug("exec: shell %ld killed by signal %d", (long)child_pid, WTERMSIG(st));
	/* the rest of the session's process group gets a hangup, as the
	 * kernel gives the foreground group when a controlling process dies */
	if (spec.pty)
		signal_group(SIGHUP);

	if (do_utmp)
		utmp_logout(spec.utmp_path, spec.wtmp_path, child_pid, spec.tty);
	pam_finish();
	audit_end();
	sessionspec_free(&spec);

	if (WIFSIGNALED(st)) {
		int sig = WTERMSIG(st);
		struct rlimit nocore = {0, 0};
		setrlimit(RLIMIT_CORE, &nocore);
		signal(sig, SIG_DFL);
		sigset_t one;
		sigemptyset(&one);
		sigaddset(&one, sig);
		sigprocmask(SIG_UNBLOCK, &one, NULL);
		raise(sig);
		return 128 + sig;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}
