/* utmp: see utmp.h. Layout (glibc, x86_64, __WORDSIZE_TIME64_COMPAT32):
 *   0 short ut_type; 4 pid_t ut_pid; 8 char ut_line[32]; 40 char ut_id[4];
 *   44 char ut_user[32]; 76 char ut_host[256]; 332 short e_termination;
 *   334 short e_exit; 336 int32 ut_session; 340 int32 tv_sec;
 *   344 int32 tv_usec; 348 int32 ut_addr_v6[4]; 364 char reserved[20].
 * Integers are host byte order (little-endian on x86_64). */
#include "utmp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static void put16(uint8_t *p, int16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, int32_t v) { memcpy(p, &v, 4); }
static int16_t get16(const uint8_t *p)
{
	int16_t v;
	memcpy(&v, p, 2);
	return v;
}
static int32_t get32(const uint8_t *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return v;
}

void utmp_pack(const struct utmp_rec *r, uint8_t out[UTMP_RECORD_SIZE])
{
	memset(out, 0, UTMP_RECORD_SIZE);
	put16(out + 0, r->type);
	put32(out + 4, r->pid);
	memcpy(out + 8, r->line, 32);
	memcpy(out + 40, r->id, 4);
	memcpy(out + 44, r->user, 32);
	memcpy(out + 76, r->host, 256);
	put32(out + 336, r->session);
	put32(out + 340, r->tv_sec);
	put32(out + 344, r->tv_usec);
	memcpy(out + 348, r->addr_v6, 16);
}

void utmp_unpack(const uint8_t in[UTMP_RECORD_SIZE], struct utmp_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->type = get16(in + 0);
	r->pid = get32(in + 4);
	memcpy(r->line, in + 8, 32);
	memcpy(r->id, in + 40, 4);
	memcpy(r->user, in + 44, 32);
	memcpy(r->host, in + 76, 256);
	r->session = get32(in + 336);
	r->tv_sec = get32(in + 340);
	r->tv_usec = get32(in + 344);
	memcpy(r->addr_v6, in + 348, 16);
}

/* strncpy semantics (fixed-width, not necessarily NUL-terminated) */
static void copy_field(char *dst, size_t cap, const char *src)
{
	memset(dst, 0, cap);
	if (!src)
		return;
	size_t n = strlen(src);
	memcpy(dst, src, n < cap ? n : cap);
}

static void line_of(const char *tty, char *line, char *id)
{
	const char *l = "ssh:notty";
	if (tty && strncmp(tty, "/dev/", 5) == 0)
		l = tty + 5;
	else if (tty && *tty)
		l = tty;
	copy_field(line, 32, l);
	/* id: the last up to 4 chars of the line, "ts/3" for pts/3 and
	 * "s/12" for pts/12, as OpenSSH (line_abbrevname) and login write it,
	 * so their records and ours for the same tty share one utmp slot. */
	const char *idsrc = l;
	size_t n = strlen(idsrc);
	if (n > 4)
		idsrc += n - 4;
	copy_field(id, 4, idsrc);
}

void utmp_fill(struct utmp_rec *r, int type, pid_t pid, const char *tty, const char *user, const char *host,
	       const char *addr)
{
	memset(r, 0, sizeof(*r));
	r->type = (int16_t)type;
	r->pid = (int32_t)pid;
	line_of(tty, r->line, r->id);
	copy_field(r->user, sizeof(r->user), user);
	copy_field(r->host, sizeof(r->host), host);
	r->session = (int32_t)getsid(0);
	struct timeval tv;
	gettimeofday(&tv, NULL);
	r->tv_sec = (int32_t)tv.tv_sec;
	r->tv_usec = (int32_t)tv.tv_usec;
	if (addr) {
		struct in6_addr a6;
		struct in_addr a4;
		if (inet_pton(AF_INET, addr, &a4) == 1)
			memcpy(r->addr_v6, &a4, 4);
		else if (inet_pton(AF_INET6, addr, &a6) == 1)
			memcpy(r->addr_v6, &a6, 16);
	}
}

static int lock_fd(int fd, short type)
{
	struct flock fl;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	/* bounded wait: 10 x 100 ms */
	for (int i = 0; i < 10; i++) {
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return 0;
		if (errno != EACCES && errno != EAGAIN && errno != EINTR)
			return -1;
		usleep(100000);
	}
	return -1;
}

/* Releases the record lock taken with lock_fd and closes fd. */
static void unlock_and_close(int fd)
{
	struct flock fl;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_UNLCK;
	fcntl(fd, F_SETLK, &fl);
	close(fd);
}

static int open_utmp(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0664);
		if (fd >= 0) {
			struct group *g = getgrnam("utmp");
			if (g && fchown(fd, 0, g->gr_gid) != 0)
				log_debug("utmp: chown %s: %s", path, strerror(errno));
		}
	}
	return fd;
}

enum utmp_mode { UM_LOGIN, UM_LOGOUT, UM_LOGOUT_IF_OPEN };

/* Writes rec into utmp: over the entry with the same id/line (login or
 * logout), else (login only) a DEAD/EMPTY slot, else at the end.
 * UM_LOGOUT_IF_OPEN writes only over a USER_PROCESS entry and takes its
 * pid into rec. 1 written, 0 nothing to do, -1 error. */
static int utmp_update(const char *path, struct utmp_rec *rec, enum utmp_mode mode)
{
	int logout = mode != UM_LOGIN;
	int fd = open_utmp(path);
	if (fd < 0) {
		log_debug("utmp: open %s: %s", path, strerror(errno));
		return -1;
	}
	if (lock_fd(fd, F_WRLCK) != 0) {
		log_debug("utmp: lock %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	uint8_t raw[UTMP_RECORD_SIZE];
	off_t match = -1, freeslot = -1, pos = 0;
	for (long i = 0; i < 65536; i++) {
		ssize_t n = pread(fd, raw, sizeof(raw), pos);
		if (n != (ssize_t)sizeof(raw))
			break;
		struct utmp_rec cur;
		utmp_unpack(raw, &cur);
		int proc = cur.type == UT_INIT_PROCESS || cur.type == UT_LOGIN_PROCESS ||
			   cur.type == UT_USER_PROCESS || cur.type == UT_DEAD_PROCESS;
		if (proc && memcmp(cur.id, rec->id, 4) == 0 && memcmp(cur.line, rec->line, 32) == 0) {
			match = pos;
			break;
		}
		if (freeslot < 0 && (cur.type == UT_EMPTY || cur.type == UT_DEAD_PROCESS))
			freeslot = pos;
		pos += (off_t)sizeof(raw);
	}
	int ret = 0;
	struct utmp_rec cur;
	if (match >= 0)
		utmp_unpack(raw, &cur);
	if (match < 0 && logout) {
		ret = 0; /* nothing to clear */
	} else if (mode == UM_LOGOUT_IF_OPEN && cur.type != UT_USER_PROCESS) {
		ret = 0; /* already closed */
	} else {
		if (mode == UM_LOGOUT_IF_OPEN)
			rec->pid = cur.pid;
		off_t at = match >= 0 ? match : freeslot >= 0 ? freeslot : pos;
		utmp_pack(rec, raw);
		ret = 1;
		if (pwrite(fd, raw, sizeof(raw), at) != (ssize_t)sizeof(raw)) {
			log_debug("utmp: write %s: %s", path, strerror(errno));
			ret = -1;
		}
	}
	unlock_and_close(fd);
	return ret;
}

static int wtmp_append(const char *path, const struct utmp_rec *rec)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		log_debug("wtmp: open %s: %s", path, strerror(errno));
		return -1;
	}
	uint8_t raw[UTMP_RECORD_SIZE];
	utmp_pack(rec, raw);
	int ret = 0;
	if (lock_fd(fd, F_WRLCK) != 0)
		log_debug("wtmp: lock %s: %s (writing anyway)", path, strerror(errno));
	/* A whole record or nothing: truncate back a short write. */
	struct stat st;
	off_t before = fstat(fd, &st) == 0 ? st.st_size : -1;
	ssize_t w = write(fd, raw, sizeof(raw));
	if (w != (ssize_t)sizeof(raw)) {
		log_debug("wtmp: write %s: %s", path, w < 0 ? strerror(errno) : "short write");
		if (w > 0 && before >= 0 && ftruncate(fd, before) != 0)
			log_debug("wtmp: truncate %s: %s", path, strerror(errno));
		ret = -1;
	}
	unlock_and_close(fd);
	return ret;
}

int utmp_login(const char *utmp_path, const char *wtmp_path, pid_t pid, const char *tty, const char *user,
	       const char *host, const char *addr)
{
	struct utmp_rec r;
	utmp_fill(&r, UT_USER_PROCESS, pid, tty, user, host, addr);
	int a = utmp_update(utmp_path ? utmp_path : UTMP_DEFAULT_PATH, &r, UM_LOGIN);
	int b = wtmp_append(wtmp_path ? wtmp_path : WTMP_DEFAULT_PATH, &r);
	return a >= 0 && b == 0 ? 0 : -1;
}

int utmp_logout(const char *utmp_path, const char *wtmp_path, pid_t pid, const char *tty)
{
	struct utmp_rec r;
	utmp_fill(&r, UT_DEAD_PROCESS, pid, tty, NULL, NULL, NULL);
	int a = utmp_update(utmp_path ? utmp_path : UTMP_DEFAULT_PATH, &r, UM_LOGOUT);
	int b = wtmp_append(wtmp_path ? wtmp_path : WTMP_DEFAULT_PATH, &r);
	return a >= 0 && b == 0 ? 0 : -1;
}

int utmp_logout_if_open(const char *utmp_path, const char *wtmp_path, const char *tty)
{
	struct utmp_rec r;
	utmp_fill(&r, UT_DEAD_PROCESS, 0, tty, NULL, NULL, NULL);
	int a = utmp_update(utmp_path ? utmp_path : UTMP_DEFAULT_PATH, &r, UM_LOGOUT_IF_OPEN);
	if (a <= 0)
		return a;
	return wtmp_append(wtmp_path ? wtmp_path : WTMP_DEFAULT_PATH, &r) == 0 ? 1 : -1;
}
