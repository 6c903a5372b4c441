/* Benchmark for tests/bench/spawn (not a test): fork + exec + exit of a
 * trivial child applet (`checkhomedir -q /`), started
 *   (a) from the sealed memfd holding sshbox-helper (what sshd does), and
 *   (b) by exec of the full sshbox binary (the /proc/self/exe fallback).
 * Usage: spawn_bench HELPER FULL [N]. Prints medians in microseconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "log.h"
#include "spawn.h"

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		return NULL;
	unsigned char *p = malloc((size_t)st.st_size);
	size_t got = 0;
	while (p && got < (size_t)st.st_size) {
		ssize_t r = read(fd, p + got, (size_t)st.st_size - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*len = got;
	return got == (size_t)st.st_size ? p : NULL;
}

static int measure(const char *label, int n, double *out)
{
	char *args[] = {"-q", "/", NULL};
	for (int i = 0; i < 5; i++) /* warm up */
		if (spawn_run("checkhomedir", args, NULL, 10000) != 0)
			return -1;
	for (int i = 0; i < n; i++) {
		double t0 = now_us();
		int st = spawn_run("checkhomedir", args, NULL, -1);
		out[i] = now_us() - t0;
		if (st != 0) {
			fprintf(stderr, "%s: child exited %d\n", label, st);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s HELPER FULL [N]\n", argv[0]);
		return 2;
	}
	int n = argc > 3 ? atoi(argv[3]) : 1000;
	if (n < 100 || n > 1000000)
		n = 1000;
	log_init("bench", LOG_WARN, LOG_TO_STDERR);
	size_t len;
	unsigned char *img = slurp(argv[1], &len);
	if (!img) {
		perror(argv[1]);
		return 1;
	}
	double *a = calloc((size_t)n, sizeof(double)), *b = calloc((size_t)n, sizeof(double));
	if (!a || !b)
		return 1;
	/* Alternate the two paths in 20 rounds so load drift hits both alike. */
	int rounds = 20, per = n / rounds;
	n = per * rounds;
	for (int r = 0; r < rounds; r++) {
		if (spawn_init_image(img, len, "memfd", argv[2], NULL) != 0 || measure("memfd", per, a + r * per) != 0)
			return 1;
		if (spawn_init_image(img, len, "procself", argv[2], NULL) != 0 ||
		    measure("procself", per, b + r * per) != 0)
			return 1;
	}
	qsort(a, (size_t)n, sizeof(*a), cmp);
	qsort(b, (size_t)n, sizeof(*b), cmp);
	struct stat sa, sb;
	stat(argv[1], &sa);
	stat(argv[2], &sb);
	printf("spawn benchmark: fork + exec + exit of `checkhomedir -q /`, %d runs each\n", n);
	printf("  %-44s %10s %10s %10s\n", "path", "median us", "p10 us", "p90 us");
	printf("  %-44s %10.1f %10.1f %10.1f\n", "helper from sealed memfd (sshbox-helper)", a[n / 2], a[n / 10],
	       a[n * 9 / 10]);
	printf("  %-44s %10.1f %10.1f %10.1f\n", "full binary (sshbox, the /proc/self/exe path)", b[n / 2], b[n / 10],
	       b[n * 9 / 10]);
	printf("  sizes: helper %lld bytes, full %lld bytes\n", (long long)sa.st_size, (long long)sb.st_size);
	printf("  ratio full/helper (median): %.2f\n", b[n / 2] / a[n / 2]);
	spawn_reset();
	free(img);
	free(a);
	free(b);
	return 0;
}
