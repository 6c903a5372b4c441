/* test_util: the small helpers in shared/util.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"
#include "util.h"

TEST(secure_zero_and_ct_memeq)
{
	uint8_t a[32], b[32];
	memset(a, 0xa5, sizeof(a));
	memcpy(b, a, sizeof(b));
	CHECK_EQ_INT(ct_memeq(a, b, sizeof(a)), 1);
	b[31] ^= 1;
	CHECK_EQ_INT(ct_memeq(a, b, sizeof(a)), 0);
	b[31] ^= 1;
	b[0] ^= 0x80;
	CHECK_EQ_INT(ct_memeq(a, b, sizeof(a)), 0);
	CHECK_EQ_INT(ct_memeq(a, b, 0), 1);
	secure_zero(a, sizeof(a));
	for (size_t i = 0; i < sizeof(a); i++)
		CHECK_EQ_INT(a[i], 0);
}

TEST(parse_long_is_strict)
{
	long v = -1;
	CHECK_EQ_INT(parse_long("42", 0, 100, &v), 0);
	CHECK_EQ_INT(v, 42);
	CHECK(parse_long("101", 0, 100, &v) != 0);
	CHECK(parse_long("-1", 0, 100, &v) != 0);
	CHECK(parse_long("", 0, 100, &v) != 0);
	CHECK(parse_long("12x", 0, 100, &v) != 0);
	CHECK(parse_long(" 12", 0, 100, &v) != 0 || v == 12);
	CHECK(parse_long("99999999999999999999999", 0, 100, &v) != 0);
}

TEST(hostport_port_text_forms)
{
	CHECK_STR(hostport_port_text("host:22", 0), "22");
	CHECK_STR(hostport_port_text("[::1]:2222", 0), "2222");
	CHECK_STR(hostport_port_text("a:b:c:443", 0), "443"); /* last colon */
	CHECK_STR(hostport_port_text("*:80", 0), "80");
	CHECK(hostport_port_text("22", 0) == NULL);
	CHECK_STR(hostport_port_text("22", 1), "22");
	CHECK(hostport_port_text(":22", 1) == NULL);	 /* empty host */
	CHECK(hostport_port_text("[]:22", 0) == NULL);	 /* empty brackets */
	CHECK(hostport_port_text("[::1]22", 0) == NULL); /* no ':' after ']' */
	CHECK(hostport_port_text("[::1", 0) == NULL);	 /* unterminated */
	CHECK_STR(hostport_port_text("host:", 0), "");	 /* the caller rejects the empty port */
}

TEST(read_text_file_bounds_and_terminates)
{
	char path[] = "/tmp/sshbox-test-util.XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ_INT(write_full(fd, "0123456789", 10), 0);
	close(fd);
	char small[5], big[64];
	memset(small, 'x', sizeof(small));
	CHECK_EQ_INT((int)read_text_file(path, small, sizeof(small)), 4);
	CHECK_STR(small, "0123");
	CHECK_EQ_INT((int)read_text_file(path, big, sizeof(big)), 10);
	CHECK_STR(big, "0123456789");
	unlink(path);
	CHECK_EQ_INT((int)read_text_file(path, big, sizeof(big)), -1);
	CHECK_EQ_INT((int)read_text_file("/proc/self/status", big, 0), -1);
	CHECK((int)read_text_file("/proc/self/status", big, sizeof(big)) == (int)sizeof(big) - 1);
}

TEST(full_io_over_a_pipe)
{
	int p[2];
	CHECK_EQ_INT(pipe(p), 0);
	char out[6] = {0};
	CHECK_EQ_INT(write_full(p[1], "hello", 5), 0);
	CHECK_EQ_INT(read_full(p[0], out, 5), 0);
	CHECK_STR(out, "hello");
	close(p[1]);
	CHECK_EQ_INT(read_full(p[0], out, 1), -1); /* EOF before the byte */
	CHECK_EQ_INT(set_nonblock(p[0], 1), 0);
	CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	CHECK_EQ_INT(set_cloexec(p[0], 1), 0);
	CHECK(fcntl(p[0], F_GETFD) & FD_CLOEXEC);
	close(p[0]);
}

TEST(sockaddr_to_str_formats)
{
	struct sockaddr_storage ss;
	char s[64];
	int port = -1;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	v4->sin_family = AF_INET;
	v4->sin_port = htons(2222);
	inet_pton(AF_INET, "127.0.0.1", &v4->sin_addr);
	sockaddr_to_str(&ss, s, sizeof(s), &port);
	CHECK_STR(s, "127.0.0.1");
	CHECK_EQ_INT(port, 2222);
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	v6->sin6_family = AF_INET6;
	v6->sin6_port = htons(22);
	inet_pton(AF_INET6, "::ffff:10.1.2.3", &v6->sin6_addr);
	sockaddr_to_str(&ss, s, sizeof(s), &port);
	CHECK_STR(s, "10.1.2.3"); /* v4-mapped prints as IPv4 */
	inet_pton(AF_INET6, "2001:db8::1", &v6->sin6_addr);
	sockaddr_to_str(&ss, s, sizeof(s), &port);
	CHECK_STR(s, "2001:db8::1");
	CHECK_EQ_INT(port, 22);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	sockaddr_to_str(&ss, s, sizeof(s), &port);
	CHECK_STR(s, "UNKNOWN");
	CHECK_EQ_INT(port, 0);
}

TEST(monotonic_ms_advances)
{
	uint64_t a = monotonic_ms();
	usleep(20000);
	uint64_t b = monotonic_ms();
	CHECK(b >= a + 15 && b < a + 5000);
}

/* In a child: fds 40..44 open; close_fds_except(41, 43) must close 41, 42
 * and 44 and leave 40 and 43. Exit status 0 when it did. */
static int close_fds_child(void)
{
	for (int fd = 40; fd <= 44; fd++)
		if (dup2(2, fd) != fd)
			return 2;
	if (close_fds_except(41, 43) != 0)
		return 3;
	int open40 = fcntl(40, F_GETFD) >= 0, open43 = fcntl(43, F_GETFD) >= 0;
	int gone = fcntl(41, F_GETFD) < 0 && fcntl(42, F_GETFD) < 0 && fcntl(44, F_GETFD) < 0;
	if (!(open40 && open43 && gone))
		return 4;
	if (close_fds_from(40) != 0 || fcntl(40, F_GETFD) >= 0 || fcntl(43, F_GETFD) >= 0)
		return 5;
	return 0;
}

TEST(close_fds_except_keeps_one)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(close_fds_child());
	int st = -1;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st));
	CHECK_EQ_INT(WEXITSTATUS(st), 0);
}

int main(void)
{
	RUN(secure_zero_and_ct_memeq);
	RUN(parse_long_is_strict);
	RUN(hostport_port_text_forms);
	RUN(read_text_file_bounds_and_terminates);
	RUN(full_io_over_a_pipe);
	RUN(sockaddr_to_str_formats);
	RUN(monotonic_ms_advances);
	RUN(close_fds_except_keeps_one);
	return t_done();
}
