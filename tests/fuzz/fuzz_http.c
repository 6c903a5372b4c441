/* Fuzzes the debug service's HTTP request parser: any byte sequence must
 * give a complete request, NEED_MORE or a 4xx/5xx status, stay in bounds,
 * and never consume more than it was given. A complete request is also
 * served by the endpoint dispatcher (no socket, an uid that is refused and
 * one that is allowed, profile requests excluded because they sleep). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "debugsvc.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req;
	size_t used = 0;
	int r = http_parse_request(data, size, &req, &used);
	if (r == 0) {
		if (used > size || req.body_len > HTTP_MAX_BODY || strlen(req.path) >= sizeof(req.path))
			abort();
		if (req.body_len && (req.body < data || req.body + req.body_len > data + size))
			abort();
		char v[64];
		(void)http_query_param(req.query, "seconds", v, sizeof(v));
		if (strcmp(req.path, "/debug/pprof/profile") != 0 && strcmp(req.method, "PUT") != 0) {
			struct buf out;
			buf_init(&out, 8u << 20);
			(void)debugsvc_serve(&req, getpid(), 65534, 65534, -1, &out); /* refused: 403 */
			(void)debugsvc_serve(&req, getpid(), geteuid(), getegid(), -1, &out);
			buf_free(&out);
		}
	} else if (r != HTTP_NEED_MORE && !(r <= -400 && r >= -599)) {
		abort();
	}
	return 0;
}
