/* metrics: shared counters across fork, connection slots, renderers. */
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "metrics.h"
#include "t.h"

static char *render(int prom)
{
	struct buf b;
	buf_init(&b, 0);
	int r = prom ? metrics_render_prometheus(&b) : metrics_render_sessions_json(&b);
	char *s = r ? NULL : strndup((const char *)buf_rptr(&b), buf_avail(&b));
	buf_free(&b);
	return s;
}

TEST(disabled_is_noop)
{
	/* Before metrics_init everything is a no-op and reads as 0. */
	metrics_inc(M_CONN_ACCEPTED);
	CHECK_EQ_INT(metrics_get(M_CONN_ACCEPTED), 0);
	CHECK_EQ_INT(metrics_conn_register(getpid(), "1.2.3.4", 1), -1);
	CHECK_EQ_INT(metrics_enabled(), 0);
}

TEST(counters_shared_across_fork)
{
	CHECK_EQ_INT(metrics_init(), 0);
	CHECK_EQ_INT(metrics_enabled(), 1);
	metrics_inc(M_CONN_ACCEPTED);
	pid_t kids[4];
	for (int i = 0; i < 4; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			for (int k = 0; k < 1000; k++) {
				metrics_inc(M_CONN_ACCEPTED);
				metrics_add(M_BYTES_IN, 10);
			}
			metrics_auth("publickey", 1);
			metrics_auth("password", 0);
			metrics_kex("curve25519-sha256");
			_exit(0);
		}
	}
	for (int i = 0; i < 4; i++)
		waitpid(kids[i], NULL, 0);
	CHECK_EQ_INT(metrics_get(M_CONN_ACCEPTED), 4001);
	CHECK_EQ_INT(metrics_get(M_BYTES_IN), 40000);
	CHECK_EQ_INT(metrics_get(M_AUTH_OK_PUBLICKEY), 4);
	CHECK_EQ_INT(metrics_get(M_AUTH_FAIL_PASSWORD), 4);
	metrics_auth("keyboard-interactive", 1);
	metrics_auth("hostbased", 0);
	CHECK_EQ_INT(metrics_get(M_AUTH_OK_KBDINT), 1);
	CHECK_EQ_INT(metrics_get(M_AUTH_FAIL_OTHER), 1);
}

TEST(gauges)
{
	metrics_gauge_add(M_SESSIONS_ACTIVE, 2);
	metrics_gauge_add(M_SESSIONS_ACTIVE, -1);
	CHECK_EQ_INT(metrics_get(M_SESSIONS_ACTIVE), 1);
	metrics_gauge_add(M_SESSIONS_ACTIVE, -1);
	CHECK_EQ_INT(metrics_get(M_SESSIONS_ACTIVE), 0);
}

TEST(prometheus_text)
{
	metrics_kex("mlkem768x25519-sha256");
	metrics_kex("evil\"name\n");
	metrics_set_helper_method("memfd");
	char *s = render(1);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(strstr(s, "# HELP sshbox_connections_accepted_total ") != NULL);
	CHECK(strstr(s, "# TYPE sshbox_connections_accepted_total counter\n") != NULL);
	CHECK(strstr(s, "\nsshbox_connections_accepted_total 4001\n") != NULL);
	CHECK(strstr(s, "# TYPE sshbox_connections_active gauge\n") != NULL);
	CHECK(strstr(s, "sshbox_auth_total{method=\"publickey\",result=\"success\"} 4\n") != NULL);
	CHECK(strstr(s, "sshbox_auth_total{method=\"password\",result=\"failure\"} 4\n") != NULL);
	CHECK(strstr(s, "sshbox_kex_total{algorithm=\"curve25519-sha256\"} 4\n") != NULL);
	CHECK(strstr(s, "sshbox_kex_total{algorithm=\"mlkem768x25519-sha256\"} 1\n") != NULL);
	CHECK(strstr(s, "sshbox_kex_total{algorithm=\"evil_name_\"} 1\n") != NULL);
	CHECK(strstr(s, "sshbox_helper_exec_method{method=\"memfd\"} 1\n") != NULL);
	CHECK(strstr(s, "sshbox_bytes_received_total 40000\n") != NULL);
	/* Every sample line is "name[{labels}] value". */
	for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		char *sp = strrchr(line, ' ');
		CHECK(sp && sp[1] >= '0' && sp[1] <= '9');
		CHECK(strncmp(line, "sshbox_", 7) == 0);
	}
	free(s);
}

TEST(kex_table_bounded)
{
	char name[32];
	for (int i = 0; i < METRICS_MAX_KEX + 5; i++) {
		snprintf(name, sizeof(name), "kex-%d", i);
		metrics_kex(name);
	}
	char *s = render(1);
	CHECK(s && strstr(s, "sshbox_kex_total{algorithm=\"other\"}") != NULL);
	free(s);
}

TEST(connection_slots)
{
	int pipefd[2];
	CHECK_EQ_INT(pipe(pipefd), 0);
	pid_t kid = fork();
	if (kid == 0) {
		/* what a connection process does */
		metrics_conn_register(getpid(), "192.0.2.7", 51515);
		metrics_conn_set_user("al\"ice"); /* stored sanitized: al_ice */
		metrics_conn_channels(+1);
		metrics_conn_channels(+1);
		metrics_conn_sessions(+1);
		char c = 1;
		(void)!write(pipefd[1], &c, 1);
		pause();
		_exit(0);
	}
	char c;
	CHECK_EQ_INT(read(pipefd[0], &c, 1), 1);
	CHECK(metrics_conn_register(getpid(), "2001:db8::1", 22) >= 0);
	char *s = render(0);
	CHECK(s != NULL);
	char want[128];
	snprintf(want, sizeof(want), "{\"pid\":%d,\"user\":\"al_ice\",\"source\":\"192.0.2.7:51515\"", (int)kid);
	CHECK(s && strstr(s, want) != NULL);
	CHECK(s && strstr(s, "\"channels\":2}") != NULL);
	CHECK(s && strstr(s, "\"source\":\"[2001:db8::1]:22\"") != NULL);
	CHECK(s && strstr(s, "\"user\":null") != NULL);
	CHECK(s && s[0] == '[');
	free(s);
	s = render(1);
	CHECK(s && strstr(s, "\nsshbox_channels_active 2\n") != NULL);
	CHECK(s && strstr(s, "\nsshbox_sessions_active 1\n") != NULL);
	free(s);
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	metrics_conn_unregister(kid); /* the listener does this on reap */
	metrics_conn_unregister(kid); /* idempotent */
	metrics_conn_unregister(getpid());
	s = render(0);
	CHECK_STR(s, "[]\n");
	free(s);
	/* the killed connection's channels and session are off the gauges */
	s = render(1);
	CHECK(s && strstr(s, "\nsshbox_channels_active 0\n") != NULL);
	CHECK(s && strstr(s, "\nsshbox_sessions_active 0\n") != NULL);
	free(s);
	/* The table is bounded: registrations beyond it fail softly. */
	int ok = 0;
	for (int i = 1; i <= METRICS_MAX_CONNS + 10; i++)
		if (metrics_conn_register(100000 + i, "10.0.0.1", i) >= 0)
			ok++;
	CHECK_EQ_INT(ok, METRICS_MAX_CONNS);
	for (int i = 1; i <= METRICS_MAX_CONNS + 10; i++)
		metrics_conn_unregister(100000 + i);
	close(pipefd[0]);
	close(pipefd[1]);
}

int main(void)
{
	RUN(disabled_is_noop);
	RUN(counters_shared_across_fork);
	RUN(gauges);
	RUN(prometheus_text);
	RUN(kex_table_bounded);
	RUN(connection_slots);
	return t_done();
}
