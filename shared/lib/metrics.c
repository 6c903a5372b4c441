#include "metrics.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

struct conn_slot {
	int pid;          /* 0 = free; claimed with CAS */
	unsigned seq;     /* seqlock: odd while the owner writes */
	int port;
	int channels;
	int sessions;     /* session channels (the sessions gauge's share) */
	int64_t start;    /* unix seconds */
	char addr[METRICS_NAME_MAX];
	char user[METRICS_NAME_MAX];
};

struct kex_slot {
	int state; /* 0 free, 1 being named, 2 ready */
	uint64_t count;
	char name[METRICS_NAME_MAX];
};

struct metrics_page {
	uint64_t v[M_METRIC_COUNT];
	uint64_t kex_other;
	struct kex_slot kex[METRICS_MAX_KEX];
	unsigned helper_seq;
	char helper_method[32];
	int64_t start_time;
	struct conn_slot conns[METRICS_MAX_CONNS];
};

static struct metrics_page *mp;

int metrics_init(void)
{
	if (mp)
		return 0;
	void *p = mmap(NULL, sizeof(struct metrics_page), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		       0);
	if (p == MAP_FAILED)
		return -1;
	memset(p, 0, sizeof(struct metrics_page));
	mp = p;
	mp->start_time = (int64_t)time(NULL);
	return 0;
}

int metrics_enabled(void) { return mp != NULL; }

void metrics_inc(enum metric m) { metrics_add(m, 1); }

void metrics_add(enum metric m, uint64_t n)
{
	if (!mp || (unsigned)m >= M_METRIC_COUNT)
		return;
	__atomic_fetch_add(&mp->v[m], n, __ATOMIC_RELAXED);
}

void metrics_gauge_add(enum metric m, int64_t delta) { metrics_add(m, (uint64_t)delta); }

uint64_t metrics_get(enum metric m)
{
	if (!mp || (unsigned)m >= M_METRIC_COUNT)
		return 0;
	return __atomic_load_n(&mp->v[m], __ATOMIC_RELAXED);
}

/* A gauge is a wrapping sum of signed deltas: show negatives as 0. */
static uint64_t gauge_get(enum metric m)
{
	int64_t v = (int64_t)metrics_get(m);
	return v < 0 ? 0 : (uint64_t)v;
}

static const char *const auth_methods[] = {"publickey", "password", "keyboard-interactive", "none", "other"};

void metrics_auth(const char *method, int success)
{
	int i = 4;
	for (int k = 0; k < 4; k++)
		if (method && strcmp(method, auth_methods[k]) == 0)
			i = k;
	metrics_inc((enum metric)((success ? M_AUTH_OK_PUBLICKEY : M_AUTH_FAIL_PUBLICKEY) + i));
}

/* Names stored in the page come from our own code, but keep them to a
 * harmless alphabet anyway since they end up in exposition output. */
static void copy_name(char *dst, size_t cap, const char *src)
{
	size_t i = 0;
	for (; src && src[i] && i + 1 < cap; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c >= 0x21 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '_';
	}
	dst[i] = 0;
}

void metrics_kex(const char *alg)
{
	if (!mp || !alg)
		return;
	char name[METRICS_NAME_MAX];
	copy_name(name, sizeof(name), alg);
	for (int i = 0; i < METRICS_MAX_KEX; i++) {
		struct kex_slot *k = &mp->kex[i];
		int st = __atomic_load_n(&k->state, __ATOMIC_ACQUIRE);
		if (st == 0) {
			int zero = 0;
			if (__atomic_compare_exchange_n(&k->state, &zero, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				memcpy(k->name, name, sizeof(name));
				__atomic_fetch_add(&k->count, 1, __ATOMIC_RELAXED);
				__atomic_store_n(&k->state, 2, __ATOMIC_RELEASE);
				return;
			}
			st = __atomic_load_n(&k->state, __ATOMIC_ACQUIRE);
		}
		/* Someone is naming it right now: spin briefly (a few stores). */
		for (int spin = 0; st == 1 && spin < 100000; spin++)
			st = __atomic_load_n(&k->state, __ATOMIC_ACQUIRE);
		if (st == 2 && strcmp(k->name, name) == 0) {
			__atomic_fetch_add(&k->count, 1, __ATOMIC_RELAXED);
			return;
		}
	}
	__atomic_fetch_add(&mp->kex_other, 1, __ATOMIC_RELAXED);
}

void metrics_set_helper_method(const char *name)
{
	if (!mp)
		return;
	__atomic_fetch_add(&mp->helper_seq, 1, __ATOMIC_ACQ_REL);
	char tmp[32];
	copy_name(tmp, sizeof(tmp), name);
	memcpy(mp->helper_method, tmp, sizeof(tmp));
	__atomic_fetch_add(&mp->helper_seq, 1, __ATOMIC_ACQ_REL);
}

static struct conn_slot *find_slot(pid_t pid)
{
	if (!mp || pid <= 0)
		return NULL;
	for (int i = 0; i < METRICS_MAX_CONNS; i++)
		if (__atomic_load_n(&mp->conns[i].pid, __ATOMIC_ACQUIRE) == (int)pid)
			return &mp->conns[i];
	return NULL;
}

static void slot_write_begin(struct conn_slot *s) { __atomic_fetch_add(&s->seq, 1, __ATOMIC_ACQ_REL); }
static void slot_write_end(struct conn_slot *s) { __atomic_fetch_add(&s->seq, 1, __ATOMIC_ACQ_REL); }

int metrics_conn_register(pid_t pid, const char *src_addr, int src_port)
{
	if (!mp || pid <= 0)
		return -1;
	struct conn_slot *s = find_slot(pid);
	int idx = s ? (int)(s - mp->conns) : -1;
	for (int i = 0; !s && i < METRICS_MAX_CONNS; i++) {
		int zero = 0;
		if (__atomic_compare_exchange_n(&mp->conns[i].pid, &zero, -(int)pid, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			s = &mp->conns[i];
			idx = i;
		}
	}
	if (!s)
		return -1;
	slot_write_begin(s);
	copy_name(s->addr, sizeof(s->addr), src_addr ? src_addr : "?");
	s->user[0] = 0;
	s->port = src_port;
	s->channels = 0;
	s->start = (int64_t)time(NULL);
	slot_write_end(s);
	/* Publish (a claimed slot holds -pid until its fields are written). */
	__atomic_store_n(&s->pid, (int)pid, __ATOMIC_RELEASE);
	return idx;
}

void metrics_conn_set_user(const char *user)
{
	struct conn_slot *s = find_slot(getpid());
	if (!s)
		return;
	slot_write_begin(s);
	copy_name(s->user, sizeof(s->user), user);
	slot_write_end(s);
}

void metrics_conn_channels(int delta)
{
	metrics_gauge_add(M_CHANNELS_ACTIVE, delta);
	struct conn_slot *s = find_slot(getpid());
	if (s)
		__atomic_fetch_add(&s->channels, delta, __ATOMIC_RELAXED);
}

void metrics_conn_sessions(int delta)
{
	metrics_gauge_add(M_SESSIONS_ACTIVE, delta);
	struct conn_slot *s = find_slot(getpid());
	if (s)
		__atomic_fetch_add(&s->sessions, delta, __ATOMIC_RELAXED);
}

int metrics_conn_known(pid_t pid) { return find_slot(pid) != NULL; }

void metrics_conn_unregister(pid_t pid)
{
	struct conn_slot *s = find_slot(pid);
	if (!s)
		return;
	/* A connection killed abruptly never closed its channels: take what it
	 * still counted off the global gauge so it does not drift upwards. */
	int left = __atomic_exchange_n(&s->channels, 0, __ATOMIC_ACQ_REL);
	if (left > 0)
		metrics_gauge_add(M_CHANNELS_ACTIVE, -left);
	left = __atomic_exchange_n(&s->sessions, 0, __ATOMIC_ACQ_REL);
	if (left > 0)
		metrics_gauge_add(M_SESSIONS_ACTIVE, -left);
	int want = (int)pid;
	__atomic_compare_exchange_n(&s->pid, &want, 0, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* ---- rendering ---- */

int json_put_string(struct buf *out, const char *s)
{
	int r = buf_put_u8(out, '"');
	for (size_t i = 0; r == 0 && s && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			r = buf_putf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			r = buf_putf(out, "\\u%04x", c);
		else
			r = buf_put_u8(out, c);
	}
	return r ? r : buf_put_u8(out, '"');
}

struct desc {
	enum metric m;
	const char *name;
	const char *type;
	const char *help;
};

static const struct desc simple[] = {
	{M_CONN_ACCEPTED, "sshbox_connections_accepted_total", "counter", "TCP connections accepted by the listener."},
	{M_CONN_ACTIVE, "sshbox_connections_active", "gauge", "Connection processes currently alive."},
	{M_CONN_REFUSED, "sshbox_connections_refused_total", "counter", "Connections refused by MaxStartups or limits."},
	{M_SESSIONS_ACTIVE, "sshbox_sessions_active", "gauge", "Session channels currently open."},
	{M_SESSIONS_TOTAL, "sshbox_sessions_total", "counter", "Session channels opened."},
	{M_CHANNELS_ACTIVE, "sshbox_channels_active", "gauge", "Channels currently open (all types)."},
	{M_BYTES_IN, "sshbox_bytes_received_total", "counter", "Bytes read from client connections."},
	{M_BYTES_OUT, "sshbox_bytes_sent_total", "counter", "Bytes written to client connections."},
	{M_HELPER_EXECS, "sshbox_helper_execs_total", "counter", "Helper child processes started."},
	{M_HELPER_EXEC_FAILURES, "sshbox_helper_exec_failures_total", "counter", "Helper child processes that failed to start."},
	{M_PENALTIES, "sshbox_penalties_total", "counter", "Connections refused because of per-source penalties."},
	{M_DEBUG_REQUESTS, "sshbox_debug_requests_total", "counter", "Requests served by the debug service."},
};

static int is_gauge(enum metric m) { return m == M_CONN_ACTIVE || m == M_SESSIONS_ACTIVE || m == M_CHANNELS_ACTIVE; }

int metrics_render_prometheus(struct buf *out)
{
	int r = 0;
	for (size_t i = 0; r == 0 && i < sizeof(simple) / sizeof(simple[0]); i++) {
		const struct desc *d = &simple[i];
		uint64_t v = is_gauge(d->m) ? gauge_get(d->m) : metrics_get(d->m);
		r = buf_putf(out, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n", d->name, d->help, d->name, d->type,
			 d->name, v);
	}
	if (r)
		return r;
	r = buf_putf(out, "# HELP sshbox_auth_total User authentication attempts by method and result.\n"
		      "# TYPE sshbox_auth_total counter\n");
	for (int k = 0; r == 0 && k < 5; k++) {
		r = buf_putf(out, "sshbox_auth_total{method=\"%s\",result=\"success\"} %" PRIu64 "\n", auth_methods[k],
			 metrics_get((enum metric)(M_AUTH_OK_PUBLICKEY + k)));
		if (r == 0)
			r = buf_putf(out, "sshbox_auth_total{method=\"%s\",result=\"failure\"} %" PRIu64 "\n",
				 auth_methods[k], metrics_get((enum metric)(M_AUTH_FAIL_PUBLICKEY + k)));
	}
	if (r == 0)
		r = buf_putf(out, "# HELP sshbox_kex_total Completed key exchanges by algorithm.\n"
			      "# TYPE sshbox_kex_total counter\n");
	for (int i = 0; r == 0 && mp && i < METRICS_MAX_KEX; i++) {
		struct kex_slot *k = &mp->kex[i];
		if (__atomic_load_n(&k->state, __ATOMIC_ACQUIRE) != 2)
			continue;
		r = buf_putf(out, "sshbox_kex_total{algorithm=\"%.*s\"} %" PRIu64 "\n", METRICS_NAME_MAX - 1, k->name,
			 __atomic_load_n(&k->count, __ATOMIC_RELAXED));
	}
	if (r == 0 && mp && mp->kex_other)
		r = buf_putf(out, "sshbox_kex_total{algorithm=\"other\"} %" PRIu64 "\n",
			 __atomic_load_n(&mp->kex_other, __ATOMIC_RELAXED));
	if (r == 0) {
		char method[32] = "unknown";
		if (mp) {
			for (int tries = 0; tries < 100; tries++) {
				unsigned s1 = __atomic_load_n(&mp->helper_seq, __ATOMIC_ACQUIRE);
				memcpy(method, mp->helper_method, sizeof(method));
				unsigned s2 = __atomic_load_n(&mp->helper_seq, __ATOMIC_ACQUIRE);
				if (s1 == s2 && !(s1 & 1))
					break;
			}
			method[sizeof(method) - 1] = 0;
			if (!method[0])
				strcpy(method, "unknown");
		}
		r = buf_putf(out, "# HELP sshbox_helper_exec_method How the embedded helper is executed (value 1).\n"
			      "# TYPE sshbox_helper_exec_method gauge\n"
			      "sshbox_helper_exec_method{method=\"%s\"} 1\n",
			 method);
	}
	if (r == 0)
		r = buf_putf(out, "# HELP sshbox_start_time_seconds Unix time the metrics page was created.\n"
			      "# TYPE sshbox_start_time_seconds gauge\n"
			      "sshbox_start_time_seconds %" PRId64 "\n",
			 mp ? mp->start_time : (int64_t)0);
	return r;
}

/* A consistent copy of one slot, or 0 if free / not stable. */
static int slot_snapshot(const struct conn_slot *s, struct conn_slot *copy)
{
	for (int tries = 0; tries < 100; tries++) {
		int pid = __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE);
		if (pid <= 0)
			return 0;
		unsigned s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		memcpy(copy, (const void *)s, sizeof(*copy));
		unsigned s2 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		if (s1 == s2 && !(s1 & 1)) {
			copy->pid = pid;
			copy->addr[sizeof(copy->addr) - 1] = 0;
			copy->user[sizeof(copy->user) - 1] = 0;
			return 1;
		}
	}
	return 0;
}

int metrics_render_sessions_json(struct buf *out)
{
	int r = buf_put_u8(out, '[');
	int first = 1;
	for (int i = 0; r == 0 && mp && i < METRICS_MAX_CONNS; i++) {
		struct conn_slot c;
		if (!slot_snapshot(&mp->conns[i], &c))
			continue;
		char ts[32] = "";
		struct tm tm;
		time_t t = (time_t)c.start;
		if (gmtime_r(&t, &tm))
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		r = buf_putf(out, "%s{\"pid\":%d,\"user\":", first ? "" : ",", c.pid);
		if (r == 0) {
			if (c.user[0])
				r = json_put_string(out, c.user);
			else
				r = buf_put(out, "null", 4);
		}
		if (r == 0)
			r = buf_putf(out, ",\"source\":");
		if (r == 0) {
			char src[METRICS_NAME_MAX + 16];
			snprintf(src, sizeof(src), strchr(c.addr, ':') ? "[%s]:%d" : "%s:%d", c.addr, c.port);
			r = json_put_string(out, src);
		}
		if (r == 0)
			r = buf_putf(out, ",\"start_time\":\"%s\",\"start_unix\":%" PRId64 ",\"channels\":%d}", ts, c.start,
				 c.channels < 0 ? 0 : c.channels);
		first = 0;
	}
	return r ? r : buf_put(out, "]\n", 2);
}
