/* sandbox: see sandbox.h. The filter is classic BPF over struct
 * seccomp_data: check the architecture, refuse the x32 ABI, then compare
 * the system call number with each allowed one. */
#include "sandbox.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
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

/* Filter layout (indices), with a allowed calls and r rules:
 *   0..4            check the architecture, load the number, refuse x32
 *   5..5+a-1        one test per allowed call (to ALLOW, or NOEXEC)
 *   5+a..5+a+r-1    one test per rule (to the rule's block)
 *   DENY, ALLOW     the two verdicts
 *   NOEXEC..        mmap/mprotect: allowed only without PROT_EXEC (no new
 *                   executable memory in a sandboxed process)
 *   rule blocks     SANDBOX_FAIL: one return; SANDBOX_ARG_*: four */
#define PROLOGUE_LEN 5
#define NOEXEC_LEN 4
#define ARG_CHECK_LEN 4
#define FILTER_MAX                                                                                           \
	(PROLOGUE_LEN + SANDBOX_MAX_SYSCALLS + SANDBOX_MAX_RULES + 2 + NOEXEC_LEN +                          \
	 SANDBOX_MAX_RULES * ARG_CHECK_LEN)
#define JUMP_MAX 255 /* BPF conditional jump offsets are 8 bits */
/* The trap handler repeats a call that no filter allows: numbers from here
 * up are unused on every supported architecture (x86_64 ends below 500). */
#define SANDBOX_UNUSED_NR_MIN 1000

int sandbox_available(void)
{
	/* PR_GET_SECCOMP answers 0 (not sandboxed) where seccomp exists. */
	return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
}

#ifdef SANDBOX_ARCH
int sandbox_supported(void)
{
	return 1;
}

static int needs_noexec(int nr)
{
#ifdef SYS_mprotect
	if (nr == SYS_mprotect)
		return 1;
#endif
	return nr == SYS_mmap;
}

struct builder {
	struct sock_filter *f;
	size_t k;
	int bad; /* a jump did not fit in 8 bits */
};

static void emit(struct builder *b, struct sock_filter ins)
{
	b->f[b->k++] = ins;
}

/* A compare at the current index that jumps to index `to` when equal. */
static void emit_jeq(struct builder *b, uint32_t value, size_t to)
{
	size_t off = to - b->k - 1;
	if (off > JUMP_MAX)
		b->bad = 1;
	emit(b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, (uint8_t)off, 0));
}

/* Allowed when the low 32 bits of args[arg] have none of bits set (eq 0)
 * or equal bits (eq 1). */
static void emit_arg_check(struct builder *b, unsigned arg, uint32_t bits, int eq, uint32_t deny)
{
	/* The low word of a 64-bit argument (little-endian on both arches). */
	emit(b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, args[arg])));
	if (eq)
		emit(b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, bits, 0, 1));
	else
		emit(b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, bits, 1, 0));
	emit(b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	emit(b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deny));
}

static size_t rule_len(const struct sandbox_rule *r)
{
	return r->kind == SANDBOX_FAIL ? 1 : ARG_CHECK_LEN;
}

/* Writes the filter for p into f (capacity FILTER_MAX); returns its
 * length, or 0 when a jump would not fit. */
static size_t build_filter(struct sock_filter *f, const struct sandbox_policy *p)
{
	const uint32_t deny_action = p->trap ? SECCOMP_RET_TRAP : SECCOMP_RET_KILL_PROCESS;
	const size_t deny = PROLOGUE_LEN + p->n_allow + p->n_rules, allow = deny + 1, noexec = allow + 1;
	struct builder b = {.f = f};
	emit(&b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
	emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0));
	/* A foreign architecture's numbers mean other calls: always kill. */
	emit(&b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	emit(&b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
#ifdef SANDBOX_X32_BIT
	/* x32 numbers have the bit set: they would alias the allowed ones. */
	emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, SANDBOX_X32_BIT,
					      (uint8_t)(deny - b.k - 1), 0));
#else
	emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0));
#endif
	for (size_t i = 0; i < p->n_allow; i++)
		emit_jeq(&b, (uint32_t)p->allow[i], needs_noexec(p->allow[i]) ? noexec : allow);
	size_t block = noexec + NOEXEC_LEN;
	for (size_t i = 0; i < p->n_rules; i++) {
		emit_jeq(&b, (uint32_t)p->rules[i].nr, block);
		block += rule_len(&p->rules[i]);
	}
	emit(&b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deny_action));
	emit(&b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	/* prot is argument 2 of both mmap and mprotect. */
	emit_arg_check(&b, 2, PROT_EXEC, 0, deny_action);
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct sandbox_rule *r = &p->rules[i];
		if (r->kind == SANDBOX_FAIL)
			emit(&b,
			     (struct sock_filter)BPF_STMT(
				 BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((uint32_t)r->err & SECCOMP_RET_DATA)));
		else
			emit_arg_check(&b, r->arg, r->bits, r->kind == SANDBOX_ARG_EQ, deny_action);
	}
	return b.bad ? 0 : b.k;
}

static int listed(const int *list, size_t n, int nr)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == nr)
			return 1;
	return 0;
}

static int policy_ok(const struct sandbox_policy *p)
{
	if (!p || !p->allow || p->n_allow == 0 || p->n_allow > SANDBOX_MAX_SYSCALLS ||
	    p->n_rules > SANDBOX_MAX_RULES || (p->n_rules && !p->rules))
		return 0;
	for (size_t i = 0; i < p->n_allow; i++)
		if (p->allow[i] < 0 || p->allow[i] >= SANDBOX_UNUSED_NR_MIN)
			return 0;
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct sandbox_rule *r = &p->rules[i];
		if (r->nr < 0 || r->nr >= SANDBOX_UNUSED_NR_MIN || needs_noexec(r->nr) ||
		    listed(p->allow, p->n_allow, r->nr))
			return 0;
		if (r->kind == SANDBOX_FAIL ? (r->err < 1 || r->err > 4095)
					    : ((r->kind != SANDBOX_ARG_CLEAR && r->kind != SANDBOX_ARG_EQ) ||
					       r->arg > 5 || (r->kind == SANDBOX_ARG_CLEAR && r->bits == 0)))
			return 0;
		for (size_t j = 0; j < i; j++)
			if (p->rules[j].nr == r->nr)
				return 0;
	}
	return 1;
}

static char trap_name[32];

/* Appends the decimal value of v to line at *k (line has room). */
static void put_number(char *line, size_t *k, unsigned long v)
{
	char digits[24];
	size_t n = 0;
	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		line[(*k)++] = digits[--n];
}

static void put_text(char *line, size_t *k, const char *s)
{
	while (*s)
		line[(*k)++] = *s++;
}

/* SIGSYS from SECCOMP_RET_TRAP: async-signal-safe, raw calls only. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	char line[128];
	size_t k = 0;
	put_text(line, &k, "sandbox ");
	put_text(line, &k, trap_name);
	put_text(line, &k, ": forbidden system call ");
	put_number(line, &k, (unsigned long)(unsigned)si->si_syscall);
	line[k++] = '\n';
	syscall(SYS_write, 2, line, k);
	/* No filter allows this number; SIGSYS is blocked while we run, so
	 * the kernel now resets it to the default action: death by SIGSYS,
	 * which the parent logs as for SECCOMP_RET_KILL_PROCESS. */
	syscall(SANDBOX_UNUSED_NR_MIN);
	syscall(SYS_exit_group, 128 + SIGSYS);
}

static int install_trap_handler(const char *name)
{
	size_t i = 0;
	for (; name && name[i] && i + 1 < sizeof(trap_name); i++)
		trap_name[i] = name[i];
	trap_name[i] = '\0';
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	sigset_t sys;
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return -1;
	return sigprocmask(SIG_UNBLOCK, &sys, NULL);
}
#else
int sandbox_supported(void)
{
	return 0;
}
#endif

int sandbox_apply(const struct sandbox_policy *p)
{
#ifndef SANDBOX_ARCH
	(void)p;
	errno = EINVAL;
	return -1;
#else
	struct sock_filter f[FILTER_MAX];
	size_t len = policy_ok(p) ? build_filter(f, p) : 0;
	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	struct sock_fprog prog = {.len = (unsigned short)len, .filter = f};
	if (p->trap && install_trap_handler(p->name) != 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
		return -1;
	return 0;
#endif
}

int sandbox_install(const int *syscalls, size_t n)
{
	struct sandbox_policy p = {.name = "", .allow = syscalls, .n_allow = n};
	return sandbox_apply(&p);
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
