/* Unit tests for shared/buf.c: every reader refuses short or oversized input
 * without consuming, every writer respects max. */
#include <stdlib.h>

/* White-box test of buf.c (dirty marks, capacity): the one file besides
 * buf.c that sees struct buf's fields (tests/gates/buf_fields.sh allows it). */
#define SSHBOX_BUF_INTERNAL
#include "buf.h"
#include "t.h"

TEST(put_get_roundtrip)
{
	struct buf b;
	buf_init(&b, 0);
	CHECK_EQ_INT(buf_put_u8(&b, 7), 0);
	CHECK_EQ_INT(buf_put_u32(&b, 0xdeadbeef), 0);
	CHECK_EQ_INT(buf_put_u64(&b, 0x0102030405060708ull), 0);
	CHECK_EQ_INT(buf_put_cstring(&b, "hello"), 0);
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	char *s = NULL;
	CHECK_EQ_INT(buf_get_u8(&b, &u8), 0);
	CHECK_EQ_INT(u8, 7);
	CHECK_EQ_INT(buf_get_u32(&b, &u32), 0);
	CHECK(u32 == 0xdeadbeef);
	CHECK_EQ_INT(buf_get_u64(&b, &u64), 0);
	CHECK(u64 == 0x0102030405060708ull);
	CHECK_EQ_INT(buf_get_cstring(&b, &s, 100), 0);
	CHECK_STR(s, "hello");
	free(s);
	CHECK_EQ_INT(buf_avail(&b), 0);
	buf_free(&b);
}

TEST(short_reads_do_not_consume)
{
	static const uint8_t data[] = {0, 0, 0, 10, 'a', 'b'};
	struct buf b;
	buf_view(&b, data, sizeof(data));
	const uint8_t *p;
	size_t n;
	uint64_t u64;
	CHECK_EQ_INT(buf_get_string_view(&b, &p, &n, 100), BUF_ERR_SHORT);
	CHECK_EQ_INT(buf_avail(&b), 6);
	CHECK_EQ_INT(buf_get_u64(&b, &u64), BUF_ERR_SHORT);
	CHECK_EQ_INT(buf_avail(&b), 6);
}

TEST(string_over_limit_rejected)
{
	static const uint8_t data[] = {0xff, 0xff, 0xff, 0xff, 'x'};
	struct buf b;
	buf_view(&b, data, sizeof(data));
	const uint8_t *p;
	size_t n;
	CHECK_EQ_INT(buf_get_string_view(&b, &p, &n, 1024), BUF_ERR_LIMIT);
	CHECK_EQ_INT(buf_avail(&b), 5);
}

TEST(cstring_rejects_nul)
{
	static const uint8_t data[] = {0, 0, 0, 3, 'a', 0, 'b'};
	struct buf b;
	char *s = NULL;
	char arr[8];
	buf_view(&b, data, sizeof(data));
	CHECK_EQ_INT(buf_get_cstring(&b, &s, 100), BUF_ERR_FORMAT);
	CHECK(s == NULL);
	CHECK_EQ_INT(buf_get_cstring_into(&b, arr, sizeof(arr)), BUF_ERR_FORMAT);
	CHECK_EQ_INT(buf_avail(&b), 7);
}

TEST(cstring_into_respects_capacity)
{
	static const uint8_t data[] = {0, 0, 0, 4, 'a', 'b', 'c', 'd'};
	struct buf b;
	char small[4], big[5];
	buf_view(&b, data, sizeof(data));
	CHECK_EQ_INT(buf_get_cstring_into(&b, small, sizeof(small)), BUF_ERR_LIMIT);
	CHECK_EQ_INT(buf_get_cstring_into(&b, big, sizeof(big)), 0);
	CHECK_STR(big, "abcd");
}

TEST(max_size_enforced)
{
	struct buf b;
	buf_init(&b, 8);
	CHECK_EQ_INT(buf_put_u64(&b, 1), 0);
	CHECK_EQ_INT(buf_put_u8(&b, 1), BUF_ERR_LIMIT);
	CHECK_EQ_INT(buf_avail(&b), 8);
	buf_reset(&b);
	CHECK_EQ_INT(buf_put_string(&b, "12345", 5), BUF_ERR_LIMIT);
	CHECK_EQ_INT(buf_put_string(&b, "1234", 4), 0);
	buf_free(&b);
}

TEST(readonly_view_refuses_writes)
{
	static const uint8_t data[] = {1, 2};
	struct buf b;
	buf_view(&b, data, sizeof(data));
	CHECK_EQ_INT(buf_put_u8(&b, 1), BUF_ERR_LIMIT);
}

TEST(message_body_view_skips_the_type_byte)
{
	static const uint8_t msg[] = {5, 0, 0, 0, 2, 'o', 'k'};
	struct buf whole, body;
	buf_view(&whole, msg, sizeof(msg));
	CHECK_EQ_INT(buf_view_message_body(&body, &whole), 0);
	CHECK_EQ_INT((int)buf_avail(&body), 6);
	CHECK_EQ_INT((int)buf_avail(&whole), 7); /* the message itself is not consumed */
	char s[8];
	CHECK_EQ_INT(buf_get_cstring_into(&body, s, sizeof(s)), 0);
	CHECK(strcmp(s, "ok") == 0);
	CHECK_EQ_INT(buf_put_u8(&body, 1), BUF_ERR_LIMIT); /* read-only */

	struct buf empty;
	buf_view(&empty, msg, 0);
	CHECK_EQ_INT(buf_view_message_body(&body, &empty), BUF_ERR_SHORT);
	CHECK_EQ_INT((int)buf_avail(&body), 0);
}

TEST(mpint_encoding)
{
	struct buf b;
	buf_init(&b, 0);
	static const uint8_t hi[] = {0x00, 0x00, 0x80, 0x01};
	CHECK_EQ_INT(buf_put_mpint_unsigned(&b, hi, sizeof(hi)), 0);
	/* length 3: 00 80 01 */
	static const uint8_t want[] = {0, 0, 0, 3, 0x00, 0x80, 0x01};
	CHECK_EQ_INT(buf_avail(&b), sizeof(want));
	CHECK(memcmp(buf_rptr(&b), want, sizeof(want)) == 0);
	const uint8_t *p;
	size_t n;
	CHECK_EQ_INT(buf_get_mpint_unsigned_view(&b, &p, &n, 64), 0);
	CHECK_EQ_INT(n, 2);
	CHECK(p[0] == 0x80 && p[1] == 0x01);
	buf_free(&b);
}

TEST(mpint_rejects_negative_and_padding)
{
	static const uint8_t neg[] = {0, 0, 0, 1, 0x80};
	static const uint8_t pad[] = {0, 0, 0, 2, 0x00, 0x01};
	const uint8_t *p;
	size_t n;
	struct buf b;
	buf_view(&b, neg, sizeof(neg));
	CHECK_EQ_INT(buf_get_mpint_unsigned_view(&b, &p, &n, 64), BUF_ERR_FORMAT);
	CHECK_EQ_INT(buf_avail(&b), sizeof(neg));
	buf_view(&b, pad, sizeof(pad));
	CHECK_EQ_INT(buf_get_mpint_unsigned_view(&b, &p, &n, 64), BUF_ERR_FORMAT);
}

TEST(nested_string_buf)
{
	struct buf outer, inner, sub;
	buf_init(&outer, 0);
	buf_init(&inner, 0);
	buf_put_cstring(&inner, "ssh-ed25519");
	buf_put_u32(&inner, 42);
	buf_put_buf(&outer, &inner);
	CHECK_EQ_INT(buf_get_string_buf(&outer, &sub, 1024), 0);
	char name[32];
	uint32_t v;
	CHECK_EQ_INT(buf_get_cstring_into(&sub, name, sizeof(name)), 0);
	CHECK_STR(name, "ssh-ed25519");
	CHECK_EQ_INT(buf_get_u32(&sub, &v), 0);
	CHECK_EQ_INT(v, 42);
	CHECK_EQ_INT(buf_avail(&sub), 0);
	buf_free(&outer);
	buf_free(&inner);
}

TEST(growth_keeps_content_and_consume_compacts)
{
	struct buf b;
	buf_init(&b, 0);
	for (uint32_t i = 0; i < 10000; i++)
		CHECK_EQ_INT(buf_put_u32(&b, i), 0);
	CHECK_EQ_INT(buf_consume(&b, 4 * 5000), 0);
	uint32_t v;
	CHECK_EQ_INT(buf_get_u32(&b, &v), 0);
	CHECK_EQ_INT(v, 5000);
	CHECK_EQ_INT(buf_consume(&b, buf_avail(&b) + 1), BUF_ERR_SHORT);
	CHECK_EQ_INT(buf_consume_end(&b, 4), 0);
	CHECK_EQ_INT(buf_avail(&b), 4 * (10000 - 5001 - 1));
	buf_free(&b);
}

TEST(limit_counts_live_bytes_not_consumed_ones)
{
	struct buf b;
	buf_init(&b, 16);
	for (int round = 0; round < 10; round++) {
		CHECK_EQ_INT(buf_put_u64(&b, 1), 0);
		CHECK_EQ_INT(buf_put_u32(&b, 2), 0);
		CHECK_EQ_INT(buf_consume(&b, 8), 0);
		/* 4 live bytes: 12 more must fit although len has grown before. */
		CHECK_EQ_INT(buf_put_u64(&b, 3), 0);
		CHECK_EQ_INT(buf_put_u32(&b, 4), 0);
		CHECK_EQ_INT(buf_put_u8(&b, 5), BUF_ERR_LIMIT);
		CHECK_EQ_INT(buf_avail(&b), 16);
		uint32_t v;
		CHECK_EQ_INT(buf_get_u32(&b, &v), 0);
		CHECK_EQ_INT(v, 2);
		CHECK_EQ_INT(buf_consume(&b, 12), 0);
	}
	buf_free(&b);
}

TEST(putf_appends_text_within_the_limit)
{
	struct buf b;
	buf_init(&b, 16);
	CHECK_EQ_INT(buf_putf(&b, "%s=%d", "a", 42), BUF_OK);
	CHECK_EQ_INT(buf_putf(&b, ";"), BUF_OK);
	CHECK_EQ_INT((int)buf_avail(&b), 5);
	CHECK(memcmp(buf_rptr(&b), "a=42;", 5) == 0);
	/* a long text is not truncated silently: it fails whole */
	CHECK_EQ_INT(buf_putf(&b, "%s", "0123456789abcdef"), BUF_ERR_LIMIT);
	CHECK_EQ_INT((int)buf_avail(&b), 5);
	buf_free(&b);
	buf_init(&b, 4096);
	char big[3000];
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK_EQ_INT(buf_putf(&b, "<%s>", big), BUF_OK); /* longer than any fixed scratch */
	CHECK_EQ_INT((int)buf_avail(&b), (int)sizeof(big) + 1);
	buf_free(&b);
}

/* buf_free wipes what was written (dirty), not untouched capacity. */
TEST(dirty_marks_written_bytes)
{
	struct buf b;
	buf_init(&b, 0);
	CHECK_EQ_INT(b.dirty, 0);
	CHECK_EQ_INT(buf_put(&b, "0123456789", 10), BUF_OK);
	CHECK_EQ_INT(b.dirty, 10);
	CHECK(b.cap > 10);
	CHECK_EQ_INT(buf_consume(&b, 10), BUF_OK); /* empty: reuses from 0 */
	CHECK_EQ_INT(buf_put(&b, "abcd", 4), BUF_OK);
	CHECK_EQ_INT(b.dirty, 10); /* bytes 4..9 still hold old data */
	uint8_t big[1000];
	memset(big, 7, sizeof(big));
	CHECK_EQ_INT(buf_put(&b, big, sizeof(big)), BUF_OK); /* regrow */
	CHECK_EQ_INT(b.dirty, 1004);
	buf_free(&b);
	CHECK_EQ_INT(b.dirty, 0);
}

/* A read() that fills less than it was offered: the unwritten tail is
 * dropped and no longer counts as written, but bytes written before the
 * reservation still do. */
TEST(unreserve_lowers_dirty_to_what_was_written)
{
	struct buf b;
	buf_init(&b, 0);
	uint8_t *p;
	CHECK_EQ_INT(buf_reserve(&b, 65536, &p), BUF_OK);
	memcpy(p, "hello", 5);
	CHECK_EQ_INT(buf_unreserve(&b, 65536 - 5), BUF_OK);
	CHECK_EQ_INT((int)buf_avail(&b), 5);
	CHECK_EQ_INT(b.dirty, 5); /* buf_free wipes 5 bytes, not 64 KiB */
	CHECK_EQ_INT(buf_consume(&b, 5), BUF_OK);
	CHECK_EQ_INT(buf_reserve(&b, 100, &p), BUF_OK);
	CHECK_EQ_INT(buf_unreserve(&b, 100), BUF_OK); /* nothing read */
	CHECK_EQ_INT((int)buf_avail(&b), 0);
	CHECK_EQ_INT(b.dirty, 5); /* "hello" is still in the storage */
	CHECK_EQ_INT(buf_unreserve(&b, 1), BUF_ERR_SHORT);
	buf_free(&b);
}

TEST(wrap_is_fixed_caller_storage)
{
	uint8_t store[8];
	struct buf b;
	buf_wrap(&b, store, sizeof(store));
	CHECK(buf_initialized(&b));
	CHECK_EQ_INT(buf_room(&b), 8);
	CHECK_EQ_INT(buf_put(&b, "abcdef", 6), BUF_OK);
	CHECK(buf_rptr(&b) == store); /* written in place, no allocation */
	CHECK_EQ_INT(buf_put(&b, "ghi", 3), BUF_ERR_LIMIT);
	CHECK_EQ_INT(buf_put(&b, "gh", 2), BUF_OK);
	CHECK(memcmp(store, "abcdefgh", 8) == 0);
	/* consumed bytes are reclaimed in place */
	CHECK_EQ_INT(buf_consume(&b, 3), BUF_OK);
	CHECK_EQ_INT(buf_put(&b, "xyz", 3), BUF_OK);
	CHECK(memcmp(buf_rptr(&b), "defghxyz", 8) == 0);
	buf_free(&b); /* wipes, does not free() the stack array */
	CHECK(store[0] == 0 && store[7] == 0);
}

TEST(clear_initialized_room)
{
	struct buf z;
	memset(&z, 0, sizeof(z));
	CHECK(!buf_initialized(&z));
	struct buf b;
	buf_init(&b, 10);
	CHECK(buf_initialized(&b));
	CHECK_EQ_INT(buf_room(&b), 10);
	CHECK_EQ_INT(buf_put(&b, "1234", 4), BUF_OK);
	CHECK_EQ_INT(buf_room(&b), 6);
	uint8_t c;
	CHECK_EQ_INT(buf_get_u8(&b, &c), BUF_OK);
	CHECK_EQ_INT(buf_room(&b), 7); /* consumed bytes count as room */
	buf_clear(&b);
	CHECK_EQ_INT(buf_avail(&b), 0);
	CHECK_EQ_INT(buf_room(&b), 10);
	CHECK_EQ_INT(buf_put(&b, "x", 1), BUF_OK);
	CHECK(memcmp(buf_rptr(&b), "x", 1) == 0);
	buf_free(&b);
	struct buf v;
	buf_view(&v, "abc", 3);
	CHECK(buf_initialized(&v));
	CHECK_EQ_INT(buf_room(&v), 0);
}

TEST(wptr_is_the_readable_bytes_and_views_have_none)
{
	struct buf b;
	buf_init(&b, 64);
	CHECK_EQ_INT(buf_put(&b, "hello", 5), BUF_OK);
	CHECK_EQ_INT(buf_consume(&b, 1), BUF_OK);
	uint8_t *w = buf_wptr(&b);
	CHECK(w == buf_rptr(&b));
	w[0] = 'E';
	CHECK(memcmp(buf_rptr(&b), "Ello", 4) == 0);
	buf_free(&b);
	struct buf v;
	buf_view(&v, "abc", 3);
	CHECK(buf_wptr(&v) == NULL);
}

TEST(compact_lazy_only_when_worth_it)
{
	struct buf b;
	buf_init(&b, 1024);
	static const uint8_t bytes[100];
	CHECK_EQ_INT(buf_put(&b, bytes, sizeof(bytes)), BUF_OK);
	const uint8_t *start = buf_rptr(&b);
	CHECK_EQ_INT(buf_consume(&b, 60), BUF_OK);
	buf_compact_lazy(&b, 60); /* 60 consumed: not more than the threshold */
	CHECK(buf_rptr(&b) == start + 60);
	CHECK_EQ_INT(buf_consume(&b, 10), BUF_OK);
	buf_compact_lazy(&b, 10); /* 70 consumed > 10, and > 30 readable */
	CHECK(buf_rptr(&b) == start);
	CHECK_EQ_INT(buf_avail(&b), 30);
	CHECK_EQ_INT(buf_consume(&b, 10), BUF_OK);
	buf_compact_lazy(&b, 0); /* 10 consumed, but fewer than the 20 readable */
	CHECK(buf_rptr(&b) == start + 10);
	buf_free(&b);
}

/* A buf holding one SSH string with these bytes. */
static void string_of(struct buf *b, const void *p, size_t n)
{
	buf_init(b, 64 * 1024);
	buf_put_string(b, p, n);
}

static int namelist_of(const void *p, size_t n, char *out, size_t cap)
{
	struct buf b;
	string_of(&b, p, n);
	size_t before = buf_avail(&b);
	int r = buf_get_namelist(&b, out, cap);
	if (r != BUF_OK)
		CHECK_EQ_INT(buf_avail(&b), before); /* nothing consumed */
	else
		CHECK_EQ_INT(buf_avail(&b), 0);
	buf_free(&b);
	return r;
}

TEST(namelist_accepts_names)
{
	char out[BUF_NAMELIST_MAX + 1];
	CHECK_EQ_INT(namelist_of("curve25519-sha256,ext-info-c", 28, out, sizeof(out)), BUF_OK);
	CHECK_STR(out, "curve25519-sha256,ext-info-c");
	CHECK_EQ_INT(namelist_of("", 0, out, sizeof(out)), BUF_OK); /* the empty list */
	CHECK_STR(out, "");
	char name[BUF_NAME_MAX + 2];
	memset(name, 'a', sizeof(name));
	CHECK_EQ_INT(namelist_of(name, BUF_NAME_MAX, out, sizeof(out)), BUF_OK);
	CHECK_EQ_INT(namelist_of(name, BUF_NAME_MAX + 1, out, sizeof(out)), BUF_ERR_FORMAT);
	/* BUF_NAMELIST_MAX_NAMES names of one letter, then one more */
	char many[2 * BUF_NAMELIST_MAX_NAMES + 2];
	for (size_t i = 0; i < BUF_NAMELIST_MAX_NAMES + 1; i++) {
		many[2 * i] = 'x';
		many[2 * i + 1] = ',';
	}
	CHECK_EQ_INT(namelist_of(many, 2 * BUF_NAMELIST_MAX_NAMES - 1, out, sizeof(out)), BUF_OK);
	CHECK_EQ_INT(namelist_of(many, 2 * BUF_NAMELIST_MAX_NAMES + 1, out, sizeof(out)), BUF_ERR_FORMAT);
}

TEST(namelist_rejects_nul_controls_and_empty_names)
{
	char out[256];
	static const struct {
		const char *p;
		size_t n;
	} bad[] = {
	    {"curve25519-sha256\0junk", 22},
	    {"a\tb", 3},
	    {"a b", 3},
	    {"a\x7f", 2},
	    {"caf\xc3\xa9", 5},
	    {"a\r\n", 3},
	    {",a", 2},
	    {"a,,b", 4},
	    {"a,", 2},
	    {",", 1},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_INT(namelist_of(bad[i].p, bad[i].n, out, sizeof(out)), BUF_ERR_FORMAT);
		CHECK_STR(out, "");
	}
}

TEST(namelist_limits)
{
	static char big[BUF_NAMELIST_MAX + 2];
	memset(big, 'a', sizeof(big));
	for (size_t i = 10; i < sizeof(big); i += 11)
		big[i] = ',';
	char *out = malloc(BUF_NAMELIST_MAX + 8);
	CHECK_EQ_INT(namelist_of(big, BUF_NAMELIST_MAX + 1, out, BUF_NAMELIST_MAX + 8), BUF_ERR_LIMIT);
	CHECK_EQ_INT(namelist_of("abc,def", 7, out, 7), BUF_ERR_LIMIT); /* no room for the NUL */
	CHECK_EQ_INT(namelist_of("abc,def", 7, out, 8), BUF_OK);
	free(out);
	/* truncated string */
	struct buf b;
	buf_init(&b, 64);
	buf_put_u32(&b, 10);
	buf_put(&b, "abc", 3);
	char o[32];
	CHECK_EQ_INT(buf_get_namelist(&b, o, sizeof(o)), BUF_ERR_SHORT);
	CHECK_EQ_INT(buf_avail(&b), 7);
	buf_free(&b);
}

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

TEST(text_tokenizing)
{
	struct buf b, tok;
	buf_view(&b, "GET /x HTTP/1.1\r\nrest", 21);
	CHECK_EQ_INT(buf_get_until(&b, ' ', &tok, 100), BUF_OK);
	CHECK_EQ_INT(buf_avail(&tok), 3);
	CHECK(memcmp(buf_rptr(&tok), "GET", 3) == 0);
	CHECK_EQ_INT(buf_get_until(&b, '\n', &tok, 100), BUF_OK);
	CHECK_EQ_INT(buf_chomp(&tok, '\r'), 1);
	CHECK_EQ_INT(buf_chomp(&tok, '\r'), 0);
	char s[32];
	CHECK_EQ_INT(buf_copy_cstring(&tok, s, sizeof(s)), BUF_OK);
	CHECK_STR(s, "/x HTTP/1.1");
	CHECK_EQ_INT(buf_copy_cstring(&tok, s, 11), BUF_ERR_LIMIT);
	/* no delimiter: short while fewer than maxlen bytes, limit after */
	CHECK_EQ_INT(buf_get_until(&b, '\n', &tok, 100), BUF_ERR_SHORT);
	CHECK_EQ_INT(buf_get_until(&b, '\n', &tok, 4), BUF_ERR_LIMIT);
	CHECK_EQ_INT(buf_get_until(&b, 't', &tok, 3), BUF_ERR_LIMIT); /* 't' is the 4th: outside 3 */
	CHECK_EQ_INT(buf_avail(&b), 4);				      /* nothing consumed */
	CHECK_EQ_INT(buf_get_until(&b, 't', &tok, 5), BUF_OK);
	/* skip / trim / all */
	buf_view(&b, " \t 42 \t", 7);
	CHECK_EQ_INT(buf_skip_any(&b, " \t"), 3);
	buf_trim_end(&b, " \t");
	CHECK_EQ_INT(buf_avail(&b), 2);
	CHECK(buf_all(&b, is_digit));
	buf_view(&b, "4\0002", 3);
	CHECK(!buf_all(&b, is_digit));
	CHECK_EQ_INT(buf_copy_cstring(&b, s, sizeof(s)), BUF_ERR_FORMAT); /* NUL inside */
}

int main(void)
{
	RUN(put_get_roundtrip);
	RUN(short_reads_do_not_consume);
	RUN(string_over_limit_rejected);
	RUN(cstring_rejects_nul);
	RUN(cstring_into_respects_capacity);
	RUN(max_size_enforced);
	RUN(readonly_view_refuses_writes);
	RUN(mpint_encoding);
	RUN(mpint_rejects_negative_and_padding);
	RUN(nested_string_buf);
	RUN(growth_keeps_content_and_consume_compacts);
	RUN(limit_counts_live_bytes_not_consumed_ones);
	RUN(putf_appends_text_within_the_limit);
	RUN(dirty_marks_written_bytes);
	RUN(unreserve_lowers_dirty_to_what_was_written);
	RUN(wrap_is_fixed_caller_storage);
	RUN(clear_initialized_room);
	RUN(wptr_is_the_readable_bytes_and_views_have_none);
	RUN(compact_lazy_only_when_worth_it);
	RUN(namelist_accepts_names);
	RUN(namelist_rejects_nul_controls_and_empty_names);
	RUN(namelist_limits);
	RUN(text_tokenizing);
	RUN(message_body_view_skips_the_type_byte);

	return t_done();
}
