/* http: a small, bounded HTTP/1.1 request parser and response writer for
 * the debug service (one request per connection, "Connection: close").
 *
 * The parser is incremental in the simplest way: call http_parse_request
 * with everything received so far; it answers HTTP_NEED_MORE until the
 * header block (and Content-Length body) is complete. Hostile input is
 * rejected with the HTTP status to send:
 *   400 malformed request line / header / bare LF / bad Content-Length
 *   413 body larger than HTTP_MAX_BODY
 *   431 header block larger than HTTP_MAX_HEADER (or too many headers)
 *   501 Transfer-Encoding (chunked bodies are not supported)
 *   505 not HTTP/1.0 or HTTP/1.1
 */
#ifndef SSHBOX_HTTP_H
#define SSHBOX_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define HTTP_MAX_HEADER 8192
#define HTTP_MAX_BODY 4096
#define HTTP_MAX_HEADERS 64
#define HTTP_READ_TIMEOUT_MS 5000

enum { HTTP_NEED_MORE = 1 };

struct http_request {
	char method[16];
	char path[256];  /* decoded? no: raw path without the query */
	char query[256]; /* raw query string without '?', "" if none */
	int minor;       /* 0 or 1 */
	size_t content_length;
	const uint8_t *body; /* points into the caller's input */
	size_t body_len;
};

/* 0 = complete request in req (consumed bytes in *used), HTTP_NEED_MORE,
 * or a negative HTTP status (-400, -413, -431, -501, -505). */
int http_parse_request(const uint8_t *data, size_t len, struct http_request *req, size_t *used);

/* Value of query parameter name (first occurrence, no %-decoding) copied
 * into out; 0 if found, -1 otherwise. */
int http_query_param(const char *query, const char *name, char *out, size_t outlen);

const char *http_reason(int status);

/* Appends a full response (status line, Content-Type, Content-Length,
 * Connection: close, extra_headers verbatim if not NULL (each ending in
 * CRLF), blank line, body). */
int http_put_response(struct buf *out, int status, const char *content_type, const char *extra_headers,
		      const void *body, size_t body_len);

#endif
