/* Unit tests for shared/spawn.c. The unit tests are linked without the
 * embedded helper, so they feed spawn_init_image() the bytes of /bin/sh,
 * read at run time, and use `sh -c ...` as the "applet". */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spawn.h"
#include "t.h"

#ifndef F_GET_SEALS
#define F_GET_SEALS 1034
#endif
#define SEAL_REQ 0x000f /* SEAL | SHRINK | GROW | WRITE */

static unsigned char *image;
static size_t image_len;
static char shell_path[256];
static const char *const selftest_ok[] = {"sh", "-c", "exit 0", NULL};

static int load_image(void)
{
	ssize_t n = readlink("/bin/sh", shell_path, sizeof(shell_path) - 1);
	if (n > 0) {
		shell_path[n] = '\0';
		if (shell_path[0] != '/') /* relative link, e.g. "dash" */
			snprintf(shell_path, sizeof(shell_path), "/bin/sh");
	} else {
		snprintf(shell_path, sizeof(shell_path), "/bin/sh");
	}
	int fd = open("/bin/sh", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > 64 * 1024 * 1024) {
		close(fd);
		return -1;
	}
	image_len = (size_t)st.st_size;
	image = malloc(image_len);
	size_t got = 0;
	while (image && got < image_len) {
		ssize_t r = read(fd, image + got, image_len - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	return got == image_len ? 0 : -1;
}

static int init(const char *method) { return spawn_init_image(image, image_len, method, "/bin/sh", selftest_ok); }

/* Runs `sh -c script` from the helper and returns its stdout (static). */
static const char *run_capture(const char *script, int *status)
{
	static char out[1024];
	int p[2];
	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) != 0)
		return NULL;
	struct spawn_fd fds[] = {{1, p[1]}};
	struct spawn_opts o = {.fds = fds, .nfds = 1};
	char *args[] = {"-c", (char *)script, NULL};
	pid_t pid = spawn_applet("sh", args, &o);
	close(p[1]);
	size_t got = 0;
	while (pid > 0 && got < sizeof(out) - 1) {
		ssize_t r = read(p[0], out + got, sizeof(out) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(p[0]);
	out[got] = '\0';
	if (got && out[got - 1] == '\n')
		out[got - 1] = '\0';
	*status = pid > 0 ? spawn_wait(pid, 10000) : -1;
	return out;
}

TEST(memfd_is_sealed_and_holds_the_image)
{
	CHECK_EQ_INT(init("memfd"), 0);
	CHECK_STR(spawn_method_name(), "memfd");
	int fd = spawn_exec_fd();
	CHECK(fd >= 0);
	int seals = fcntl(fd, F_GET_SEALS);
	CHECK((seals & SEAL_REQ) == SEAL_REQ);
	CHECK_EQ_INT(spawn_seals(), seals);
	struct stat st;
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT((long)st.st_size, (long)image_len);
	CHECK_EQ_INT(st.st_mode & 07777, 0555);
	unsigned char *copy = malloc(image_len);
	CHECK(copy != NULL);
	if (copy) {
		size_t got = 0;
		while (got < image_len) {
			ssize_t r = pread(fd, copy + got, image_len - got, (off_t)got);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		CHECK_EQ_INT((long)got, (long)image_len);
		CHECK(memcmp(copy, image, image_len) == 0);
		free(copy);
	}
	/* The seals hold: no writing, growing or shrinking, even via a new fd. */
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int w = open(path, O_RDWR | O_CLOEXEC);
	if (w >= 0) {
		CHECK(pwrite(w, "x", 1, 0) < 0);
		CHECK(pwrite(w, "x", 1, (off_t)image_len) < 0);
		CHECK(ftruncate(w, 10) < 0);
		close(w);
	}
	CHECK(fcntl(fd, F_ADD_SEALS, 0) < 0 || (seals & 1)); /* F_SEAL_SEAL set */
	int status;
	const char *exe = run_capture("readlink /proc/$$/exe", &status);
	CHECK_EQ_INT(status, 0);
	CHECK_STR(exe, "/memfd:sshbox-helper (deleted)");
}

TEST(each_forced_method_spawns_and_returns_exit_status)
{
	static const char *const methods[] = {"memfd", "tmpfile", "mkstemp", "procself"};
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		CHECK_EQ_INT(init(methods[i]), 0);
		CHECK_STR(spawn_method_name(), methods[i]);
		char *args[] = {"-c", "exit 7", NULL};
		CHECK_EQ_INT(spawn_run("sh", args, NULL, 10000), 7);
		char *args0[] = {"-c", "exit 0", NULL};
		CHECK_EQ_INT(spawn_run("sh", args0, NULL, 10000), 0);
		int status;
		const char *exe = run_capture("readlink /proc/$$/exe", &status);
		CHECK_EQ_INT(status, 0);
		if (strcmp(methods[i], "procself") == 0) {
			char real[256];
			CHECK(realpath(shell_path, real) != NULL);
			CHECK_STR(exe, real);
		} else if (strcmp(methods[i], "memfd") == 0) {
			CHECK_STR(exe, "/memfd:sshbox-helper (deleted)");
		} else {
			CHECK(exe && strstr(exe, " (deleted)") != NULL);
			if (strcmp(methods[i], "mkstemp") == 0)
				CHECK(exe && strstr(exe, "/.sshbox-helper-") != NULL);
		}
		/* argv[0] is the applet name. */
		const char *a0 = run_capture("echo \"$0\"", &status);
		CHECK_STR(a0, "sh");
	}
}

TEST(fds_are_mapped_and_all_others_closed)
{
	CHECK_EQ_INT(init("memfd"), 0);
	/* Stray fds in the parent, without close-on-exec: must not leak. */
	int stray[4];
	for (int i = 0; i < 4; i++)
		stray[i] = open("/dev/null", O_RDONLY);
	int p[2], q[2];
	CHECK_EQ_INT(pipe(p), 0);
	CHECK_EQ_INT(pipe(q), 0);
	/* Child fd 5 <- p[1] (report channel), fd 0 <- q[0], fd 3 <- /dev/null. */
	struct spawn_fd fds[] = {{5, p[1]}, {0, q[0]}, {3, -1}};
	struct spawn_opts o = {.fds = fds, .nfds = 3};
	char *args[] = {"-c",
			"read line; echo \"in=$line\" >&5; "
			"for n in 1 3 4 6 7 8 9; do if { true >&$n; } 2>/dev/null; then echo \"open$n\" >&5; fi; done",
			NULL};
	pid_t pid = spawn_applet("sh", args, &o);
	CHECK(pid > 0);
	close(p[1]);
	close(q[0]);
	CHECK_EQ_INT(write(q[1], "hello\n", 6), 6);
	close(q[1]);
	char buf[512];
	size_t got = 0;
	for (;;) {
		ssize_t r = read(p[0], buf + got, sizeof(buf) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	close(p[0]);
	CHECK_EQ_INT(spawn_wait(pid, 10000), 0);
	/* fd 1, 2 (/dev/null) and 3 open; 4, 6..9 closed, strays never passed. */
	CHECK_STR(buf, "in=hello\nopen1\nopen3\n");
	for (int i = 0; i < 4; i++)
		if (stray[i] >= 0)
			close(stray[i]);
}

TEST(overlapping_mappings)
{
	CHECK_EQ_INT(init("memfd"), 0);
	int a[2], b[2];
	CHECK_EQ_INT(pipe(a), 0);
	CHECK_EQ_INT(pipe(b), 0);
	/* Swap two parent fds that are also the child's numbers (sh needs < 10). */
	CHECK(a[0] < 8 && a[1] < 8 && b[0] < 8 && b[1] < 8);
	CHECK_EQ_INT(dup2(a[1], 8), 8);
	CHECK_EQ_INT(dup2(b[1], 9), 9);
	close(a[1]);
	close(b[1]);
	struct spawn_fd fds[] = {{8, 9}, {9, 8}};
	struct spawn_opts o = {.fds = fds, .nfds = 2};
	char *args[] = {"-c", "echo to-b >&8; echo to-a >&9", NULL};
	pid_t pid = spawn_applet("sh", args, &o);
	CHECK(pid > 0);
	close(8);
	close(9);
	char x[32] = "", y[32] = "";
	ssize_t n1 = read(a[0], x, sizeof(x) - 1);
	ssize_t n2 = read(b[0], y, sizeof(y) - 1);
	CHECK_EQ_INT(spawn_wait(pid, 10000), 0);
	x[n1 > 0 ? n1 : 0] = '\0';
	y[n2 > 0 ? n2 : 0] = '\0';
	CHECK_STR(x, "to-a\n");
	CHECK_STR(y, "to-b\n");
	close(a[0]);
	close(b[0]);
}

TEST(environment_is_explicit)
{
	CHECK_EQ_INT(init("memfd"), 0);
	setenv("SPAWN_TEST_LEAK", "parent", 1);
	char *env[] = {"FOO=bar", NULL};
	struct spawn_opts o = {.envp = env};
	char *args[] = {"-c", "test \"$FOO\" = bar && test -z \"$SPAWN_TEST_LEAK\"", NULL};
	CHECK_EQ_INT(spawn_run("sh", args, &o, 10000), 0);
	struct spawn_opts none = {0};
	char *args2[] = {"-c", "test -z \"$SPAWN_TEST_LEAK\" && test -z \"$FOO\"", NULL};
	CHECK_EQ_INT(spawn_run("sh", args2, &none, 10000), 0);
	unsetenv("SPAWN_TEST_LEAK");
}

TEST(env_var_forces_method_and_config_wins)
{
	setenv("SSHBOX_HELPER_METHOD", "mkstemp", 1);
	CHECK_EQ_INT(init(NULL), 0);
	CHECK_STR(spawn_method_name(), "mkstemp");
	CHECK_EQ_INT(init("auto"), 0);
	CHECK_STR(spawn_method_name(), "mkstemp");
	CHECK_EQ_INT(init("tmpfile"), 0);
	CHECK_STR(spawn_method_name(), "tmpfile");
	setenv("SSHBOX_HELPER_METHOD", "bogus", 1);
	CHECK_EQ_INT(init(NULL), -1);
	CHECK_STR(spawn_method_name(), "none");
	unsetenv("SSHBOX_HELPER_METHOD");
	CHECK_EQ_INT(init(NULL), 0);
	CHECK_STR(spawn_method_name(), "memfd");
}

TEST(failing_self_test_falls_back_then_fails)
{
	struct spawn_stats before, after;
	spawn_get_stats(&before);
	static const char *const bad[] = {"sh", "-c", "exit 3", NULL};
	CHECK_EQ_INT(spawn_init_image(image, image_len, NULL, "/bin/sh", bad), -1);
	CHECK_STR(spawn_method_name(), "none");
	spawn_get_stats(&after);
	CHECK_EQ_INT(after.init_fallbacks - before.init_fallbacks, 4);
	/* Without an image only procself can work. */
	CHECK_EQ_INT(spawn_init_image(NULL, 0, NULL, "/bin/sh", selftest_ok), 0);
	CHECK_STR(spawn_method_name(), "procself");
	CHECK_EQ_INT(spawn_init_image(NULL, 0, "memfd", "/bin/sh", selftest_ok), -1);
	/* Spawning before init fails cleanly. */
	spawn_reset();
	CHECK_EQ_INT(spawn_applet("sh", NULL, NULL), -1);
}

TEST(wait_timeout_kills)
{
	CHECK_EQ_INT(init("memfd"), 0);
	char *args[] = {"-c", "exec sleep 30", NULL};
	uint64_t t0 = 0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	CHECK_EQ_INT(spawn_run("sh", args, NULL, 200), -2);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t t1 = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	CHECK(t1 - t0 < 5000);
	char *args2[] = {"-c", "kill -TERM $$", NULL};
	CHECK_EQ_INT(spawn_run("sh", args2, NULL, 10000), 128 + SIGTERM);
}

static int setup_fails(void *arg)
{
	(void)arg;
	return 1;
}

static int setup_marks(void *arg)
{
	int fd = *(int *)arg;
	return write(fd, "m", 1) == 1 ? 0 : 1;
}

TEST(child_setup_runs_before_exec)
{
	CHECK_EQ_INT(init("memfd"), 0);
	struct spawn_opts o = {.child_setup = setup_fails};
	char *args[] = {"-c", "exit 0", NULL};
	CHECK_EQ_INT(spawn_run("sh", args, &o, 10000), 255);
	int p[2];
	CHECK_EQ_INT(pipe2(p, O_CLOEXEC), 0);
	/* The hook runs after the fd layout: use the mapped child fd number. */
	int child_fd = 7;
	struct spawn_fd fds[] = {{7, p[1]}};
	struct spawn_opts o2 = {.fds = fds, .nfds = 1, .child_setup = setup_marks, .child_arg = &child_fd};
	CHECK_EQ_INT(spawn_run("sh", args, &o2, 10000), 0);
	close(p[1]);
	char c = 0;
	CHECK_EQ_INT(read(p[0], &c, 1), 1);
	CHECK_EQ_INT(c, 'm');
	close(p[0]);
}

TEST(parent_death_kills_child)
{
	CHECK_EQ_INT(init("memfd"), 0);
	int p[2];
	CHECK_EQ_INT(pipe(p), 0);
	pid_t mid = fork();
	if (mid == 0) {
		close(p[0]);
		char *args[] = {"-c", "exec sleep 30", NULL};
		pid_t c = spawn_applet("sh", args, NULL);
		ssize_t w = write(p[1], &c, sizeof(c));
		(void)w;
		usleep(100000); /* let it exec */
		_exit(0);
	}
	close(p[1]);
	pid_t child = -1;
	CHECK_EQ_INT(read(p[0], &child, sizeof(child)), (long)sizeof(child));
	close(p[0]);
	int st;
	waitpid(mid, &st, 0);
	int gone = 0;
	for (int i = 0; i < 300 && child > 0; i++) {
		char path[64], buf[256] = "";
		snprintf(path, sizeof(path), "/proc/%ld/stat", (long)child);
		int fd = open(path, O_RDONLY);
		if (fd < 0) {
			gone = 1;
			break;
		}
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		const char *rp = strrchr(buf, ')');
		if (rp && (rp[2] == 'Z' || rp[2] == 'X')) {
			gone = 1;
			break;
		}
		usleep(10000);
	}
	CHECK(gone);
	if (!gone && child > 0)
		kill(child, SIGKILL);
}

TEST(candidate_dir_is_tried_first)
{
	char dir[] = "/tmp/spawntest.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	spawn_set_candidate_dir(dir);
	CHECK_EQ_INT(init("mkstemp"), 0);
	int status;
	const char *exe = run_capture("readlink /proc/$$/exe", &status);
	char want[64];
	snprintf(want, sizeof(want), "%s/.sshbox-helper-", dir);
	CHECK(exe && strncmp(exe, want, strlen(want)) == 0);
	CHECK_EQ_INT(init("tmpfile"), 0);
	exe = run_capture("readlink /proc/$$/exe", &status);
	snprintf(want, sizeof(want), "%s/#", dir);
	CHECK(exe && strncmp(exe, want, strlen(want)) == 0);
	spawn_reset();
	spawn_set_candidate_dir(NULL);
	CHECK_EQ_INT(rmdir(dir), 0); /* nothing left behind: the files were unlinked */
}

TEST(bad_arguments_are_rejected)
{
	CHECK_EQ_INT(init("memfd"), 0);
	struct spawn_stats before, after;
	spawn_get_stats(&before);
	struct spawn_fd bad_fd[] = {{64, 0}};
	struct spawn_opts o = {.fds = bad_fd, .nfds = 1};
	CHECK_EQ_INT(spawn_applet("sh", NULL, &o), -1);
	CHECK_EQ_INT(errno, EINVAL);
	struct spawn_fd dup_fd[] = {{3, 0}, {3, 1}};
	struct spawn_opts o2 = {.fds = dup_fd, .nfds = 2};
	CHECK_EQ_INT(spawn_applet("sh", NULL, &o2), -1);
	static char *many[SPAWN_MAX_ARGS + 2];
	for (int i = 0; i < SPAWN_MAX_ARGS + 1; i++)
		many[i] = "x";
	CHECK_EQ_INT(spawn_applet("sh", many, NULL), -1);
	CHECK_EQ_INT(spawn_applet("", NULL, NULL), -1);
	spawn_get_stats(&after);
	CHECK_EQ_INT(after.failed - before.failed, 4);
	char *args[] = {"-c", "exit 0", NULL};
	CHECK_EQ_INT(spawn_run("sh", args, NULL, 10000), 0);
	spawn_get_stats(&after);
	CHECK_EQ_INT(after.spawned - before.spawned, 1);
}

int main(void)
{
	log_init("test_spawn", LOG_ERROR, LOG_TO_STDERR);
	if (load_image() != 0) {
		printf("FAIL: test_spawn: cannot read /bin/sh\n");
		return 1;
	}
	RUN(memfd_is_sealed_and_holds_the_image);
	RUN(each_forced_method_spawns_and_returns_exit_status);
	RUN(fds_are_mapped_and_all_others_closed);
	RUN(overlapping_mappings);
	RUN(environment_is_explicit);
	RUN(env_var_forces_method_and_config_wins);
	RUN(failing_self_test_falls_back_then_fails);
	RUN(wait_timeout_kills);
	RUN(child_setup_runs_before_exec);
	RUN(parent_death_kills_child);
	RUN(candidate_dir_is_tried_first);
	RUN(bad_arguments_are_rejected);
	spawn_reset();
	free(image);
	return t_done();
}
