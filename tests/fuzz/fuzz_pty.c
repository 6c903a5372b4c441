/* The encoded terminal modes of a pty-req (RFC 4254 s8) applied to a
 * termios: input is the modes string as it arrives in the request. */
#include <stdint.h>
#include <string.h>
#include <termios.h>

#include "buf.h"
#include "fuzzutil.h"
#include "pty.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf b;
	struct termios t;
	memset(&t, 0, sizeof(t));
	t.c_cflag = CS8 | CREAD;
	cfsetispeed(&t, B38400);
	cfsetospeed(&t, B38400);
	buf_view(&b, data, size);
	fz_mute();
	int r = pty_modes_apply(&b, &t);
	if (r > (int)size)
		__builtin_trap(); /* at least 5 bytes per applied mode */
	fz_unmute();
	return 0;
}
