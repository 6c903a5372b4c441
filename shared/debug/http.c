#include "http.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

/* Takes one CRLF-terminated line from b as a view (without CRLF).
 * 0 ok, HTTP_NEED_MORE when no full line yet, -400 for a bare LF. */
static int get_line(struct buf *b, struct buf *line)
{
	int r = buf_get_until(b, '\n', line, SIZE_MAX);
	if (r != BUF_OK)
		return HTTP_NEED_MORE; /* the caller bounds the header block */
	return buf_chomp(line, '\r') ? 0 : -400;
}

static int is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Request-target bytes: visible ASCII (no space, no control, no 8-bit). */
static int is_vchar(uint8_t c)
{
	return c > 0x20 && c < 0x7f;
}

/* Header value bytes: visible ASCII, space and tab (RFC 9110 field-value
 * without obs-text control bytes). */
static int is_field_char(uint8_t c)
{
	return (c >= 0x20 || c == '\t') && c != 0x7f;
}

/* The token before the next space: non-empty, all ok(c). */
static int get_word(struct buf *l, struct buf *word, int (*ok)(uint8_t c))
{
	if (buf_get_until(l, ' ', word, SIZE_MAX) != BUF_OK || buf_avail(word) == 0 || !buf_all(word, ok))
		return -400;
	return 0;
}

static int parse_target(struct buf *target, struct http_request *req)
{
	uint8_t first;
	if (buf_peek_u8(target, 0, &first) || first != '/')
		return -400;
	struct buf path;
	if (buf_get_until(target, '?', &path, SIZE_MAX) != BUF_OK) {
		path = *target; /* no query */
		buf_view(target, "", 0);
	}
	/* a 414 would be nicer for long ones, 400 is allowed */
	if (buf_copy_cstring(&path, req->path, sizeof(req->path)) != BUF_OK ||
	    buf_copy_cstring(target, req->query, sizeof(req->query)) != BUF_OK)
		return -400;
	return 0;
}

static int parse_request_line(struct buf *l, struct http_request *req)
{
	struct buf method, target;
	if (get_word(l, &method, is_tchar) ||
	    buf_copy_cstring(&method, req->method, sizeof(req->method)) != BUF_OK)
		return -400;
	if (get_word(l, &target, is_vchar) || parse_target(&target, req))
		return -400;
	char ver[9];
	if (buf_avail(l) != 8 || buf_get(l, ver, 8) != 0)
		return -400;
	ver[8] = 0;
	if (strncmp(ver, "HTTP/", 5) != 0 || ver[6] != '.' || ver[5] < '0' || ver[5] > '9' || ver[7] < '0' ||
	    ver[7] > '9')
		return -400;
	if (ver[5] != '1' || (ver[7] != '0' && ver[7] != '1'))
		return -505;
	req->minor = ver[7] - '0';
	return 0;
}

/* Content-Length: 1..9 digits (longer is over any body we accept). */
static int parse_content_length(struct buf *v, struct http_request *req, int *seen_cl)
{
	if (buf_avail(v) == 0)
		return -400;
	if (buf_avail(v) > 9)
		return -413;
	size_t n = 0;
	uint8_t c;
	while (buf_get_u8(v, &c) == BUF_OK) {
		if (c < '0' || c > '9')
			return -400;
		n = n * 10 + (size_t)(c - '0');
	}
	if (*seen_cl && n != req->content_length)
		return -400;
	*seen_cl = 1;
	if (n > HTTP_MAX_BODY)
		return -413;
	req->content_length = n;
	return 0;
}

static int parse_header(struct buf *l, struct http_request *req, int *seen_cl)
{
	struct buf name;
	/* tchar also rejects obs-fold (a leading space) */
	if (buf_get_until(l, ':', &name, SIZE_MAX) != BUF_OK || buf_avail(&name) == 0 ||
	    !buf_all(&name, is_tchar))
		return -400;
	buf_skip_any(l, " \t");
	buf_trim_end(l, " \t");
	if (!buf_all(l, is_field_char))
		return -400;
	char nm[32]; /* longer names are none of the ones we act on */
	if (buf_copy_cstring(&name, nm, sizeof(nm)) != BUF_OK)
		return 0;
	if (strcasecmp(nm, "Content-Length") == 0)
		return parse_content_length(l, req, seen_cl);
	if (strcasecmp(nm, "Transfer-Encoding") == 0)
		return -501;
	return 0;
}

int http_parse_request(const uint8_t *data, size_t len, struct http_request *req, size_t *used)
{
	memset(req, 0, sizeof(*req));
	*used = 0;
	struct buf b, line;
	buf_view(&b, data, len);
	/* Tolerate (a few) empty lines before the request line (RFC 9112 2.2). */
	int r;
	for (int empties = 0;; empties++) {
		r = get_line(&b, &line);
		if (r == HTTP_NEED_MORE)
			return len > HTTP_MAX_HEADER ? -431 : HTTP_NEED_MORE;
		if (r)
			return r;
		if (buf_avail(&line) > 0)
			break;
		if (empties >= 4)
			return -400;
	}
	r = parse_request_line(&line, req);
	if (r)
		return r;
	int seen_cl = 0, headers = 0;
	for (;;) {
		r = get_line(&b, &line);
		if (len - buf_avail(&b) > HTTP_MAX_HEADER)
			return -431;
		if (r == HTTP_NEED_MORE)
			return len > HTTP_MAX_HEADER ? -431 : HTTP_NEED_MORE;
		if (r)
			return r;
		if (buf_avail(&line) == 0)
			break;
		if (++headers > HTTP_MAX_HEADERS)
			return -431;
		r = parse_header(&line, req, &seen_cl);
		if (r)
			return r;
	}
	if (buf_avail(&b) < req->content_length)
		return HTTP_NEED_MORE;
	req->body = buf_rptr(&b);
	req->body_len = req->content_length;
	(void)buf_consume(&b, req->content_length);
	*used = len - buf_avail(&b);
	return 0;
}

int http_query_param(const char *query, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *p = query;
	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t seg = amp ? (size_t)(amp - p) : strlen(p);
		if (seg > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t vl = seg - nl - 1;
			if (vl >= outlen)
				return -1;
			memcpy(out, p + nl + 1, vl);
			out[vl] = 0;
			return 0;
		}
		if (seg == nl && strncmp(p, name, nl) == 0) {
			if (outlen < 1)
				return -1;
			out[0] = 0;
			return 0;
		}
		p = amp ? amp + 1 : NULL;
	}
	return -1;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

int http_put_response(struct buf *out, int status, const char *content_type, const char *extra_headers,
		      const void *body, size_t body_len)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n"
			 "Cache-Control: no-store\r\n%s\r\n",
			 status, http_reason(status), content_type ? content_type : "text/plain; charset=utf-8",
			 body_len, extra_headers ? extra_headers : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		return BUF_ERR_LIMIT;
	int r = buf_put(out, head, (size_t)n);
	if (r == 0 && body_len)
		r = buf_put(out, body, body_len);
	return r;
}
