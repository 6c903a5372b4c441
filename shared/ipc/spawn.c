/* spawn: starting child applets from the one executable copy of the
 * helper (fork + execveat), waiting for them. The copy is made by
 * helper_image.c, the --spawn-selftest applet is spawn_selftest.c. See
 * spawn.h. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spawn_internal.h"
#include "util.h"

const char *const spawn_method_names[] = {"none", "memfd", "tmpfile", "mkstemp", "procself"};

struct spawn_state spawn_state = {NULL, 0, -1, M_NONE, 0, -1};

uint64_t spawn_n_fallbacks;
static uint64_t n_spawned, n_failed;

static char *const empty_env[] = {NULL};

void spawn_set_embedded_image(const void *image, size_t len)
{
	spawn_state.embedded = image;
	spawn_state.embedded_len = len;
}

const char *spawn_method_name(void)
{
	return spawn_method_names[spawn_state.method];
}
int spawn_exec_fd(void)
{
	return spawn_state.fd;
}
int spawn_seals(void)
{
	return spawn_state.method == M_MEMFD ? spawn_state.seals : 0;
}

void spawn_get_stats(struct spawn_stats *out)
{
	out->spawned = __atomic_load_n(&n_spawned, __ATOMIC_RELAXED);
	out->failed = __atomic_load_n(&n_failed, __ATOMIC_RELAXED);
	out->init_fallbacks = __atomic_load_n(&spawn_n_fallbacks, __ATOMIC_RELAXED);
}

void spawn_reset(void)
{
	if (spawn_state.fd >= 0)
		close(spawn_state.fd);
	spawn_state.fd = -1;
	spawn_state.method = M_NONE;
	spawn_state.seals = 0;
}

/* ---- the child side of a spawn (async-signal-safe only) ---- */

static void child_die(void)
{
	_exit(127);
}

static int close_from(int lowfd, int keep)
{
	/* Marks every fd >= lowfd close-on-exec (keep is already): cheaper
	 * than closing them, and the exec that follows drops them. */
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	/* Kernels < 5.11: close them, around keep (async-signal-safe). */
	return close_fds_except(lowfd, keep);
}

void spawn_fd_path(char out[32], int fd)
{
	static const char pre[] = "/proc/self/fd/";
	char num[12];
	int n = 0;
	memcpy(out, pre, sizeof(pre) - 1);
	do {
		num[n++] = (char)('0' + fd % 10);
		fd /= 10;
	} while (fd > 0 && n < 11);
	size_t o = sizeof(pre) - 1;
	while (n > 0)
		out[o++] = num[--n];
	out[o] = '\0';
}

static void arm_pdeathsig(int sig, pid_t parent)
{
	if (sig > 0) {
		if (prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0, 0, 0) != 0)
			child_die();
		if (getppid() != parent) /* the parent died before we armed it */
			_exit(255);
	}
}

/* A copy of the daemon's empty descriptor at an fd >= base, close-on-exec. */
static int open_devnull(int base)
{
	int d = fcntl(spawn_state.empty_fd, F_DUPFD_CLOEXEC, base);
	if (d < 0)
		child_die();
	return d;
}

static void child_run(int exfd, char *const argv[], char *const envp[], const struct spawn_opts *o,
		      pid_t parent)
{
	int pdeath = (o && o->pdeathsig) ? o->pdeathsig : SIGKILL;
	if (pdeath < 0)
		pdeath = 0;

	/* Default dispositions (ignored ones survive exec otherwise). */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < 65; s++)
		if (s != SIGKILL && s != SIGSTOP)
			(void)sigaction(s, &sa, NULL);

	arm_pdeathsig(pdeath, parent);
	if (o && o->new_session && setsid() < 0)
		child_die();

	/* fd layout. base: above every child fd, so temporaries never collide. */
	int base = 3;
	size_t nfds = o ? o->nfds : 0;
	for (size_t i = 0; i < nfds; i++)
		if (o->fds[i].child_fd + 1 > base)
			base = o->fds[i].child_fd + 1;
	int tmp[SPAWN_MAX_FDS];
	int devnull = -1;
	for (size_t i = 0; i < nfds; i++) {
		int src = o->fds[i].parent_fd;
		if (src < 0) {
			if (devnull < 0)
				devnull = open_devnull(base);
			tmp[i] = devnull;
		} else {
			tmp[i] = fcntl(src, F_DUPFD_CLOEXEC, base);
			if (tmp[i] < 0)
				child_die();
		}
	}
	int ex = fcntl(exfd, F_DUPFD_CLOEXEC, base);
	if (ex < 0)
		child_die();
	int have[3] = {0, 0, 0};
	for (size_t i = 0; i < nfds; i++) {
		if (dup2(tmp[i], o->fds[i].child_fd) < 0)
			child_die();
		if (o->fds[i].child_fd < 3)
			have[o->fds[i].child_fd] = 1;
	}
	for (int k = 0; k < 3; k++) {
		if (have[k])
			continue;
		if (devnull < 0)
			devnull = open_devnull(base);
		if (dup2(devnull, k) < 0)
			child_die();
	}
	for (int fd = 3; fd < base; fd++) {
		int mapped = 0;
		for (size_t i = 0; i < nfds; i++)
			if (o->fds[i].child_fd == fd)
				mapped = 1;
		if (!mapped)
			close(fd);
	}
	if (close_from(base, ex) != 0)
		child_die();

	if (o && o->child_setup) {
		if (o->child_setup(o->child_arg) != 0)
			_exit(255);
		arm_pdeathsig(pdeath, parent); /* credential changes clear it */
	}

	sigset_t none;
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	syscall(SYS_execveat, ex, "", argv, envp, AT_EMPTY_PATH);
	if (errno == ENOSYS) {
		char path[32];
		spawn_fd_path(path, ex);
		execve(path, argv, envp);
	}
	child_die();
}

static int valid_opts(const struct spawn_opts *o)
{
	if (!o)
		return 1;
	if (o->nfds > SPAWN_MAX_FDS || (o->nfds && !o->fds))
		return 0;
	for (size_t i = 0; i < o->nfds; i++) {
		if (o->fds[i].child_fd < 0 || o->fds[i].child_fd > SPAWN_MAX_CHILD_FD)
			return 0;
		for (size_t j = 0; j < i; j++)
			if (o->fds[j].child_fd == o->fds[i].child_fd)
				return 0;
	}
	return o->pdeathsig >= -1 && o->pdeathsig < 65;
}

pid_t spawn_from_fd(int exfd, char *const argv[], const struct spawn_opts *o)
{
	if (exfd < 0 || spawn_state.empty_fd < 0 || !valid_opts(o)) {
		errno = EINVAL;
		return -1;
	}
	char *const *envp = (o && o->envp) ? o->envp : empty_env;
	pid_t parent = getpid();
	/* vfork: the child borrows our memory until it execs, so the kernel
	 * neither copies our page tables nor tears the copy down at exec (about
	 * a fifth of the server CPU of a login went there). child_run only
	 * makes syscalls and exits via exec or _exit. No handler of ours may
	 * run in the child on our memory: every signal stays blocked until it
	 * has reset all dispositions (it unblocks just before exec). */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = vfork();
	if (pid == 0)
		child_run(exfd, argv, envp, o, parent);
	int e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return pid;
}

pid_t spawn_applet(const char *applet, char *const args[], const struct spawn_opts *opts)
{
	size_t n = 0;
	if (!applet || !*applet || spawn_state.fd < 0)
		goto bad;
	while (args && args[n]) {
		if (++n > SPAWN_MAX_ARGS)
			goto bad;
	}
	char **argv = calloc(n + 2, sizeof(*argv));
	if (!argv) {
		__atomic_add_fetch(&n_failed, 1, __ATOMIC_RELAXED);
		return -1;
	}
	argv[0] = (char *)applet;
	for (size_t i = 0; i < n; i++)
		argv[i + 1] = args[i];
	pid_t pid = spawn_from_fd(spawn_state.fd, argv, opts);
	int e = errno;
	free(argv);
	if (pid < 0) {
		__atomic_add_fetch(&n_failed, 1, __ATOMIC_RELAXED);
		errno = e;
		return -1;
	}
	__atomic_add_fetch(&n_spawned, 1, __ATOMIC_RELAXED);
	return pid;
bad:
	__atomic_add_fetch(&n_failed, 1, __ATOMIC_RELAXED);
	errno = EINVAL;
	return -1;
}

static int decode_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

int spawn_wait_pid(pid_t pid, int timeout_ms)
{
	int st;
	if (timeout_ms < 0) {
		for (;;) {
			pid_t r = waitpid(pid, &st, 0);
			if (r == pid)
				return decode_status(st);
			if (r < 0 && errno != EINTR)
				return -1;
		}
	}
	uint64_t deadline = monotonic_ms() + (uint64_t)timeout_ms;
	long sleep_ns = 20000;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return decode_status(st);
		if (r < 0 && errno != EINTR)
			return -1;
		if (monotonic_ms() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			return -2;
		}
		struct timespec ts = {0, sleep_ns};
		nanosleep(&ts, NULL);
		if (sleep_ns < 10000000)
			sleep_ns *= 2;
	}
}

int spawn_wait(pid_t pid, int timeout_ms)
{
	int r = spawn_wait_pid(pid, timeout_ms);
	if (r == 127 || r == -2)
		__atomic_add_fetch(&n_failed, 1, __ATOMIC_RELAXED);
	return r;
}

int spawn_run(const char *applet, char *const args[], const struct spawn_opts *opts, int timeout_ms)
{
	pid_t pid = spawn_applet(applet, args, opts);
	if (pid < 0)
		return -1;
	return spawn_wait(pid, timeout_ms);
}
