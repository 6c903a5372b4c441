/* Private to shared/ipc/spawn*.c and helper_image.c: the state the
 * launcher (spawn.c) and the helper-image builder (helper_image.c) share,
 * and kernel constants newer than some libc headers. */
#ifndef SSHBOX_SPAWN_INTERNAL_H
#define SSHBOX_SPAWN_INTERNAL_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>

/* Constants newer than some libc/kernel headers. */
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#endif
#ifndef F_GET_SEALS
#define F_GET_SEALS 1034
#endif
#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x0001
#endif
#ifndef F_SEAL_SHRINK
#define F_SEAL_SHRINK 0x0002
#endif
#ifndef F_SEAL_GROW
#define F_SEAL_GROW 0x0004
#endif
#ifndef F_SEAL_WRITE
#define F_SEAL_WRITE 0x0008
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

#define REQUIRED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#define SELFTEST_TIMEOUT_MS 5000
#define EMPTY_FD_MIN 100 /* the empty stdio descriptor sits at or above this */

enum spawn_method { M_NONE = 0, M_MEMFD, M_TMPFILE, M_MKSTEMP, M_PROCSELF };
extern const char *const spawn_method_names[];

/* The one executable copy children are started from. */
struct spawn_state {
	const void *embedded; /* the image registered by spawn_set_embedded_image */
	size_t embedded_len;
	int fd; /* -1 before init */
	enum spawn_method method;
	int seals;
	/* Opened once by spawn_init, before any chroot, and given to children
	 * for the stdio they don't get: a child never opens /dev/null itself
	 * (a root filesystem without /dev must not break every session). */
	int empty_fd;
};
extern struct spawn_state spawn_state;
extern uint64_t spawn_n_fallbacks; /* atomic */

/* fork + execveat(exfd) with argv (argv[0] the applet); o may be NULL. */
pid_t spawn_from_fd(int exfd, char *const argv[], const struct spawn_opts *o);
/* Waits for pid up to timeout_ms: its exit status (signal: 128 + n), -2 on
 * timeout (the child is killed and reaped), -1 on error. */
int spawn_wait_pid(pid_t pid, int timeout_ms);

/* "/proc/self/fd/N" into out, async-signal-safe (no snprintf). */
void spawn_fd_path(char out[32], int fd);

#endif
