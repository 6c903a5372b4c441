/* buf: bounds-checked byte buffer. See buf.h. */
#define SSHBOX_BUF_INTERNAL /* the one file that sees struct buf's fields */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>

#include <stdlib.h>
#include <string.h>

#include "util.h"

int buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	if (max == 0 || max > BUF_MAX_SIZE)
		max = BUF_MAX_SIZE;
	b->max = max;
	return BUF_OK;
}

void buf_free(struct buf *b)
{
	if (b->data && !b->readonly) {
		secure_zero(b->data, b->dirty);
		if (!b->fixed)
			free(b->data);
	}
	memset(b, 0, sizeof(*b));
}

void buf_reset(struct buf *b)
{
	if (b->readonly) {
		b->off = b->len = 0;
		return;
	}
	if (b->data)
		secure_zero(b->data, b->len);
	b->off = b->len = 0;
}

int buf_view_message_body(struct buf *body, const struct buf *message)
{
	buf_view(body, buf_rptr(message), buf_avail(message));
	uint8_t type;
	return buf_get_u8(body, &type);
}

void buf_view(struct buf *b, const void *data, size_t len)
{
	memset(b, 0, sizeof(*b));
	/* The cast is the one place a view aliases const memory; readonly
	 * guarantees no writer touches it. */
	b->data = (uint8_t *)(uintptr_t)data;
	b->cap = b->len = b->max = len;
	b->readonly = 1;
}

void buf_wrap(struct buf *b, void *storage, size_t size)
{
	memset(b, 0, sizeof(*b));
	b->data = storage;
	b->cap = b->max = size;
	b->fixed = 1;
}

void buf_clear(struct buf *b)
{
	b->off = b->len = 0;
}

int buf_initialized(const struct buf *b)
{
	return b->max != 0 || b->readonly;
}

size_t buf_avail(const struct buf *b)
{
	return b->len - b->off;
}

size_t buf_room(const struct buf *b)
{
	return b->readonly ? 0 : b->max - buf_avail(b);
}

uint8_t *buf_wptr(struct buf *b)
{
	if (b->readonly)
		return NULL;
	return b->data ? b->data + b->off : NULL;
}

const uint8_t *buf_rptr(const struct buf *b)
{
	return b->data ? b->data + b->off : (const uint8_t *)"";
}

int buf_consume(struct buf *b, size_t n)
{
	if (n > buf_avail(b))
		return BUF_ERR_SHORT;
	b->off += n;
	if (b->off == b->len && !b->readonly)
		b->off = b->len = 0;
	return BUF_OK;
}

int buf_consume_end(struct buf *b, size_t n)
{
	if (n > buf_avail(b))
		return BUF_ERR_SHORT;
	b->len -= n;
	return BUF_OK;
}

void buf_compact(struct buf *b)
{
	if (b->readonly || b->off == 0)
		return;
	memmove(b->data, b->data + b->off, b->len - b->off);
	b->len -= b->off;
	b->off = 0;
}

void buf_compact_lazy(struct buf *b, size_t threshold)
{
	if (b->off > threshold && b->off > buf_avail(b))
		buf_compact(b);
}

/* Grows storage so that n more bytes fit; zeroizes the old block because it
 * may hold secrets (realloc would leave a copy behind). */
static int buf_grow(struct buf *b, size_t n)
{
	if (b->readonly)
		return BUF_ERR_LIMIT;
	/* The limit is on live bytes: consumed ones are reclaimed by compacting. */
	if (n > b->max || buf_avail(b) > b->max - n)
		return BUF_ERR_LIMIT;
	if (b->len > b->max - n)
		buf_compact(b);
	size_t need = b->len + n;
	if (need <= b->cap)
		return BUF_OK;
	if (b->off > 0 && need - b->off <= b->cap) {
		buf_compact(b);
		return BUF_OK;
	}
	size_t ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap = ncap > b->max / 2 ? b->max : ncap * 2;
	uint8_t *nd = malloc(ncap);
	if (!nd)
		return BUF_ERR_NOMEM;
	if (b->data) {
		memcpy(nd, b->data, b->len);
		secure_zero(b->data, b->dirty);
		free(b->data);
	}
	b->data = nd;
	b->cap = ncap;
	b->dirty = b->len;
	return BUF_OK;
}

int buf_reserve(struct buf *b, size_t n, uint8_t **out)
{
	int r = buf_grow(b, n);
	if (r != BUF_OK)
		return r;
	*out = b->data + b->len;
	b->len += n;
	b->dirty_before_reserve = b->dirty;
	if (b->len > b->dirty)
		b->dirty = b->len;
	return BUF_OK;
}

int buf_unreserve(struct buf *b, size_t n)
{
	int r = buf_consume_end(b, n);
	if (r != BUF_OK)
		return r;
	b->dirty = b->len > b->dirty_before_reserve ? b->len : b->dirty_before_reserve;
	return BUF_OK;
}

int buf_put(struct buf *b, const void *p, size_t n)
{
	uint8_t *dst;
	if (n == 0)
		return BUF_OK;
	int r = buf_reserve(b, n, &dst);
	if (r == BUF_OK)
		memcpy(dst, p, n);
	return r;
}

int buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_put(b, &v, 1);
}

void store_be32(uint8_t out[4], uint32_t v)
{
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

uint32_t load_be32(const uint8_t in[4])
{
	return ((uint32_t)in[0] << 24) | ((uint32_t)in[1] << 16) | ((uint32_t)in[2] << 8) | in[3];
}

int buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t t[4];
	store_be32(t, v);
	return buf_put(b, t, 4);
}

int buf_put_u64(struct buf *b, uint64_t v)
{
	int r = buf_put_u32(b, (uint32_t)(v >> 32));
	return r ? r : buf_put_u32(b, (uint32_t)v);
}

int buf_put_string(struct buf *b, const void *p, size_t n)
{
	if (n > UINT32_MAX)
		return BUF_ERR_LIMIT;
	if (n > b->max || b->len > b->max - n || b->max - b->len - n < 4)
		return BUF_ERR_LIMIT;
	int r = buf_put_u32(b, (uint32_t)n);
	return r ? r : buf_put(b, p, n);
}

int buf_put_cstring(struct buf *b, const char *s)
{
	return buf_put_string(b, s, strlen(s));
}

int buf_put_buf(struct buf *b, const struct buf *src)
{
	return buf_put_string(b, buf_rptr(src), buf_avail(src));
}

int buf_put_mpint_unsigned(struct buf *b, const uint8_t *be, size_t n)
{
	size_t skip = 0;
	while (skip < n && be[skip] == 0)
		skip++;
	size_t mlen = n - skip;
	int pad = mlen > 0 && (be[skip] & 0x80);
	if (mlen + (size_t)pad > UINT32_MAX)
		return BUF_ERR_LIMIT;
	int r = buf_put_u32(b, (uint32_t)(mlen + (size_t)pad));
	if (!r && pad)
		r = buf_put_u8(b, 0);
	if (!r)
		r = buf_put(b, be + skip, mlen);
	return r;
}

int buf_get(struct buf *b, void *out, size_t n)
{
	if (n > buf_avail(b))
		return BUF_ERR_SHORT;
	if (n)
		memcpy(out, b->data + b->off, n);
	return buf_consume(b, n);
}

int buf_get_u8(struct buf *b, uint8_t *v)
{
	return buf_get(b, v, 1);
}

int buf_peek_u8(const struct buf *b, size_t at, uint8_t *v)
{
	if (at >= buf_avail(b))
		return BUF_ERR_SHORT;
	*v = b->data[b->off + at];
	return BUF_OK;
}

int buf_peek_u32(const struct buf *b, size_t at, uint32_t *v)
{
	if (at > buf_avail(b) || buf_avail(b) - at < 4)
		return BUF_ERR_SHORT;
	*v = load_be32(b->data + b->off + at);
	return BUF_OK;
}

int buf_get_u32(struct buf *b, uint32_t *v)
{
	int r = buf_peek_u32(b, 0, v);
	return r ? r : buf_consume(b, 4);
}

int buf_get_u64(struct buf *b, uint64_t *v)
{
	uint32_t hi, lo;
	if (buf_avail(b) < 8)
		return BUF_ERR_SHORT;
	buf_get_u32(b, &hi);
	buf_get_u32(b, &lo);
	*v = ((uint64_t)hi << 32) | lo;
	return BUF_OK;
}

int buf_get_bool(struct buf *b, int *v)
{
	uint8_t c;
	int r = buf_get_u8(b, &c);
	if (r == BUF_OK)
		*v = c != 0;
	return r;
}

int buf_get_string_view(struct buf *b, const uint8_t **p, size_t *n, size_t maxlen)
{
	uint32_t l;
	int r = buf_peek_u32(b, 0, &l);
	if (r)
		return r;
	if (l > maxlen)
		return BUF_ERR_LIMIT;
	if (buf_avail(b) - 4 < l)
		return BUF_ERR_SHORT;
	*p = b->data + b->off + 4;
	*n = l;
	return buf_consume(b, 4 + (size_t)l);
}

int buf_get_cstring(struct buf *b, char **out, size_t maxlen)
{
	const uint8_t *p;
	size_t n;
	struct buf save = *b;
	int r = buf_get_string_view(b, &p, &n, maxlen);
	if (r)
		return r;
	if (n && memchr(p, 0, n)) {
		*b = save;
		return BUF_ERR_FORMAT;
	}
	char *s = malloc(n + 1);
	if (!s) {
		*b = save;
		return BUF_ERR_NOMEM;
	}
	if (n)
		memcpy(s, p, n);
	s[n] = 0;
	*out = s;
	return BUF_OK;
}

int buf_get_cstring_into(struct buf *b, char *out, size_t cap)
{
	const uint8_t *p;
	size_t n;
	struct buf save = *b;
	if (cap == 0)
		return BUF_ERR_LIMIT;
	int r = buf_get_string_view(b, &p, &n, cap - 1);
	if (r)
		return r;
	if (n && memchr(p, 0, n)) {
		*b = save;
		return BUF_ERR_FORMAT;
	}
	if (n)
		memcpy(out, p, n);
	out[n] = 0;
	return BUF_OK;
}

/* 0 when list (n bytes, no terminator) is a valid name-list; see buf.h. */
static int namelist_check(const uint8_t *list, size_t n)
{
	size_t names = 0, name_len = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || list[i] == ',') {
			if (n == 0)
				return BUF_OK; /* the empty list */
			if (name_len == 0 || name_len > BUF_NAME_MAX || ++names > BUF_NAMELIST_MAX_NAMES)
				return BUF_ERR_FORMAT;
			name_len = 0;
		} else if (list[i] < 0x21 || list[i] > 0x7e) {
			return BUF_ERR_FORMAT; /* NUL, control, space, DEL, 8-bit */
		} else {
			name_len++;
		}
	}
	return BUF_OK;
}

int buf_get_namelist(struct buf *b, char *out, size_t cap)
{
	if (cap == 0)
		return BUF_ERR_LIMIT;
	out[0] = 0;
	struct buf copy = *b; /* consume only on success */
	const uint8_t *p;
	size_t n;
	size_t limit = cap - 1 < BUF_NAMELIST_MAX ? cap - 1 : BUF_NAMELIST_MAX;
	int r = buf_get_string_view(&copy, &p, &n, limit);
	if (r != BUF_OK)
		return r;
	r = namelist_check(p, n);
	if (r != BUF_OK)
		return r;
	memcpy(out, p, n);
	out[n] = 0;
	*b = copy;
	return BUF_OK;
}

int buf_get_until(struct buf *b, uint8_t delim, struct buf *tok, size_t maxlen)
{
	size_t avail = buf_avail(b);
	size_t scan = avail < maxlen ? avail : maxlen;
	const uint8_t *start = buf_rptr(b);
	const uint8_t *hit = scan ? memchr(start, delim, scan) : NULL;
	if (!hit)
		return avail < maxlen ? BUF_ERR_SHORT : BUF_ERR_LIMIT;
	size_t n = (size_t)(hit - start);
	buf_view(tok, start, n);
	return buf_consume(b, n + 1);
}

int buf_chomp(struct buf *b, uint8_t c)
{
	if (buf_avail(b) == 0 || b->data[b->len - 1] != c)
		return 0;
	b->len--;
	return 1;
}

size_t buf_skip_any(struct buf *b, const char *set)
{
	size_t n = 0;
	while (n < buf_avail(b) && b->data[b->off + n] && strchr(set, b->data[b->off + n]))
		n++;
	(void)buf_consume(b, n);
	return n;
}

void buf_trim_end(struct buf *b, const char *set)
{
	while (buf_avail(b) > 0 && b->data[b->len - 1] && strchr(set, b->data[b->len - 1]))
		b->len--;
}

int buf_all(const struct buf *b, int (*ok)(uint8_t c))
{
	for (size_t i = b->off; i < b->len; i++)
		if (!ok(b->data[i]))
			return 0;
	return 1;
}

int buf_copy_cstring(const struct buf *b, char *out, size_t cap)
{
	size_t n = buf_avail(b);
	if (cap == 0 || n > cap - 1)
		return BUF_ERR_LIMIT;
	if (n && memchr(buf_rptr(b), 0, n))
		return BUF_ERR_FORMAT;
	if (n)
		memcpy(out, buf_rptr(b), n);
	out[n] = 0;
	return BUF_OK;
}

int buf_get_string_buf(struct buf *b, struct buf *sub, size_t maxlen)
{
	const uint8_t *p;
	size_t n;
	int r = buf_get_string_view(b, &p, &n, maxlen);
	if (r == BUF_OK)
		buf_view(sub, p, n);
	return r;
}

int buf_get_mpint_unsigned_view(struct buf *b, const uint8_t **p, size_t *n, size_t maxlen)
{
	struct buf save = *b;
	const uint8_t *v;
	size_t l;
	int r = buf_get_string_view(b, &v, &l, maxlen + 1);
	if (r)
		return r;
	/* Negative numbers are never valid where we read mpints; a leading
	 * zero is only allowed to clear the sign bit (RFC 4251 section 5). */
	if ((l > 0 && (v[0] & 0x80)) || (l > 1 && v[0] == 0 && !(v[1] & 0x80)) || (l == 1 && v[0] == 0)) {
		*b = save;
		return BUF_ERR_FORMAT;
	}
	if (l > 0 && v[0] == 0) {
		v++;
		l--;
	}
	if (l > maxlen) {
		*b = save;
		return BUF_ERR_LIMIT;
	}
	*p = v;
	*n = l;
	return BUF_OK;
}

const char *buf_strerror(int err)
{
	return sb_strerror(err);
}

int buf_putf(struct buf *b, const char *fmt, ...)
{
	va_list ap, again;
	va_start(ap, fmt);
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	int r = BUF_ERR_FORMAT;
	uint8_t *p;
	/* room for vsnprintf's NUL, dropped afterwards */
	if (n >= 0 && (r = buf_reserve(b, (size_t)n + 1, &p)) == BUF_OK) {
		vsnprintf((char *)p, (size_t)n + 1, fmt, again);
		r = buf_consume_end(b, 1);
	}
	va_end(again);
	return r;
}
