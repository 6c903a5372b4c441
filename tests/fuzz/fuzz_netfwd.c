/* The networking child protocol: request, HELLO and reply decoders (the
 * child decodes requests and HELLO from the connection process, which
 * carry client-chosen addresses, ports and paths; the parent decodes
 * replies). Input: first byte selects the decoder, the rest is one
 * message. What decodes must encode, and that encoding must decode and
 * re-encode to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzzutil.h"
#include "netfwd_client.h"
#include "netfwd_server.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init();
	return 0;
}

/* A view of b's bytes (decoding b itself would reset it once consumed).
 * Through the buf API: an empty buf has no storage (data NULL), and
 * buf_rptr gives a valid pointer for it, raw fields would not. */
static struct buf *view(struct buf *v, const struct buf *b)
{
	buf_view(v, buf_rptr(b), buf_avail(b));
	return v;
}

static void same(struct buf *a, struct buf *b)
{
	if (buf_avail(a) != buf_avail(b) || memcmp(buf_rptr(a), buf_rptr(b), buf_avail(a)) != 0)
		abort();
	buf_free(a);
	buf_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct buf in, e1, e2, v;
	buf_view(&in, data + 1, size - 1);
	if (buf_init(&e1, 4096) || buf_init(&e2, 4096))
		abort();
	fz_mute();
	switch (data[0] % 3) {
	case 0: {
		struct netfwd_req r, r2;
		if (netfwd_req_decode(&in, &r) == 0) {
			if (netfwd_req_encode(&r, &e1) != 0 || netfwd_req_decode(view(&v, &e1), &r2) != 0)
				abort();
			if (netfwd_req_encode(&r2, &e2) != 0)
				abort();
		}
		break;
	}
	case 1: {
		struct netfwd_hello h, h2;
		if (netfwd_hello_decode(&in, &h) == 0) {
			if (netfwd_hello_encode(&h, &e1) != 0 || netfwd_hello_decode(view(&v, &e1), &h2) != 0)
				abort();
			if (netfwd_hello_encode(&h2, &e2) != 0)
				abort();
		}
		break;
	}
	default: {
		struct netfwd_reply r, r2;
		if (netfwd_reply_decode(&in, &r) == 0) {
			if (netfwd_reply_encode(&r, &e1) != 0 || netfwd_reply_decode(view(&v, &e1), &r2) != 0)
				abort();
			if (netfwd_reply_encode(&r2, &e2) != 0)
				abort();
		}
		break;
	}
	}
	same(&e1, &e2);
	fz_unmute();
	return 0;
}
