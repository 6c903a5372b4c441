/* profile: a CPU profiler for the calling process, readable by pprof.
 *
 * Sampling: setitimer(ITIMER_PROF) delivers SIGPROF every 1/PROFILE_HZ s
 * of CPU time consumed by the process; the handler records the
 * interrupted PC and walks the frame-pointer chain (bounded depth, every
 * frame pointer checked to lie inside the main thread's stack, so a
 * binary built without -fno-omit-frame-pointer just yields short stacks,
 * never a crash) into a preallocated, bounded sample buffer.
 *
 * Output: a perftools.profiles.Profile protobuf (github.com/google/pprof
 * proto/profile.proto) encoded by hand, gzip-compressed, with mappings
 * from /proc/self/maps so `pprof -top BINARY profile.pb.gz` symbolizes
 * addresses against the (unstripped) binary. With zero samples it is still
 * a valid profile.
 *
 * Threads that must not be sampled should block SIGPROF. Stacks are walked
 * on the main thread only.
 */
#ifndef SSHBOX_PROFILE_H
#define SSHBOX_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;

#define PROFILE_HZ 100
#define PROFILE_MAX_DEPTH 32
#define PROFILE_MAX_SECONDS 30
#define PROFILE_MAX_SAMPLES (PROFILE_HZ * PROFILE_MAX_SECONDS * 2)

struct profile_sample {
	uint32_t depth;                  /* valid entries in pc[] */
	uintptr_t pc[PROFILE_MAX_DEPTH]; /* pc[0] = interrupted PC, then return addresses */
};

/* The sshd listener calls this once BEFORE it forks connection processes:
 * the profiler state becomes MAP_SHARED and the SIGPROF and
 * PROFILE_CTL_SIGNAL handlers are installed, so every forked connection
 * process can be profiled too (profile_start_pid). 0 or -1. */
int profile_shared_init(void);
/* The real-time signal that tells a target to arm/disarm its timer. */
int profile_ctl_signal(void);

/* Starts sampling the calling process. -1 with errno EBUSY when a profile
 * is already running, or another error. */
int profile_start(void);
/* Starts sampling pid, a fork of this process made after
 * profile_shared_init (pid <= 0: this process). The target must catch
 * both signals (checked in /proc/PID/status SigCgt; never signals a
 * process that would die of it): else -1 with errno ESRCH. It stops
 * itself PROFILE_MAX_SECONDS + 5 s after the start at the latest. */
int profile_start_pid(pid_t pid);
/* Stops sampling and appends the gzip-compressed pprof profile to out. */
int profile_stop(struct buf *out);
int profile_running(void);

/* Encodes samples as an uncompressed pprof Profile. maps_text is the text
 * of /proc/<pid>/maps (NULL: read /proc/self/maps). period_ns is the
 * sampling period. Exposed for tests. */
int profile_encode(const struct profile_sample *s, size_t n, const char *maps_text, uint64_t period_ns,
		   int64_t time_nanos, int64_t duration_nanos, struct buf *out);

/* gzip (RFC 1952) of in[0..n) appended to out. Without zlib
 * (CONFIG_ZLIB=0) it fails with BUF_ERR_FORMAT. */
int gzip_compress(const void *in, size_t n, struct buf *out);

#endif
