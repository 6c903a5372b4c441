/* HTTP request parser and response writer. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "http.h"
#include "t.h"

static int parse(const char *s, struct http_request *req, size_t *used)
{
	return http_parse_request((const uint8_t *)s, strlen(s), req, used);
}

TEST(simple_get)
{
	struct http_request req;
	size_t used;
	const char *s = "GET /log-level HTTP/1.1\r\nHost: x\r\nUser-Agent: curl\r\n\r\n";
	CHECK_EQ_INT(parse(s, &req, &used), 0);
	CHECK_STR(req.method, "GET");
	CHECK_STR(req.path, "/log-level");
	CHECK_STR(req.query, "");
	CHECK_EQ_INT(req.minor, 1);
	CHECK_EQ_INT(req.body_len, 0);
	CHECK_EQ_INT(used, strlen(s));
}

TEST(query_and_params)
{
	struct http_request req;
	size_t used;
	CHECK_EQ_INT(parse("GET /debug/pprof/profile?seconds=7&x=1 HTTP/1.0\r\n\r\n", &req, &used), 0);
	CHECK_STR(req.path, "/debug/pprof/profile");
	CHECK_STR(req.query, "seconds=7&x=1");
	CHECK_EQ_INT(req.minor, 0);
	char v[16];
	CHECK_EQ_INT(http_query_param(req.query, "seconds", v, sizeof(v)), 0);
	CHECK_STR(v, "7");
	CHECK_EQ_INT(http_query_param(req.query, "x", v, sizeof(v)), 0);
	CHECK_STR(v, "1");
	CHECK_EQ_INT(http_query_param(req.query, "sec", v, sizeof(v)), -1);
	CHECK_EQ_INT(http_query_param(req.query, "y", v, sizeof(v)), -1);
	CHECK_EQ_INT(http_query_param("seconds=123456789", "seconds", v, 4), -1);
}

TEST(put_with_body)
{
	struct http_request req;
	size_t used;
	const char *s = "PUT /log-level HTTP/1.1\r\ncontent-length: 5\r\n\r\nDEBUG";
	CHECK_EQ_INT(parse(s, &req, &used), 0);
	CHECK_STR(req.method, "PUT");
	CHECK_EQ_INT(req.body_len, 5);
	CHECK(req.body && memcmp(req.body, "DEBUG", 5) == 0);
	/* body not complete yet */
	CHECK_EQ_INT(parse("PUT /log-level HTTP/1.1\r\nContent-Length: 5\r\n\r\nDEB", &req, &used), HTTP_NEED_MORE);
}

TEST(incomplete_needs_more)
{
	struct http_request req;
	size_t used;
	const char *full = "GET /readyz HTTP/1.1\r\nHost: a\r\n\r\n";
	for (size_t n = 0; n < strlen(full); n++)
		CHECK_EQ_INT(http_parse_request((const uint8_t *)full, n, &req, &used), HTTP_NEED_MORE);
	CHECK_EQ_INT(http_parse_request((const uint8_t *)full, strlen(full), &req, &used), 0);
}

TEST(malformed)
{
	struct http_request req;
	size_t used;
	CHECK_EQ_INT(parse("GET /x HTTP/1.1\nHost: a\n\n", &req, &used), -400);     /* bare LF */
	CHECK_EQ_INT(parse("GET  /x HTTP/1.1\r\n\r\n", &req, &used), -400);          /* double space */
	CHECK_EQ_INT(parse("GET x HTTP/1.1\r\n\r\n", &req, &used), -400);            /* not origin-form */
	CHECK_EQ_INT(parse("GET /x HTTP/2.0\r\n\r\n", &req, &used), -505);
	CHECK_EQ_INT(parse("GET /x FTP/1.1\r\n\r\n", &req, &used), -400);
	CHECK_EQ_INT(parse("GET /x HTTP/1.1\r\nBad Header: 1\r\n\r\n", &req, &used), -400);
	CHECK_EQ_INT(parse("GET /x HTTP/1.1\r\n folded\r\n\r\n", &req, &used), -400);
	CHECK_EQ_INT(parse("GET /x HTTP/1.1\r\nNoColon\r\n\r\n", &req, &used), -400);
	CHECK_EQ_INT(parse("GET /x HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", &req, &used), -400);
	CHECK_EQ_INT(parse("GET /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", &req, &used), -400);
	CHECK_EQ_INT(parse("PUT /x HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", &req, &used), -413);
	CHECK_EQ_INT(parse("PUT /x HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", &req, &used), -413);
	CHECK_EQ_INT(parse("PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &req, &used), -501);
	CHECK_EQ_INT(parse("G\x01T /x HTTP/1.1\r\n\r\n", &req, &used), -400);
	CHECK_EQ_INT(parse("GET /\x7f HTTP/1.1\r\n\r\n", &req, &used), -400);
	/* NUL bytes (parse() takes C strings: give the lengths) */
	static const char nul_target[] = "GET /a\0b HTTP/1.1\r\n\r\n";
	static const char nul_header[] = "GET /a HTTP/1.1\r\nHost: a\0b\r\n\r\n";
	static const char nul_method[] = "G\0T /a HTTP/1.1\r\n\r\n";
	CHECK_EQ_INT(http_parse_request((const uint8_t *)nul_target, sizeof(nul_target) - 1, &req, &used),
		     -400);
	CHECK_EQ_INT(http_parse_request((const uint8_t *)nul_header, sizeof(nul_header) - 1, &req, &used),
		     -400);
	CHECK_EQ_INT(http_parse_request((const uint8_t *)nul_method, sizeof(nul_method) - 1, &req, &used),
		     -400);
}

TEST(oversized_headers)
{
	struct http_request req;
	size_t used;
	/* A header block that never ends, bigger than the limit: 431. */
	size_t n = HTTP_MAX_HEADER + 100;
	char *s = malloc(n + 1);
	memcpy(s, "GET /x HTTP/1.1\r\nX: ", 20);
	memset(s + 20, 'a', n - 20);
	s[n] = 0;
	CHECK_EQ_INT(http_parse_request((const uint8_t *)s, n, &req, &used), -431);
	/* No CRLF at all: 431 once past the limit. */
	memset(s, 'A', n);
	CHECK_EQ_INT(http_parse_request((const uint8_t *)s, n, &req, &used), -431);
	CHECK_EQ_INT(http_parse_request((const uint8_t *)s, 100, &req, &used), HTTP_NEED_MORE);
	free(s);
	/* Too many small headers. */
	char big[HTTP_MAX_HEADER];
	size_t off = (size_t)snprintf(big, sizeof(big), "GET /x HTTP/1.1\r\n");
	for (int i = 0; i < HTTP_MAX_HEADERS + 2; i++)
		off += (size_t)snprintf(big + off, sizeof(big) - off, "H%d: v\r\n", i);
	off += (size_t)snprintf(big + off, sizeof(big) - off, "\r\n");
	CHECK_EQ_INT(http_parse_request((const uint8_t *)big, off, &req, &used), -431);
}

TEST(long_target)
{
	struct http_request req;
	size_t used;
	char s[1024];
	memcpy(s, "GET /", 5);
	memset(s + 5, 'p', 400);
	strcpy(s + 405, " HTTP/1.1\r\n\r\n");
	CHECK_EQ_INT(parse(s, &req, &used), -400);
}

TEST(response)
{
	struct buf b;
	buf_init(&b, 0);
	CHECK_EQ_INT(http_put_response(&b, 404, NULL, "Allow: GET\r\n", "nope\n", 5), 0);
	char *s = strndup((const char *)buf_rptr(&b), buf_avail(&b));
	CHECK(strncmp(s, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
	CHECK(strstr(s, "\r\nContent-Length: 5\r\n") != NULL);
	CHECK(strstr(s, "\r\nAllow: GET\r\n") != NULL);
	CHECK(strstr(s, "\r\nConnection: close\r\n") != NULL);
	CHECK(strstr(s, "\r\n\r\nnope\n") != NULL);
	free(s);
	CHECK_STR(http_reason(431), "Request Header Fields Too Large");
	buf_free(&b);
}

int main(void)
{
	RUN(simple_get);
	RUN(query_and_params);
	RUN(put_with_body);
	RUN(incomplete_needs_more);
	RUN(malformed);
	RUN(oversized_headers);
	RUN(long_target);
	RUN(response);
	return t_done();
}
