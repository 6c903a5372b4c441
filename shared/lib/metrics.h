/* metrics: daemon-wide counters and a table of live connections, kept in
 * one MAP_SHARED anonymous mapping that the sshd listener creates (with
 * metrics_init) BEFORE it forks connection processes. Every process then
 * updates the same counters with atomic operations, and the debug service
 * renders them (GET /metrics, GET /sessions).
 *
 * Before metrics_init (or if it failed) every call is a cheap no-op, so
 * code paths shared with tests and other applets may call them freely.
 *
 * Who calls what (sshd listener = L, connection process = C):
 *   L  metrics_init()                        once, before the first fork
 *   L  metrics_inc(M_CONN_ACCEPTED); metrics_gauge_add(M_CONN_ACTIVE, +1)   per accept
 *   C  metrics_conn_register(getpid(), "1.2.3.4", 5555)   first thing after fork
 *   C  metrics_conn_set_user("alice")         when the user is known/authenticated
 *   C  metrics_auth("publickey", 1 or 0)      per userauth attempt result
 *   C  metrics_kex("curve25519-sha256")       per completed kex (incl. rekey)
 *   C  metrics_add(M_BYTES_IN, n) / metrics_add(M_BYTES_OUT, n)  raw socket bytes
 *   C  metrics_conn_sessions(+1/-1), metrics_conn_channels(+1/-1)
 *   any metrics_set_helper_method("memfd"); metrics_inc(M_HELPER_EXEC_FAILURES)
 *   L  metrics_inc(M_PENALTIES)               when PerSourcePenalties refuses
 *   L  metrics_conn_unregister(pid); metrics_gauge_add(M_CONN_ACTIVE, -1)  on waitpid
 *      (unregister is idempotent; the connection may also call it itself)
 */
#ifndef SSHBOX_METRICS_H
#define SSHBOX_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;

enum metric {
	M_CONN_ACCEPTED = 0,   /* counter */
	M_CONN_ACTIVE,         /* gauge */
	M_CONN_REFUSED,        /* counter: MaxStartups / limits */
	M_AUTH_OK_PUBLICKEY,   /* counters: metrics_auth() fills these */
	M_AUTH_OK_PASSWORD,
	M_AUTH_OK_KBDINT,
	M_AUTH_OK_NONE,
	M_AUTH_OK_OTHER,
	M_AUTH_FAIL_PUBLICKEY,
	M_AUTH_FAIL_PASSWORD,
	M_AUTH_FAIL_KBDINT,
	M_AUTH_FAIL_NONE,
	M_AUTH_FAIL_OTHER,
	M_SESSIONS_ACTIVE,     /* gauge */
	M_SESSIONS_TOTAL,      /* counter */
	M_CHANNELS_ACTIVE,     /* gauge (metrics_conn_channels updates it too) */
	M_BYTES_IN,            /* counter: bytes read from client sockets */
	M_BYTES_OUT,           /* counter: bytes written to client sockets */
	M_HELPER_EXECS,        /* counter: helper children started */
	M_HELPER_EXEC_FAILURES,/* counter */
	M_PENALTIES,           /* counter: connections refused by source penalties */
	M_DEBUG_REQUESTS,      /* counter: debug service requests */
	M_METRIC_COUNT
};

#define METRICS_MAX_CONNS 256
#define METRICS_MAX_KEX 16
#define METRICS_NAME_MAX 64

/* Creates the shared page(s). 0 on success, -1 on failure (metrics then
 * stay disabled; never fatal). Idempotent. */
int metrics_init(void);
int metrics_enabled(void);

void metrics_inc(enum metric m);
void metrics_add(enum metric m, uint64_t n);
/* For gauges: signed delta (never goes below 0 on read). */
void metrics_gauge_add(enum metric m, int64_t delta);
uint64_t metrics_get(enum metric m);

/* method: "publickey", "password", "keyboard-interactive", "none", other. */
void metrics_auth(const char *method, int success);
/* Counts one completed key exchange of the named algorithm (bounded table
 * of METRICS_MAX_KEX names; extra names count under "other"). */
void metrics_kex(const char *alg);
/* The helper exec method in use ("memfd", "tmpfile", "mkstemp", "procself"). */
void metrics_set_helper_method(const char *name);

/* Per-connection slots (METRICS_MAX_CONNS). register returns the slot
 * index or -1 when the table is full (the connection still works, it is
 * just not listed). src_addr is numeric, port the client's port. */
int metrics_conn_register(pid_t pid, const char *src_addr, int src_port);
/* These act on the slot of the calling process (getpid()). */
void metrics_conn_set_user(const char *user);
void metrics_conn_channels(int delta);
void metrics_conn_sessions(int delta);
/* Frees pid's slot; what it still counted in the channels/sessions gauges
 * (a connection that was killed) is taken off them. */
void metrics_conn_unregister(pid_t pid);
/* 1 if pid holds a connection slot. */
int metrics_conn_known(pid_t pid);

/* Renderers for the debug service. 0 on success, negative buf error. */
int metrics_render_prometheus(struct buf *out);
int metrics_render_sessions_json(struct buf *out);

/* JSON string escaping helper (quotes included), shared with debugsvc. */
int json_put_string(struct buf *out, const char *s);

#endif
