/* Unit tests for shared/crypto/eckey.c: ECDSA nistp256 private keys made
 * by ssh-keygen 9.2 (-t ecdsa; -m PEM; -m PKCS8) load, and the public
 * point equals the .pub file's; other curves, ed25519, encrypted,
 * truncated and tampered keys are refused. */
#include <sodium.h>
#include <string.h>

#include "eckey.h"
#include "log.h"
#include "t.h"

/* Test keys, generated for this file only (never used anywhere). */
static const char EC_OPENSSH[] = "-----BEGIN OPENSSH PRIVATE KEY-----\n"
				 "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAaAAAABNlY2RzYS\n"
				 "1zaGEyLW5pc3RwMjU2AAAACG5pc3RwMjU2AAAAQQQv/3+rgEE10WXN1+dWMPoifhhK6Z7Q\n"
				 "UpiaHxbcJ2UUsreE5dpnNNBY5SL/IStBLjFYpIAae3gOfLmGG2TMtVcrAAAAqItaAXiLWg\n"
				 "F4AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBC//f6uAQTXRZc3X\n"
				 "51Yw+iJ+GErpntBSmJofFtwnZRSyt4Tl2mc00FjlIv8hK0EuMVikgBp7eA58uYYbZMy1Vy\n"
				 "sAAAAhAPMsPbc+JHKFBsIIGJJSagfA18z3zfTKJVQfeAzZkrEzAAAACmVjLW9wZW5zc2gB\n"
				 "AgMEBQ==\n"
				 "-----END OPENSSH PRIVATE KEY-----\n";
static const char EC_SEC1[] = "-----BEGIN EC PRIVATE KEY-----\n"
			      "MHcCAQEEIHxjWpxsz7f3J60Hlolb5DTsdFGHKSl5fevtKnACA0fdoAoGCCqGSM49\n"
			      "AwEHoUQDQgAEgq8KGuro1mxhKZ/F316BQeYPbpAiHdhLiEgr6DUfGlWHtR0oLsyq\n"
			      "ikgXL3hn7cVNgyHR6cGOzIejnRQ4z82i2A==\n"
			      "-----END EC PRIVATE KEY-----\n";
static const char EC_PKCS8[] = "-----BEGIN PRIVATE KEY-----\n"
			       "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgy8tU1sCX0QnQwuAz\n"
			       "OszsfPQJB1ZYWxCc1/6AD8Aqd7ChRANCAAR9JEj98om5RinMFFuttYDBldHo6abP\n"
			       "m+s+TUAp2HRkf00IagKXnnw9FxvTSnSacV/go9DsvRt5KKh6TAIAMdd8\n"
			       "-----END PRIVATE KEY-----\n";
static const char EC384_SEC1[] = "-----BEGIN EC PRIVATE KEY-----\n"
				 "MIGkAgEBBDBFLpEmUIMTjHzqt/JiehpYcY2ZJOipRCcF8fQsMav/A+fsRGQ6oeh7\n"
				 "bK0Y/xJ1zOmgBwYFK4EEACKhZANiAAR7ED7yrNQm0vDm8Y40Qi2hVuFdKWwipo/X\n"
				 "+m+8wb4oDszPConOsyKVD2G+LOVVRy7KW1vuTkm7sh4q3Amdw/ZlOlmK3YNylhRf\n"
				 "adb1VX7gorb5JEtIWtB7SRA1IoBSd+k=\n"
				 "-----END EC PRIVATE KEY-----\n";
static const char EC_ENCRYPTED[] = "-----BEGIN OPENSSH PRIVATE KEY-----\n"
				   "b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABBEUBhVAh\n"
				   "Ufac6bhxhCfxhEAAAAEAAAAAEAAABoAAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlz\n"
				   "dHAyNTYAAABBBPsgfuNcMAUakfxRGvsHvAIlrb+KSKgA6V38HF0NgDpXxak/A+yIBRLmU4\n"
				   "xKFoh2aba60LU3N/GyrrzQ9f66WTIAAACgT91RpIcJp2PEFnlQHMlsOHDQ3GLt+VqDv9Wh\n"
				   "hBFDG6TXwwSZ0HItGRXKl75MRELWJgXOVF7kcBVx8PAmUu1GpzfaK5egL/J/BQSHU3IMvt\n"
				   "/nzzS0HzQadEsK+gHS/BKjVdfEwc+wKQz912xqo+Yy7MitCrNlpI2Uj/WXJM9ao3WrbI+v\n"
				   "E+7Szp+AmwgmqxCXnAkmzZ1DrdLbsYfI0WgpRQ==\n"
				   "-----END OPENSSH PRIVATE KEY-----\n";
static const char ED_OPENSSH[] = "-----BEGIN OPENSSH PRIVATE KEY-----\n"
				 "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
				 "QyNTUxOQAAACA2IpSEPbMiQFFJyForqZTE2PhhzgQetb3TftfsAZueYwAAAJA8J+MVPCfj\n"
				 "FQAAAAtzc2gtZWQyNTUxOQAAACA2IpSEPbMiQFFJyForqZTE2PhhzgQetb3TftfsAZueYw\n"
				 "AAAECcW2XFNgi9rOxTa0yAfsKclNDUCP6ILwUW8+GdONm5djYilIQ9syJAUUnIWiuplMTY\n"
				 "+GHOBB61vdN+1+wBm55jAAAAB3Jvb3RAdm0BAgMEBQY=\n"
				 "-----END OPENSSH PRIVATE KEY-----\n";
static const char EC_OPENSSH_PUB[] =
    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBC//"
    "f6uAQTXRZc3X51Yw+iJ+GErpntBSmJofFtwnZRSyt4Tl2mc00FjlIv8hK0EuMVikgBp7eA58uYYbZMy1Vys=";
static const char EC_SEC1_PUB[] = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIKvChrq6NZsYSmfxd9egU"
				  "HmD26QIh3YS4hIK+g1HxpVh7UdKC7MqopIFy94Z+3FTYMh0enBjsyHo50UOM/Notg=";
static const char EC_PKCS8_PUB[] = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBH0kSP3yiblGKcwUW621g"
				   "MGV0ejpps+b6z5NQCnYdGR/TQhqApeefD0XG9NKdJpxX+Cj0Oy9G3koqHpMAgAx13w=";

/* The point at the end of a .pub blob must be the loaded key's. */
static int point_matches(const struct eckey_p256 *k, const char *pub_b64)
{
	uint8_t blob[256];
	size_t n = 0;
	if (sodium_base642bin(blob, sizeof blob, pub_b64, strlen(pub_b64), NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n < ECKEY_P256_POINT)
		return 0;
	return memcmp(blob + n - ECKEY_P256_POINT, k->q, ECKEY_P256_POINT) == 0;
}

static int load(const char *text)
{
	struct eckey_p256 k;
	char why[128];
	int r = eckey_p256_parse(text, strlen(text), &k, why, sizeof why);
	eckey_p256_wipe(&k);
	return r;
}

TEST(loads_ssh_keygen_formats)
{
	struct eckey_p256 k;
	char why[128];
	CHECK_EQ_INT(eckey_p256_parse(EC_OPENSSH, strlen(EC_OPENSSH), &k, why, sizeof why), 0);
	CHECK(point_matches(&k, EC_OPENSSH_PUB));
	CHECK_STR(k.comment, "ec-openssh");
	eckey_p256_wipe(&k);
	CHECK_EQ_INT(eckey_p256_parse(EC_SEC1, strlen(EC_SEC1), &k, why, sizeof why), 0);
	CHECK(point_matches(&k, EC_SEC1_PUB));
	CHECK(!point_matches(&k, EC_OPENSSH_PUB));
	eckey_p256_wipe(&k);
	CHECK_EQ_INT(eckey_p256_parse(EC_PKCS8, strlen(EC_PKCS8), &k, why, sizeof why), 0);
	CHECK(point_matches(&k, EC_PKCS8_PUB));
	eckey_p256_wipe(&k);
}

TEST(refuses_others)
{
	struct eckey_p256 k;
	char why[128];
	CHECK_EQ_INT(eckey_p256_parse(EC384_SEC1, strlen(EC384_SEC1), &k, why, sizeof why), -1);
	CHECK_STR(why, "EC private key is not on nistp256");
	CHECK_EQ_INT(eckey_p256_parse(EC_ENCRYPTED, strlen(EC_ENCRYPTED), &k, why, sizeof why), -1);
	CHECK_STR(why, "encrypted private key; host keys must be unencrypted");
	CHECK_EQ_INT(eckey_p256_parse(ED_OPENSSH, strlen(ED_OPENSSH), &k, why, sizeof why), -1);
	CHECK_STR(why, "not an ecdsa-sha2-nistp256 key");
	CHECK_EQ_INT(load("ssh-ed25519 AAAA"), -1);
	CHECK_EQ_INT(load(""), -1);
	/* cut in the middle: the END marker is missing */
	char cut[sizeof EC_OPENSSH];
	memcpy(cut, EC_OPENSSH, sizeof cut / 2);
	cut[sizeof cut / 2] = '\0';
	CHECK_EQ_INT(load(cut), -1);
}

/* The binary of EC_OPENSSH; its length. */
static size_t openssh_bin(uint8_t *bin, size_t cap)
{
	size_t n = 0;
	const char *b = strchr(EC_OPENSSH, '\n') + 1, *e = strstr(EC_OPENSSH, "-----END");
	if (sodium_base642bin(bin, cap, b, (size_t)(e - b), "\n", &n, NULL, sodium_base64_VARIANT_ORIGINAL))
		return 0;
	return n;
}

/* Loads EC_OPENSSH re-encoded with one bit of byte `at` of its binary flipped. */
static int load_tampered(size_t at)
{
	uint8_t bin[1024];
	char text[2048], b64[1400];
	size_t n = openssh_bin(bin, sizeof bin);
	if (at >= n)
		return -9;
	bin[at] ^= 1;
	sodium_bin2base64(b64, sizeof b64, bin, n, sodium_base64_VARIANT_ORIGINAL);
	snprintf(text, sizeof text,
		 "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\n", b64);
	return load(text);
}

TEST(refuses_tampered_openssh)
{
	uint8_t bin[1024];
	size_t n = openssh_bin(bin, sizeof bin);
	CHECK(n > 200);
	CHECK_EQ_INT(load_tampered(n), -9);
	const uint8_t *curve = memmem(bin, n, "nistp256", 8);	   /* outer public blob */
	const uint8_t *comment = memmem(bin, n, "ec-openssh", 10); /* after the scalar */
	CHECK(curve != NULL && comment != NULL);
	CHECK_EQ_INT(load_tampered(0), -1);				     /* magic */
	CHECK_EQ_INT(load_tampered((size_t)(curve - bin) + 8 + 4 + 40), -1); /* outer point */
	CHECK_EQ_INT(load_tampered((size_t)(comment - bin) - 4 - 1), -1); /* scalar: d*G is another point */
	CHECK_EQ_INT(load_tampered(n - 1), -1);				  /* padding */
}

int main(void)
{
	log_init("test", LOG_ERROR, LOG_TO_STDERR);
	if (sodium_init() < 0)
		return 1;
	RUN(loads_ssh_keygen_formats);
	RUN(refuses_others);
	RUN(refuses_tampered_openssh);
	return t_done();
}
