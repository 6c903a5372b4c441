/* spawn: runs the child applets (exec, networking, checkhomedir, sftp).
 *
 * At daemon start, ONCE (never per session), spawn_init() copies the
 * sshbox-helper executable embedded in the full binary into a sealed memfd
 * and self-tests it; every child is then started from that one copy with
 * fork + execveat(fd, "", argv, envp, AT_EMPTY_PATH). argv[0] is always the
 * applet name, which is all the dispatcher needs, whatever the method.
 *
 * Methods, tried in this order unless one is forced; each refusal is logged
 * with its reason:
 *   "memfd"    memfd_create(MFD_CLOEXEC|MFD_ALLOW_SEALING|MFD_EXEC), filled
 *              with write(), fchmod 0555, sealed (EXEC where supported, then
 *              SEAL|SHRINK|GROW|WRITE), seals verified with F_GET_SEALS.
 *              /proc/PID/exe of a child: "/memfd:sshbox-helper (deleted)".
 *   "tmpfile"  O_TMPFILE file in the first exec-able candidate directory
 *              (spawn_set_candidate_dir's, $TMPDIR, /dev/shm, /tmp, /var/tmp,
 *              /run), reopened read-only.
 *   "mkstemp"  mkostemp + unlink in the same candidates, reopened read-only.
 *   "procself" /proc/self/exe (the full binary, which has the same applets),
 *              opened O_PATH at init so later upgrades on disk don't matter.
 * The self-test runs `checkhomedir --self-test` from the candidate and
 * requires exit status 0 (within 5 s) before a method is accepted.
 *
 * Forcing: spawn_init(method) with "memfd"|"tmpfile"|"mkstemp"|"procself"
 * (e.g. from sshd_config's HelperExecMethod); NULL, "" or "auto" means the
 * environment variable SSHBOX_HELPER_METHOD decides, and if that is unset
 * too, the automatic order above. A forced method that fails is an error
 * (no fallback), so tests know which path ran.
 *
 * Parent-death signal: Linux sends it when the *thread* that forked exits,
 * so call spawn_applet from a thread that lives as long as the child should.
 *
 * Thread-safety: call spawn_init before starting threads. spawn_applet may be
 * called from any thread (it only reads the initialised state; counters are
 * atomic). The child between fork and exec only makes async-signal-safe
 * calls (plus the caller's child_setup hook).
 */
#ifndef SSHBOX_SPAWN_H
#define SSHBOX_SPAWN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Called by the full binary's main() before dispatching: registers the
 * embedded helper image (sshbox_helper_blob..sshbox_helper_blob_end). The
 * helper binary and unit tests don't call it; without an image only the
 * "procself" method is available. */
void spawn_set_embedded_image(const void *image, size_t len);

/* Once per daemon. forced_method: see above. 0 on success, -1 on failure
 * (logged). A second call after success returns 0 and changes nothing. */
int spawn_init(const char *forced_method);

/* For tests and benchmarks: (re)initialise from an arbitrary executable
 * image. procself_path replaces "/proc/self/exe" for the procself method
 * (NULL: /proc/self/exe); selftest_argv (NULL-terminated, argv[0] included;
 * NULL: {"checkhomedir", "--self-test"}) is what the self-test runs and must
 * exit 0. Discards any previous state first. */
int spawn_init_image(const void *image, size_t len, const char *forced_method,
		     const char *procself_path, const char *const *selftest_argv);

/* Optional, before spawn_init: a directory tried first by the tmpfile and
 * mkstemp fallbacks (e.g. sshd's DataDirectory). Copied; must be absolute. */
void spawn_set_candidate_dir(const char *dir);

/* Closes the executable fd and forgets the method (tests). */
void spawn_reset(void);

/* "memfd", "tmpfile", "mkstemp", "procself", or "none" before init. */
const char *spawn_method_name(void);
/* The fd children are executed from (-1 before init). Close-on-exec. */
int spawn_exec_fd(void);
/* Seals on the memfd (F_GET_SEALS), 0 for other methods. */
int spawn_seals(void);

/* One fd the child gets: child_fd (0..SPAWN_MAX_CHILD_FD) becomes a copy of
 * parent_fd; parent_fd == -1 gives the child an empty descriptor there (/dev/null, or
 * a sealed empty memfd when /dev/null cannot be opened; spawn_init opens it
 * once, so children never open anything themselves). Child fds 0,
 * 1 and 2 that are not listed get it too. Every other fd is closed in the
 * child. Mappings may overlap (e.g. {0, 1}, {1, 0}): all are resolved via
 * temporary copies first. */
#define SPAWN_MAX_CHILD_FD 63
#define SPAWN_MAX_FDS 16
#define SPAWN_MAX_ARGS 256
struct spawn_fd {
	int child_fd;
	int parent_fd;
};

struct spawn_opts {
	const struct spawn_fd *fds; /* may be NULL when nfds == 0 */
	size_t nfds;                /* <= SPAWN_MAX_FDS */
	char *const *envp;          /* child environment; NULL: empty */
	int pdeathsig;              /* 0: SIGKILL; -1: none; else that signal */
	int new_session;            /* 1: setsid() in the child */
	/* Runs in the child after fds and signals are set up and before exec
	 * (e.g. dropping privileges for checkhomedir). Must be
	 * async-signal-safe if the caller has threads. Non-zero return: the
	 * child exits 255 without exec. The parent-death signal is armed again
	 * after it (credential changes clear it). */
	int (*child_setup)(void *arg);
	void *child_arg;
};

/* Starts `applet args...` from the helper: argv = {applet, args[0], ...}.
 * args is NULL-terminated (may be NULL). opts may be NULL (stdio /dev/null,
 * empty env, SIGKILL on parent death). The child's signal mask is empty and
 * all dispositions are default. Returns the child's pid, or -1 (errno set;
 * counted as a failure). An exec failure in the child shows as exit status
 * 127 (and also counts as a failure when reaped through spawn_wait). */
pid_t spawn_applet(const char *applet, char *const args[], const struct spawn_opts *opts);

/* Waits for pid. timeout_ms < 0: forever; on timeout the child is killed
 * (SIGKILL) and reaped, and -2 is returned. Otherwise the exit status
 * (0..255), 128+signal if killed by a signal, or -1 on waitpid error. */
int spawn_wait(pid_t pid, int timeout_ms);

/* spawn_applet + spawn_wait. */
int spawn_run(const char *applet, char *const args[], const struct spawn_opts *opts, int timeout_ms);

/* Counters for metrics. */
struct spawn_stats {
	uint64_t spawned;       /* successful forks */
	uint64_t failed;        /* fork failures, bad arguments, exit 127 seen by spawn_wait */
	uint64_t init_fallbacks; /* methods refused during spawn_init */
};
void spawn_get_stats(struct spawn_stats *out);

/* `sshbox --spawn-selftest [--deny-memfd] [METHOD]` (full binary, hidden;
 * used by tests/integration/test_foundation.sh): initialises with METHOD
 * (default auto), spawns `checkhomedir --self-test` with fd 3 mapped and
 * prints "method=M", "exe=<readlink /proc/PID/exe>", "comm=<name>",
 * "child=<its self-test line>" and "status=N". --deny-memfd first installs a
 * seccomp filter making memfd_create fail with EACCES (simulates a host
 * that refuses exec-able memfds). Returns the process exit status. */
int spawn_selftest_main(int argc, char **argv);

#endif
