/* session_spawn: starting the exec child applet (see session.h). Kept
 * apart from session.c so tests can link it without the connection layer. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "session.h"
#include "spawn.h"
#include "util.h"

#define SESSION_PIPE_SIZE (256 * 1024)

static const struct {
	const char *name;
	int sig;
} sigs[] = {
	{"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"FPE", SIGFPE},   {"HUP", SIGHUP},   {"ILL", SIGILL},
	{"INT", SIGINT},   {"KILL", SIGKILL}, {"PIPE", SIGPIPE}, {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV},
	{"TERM", SIGTERM}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2},
};

int session_signal_number(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(sigs); i++)
		if (strcmp(sigs[i].name, name) == 0)
			return sigs[i].sig;
	return 0;
}

const char *session_signal_name(int sig)
{
	for (size_t i = 0; i < ARRAY_LEN(sigs); i++)
		if (sigs[i].sig == sig)
			return sigs[i].name;
	return NULL;
}

int session_signal(int ctl, int sig)
{
	if (ctl < 0 || sig <= 0 || sig > 255)
		return -1;
	unsigned char b = (unsigned char)sig;
	ssize_t w;
	do
		w = write(ctl, &b, 1);
	while (w < 0 && errno == EINTR);
	return w == 1 ? 0 : -1;
}

int session_spawn(const struct session_spec *spec, int pty_master, int pty_slave, struct session_proc *p)
{
	p->pid = -1;
	p->fd_in = p->fd_out = p->fd_err = p->ctl = -1;
	int specfd = sessionspec_pipe(spec);
	if (specfd < 0)
		return -1;
	int ctl[2] = {-1, -1}, in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
	if (pipe2(ctl, O_CLOEXEC) != 0)
		goto fail;
	/* The child logs to our stderr, unless that is missing or a socket
	 * (sshd -i: it may be the client connection itself). */
	struct stat st;
	int logfd = fstat(2, &st) == 0 && !S_ISSOCK(st.st_mode) ? 2 : -1;
	struct spawn_fd fds[6];
	size_t n = 0;
	if (spec->pty) {
		if (pty_master < 0 || pty_slave < 0) {
			errno = EINVAL;
			goto fail;
		}
		fds[n++] = (struct spawn_fd){0, pty_slave};
		fds[n++] = (struct spawn_fd){1, pty_slave};
		fds[n++] = (struct spawn_fd){5, pty_slave};
	} else {
		if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
			goto fail;
		/* A deeper stdout pipe lets bulk output (cat, tar, rsync) run ahead
		 * of the encryption, so each read fills several packets. Best
		 * effort: the kernel may refuse over /proc/sys/fs/pipe-max-size. */
		(void)fcntl(out[0], F_SETPIPE_SZ, SESSION_PIPE_SIZE);
		fds[n++] = (struct spawn_fd){0, in[0]};
		fds[n++] = (struct spawn_fd){1, out[1]};
		fds[n++] = (struct spawn_fd){5, err[1]};
	}
	fds[n++] = (struct spawn_fd){2, logfd};
	fds[n++] = (struct spawn_fd){3, specfd};
	fds[n++] = (struct spawn_fd){4, ctl[0]};
	struct spawn_opts o;
	memset(&o, 0, sizeof(o));
	o.fds = fds;
	o.nfds = n;
	o.envp = NULL;
	o.pdeathsig = -1; /* the control pipe's EOF tells it; it must outlive us to log out */
	char *args[] = {"--log-level", (char *)(uintptr_t)log_level_name(log_get_level()), NULL};
	pid_t pid = spawn_applet("exec", args, &o);
	if (pid < 0) {
		log_error("session: cannot start the exec applet: %s", strerror(errno));
		goto fail;
	}
	close(specfd);
	close(ctl[0]);
	set_nonblock(ctl[1], 1);
	p->pid = pid;
	p->ctl = ctl[1];
	if (spec->pty) {
		p->fd_in = p->fd_out = pty_master;
	} else {
		close(in[0]);
		close(out[1]);
		close(err[1]);
		p->fd_in = in[1];
		p->fd_out = out[0];
		p->fd_err = err[0];
	}
	return 0;
fail: {
	int e = errno;
	close(specfd);
	int *all[] = {ctl, in, out, err};
	for (size_t i = 0; i < ARRAY_LEN(all); i++)
		for (int j = 0; j < 2; j++)
			if (all[i][j] >= 0)
				close(all[i][j]);
	errno = e;
	return -1;
}
}
