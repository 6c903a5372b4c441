/* Unit tests for the listener's admission control (shared/server/admission.c). */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "admission.h"
#include "t.h"

static struct admission a;

static struct sockaddr_storage v4(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	in->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &in->sin_addr);
	return ss;
}

static struct sockaddr_storage v6(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	in6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, ip, &in6->sin6_addr);
	return ss;
}

static void setup(int running, int per_src, int waiting, int per_src_wait, int v4bits, int v6bits)
{
	struct adm_limits l = {running, per_src, waiting, per_src_wait, v4bits, v6bits, 10};
	adm_init(&a, &l);
}

/* adm_source + adm_decide + acting on the verdict, as the listener does */
static enum adm_verdict offer(const struct sockaddr_storage *ss, int fd)
{
	int src = adm_source(&a, ss);
	enum adm_verdict v = adm_decide(&a, src);
	if (v == ADM_START)
		adm_running_add(&a, src);
	else if (v == ADM_WAIT)
		CHECK_EQ_INT(adm_wait_push(&a, src, fd, 100), 0);
	return v;
}

TEST(netblocks)
{
	setup(10, 2, 10, 5, 24, 64);
	struct sockaddr_storage a1 = v4("192.0.2.1"), a2 = v4("192.0.2.200"), b = v4("192.0.3.1");
	struct sockaddr_storage m = v6("::ffff:192.0.2.7"), s1 = v6("2001:db8:1:2::1"),
				s2 = v6("2001:db8:1:2:ffff::9");
	struct sockaddr_storage s3 = v6("2001:db8:1:3::1");
	int i1 = adm_source(&a, &a1);
	adm_running_add(&a, i1); /* keep the entry alive */
	CHECK_EQ_INT(adm_source(&a, &a2), i1);
	CHECK_EQ_INT(adm_source(&a, &m), i1); /* v4-mapped counts as IPv4 */
	CHECK(adm_source(&a, &b) != i1);
	int j = adm_source(&a, &s1);
	adm_running_add(&a, j);
	CHECK_EQ_INT(adm_source(&a, &s2), j);
	CHECK(adm_source(&a, &s3) != j);
	setup(10, 2, 10, 5, 32, 128);
	i1 = adm_source(&a, &a1);
	adm_running_add(&a, i1);
	CHECK(adm_source(&a, &a2) != i1);
	setup(10, 2, 10, 5, 0, 0); /* /0: everyone is one source */
	i1 = adm_source(&a, &a1);
	adm_running_add(&a, i1);
	CHECK_EQ_INT(adm_source(&a, &b), i1);
}

TEST(per_source_share_wait_then_drop)
{
	setup(4, 2, 8, 3, 32, 128);
	struct sockaddr_storage f = v4("10.0.0.1"), g = v4("10.0.0.2");
	CHECK_EQ_INT(offer(&f, 100), ADM_START);
	CHECK_EQ_INT(offer(&f, 101), ADM_START);
	CHECK_EQ_INT(offer(&f, 102), ADM_WAIT); /* over its running share */
	CHECK_EQ_INT(offer(&f, 103), ADM_WAIT);
	CHECK_EQ_INT(offer(&f, 104), ADM_WAIT);
	CHECK_EQ_INT(offer(&f, 105), ADM_DROP);	 /* over its waiting share */
	CHECK_EQ_INT(offer(&g, 200), ADM_START); /* another source is unaffected */
	CHECK_EQ_INT(a.running, 3);
	CHECK_EQ_INT(a.waiting, 3);
	int fd, src;
	CHECK_EQ_INT(adm_wait_pop(&a, &fd, &src), -1); /* f is at its share */
	adm_running_done(&a, adm_source(&a, &f));
	CHECK_EQ_INT(adm_wait_pop(&a, &fd, &src), 0);
	CHECK_EQ_INT(fd, 102); /* oldest first */
	CHECK_EQ_INT(a.running, 3);
	CHECK_EQ_INT(a.waiting, 2);
}

TEST(fair_pop_and_global_bound)
{
	setup(3, 3, 8, 8, 32, 128);
	struct sockaddr_storage f = v4("10.0.0.1"), g = v4("10.0.0.2");
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(offer(&f, 100 + i), ADM_START);
	CHECK_EQ_INT(offer(&f, 103), ADM_WAIT); /* MaxStartups full reached */
	CHECK_EQ_INT(offer(&f, 104), ADM_WAIT);
	CHECK_EQ_INT(offer(&g, 200), ADM_WAIT); /* arrives last */
	CHECK(adm_accepting(&a));
	int fd, src, fsrc = adm_source(&a, &f);
	adm_running_done(&a, fsrc);
	CHECK_EQ_INT(adm_wait_pop(&a, &fd, &src), 0);
	CHECK_EQ_INT(fd, 200); /* g has no running connection: it goes first */
	CHECK_EQ_INT(adm_wait_pop(&a, &fd, &src), -1);
	adm_running_done(&a, fsrc);
	CHECK_EQ_INT(adm_wait_pop(&a, &fd, &src), 0);
	CHECK_EQ_INT(fd, 103);
}

TEST(stop_accepting_when_full)
{
	setup(1, 1, 2, 2, 32, 128);
	struct sockaddr_storage f = v4("10.0.0.1");
	CHECK_EQ_INT(offer(&f, 100), ADM_START);
	CHECK(adm_accepting(&a));
	CHECK_EQ_INT(offer(&f, 101), ADM_WAIT);
	CHECK_EQ_INT(offer(&f, 102), ADM_WAIT);
	CHECK(!adm_accepting(&a)); /* no slot, room full: leave them in the backlog */
	CHECK_EQ_INT(adm_wait_push(&a, adm_source(&a, &f), 103, 100), -1);
}

TEST(expiry_and_timeout)
{
	setup(1, 1, 4, 4, 32, 128); /* wait_timeout 10 s */
	struct sockaddr_storage f = v4("10.0.0.1");
	CHECK_EQ_INT(adm_next_timeout_ms(&a, 100), -1);
	CHECK_EQ_INT(offer(&f, 100), ADM_START);
	CHECK_EQ_INT(offer(&f, 101), ADM_WAIT); /* at t=100 */
	CHECK_EQ_INT(adm_next_timeout_ms(&a, 104), 6000);
	int fd;
	CHECK_EQ_INT(adm_wait_expired(&a, 109, &fd), -1);
	CHECK_EQ_INT(adm_wait_expired(&a, 110, &fd), 0);
	CHECK_EQ_INT(fd, 101);
	CHECK_EQ_INT(a.waiting, 0);
	CHECK_EQ_INT(adm_next_timeout_ms(&a, 110), -1);
}

TEST(source_table_full_drops)
{
	setup(ADM_MAX_SOURCES + 10, 1, 0, 0, 32, 128);
	char ip[32];
	for (int i = 0; i < ADM_MAX_SOURCES; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.1", i / 256, i % 256);
		struct sockaddr_storage s = v4(ip);
		CHECK_EQ_INT(offer(&s, 0), ADM_START);
	}
	struct sockaddr_storage s = v4("192.0.2.1");
	CHECK_EQ_INT(adm_source(&a, &s), -1);
	CHECK_EQ_INT(adm_decide(&a, -1), ADM_DROP);
	adm_running_done(&a, 5); /* frees entry 5 */
	CHECK_EQ_INT(adm_source(&a, &s), 5);
}

TEST(limits_clamped)
{
	struct adm_limits l = {0, 0, 100000, 100000, 99, -3, -1};
	adm_init(&a, &l);
	CHECK_EQ_INT(a.lim.max_running, 1);
	CHECK_EQ_INT(a.lim.per_source_running, 1);
	CHECK_EQ_INT(a.lim.max_waiting, ADM_MAX_WAITING);
	CHECK_EQ_INT(a.lim.per_source_waiting, ADM_MAX_WAITING);
	CHECK_EQ_INT(a.lim.v4_bits, 32);
	CHECK_EQ_INT(a.lim.v6_bits, 0);
	CHECK_EQ_INT(a.lim.wait_timeout, 0);
	adm_running_done(&a, 0); /* nothing running: no underflow */
	CHECK_EQ_INT(a.running, 0);
}

int main(void)
{
	RUN(netblocks);
	RUN(per_source_share_wait_then_drop);
	RUN(fair_pop_and_global_bound);
	RUN(stop_accepting_when_full);
	RUN(expiry_and_timeout);
	RUN(source_table_full_drops);
	RUN(limits_clamped);
	return t_done();
}
