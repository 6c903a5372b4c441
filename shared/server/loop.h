/* loop: the connection process's event-loop plumbing. Modules (session.c,
 * fwd.c, agentfwd.c) register fds to poll and child processes to reap,
 * each with a callback; the connection's poll loop (conn.c) adds the
 * watched fds to its poll set (loop_poll_prepare), runs the callbacks of
 * the ready ones (loop_poll_service) and reaps children when the SIGCHLD
 * self-pipe (loop_catch_sigchld) wakes it (loop_reap).
 *
 * One loop per process: the SIGCHLD handler writes to the pipe of the
 * loop that called loop_catch_sigchld last.
 */
#ifndef SSHBOX_LOOP_H
#define SSHBOX_LOOP_H

#include <stddef.h>
#include <sys/types.h>

#define LOOP_MAX_CHILD_WATCH 64
#define LOOP_MAX_FD_WATCH 128

typedef void (*loop_child_fn)(pid_t pid, int status, void *arg);
typedef void (*loop_fd_fn)(int fd, short revents, void *arg);

struct loop {
	struct {
		pid_t pid;
		loop_child_fn fn;
		void *arg;
	} child_watch[LOOP_MAX_CHILD_WATCH];
	struct {
		int fd;
		short events;
		loop_fd_fn fn;
		void *arg;
	} fd_watch[LOOP_MAX_FD_WATCH];
	int sigchld_pipe[2]; /* -1 until loop_catch_sigchld */
};

/* Empty loop, no pipe (children are then reaped only by loop_reap calls). */
void loop_init(struct loop *l);
/* Creates the self-pipe and installs the SIGCHLD handler that writes to
 * it (SA_RESTART | SA_NOCLDSTOP). 0, or -1 (logged). */
int loop_catch_sigchld(struct loop *l);
/* Closes the pipe; the handler then writes nowhere. */
void loop_free(struct loop *l);
/* The fd to poll for POLLIN (the pipe's read end), or -1. */
int loop_sigchld_fd(const struct loop *l);

/* Calls fn(pid, wait-status, arg) once pid has been reaped (a child
 * that is gone without a status reports 255 << 8). 0, or -1 when full. */
int loop_watch_child(struct loop *l, pid_t pid, loop_child_fn fn, void *arg);
/* Polls fd for events (POLLIN/POLLOUT) and calls fn with revents.
 * loop_unwatch_fd removes it (safe inside the callback). 0 or -1 (full). */
int loop_watch_fd(struct loop *l, int fd, short events, loop_fd_fn fn, void *arg);
void loop_unwatch_fd(struct loop *l, int fd);

/* Drains the self-pipe and reaps every watched child that exited. */
void loop_reap(struct loop *l);

struct pollfd;
/* Appends the watched fds to pfds (at most max); idx receives, per entry,
 * the watch slot (for loop_poll_service). Returns the number added. */
size_t loop_poll_prepare(const struct loop *l, struct pollfd *pfds, int *idx, size_t max);
/* Runs the callback of every entry with revents whose watch is unchanged. */
void loop_poll_service(struct loop *l, const struct pollfd *pfds, const int *idx, size_t n);

#endif
