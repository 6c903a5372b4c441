/* pty: see pty.h. */
#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

int pty_open(int *master, int *slave, char *name, size_t namelen)
{
	*master = *slave = -1;
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return -1;
	if (grantpt(m) != 0 || unlockpt(m) != 0)
		goto fail;
	char path[PTY_NAME_MAX];
	if (ptsname_r(m, path, sizeof(path)) != 0)
		goto fail;
	int s = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		goto fail;
	if (name && namelen) {
		if ((size_t)snprintf(name, namelen, "%s", path) >= namelen) {
			close(s);
			errno = ENAMETOOLONG;
			goto fail;
		}
	}
	*master = m;
	*slave = s;
	return 0;
fail: {
	int e = errno;
	close(m);
	errno = e;
	return -1;
}
}

int pty_chown_slave(int slave, uid_t uid, gid_t gid)
{
	if (geteuid() != 0)
		return 0;
	struct group grbuf, *gr = NULL;
	char tmp[4096];
	gid_t g = gid;
	mode_t mode = 0600;
	if (getgrnam_r("tty", &grbuf, tmp, sizeof(tmp), &gr) == 0 && gr) {
		g = gr->gr_gid;
		mode = 0620;
	}
	if (fchown(slave, uid, g) != 0)
		return -1;
	if (fchmod(slave, mode) != 0)
		return -1;
	return 0;
}

/* RFC 4254 s8 opcodes */
enum {
	TTY_OP_END = 0,
	TTY_OP_ISPEED = 128,
	TTY_OP_OSPEED = 129,
};

struct cc_map {
	uint8_t op;
	int idx;
};
static const struct cc_map cc_table[] = {
	{1, VINTR},    {2, VQUIT},     {3, VERASE}, {4, VKILL}, {5, VEOF},      {6, VEOL},
	{7, VEOL2},    {8, VSTART},    {9, VSTOP},  {10, VSUSP}, {12, VREPRINT}, {13, VWERASE},
	{14, VLNEXT},  {16, VSWTC},    {18, VDISCARD},
	/* 11 VDSUSP, 15 VFLUSH, 17 VSTATUS: not on Linux */
};

enum { F_I, F_L, F_O, F_C };
struct flag_map {
	uint8_t op;
	uint8_t field;
	tcflag_t bit;
};
static const struct flag_map flag_table[] = {
	{30, F_I, IGNPAR}, {31, F_I, PARMRK}, {32, F_I, INPCK}, {33, F_I, ISTRIP}, {34, F_I, INLCR},
	{35, F_I, IGNCR},  {36, F_I, ICRNL},  {37, F_I, IUCLC}, {38, F_I, IXON},   {39, F_I, IXANY},
	{40, F_I, IXOFF},  {41, F_I, IMAXBEL}, {42, F_I, IUTF8},
	{50, F_L, ISIG},   {51, F_L, ICANON}, {52, F_L, XCASE}, {53, F_L, ECHO},   {54, F_L, ECHOE},
	{55, F_L, ECHOK},  {56, F_L, ECHONL}, {57, F_L, NOFLSH}, {58, F_L, TOSTOP}, {59, F_L, IEXTEN},
	{60, F_L, ECHOCTL}, {61, F_L, ECHOKE}, {62, F_L, PENDIN},
	{70, F_O, OPOST},  {71, F_O, OLCUC},  {72, F_O, ONLCR}, {73, F_O, OCRNL},  {74, F_O, ONOCR},
	{75, F_O, ONLRET},
	{90, F_C, CS7},    {91, F_C, CS8},    {92, F_C, PARENB}, {93, F_C, PARODD},
};

static speed_t baud_to_speed(uint32_t v)
{
	static const struct {
		uint32_t baud;
		speed_t sp;
	} t[] = {{0, B0},         {50, B50},       {75, B75},         {110, B110},       {134, B134},
		 {150, B150},     {200, B200},     {300, B300},       {600, B600},       {1200, B1200},
		 {1800, B1800},   {2400, B2400},   {4800, B4800},     {9600, B9600},     {19200, B19200},
		 {38400, B38400}, {57600, B57600}, {115200, B115200}, {230400, B230400}, {460800, B460800}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].baud == v)
			return t[i].sp;
	return (speed_t)-1;
}

static tcflag_t *field_of(struct termios *t, int f)
{
	switch (f) {
	case F_I: return &t->c_iflag;
	case F_L: return &t->c_lflag;
	case F_O: return &t->c_oflag;
	default: return &t->c_cflag;
	}
}

int pty_modes_apply(struct buf *modes, struct termios *t)
{
	int applied = 0;
	for (;;) {
		uint8_t op;
		if (buf_avail(modes) == 0)
			return applied; /* missing TTY_OP_END: tolerated (as OpenSSH) */
		if (buf_get_u8(modes, &op))
			return -1;
		if (op == TTY_OP_END || op >= 160)
			return applied;
		uint32_t v;
		if (buf_get_u32(modes, &v))
			return -1;
		if (op == TTY_OP_ISPEED || op == TTY_OP_OSPEED) {
			speed_t sp = baud_to_speed(v);
			if (sp == (speed_t)-1)
				continue;
			if (op == TTY_OP_ISPEED)
				cfsetispeed(t, sp);
			else
				cfsetospeed(t, sp);
			applied++;
			continue;
		}
		int done = 0;
		for (size_t i = 0; i < sizeof(cc_table) / sizeof(cc_table[0]); i++) {
			if (cc_table[i].op == op) {
				done = 1;
				if (v == 255)
					t->c_cc[cc_table[i].idx] = _POSIX_VDISABLE;
				else if (v < 255)
					t->c_cc[cc_table[i].idx] = (cc_t)v;
				else
					break;
				applied++;
				break;
			}
		}
		if (done)
			continue;
		for (size_t i = 0; i < sizeof(flag_table) / sizeof(flag_table[0]); i++) {
			if (flag_table[i].op == op) {
				tcflag_t *f = field_of(t, flag_table[i].field);
				if (flag_table[i].field == F_C && (op == 90 || op == 91)) {
					/* CS7/CS8 are values of the CSIZE field */
					if (v) {
						*f &= ~(tcflag_t)CSIZE;
						*f |= flag_table[i].bit;
					}
				} else if (v) {
					*f |= flag_table[i].bit;
				} else {
					*f &= ~flag_table[i].bit;
				}
				applied++;
				break;
			}
		}
		/* unknown opcodes below 160 are skipped */
	}
}

int pty_set_modes(int fd, const uint8_t *modes, size_t len)
{
	struct termios t;
	if (tcgetattr(fd, &t) != 0)
		return -1;
	struct buf b;
	buf_view(&b, modes, len);
	int n = pty_modes_apply(&b, &t);
	if (n < 0)
		log_debug("pty-req: truncated terminal modes, applying what parsed");
	if (tcsetattr(fd, TCSANOW, &t) != 0)
		return -1;
	return 0;
}

int pty_set_winsize(int fd, uint32_t cols, uint32_t rows, uint32_t xpix, uint32_t ypix)
{
	struct winsize ws;
	ws.ws_col = cols > 0xffff ? 0xffff : (unsigned short)cols;
	ws.ws_row = rows > 0xffff ? 0xffff : (unsigned short)rows;
	ws.ws_xpixel = xpix > 0xffff ? 0xffff : (unsigned short)xpix;
	ws.ws_ypixel = ypix > 0xffff ? 0xffff : (unsigned short)ypix;
	return ioctl(fd, TIOCSWINSZ, &ws);
}
