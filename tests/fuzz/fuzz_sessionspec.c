/* The session spec the connection process sends the exec child (fd 3).
 * Input: one framed spec (u32 length + body). A spec that decodes is
 * encoded again, and that encoding must decode and re-encode to the same
 * bytes (decode and encode agree on the format and its limits). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzzutil.h"
#include "sessionspec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init();
	return 0;
}

static void encode(const struct session_spec *s, struct buf *out)
{
	if (buf_init(out, SESSIONSPEC_MAX_SIZE + 4u) != BUF_OK || sessionspec_encode(s, out) != BUF_OK)
		abort(); /* whatever decodes must encode */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf in;
	struct session_spec s;
	buf_view(&in, data, size);
	fz_mute();
	if (sessionspec_decode(&in, &s) == BUF_OK) {
		struct buf e1, e2;
		encode(&s, &e1);
		struct session_spec s2;
		struct buf v; /* decoding e1 itself would reset it once consumed */
		buf_view(&v, buf_rptr(&e1), buf_avail(&e1));
		if (sessionspec_decode(&v, &s2) != BUF_OK)
			abort();
		encode(&s2, &e2);
		if (buf_avail(&e1) != buf_avail(&e2) ||
		    memcmp(buf_rptr(&e1), buf_rptr(&e2), buf_avail(&e1)) != 0)
			abort();
		sessionspec_free(&s2);
		buf_free(&e1);
		buf_free(&e2);
		sessionspec_free(&s);
	} else {
		/* a failed decode leaves the spec initialised and empty */
		if (s.user || s.env || s.groups || s.command)
			abort();
		sessionspec_free(&s);
	}
	fz_unmute();
	return 0;
}
