#include "debugsvc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "buf.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "profile.h"
#include "spawn.h"
#include "sshd_config.h"
#include "util.h"

static int listen_fd = -1;
static pid_t owner_pid;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static int stopping;
static int active_clients;
static uid_t allow_uids[DEBUGSVC_MAX_ALLOW];
static size_t n_allow_uids;
static gid_t allow_gids[DEBUGSVC_MAX_ALLOW];
static size_t n_allow_gids;
static int profile_busy;
static uint64_t last_profile_end_ms;
static int have_last_profile;
static pthread_mutex_t prof_lock = PTHREAD_MUTEX_INITIALIZER;

#define MAX_PROC_FILE (1u << 20)

/* ---------------- access control ---------------- */

/* Supplementary groups of pid from /proc/<pid>/status ("Groups:"). */
static int peer_in_allowed_group(pid_t pid, gid_t gid)
{
	for (size_t i = 0; i < n_allow_gids; i++)
		if (allow_gids[i] == gid)
			return 1;
	if (n_allow_gids == 0 || pid <= 0)
		return 0;
	char path[64], text[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_text_file(path, text, sizeof(text)) < 0)
		return 0;
	char *g = strstr(text, "\nGroups:");
	if (!g)
		return 0;
	g += 8;
	while (*g && *g != '\n') {
		char *end;
		unsigned long v = strtoul(g, &end, 10);
		if (end == g) {
			g++;
			continue;
		}
		for (size_t i = 0; i < n_allow_gids; i++)
			if (allow_gids[i] == (gid_t)v)
				return 1;
		g = end;
	}
	return 0;
}

static int peer_allowed(pid_t pid, uid_t uid, gid_t gid)
{
	if (uid == 0 || uid == geteuid())
		return 1;
	for (size_t i = 0; i < n_allow_uids; i++)
		if (allow_uids[i] == uid)
			return 1;
	return peer_in_allowed_group(pid, gid);
}

static void resolve_allow(const struct debugsvc_opts *o)
{
	n_allow_uids = n_allow_gids = 0;
	for (size_t i = 0; i < o->n_allow_users && n_allow_uids < DEBUGSVC_MAX_ALLOW; i++) {
		const char *name = o->allow_users[i];
		long v;
		struct passwd *pw;
		if (parse_long(name, 0, INT_MAX, &v) == 0)
			allow_uids[n_allow_uids++] = (uid_t)v;
		else if ((pw = getpwnam(name)) != NULL)
			allow_uids[n_allow_uids++] = pw->pw_uid;
		else
			log_warn("debug service: DebugAllowUsers: unknown user \"%s\" ignored", name);
	}
	for (size_t i = 0; i < o->n_allow_groups && n_allow_gids < DEBUGSVC_MAX_ALLOW; i++) {
		const char *name = o->allow_groups[i];
		long v;
		struct group *gr;
		if (parse_long(name, 0, INT_MAX, &v) == 0)
			allow_gids[n_allow_gids++] = (gid_t)v;
		else if ((gr = getgrnam(name)) != NULL)
			allow_gids[n_allow_gids++] = gr->gr_gid;
		else
			log_warn("debug service: DebugAllowGroups: unknown group \"%s\" ignored", name);
	}
}

/* The socket's mode. Without an allow-list: 0600, only the daemon's user
 * (and root) can connect. With one, the listed users and groups must be
 * able to reach the socket at all, so it is 0666 and the DataDirectory
 * (0700 by default; it holds the host key, which stays 0600) gets search
 * permission for others (0711: traverse, not list); SO_PEERCRED then
 * decides alone, in peer_allowed. */
static mode_t socket_mode(const char *datadir)
{
	if (n_allow_uids == 0 && n_allow_gids == 0)
		return 0600;
	struct stat st;
	if (stat(datadir, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & 0011) != 0011) {
		if (chmod(datadir, (st.st_mode & 07777) | 0011) != 0)
			log_warn("debug service: chmod o+x %s: %s (DebugAllowUsers/Groups cannot reach the "
				 "socket)",
				 datadir, strerror(errno));
		else
			log_info("debug service: DebugAllowUsers/DebugAllowGroups set: %s made traversable "
				 "(o+x) so "
				 "they can reach %s",
				 datadir, DEBUGSVC_SOCKET_NAME);
	}
	return 0666;
}

/* ---------------- helpers ---------------- */

static int read_file_into(const char *path, struct buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t total = 0;
	for (;;) {
		uint8_t *p;
		if (total >= MAX_PROC_FILE || buf_reserve(out, 4096, &p) != 0)
			break;
		ssize_t r = read(fd, p, 4096);
		if (r < 0 && errno == EINTR) {
			(void)buf_consume_end(out, 4096);
			continue;
		}
		(void)buf_consume_end(out, r > 0 ? 4096 - (size_t)r : 4096);
		if (r <= 0)
			break;
		total += (size_t)r;
	}
	close(fd);
	return 0;
}

static int respond(struct buf *out, int status, const char *ctype, const struct buf *body)
{
	http_put_response(out, status, ctype, NULL, body ? buf_rptr(body) : NULL, body ? buf_avail(body) : 0);
	return status;
}

static int respond_text(struct buf *out, int status, const char *text)
{
	http_put_response(out, status, "text/plain; charset=utf-8", NULL, text, strlen(text));
	return status;
}

/* ---------------- endpoints ---------------- */

static int ep_log_level(const struct http_request *req, uid_t uid, struct buf *out)
{
	char text[64];
	if (strcmp(req->method, "GET") == 0) {
		snprintf(text, sizeof(text), "%s\n", log_level_name(log_get_level()));
		return respond_text(out, 200, text);
	}
	/* PUT: body is the level name, surrounding whitespace ignored. */
	size_t a = 0, b = req->body_len;
	while (a < b && (req->body[a] == ' ' || req->body[a] == '\t' || req->body[a] == '\r' || req->body[a] == '\n'))
		a++;
	while (b > a && (req->body[b - 1] == ' ' || req->body[b - 1] == '\t' || req->body[b - 1] == '\r' ||
			 req->body[b - 1] == '\n'))
		b--;
	char name[16];
	if (b - a == 0 || b - a >= sizeof(name))
		return respond_text(out, 400, "expected one of TRACE DEBUG INFO WARN ERROR\n");
	memcpy(name, req->body + a, b - a);
	name[b - a] = 0;
	int lvl = log_level_parse(name);
	if (lvl < 0)
		return respond_text(out, 400, "unknown log level; expected one of TRACE DEBUG INFO WARN ERROR\n");
	enum log_level old = log_get_level();
	/* Logged at WARN so the change itself is always visible. */
	log_warn("debug service: log level %s -> %s (by uid %u)", log_level_name(old),
		 log_level_name((enum log_level)lvl), (unsigned)uid);
	log_set_level((enum log_level)lvl);
	snprintf(text, sizeof(text), "%s\n", log_level_name((enum log_level)lvl));
	return respond_text(out, 200, text);
}

static int ep_heap(struct buf *out)
{
	struct buf b;
	buf_init(&b, 4u << 20);
	buf_putf(&b, "# sshbox heap/memory statistics of the listener process (pid %d).\n"
		 "# This is NOT a pprof heap profile: sshbox does not sample allocations.\n"
		 "# It reports the C allocator's counters where the C library provides them\n"
		 "# (glibc mallinfo2; musl has none), and the kernel's view of memory from\n"
		 "# /proc/self/status (Vm*/Rss*) and /proc/self/smaps_rollup.\n\n",
	     (int)getpid());
#if defined(__GLIBC__) && defined(__GLIBC_MINOR__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
	struct mallinfo2 mi = mallinfo2();
	buf_putf(&b, "[allocator: glibc mallinfo2]\narena %zu\nordblks %zu\nhblks %zu\nhblkhd %zu\nuordblks %zu\n"
		 "fordblks %zu\nkeepcost %zu\n\n",
	     mi.arena, mi.ordblks, mi.hblks, mi.hblkhd, mi.uordblks, mi.fordblks, mi.keepcost);
#else
	buf_putf(&b, "[allocator]\nno allocator statistics available in this C library\n\n");
#endif
	buf_putf(&b, "[/proc/self/status]\n");
	struct buf st;
	buf_init(&st, MAX_PROC_FILE);
	read_file_into("/proc/self/status", &st);
	/* Only the memory lines. */
	const char *p = (const char *)buf_rptr(&st);
	size_t n = buf_avail(&st);
	size_t i = 0;
	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (p + i)) : n - i;
		if ((len > 2 && (strncmp(p + i, "Vm", 2) == 0 || strncmp(p + i, "Rss", 3) == 0)))
			buf_put(&b, p + i, len), buf_put_u8(&b, '\n');
		i += len + 1;
	}
	buf_free(&st);
	buf_putf(&b, "\n[/proc/self/smaps_rollup]\n");
	if (read_file_into("/proc/self/smaps_rollup", &b) != 0)
		buf_putf(&b, "unavailable\n");
	int r = respond(out, 200, "text/plain; charset=utf-8", &b);
	buf_free(&b);
	return r;
}

static int ep_proc_file(struct buf *out, const char *path, const char *ctype)
{
	struct buf b;
	buf_init(&b, MAX_PROC_FILE + 8192);
	int r;
	if (read_file_into(path, &b) != 0)
		r = respond_text(out, 500, "cannot read file\n");
	else
		r = respond(out, 200, ctype, &b);
	buf_free(&b);
	return r;
}

static int ep_fds(struct buf *out)
{
	struct buf b;
	buf_init(&b, 1u << 20);
	buf_putf(&b, "# open file descriptors of the listener process (pid %d)\n", (int)getpid());
	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		buf_free(&b);
		return respond_text(out, 500, "cannot open /proc/self/fd\n");
	}
	int dfd = dirfd(d);
	struct dirent *e;
	int count = 0;
	while ((e = readdir(d)) != NULL && count < 4096) {
		long fd;
		if (parse_long(e->d_name, 0, INT_MAX, &fd) != 0)
			continue;
		char target[PATH_MAX];
		ssize_t n = readlinkat(dfd, e->d_name, target, sizeof(target) - 1);
		if (n < 0)
			n = 0;
		target[n] = 0;
		const char *note = fd == dfd ? " (this listing)" : "";
		buf_putf(&b, "%ld -> %s%s\n", fd, target, note);
		count++;
	}
	closedir(d);
	int r = respond(out, 200, "text/plain; charset=utf-8", &b);
	buf_free(&b);
	return r;
}

static int ep_profile(const struct http_request *req, int client_fd, struct buf *out)
{
	long secs = 5;
	char v[32];
	if (http_query_param(req->query, "seconds", v, sizeof(v)) == 0 && parse_long(v, 1, 3600, &secs) != 0)
		return respond_text(out, 400, "seconds must be a positive integer\n");
	if (secs > PROFILE_MAX_SECONDS)
		secs = PROFILE_MAX_SECONDS;
	/* ?pid=N: a connection process (listed in /sessions) instead of the listener. */
	long target = 0;
	if (http_query_param(req->query, "pid", v, sizeof(v)) == 0) {
		if (parse_long(v, 1, INT_MAX, &target) != 0)
			return respond_text(out, 400, "pid must be a process id\n");
		if (target == (long)getpid())
			target = 0;
		else if (!metrics_conn_known((pid_t)target))
			return respond_text(out, 404, "no such connection process (see /sessions)\n");
	}
	pthread_mutex_lock(&prof_lock);
	uint64_t now = monotonic_ms();
	int busy = profile_busy || (have_last_profile && now - last_profile_end_ms < DEBUGSVC_PROFILE_INTERVAL_MS);
	if (!busy)
		profile_busy = 1;
	pthread_mutex_unlock(&prof_lock);
	if (busy)
		return respond_text(out, 429, "a CPU profile is running or ran less than 2 s ago; retry later\n");
	int status;
	if (profile_start_pid((pid_t)target) != 0) {
		log_warn("debug service: cannot start CPU profile: %s", strerror(errno));
		status = errno == ESRCH ? respond_text(out, 404, "that process cannot be profiled\n")
					: respond_text(out, 503, "cannot start the CPU profiler\n");
	} else {
		log_info("debug service: CPU profile of pid %d for %ld s", target ? (int)target : (int)getpid(), secs);
		/* Sleep for the duration, but stop early if the client goes away. */
		uint64_t deadline = monotonic_ms() + (uint64_t)secs * 1000;
		for (;;) {
			uint64_t t = monotonic_ms();
			if (t >= deadline || __atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
				break;
			if (client_fd >= 0) {
				struct pollfd pfd = {client_fd, POLLRDHUP, 0};
				int pr = poll(&pfd, 1, (int)(deadline - t));
				if (pr > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)))
					break;
			} else {
				struct timespec ts = {0, 50 * 1000000};
				nanosleep(&ts, NULL);
			}
		}
		struct buf prof;
		buf_init(&prof, 32u << 20);
		if (profile_stop(&prof) == 0)
			status = respond(out, 200, "application/octet-stream", &prof);
		else
			status = respond_text(out, 500, "cannot encode the profile\n");
		buf_free(&prof);
	}
	pthread_mutex_lock(&prof_lock);
	profile_busy = 0;
	last_profile_end_ms = monotonic_ms();
	have_last_profile = 1;
	pthread_mutex_unlock(&prof_lock);
	return status;
}

struct route {
	const char *path;
	const char *methods; /* "GET" or "GET PUT" */
};

static const struct route routes[] = {
	{"/log-level", "GET PUT"},
	{"/readyz", "GET"},
	{"/metrics", "GET"},
	{"/sessions", "GET"},
	{"/debug/pprof/profile", "GET"},
	{"/debug/pprof/heap", "GET"},
	{"/debug/pprof/cmdline", "GET"},
	{"/debug/status", "GET"},
	{"/debug/fds", "GET"},
};

int debugsvc_serve(const struct http_request *req, pid_t peer_pid, uid_t peer_uid, gid_t peer_gid, int client_fd,
		   struct buf *out)
{
	metrics_inc(M_DEBUG_REQUESTS);
	if (!peer_allowed(peer_pid, peer_uid, peer_gid)) {
		log_warn("debug service: refused uid %u gid %u pid %d (%s %s): not root, not the daemon's "
			 "user, not in "
			 "DebugAllowUsers/DebugAllowGroups",
			 (unsigned)peer_uid, (unsigned)peer_gid, (int)peer_pid, req->method, req->path);
		return respond_text(out, 403,
				    "forbidden: this uid is not allowed to use the debug service "
				    "(run as root or add it to DebugAllowUsers)\n");
	}
	const struct route *rt = NULL;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(req->path, routes[i].path) == 0)
			rt = &routes[i];
	if (!rt)
		return respond_text(out, 404, "not found\n");
	int is_get = strcmp(req->method, "GET") == 0, is_head = strcmp(req->method, "HEAD") == 0;
	int ok = is_get || (strcmp(req->method, "PUT") == 0 && strstr(rt->methods, "PUT"));
	(void)is_head;
	if (!ok) {
		char allow[64];
		snprintf(allow, sizeof(allow), "Allow: %s\r\n", strstr(rt->methods, "PUT") ? "GET, PUT" : "GET");
		const char *msg = "method not allowed\n";
		http_put_response(out, 405, "text/plain; charset=utf-8", allow, msg, strlen(msg));
		return 405;
	}
	const char *p = rt->path;
	if (strcmp(p, "/log-level") == 0)
		return ep_log_level(req, peer_uid, out);
	if (strcmp(p, "/readyz") == 0) {
		char text[64];
		snprintf(text, sizeof(text), "{\"status\":\"ok\",\"pid\":%d}\n", (int)getpid());
		http_put_response(out, 200, "application/json", NULL, text, strlen(text));
		return 200;
	}
	if (strcmp(p, "/metrics") == 0 || strcmp(p, "/sessions") == 0) {
		struct buf b;
		buf_init(&b, 4u << 20);
		int metrics = strcmp(p, "/metrics") == 0;
		/* The helper exec method is decided once in the listener (this
		 * process) by spawn_init, before connections fork. */
		const char *hm = spawn_method_name();
		if (metrics && hm && hm[0] && strcmp(hm, "none") != 0)
			metrics_set_helper_method(hm);
		int r = metrics ? metrics_render_prometheus(&b) : metrics_render_sessions_json(&b);
		int st = r ? respond_text(out, 500, "render failed\n")
			   : respond(out, 200, metrics ? "text/plain; version=0.0.4; charset=utf-8" : "application/json", &b);
		buf_free(&b);
		return st;
	}
	if (strcmp(p, "/debug/pprof/profile") == 0)
		return ep_profile(req, client_fd, out);
	if (strcmp(p, "/debug/pprof/heap") == 0)
		return ep_heap(out);
	if (strcmp(p, "/debug/pprof/cmdline") == 0)
		return ep_proc_file(out, "/proc/self/cmdline", "text/plain; charset=utf-8");
	if (strcmp(p, "/debug/status") == 0)
		return ep_proc_file(out, "/proc/self/status", "text/plain; charset=utf-8");
	return ep_fds(out);
}

/* ---------------- connection handling ---------------- */

static void send_all(int fd, const struct buf *b)
{
	const uint8_t *p = buf_rptr(b);
	size_t n = buf_avail(b);
	uint64_t deadline = monotonic_ms() + 10000;
	while (n > 0) {
		uint64_t now = monotonic_ms();
		if (now >= deadline)
			return;
		struct pollfd pfd = {fd, POLLOUT, 0};
		int pr = poll(&pfd, 1, (int)(deadline - now));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return;
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void serve_client(int fd)
{
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	memset(&cred, 0, sizeof(cred));
	int have_cred = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0;
	struct buf in, out;
	buf_init(&in, HTTP_MAX_HEADER + HTTP_MAX_BODY + 1024);
	buf_init(&out, 40u << 20);
	struct http_request req;
	size_t used = 0;
	int status = 0;
	uint64_t deadline = monotonic_ms() + HTTP_READ_TIMEOUT_MS;
	for (;;) {
		int r = http_parse_request(buf_rptr(&in), buf_avail(&in), &req, &used);
		if (r == 0)
			break;
		if (r < 0) {
			status = -r;
			break;
		}
		uint64_t now = monotonic_ms();
		if (now >= deadline) {
			status = 408;
			break;
		}
		struct pollfd pfd = {fd, POLLIN, 0};
		int pr = poll(&pfd, 1, (int)(deadline - now));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0) {
			status = 408;
			break;
		}
		if (pr < 0) {
			status = -1;
			break;
		}
		uint8_t *p;
		size_t room = buf_room(&in);
		if (room == 0) {
			status = 431;
			break;
		}
		if (room > 4096)
			room = 4096;
		if (buf_reserve(&in, room, &p) != 0) {
			status = -1;
			break;
		}
		ssize_t got = recv(fd, p, room, MSG_DONTWAIT);
		(void)buf_consume_end(&in, got > 0 ? room - (size_t)got : room);
		if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
			status = -1; /* client went away: nothing to answer */
			break;
		}
	}
	if (status == 0) {
		if (!have_cred)
			status = respond_text(&out, 403, "forbidden: cannot identify the peer\n");
		else
			status = debugsvc_serve(&req, cred.pid, cred.uid, cred.gid, fd, &out);
		log_debug("debug service: uid %u pid %d %s %s -> %d", (unsigned)cred.uid, (int)cred.pid, req.method,
			  req.path, status);
	} else if (status > 0) {
		metrics_inc(M_DEBUG_REQUESTS);
		char msg[64];
		snprintf(msg, sizeof(msg), "%d %s\n", status, http_reason(status));
		http_put_response(&out, status, "text/plain; charset=utf-8", NULL, msg, strlen(msg));
		log_debug("debug service: uid %u: bad request -> %d", (unsigned)cred.uid, status);
	}
	if (buf_avail(&out))
		send_all(fd, &out);
	/* Half-close and drain briefly so the client reads the whole answer
	 * instead of a reset caused by unread request bytes. */
	shutdown(fd, SHUT_WR);
	uint64_t drain_end = monotonic_ms() + 200;
	for (int k = 0; k < 16; k++) {
		uint64_t now = monotonic_ms();
		struct pollfd pfd = {fd, POLLIN, 0};
		if (now >= drain_end || poll(&pfd, 1, (int)(drain_end - now)) <= 0)
			break;
		uint8_t junk[4096];
		if (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) <= 0)
			break;
	}
	buf_free(&in);
	buf_free(&out);
	close(fd);
}

int debugsvc_active_clients(void) { return __atomic_load_n(&active_clients, __ATOMIC_ACQUIRE); }

static void *client_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	serve_client(fd);
	__atomic_fetch_sub(&active_clients, 1, __ATOMIC_ACQ_REL);
	return NULL;
}

static void *accept_thread(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stopping, __ATOMIC_ACQUIRE)) {
		struct pollfd pfd = {listen_fd, POLLIN, 0};
		int pr = poll(&pfd, 1, 1000);
		if (pr <= 0)
			continue;
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM) {
				struct timespec ts = {0, 100 * 1000000};
				nanosleep(&ts, NULL);
			}
			continue;
		}
		if (__atomic_fetch_add(&active_clients, 1, __ATOMIC_ACQ_REL) >= DEBUGSVC_MAX_CLIENTS) {
			__atomic_fetch_sub(&active_clients, 1, __ATOMIC_ACQ_REL);
			static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
						   "Connection: close\r\n\r\n";
			ssize_t w = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			(void)w;
			close(fd);
			continue;
		}
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		pthread_t t;
		int pe = pthread_create(&t, &attr, client_thread, (void *)(intptr_t)fd);
		if (pe != 0) {
			__atomic_fetch_sub(&active_clients, 1, __ATOMIC_ACQ_REL);
			close(fd);
			log_warn("debug service: cannot start a client thread: %s", strerror(pe));
		}
		pthread_attr_destroy(&attr);
	}
	return NULL;
}

/* ---------------- lifecycle ---------------- */

int debugsvc_start_opts(const struct debugsvc_opts *o)
{
	if (listen_fd >= 0)
		return 0;
	if (!o || !o->datadir || !o->datadir[0]) {
		log_error("debug service: no DataDirectory; not started");
		return -1;
	}
	int n = snprintf(sock_path, sizeof(sock_path), "%s/%s", o->datadir, DEBUGSVC_SOCKET_NAME);
	if (n < 0 || (size_t)n >= sizeof(sock_path)) {
		log_error("debug service: socket path %s/%s is too long; not started", o->datadir,
			  DEBUGSVC_SOCKET_NAME);
		sock_path[0] = 0;
		return -1;
	}
	if (mkdir(o->datadir, 0700) != 0 && errno != EEXIST)
		log_debug("debug service: mkdir %s: %s", o->datadir, strerror(errno));
	struct stat st;
	if (lstat(sock_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_error("debug service: %s exists and is not a socket; not started", sock_path);
			sock_path[0] = 0;
			return -1;
		}
		/* A live socket belongs to another daemon on the same data dir. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_un sa;
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			log_error("debug service: %s is in use by another process; not started", sock_path);
			sock_path[0] = 0;
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(sock_path);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_error("debug service: socket: %s; not started", strerror(errno));
		sock_path[0] = 0;
		return -1;
	}
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	resolve_allow(o);
	mode_t old = umask(0177);
	int br = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	umask(old);
	if (br != 0 || chmod(sock_path, socket_mode(o->datadir)) != 0 || listen(fd, 16) != 0) {
		if (br == 0)
			e = errno;
		log_error("debug service: cannot listen on %s: %s; not started (SSH keeps serving)", sock_path,
			  strerror(e));
		close(fd);
		if (br == 0)
			unlink(sock_path);
		sock_path[0] = 0;
		return -1;
	}
	/* Before the listener forks connections, so that they can be profiled. */
	if (profile_shared_init() != 0)
		log_warn("debug service: connection processes cannot be profiled: %s", strerror(errno));
	listen_fd = fd;
	owner_pid = getpid();
	__atomic_store_n(&stopping, 0, __ATOMIC_RELEASE);
	/* The service threads take no signals: SIGCHLD/SIGTERM stay with the
	 * listener's main thread, and SIGPROF samples land there too. */
	sigset_t all, prev;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &prev);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	pthread_t t;
	int pr = pthread_create(&t, &attr, accept_thread, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &prev, NULL);
	if (pr != 0) {
		log_error("debug service: cannot start thread: %s; not started", strerror(pr));
		close(fd);
		unlink(sock_path);
		listen_fd = -1;
		sock_path[0] = 0;
		return -1;
	}
	log_info("debug service listening on %s", sock_path);
	return 0;
}

int debugsvc_start(const struct sshd_config *cfg)
{
	if (!cfg)
		return -1;
	if (!cfg->debug_service) {
		log_debug("debug service disabled (DebugService no)");
		return 0;
	}
	struct debugsvc_opts o = {
		.datadir = cfg->data_directory,
		.allow_users = (const char *const *)cfg->debug_allow_users.v,
		.n_allow_users = cfg->debug_allow_users.n,
		.allow_groups = (const char *const *)cfg->debug_allow_groups.v,
		.n_allow_groups = cfg->debug_allow_groups.n,
	};
	return debugsvc_start_opts(&o);
}

void debugsvc_after_fork_child(void)
{
	if (listen_fd >= 0 && getpid() != owner_pid) {
		close(listen_fd);
		listen_fd = -1;
	}
}

void debugsvc_stop(void)
{
	if (listen_fd < 0)
		return;
	__atomic_store_n(&stopping, 1, __ATOMIC_RELEASE);
	if (getpid() == owner_pid && sock_path[0])
		unlink(sock_path);
	/* The accept thread notices within its poll timeout; the fd stays open
	 * until then (closing it under a poll is racy), the process is exiting. */
}

const char *debugsvc_socket_path(void) { return sock_path[0] ? sock_path : NULL; }
