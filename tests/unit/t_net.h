/* t_net.h: socket helpers shared by the unit tests of the forwarding code
 * (test_fwd, test_netfwd). 127.0.0.1 and unix sockets only. */
#ifndef SSHBOX_T_NET_H
#define SSHBOX_T_NET_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Listening TCP socket on 127.0.0.1, kernel-chosen port; -1 on error. */
static inline int tcp_listener(unsigned *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &l) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* Connected TCP socket to 127.0.0.1:port (its local port in *local_port
 * when not NULL); -1 on error. */
static inline int tcp_connect(unsigned port, unsigned *local_port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (local_port && getsockname(fd, (struct sockaddr *)&a, &l) == 0)
		*local_port = ntohs(a.sin_port);
	return fd;
}

static inline int unix_connect(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Sends "ping" from a to b and checks it arrives (3 s at most). */
static inline int pipe_ok(int a, int b)
{
	char got[8] = {0};
	if (write(a, "ping", 4) != 4)
		return 0;
	struct pollfd p = {.fd = b, .events = POLLIN};
	if (poll(&p, 1, 3000) != 1)
		return 0;
	return read(b, got, sizeof(got)) == 4 && memcmp(got, "ping", 4) == 0;
}

/* Path of sshbox-helper beside the test binary's build dir (or under
 * build/out) into path; 1 when it is executable. */
static inline int find_helper_path(char *path, size_t cap)
{
	char exe[400];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (k > 0) {
		exe[k] = '\0';
		char *sl = strrchr(exe, '/');
		if (sl) {
			*sl = '\0';
			snprintf(path, cap, "%s/../sshbox-helper", exe);
			if (access(path, X_OK) == 0)
				return 1;
		}
	}
	snprintf(path, cap, "build/out/sshbox-helper");
	return access(path, X_OK) == 0;
}

#endif
