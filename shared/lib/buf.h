/* buf: the one bounds-checked byte buffer through which all protocol data
 * is built and parsed (in the spirit of OpenSSH's sshbuf).
 *
 * A buf holds bytes [off, len) that are readable; writes append at len.
 * Every get checks the remaining length first and fails with BUF_ERR_SHORT
 * without consuming anything; every put checks the buffer's max size.
 * Protocol code must not do pointer arithmetic on packet bytes: it reads
 * through buf_get_* and writes through buf_put_*.
 *
 * The fields of struct buf are private to buf.c. Everywhere else their
 * names are mangled (BUF_PRIVATE), so code that reads or writes them does
 * not compile; tests/gates/buf_fields.sh (part of `make test`) fails when a
 * file other than buf.c unmangles them or names a mangled field.
 */
#ifndef SSHBOX_BUF_H
#define SSHBOX_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* buf's errors are the first codes of the one error space (err.h). */
enum buf_err {
	BUF_OK = SB_OK,
	BUF_ERR_SHORT = SB_ERR_SHORT,	/* fewer bytes left than the field needs */
	BUF_ERR_LIMIT = SB_ERR_LIMIT,	/* would grow past max, or a length over a limit */
	BUF_ERR_NOMEM = SB_ERR_NOMEM,	/* allocation failed */
	BUF_ERR_FORMAT = SB_ERR_FORMAT, /* bytes present but malformed (NUL in a name, bad mpint) */
};

#ifdef SSHBOX_BUF_INTERNAL /* defined by buf.c only */
#define BUF_PRIVATE(name) name
#else
#define BUF_PRIVATE(name) name##_is_private_to_buf_c
#endif

struct buf {
	uint8_t *BUF_PRIVATE(data);
	size_t BUF_PRIVATE(cap);		  /* allocated bytes */
	size_t BUF_PRIVATE(off);		  /* read position */
	size_t BUF_PRIVATE(len);		  /* end of valid data */
	size_t BUF_PRIVATE(max);		  /* hard upper bound on live bytes; never exceeded */
	int BUF_PRIVATE(readonly);		  /* a view over someone else's bytes: no puts, no free */
	int BUF_PRIVATE(fixed);			  /* caller storage (buf_wrap): never grows, never freed */
	size_t BUF_PRIVATE(dirty);		  /* data[0, dirty) may have been written: what buf_free and a
						   * regrow wipe (untouched capacity is never written, so
						   * wiping it would only fault fresh pages in) */
	size_t BUF_PRIVATE(dirty_before_reserve); /* dirty before the latest buf_reserve */
};

/* The largest buffer anyone may ask for (protects against size overflow). */
#define BUF_MAX_SIZE (64u * 1024u * 1024u)

/* Lifecycle. buf_free zeroizes the storage before releasing it, because
 * buffers routinely hold key material and plaintext. */
int buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);				    /* empty it, keep storage (zeroized) */
void buf_view(struct buf *b, const void *data, size_t len); /* read-only view */
/* A read-only view of an SSH message's unread bytes past its first byte,
 * the message type the caller already dispatched on. 0, or SB_ERR_SHORT
 * for an empty message (body is then an empty view). */
int buf_view_message_body(struct buf *body, const struct buf *message);
/* A writable buf over caller storage of size bytes (a stack array): puts
 * beyond size fail with BUF_ERR_LIMIT; buf_free only zeroizes it. */
void buf_wrap(struct buf *b, void *storage, size_t size);
/* Empties it without wiping the storage: for buffers that never hold
 * secrets and are emptied on a hot path (buf_reset wipes). */
void buf_clear(struct buf *b);
/* 1 once buf_init/buf_view/buf_wrap ran, 0 for a zero-filled struct
 * (lazily initialised static scratch buffers). */
int buf_initialized(const struct buf *b);

size_t buf_avail(const struct buf *b);			 /* readable bytes */
const uint8_t *buf_rptr(const struct buf *b);		 /* start of readable bytes */
int buf_consume(struct buf *b, size_t n);		 /* drop n readable bytes */
int buf_consume_end(struct buf *b, size_t n);		 /* drop n bytes from the end */
int buf_reserve(struct buf *b, size_t n, uint8_t **out); /* append n bytes, give ptr */
/* Gives back the last n bytes of the latest buf_reserve, which the caller
 * did NOT write (a read() that filled less than it was offered): drops them
 * like buf_consume_end and no longer counts them as written, so buf_free
 * does not wipe (and fault in) pages nobody touched. Contract: no put,
 * reserve or grow between that buf_reserve and this call. */
int buf_unreserve(struct buf *b, size_t n);
void buf_compact(struct buf *b); /* move readable bytes to the front */
/* Compacts only when more than threshold consumed bytes lie before the
 * readable ones and they outnumber them (a small move reclaims a lot). */
void buf_compact_lazy(struct buf *b, size_t threshold);
/* Bytes that may still be appended (the max minus the readable bytes;
 * consumed bytes are reclaimed by compacting when needed). */
size_t buf_room(const struct buf *b);
/* Writable pointer to the readable bytes, for in-place transforms
 * (decryption); valid until the buffer is modified. NULL for a read-only
 * view. */
uint8_t *buf_wptr(struct buf *b);

/* Writers (append). */
int buf_put(struct buf *b, const void *p, size_t n);
int buf_put_u8(struct buf *b, uint8_t v);
int buf_put_u32(struct buf *b, uint32_t v);
int buf_put_u64(struct buf *b, uint64_t v);
int buf_put_string(struct buf *b, const void *p, size_t n); /* u32 len + bytes */
int buf_put_cstring(struct buf *b, const char *s);	    /* as string */
int buf_put_buf(struct buf *b, const struct buf *src);	    /* readable part as string */
/* printf-style text appended without a NUL (diagnostics, HTTP/JSON bodies;
 * never wire fields). BUF_ERR_FORMAT if formatting fails. */
int buf_putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* SSH mpint from an unsigned big-endian magnitude (strips leading zeros,
 * adds a 0x00 when the top bit is set). */
int buf_put_mpint_unsigned(struct buf *b, const uint8_t *be, size_t n);

/* Readers (consume on success, leave the buffer untouched on failure). */
int buf_get(struct buf *b, void *out, size_t n);
int buf_get_u8(struct buf *b, uint8_t *v);
int buf_get_u32(struct buf *b, uint32_t *v);
int buf_get_u64(struct buf *b, uint64_t *v);
int buf_get_bool(struct buf *b, int *v);
/* A string as a view into the buffer: *p stays valid until the buffer is
 * modified. maxlen bounds the accepted length (BUF_ERR_LIMIT above it). */
int buf_get_string_view(struct buf *b, const uint8_t **p, size_t *n, size_t maxlen);
/* A string copied into a fresh NUL-terminated heap allocation; rejects
 * embedded NULs (BUF_ERR_FORMAT). Caller frees. */
int buf_get_cstring(struct buf *b, char **out, size_t maxlen);
/* A string copied into a caller array; fails if longer than cap-1; NUL-terminates
 * and rejects embedded NULs. */
int buf_get_cstring_into(struct buf *b, char *out, size_t cap);
/* An RFC 4251 s5 name-list ("name1,name2", possibly empty) copied into
 * out, NUL-terminated. Every name is 1..BUF_NAME_MAX bytes of printable
 * US-ASCII (0x21..0x7e) other than ','; at most BUF_NAMELIST_MAX_NAMES
 * names and BUF_NAMELIST_MAX bytes. BUF_ERR_FORMAT for a NUL, control,
 * space or 8-bit byte, an empty name (",a", "a,,b", "a,") or too many or
 * too long names; BUF_ERR_LIMIT when the list is longer than
 * BUF_NAMELIST_MAX or than cap-1; BUF_ERR_SHORT when truncated. Nothing is
 * consumed on failure (out is then ""). */
#define BUF_NAMELIST_MAX 4096u
#define BUF_NAME_MAX 64u
#define BUF_NAMELIST_MAX_NAMES 128u
int buf_get_namelist(struct buf *b, char *out, size_t cap);
/* A string parsed as a nested buf view (for blobs inside packets). */
int buf_get_string_buf(struct buf *b, struct buf *sub, size_t maxlen);
/* SSH mpint that must be non-negative: gives the magnitude without the
 * leading zero byte. */
int buf_get_mpint_unsigned_view(struct buf *b, const uint8_t **p, size_t *n, size_t maxlen);

/* Text tokenizing (version line, HTTP). buf_get_until splits off the bytes
 * before the first delim as a read-only view in tok (valid until b is
 * modified) and consumes them and the delimiter. BUF_ERR_SHORT: no delim in
 * the readable bytes and fewer than maxlen of them (more may arrive);
 * BUF_ERR_LIMIT: no delim within the first maxlen bytes. Nothing is
 * consumed on failure. */
int buf_get_until(struct buf *b, uint8_t delim, struct buf *tok, size_t maxlen);
/* Drops one trailing byte c if the readable bytes end with it: 1, else 0. */
int buf_chomp(struct buf *b, uint8_t c);
/* Consumes the leading bytes found in set (a C string); returns how many. */
size_t buf_skip_any(struct buf *b, const char *set);
/* Drops the trailing bytes found in set. */
void buf_trim_end(struct buf *b, const char *set);
/* 1 when ok(c) holds for every readable byte (also when there are none). */
int buf_all(const struct buf *b, int (*ok)(uint8_t c));
/* The readable bytes as a C string in out, nothing consumed: BUF_ERR_LIMIT
 * when they need more than cap-1 bytes, BUF_ERR_FORMAT when one is NUL. */
int buf_copy_cstring(const struct buf *b, char *out, size_t cap);

/* Peek without consuming. */
int buf_peek_u8(const struct buf *b, size_t at, uint8_t *v);
int buf_peek_u32(const struct buf *b, size_t at, uint32_t *v);

/* Big-endian helpers for fixed-size arrays that are not packet data. */
void store_be32(uint8_t out[4], uint32_t v);
uint32_t load_be32(const uint8_t in[4]);

const char *buf_strerror(int err);

#endif
