/* User authentication (RFC 4252/4256) on the server: USERAUTH_REQUEST for
 * none / publickey (query and signed) / password / keyboard-interactive,
 * INFO_RESPONSE, user changes, MaxAuthTries, late requests after success.
 *
 * Real users of the machine are looked up (root, and e.g. "sync" whose
 * shell is executable); their authorized keys come from a scratch file
 * holding one fixed ed25519 key, so seeds signed with that key over the
 * fixed session id reach the signature check and USERAUTH_SUCCESS.
 * Password and keyboard-interactive are enabled only for the user "sync"
 * (Match), the slow-down sleep after failures is skipped (usleep below).
 *
 * Input: records [u8 kind][u16 len][payload]; each payload is one incoming
 * packet (its first byte is the message type) for auth_handle. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <crypt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "buf.h"
#include "fuzzutil.h"
#include "sshd_config.h"
#include "transport.h"

/* Private key: 32 bytes of 0x42 (the seed generator signs with it). */
#define FUZZ_PUBKEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICFS+NGbeR0kRTJC4V8uq2y3z/p7al7TAJeWDgaYgdsS fuzz"

static struct sshd_config base;
static char dir[] = "/tmp/fuzz_auth.XXXXXX";
static char path_keys[PATH_MAX], path_banner[PATH_MAX];
static const uint8_t session_id[32] = {
	0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
	0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
};

/* Failed password attempts are answered after a fixed minimum time in
 * auth.c (usleep); not here. */
int usleep(useconds_t us)
{
	(void)us;
	return 0;
}

/* Every password check (also the dummy one for missing users) runs the
 * system's hash scheme, yescrypt here: 100+ ms per call would leave the
 * fuzzer at a few executions per second. This target is about the
 * protocol, so hashing is replaced by a constant that matches nothing. */
char *crypt_r(const char *phrase, const char *setting, struct crypt_data *data)
{
	(void)phrase;
	(void)setting;
	(void)data;
	static char never[] = "$6$fuzz$never-matches";
	return never;
}

static void cleanup(void)
{
	unlink(path_keys);
	unlink(path_banner);
	rmdir(dir);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
	chmod(path, 0644);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init();
	setenv("HOME", "/nonexistent-fuzz-home", 1);
	if (!mkdtemp(dir))
		abort();
	chmod(dir, 0755);
	atexit(cleanup);
	snprintf(path_keys, sizeof(path_keys), "%s/authorized_keys", dir);
	snprintf(path_banner, sizeof(path_banner), "%s/banner", dir);
	write_file(path_keys, "# fuzz\n" FUZZ_PUBKEY "\n"
			      "restrict,command=\"true\",from=\"10.0.0.0/8\" " FUZZ_PUBKEY "\n");
	write_file(path_banner, "Authorized use only.\r\n\x1b[1mno escapes\x1b[0m\n");
	char text[4096], err[256];
	snprintf(text, sizeof(text),
		 "AuthorizedKeysFile %s\n"
		 "StrictModes no\n"
		 "Banner %s\n"
		 "PasswordAuthentication no\n"
		 "KbdInteractiveAuthentication no\n"
		 "PermitRootLogin prohibit-password\n"
		 "MaxAuthTries 6\n"
		 "UsePAM no\n"
		 "Match User sync\n"
		 "	PasswordAuthentication yes\n"
		 "	KbdInteractiveAuthentication yes\n"
		 "	PubkeyAcceptedAlgorithms ssh-ed25519,rsa-sha2-*\n",
		 path_keys, path_banner);
	sshd_config_init(&base);
	if (sshd_config_load_string(&base, "fuzz", text, err, sizeof(err)) < 0 ||
	    sshd_config_finalize(&base, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_auth: config: %s\n", err);
		abort();
	}
	return 0;
}

static void run(const uint8_t *data, size_t size)
{
	struct transport *t = transport_new(-1);
	struct auth_ctx a;
	if (!t)
		abort();
	auth_init(&a, &base, "192.0.2.7", 50022, session_id, sizeof(session_id));
	const uint8_t *p = data, *end = data + size;
	uint8_t kind;
	const uint8_t *rec;
	size_t n;
	while (fz_record(&p, end, &kind, &rec, &n)) {
		if (n == 0)
			continue;
		struct buf payload;
		int reason;
		buf_view(&payload, rec, n);
		int r = auth_handle(&a, t, rec[0], &payload, &reason);
		transport_take_output(t, NULL);
		if (r < 0)
			break;
	}
	auth_free(&a);
	transport_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_mute();
	run(data, size);
	fz_unmute();
	return 0;
}
