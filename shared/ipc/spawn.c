/* spawn: the embedded helper copied once into a sealed memfd (with
 * fallbacks), self-tested, and the children started from it. See spawn.h. */
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

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "log.h"
#include "util.h"

/* Constants newer than some libc/kernel headers. */
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#endif
#ifndef F_GET_SEALS
#define F_GET_SEALS 1034
#endif
#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x0001
#endif
#ifndef F_SEAL_SHRINK
#define F_SEAL_SHRINK 0x0002
#endif
#ifndef F_SEAL_GROW
#define F_SEAL_GROW 0x0004
#endif
#ifndef F_SEAL_WRITE
#define F_SEAL_WRITE 0x0008
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

#define REQUIRED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#define SELFTEST_TIMEOUT_MS 5000

enum method { M_NONE = 0, M_MEMFD, M_TMPFILE, M_MKSTEMP, M_PROCSELF };
static const char *const method_names[] = {"none", "memfd", "tmpfile", "mkstemp", "procself"};

static struct {
	const void *embedded;
	size_t embedded_len;
	int fd;
	enum method method;
	int seals;
} S = {NULL, 0, -1, M_NONE, 0};

static uint64_t n_spawned, n_failed, n_fallbacks;

static char *const empty_env[] = {NULL};

void spawn_set_embedded_image(const void *image, size_t len)
{
	S.embedded = image;
	S.embedded_len = len;
}

const char *spawn_method_name(void) { return method_names[S.method]; }
int spawn_exec_fd(void) { return S.fd; }
int spawn_seals(void) { return S.method == M_MEMFD ? S.seals : 0; }

void spawn_get_stats(struct spawn_stats *out)
{
	out->spawned = __atomic_load_n(&n_spawned, __ATOMIC_RELAXED);
	out->failed = __atomic_load_n(&n_failed, __ATOMIC_RELAXED);
	out->init_fallbacks = __atomic_load_n(&n_fallbacks, __ATOMIC_RELAXED);
}

void spawn_reset(void)
{
	if (S.fd >= 0)
		close(S.fd);
	S.fd = -1;
	S.method = M_NONE;
	S.seals = 0;
}

/* ---- the child side of a spawn (async-signal-safe only) ---- */

static void child_die(void) { _exit(127); }

static int close_from(int lowfd, int keep)
{
	/* Marks every fd >= lowfd close-on-exec (keep is already). */
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	/* Kernels < 5.11: close them, around keep. */
	if (keep > lowfd && syscall(SYS_close_range, (unsigned)lowfd, (unsigned)keep - 1, 0U) != 0)
		goto slow;
	if (syscall(SYS_close_range, (unsigned)(keep >= lowfd ? keep + 1 : lowfd), ~0U, 0U) == 0)
		return 0;
slow:;
	/* Kernels < 5.9: walk /proc/self/fd with getdents64 (no malloc). */
	int d = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return -1;
	char buf[4096];
	for (;;) {
		long n = syscall(SYS_getdents64, d, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			unsigned short reclen;
			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			const char *name = buf + off + 19;
			int fd = 0, ok = name[0] != '\0';
			for (const char *p = name; *p; p++) {
				if (*p < '0' || *p > '9') {
					ok = 0;
					break;
				}
				fd = fd * 10 + (*p - '0');
			}
			if (ok && fd >= lowfd && fd != keep && fd != d)
				close(fd);
			off += reclen;
		}
	}
	close(d);
	return 0;
}

static void fd_path(char out[32], int fd)
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

/* /dev/null at an fd >= base, close-on-exec. */
static int open_devnull(int base)
{
	int t = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (t < 0)
		child_die();
	if (t >= base)
		return t;
	int d = fcntl(t, F_DUPFD_CLOEXEC, base);
	close(t);
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
		fd_path(path, ex);
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

static pid_t spawn_from_fd(int exfd, char *const argv[], const struct spawn_opts *o)
{
	if (exfd < 0 || !valid_opts(o)) {
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
	if (!applet || !*applet || S.fd < 0)
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
	pid_t pid = spawn_from_fd(S.fd, argv, opts);
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

static int wait_pid(pid_t pid, int timeout_ms)
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
	int r = wait_pid(pid, timeout_ms);
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

/* ---- building the executable copy ---- */

struct init_ctx {
	const void *image;
	size_t len;
	const char *procself_path;
	char *const *selftest_argv;
	char why[256]; /* reason of the last refusal */
};

static void refuse(struct init_ctx *c, const char *fmt, const char *a, int err)
{
	if (err)
		snprintf(c->why, sizeof(c->why), "%s%.160s: %s", fmt, a ? a : "", strerror(err));
	else
		snprintf(c->why, sizeof(c->why), "%s%.160s", fmt, a ? a : "");
}

/* Writes the image with write() (never a writable mapping: F_SEAL_WRITE
 * would fail with EBUSY), then checks size and content. */
static int fill(struct init_ctx *c, int fd)
{
	if (write_full(fd, c->image, c->len) != 0) {
		refuse(c, "write", NULL, errno ? errno : EIO);
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		refuse(c, "fstat", NULL, errno);
		return -1;
	}
	if ((size_t)st.st_size != c->len) {
		refuse(c, "size mismatch after copy", NULL, 0);
		return -1;
	}
	unsigned char chunk[8192];
	for (size_t off = 0; off < c->len;) {
		size_t want = c->len - off < sizeof(chunk) ? c->len - off : sizeof(chunk);
		ssize_t r = pread(fd, chunk, want, (off_t)off);
		if (r <= 0) {
			refuse(c, "read back", NULL, r < 0 ? errno : EIO);
			return -1;
		}
		if (memcmp(chunk, (const unsigned char *)c->image + off, (size_t)r) != 0) {
			refuse(c, "content mismatch after copy", NULL, 0);
			return -1;
		}
		off += (size_t)r;
	}
	if (fchmod(fd, 0555) != 0) {
		refuse(c, "fchmod 0555", NULL, errno);
		return -1;
	}
	return 0;
}

static int self_test(struct init_ctx *c, int fd)
{
	/* Keep a caller's SIGCHLD handler (waitpid(-1) loops) from reaping
	 * our self-test child while we wait for it. */
	sigset_t chld, old;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	int blocked = sigprocmask(SIG_BLOCK, &chld, &old) == 0;
	pid_t pid = spawn_from_fd(fd, c->selftest_argv, NULL);
	int e = errno;
	int r = pid < 0 ? -1 : wait_pid(pid, SELFTEST_TIMEOUT_MS);
	if (blocked)
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		refuse(c, "self-test fork", NULL, e);
		return -1;
	}
	if (r == 0)
		return 0;
	if (r == -2)
		snprintf(c->why, sizeof(c->why), "self-test `%s` timed out", c->selftest_argv[0]);
	else if (r == 127)
		snprintf(c->why, sizeof(c->why), "self-test `%s` could not be executed (exit 127)",
			 c->selftest_argv[0]);
	else
		snprintf(c->why, sizeof(c->why), "self-test `%s` exited with status %d", c->selftest_argv[0], r);
	return -1;
}

static int try_memfd(struct init_ctx *c, int *seals)
{
	int fd = (int)syscall(SYS_memfd_create, "sshbox-helper", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL) /* kernel < 6.3 has no MFD_EXEC */
		fd = (int)syscall(SYS_memfd_create, "sshbox-helper", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		int e = errno;
		refuse(c, "memfd_create", e == EACCES ? " (vm.memfd_noexec=2 or LSM policy?)" : NULL, e);
		return -1;
	}
	if (fill(c, fd) != 0)
		goto fail;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC) != 0 && errno != EINVAL) { /* EINVAL: kernel < 6.3 */
		refuse(c, "F_SEAL_EXEC", NULL, errno);
		goto fail;
	}
	if (fcntl(fd, F_ADD_SEALS, REQUIRED_SEALS) != 0) {
		refuse(c, "F_ADD_SEALS", NULL, errno);
		goto fail;
	}
	int got = fcntl(fd, F_GET_SEALS);
	if (got < 0 || (got & REQUIRED_SEALS) != REQUIRED_SEALS) {
		refuse(c, "F_GET_SEALS does not show the seals", NULL, got < 0 ? errno : 0);
		goto fail;
	}
	if (self_test(c, fd) != 0)
		goto fail;
	*seals = got;
	return fd;
fail:
	close(fd);
	return -1;
}

static char extra_dir[200];

void spawn_set_candidate_dir(const char *dir)
{
	if (dir && dir[0] == '/' && strlen(dir) < sizeof(extra_dir))
		memcpy(extra_dir, dir, strlen(dir) + 1);
	else
		extra_dir[0] = '\0';
}

static int candidate_dirs(const char *out[7])
{
	int n = 0;
	if (extra_dir[0])
		out[n++] = extra_dir;
	const char *t = getenv("TMPDIR");
	if (t && t[0] == '/' && strlen(t) < 200)
		out[n++] = t;
	out[n++] = "/dev/shm";
	out[n++] = "/tmp";
	out[n++] = "/var/tmp";
	out[n++] = "/run";
	return n;
}

/* fd is a writable file filled with the image: make it a read-only fd
 * (so no writer exists at exec: ETXTBSY) and check it can be executed. */
static int finish_file(struct init_ctx *c, int wfd, const char *dir)
{
	char path[32];
	fd_path(path, wfd);
	int ro = open(path, O_RDONLY | O_CLOEXEC);
	int e = errno;
	close(wfd);
	if (ro < 0) {
		refuse(c, "reopen read-only", NULL, e);
		return -1;
	}
	if (syscall(SYS_faccessat2, ro, "", X_OK, AT_EMPTY_PATH) != 0 && errno != ENOSYS) {
		refuse(c, "not executable there (noexec mount?): ", dir, errno);
		close(ro);
		return -1;
	}
	if (self_test(c, ro) != 0) {
		close(ro);
		return -1;
	}
	return ro;
}

static int dir_noexec(struct init_ctx *c, const char *dir)
{
	struct statvfs sv;
	if (statvfs(dir, &sv) != 0) {
		refuse(c, "statvfs ", dir, errno);
		return 1;
	}
	if (sv.f_flag & ST_NOEXEC) {
		refuse(c, "mounted noexec: ", dir, 0);
		return 1;
	}
	return 0;
}

static int try_tmpfile_in(struct init_ctx *c, const char *dir)
{
	if (dir_noexec(c, dir))
		return -1;
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0700);
	if (fd < 0) {
		refuse(c, "O_TMPFILE in ", dir, errno);
		return -1;
	}
	if (fill(c, fd) != 0) {
		close(fd);
		return -1;
	}
	return finish_file(c, fd, dir);
}

static int try_mkstemp_in(struct init_ctx *c, const char *dir)
{
	if (dir_noexec(c, dir))
		return -1;
	char path[256];
	snprintf(path, sizeof(path), "%s/.sshbox-helper-XXXXXX", dir);
	int fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		refuse(c, "mkstemp in ", dir, errno);
		return -1;
	}
	if (unlink(path) != 0) {
		refuse(c, "unlink ", path, errno);
		close(fd);
		return -1;
	}
	if (fill(c, fd) != 0) {
		close(fd);
		return -1;
	}
	return finish_file(c, fd, dir);
}

static int try_files(struct init_ctx *c, enum method m)
{
	const char *dirs[7];
	int n = candidate_dirs(dirs);
	char reasons[512] = "";
	size_t rl = 0;
	for (int i = 0; i < n; i++) {
		int fd = m == M_TMPFILE ? try_tmpfile_in(c, dirs[i]) : try_mkstemp_in(c, dirs[i]);
		if (fd >= 0) {
			log_debug("helper: %s in %s works", method_names[m], dirs[i]);
			return fd;
		}
		log_debug("helper: %s in %s refused: %s", method_names[m], dirs[i], c->why);
		if (rl < sizeof(reasons))
			rl += (size_t)snprintf(reasons + rl, sizeof(reasons) - rl, "%s%s", rl ? "; " : "", c->why);
	}
	snprintf(c->why, sizeof(c->why), "%s", reasons[0] ? reasons : "no candidate directory");
	return -1;
}

static int try_procself(struct init_ctx *c)
{
	const char *p = c->procself_path ? c->procself_path : "/proc/self/exe";
	int fd = open(p, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		refuse(c, "open ", p, errno);
		return -1;
	}
	if (self_test(c, fd) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static enum method parse_method(const char *s)
{
	for (int m = M_MEMFD; m <= M_PROCSELF; m++)
		if (strcmp(s, method_names[m]) == 0)
			return (enum method)m;
	return M_NONE;
}

static int try_method(struct init_ctx *c, enum method m, int *seals)
{
	*seals = 0;
	if (m != M_PROCSELF && (!c->image || c->len == 0)) {
		refuse(c, "no embedded helper image in this binary", NULL, 0);
		return -1;
	}
	switch (m) {
	case M_MEMFD:
		return try_memfd(c, seals);
	case M_TMPFILE:
	case M_MKSTEMP:
		return try_files(c, m);
	case M_PROCSELF:
		return try_procself(c);
	default:
		return -1;
	}
}

static int do_init(struct init_ctx *c, const char *forced)
{
	const char *src = "auto";
	if (!forced || !*forced || strcmp(forced, "auto") == 0) {
		forced = getenv("SSHBOX_HELPER_METHOD");
		src = "SSHBOX_HELPER_METHOD";
		if (forced && (!*forced || strcmp(forced, "auto") == 0))
			forced = NULL;
	} else {
		src = "configuration";
	}
	int seals = 0, fd;
	if (forced) {
		enum method m = parse_method(forced);
		if (m == M_NONE) {
			log_error("helper: unknown exec method '%.32s' (from %s); use memfd, tmpfile, mkstemp or procself",
				  forced, src);
			return -1;
		}
		fd = try_method(c, m, &seals);
		if (fd < 0) {
			log_error("helper: forced method %s (from %s) failed: %s", method_names[m], src, c->why);
			return -1;
		}
		log_info("helper: exec method %s (forced by %s)", method_names[m], src);
		S.fd = fd;
		S.method = m;
		S.seals = seals;
		return 0;
	}
	for (int m = M_MEMFD; m <= M_PROCSELF; m++) {
		fd = try_method(c, (enum method)m, &seals);
		if (fd >= 0) {
			if (m == M_MEMFD)
				log_info("helper: exec method memfd (%zu bytes, seals 0x%x)", c->len, (unsigned)seals);
			else
				log_info("helper: exec method %s", method_names[m]);
			S.fd = fd;
			S.method = (enum method)m;
			S.seals = seals;
			return 0;
		}
		__atomic_add_fetch(&n_fallbacks, 1, __ATOMIC_RELAXED);
		log_warn("helper: method %s refused (%s)%s", method_names[m], c->why,
			 m < M_PROCSELF ? "; falling back" : "");
	}
	log_error("helper: no way to execute child applets");
	return -1;
}

static const char *const default_selftest[] = {"checkhomedir", "--self-test", NULL};

int spawn_init_image(const void *image, size_t len, const char *forced_method, const char *procself_path,
		     const char *const *selftest_argv)
{
	spawn_reset();
	struct init_ctx c;
	memset(&c, 0, sizeof(c));
	c.image = image;
	c.len = len;
	c.procself_path = procself_path;
	c.selftest_argv = (char *const *)(selftest_argv ? selftest_argv : default_selftest);
	return do_init(&c, forced_method);
}

int spawn_init(const char *forced_method)
{
	if (S.fd >= 0)
		return 0;
	return spawn_init_image(S.embedded, S.embedded_len, forced_method, NULL, NULL);
}

/* ---- `sshbox --spawn-selftest` ---- */

static int deny_syscall(long nr, int err)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {(unsigned short)(sizeof(f) / sizeof(f[0])), f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

static void print_file_line(const char *label, const char *path)
{
	char b[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, b, sizeof(b) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n < 0)
		n = 0;
	b[n] = '\0';
	b[strcspn(b, "\n")] = '\0';
	printf("%s=%s\n", label, b);
}

int spawn_selftest_main(int argc, char **argv)
{
	const char *method = NULL;
	log_init("sshbox", LOG_INFO, LOG_TO_STDERR);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--deny-memfd") == 0) {
			if (deny_syscall(SYS_memfd_create, EACCES) != 0) {
				perror("seccomp");
				return 2;
			}
		} else if (strcmp(argv[i], "--deny-execveat") == 0) {
			if (deny_syscall(SYS_execveat, ENOSYS) != 0) {
				perror("seccomp");
				return 2;
			}
		} else if (strcmp(argv[i], "--debug") == 0) {
			log_set_level(LOG_DEBUG);
		} else if (argv[i][0] == '-' || method) {
			fprintf(stderr, "usage: sshbox --spawn-selftest [--deny-memfd] [--deny-execveat] [--debug] [METHOD]\n");
			return 2;
		} else {
			method = argv[i];
		}
	}
	if (spawn_init(method) != 0)
		return 1;
	printf("method=%s\n", spawn_method_name());
	if (S.method == M_MEMFD)
		printf("seals=0x%x\n", (unsigned)S.seals);
	fflush(stdout);

	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
		perror("pipe");
		return 1;
	}
	/* An extra open fd that must NOT reach the child. */
	int stray = open("/", O_RDONLY);
	struct spawn_fd fds[] = {{0, in[0]}, {1, out[1]}, {3, -1}};
	struct spawn_opts o = {.fds = fds, .nfds = 3};
	char *args[] = {"--self-test", NULL};
	pid_t pid = spawn_applet("checkhomedir", args, &o);
	close(in[0]);
	close(out[1]);
	if (stray >= 0)
		close(stray);
	if (pid < 0) {
		perror("spawn");
		return 1;
	}
	char line[512];
	size_t got = 0;
	struct pollfd p = {out[0], POLLIN, 0};
	while (got < sizeof(line) - 1 && poll(&p, 1, 5000) > 0) {
		ssize_t r = read(out[0], line + got, sizeof(line) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		if (memchr(line, '\n', got))
			break;
	}
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';

	char path[64], exe[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	ssize_t n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	printf("exe=%s\n", exe);
	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	print_file_line("comm", path);
	printf("child=%s\n", line);
	close(in[1]);
	close(out[0]);
	int st = spawn_wait(pid, 5000);
	printf("status=%d\n", st);
	return st == 0 ? 0 : 1;
}
