/* helper_image: makes the one executable copy of the embedded helper at
 * daemon start: a sealed memfd, or the O_TMPFILE / mkstemp / procself
 * fallbacks, each self-tested before it is accepted (see spawn.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "spawn.h"
#include "spawn_internal.h"
#include "util.h"

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
	int r = pid < 0 ? -1 : spawn_wait_pid(pid, SELFTEST_TIMEOUT_MS);
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
		snprintf(c->why, sizeof(c->why), "self-test `%s` exited with status %d", c->selftest_argv[0],
			 r);
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
	spawn_fd_path(path, wfd);
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

/* Writes the image into the new file fd and makes it the helper copy
 * (finish_file); closes fd when writing fails. */
static int fill_and_finish(struct init_ctx *c, int fd, const char *dir)
{
	if (fill(c, fd) != 0) {
		close(fd);
		return -1;
	}
	return finish_file(c, fd, dir);
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
	return fill_and_finish(c, fd, dir);
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
	return fill_and_finish(c, fd, dir);
}

static int try_files(struct init_ctx *c, enum spawn_method m)
{
	const char *dirs[7];
	int n = candidate_dirs(dirs);
	char reasons[512] = "";
	size_t rl = 0;
	for (int i = 0; i < n; i++) {
		int fd = m == M_TMPFILE ? try_tmpfile_in(c, dirs[i]) : try_mkstemp_in(c, dirs[i]);
		if (fd >= 0) {
			log_debug("helper: %s in %s works", spawn_method_names[m], dirs[i]);
			return fd;
		}
		log_debug("helper: %s in %s refused: %s", spawn_method_names[m], dirs[i], c->why);
		if (rl < sizeof(reasons))
			rl += (size_t)snprintf(reasons + rl, sizeof(reasons) - rl, "%s%s", rl ? "; " : "",
					       c->why);
	}
	/* at most what c->why holds (said so, for -Wformat-truncation at -Os) */
	snprintf(c->why, sizeof(c->why), "%.*s", (int)sizeof(c->why) - 1,
		 reasons[0] ? reasons : "no candidate directory");
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

static enum spawn_method parse_method(const char *s)
{
	for (int m = M_MEMFD; m <= M_PROCSELF; m++)
		if (strcmp(s, spawn_method_names[m]) == 0)
			return (enum spawn_method)m;
	return M_NONE;
}

static int try_method(struct init_ctx *c, enum spawn_method m, int *seals)
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
		enum spawn_method m = parse_method(forced);
		if (m == M_NONE) {
			log_error("helper: unknown exec method '%.32s' (from %s); use memfd, tmpfile, "
				  "mkstemp or procself",
				  forced, src);
			return -1;
		}
		fd = try_method(c, m, &seals);
		if (fd < 0) {
			log_error("helper: forced method %s (from %s) failed: %s", spawn_method_names[m], src,
				  c->why);
			return -1;
		}
		log_info("helper: exec method %s (forced by %s)", spawn_method_names[m], src);
		spawn_state.fd = fd;
		spawn_state.method = m;
		spawn_state.seals = seals;
		return 0;
	}
	for (int m = M_MEMFD; m <= M_PROCSELF; m++) {
		fd = try_method(c, (enum spawn_method)m, &seals);
		if (fd >= 0) {
			if (m == M_MEMFD)
				log_info("helper: exec method memfd (%zu bytes, seals 0x%x)", c->len,
					 (unsigned)seals);
			else
				log_info("helper: exec method %s", spawn_method_names[m]);
			spawn_state.fd = fd;
			spawn_state.method = (enum spawn_method)m;
			spawn_state.seals = seals;
			return 0;
		}
		__atomic_add_fetch(&spawn_n_fallbacks, 1, __ATOMIC_RELAXED);
		log_warn("helper: method %s refused (%s)%s", spawn_method_names[m], c->why,
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
	if (spawn_state.empty_fd < 0) {
		const char *how = NULL;
		int fd = open_empty_fd(&how);
		/* Out of the way of code that dup2()s onto small fd numbers. */
		spawn_state.empty_fd = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, EMPTY_FD_MIN);
		if (fd >= 0)
			close(fd);
		if (spawn_state.empty_fd < 0) {
			log_error("helper: no empty descriptor for children's stdio (no /dev/null and no memfd: %s)",
				  strerror(errno));
			return -1;
		}
		if (strcmp(how, "/dev/null") != 0)
			log_info("helper: /dev/null cannot be opened; children get a %s for unused stdio", how);
	}
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
	if (spawn_state.fd >= 0)
		return 0;
	return spawn_init_image(spawn_state.embedded, spawn_state.embedded_len, forced_method, NULL, NULL);
}
