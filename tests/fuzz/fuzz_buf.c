/* Fuzzes the buffer readers with arbitrary bytes: every sequence of gets
 * must stay in bounds. (Parsers of real messages have their own targets.) */
#include <stdint.h>
#include <stdlib.h>

#include "buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf b;
	buf_view(&b, data, size);
	for (int guard = 0; guard < 64 && buf_avail(&b) > 0; guard++) {
		uint8_t op;
		if (buf_get_u8(&b, &op))
			break;
		const uint8_t *p;
		size_t n;
		char *s = NULL;
		char small[16];
		struct buf sub;
		uint32_t u32;
		uint64_t u64;
		switch (op % 7) {
		case 0: (void)buf_get_string_view(&b, &p, &n, 1024); break;
		case 1: if (buf_get_cstring(&b, &s, 4096) == 0) free(s); break;
		case 2: (void)buf_get_cstring_into(&b, small, sizeof(small)); break;
		case 3: (void)buf_get_mpint_unsigned_view(&b, &p, &n, 66); break;
		case 4: if (buf_get_string_buf(&b, &sub, 1 << 20) == 0) (void)buf_get_u32(&sub, &u32); break;
		case 5: (void)buf_get_u64(&b, &u64); break;
		default: (void)buf_consume(&b, op); break;
		}
	}
	return 0;
}
