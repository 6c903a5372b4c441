/* Unit tests for shared/lib/sandbox: the allow-list filter installed in a
 * forked child, which then makes one call. An allowed call returns; a
 * forbidden one kills the child with SIGSYS. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox.h"
#include "t.h"

enum probe {
	P_NOTHING,
	P_GETPID,
	P_WRITE,
	P_EXECVE,
	P_OPENAT,
	P_SOCKET,
	P_PTRACE,
	P_CONNECT,
	P_MMAP_RW,
	P_MMAP_EXEC,
	P_MPROTECT_EXEC
};

/* The child's one probe, made with raw syscalls so that libc adds none. */
static void probe(enum probe p)
{
	static char page[4096] __attribute__((aligned(4096)));
	char *const argv[] = {"/bin/true", NULL};
	switch (p) {
	case P_NOTHING:
		break;
	case P_GETPID:
		syscall(SYS_getpid);
		break;
	case P_WRITE:
		syscall(SYS_write, -1, "x", 1);
		break;
	case P_EXECVE:
		syscall(SYS_execve, "/bin/true", argv, NULL);
		break;
	case P_OPENAT:
		syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);
		break;
	case P_SOCKET:
		syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
		break;
	case P_PTRACE:
		syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
		break;
	case P_CONNECT:
		syscall(SYS_connect, -1, NULL, 0);
		break;
	case P_MMAP_RW:
		syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case P_MMAP_EXEC:
		syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case P_MPROTECT_EXEC:
		syscall(SYS_mprotect, page, sizeof page, PROT_READ | PROT_EXEC);
		break;
	}
}

/* Forks, installs the base list (+ write when with_write), runs the probe
 * and exits 0. Returns the wait status, or -1. */
static int run_sandboxed(enum probe p)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int list[SANDBOX_MAX_SYSCALLS];
		size_t n = sandbox_base_syscalls(list, SANDBOX_MAX_SYSCALLS);
		if (n == 0 || sandbox_install(list, n) != 0)
			_exit(3);
		probe(p);
		syscall(SYS_exit_group, 0);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

static int killed_by_sigsys(int st)
{
	return st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS;
}
static int exited_ok(int st)
{
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

TEST(allowed_calls_run)
{
	CHECK(exited_ok(run_sandboxed(P_NOTHING)));
	CHECK(exited_ok(run_sandboxed(P_GETPID)));
	CHECK(exited_ok(run_sandboxed(P_WRITE)));
	CHECK(exited_ok(run_sandboxed(P_MMAP_RW)));
}

TEST(forbidden_calls_kill_with_sigsys)
{
	CHECK(killed_by_sigsys(run_sandboxed(P_EXECVE)));
	CHECK(killed_by_sigsys(run_sandboxed(P_OPENAT)));
	CHECK(killed_by_sigsys(run_sandboxed(P_SOCKET)));
	CHECK(killed_by_sigsys(run_sandboxed(P_PTRACE)));
	CHECK(killed_by_sigsys(run_sandboxed(P_CONNECT)));
}

TEST(no_new_executable_memory)
{
	CHECK(killed_by_sigsys(run_sandboxed(P_MMAP_EXEC)));
	CHECK(killed_by_sigsys(run_sandboxed(P_MPROTECT_EXEC)));
}

TEST(no_new_privs_is_set)
{
	pid_t pid = fork();
	if (pid == 0) {
		int list[SANDBOX_MAX_SYSCALLS];
		size_t n = sandbox_base_syscalls(list, SANDBOX_MAX_SYSCALLS);
		/* prctl is not in the base list: read the flag before. */
		list[n++] = SYS_prctl;
		if (sandbox_install(list, n) != 0)
			_exit(3);
		/* raw calls: sanitizer interceptors may add calls of their own */
		long v = syscall(SYS_prctl, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
		syscall(SYS_exit_group, v == 1 ? 0 : 4);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	CHECK(exited_ok(st));
}

TEST(bad_lists_refused)
{
	int one = SYS_getpid, neg = -1;
	int big[SANDBOX_MAX_SYSCALLS + 1] = {0};
	errno = 0;
	CHECK_EQ_INT(sandbox_install(NULL, 1), -1);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_EQ_INT(sandbox_install(&one, 0), -1);
	CHECK_EQ_INT(sandbox_install(&neg, 1), -1);
	CHECK_EQ_INT(sandbox_install(big, SANDBOX_MAX_SYSCALLS + 1), -1);
	/* none of these installed anything: this process can still exec */
	CHECK_EQ_INT(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
	int small[1];
	CHECK_EQ_INT(sandbox_base_syscalls(small, 1), 0);
}

/* A policy with one FAIL rule (socket -> EAFNOSUPPORT), one ARG_CLEAR
 * rule (openat without O_WRONLY/O_CREAT) and one ARG_EQ rule (ioctl
 * FIONREAD only); the child exits 0 when the rules behaved, or dies by
 * SIGSYS. bad: 1 opens for writing, 2 asks ioctl TCGETS. */
static int run_rules(int bad, int trap)
{
	pid_t pid = fork();
	if (pid == 0) {
		int list[SANDBOX_MAX_SYSCALLS];
		size_t n = sandbox_base_syscalls(list, SANDBOX_MAX_SYSCALLS);
		const struct sandbox_rule rules[] = {
		    {.nr = SYS_socket, .kind = SANDBOX_FAIL, .err = EAFNOSUPPORT},
		    {.nr = SYS_openat,
		     .kind = SANDBOX_ARG_CLEAR,
		     .arg = 2,
		     .bits = O_WRONLY | O_RDWR | O_CREAT},
		    {.nr = SYS_ioctl, .kind = SANDBOX_ARG_EQ, .arg = 1, .bits = FIONREAD},
		};
		struct sandbox_policy p = {
		    .name = "t", .allow = list, .n_allow = n, .rules = rules, .n_rules = 3, .trap = trap};
		if (n == 0 || sandbox_apply(&p) != 0)
			_exit(3);
		if (syscall(SYS_socket, AF_INET, SOCK_STREAM, 0) != -1 || errno != EAFNOSUPPORT)
			syscall(SYS_exit_group, 4);
		if (syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY) < 0)
			syscall(SYS_exit_group, 5);
		int avail;
		syscall(SYS_ioctl, 0, FIONREAD, &avail); /* allowed: its result does not matter */
		struct termios tio;
		if (bad == 1)
			syscall(SYS_openat, AT_FDCWD, "/dev/null", O_WRONLY);
		if (bad == 2)
			syscall(SYS_ioctl, 0, TCGETS, &tio);
		syscall(SYS_exit_group, 0);
	}
	int st = -1;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

TEST(rules_fail_and_check_arguments)
{
	CHECK(exited_ok(run_rules(0, 0)));
	CHECK(killed_by_sigsys(run_rules(1, 0)));
	CHECK(killed_by_sigsys(run_rules(2, 0)));
	/* trap mode: the handler names the call, then the process dies by SIGSYS */
	CHECK(exited_ok(run_rules(0, 1)));
	CHECK(killed_by_sigsys(run_rules(1, 1)));
}

TEST(bad_policies_refused)
{
	int list[] = {SYS_getpid, SYS_write};
	struct sandbox_rule dup = {.nr = SYS_getpid, .kind = SANDBOX_FAIL, .err = EPERM};
	struct sandbox_rule bad_err = {.nr = SYS_socket, .kind = SANDBOX_FAIL, .err = 0};
	struct sandbox_rule bad_arg = {.nr = SYS_socket, .kind = SANDBOX_ARG_CLEAR, .arg = 6, .bits = 1};
	struct sandbox_rule mmap_rule = {.nr = SYS_mmap, .kind = SANDBOX_FAIL, .err = EPERM};
	struct sandbox_policy p = {.name = "t", .allow = list, .n_allow = 2, .n_rules = 1};
	p.rules = &dup; /* a number both allowed and in a rule */
	CHECK_EQ_INT(sandbox_apply(&p), -1);
	p.rules = &bad_err;
	CHECK_EQ_INT(sandbox_apply(&p), -1);
	p.rules = &bad_arg;
	CHECK_EQ_INT(sandbox_apply(&p), -1);
	p.rules = &mmap_rule; /* mmap keeps its PROT_EXEC check */
	CHECK_EQ_INT(sandbox_apply(&p), -1);
	CHECK_EQ_INT(sandbox_apply(NULL), -1);
	CHECK_EQ_INT(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
}

int main(void)
{
	if (!sandbox_supported() || !sandbox_available()) {
		printf("SKIP: tests/unit/test_sandbox.c: the kernel has no seccomp\n");
		return 0;
	}
	RUN(allowed_calls_run);
	RUN(forbidden_calls_kill_with_sigsys);
	RUN(no_new_executable_memory);
	RUN(no_new_privs_is_set);
	RUN(bad_lists_refused);
	RUN(rules_fail_and_check_arguments);
	RUN(bad_policies_refused);
	return t_done();
}
