/* t.h: the unit-test harness. A test file defines TEST(name) functions and a
 * main that calls RUN(name) for each and returns t_done(). Every test prints
 * one "PASS: file:name" or "FAIL: file:name" line; tests/run.sh counts them. */
#ifndef SSHBOX_T_H
#define SSHBOX_T_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int t_failed_now, t_pass, t_fail;

#define TEST(name) static void name(void)

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			t_failed_now = 1;                                            \
		}                                                                    \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                           \
	do {                                                                         \
		long long t_a = (long long)(a), t_b = (long long)(b);               \
		if (t_a != t_b) {                                                    \
			fprintf(stderr, "  %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a, t_a, #b, t_b); \
			t_failed_now = 1;                                            \
		}                                                                    \
	} while (0)

#define CHECK_STR(a, b)                                                              \
	do {                                                                         \
		const char *t_a = (a), *t_b = (b);                                   \
		if (!t_a || !t_b || strcmp(t_a, t_b) != 0) {                         \
			fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, t_a ? t_a : "(null)", t_b ? t_b : "(null)"); \
			t_failed_now = 1;                                            \
		}                                                                    \
	} while (0)

#define RUN(name)                                                                    \
	do {                                                                         \
		t_failed_now = 0;                                                    \
		name();                                                              \
		if (t_failed_now)                                                    \
			t_fail++;                                                    \
		else                                                                 \
			t_pass++;                                                    \
		printf("%s: %s:%s\n", t_failed_now ? "FAIL" : "PASS", __FILE__, #name); \
		fflush(stdout);                                                      \
	} while (0)

static inline int t_done(void) { return t_fail ? 1 : 0; }

/* A part of a test that cannot run here (e.g. needs root): one
 * "SKIP: file:test: why" line, so tests/run.sh counts it and the totals
 * stay honest. The rest of the test still runs and reports PASS/FAIL. */
#define SKIP_PART(why)                                                               \
	do {                                                                         \
		printf("SKIP: %s:%s: %s\n", __FILE__, __func__, why);               \
		fflush(stdout);                                                      \
	} while (0)

/* Hex text (test vectors) to bytes; stops at cap or an odd tail. */
static inline size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (h[0] && h[1] && n < cap) {
		unsigned v;
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

#endif
