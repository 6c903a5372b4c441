/* Kex benchmark (not a test): server-side CPU of one key exchange per
 * method, i.e. the kex_method reply the daemon runs for KEX_ECDH_INIT
 * (ephemeral keys, KEM encapsulation, shared secret, its encoding), fed
 * with a client value made the way a client makes it. The host key
 * signature is the same for every method and not included. Timed with
 * the thread's CPU clock: the server CPU it costs, not wall time, which
 * other processes on a busy machine would inflate.
 * Prints one line per method: name, median and p90 in microseconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "crypto.h"
#include "kex.h"

enum { RUNS = 200 };

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* A client's ephemeral value for method m: X25519 public key, preceded by
 * the KEM's public key for the hybrids. */
static void client_value(const char *name, struct buf *qc)
{
	static uint8_t kem_pk[MLKEM768_PUBLIC_BYTES], kem_sk[MLKEM768_SECRET_BYTES];
	_Static_assert(MLKEM768_PUBLIC_BYTES >= SNTRUP761_PUBLIC_BYTES &&
			   MLKEM768_SECRET_BYTES >= SNTRUP761_SECRET_BYTES,
		       "key buffers too small for sntrup761");
	uint8_t x_pub[32], x_priv[32];
	if (strncmp(name, "sntrup761", 9) == 0) {
		sntrup761_keypair(kem_pk, kem_sk);
		buf_put(qc, kem_pk, SNTRUP761_PUBLIC_BYTES);
	} else if (strncmp(name, "mlkem768", 8) == 0) {
		mlkem768_keypair(kem_pk, kem_sk);
		buf_put(qc, kem_pk, MLKEM768_PUBLIC_BYTES);
	}
	x25519_keypair(x_pub, x_priv);
	buf_put(qc, x_pub, sizeof(x_pub));
}

static int bench(const char *name)
{
	const struct kex_method *m = kex_method_by_name(name, strlen(name));
	if (!m)
		return -1;
	struct buf qc, qs, k;
	buf_init(&qc, 4096);
	buf_init(&qs, 4096);
	buf_init(&k, 256);
	client_value(name, &qc);
	static double t[RUNS];
	for (int i = 0; i < RUNS; i++) {
		buf_reset(&qs);
		buf_reset(&k);
		double t0 = now_us();
		if (m->server_reply(buf_rptr(&qc), buf_avail(&qc), &qs, &k) != 0)
			return -1;
		t[i] = now_us() - t0;
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	printf("%-36s %10.1f %10.1f\n", name, t[RUNS / 2], t[RUNS * 9 / 10]);
	buf_free(&qc);
	buf_free(&qs);
	buf_free(&k);
	return 0;
}

int main(void)
{
	if (crypto_init() != 0)
		return 1;
	printf("%-36s %10s %10s\n", "kex method (server side)", "median us", "p90 us");
	const char *names[] = {"curve25519-sha256", "sntrup761x25519-sha512", "mlkem768x25519-sha256"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (bench(names[i]) != 0) {
			fprintf(stderr, "kex_bench: %s failed\n", names[i]);
			return 1;
		}
	return 0;
}
