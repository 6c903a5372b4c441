/* sandbox: see sandbox.h. The filter is classic BPF over struct
 * seccomp_data: check the architecture, refuse the x32 ABI, then compare
 * the system call number with each allowed one. */
#include "sandbox.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#define SANDBOX_X32_BIT 0x40000000u /* __X32_SYSCALL_BIT */
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#endif

#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000u
#endif

/* Filter layout (indices), with n allowed calls:
 *   0..4        check the architecture, load the number, refuse x32
 *   5..5+n-1    one test per allowed call
 *   KILL, ALLOW the two verdicts
 *   NOEXEC..    mmap/mprotect: allowed only without PROT_EXEC (no new
 *               executable memory in a sandboxed process) */
#define PROLOGUE_LEN 5
#define FILTER_MAX (PROLOGUE_LEN + SANDBOX_MAX_SYSCALLS + 6)
_Static_assert(SANDBOX_MAX_SYSCALLS + 2 <= 255, "BPF jump offsets are 8 bits");

int sandbox_available(void)
{
	/* PR_GET_SECCOMP answers 0 (not sandboxed) where seccomp exists. */
	return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
}

#ifdef SANDBOX_ARCH
/* Offset of a jump at index from to index to (BPF counts from the next). */
static uint8_t jump_to(size_t from, size_t to)
{
	return (uint8_t)(to - from - 1);
}

static int needs_noexec(int nr)
{
#ifdef SYS_mprotect
	if (nr == SYS_mprotect)
		return 1;
#endif
	return nr == SYS_mmap;
}

/* Writes the filter into f (capacity FILTER_MAX); returns its length. */
static size_t build_filter(struct sock_filter *f, const int *syscalls, size_t n)
{
	const size_t kill = PROLOGUE_LEN + n, allow = kill + 1, noexec = allow + 1;
	size_t k = 0;
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0);
	k++;
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#ifdef SANDBOX_X32_BIT
	/* x32 numbers have the bit set: they would alias the allowed ones. */
	f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, SANDBOX_X32_BIT, jump_to(k, kill), 0);
#else
	f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0);
#endif
	k++;
	for (size_t i = 0; i < n; i++, k++)
		f[k] =
		    (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)syscalls[i],
						 jump_to(k, needs_noexec(syscalls[i]) ? noexec : allow), 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	/* prot is argument 2 of both; its low 32 bits (little-endian). */
	f[k++] =
	    (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2]));
	f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 1, 0);
	k++;
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	return k;
}
#endif

int sandbox_install(const int *syscalls, size_t n)
{
#ifndef SANDBOX_ARCH
	(void)syscalls;
	(void)n;
	errno = EINVAL;
	return -1;
#else
	/* Jump offsets are 8 bits: SANDBOX_MAX_SYSCALLS keeps them in range. */
	if (!syscalls || n == 0 || n > SANDBOX_MAX_SYSCALLS) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (syscalls[i] < 0) {
			errno = EINVAL;
			return -1;
		}
	}
	struct sock_filter f[FILTER_MAX];
	struct sock_fprog prog = {.len = (unsigned short)build_filter(f, syscalls, n), .filter = f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
		return -1;
	return 0;
#endif
}

/* Calls every sandboxed process makes: libc's exit and memory paths,
 * signal return, clocks, and I/O on descriptors it already holds. */
static const int base_syscalls[] = {
    SYS_read,
    SYS_write,
    SYS_readv,
    SYS_writev,
    SYS_close,
    SYS_exit,
    SYS_exit_group,
    SYS_rt_sigreturn,
    SYS_rt_sigprocmask,
    SYS_rt_sigaction,
    SYS_brk,
    SYS_mmap,
    SYS_munmap,
    SYS_mremap,
    SYS_madvise,
    SYS_clock_gettime,
    SYS_gettimeofday,
    SYS_nanosleep,
    SYS_getpid,
    SYS_gettid,
    SYS_getrandom,
    SYS_poll,
    SYS_ppoll,
    SYS_fcntl,
    SYS_lseek,
    SYS_fstat,
    SYS_futex,
    SYS_restart_syscall,
#ifdef SYS_clock_nanosleep
    SYS_clock_nanosleep,
#endif
#ifdef SYS_newfstatat
    SYS_newfstatat,
#endif
#ifdef SYS_statx
    SYS_statx,
#endif
#ifdef SYS_mprotect
    SYS_mprotect,
#endif
};

size_t sandbox_base_syscalls(int *out, size_t cap)
{
	size_t n = sizeof(base_syscalls) / sizeof(base_syscalls[0]);
	if (!out || cap < n)
		return 0;
	for (size_t i = 0; i < n; i++)
		out[i] = base_syscalls[i];
	return n;
}
