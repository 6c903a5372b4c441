/* util: small helpers every module uses: secret wiping, constant-time
 * comparison, checked allocation, fd hygiene, monotonic time. */
#ifndef SSHBOX_UTIL_H
#define SSHBOX_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Wipes memory in a way the compiler cannot elide. */
void secure_zero(void *p, size_t n);
/* Constant-time equality of two equal-length byte strings: 1 if equal. */
int ct_memeq(const void *a, const void *b, size_t n);
/* Frees a NUL-terminated secret after wiping it. */
void free_secret_str(char *s);

/* strdup that aborts the process on failure (used only where failure
 * leaves no sane recovery, e.g. tiny fixed strings at startup). */
char *xstrdup(const char *s);

/* Full-length I/O that retries on EINTR and short counts. Return 0 on
 * success, -1 on error (errno set) or, for read_full, on early EOF (errno 0). */
int write_full(int fd, const void *p, size_t n);
int read_full(int fd, void *p, size_t n);

int set_nonblock(int fd, int on);
int set_cloexec(int fd, int on);
/* Closes every descriptor >= lowfd except keep (-1: none): close_range,
 * else (kernels < 5.9) a getdents64 walk of /proc/self/fd. Async-signal-
 * safe (no malloc, no stdio), so a vfork/fork child may call it. 0, or -1
 * when neither works (no /proc): nothing is closed then. */
int close_fds_except(int lowfd, int keep);
/* close_fds_except(lowfd, -1). */
int close_fds_from(int lowfd);
/* Closes *fd when it is open (>= 0) and sets it to -1: safe to call twice. */
void close_fd(int *fd);

/* A close-on-exec descriptor that behaves like /dev/null for a child's
 * stdio: reads give EOF at once and writes never block. /dev/null when it
 * can be opened; otherwise (a root filesystem without /dev, a chroot) an
 * empty memfd sealed against writes and growth (reads give EOF, writes fail
 * with EPERM). -1 (errno set) only if neither exists. *how (may be NULL)
 * names the kind: "/dev/null" or "sealed memfd". */
int open_empty_fd(const char **how);

/* Milliseconds from CLOCK_MONOTONIC. */
uint64_t monotonic_ms(void);

struct sockaddr_storage;
/* Numeric address and port of an AF_INET/AF_INET6 socket address; v4-mapped
 * IPv6 addresses print as IPv4 (as OpenSSH logs them); other families give
 * "UNKNOWN" and port 0. */
void sockaddr_to_str(const struct sockaddr_storage *ss, char *out, size_t cap, int *port);

/* Strict decimal parse into [min,max]; 0 on success. */
int parse_long(const char *s, long min, long max, long *out);

/* Reads a small text file (/proc) into text, at most cap - 1 bytes, and
 * NUL-terminates it. Length read, or -1 if it cannot be opened. */
long read_text_file(const char *path, char *text, size_t cap);

/* The port text of a PermitOpen/PermitListen-style entry: "host:port",
 * "[v6addr]:port" or, with allow_bare, just "port". NULL when malformed
 * (no port separator, empty host or brackets). The port is not checked. */
const char *hostport_port_text(const char *s, int allow_bare);

#endif
