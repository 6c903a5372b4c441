/* Unit tests for shared/child/child_sandbox: the sftp and networking
 * policies installed in a forked child, which then makes a few calls with
 * raw syscalls (so that neither libc nor a sanitizer adds calls of its
 * own). Allowed work returns; forbidden calls end the child with SIGSYS
 * after one "sandbox <name>: forbidden system call N" line on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child_sandbox.h"
#include "t.h"

static char dir[64];

enum probe {
	P_READ_FILE,	/* open /dev/null read-only, read, close */
	P_CREATE_FILE,	/* create, write, remove a file in dir */
	P_MKDIR_RMDIR,	/* make and remove a directory in dir */
	P_SOCKET_FAILS, /* socket() returns EAFNOSUPPORT */
	P_CONNECT_FAILS,
	P_TCP_LISTEN, /* socket, bind 127.0.0.1:0, listen */
	P_UNIX_LISTEN,
	P_EXECVE,
	P_PTRACE,
	P_CLONE,
	P_SETUID,
	P_OPEN_LEGACY_WRITE /* open(2) where it exists, else openat */
};

static int create_file(void)
{
	char path[96];
	snprintf(path, sizeof(path), "%s/f", dir);
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return 11;
	int ok = syscall(SYS_write, fd, "x", 1) == 1;
	syscall(SYS_close, fd);
	return ok && syscall(SYS_unlinkat, AT_FDCWD, path, 0) == 0 ? 0 : 12;
}

static int mkdir_rmdir(void)
{
	char path[96];
	snprintf(path, sizeof(path), "%s/d", dir);
	if (syscall(SYS_mkdirat, AT_FDCWD, path, 0700) != 0)
		return 13;
	return syscall(SYS_unlinkat, AT_FDCWD, path, AT_REMOVEDIR) == 0 ? 0 : 14;
}

static int tcp_listen(void)
{
	long fd = syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (fd < 0 || syscall(SYS_bind, fd, &sin, sizeof(sin)) != 0 || syscall(SYS_listen, fd, 1) != 0)
		return 15;
	return syscall(SYS_close, fd) == 0 ? 0 : 16;
}

static int unix_listen(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s", dir);
	long fd = syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || syscall(SYS_bind, fd, &sun, sizeof(sun)) != 0 || syscall(SYS_listen, fd, 1) != 0)
		return 17;
	syscall(SYS_close, fd);
	return syscall(SYS_unlinkat, AT_FDCWD, sun.sun_path, 0) == 0 ? 0 : 18;
}

static int open_legacy_write(void)
{
	char path[96];
	snprintf(path, sizeof(path), "%s/w", dir);
#ifdef SYS_open
	long fd = syscall(SYS_open, path, O_WRONLY | O_CREAT, 0600);
#else
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT, 0600);
#endif
	return fd >= 0 ? 0 : 19;
}

/* Returns 0 when the probe's allowed work succeeded. */
static int probe(enum probe p)
{
	char *const argv[] = {"/bin/true", NULL};
	char c;
	switch (p) {
	case P_READ_FILE: {
		long fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC);
		return fd >= 0 && syscall(SYS_read, fd, &c, 1) == 0 && syscall(SYS_close, fd) == 0 ? 0 : 10;
	}
	case P_CREATE_FILE:
		return create_file();
	case P_MKDIR_RMDIR:
		return mkdir_rmdir();
	case P_SOCKET_FAILS:
		return syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0) == -1 && errno == EAFNOSUPPORT ? 0 : 20;
	case P_CONNECT_FAILS:
		return syscall(SYS_connect, 0, NULL, 0) == -1 && errno == ECONNREFUSED ? 0 : 21;
	case P_TCP_LISTEN:
		return tcp_listen();
	case P_UNIX_LISTEN:
		return unix_listen();
	case P_EXECVE:
		syscall(SYS_execve, "/bin/true", argv, NULL);
		return 30;
	case P_PTRACE:
		syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
		return 31;
	case P_CLONE: {
		/* a plain fork: if it ran, the new child exits at once */
		long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
		if (pid == 0)
			syscall(SYS_exit_group, 0);
		int st;
		return pid > 0 && syscall(SYS_wait4, pid, &st, 0, NULL) == pid ? 0 : 32;
	}
	case P_SETUID:
		syscall(SYS_setuid, 0);
		return 33;
	case P_OPEN_LEGACY_WRITE:
		return open_legacy_write();
	}
	return 99;
}

struct outcome {
	int status;    /* wait status, -1 on error */
	char err[256]; /* what the child wrote to stderr */
};

/* Forks, installs the kind's policy, runs the probe, exits with its
 * result; collects the wait status and the child's stderr. */
static struct outcome run(enum child_sandbox_kind kind, enum probe p)
{
	struct outcome o = {.status = -1};
	int pfd[2];
	if (pipe(pfd) != 0)
		return o;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 2);
		struct sandbox_policy pol;
		child_sandbox_policy(kind, &pol);
		if (sandbox_apply(&pol) != 0)
			syscall(SYS_exit_group, 3);
		syscall(SYS_exit_group, probe(p));
	}
	close(pfd[1]);
	size_t n = 0;
	ssize_t r;
	while (pid > 0 && n + 1 < sizeof(o.err) && (r = read(pfd[0], o.err + n, sizeof(o.err) - 1 - n)) > 0)
		n += (size_t)r;
	o.err[n] = '\0';
	close(pfd[0]);
	while (pid > 0 && waitpid(pid, &o.status, 0) < 0 && errno == EINTR)
		;
	return o;
}

static int ok(enum child_sandbox_kind kind, enum probe p)
{
	struct outcome o = run(kind, p);
	if (!(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0))
		fprintf(stderr, "  probe %d: status 0x%x, stderr \"%s\"\n", (int)p, (unsigned)o.status,
			o.err);
	return WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0;
}

/* Killed by SIGSYS, having named the call (number nr) on stderr. */
static int killed(enum child_sandbox_kind kind, enum probe p, long nr)
{
	struct outcome o = run(kind, p);
	char want[96];
	snprintf(want, sizeof(want), "sandbox %s: forbidden system call %ld\n",
		 kind == CHILD_SANDBOX_SFTP ? "sftp" : "networking", nr);
	int good = o.status != -1 && WIFSIGNALED(o.status) && WTERMSIG(o.status) == SIGSYS &&
		   strcmp(o.err, want) == 0;
	if (!good)
		fprintf(stderr, "  probe %d: status 0x%x, stderr \"%s\"\n", (int)p, (unsigned)o.status,
			o.err);
	return good;
}

TEST(sftp_serves_files)
{
	CHECK(ok(CHILD_SANDBOX_SFTP, P_READ_FILE));
	CHECK(ok(CHILD_SANDBOX_SFTP, P_CREATE_FILE));
	CHECK(ok(CHILD_SANDBOX_SFTP, P_MKDIR_RMDIR));
	CHECK(ok(CHILD_SANDBOX_SFTP, P_OPEN_LEGACY_WRITE));
}

TEST(sftp_makes_no_socket)
{
	CHECK(ok(CHILD_SANDBOX_SFTP, P_SOCKET_FAILS));
	CHECK(ok(CHILD_SANDBOX_SFTP, P_CONNECT_FAILS));
}

TEST(sftp_forbidden_calls_kill)
{
	CHECK(killed(CHILD_SANDBOX_SFTP, P_EXECVE, SYS_execve));
	CHECK(killed(CHILD_SANDBOX_SFTP, P_PTRACE, SYS_ptrace));
	CHECK(killed(CHILD_SANDBOX_SFTP, P_CLONE, SYS_clone));
	CHECK(killed(CHILD_SANDBOX_SFTP, P_SETUID, SYS_setuid));
}

TEST(networking_serves_sockets)
{
	CHECK(ok(CHILD_SANDBOX_NETWORKING, P_TCP_LISTEN));
	CHECK(ok(CHILD_SANDBOX_NETWORKING, P_UNIX_LISTEN));
	CHECK(ok(CHILD_SANDBOX_NETWORKING, P_MKDIR_RMDIR));
	CHECK(ok(CHILD_SANDBOX_NETWORKING, P_READ_FILE)); /* the resolver's files */
	CHECK(ok(CHILD_SANDBOX_NETWORKING, P_CLONE));	  /* the dial workers */
}

TEST(networking_forbidden_calls_kill)
{
	CHECK(killed(CHILD_SANDBOX_NETWORKING, P_CREATE_FILE, SYS_openat));
#ifdef SYS_open
	CHECK(killed(CHILD_SANDBOX_NETWORKING, P_OPEN_LEGACY_WRITE, SYS_open));
#endif
	CHECK(killed(CHILD_SANDBOX_NETWORKING, P_EXECVE, SYS_execve));
	CHECK(killed(CHILD_SANDBOX_NETWORKING, P_PTRACE, SYS_ptrace));
	CHECK(killed(CHILD_SANDBOX_NETWORKING, P_SETUID, SYS_setuid));
}

TEST(policies_are_valid)
{
	struct sandbox_policy p;
	child_sandbox_policy(CHILD_SANDBOX_SFTP, &p);
	CHECK(p.n_allow > 0 && p.trap == 1);
	child_sandbox_policy(CHILD_SANDBOX_NETWORKING, &p);
	CHECK(p.n_allow > 0 && p.trap == 1);
}

int main(void)
{
	if (!sandbox_supported() || !sandbox_available()) {
		printf("SKIP: tests/unit/test_child_sandbox.c: no seccomp filters here\n");
		return 0;
	}
	snprintf(dir, sizeof(dir), "/tmp/sshbox-csb.XXXXXX");
	if (!mkdtemp(dir)) {
		printf("FAIL: tests/unit/test_child_sandbox.c: mkdtemp\n");
		return 1;
	}
	RUN(policies_are_valid);
	RUN(sftp_serves_files);
	RUN(sftp_makes_no_socket);
	RUN(sftp_forbidden_calls_kill);
	RUN(networking_serves_sockets);
	RUN(networking_forbidden_calls_kill);
	char w[96];
	snprintf(w, sizeof(w), "%s/w", dir);
	unlink(w);
	rmdir(dir);
	return t_done();
}
