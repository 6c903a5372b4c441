#include "http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

/* Takes one CRLF-terminated line from b as a view (without CRLF).
 * 0 ok, HTTP_NEED_MORE when no full line yet, -400 for a bare LF. */
static int get_line(struct buf *b, const uint8_t **line, size_t *n)
{
	const uint8_t *p = buf_rptr(b);
	size_t avail = buf_avail(b);
	const uint8_t *lf = avail ? memchr(p, '\n', avail) : NULL;
	if (!lf)
		return HTTP_NEED_MORE;
	size_t len = (size_t)(lf - p);
	if (len == 0 || p[len - 1] != '\r')
		return -400;
	*line = p;
	*n = len - 1;
	(void)buf_consume(b, len + 1);
	return 0;
}

static int is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int parse_request_line(const uint8_t *l, size_t n, struct http_request *req)
{
	struct buf b;
	buf_view(&b, l, n);
	/* method */
	size_t i = 0;
	while (i < n && l[i] != ' ') {
		if (!is_tchar(l[i]))
			return -400;
		i++;
	}
	if (i == 0 || i >= sizeof(req->method) || i == n)
		return -400;
	memcpy(req->method, l, i);
	req->method[i] = 0;
	(void)buf_consume(&b, i + 1);
	/* target */
	const uint8_t *t = buf_rptr(&b);
	size_t tn = buf_avail(&b);
	size_t j = 0;
	while (j < tn && t[j] != ' ') {
		if (t[j] <= 0x20 || t[j] >= 0x7f)
			return -400;
		j++;
	}
	if (j == 0 || j == tn || t[0] != '/')
		return -400;
	const uint8_t *q = memchr(t, '?', j);
	size_t plen = q ? (size_t)(q - t) : j;
	size_t qlen = q ? j - plen - 1 : 0;
	if (plen >= sizeof(req->path) || qlen >= sizeof(req->query))
		return -400; /* a 414 would be nicer, 400 is allowed */
	memcpy(req->path, t, plen);
	req->path[plen] = 0;
	if (q)
		memcpy(req->query, q + 1, qlen);
	req->query[qlen] = 0;
	(void)buf_consume(&b, j + 1);
	/* version */
	char ver[9];
	if (buf_avail(&b) != 8 || buf_get(&b, ver, 8) != 0)
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

static int parse_header(const uint8_t *l, size_t n, struct http_request *req, int *seen_cl)
{
	size_t i = 0;
	while (i < n && l[i] != ':') {
		if (!is_tchar(l[i]))
			return -400; /* also rejects obs-fold (leading space) */
		i++;
	}
	if (i == 0 || i == n)
		return -400;
	size_t name_len = i;
	i++;
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	size_t vend = n;
	while (vend > i && (l[vend - 1] == ' ' || l[vend - 1] == '\t'))
		vend--;
	for (size_t k = i; k < vend; k++)
		if ((l[k] < 0x20 && l[k] != '\t') || l[k] == 0x7f)
			return -400;
	if (name_len == 14 && strncasecmp((const char *)l, "Content-Length", 14) == 0) {
		if (vend == i || vend - i > 9)
			return vend - i > 9 ? -413 : -400;
		size_t v = 0;
		for (size_t k = i; k < vend; k++) {
			if (l[k] < '0' || l[k] > '9')
				return -400;
			v = v * 10 + (size_t)(l[k] - '0');
		}
		if (*seen_cl && v != req->content_length)
			return -400;
		*seen_cl = 1;
		if (v > HTTP_MAX_BODY)
			return -413;
		req->content_length = v;
	} else if (name_len == 17 && strncasecmp((const char *)l, "Transfer-Encoding", 17) == 0) {
		return -501;
	}
	return 0;
}

int http_parse_request(const uint8_t *data, size_t len, struct http_request *req, size_t *used)
{
	memset(req, 0, sizeof(*req));
	*used = 0;
	struct buf b;
	buf_view(&b, data, len);
	const uint8_t *line;
	size_t n;
	/* Tolerate (a few) empty lines before the request line (RFC 9112 2.2). */
	int r;
	for (int empties = 0;; empties++) {
		r = get_line(&b, &line, &n);
		if (r == HTTP_NEED_MORE)
			return len > HTTP_MAX_HEADER ? -431 : HTTP_NEED_MORE;
		if (r)
			return r;
		if (n > 0)
			break;
		if (empties >= 4)
			return -400;
	}
	r = parse_request_line(line, n, req);
	if (r)
		return r;
	int seen_cl = 0, headers = 0;
	for (;;) {
		r = get_line(&b, &line, &n);
		if (len - buf_avail(&b) > HTTP_MAX_HEADER)
			return -431;
		if (r == HTTP_NEED_MORE)
			return len > HTTP_MAX_HEADER ? -431 : HTTP_NEED_MORE;
		if (r)
			return r;
		if (n == 0)
			break;
		if (++headers > HTTP_MAX_HEADERS)
			return -431;
		r = parse_header(line, n, req, &seen_cl);
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
