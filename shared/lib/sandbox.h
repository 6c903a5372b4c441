/* sandbox: seccomp-bpf system call allow-lists and the other one-way
 * restrictions a process applies to itself before it handles untrusted
 * input (no_new_privs, resource limits).
 *
 * A filter is an allow-list: the listed system calls run, every other one
 * kills the whole process with SIGSYS (SECCOMP_RET_KILL_PROCESS), so a
 * compromised process cannot go on with a failed call it did not expect.
 * Calls from another ABI (x32, i386 on x86_64) are killed too. The parent
 * sees the kill as WTERMSIG == SIGSYS and can log it and penalise the
 * source as a crash.
 *
 * Installing a filter needs no privilege: sandbox_install() sets
 * PR_SET_NO_NEW_PRIVS first, which also stays on for every child and
 * exec (a setuid program can then not gain privileges). Irreversible. */
#ifndef SSHBOX_SANDBOX_H
#define SSHBOX_SANDBOX_H

#include <stddef.h>

/* At most this many system calls in one allow-list. */
#define SANDBOX_MAX_SYSCALLS 200

/* Installs an allow-list of system call numbers (__NR_* of the build's
 * architecture) for the calling thread and its future children.
 * Returns 0, or -1 with errno set (EINVAL for an empty or oversized list
 * or an unsupported architecture; the kernel's errno otherwise). Nothing
 * is installed on error, but no_new_privs may already be set. */
int sandbox_install(const int *syscalls, size_t n);

/* The allow-list that every sandboxed sshbox process needs whatever its
 * job: exit, signals return, memory management, time, reading/writing
 * descriptors it already holds, polling. Written to out (capacity cap);
 * returns the count, or 0 if cap is too small. Callers append their own
 * calls and pass the whole list to sandbox_install. */
size_t sandbox_base_syscalls(int *out, size_t cap);

/* 1 when the running kernel supports seccomp filters, else 0. */
int sandbox_available(void);

#endif
