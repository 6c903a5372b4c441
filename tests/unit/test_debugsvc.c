/* debugsvc: the service on a temp data dir, spoken to over real unix
 * sockets: endpoints, errors, peer-credential check, slowloris. */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "debugsvc.h"
#include "log.h"
#include "metrics.h"
#include "t.h"
#include "util.h"

static char dir[64];
static char sock[100];

static int dial(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends raw bytes, reads the whole answer (bounded, 10 s), returns it. */
static char *exchange(const char *req, size_t reqlen)
{
	int fd = dial();
	if (fd < 0)
		return NULL;
	if (reqlen && write_full(fd, req, reqlen) != 0) {
		close(fd);
		return NULL;
	}
	size_t cap = 1 << 20, len = 0;
	char *out = malloc(cap + 1);
	uint64_t end = monotonic_ms() + 10000;
	while (len < cap) {
		struct pollfd p = {fd, POLLIN, 0};
		uint64_t now = monotonic_ms();
		if (now >= end || poll(&p, 1, (int)(end - now)) <= 0)
			break;
		ssize_t r = read(fd, out + len, cap - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	out[len] = 0;
	close(fd);
	return out;
}

static char *get(const char *path)
{
	char req[512];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	return exchange(req, (size_t)n);
}

static int status_of(const char *resp)
{
	int st = 0;
	if (!resp || sscanf(resp, "HTTP/1.1 %d", &st) != 1)
		return -1;
	return st;
}

static const char *body_of(const char *resp)
{
	const char *b = resp ? strstr(resp, "\r\n\r\n") : NULL;
	return b ? b + 4 : "";
}

TEST(start_and_socket_mode)
{
	snprintf(dir, sizeof(dir), "/tmp/sshbox-dbgsvc.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(sock, sizeof(sock), "%s/debug.sock", dir);
	log_init("test", LOG_INFO, LOG_TO_STDERR);
	CHECK_EQ_INT(log_share_level(), 0);
	CHECK_EQ_INT(metrics_init(), 0);
	static const char *const users[] = {"65533", "no-such-user-xyz"};
	static const char *const groups[] = {"4242"};
	struct debugsvc_opts o = {.datadir = dir, .allow_users = users, .n_allow_users = 2,
				  .allow_groups = groups, .n_allow_groups = 1};
	CHECK_EQ_INT(debugsvc_start_opts(&o), 0);
	CHECK_STR(debugsvc_socket_path(), sock);
	struct stat st;
	CHECK_EQ_INT(lstat(sock, &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	/* an allow-list: reachable by others, the peer check decides */
	CHECK_EQ_INT(st.st_mode & 0777, 0666);
	CHECK_EQ_INT(st.st_uid, geteuid());
	CHECK_EQ_INT(stat(dir, &st), 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0711);
}

TEST(log_level_get_put)
{
	char *r = get("/log-level");
	CHECK_EQ_INT(status_of(r), 200);
	CHECK_STR(body_of(r), "INFO\n");
	free(r);
	const char put[] = "PUT /log-level HTTP/1.1\r\nContent-Length: 6\r\n\r\ndebug\n";
	r = exchange(put, sizeof(put) - 1);
	CHECK_EQ_INT(status_of(r), 200);
	CHECK_STR(body_of(r), "DEBUG\n");
	free(r);
	CHECK_EQ_INT(log_get_level(), LOG_DEBUG);
	/* A forked child (a "connection process") sees the new level. */
	pid_t kid = fork();
	if (kid == 0)
		_exit(log_get_level() == LOG_DEBUG ? 0 : 1);
	int ws = 0;
	waitpid(kid, &ws, 0);
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	const char bad[] = "PUT /log-level HTTP/1.1\r\nContent-Length: 5\r\n\r\nLOUD!";
	r = exchange(bad, sizeof(bad) - 1);
	CHECK_EQ_INT(status_of(r), 400);
	free(r);
	const char back[] = "PUT /log-level HTTP/1.1\r\nContent-Length: 4\r\n\r\nInfo";
	r = exchange(back, sizeof(back) - 1);
	CHECK_EQ_INT(status_of(r), 200);
	free(r);
	CHECK_EQ_INT(log_get_level(), LOG_INFO);
}

TEST(endpoints)
{
	char *r = get("/readyz");
	char want[64];
	snprintf(want, sizeof(want), "{\"status\":\"ok\",\"pid\":%d}\n", (int)getpid());
	CHECK_EQ_INT(status_of(r), 200);
	CHECK_STR(body_of(r), want);
	CHECK(r && strstr(r, "Content-Type: application/json\r\n"));
	free(r);
	metrics_inc(M_CONN_ACCEPTED);
	r = get("/metrics");
	CHECK_EQ_INT(status_of(r), 200);
	CHECK(r && strstr(r, "# TYPE sshbox_connections_accepted_total counter\nsshbox_connections_accepted_total 1\n"));
	free(r);
	metrics_conn_register(getpid(), "127.0.0.1", 4242);
	metrics_conn_set_user("bob");
	r = get("/sessions");
	CHECK_EQ_INT(status_of(r), 200);
	CHECK(r && strstr(body_of(r), "\"user\":\"bob\",\"source\":\"127.0.0.1:4242\""));
	free(r);
	metrics_conn_unregister(getpid());
	r = get("/debug/pprof/heap");
	CHECK_EQ_INT(status_of(r), 200);
	CHECK(r && strstr(r, "NOT a pprof heap profile") && strstr(r, "VmRSS:"));
	free(r);
	r = get("/debug/status");
	CHECK_EQ_INT(status_of(r), 200);
	CHECK(r && strstr(body_of(r), "Pid:"));
	free(r);
	r = get("/debug/pprof/cmdline");
	CHECK_EQ_INT(status_of(r), 200);
	CHECK(r && strstr(body_of(r), "test_debugsvc"));
	free(r);
	r = get("/debug/fds");
	CHECK_EQ_INT(status_of(r), 200);
	CHECK(r && strstr(body_of(r), " -> socket:[")); /* at least the listening socket */
	free(r);
}

TEST(errors)
{
	char *r = get("/nope");
	CHECK_EQ_INT(status_of(r), 404);
	free(r);
	const char del[] = "DELETE /readyz HTTP/1.1\r\n\r\n";
	r = exchange(del, sizeof(del) - 1);
	CHECK_EQ_INT(status_of(r), 405);
	CHECK(r && strstr(r, "Allow: GET\r\n"));
	free(r);
	const char putm[] = "PUT /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
	r = exchange(putm, sizeof(putm) - 1);
	CHECK_EQ_INT(status_of(r), 405);
	free(r);
	const char nocrlf[] = "GET /readyz HTTP/1.1\n\n";
	r = exchange(nocrlf, sizeof(nocrlf) - 1);
	CHECK_EQ_INT(status_of(r), 400);
	free(r);
	size_t n = 20000;
	char *huge = malloc(n);
	memcpy(huge, "GET /readyz HTTP/1.1\r\nX-A: ", 27);
	memset(huge + 27, 'a', n - 27);
	r = exchange(huge, n);
	CHECK_EQ_INT(status_of(r), 431);
	free(r);
	free(huge);
	const char big[] = "PUT /log-level HTTP/1.1\r\nContent-Length: 100000\r\n\r\n";
	r = exchange(big, sizeof(big) - 1);
	CHECK_EQ_INT(status_of(r), 413);
	free(r);
}

/* Lets the threads of earlier requests finish (answered clients linger
 * up to 200 ms draining), so slot counts start from zero. */
static void wait_for_no_clients(void)
{
	uint64_t end = monotonic_ms() + 3000;
	while (debugsvc_active_clients() > 0 && monotonic_ms() < end)
		usleep(20000);
}

TEST(slowloris_times_out_others_served)
{
	/* A client that sends half a request and stalls: others still get
	 * answers meanwhile, and the stalled one gets 408 after the timeout. */
	int slow = dial();
	CHECK(slow >= 0);
	CHECK_EQ_INT(write_full(slow, "GET /readyz HTTP/1.1\r\nHo", 24), 0);
	uint64_t t0 = monotonic_ms();
	char *r = get("/readyz");
	CHECK_EQ_INT(status_of(r), 200);
	CHECK(monotonic_ms() - t0 < 2000);
	free(r);
	char resp[256] = "";
	struct pollfd p = {slow, POLLIN, 0};
	CHECK(poll(&p, 1, 8000) == 1);
	ssize_t got = read(slow, resp, sizeof(resp) - 1);
	if (got > 0)
		resp[got] = 0;
	CHECK_EQ_INT(status_of(resp), 408);
	uint64_t waited = monotonic_ms() - t0;
	CHECK(waited >= 4000 && waited < 8000);
	close(slow);
	/* Many idle connections: bounded, extra ones get 503, service recovers.
	 * Idle clients are dialled until the service holds all its slots
	 * (a slot can be lost if the machine refuses a thread, which the
	 * service logs); only then is the next request's answer checked. */
	wait_for_no_clients();
	enum { MAX_IDLE = 4 * DEBUGSVC_MAX_CLIENTS };
	int idle[MAX_IDLE];
	int n_idle = 0;
	uint64_t fill_end = monotonic_ms() + 3000;
	while (debugsvc_active_clients() < DEBUGSVC_MAX_CLIENTS && monotonic_ms() < fill_end) {
		if (n_idle < MAX_IDLE && n_idle < debugsvc_active_clients() + DEBUGSVC_MAX_CLIENTS)
			idle[n_idle++] = dial();
		usleep(20000);
	}
	int held = debugsvc_active_clients();
	if (held < DEBUGSVC_MAX_CLIENTS)
		fprintf(stderr, "  %d idle clients dialled, the service holds %d slots\n", n_idle, held);
	CHECK_EQ_INT(held, DEBUGSVC_MAX_CLIENTS);
	/* Refused: a 503, or the connection closed before the request was
	 * even written (the busy answer does not wait for it). */
	r = get("/readyz");
	int st = status_of(r);
	free(r);
	if (st != 503 && st != -1)
		fprintf(stderr, "  over the client limit got status %d\n", st);
	CHECK(st == 503 || st == -1);
	for (int i = 0; i < n_idle; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	wait_for_no_clients();
	r = get("/readyz");
	CHECK_EQ_INT(status_of(r), 200);
	free(r);
}

TEST(profile_rate_limit)
{
	char *r = get("/debug/pprof/profile?seconds=1");
	CHECK_EQ_INT(status_of(r), 200);
	CHECK(r && strstr(r, "Content-Type: application/octet-stream"));
	const unsigned char *b = (const unsigned char *)body_of(r);
	CHECK(b[0] == 0x1f && b[1] == 0x8b);
	free(r);
	r = get("/debug/pprof/profile?seconds=1");
	CHECK_EQ_INT(status_of(r), 429); /* within the minimum interval */
	free(r);
	r = get("/debug/pprof/profile?seconds=abc");
	CHECK_EQ_INT(status_of(r), 400);
	free(r);
}

/* GET /readyz from a child running as uid/gid (+ one supplementary group
 * when supp >= 0); returns the HTTP status. */
static int status_as(uid_t uid, gid_t gid, long supp)
{
	int pfd[2];
	if (pipe(pfd) != 0)
		return -2;
	pid_t kid = fork();
	if (kid == 0) {
		close(pfd[0]);
		gid_t g = (gid_t)supp;
		if (setgroups(supp >= 0 ? 1 : 0, &g) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
			_exit(2);
		char *resp = get("/readyz");
		int st = status_of(resp);
		(void)!write(pfd[1], &st, sizeof(st));
		_exit(0);
	}
	close(pfd[1]);
	int st = -3;
	if (read(pfd[0], &st, sizeof(st)) != (ssize_t)sizeof(st))
		st = -4;
	close(pfd[0]);
	waitpid(kid, NULL, 0);
	return st;
}

TEST(peer_credentials)
{
	/* Make the socket connectable by anyone so that only the SO_PEERCRED
	 * check stands between a foreign uid and the service. The service was
	 * started with DebugAllowUsers 65533 and DebugAllowGroups 4242. */
	if (geteuid() != 0) {
		printf("SKIP: %s:peer_credentials (needs root)\n", __FILE__);
		return;
	}
	CHECK_EQ_INT(chmod(sock, 0666), 0);
	CHECK_EQ_INT(chmod(dir, 0755), 0);
	CHECK_EQ_INT(status_as(65534, 65534, -1), 403);  /* not listed */
	CHECK_EQ_INT(status_as(65533, 65534, -1), 200);  /* DebugAllowUsers */
	CHECK_EQ_INT(status_as(65532, 4242, -1), 200);   /* primary group listed */
	CHECK_EQ_INT(status_as(65531, 65534, 4242), 200); /* supplementary group listed */
	CHECK_EQ_INT(status_as(65530, 65534, 4243), 403); /* other group */
	CHECK_EQ_INT(chmod(sock, 0600), 0);
	/* With the normal 0600 socket the kernel refuses non-owners outright. */
	CHECK_EQ_INT(status_as(65533, 65534, -1), -1);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(start_and_socket_mode);
	RUN(log_level_get_put);
	RUN(endpoints);
	RUN(errors);
	RUN(slowloris_times_out_others_served);
	RUN(profile_rate_limit);
	RUN(peer_credentials);
	debugsvc_stop();
	struct stat st;
	int gone = lstat(sock, &st) != 0;
	rmdir(dir);
	printf("%s: %s:socket_unlinked_on_stop\n", gone ? "PASS" : "FAIL", __FILE__);
	return t_done() || !gone;
}
