#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

void secure_zero(void *p, size_t n)
{
	/* A volatile function pointer stops the compiler from proving the
	 * memset dead, on both musl (no explicit_bzero guarantee) and glibc. */
	static void *(*const volatile wipe)(void *, int, size_t) = memset;
	if (p && n)
		wipe(p, 0, n);
}

int ct_memeq(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= (unsigned char)(x[i] ^ y[i]);
	return acc == 0;
}

void free_secret_str(char *s)
{
	if (s) {
		secure_zero(s, strlen(s));
		free(s);
	}
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p) {
		fputs("sshbox: out of memory\n", stderr);
		abort();
	}
	return p;
}

int write_full(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int read_full(int fd, void *p, size_t n)
{
	char *c = p;
	while (n > 0) {
		ssize_t r = read(fd, c, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = 0;
			return -1;
		}
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Turns one bit of a descriptor's flags (get/set: F_GETFL/F_SETFL or
 * F_GETFD/F_SETFD) on or off. */
static int set_fd_flag(int fd, int get, int set, int flag, int on)
{
	int fl = fcntl(fd, get);
	if (fl < 0)
		return -1;
	fl = on ? (fl | flag) : (fl & ~flag);
	return fcntl(fd, set, fl);
}

int set_nonblock(int fd, int on)
{
	return set_fd_flag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on);
}

/* memfd constants newer than some libc headers. */
#define EMPTY_MFD_CLOEXEC 0x0001U
#define EMPTY_MFD_ALLOW_SEALING 0x0002U
#define EMPTY_MFD_NOEXEC_SEAL 0x0008U
#define EMPTY_SEALS (0x0001 | 0x0002 | 0x0004 | 0x0008) /* SEAL, SHRINK, GROW, WRITE */
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#endif

static int sealed_empty_memfd(void)
{
	/* NOEXEC_SEAL keeps it legal under vm.memfd_noexec=2; kernels < 6.3
	 * reject the flag with EINVAL. */
	int fd = (int)syscall(SYS_memfd_create, "sshbox-empty",
			      EMPTY_MFD_CLOEXEC | EMPTY_MFD_ALLOW_SEALING | EMPTY_MFD_NOEXEC_SEAL);
	if (fd < 0 && errno == EINVAL)
		fd = (int)syscall(SYS_memfd_create, "sshbox-empty",
				  EMPTY_MFD_CLOEXEC | EMPTY_MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	if (fcntl(fd, F_ADD_SEALS, EMPTY_SEALS) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int open_empty_fd(const char **how)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		if (how)
			*how = "/dev/null";
		return fd;
	}
	fd = sealed_empty_memfd();
	if (fd >= 0 && how)
		*how = "sealed memfd";
	return fd;
}

int set_cloexec(int fd, int on)
{
	return set_fd_flag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on);
}

/* Closes [lo, hi] with close_range; 0 when the kernel has it. */
static int close_span(int lo, int hi)
{
#ifdef SYS_close_range
	if (lo > hi)
		return 0;
	return syscall(SYS_close_range, (unsigned)lo, (unsigned)hi, 0u) == 0 ? 0 : -1;
#else
	(void)lo;
	(void)hi;
	return -1;
#endif
}

/* A decimal descriptor name of a /proc/self/fd entry, or -1. */
static int fd_name(const char *name)
{
	int fd = 0;
	if (!name[0])
		return -1;
	for (const char *p = name; *p; p++) {
		if (*p < '0' || *p > '9' || fd > (INT_MAX - 9) / 10)
			return -1;
		fd = fd * 10 + (*p - '0');
	}
	return fd;
}

/* Kernels < 5.9: walk /proc/self/fd with getdents64 (no malloc). Closing
 * while walking is safe: the kernel reads the fd table as it goes. */
static int close_by_walk(int lowfd, int keep)
{
	int d = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return -1;
	char dents[4096];
	long n;
	while ((n = syscall(SYS_getdents64, d, dents, sizeof(dents))) > 0) {
		for (long off = 0; off + 19 < n;) {
			unsigned short reclen; /* struct linux_dirent64: d_reclen at 16, d_name at 19 */
			memcpy(&reclen, dents + off + 16, sizeof(reclen));
			if (reclen == 0 || off + reclen > n)
				break;
			int fd = fd_name(dents + off + 19);
			if (fd >= lowfd && fd != keep && fd != d)
				close(fd);
			off += reclen;
		}
	}
	close(d);
	return 0;
}

int close_fds_except(int lowfd, int keep)
{
	if (keep < lowfd) {
		if (close_span(lowfd, INT_MAX) == 0)
			return 0;
	} else if (close_span(lowfd, keep - 1) == 0 && close_span(keep + 1, INT_MAX) == 0) {
		return 0;
	}
	return close_by_walk(lowfd, keep);
}

int close_fds_from(int lowfd)
{
	return close_fds_except(lowfd, -1);
}

uint64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	if (!s || !*s)
		return -1;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

void sockaddr_to_str(const struct sockaddr_storage *ss, char *out, size_t cap, int *port)
{
	out[0] = 0;
	*port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s->sin_addr, out, (socklen_t)cap);
		*port = ntohs(s->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr))
			inet_ntop(AF_INET, &s->sin6_addr.s6_addr[12], out, (socklen_t)cap);
		else
			inet_ntop(AF_INET6, &s->sin6_addr, out, (socklen_t)cap);
		*port = ntohs(s->sin6_port);
	} else {
		snprintf(out, cap, "UNKNOWN");
	}
}

const char *hostport_port_text(const char *s, int allow_bare)
{
	if (*s == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':' || rb == s + 1)
			return NULL;
		return rb + 2;
	}
	const char *colon = strrchr(s, ':');
	if (!colon)
		return allow_bare ? s : NULL;
	return colon == s ? NULL : colon + 1;
}

long read_text_file(const char *path, char *text, size_t cap)
{
	if (cap == 0)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = 0;
	while (len < cap - 1) {
		ssize_t r = read(fd, text + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	text[len] = 0;
	return (long)len;
}

void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}
