/* Unit tests for shared/server/krl.c. The KRLs were made once by
 * ssh-keygen 9.2 -k with the CA and keys of t_certs.h:
 *   KRL_SERIAL: -s ca.pub, "serial: 5", "serial: 10-20", "serial: 40",
 *               "serial: 42", "id: bad-id" (krl_version 3)
 *   KRL_KEY:    u4.pub (CLEAR_CERT's key) as an explicit key
 *   KRL_CA:     ca.pub (the CA of ED_CERT, CLEAR_CERT, NOPRINC_CERT, CRIT_CERT)
 *   KRL_ID:     -s ca.pub, "id: test-id" (ED_CERT's key id)
 *   KRL_HASH:   "sha1: <NOPRINC_CERT's key>", "hash: <SHA256 of CRIT_CERT's key>"
 * Also the 100,000-entry timing (printed). */
#include <stdio.h>
#include <time.h>

#include "buf.h"
#include "crypto.h"
#include "krl.h"
#include "log.h"
#include "t.h"
#include "t_certs.h"
#include "util.h"

static const char KRL_SERIAL_HEX[] =
    "5353484b524c0a00000000010000000000000003000000006b0c769c000000000000000000000000000000000100000060000000"
    "330000000b7373682d6564323535313900000020a136ff815ba0e31f8a9e497aa4ae1ddbf351d426204c2e9662d5981d5d3d3ca1"
    "000000002200000011000000000000000500000005280000ffe1230000000a000000066261642d6964";
static const char KRL_KEY_HEX[] = "5353484b524c0a00000000010000000000000000000000006b0c769c000000000000000000"
				  "000000000000000200000037000000330000000b7373682d6564323535313900000020e6c2"
				  "fe09463fdf3b35d3111e5f26b2a255113f167043150f1f05026bdd61cc4a";
static const char KRL_CA_HEX[] = "5353484b524c0a00000000010000000000000000000000006b0c769c0000000000000000000"
				 "00000000000000200000037000000330000000b7373682d6564323535313900000020a136ff"
				 "815ba0e31f8a9e497aa4ae1ddbf351d426204c2e9662d5981d5d3d3ca1";
static const char KRL_ID_HEX[] =
    "5353484b524c0a00000000010000000000000000000000006b0c769c00000000000000000000000000000000010000004b000000"
    "330000000b7373682d6564323535313900000020a136ff815ba0e31f8a9e497aa4ae1ddbf351d426204c2e9662d5981d5d3d3ca1"
    "00000000230000000b00000007746573742d6964";
static const char KRL_HASH_HEX[] =
    "5353484b524c0a00000000010000000000000000000000006b0c76a0000000000000000000000000000000000300000018000000"
    "14195e76e0b61b37bc29a43c644f2e9dc793f664010500000024000000204262e9ac277fef7a05f57ec44e934cc9ba9746200a61"
    "74ac744db1ba4ad72580";

static struct krl *krl_hex(const char *hex)
{
	uint8_t b[512];
	size_t n = strlen(hex) / 2;
	struct krl *k = NULL;
	char why[128];
	if (n > sizeof b || unhex(hex, b, sizeof b) != n || krl_parse(b, n, &k, why, sizeof why) != 0)
		return NULL;
	return k;
}

/* 1 if the certificate (base64) is revoked by k. */
static int cert_rev(const struct krl *k, const char *b64)
{
	struct cert c;
	char why[128];
	if (parse_b64(b64, &c, why, sizeof why) != 0)
		return -1;
	int r = krl_cert_revoked(k, &c);
	cert_free(&c);
	return r;
}

/* 1 if the plain key certified by the certificate is revoked by k. */
static int key_rev(const struct krl *k, const char *b64)
{
	struct cert c;
	char why[128];
	if (parse_b64(b64, &c, why, sizeof why) != 0)
		return -1;
	int r = krl_key_revoked(k, &c.key);
	cert_free(&c);
	return r;
}

TEST(ssh_keygen_krls)
{
	struct krl *k = krl_hex(KRL_SERIAL_HEX);
	CHECK(k != NULL);
	CHECK_EQ_INT(cert_rev(k, ED_CERT), 1);	    /* serial 42 */
	CHECK_EQ_INT(cert_rev(k, CLEAR_CERT), 1);   /* serial 5 */
	CHECK_EQ_INT(cert_rev(k, NOPRINC_CERT), 0); /* serial 1 */
	CHECK_EQ_INT(cert_rev(k, CRIT_CERT), 0);    /* serial 0 is never revoked by serial */
	CHECK_EQ_INT(cert_rev(k, EC_RSA_CERT), 0);  /* serial 7 of another CA */
	CHECK_EQ_INT(key_rev(k, ED_CERT), 0);
	krl_free(k);
	k = krl_hex(KRL_KEY_HEX);
	CHECK(k != NULL);
	CHECK_EQ_INT(key_rev(k, CLEAR_CERT), 1);
	CHECK_EQ_INT(cert_rev(k, CLEAR_CERT), 1); /* a certificate of a revoked key */
	CHECK_EQ_INT(cert_rev(k, ED_CERT), 0);
	krl_free(k);
	k = krl_hex(KRL_CA_HEX);
	CHECK(k != NULL);
	CHECK_EQ_INT(cert_rev(k, ED_CERT), 1); /* revoked CA */
	CHECK_EQ_INT(cert_rev(k, CLEAR_CERT), 1);
	CHECK_EQ_INT(cert_rev(k, CRIT_CERT), 1);
	CHECK_EQ_INT(cert_rev(k, EC_RSA_CERT), 0);
	CHECK_EQ_INT(key_rev(k, ED_CERT), 0);
	krl_free(k);
	k = krl_hex(KRL_ID_HEX);
	CHECK(k != NULL);
	CHECK_EQ_INT(cert_rev(k, ED_CERT), 1); /* key id test-id */
	CHECK_EQ_INT(cert_rev(k, CLEAR_CERT), 0);
	krl_free(k);
	k = krl_hex(KRL_HASH_HEX);
	CHECK(k != NULL);
	CHECK_EQ_INT(key_rev(k, NOPRINC_CERT), 1); /* SHA1 */
	CHECK_EQ_INT(key_rev(k, CRIT_CERT), 1);	   /* SHA256 */
	CHECK_EQ_INT(key_rev(k, CLEAR_CERT), 0);
	CHECK_EQ_INT(cert_rev(k, NOPRINC_CERT), 1);
	krl_free(k);
}

TEST(malformed_krls)
{
	uint8_t b[512];
	size_t n = strlen(KRL_SERIAL_HEX) / 2;
	struct krl *k;
	char why[128];
	CHECK(unhex(KRL_SERIAL_HEX, b, sizeof b) == n);
	/* every truncation parses (at a section end) or fails cleanly */
	for (size_t i = 0; i < n; i++)
		if (krl_parse(b, i, &k, why, sizeof why) == 0)
			krl_free(k);
	CHECK_EQ_INT(krl_parse(b, 7, &k, why, sizeof why), -1);
	CHECK(strncmp(why, "not a KRL", 9) == 0);
	b[11] = 2; /* format version 2 */
	CHECK_EQ_INT(krl_parse(b, n, &k, why, sizeof why), -1);
	b[11] = 1;
	/* a section type we do not know (a signature section: 4) */
	uint8_t sig[] = {0x04, 0, 0, 0, 0};
	memcpy(b + n, sig, sizeof sig);
	CHECK_EQ_INT(krl_parse(b, n + sizeof sig, &k, why, sizeof why), -1);
	/* serial 0 in a list */
	uint8_t hdr[44];
	memcpy(hdr, b, 44);
	struct buf kb;
	buf_init(&kb, 4096);
	buf_put(&kb, hdr, 44);
	struct buf sec, sub;
	buf_init(&sec, 1024);
	buf_init(&sub, 64);
	buf_put_string(&sec, NULL, 0); /* any CA */
	buf_put_string(&sec, NULL, 0);
	buf_put_u64(&sub, 0);
	buf_put_u8(&sec, 0x20);
	buf_put_buf(&sec, &sub);
	buf_put_u8(&kb, 1);
	buf_put_buf(&kb, &sec);
	CHECK_EQ_INT(krl_parse(buf_rptr(&kb), buf_avail(&kb), &k, why, sizeof why), -1);
	buf_free(&kb);
	buf_free(&sec);
	buf_free(&sub);
}

/* Ranges that overlap, nest or reach UINT64_MAX are merged so that the
 * binary search finds every revoked serial. */
TEST(overlapping_ranges)
{
	uint8_t hdr[44];
	CHECK(unhex(KRL_SERIAL_HEX, hdr, sizeof hdr) == sizeof hdr);
	struct buf kb, sec, r1, r2, r3, r4;
	buf_init(&kb, 4096);
	buf_init(&sec, 1024);
	buf_init(&r1, 64);
	buf_init(&r2, 64);
	buf_init(&r3, 64);
	buf_init(&r4, 64);
	buf_put(&kb, hdr, sizeof hdr);
	buf_put_string(&sec, NULL, 0); /* any CA */
	buf_put_string(&sec, NULL, 0);
	buf_put_u64(&r1, 5);
	buf_put_u64(&r1, UINT64_MAX);
	buf_put_u64(&r2, 10);
	buf_put_u64(&r2, 20);
	buf_put_u64(&r3, 2);
	buf_put_u64(&r3, 3);
	buf_put_u64(&r4, 25);
	buf_put_u64(&r4, 26);
	buf_put_u8(&sec, 0x21);
	buf_put_buf(&sec, &r4);
	buf_put_u8(&sec, 0x21);
	buf_put_buf(&sec, &r2);
	buf_put_u8(&sec, 0x21);
	buf_put_buf(&sec, &r1);
	buf_put_u8(&sec, 0x21);
	buf_put_buf(&sec, &r3);
	buf_put_u8(&kb, 1);
	buf_put_buf(&kb, &sec);
	struct krl *k;
	char why[128];
	CHECK_EQ_INT(krl_parse(buf_rptr(&kb), buf_avail(&kb), &k, why, sizeof why), 0);
	struct cert c;
	CHECK_EQ_INT(parse_b64(ED_CERT, &c, why, sizeof why), 0);
	uint64_t revoked[] = {2, 3, 5, 15, 30, UINT64_MAX}, not_revoked[] = {1, 4};
	for (size_t i = 0; i < ARRAY_LEN(revoked); i++) {
		c.serial = revoked[i];
		CHECK_EQ_INT(krl_cert_revoked(k, &c), 1);
	}
	for (size_t i = 0; i < ARRAY_LEN(not_revoked); i++) {
		c.serial = not_revoked[i];
		CHECK_EQ_INT(krl_cert_revoked(k, &c), 0);
	}
	cert_free(&c);
	krl_free(k);
	buf_free(&kb);
	buf_free(&sec);
	buf_free(&r1);
	buf_free(&r2);
	buf_free(&r3);
	buf_free(&r4);
}

TEST(plain_key_list)
{
	struct krl *k;
	char why[128];
	const char *text =
	    "# revoked\n\n"
	    "garbage line\n"
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIObC/glGP987NdMRHl8msqJVET8WcEMVDx8FAmvdYcxK u4\n";
	CHECK_EQ_INT(krl_parse_keylist(text, strlen(text), &k, why, sizeof why), 0);
	CHECK_EQ_INT(key_rev(k, CLEAR_CERT), 1);
	CHECK_EQ_INT(cert_rev(k, CLEAR_CERT), 1);
	CHECK_EQ_INT(cert_rev(k, ED_CERT), 0);
	krl_free(k);
	/* the CA in a plain list revokes its certificates */
	char ca[256];
	snprintf(ca, sizeof ca, "ssh-ed25519 %s ca\n", CA_PUB);
	CHECK_EQ_INT(krl_parse_keylist(ca, strlen(ca), &k, why, sizeof why), 0);
	CHECK_EQ_INT(cert_rev(k, ED_CERT), 1);
	CHECK_EQ_INT(cert_rev(k, EC_RSA_CERT), 0);
	krl_free(k);
}

/* A KRL with 100,000 key ids, 100,000 scattered serials and 100,000 SHA256
 * hashes for ED_CERT's CA: every lookup is a binary search. */
TEST(large_krl_timing)
{
	struct buf kb, sec, ids, serials, hashes;
	buf_init(&kb, 16u << 20);
	buf_init(&sec, 16u << 20);
	buf_init(&ids, 8u << 20);
	buf_init(&serials, 8u << 20);
	buf_init(&hashes, 8u << 20);
	uint8_t hdr[44];
	CHECK(unhex(KRL_SERIAL_HEX, hdr, sizeof hdr) == sizeof hdr);
	buf_put(&kb, hdr, sizeof hdr);
	size_t n;
	uint8_t *ca = decode(CA_PUB, &n);
	buf_put_string(&sec, ca, n);
	free(ca);
	buf_put_string(&sec, NULL, 0);
	for (unsigned i = 0; i < 100000; i++) {
		char id[32];
		uint8_t h[32];
		snprintf(id, sizeof id, "user-%u", i);
		buf_put_cstring(&ids, id);
		buf_put_u64(&serials, 1000 + 3ull * i); /* gaps: no range merging */
		hash_once(HASH_SHA256, id, strlen(id), h);
		buf_put_string(&hashes, h, sizeof h);
	}
	buf_put_u8(&sec, 0x23);
	buf_put_buf(&sec, &ids);
	buf_put_u8(&sec, 0x20);
	buf_put_buf(&sec, &serials);
	buf_put_u8(&kb, 1);
	buf_put_buf(&kb, &sec);
	buf_put_u8(&kb, 5);
	buf_put_buf(&kb, &hashes);
	struct krl *k;
	char why[128];
	struct timespec t0, t1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	CHECK_EQ_INT(krl_parse(buf_rptr(&kb), buf_avail(&kb), &k, why, sizeof why), 0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	double load_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	CHECK(krl_entries(k) == 300000);
	struct cert c;
	CHECK_EQ_INT(parse_b64(ED_CERT, &c, why, sizeof why), 0);
	int revoked = 0;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	for (int i = 0; i < 1000; i++)
		revoked += krl_cert_revoked(k, &c);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	double per_us =
	    ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1000 / 1e3;
	printf("  krl: 300,000 entries (100,000 ids, serials, hashes): parse %.1f ms, check %.2f us per "
	       "certificate (CPU time)\n",
	       load_ms, per_us);
	CHECK_EQ_INT(revoked, 0); /* serial 42, id test-id: not in the lists */
	CHECK(per_us < 1000.0);
	c.serial = 1000 + 3 * 777;
	CHECK_EQ_INT(krl_cert_revoked(k, &c), 1);
	c.serial = 1001;
	CHECK_EQ_INT(krl_cert_revoked(k, &c), 0);
	free(c.key_id);
	c.key_id = strdup("user-99999");
	CHECK_EQ_INT(krl_cert_revoked(k, &c), 1);
	cert_free(&c);
	krl_free(k);
	buf_free(&kb);
	buf_free(&sec);
	buf_free(&ids);
	buf_free(&serials);
	buf_free(&hashes);
}

int main(void)
{
	log_init("test", LOG_ERROR, LOG_TO_STDERR);
	RUN(ssh_keygen_krls);
	RUN(malformed_krls);
	RUN(plain_key_list);
	RUN(overlapping_ranges);
	RUN(large_krl_timing);
	return t_done();
}
