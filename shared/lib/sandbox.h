/* sandbox: seccomp-bpf system call allow-lists and the other one-way
 * restrictions a process applies to itself before it handles untrusted
 * input (no_new_privs, resource limits).
 *
 * A filter is an allow-list: the listed system calls run, every other one
 * ends the whole process with SIGSYS, so a compromised process cannot go
 * on with a failed call it did not expect. Calls from another ABI (x32,
 * i386 on x86_64) are refused the same way. The parent sees the end as
 * WTERMSIG == SIGSYS and can log it and penalise the source as a crash.
 * Besides plain allowed calls, a policy may list rules: a call that fails
 * with a fixed errno (for calls libc makes on paths that have a fallback,
 * e.g. the nscd socket), a call allowed only when some bits of one
 * argument are clear (e.g. open without O_WRONLY/O_CREAT), or one allowed
 * only with one argument value (e.g. ioctl FIONREAD).
 *
 * mmap and mprotect are always allowed only without PROT_EXEC: no new
 * executable memory in a sandboxed process.
 *
 * Installing a filter needs no privilege: it sets PR_SET_NO_NEW_PRIVS
 * first, which also stays on for every child and exec (a setuid program
 * can then not gain privileges). Irreversible.
 *
 * Architectures: x86_64 and aarch64 (the filter checks the call's
 * architecture and refuses a foreign one); elsewhere installing fails
 * with EINVAL and sandbox_supported() is 0. */
#ifndef SSHBOX_SANDBOX_H
#define SSHBOX_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

/* At most this many system calls in one allow-list, and this many rules. */
#define SANDBOX_MAX_SYSCALLS 200
#define SANDBOX_MAX_RULES 24

/* Installs an allow-list of system call numbers (__NR_* of the build's
 * architecture) for the calling thread and its future children; anything
 * else kills the process (SECCOMP_RET_KILL_PROCESS).
 * Returns 0, or -1 with errno set (EINVAL for an empty or oversized list
 * or an unsupported architecture; the kernel's errno otherwise). Nothing
 * is installed on error, but no_new_privs may already be set. */
int sandbox_install(const int *syscalls, size_t n);

enum sandbox_rule_kind {
	SANDBOX_FAIL,	   /* the call does nothing and returns -1 with errno = err */
	SANDBOX_ARG_CLEAR, /* allowed when (low 32 bits of args[arg]) & bits == 0, else denied */
	SANDBOX_ARG_EQ	   /* allowed when the low 32 bits of args[arg] == bits, else denied */
};

struct sandbox_rule {
	int nr;
	enum sandbox_rule_kind kind;
	unsigned arg;  /* SANDBOX_ARG_*: argument index 0..5 */
	uint32_t bits; /* SANDBOX_ARG_CLEAR: bits that must be clear; SANDBOX_ARG_EQ: the value */
	int err;       /* SANDBOX_FAIL: errno, 1..4095 */
};

struct sandbox_policy {
	const char *name; /* for the trap message; at most 31 bytes are used */
	const int *allow;
	size_t n_allow;
	const struct sandbox_rule *rules; /* a number may not be in allow too */
	size_t n_rules;
	/* 0: a denied call kills the process (SECCOMP_RET_KILL_PROCESS).
	 * 1: a denied call raises SIGSYS (SECCOMP_RET_TRAP); sandbox_apply
	 * installs a handler that writes one line to fd 2,
	 * "sandbox <name>: forbidden system call <nr>", and then repeats the
	 * call, which with SIGSYS blocked in its handler makes the kernel
	 * kill the process with SIGSYS. A compromised process could replace
	 * the handler, but that only turns its denied calls into failures:
	 * none of them runs either way. */
	int trap;
};

/* Installs policy p (see struct sandbox_policy) like sandbox_install.
 * Returns 0, or -1 with errno set (EINVAL for bad lists or rules, lists
 * too long for the filter's jumps, or an unsupported architecture). */
int sandbox_apply(const struct sandbox_policy *p);

/* The allow-list that every sandboxed sshbox process needs whatever its
 * job: exit, signals return, memory management, time, reading/writing
 * descriptors it already holds, polling. Written to out (capacity cap);
 * returns the count, or 0 if cap is too small. Callers append their own
 * calls and pass the whole list to sandbox_install. */
size_t sandbox_base_syscalls(int *out, size_t cap);

/* 1 when the running kernel supports seccomp filters, else 0. */
int sandbox_available(void);

/* 1 when this build can make filters for its architecture, else 0. */
int sandbox_supported(void);

#endif
