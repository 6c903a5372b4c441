/* profile: pprof protobuf encoding (decoded here with a tiny protobuf
 * reader), gzip, and a real SIGPROF profile of a busy loop. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "buf.h"
#include "profile.h"
#include "t.h"

/* ---- minimal protobuf reader over struct buf ---- */

static int rd_varint(struct buf *b, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t c;
		if (buf_get_u8(b, &c))
			return -1;
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
	}
	return -1;
}

/* Next field: number, wire type, varint value or bytes view. */
static int rd_field(struct buf *b, unsigned *field, unsigned *wire, uint64_t *v, struct buf *sub)
{
	uint64_t key;
	if (rd_varint(b, &key))
		return -1;
	*field = (unsigned)(key >> 3);
	*wire = (unsigned)(key & 7);
	if (*wire == 0)
		return rd_varint(b, v);
	if (*wire == 2) {
		uint64_t n;
		const uint8_t *p;
		if (rd_varint(b, &n) || n > buf_avail(b))
			return -1;
		p = buf_rptr(b);
		buf_view(sub, p, (size_t)n);
		return buf_consume(b, (size_t)n);
	}
	return -1; /* we never emit other wire types */
}

struct decoded {
	int n_sample_type, n_sample, n_mapping, n_location, n_string;
	char strings[32][80];
	uint64_t period, time_nanos, duration_nanos;
	int period_type_ok;
	uint64_t sample_locs[8][8];
	int sample_depth[8];
	uint64_t sample_vals[8][2];
	uint64_t loc_id[64], loc_addr[64], loc_map[64];
	uint64_t map_start[8], map_limit[8], map_off[8], map_file[8];
};

static int decode(const uint8_t *p, size_t n, struct decoded *d)
{
	memset(d, 0, sizeof(*d));
	struct buf b, sub;
	buf_view(&b, p, n);
	while (buf_avail(&b)) {
		unsigned f, w;
		uint64_t v = 0;
		if (rd_field(&b, &f, &w, &v, &sub))
			return -1;
		if (f == 1 && w == 2)
			d->n_sample_type++;
		else if (f == 2 && w == 2) {
			int i = d->n_sample++;
			while (buf_avail(&sub)) {
				unsigned sf, sw;
				uint64_t sv;
				struct buf packed;
				if (rd_field(&sub, &sf, &sw, &sv, &packed) || sw != 2)
					return -1;
				int k = 0;
				while (buf_avail(&packed)) {
					uint64_t x;
					if (rd_varint(&packed, &x))
						return -1;
					if (i < 8 && sf == 1 && k < 8)
						d->sample_locs[i][k] = x;
					if (i < 8 && sf == 2 && k < 2)
						d->sample_vals[i][k] = x;
					k++;
				}
				if (i < 8 && sf == 1)
					d->sample_depth[i] = k;
			}
		} else if ((f == 3 || f == 4) && w == 2) {
			uint64_t fields[6] = {0};
			while (buf_avail(&sub)) {
				unsigned sf, sw;
				uint64_t sv;
				struct buf x;
				if (rd_field(&sub, &sf, &sw, &sv, &x))
					return -1;
				if (sw == 0 && sf < 6)
					fields[sf] = sv;
			}
			if (f == 3 && d->n_mapping < 8) {
				int i = d->n_mapping;
				d->map_start[i] = fields[2];
				d->map_limit[i] = fields[3];
				d->map_off[i] = fields[4];
				d->map_file[i] = fields[5];
			}
			if (f == 3)
				d->n_mapping++;
			if (f == 4 && d->n_location < 64) {
				int i = d->n_location;
				d->loc_id[i] = fields[1];
				d->loc_map[i] = fields[2];
				d->loc_addr[i] = fields[3];
			}
			if (f == 4)
				d->n_location++;
		} else if (f == 6 && w == 2) {
			if (d->n_string < 32) {
				size_t len = buf_avail(&sub) < 79 ? buf_avail(&sub) : 79;
				memcpy(d->strings[d->n_string], buf_rptr(&sub), len);
			}
			d->n_string++;
		} else if (f == 9 && w == 0)
			d->time_nanos = v;
		else if (f == 10 && w == 0)
			d->duration_nanos = v;
		else if (f == 11 && w == 2)
			d->period_type_ok = 1;
		else if (f == 12 && w == 0)
			d->period = v;
	}
	return 0;
}

static const char maps_text[] =
	"555555554000-555555556000 r--p 00000000 08:01 1234 /usr/bin/sshbox\n"
	"555555556000-555555600000 r-xp 00002000 08:01 1234 /usr/bin/sshbox\n"
	"7ffff7fc1000-7ffff7fc3000 r-xp 00000000 00:00 0 [vdso]\n"
	"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 [stack]\n";

TEST(encode_known_samples)
{
	struct profile_sample s[3];
	memset(s, 0, sizeof(s));
	s[0].depth = 3;
	s[0].pc[0] = 0x555555557000;
	s[0].pc[1] = 0x555555558001; /* return addresses: encoded as addr - 1 */
	s[0].pc[2] = 0x555555559001;
	s[1].depth = 1;
	s[1].pc[0] = 0x555555557000; /* same leaf: same location */
	s[2].depth = 1;
	s[2].pc[0] = 0x7ffff7fc1100; /* in the vdso */
	struct buf out;
	buf_init(&out, 0);
	CHECK_EQ_INT(profile_encode(s, 3, maps_text, 10000000, 1700000000000000000LL, 2000000000LL, &out), 0);
	struct decoded d;
	CHECK_EQ_INT(decode(buf_rptr(&out), buf_avail(&out), &d), 0);
	CHECK_EQ_INT(d.n_sample_type, 2);
	CHECK_EQ_INT(d.n_sample, 3);
	CHECK_EQ_INT(d.n_mapping, 2); /* executable mappings only */
	CHECK_EQ_INT(d.n_location, 4); /* 0x...7000, 0x...8000, 0x...9000, vdso */
	CHECK_STR(d.strings[0], "");
	CHECK_STR(d.strings[1], "samples");
	CHECK_STR(d.strings[2], "count");
	CHECK_STR(d.strings[3], "cpu");
	CHECK_STR(d.strings[4], "nanoseconds");
	CHECK_EQ_INT(d.period, 10000000);
	CHECK_EQ_INT(d.time_nanos, 1700000000000000000ULL);
	CHECK_EQ_INT(d.duration_nanos, 2000000000ULL);
	CHECK(d.period_type_ok);
	CHECK_EQ_INT(d.sample_depth[0], 3);
	CHECK_EQ_INT(d.sample_vals[0][0], 1);
	CHECK_EQ_INT(d.sample_vals[0][1], 10000000);
	/* Sample 0's locations resolve to the right addresses. */
	uint64_t want[3] = {0x555555557000, 0x555555558000, 0x555555559000};
	for (int k = 0; k < 3; k++) {
		uint64_t id = d.sample_locs[0][k];
		int found = 0;
		for (int i = 0; i < d.n_location; i++)
			if (d.loc_id[i] == id) {
				found = 1;
				CHECK_EQ_INT(d.loc_addr[i], want[k]);
				CHECK_EQ_INT(d.loc_map[i], 1); /* the r-xp sshbox mapping */
			}
		CHECK(found);
	}
	CHECK_EQ_INT(d.sample_locs[1][0], d.sample_locs[0][0]);
	CHECK_EQ_INT(d.map_start[0], 0x555555556000);
	CHECK_EQ_INT(d.map_limit[0], 0x555555600000);
	CHECK_EQ_INT(d.map_off[0], 0x2000);
	CHECK_STR(d.strings[d.map_file[0]], "/usr/bin/sshbox");
	CHECK_STR(d.strings[d.map_file[1]], "[vdso]");
	buf_free(&out);
}

TEST(empty_profile_is_valid)
{
	struct buf out;
	buf_init(&out, 0);
	CHECK_EQ_INT(profile_encode(NULL, 0, "", 10000000, 1, 1, &out), 0);
	struct decoded d;
	CHECK_EQ_INT(decode(buf_rptr(&out), buf_avail(&out), &d), 0);
	CHECK_EQ_INT(d.n_sample, 0);
	CHECK_EQ_INT(d.n_sample_type, 2);
	CHECK_STR(d.strings[0], "");
	buf_free(&out);
}

static int gunzip(const uint8_t *in, size_t n, uint8_t **out, size_t *outn)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return -1;
	size_t cap = 1 << 20;
	*out = malloc(cap);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	int r = inflate(&z, Z_FINISH);
	*outn = cap - z.avail_out;
	inflateEnd(&z);
	return r == Z_STREAM_END ? 0 : -1;
}

static volatile uint64_t sink;

static void __attribute__((noinline)) burn_cpu(double secs)
{
	struct timespec a, b;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	do {
		for (int i = 0; i < 100000; i++)
			sink = sink * 6364136223846793005ULL + 1442695040888963407ULL;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	} while ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9 < secs);
}

TEST(real_profile_gzip)
{
	CHECK_EQ_INT(profile_start(), 0);
	CHECK(profile_running());
	CHECK_EQ_INT(profile_start(), -1); /* one at a time */
	burn_cpu(0.5);
	struct buf out;
	buf_init(&out, 0);
	CHECK_EQ_INT(profile_stop(&out), 0);
	CHECK(!profile_running());
	CHECK(buf_avail(&out) > 10);
	const uint8_t *p = buf_rptr(&out);
	CHECK(p[0] == 0x1f && p[1] == 0x8b); /* gzip magic */
	uint8_t *raw = NULL;
	size_t rawn = 0;
	CHECK_EQ_INT(gunzip(p, buf_avail(&out), &raw, &rawn), 0);
	struct decoded d;
	CHECK_EQ_INT(decode(raw, rawn, &d), 0);
	/* 0.5 s of CPU at 100 Hz: expect dozens of samples. */
	CHECK(d.n_sample >= 10);
	CHECK(d.n_mapping >= 1);
	CHECK(d.n_location >= 1);
	CHECK(d.duration_nanos > 400000000ULL);
	/* Self-symbolized from the test binary's .symtab: the hot function is named. */
	CHECK(memmem(raw, rawn, "burn_cpu", 8) != NULL);
	free(raw);
	buf_free(&out);
	/* and it can run again */
	CHECK_EQ_INT(profile_start(), 0);
	buf_init(&out, 0);
	CHECK_EQ_INT(profile_stop(&out), 0);
	buf_free(&out);
}

TEST(profile_forked_child)
{
	/* A fork made after profile_shared_init is profiled from the parent. */
	CHECK_EQ_INT(profile_shared_init(), 0);
	pid_t kid = fork();
	if (kid == 0) {
		burn_cpu(30.0); /* killed below */
		_exit(0);
	}
	usleep(100000);
	CHECK_EQ_INT(profile_start_pid(kid), 0);
	usleep(1500000); /* wall time; the machine may be busy, so few samples are enough */
	struct buf out;
	buf_init(&out, 0);
	CHECK_EQ_INT(profile_stop(&out), 0);
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	uint8_t *raw = NULL;
	size_t rawn = 0;
	CHECK_EQ_INT(gunzip(buf_rptr(&out), buf_avail(&out), &raw, &rawn), 0);
	struct decoded d;
	CHECK_EQ_INT(decode(raw, rawn, &d), 0);
	if (d.n_sample < 5)
		fprintf(stderr, "  child profile: %d samples\n", d.n_sample);
	CHECK(d.n_sample >= 5);
	CHECK(raw && memmem(raw, rawn, "burn_cpu", 8) != NULL);
	free(raw);
	buf_free(&out);
	/* The parent itself was idle: a profile of it right after is empty-ish
	 * and the child's late ticks (if any) were not recorded into it. */

	/* A process that does not catch our signals is never signalled. */
	pid_t other = fork();
	if (other == 0) {
		execlp("sleep", "sleep", "5", (char *)NULL);
		_exit(127);
	}
	usleep(200000);
	errno = 0;
	CHECK_EQ_INT(profile_start_pid(other), -1);
	CHECK_EQ_INT(errno, ESRCH);
	CHECK(!profile_running());
	CHECK_EQ_INT(kill(other, 0), 0); /* still alive */
	kill(other, SIGKILL);
	waitpid(other, NULL, 0);
}

int main(void)
{
	RUN(encode_known_samples);
	RUN(empty_profile_is_valid);
	RUN(real_profile_gzip);
	RUN(profile_forked_child);
	return t_done();
}
