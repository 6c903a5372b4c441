/* Unit tests for shared/utmp: on-disk layout (checked against glibc's own
 * struct utmpx where the test is built with glibc), login/logout records
 * in temporary utmp/wtmp files, slot reuse. */
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"
#include "utmp.h"

#ifdef __GLIBC__
#include <utmpx.h>
#endif

static char dir[64];
static char up[128], wp[128];

static long fsize(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static int read_rec(const char *p, long idx, struct utmp_rec *r)
{
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return -1;
	uint8_t raw[UTMP_RECORD_SIZE];
	ssize_t n = pread(fd, raw, sizeof(raw), idx * UTMP_RECORD_SIZE);
	close(fd);
	if (n != UTMP_RECORD_SIZE)
		return -1;
	utmp_unpack(raw, r);
	return 0;
}

TEST(layout)
{
	struct utmp_rec r, back;
	utmp_fill(&r, UT_USER_PROCESS, 4242, "/dev/pts/17", "averyveryverylongusernamethatistoolong", "h", "10.1.2.3");
	CHECK(memcmp(r.line, "pts/17", 7) == 0);
	CHECK(memcmp(r.id, "s/17", 4) == 0); /* OpenSSH/login: last 4 chars of the line */
	CHECK(memcmp(r.user, "averyveryverylongusernamethatist", 32) == 0); /* truncated, unterminated */
	CHECK_EQ_INT(r.addr_v6[0], 10);
	CHECK_EQ_INT(r.addr_v6[3], 3);
	uint8_t raw[UTMP_RECORD_SIZE];
	utmp_pack(&r, raw);
	utmp_unpack(raw, &back);
	CHECK(memcmp(&r, &back, sizeof(r)) == 0);
	int16_t type;
	memcpy(&type, raw, 2);
	CHECK_EQ_INT(type, UT_USER_PROCESS);
	CHECK(memcmp(raw + 8, "pts/17", 6) == 0);
	CHECK(raw[44] == 'a');
#ifdef __GLIBC__
	/* the layout Debian's who/last read */
	CHECK_EQ_INT(sizeof(struct utmpx), UTMP_RECORD_SIZE);
	CHECK_EQ_INT(offsetof(struct utmpx, ut_pid), 4);
	CHECK_EQ_INT(offsetof(struct utmpx, ut_line), 8);
	CHECK_EQ_INT(offsetof(struct utmpx, ut_id), 40);
	CHECK_EQ_INT(offsetof(struct utmpx, ut_user), 44);
	CHECK_EQ_INT(offsetof(struct utmpx, ut_host), 76);
	CHECK_EQ_INT(offsetof(struct utmpx, ut_session), 336);
	CHECK_EQ_INT(offsetof(struct utmpx, ut_tv), 340);
	CHECK_EQ_INT(offsetof(struct utmpx, ut_addr_v6), 348);
	struct utmpx gx;
	memcpy(&gx, raw, sizeof(gx));
	CHECK_EQ_INT(gx.ut_type, USER_PROCESS);
	CHECK_EQ_INT(gx.ut_pid, 4242);
	CHECK(strncmp(gx.ut_line, "pts/17", sizeof(gx.ut_line)) == 0);
	CHECK(strncmp(gx.ut_host, "h", sizeof(gx.ut_host)) == 0);
#endif
	utmp_fill(&r, UT_DEAD_PROCESS, 1, NULL, NULL, NULL, "2001:db8::1");
	CHECK(memcmp(r.line, "ssh:notty", 10) == 0);
	CHECK_EQ_INT(r.addr_v6[0], 0x20);
	CHECK_EQ_INT(r.addr_v6[15], 1);
}

TEST(login_logout_files)
{
	unlink(up);
	int fd = open(wp, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	close(fd);
	CHECK_EQ_INT(utmp_login(up, wp, 100, "/dev/pts/3", "alice", "127.0.0.1", "127.0.0.1"), 0);
	CHECK_EQ_INT(utmp_login(up, wp, 101, "/dev/pts/4", "bob", "127.0.0.1", "127.0.0.1"), 0);
	CHECK_EQ_INT(fsize(up), 2 * UTMP_RECORD_SIZE); /* utmp created */
	CHECK_EQ_INT(fsize(wp), 2 * UTMP_RECORD_SIZE);
	CHECK_EQ_INT(utmp_logout(up, wp, 100, "/dev/pts/3"), 0);
	CHECK_EQ_INT(fsize(up), 2 * UTMP_RECORD_SIZE); /* overwritten in place */
	CHECK_EQ_INT(fsize(wp), 3 * UTMP_RECORD_SIZE); /* appended */
	struct utmp_rec r;
	CHECK_EQ_INT(read_rec(up, 0, &r), 0);
	CHECK_EQ_INT(r.type, UT_DEAD_PROCESS);
	CHECK(memcmp(r.line, "pts/3", 6) == 0);
	CHECK_EQ_INT(r.user[0], 0);
	CHECK_EQ_INT(read_rec(up, 1, &r), 0);
	CHECK_EQ_INT(r.type, UT_USER_PROCESS);
	CHECK(memcmp(r.user, "bob", 4) == 0);
	CHECK_EQ_INT(read_rec(wp, 2, &r), 0);
	CHECK_EQ_INT(r.type, UT_DEAD_PROCESS);
	CHECK(memcmp(r.line, "pts/3", 6) == 0);
	/* a new login on pts/3 reuses its slot */
	CHECK_EQ_INT(utmp_login(up, wp, 102, "/dev/pts/3", "carol", "::1", "::1"), 0);
	CHECK_EQ_INT(fsize(up), 2 * UTMP_RECORD_SIZE);
	CHECK_EQ_INT(read_rec(up, 0, &r), 0);
	CHECK(memcmp(r.user, "carol", 6) == 0);
	/* logout of a line that never logged in changes no utmp slot */
	CHECK_EQ_INT(utmp_logout(up, wp, 103, "/dev/pts/99"), 0);
	CHECK_EQ_INT(fsize(up), 2 * UTMP_RECORD_SIZE);
	/* closing what a killed session child left open: only a live entry */
	CHECK_EQ_INT(utmp_logout_if_open(up, wp, "/dev/pts/3"), 1); /* carol's */
	CHECK_EQ_INT(read_rec(up, 0, &r), 0);
	CHECK_EQ_INT(r.type, UT_DEAD_PROCESS);
	CHECK_EQ_INT(r.pid, 102);
	CHECK(memcmp(r.id, "ts/3", 4) == 0);
	CHECK_EQ_INT(fsize(wp), 6 * UTMP_RECORD_SIZE);
	CHECK_EQ_INT(utmp_logout_if_open(up, wp, "/dev/pts/3"), 0); /* already closed */
	CHECK_EQ_INT(utmp_logout_if_open(up, wp, "/dev/pts/98"), 0);
	CHECK_EQ_INT(fsize(wp), 6 * UTMP_RECORD_SIZE);
	/* a missing wtmp is not created, and reported */
	unlink(wp);
	CHECK(utmp_login(up, wp, 104, "/dev/pts/5", "dave", "h", NULL) != 0);
	CHECK_EQ_INT(fsize(wp), -1);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sbx-utmp-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(up, sizeof(up), "%s/utmp", dir);
	snprintf(wp, sizeof(wp), "%s/wtmp", dir);
	RUN(layout);
	RUN(login_logout_files);
	unlink(up);
	unlink(wp);
	rmdir(dir);
	return t_done();
}
