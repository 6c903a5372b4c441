/* child_sandbox: see child_sandbox.h. The lists name the calls of both
 * libcs we build with: the static musl flavour mostly uses the old calls
 * (open, stat, mkdir), glibc the *at ones (openat, newfstatat, mkdirat);
 * calls that only exist on some architectures are under #ifdef, so the
 * same lists build for aarch64 (where only the *at calls exist). */
#include "child_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <pwd.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* File system calls both children make: metadata, directories, removal. */
#define FS_META_CALLS                                                                                        \
	SYS_newfstatat, SYS_unlinkat, SYS_mkdirat, SYS_getcwd, SYS_umask, SYS_getuid, SYS_geteuid,           \
	    SYS_getgid, SYS_getegid, SYS_getppid

/* sftp: every operation of shared/child/sftp_ops.c on the user's files,
 * plus sendto for syslog on the socket opened before the sandbox. */
static const int sftp_calls[] = {
    FS_META_CALLS,  SYS_openat,	   SYS_pread64,	  SYS_pwrite64,	  SYS_getdents64, SYS_fchmod,
    SYS_fchmodat,   SYS_fchown,	   SYS_fchownat,  SYS_utimensat,  SYS_truncate,	  SYS_ftruncate,
    SYS_renameat,   SYS_linkat,	   SYS_symlinkat, SYS_readlinkat, SYS_statfs,	  SYS_fstatfs,
    SYS_fsync,	    SYS_fdatasync, SYS_chdir,	  SYS_fchdir,	  SYS_faccessat,  SYS_sendto,
#ifdef SYS_open
    SYS_open,	    SYS_stat,	   SYS_lstat,	  SYS_getdents,	  SYS_chmod,	  SYS_chown,
    SYS_lchown,	    SYS_utimes,	   SYS_futimesat, SYS_unlink,	  SYS_rmdir,	  SYS_mkdir,
    SYS_rename,	    SYS_link,	   SYS_symlink,	  SYS_readlink,	  SYS_access,
#endif
#ifdef SYS_renameat2
    SYS_renameat2,
#endif
#ifdef SYS_faccessat2
    SYS_faccessat2,
#endif
#ifdef SYS_fchmodat2
    SYS_fchmodat2,
#endif
};

/* Name-service lookups (ls -l names, home-directory, users-groups-by-id)
 * ask nscd or systemd-userdb over a unix socket first and fall back to
 * the files when socket() fails: so socket() fails, and connect() (musl's
 * syslog reconnects with it after the log daemon restarts) fails too. No
 * socket can be made; nothing but the one syslog socket can be sent to. */
static const struct sandbox_rule sftp_rules[] = {
    {.nr = SYS_socket, .kind = SANDBOX_FAIL, .err = EAFNOSUPPORT},
    {.nr = SYS_connect, .kind = SANDBOX_FAIL, .err = ECONNREFUSED},
};

/* networking: sockets of every family it serves, the dial workers
 * (fork, wait, alarm), creating and removing unix sockets and the agent
 * directory; getaddrinfo reads /etc/hosts, resolv.conf and nsswitch.conf. */
static const int networking_calls[] = {
    FS_META_CALLS,   SYS_socket,      SYS_connect,
    SYS_bind,	     SYS_listen,      SYS_accept,
    SYS_accept4,     SYS_getsockopt,  SYS_setsockopt,
    SYS_getsockname, SYS_getpeername, SYS_sendto,
    SYS_recvfrom,    SYS_sendmsg,     SYS_recvmsg,
    SYS_sendmmsg,    SYS_recvmmsg,    SYS_shutdown,
    SYS_clone,	     SYS_wait4,	      SYS_set_robust_list,
    SYS_setitimer,   SYS_uname,
#ifdef SYS_fork
    SYS_fork,	     SYS_alarm,	      SYS_stat,
    SYS_lstat,	     SYS_unlink,      SYS_rmdir,
    SYS_mkdir,
#endif
};

/* Files are opened only to read them (resolver configuration): no new or
 * truncated files. __O_TMPFILE's own bit (O_TMPFILE without O_DIRECTORY)
 * is spelled out because musl's headers hide it. */
#define OPEN_WRITE_BITS ((uint32_t)(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | 020000000))
/* glibc's resolver sizes each DNS answer with ioctl FIONREAD: that one
 * request only (no terminal or device ioctls). */
static const struct sandbox_rule networking_rules[] = {
    {.nr = SYS_ioctl, .kind = SANDBOX_ARG_EQ, .arg = 1, .bits = FIONREAD},
    {.nr = SYS_openat, .kind = SANDBOX_ARG_CLEAR, .arg = 2, .bits = OPEN_WRITE_BITS},
#ifdef SYS_open
    {.nr = SYS_open, .kind = SANDBOX_ARG_CLEAR, .arg = 1, .bits = OPEN_WRITE_BITS},
#endif
};

#define LIST(a) (a), sizeof(a) / sizeof((a)[0])

/* The base list plus the kind's own calls (static: the filter is built
 * from it once; sandbox_apply copies nothing). */
static size_t merge(int *out, size_t cap, const int *own, size_t n)
{
	size_t k = sandbox_base_syscalls(out, cap);
	if (k == 0 || k + n > cap)
		return 0;
	for (size_t i = 0; i < n; i++)
		out[k++] = own[i];
	return k;
}

void child_sandbox_policy(enum child_sandbox_kind kind, struct sandbox_policy *p)
{
	static int list[SANDBOX_MAX_SYSCALLS];
	memset(p, 0, sizeof(*p));
	p->trap = 1;
	p->allow = list;
	if (kind == CHILD_SANDBOX_SFTP) {
		p->name = "sftp";
		p->n_allow = merge(list, SANDBOX_MAX_SYSCALLS, LIST(sftp_calls));
		p->rules = sftp_rules;
		p->n_rules = sizeof(sftp_rules) / sizeof(sftp_rules[0]);
	} else {
		p->name = "networking";
		p->n_allow = merge(list, SANDBOX_MAX_SYSCALLS, LIST(networking_calls));
		p->rules = networking_rules;
		p->n_rules = sizeof(networking_rules) / sizeof(networking_rules[0]);
	}
}

/* libc loads name-service modules (glibc dlopens libnss_*, which maps
 * executable memory) and reads the time zone on first use: do both now,
 * while that is still allowed. A uid/gid that no file lists makes glibc
 * walk (and load) every module in nsswitch.conf, not only "files". */
static void warm_up_libc(enum child_sandbox_kind kind)
{
	time_t now = time(NULL);
	struct tm tm;
	tzset();
	localtime_r(&now, &tm);
	if (kind != CHILD_SANDBOX_SFTP)
		return;
	(void)getpwuid(getuid());
	(void)getgrgid(getgid());
	(void)getpwuid((uid_t)-2);
	(void)getgrgid((gid_t)-2);
	endpwent();
	endgrent();
}

int child_sandbox_enter(enum child_sandbox_kind kind)
{
	const char *name = kind == CHILD_SANDBOX_SFTP ? "sftp" : "networking";
	if (!sandbox_supported() || !sandbox_available()) {
		log_warn("%s: no seccomp filter on this %s: running without a system call sandbox", name,
			 sandbox_supported() ? "kernel" : "architecture");
		return 1;
	}
	warm_up_libc(kind);
	struct sandbox_policy p;
	child_sandbox_policy(kind, &p);
	if (p.n_allow == 0 || sandbox_apply(&p) != 0) {
		log_error("%s: cannot install the system call sandbox: %s", name, strerror(errno));
		return -1;
	}
	log_debug("%s: system call sandbox installed (%zu calls, %zu rules)", name, p.n_allow, p.n_rules);
	return 0;
}
