/* loop: fd and child watches, SIGCHLD self-pipe. See loop.h. */
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

static int sigchld_wfd = -1;

static void on_sigchld(int sig)
{
	(void)sig;
	int e = errno;
	if (sigchld_wfd >= 0) {
		char b = 1;
		ssize_t w = write(sigchld_wfd, &b, 1);
		(void)w;
	}
	errno = e;
}

void loop_init(struct loop *l)
{
	memset(l, 0, sizeof(*l));
	for (int i = 0; i < LOOP_MAX_FD_WATCH; i++)
		l->fd_watch[i].fd = -1;
	l->sigchld_pipe[0] = l->sigchld_pipe[1] = -1;
}

int loop_catch_sigchld(struct loop *l)
{
	if (pipe2(l->sigchld_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		log_error("pipe: %s", strerror(errno));
		l->sigchld_pipe[0] = l->sigchld_pipe[1] = -1;
		return -1;
	}
	sigchld_wfd = l->sigchld_pipe[1];
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	return 0;
}

void loop_free(struct loop *l)
{
	if (sigchld_wfd == l->sigchld_pipe[1])
		sigchld_wfd = -1;
	for (int i = 0; i < 2; i++)
		if (l->sigchld_pipe[i] >= 0)
			close(l->sigchld_pipe[i]);
	l->sigchld_pipe[0] = l->sigchld_pipe[1] = -1;
}

int loop_sigchld_fd(const struct loop *l)
{
	return l->sigchld_pipe[0];
}

int loop_watch_child(struct loop *l, pid_t pid, loop_child_fn fn, void *arg)
{
	for (int i = 0; i < LOOP_MAX_CHILD_WATCH; i++) {
		if (l->child_watch[i].pid == 0) {
			l->child_watch[i].pid = pid;
			l->child_watch[i].fn = fn;
			l->child_watch[i].arg = arg;
			/* it may have exited before we registered */
			if (l->sigchld_pipe[1] >= 0) {
				char b = 1;
				ssize_t w = write(l->sigchld_pipe[1], &b, 1);
				(void)w;
			}
			return 0;
		}
	}
	return -1;
}

int loop_watch_fd(struct loop *l, int fd, short events, loop_fd_fn fn, void *arg)
{
	for (int i = 0; i < LOOP_MAX_FD_WATCH; i++) {
		if (l->fd_watch[i].fn == NULL) {
			l->fd_watch[i].fd = fd;
			l->fd_watch[i].events = events;
			l->fd_watch[i].fn = fn;
			l->fd_watch[i].arg = arg;
			return 0;
		}
	}
	return -1;
}

void loop_unwatch_fd(struct loop *l, int fd)
{
	for (int i = 0; i < LOOP_MAX_FD_WATCH; i++)
		if (l->fd_watch[i].fn && l->fd_watch[i].fd == fd)
			l->fd_watch[i].fn = NULL;
}

void loop_reap(struct loop *l)
{
	char tmp[64];
	while (l->sigchld_pipe[0] >= 0 && read(l->sigchld_pipe[0], tmp, sizeof(tmp)) > 0)
		;
	for (int i = 0; i < LOOP_MAX_CHILD_WATCH; i++) {
		pid_t pid = l->child_watch[i].pid;
		if (pid <= 0)
			continue;
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD)) {
			loop_child_fn fn = l->child_watch[i].fn;
			void *arg = l->child_watch[i].arg;
			l->child_watch[i].pid = 0;
			if (r < 0)
				st = 255 << 8;
			if (fn)
				fn(pid, st, arg);
		}
	}
}

size_t loop_poll_prepare(const struct loop *l, struct pollfd *pfds, int *idx, size_t max)
{
	size_t n = 0;
	for (int i = 0; i < LOOP_MAX_FD_WATCH && n < max; i++) {
		if (l->fd_watch[i].fn) {
			pfds[n] = (struct pollfd){.fd = l->fd_watch[i].fd, .events = l->fd_watch[i].events};
			idx[n++] = i;
		}
	}
	return n;
}

void loop_poll_service(struct loop *l, const struct pollfd *pfds, const int *idx, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int wi = idx[i];
		/* a callback may have removed or replaced this watch meanwhile */
		if (pfds[i].revents && l->fd_watch[wi].fn && l->fd_watch[wi].fd == pfds[i].fd)
			l->fd_watch[wi].fn(l->fd_watch[wi].fd, pfds[i].revents, l->fd_watch[wi].arg);
	}
}
