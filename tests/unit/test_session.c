/* Unit tests for the exec child applet through session_spawn: runs the
 * real sshbox-helper (build/out/sshbox-helper, or $SSHBOX_HELPER) as the
 * current user, with pipes and with a pty. Skips when the helper is absent. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pty.h"
#include "session.h"
#include "sessionspec.h"
#include "spawn.h"
#include "t.h"

static int have_helper;

static void base_spec(struct session_spec *s, const char *cmd)
{
	sessionspec_init(s);
	struct passwd *pw = getpwuid(getuid());
	sessionspec_set(&s->user, pw ? pw->pw_name : "root");
	s->uid = getuid();
	s->gid = getgid();
	uint32_t g = getgid();
	sessionspec_set_groups(s, &g, 1);
	sessionspec_set(&s->home, "/tmp");
	sessionspec_set(&s->shell, "/bin/sh");
	s->kind = cmd ? SPEC_KIND_EXEC : SPEC_KIND_SHELL;
	sessionspec_set(&s->command, cmd);
	sessionspec_set(&s->client_addr, "192.0.2.1");
	s->client_port = 5555;
	sessionspec_set(&s->server_addr, "192.0.2.2");
	s->server_port = 22;
}

/* Collects fd output until EOF (or 10 s). */
static size_t collect(int fd, char *out, size_t cap)
{
	size_t n = 0;
	for (int i = 0; i < 1000; i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 10) <= 0)
			continue;
		ssize_t r = read(fd, out + n, cap - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n >= cap - 1)
			break;
	}
	out[n] = 0;
	return n;
}

static int wait_status(pid_t pid)
{
	int st = -1;
	for (int i = 0; i < 1000; i++) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			return st;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

TEST(exec_command)
{
	if (!have_helper)
		return;
	struct session_spec s;
	base_spec(&s, "echo out; echo err >&2; echo \"$SSH_CONNECTION|$USER|$LANG|$FOO\"; ls /proc/self/fd; pwd; exit 3");
	sessionspec_add_env(&s, "LANG", "C.UTF-8");
	struct session_proc p;
	CHECK_EQ_INT(session_spawn(&s, -1, -1, &p), 0);
	close(p.fd_in);
	char out[4096], err[1024];
	collect(p.fd_out, out, sizeof(out));
	collect(p.fd_err, err, sizeof(err));
	int st = wait_status(p.pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	CHECK(strstr(out, "out\n") != NULL);
	CHECK(strstr(out, "192.0.2.1 5555 192.0.2.2 22|") != NULL);
	CHECK(strstr(out, "|C.UTF-8|\n") != NULL);
	/* only 0, 1, 2 and ls's own directory fd (3) */
	CHECK(strstr(out, "\n0\n1\n2\n3\n/tmp\n") != NULL);
	CHECK_STR(err, "err\n");
	if (!strstr(out, "\n0\n1\n2\n3\n/tmp\n"))
		fprintf(stderr, "  output: %s\n", out);
	close(p.fd_out);
	close(p.fd_err);
	close(p.ctl);
	sessionspec_free(&s);
}

TEST(signal_and_hangup)
{
	if (!have_helper)
		return;
	struct session_spec s;
	base_spec(&s, "echo ready; sleep 30; echo notreached");
	struct session_proc p;
	CHECK_EQ_INT(session_spawn(&s, -1, -1, &p), 0);
	char b[64] = "";
	ssize_t n = read(p.fd_out, b, sizeof(b) - 1);
	CHECK(n > 0);
	CHECK_EQ_INT(session_signal(p.ctl, SIGTERM), 0);
	int st = wait_status(p.pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	close(p.fd_in);
	close(p.fd_out);
	close(p.fd_err);
	close(p.ctl);
	/* hangup: closing the control pipe ends the session */
	CHECK_EQ_INT(session_spawn(&s, -1, -1, &p), 0);
	n = read(p.fd_out, b, sizeof(b) - 1);
	CHECK(n > 0);
	close(p.ctl);
	st = wait_status(p.pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGHUP);
	close(p.fd_in);
	close(p.fd_out);
	close(p.fd_err);
	sessionspec_free(&s);
}

TEST(missing_shell_and_home)
{
	if (!have_helper)
		return;
	struct session_spec s;
	base_spec(&s, "pwd");
	sessionspec_set(&s.home, "/nonexistent/home");
	struct session_proc p;
	CHECK_EQ_INT(session_spawn(&s, -1, -1, &p), 0);
	close(p.fd_in);
	char out[1024], err[1024];
	collect(p.fd_out, out, sizeof(out));
	collect(p.fd_err, err, sizeof(err));
	int st = wait_status(p.pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_STR(out, "/\n");
	CHECK(strstr(err, "Could not chdir to home directory /nonexistent/home: No such file or directory") != NULL);
	close(p.fd_out);
	close(p.fd_err);
	close(p.ctl);
	sessionspec_set(&s.home, "/tmp");
	sessionspec_set(&s.shell, "/nonexistent/shell");
	CHECK_EQ_INT(session_spawn(&s, -1, -1, &p), 0);
	close(p.fd_in);
	collect(p.fd_out, out, sizeof(out));
	collect(p.fd_err, err, sizeof(err));
	st = wait_status(p.pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 127);
	CHECK(strstr(err, "/nonexistent/shell: No such file or directory") != NULL);
	close(p.fd_out);
	close(p.fd_err);
	close(p.ctl);
	sessionspec_free(&s);
}

TEST(pty_session)
{
	if (!have_helper)
		return;
	struct session_spec s;
	base_spec(&s, "tty; stty size; echo \"T=$TERM S=$SSH_TTY\"; exit 5");
	int m, sl;
	char name[PTY_NAME_MAX];
	CHECK_EQ_INT(pty_open(&m, &sl, name, sizeof(name)), 0);
	pty_set_winsize(m, 100, 30, 0, 0);
	s.pty = 1;
	sessionspec_set(&s.term, "vt220");
	sessionspec_set(&s.tty, name);
	struct session_proc p;
	CHECK_EQ_INT(session_spawn(&s, m, sl, &p), 0);
	close(sl);
	char out[4096];
	collect(m, out, sizeof(out)); /* ends with EIO once the shell is gone */
	int st = wait_status(p.pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5);
	CHECK(strstr(out, name) != NULL);
	CHECK(strstr(out, "30 100") != NULL);
	char want[128];
	snprintf(want, sizeof(want), "T=vt220 S=%s", name);
	CHECK(strstr(out, want) != NULL);
	if (!strstr(out, want))
		fprintf(stderr, "  output: %s\n", out);
	close(m);
	close(p.ctl);
	sessionspec_free(&s);
}

int main(void)
{
	const char *h = getenv("SSHBOX_HELPER");
	const char *out = getenv("OUT");
	char path[512];
	if (!h) {
		snprintf(path, sizeof(path), "%s/sshbox-helper", out ? out : "build/out");
		h = path;
	}
	log_init("test", LOG_WARN, LOG_TO_STDERR);
	if (access(h, X_OK) == 0 && spawn_init_image(NULL, 0, "procself", h, NULL) == 0)
		have_helper = 1;
	else
		printf("SKIP: %s: helper %s not available\n", __FILE__, h);
	RUN(exec_command);
	RUN(signal_and_hangup);
	RUN(missing_shell_and_home);
	RUN(pty_session);
	return t_done();
}
