/* Unit tests for shared/pty: RFC 4254 terminal modes -> termios, real ptys. */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "buf.h"
#include "pty.h"
#include "t.h"

static void op(struct buf *b, uint8_t o, uint32_t v)
{
	buf_put_u8(b, o);
	buf_put_u32(b, v);
}

TEST(modes_basic)
{
	struct termios t;
	memset(&t, 0, sizeof(t));
	t.c_lflag = ECHO;
	t.c_cflag = CS7;
	struct buf b;
	buf_init(&b, 1024);
	op(&b, 1, 3);      /* VINTR ^C */
	op(&b, 3, 127);    /* VERASE DEL */
	op(&b, 4, 255);    /* VKILL disabled */
	op(&b, 5, 1000);   /* VEOF out of range: ignored */
	op(&b, 53, 0);     /* ECHO off */
	op(&b, 50, 1);     /* ISIG on */
	op(&b, 51, 1);     /* ICANON on */
	op(&b, 36, 1);     /* ICRNL */
	op(&b, 42, 1);     /* IUTF8 */
	op(&b, 72, 1);     /* ONLCR */
	op(&b, 91, 1);     /* CS8 */
	op(&b, 11, 25);    /* VDSUSP: not on Linux, skipped */
	op(&b, 128, 38400);
	op(&b, 129, 12345); /* not a baud rate: skipped */
	op(&b, 99, 1);     /* undefined opcode < 160: skipped */
	buf_put_u8(&b, 0);
	op(&b, 53, 1);     /* after TTY_OP_END: never read */
	t.c_cc[VEOF] = 4;
	int n = pty_modes_apply(&b, &t);
	CHECK_EQ_INT(n, 11);
	CHECK_EQ_INT(t.c_cc[VINTR], 3);
	CHECK_EQ_INT(t.c_cc[VERASE], 127);
	CHECK_EQ_INT(t.c_cc[VKILL], _POSIX_VDISABLE);
	CHECK_EQ_INT(t.c_cc[VEOF], 4);
	CHECK(!(t.c_lflag & ECHO));
	CHECK(t.c_lflag & ISIG);
	CHECK(t.c_lflag & ICANON);
	CHECK(t.c_iflag & ICRNL);
	CHECK(t.c_iflag & IUTF8);
	CHECK(t.c_oflag & ONLCR);
	CHECK_EQ_INT(t.c_cflag & CSIZE, CS8);
	CHECK_EQ_INT(cfgetispeed(&t), B38400);
	buf_free(&b);
}

TEST(modes_hostile)
{
	struct termios t;
	memset(&t, 0, sizeof(t));
	struct buf b;
	/* truncated u32 */
	uint8_t trunc[] = {53, 0, 0};
	buf_view(&b, trunc, sizeof(trunc));
	CHECK_EQ_INT(pty_modes_apply(&b, &t), -1);
	/* opcode >= 160 stops parsing */
	uint8_t stop[] = {160, 53, 0, 0, 0, 1};
	buf_view(&b, stop, sizeof(stop));
	CHECK_EQ_INT(pty_modes_apply(&b, &t), 0);
	CHECK(!(t.c_lflag & ECHO));
	/* empty string, no END */
	buf_view(&b, stop, 0);
	CHECK_EQ_INT(pty_modes_apply(&b, &t), 0);
	/* random garbage never crashes */
	uint8_t junk[4096];
	srand(7);
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)rand();
		buf_view(&b, junk, (size_t)(rand() % (int)sizeof(junk)));
		int r = pty_modes_apply(&b, &t);
		CHECK(r >= -1);
	}
}

TEST(real_pty)
{
	int m, s;
	char name[PTY_NAME_MAX];
	CHECK_EQ_INT(pty_open(&m, &s, name, sizeof(name)), 0);
	if (m < 0)
		return;
	CHECK(strncmp(name, "/dev/pts/", 9) == 0);
	CHECK(isatty(s));
	struct buf b;
	buf_init(&b, 64);
	op(&b, 53, 0);
	op(&b, 3, 8);
	buf_put_u8(&b, 0);
	CHECK_EQ_INT(pty_set_modes(m, buf_rptr(&b), buf_avail(&b)), 0);
	struct termios t;
	CHECK_EQ_INT(tcgetattr(s, &t), 0);
	CHECK(!(t.c_lflag & ECHO));
	CHECK_EQ_INT(t.c_cc[VERASE], 8);
	CHECK_EQ_INT(pty_set_winsize(m, 132, 43, 0, 0), 0);
	struct winsize ws;
	CHECK_EQ_INT(ioctl(s, TIOCGWINSZ, &ws), 0);
	CHECK_EQ_INT(ws.ws_col, 132);
	CHECK_EQ_INT(ws.ws_row, 43);
	CHECK_EQ_INT(pty_set_winsize(m, 100000, 7, 0, 0), 0);
	CHECK_EQ_INT(ioctl(s, TIOCGWINSZ, &ws), 0);
	CHECK_EQ_INT(ws.ws_col, 0xffff);
	/* data flows slave -> master */
	CHECK_EQ_INT(write(s, "hi", 2), 2);
	char rb[8];
	CHECK_EQ_INT(read(m, rb, sizeof(rb)), 2);
	buf_free(&b);
	close(s);
	close(m);
}

int main(void)
{
	RUN(modes_basic);
	RUN(modes_hostile);
	RUN(real_pty);
	return t_done();
}
