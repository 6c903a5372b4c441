/* utmp: login/logout records in utmp and wtmp, written directly in the
 * glibc x86_64 `struct utmp` layout (384 bytes) that Debian's who/last/w
 * read. musl's utmpx functions are stubs, so both flavours use this code.
 *
 * Login: a USER_PROCESS record replaces the utmp entry with the same id
 * (or line), else a DEAD/EMPTY slot, else is appended; the same record is
 * appended to wtmp. Logout: the utmp entry becomes DEAD_PROCESS (user and
 * host cleared) and a DEAD_PROCESS record with empty user is appended to
 * wtmp, which is what `last` pairs with the login.
 */
#ifndef SSHBOX_UTMP_H
#define SSHBOX_UTMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define UTMP_DEFAULT_PATH "/var/run/utmp"
#define WTMP_DEFAULT_PATH "/var/log/wtmp"
#define UTMP_RECORD_SIZE 384

enum { UT_EMPTY = 0, UT_INIT_PROCESS = 5, UT_LOGIN_PROCESS = 6, UT_USER_PROCESS = 7, UT_DEAD_PROCESS = 8 };

struct utmp_rec {
	int16_t type;
	int32_t pid;
	char line[32];  /* "pts/3" (tty without /dev/), or "ssh:notty" */
	char id[4];     /* last 4 chars of line */
	char user[32];
	char host[256];
	int32_t session;
	int32_t tv_sec, tv_usec;
	uint8_t addr_v6[16]; /* network order; IPv4 in the first 4 bytes */
};

/* Serialise / parse one record in the on-disk layout. */
void utmp_pack(const struct utmp_rec *r, uint8_t out[UTMP_RECORD_SIZE]);
void utmp_unpack(const uint8_t in[UTMP_RECORD_SIZE], struct utmp_rec *r);

/* Fills a record: tty is "/dev/pts/N" or NULL (no pty: "ssh:notty"). */
void utmp_fill(struct utmp_rec *r, int type, pid_t pid, const char *tty, const char *user, const char *host,
	       const char *addr);

/* utmp_path / wtmp_path may be NULL for the defaults. 0 or -1 (logged at
 * debug level; missing files are not created for utmp... except utmp,
 * which is created 0664 root:utmp when absent, as systemd does). */
int utmp_login(const char *utmp_path, const char *wtmp_path, pid_t pid, const char *tty, const char *user,
	       const char *host, const char *addr);
int utmp_logout(const char *utmp_path, const char *wtmp_path, pid_t pid, const char *tty);
/* Closes tty's utmp entry only if it is still a USER_PROCESS (the
 * process that wrote it died before its logout): DEAD_PROCESS in utmp
 * with the entry's pid, and the same record appended to wtmp. For the
 * process that started the session child, after reaping it. 1 closed,
 * 0 nothing open, -1 error. */
int utmp_logout_if_open(const char *utmp_path, const char *wtmp_path, const char *tty);

#endif
