/* `sshbox --spawn-selftest [--deny-memfd] [--deny-execveat] [--debug] [METHOD]`:
 * makes the helper copy (optionally with memfd_create or execveat denied by
 * seccomp, to exercise the fallbacks), starts checkhomedir from it and
 * prints what ran (method, seals, /proc/PID/exe, comm, exit status). Uses
 * only spawn.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "log.h"
#include "spawn.h"

static int deny_syscall(long nr, int err)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {(unsigned short)(sizeof(f) / sizeof(f[0])), f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

static void print_file_line(const char *label, const char *path)
{
	char b[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, b, sizeof(b) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n < 0)
		n = 0;
	b[n] = '\0';
	b[strcspn(b, "\n")] = '\0';
	printf("%s=%s\n", label, b);
}

int spawn_selftest_main(int argc, char **argv)
{
	const char *method = NULL;
	log_init("sshbox", LOG_INFO, LOG_TO_STDERR);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--deny-memfd") == 0) {
			if (deny_syscall(SYS_memfd_create, EACCES) != 0) {
				perror("seccomp");
				return 2;
			}
		} else if (strcmp(argv[i], "--deny-execveat") == 0) {
			if (deny_syscall(SYS_execveat, ENOSYS) != 0) {
				perror("seccomp");
				return 2;
			}
		} else if (strcmp(argv[i], "--debug") == 0) {
			log_set_level(LOG_DEBUG);
		} else if (argv[i][0] == '-' || method) {
			fprintf(stderr, "usage: sshbox --spawn-selftest [--deny-memfd] [--deny-execveat] "
					"[--debug] [METHOD]\n");
			return 2;
		} else {
			method = argv[i];
		}
	}
	if (spawn_init(method) != 0)
		return 1;
	printf("method=%s\n", spawn_method_name());
	if (strcmp(spawn_method_name(), "memfd") == 0)
		printf("seals=0x%x\n", (unsigned)spawn_seals());
	fflush(stdout);

	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
		perror("pipe");
		return 1;
	}
	/* An extra open fd that must NOT reach the child. */
	int stray = open("/", O_RDONLY);
	struct spawn_fd fds[] = {{0, in[0]}, {1, out[1]}, {3, -1}};
	struct spawn_opts o = {.fds = fds, .nfds = 3};
	char *args[] = {"--self-test", NULL};
	pid_t pid = spawn_applet("checkhomedir", args, &o);
	close(in[0]);
	close(out[1]);
	if (stray >= 0)
		close(stray);
	if (pid < 0) {
		perror("spawn");
		return 1;
	}
	char line[512];
	size_t got = 0;
	struct pollfd p = {out[0], POLLIN, 0};
	while (got < sizeof(line) - 1 && poll(&p, 1, 5000) > 0) {
		ssize_t r = read(out[0], line + got, sizeof(line) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		if (memchr(line, '\n', got))
			break;
	}
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';

	char path[64], exe[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	ssize_t n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	printf("exe=%s\n", exe);
	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	print_file_line("comm", path);
	printf("child=%s\n", line);
	close(in[1]);
	close(out[0]);
	int st = spawn_wait(pid, 5000);
	printf("status=%d\n", st);
	return st == 0 ? 0 : 1;
}
