/* Unit tests for shared/crypto/cert.c and shared/server/certauth.c.
 * The certificates were made once by ssh-keygen 9.2 (-s CA -I id -n
 * principals -z serial -V window -O options); see each vector's comment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "authkeys.h"
#include "cert.h"
#include "certauth.h"
#include "log.h"
#include "t.h"

#include "t_certs.h"

#define T2025 1735689600ull /* 2025-01-01 */

TEST(parse_ed25519_user_cert)
{
	struct cert c;
	char why[128];
	CHECK_EQ_INT(parse_b64(ED_CERT, &c, why, sizeof why), 0);
	CHECK_EQ_INT(c.key.type, KEY_ED25519);
	CHECK_EQ_INT(c.ca.type, KEY_ED25519);
	CHECK_EQ_INT(c.type, CERT_TYPE_USER);
	CHECK(c.serial == 42);
	CHECK_STR(c.key_id, "test-id");
	CHECK_EQ_INT(c.n_principals, 2);
	CHECK_STR(c.principals[0], "alice");
	CHECK_STR(c.principals[1], "bob");
	CHECK(c.valid_after == 1577836800ull && c.valid_before == 2208988800ull);
	CHECK_STR(c.force_command, "/bin/true");
	CHECK_STR(c.source_address, "10.0.0.0/8,127.0.0.1");
	CHECK(c.unknown_critical == NULL);
	CHECK_EQ_INT(c.extensions & CERT_EXT_PTY, 0);
	CHECK(c.extensions & CERT_EXT_PORT_FORWARDING);
	CHECK_STR(c.sig_alg, "ssh-ed25519");
	char fp[64];
	cert_ca_fingerprint(&c, fp);
	CHECK_STR(fp, "SHA256:W0BOSbu9J/G5puJdX6vj2Do8KugQFRw4nKQ+78me0Ew"); /* ssh-keygen -L */
	cert_key_fingerprint(&c, fp);
	CHECK_STR(fp, "SHA256:ZVd1BMDxNtmlnbw3y8lUL2izdk4xR7gLPTKTg1u6AEE");
	CHECK_STR(key_label(c.key.type, 1), "ED25519-CERT");
	char plain[64];
	CHECK_EQ_INT(cert_alg_ok(&c, "ssh-ed25519-cert-v01@openssh.com", plain, sizeof plain), 1);
	CHECK_STR(plain, "ssh-ed25519");
	CHECK_EQ_INT(cert_alg_ok(&c, "ssh-ed25519", plain, sizeof plain), 0);
	CHECK_EQ_INT(cert_alg_ok(&c, "rsa-sha2-512-cert-v01@openssh.com", plain, sizeof plain), 0);
	cert_free(&c);
}

TEST(parse_ecdsa_rsa_host)
{
	struct cert c;
	char why[128], plain[64];
	CHECK_EQ_INT(parse_b64(EC_RSA_CERT, &c, why, sizeof why), 0);
	CHECK_EQ_INT(c.key.type, KEY_ECDSA_P384);
	CHECK_EQ_INT(c.ca.type, KEY_RSA);
	CHECK_STR(c.sig_alg, "rsa-sha2-512");
	CHECK(c.valid_after == 0 && c.valid_before == UINT64_MAX);
	CHECK_EQ_INT(cert_alg_ok(&c, "ecdsa-sha2-nistp384-cert-v01@openssh.com", plain, sizeof plain), 1);
	CHECK_EQ_INT(cert_alg_ok(&c, "ecdsa-sha2-nistp256-cert-v01@openssh.com", plain, sizeof plain), 0);
	cert_free(&c);
	CHECK_EQ_INT(parse_b64(HOST_CERT, &c, why, sizeof why), 0);
	CHECK_EQ_INT(c.type, CERT_TYPE_HOST);
	CHECK_EQ_INT(c.key.type, KEY_RSA);
	CHECK_EQ_INT(cert_alg_ok(&c, "rsa-sha2-512-cert-v01@openssh.com", plain, sizeof plain), 1);
	CHECK_STR(plain, "rsa-sha2-512");
	CHECK_EQ_INT(cert_alg_ok(&c, "rsa-sha2-256-cert-v01@openssh.com", plain, sizeof plain), 1);
	CHECK_EQ_INT(cert_alg_ok(&c, "ssh-rsa-cert-v01@openssh.com", plain, sizeof plain), 0);
	const char *w;
	CHECK_EQ_INT(cert_check_authority(&c, CERT_TYPE_USER, T2025, NULL, &w), -1);
	CHECK_STR(w, "Certificate invalid: not a user certificate");
	cert_free(&c);
}

TEST(refused_certificates)
{
	struct cert c;
	char why[128];
	CHECK_EQ_INT(parse_b64(SHA1_CERT, &c, why, sizeof why), -1); /* CA signed with ssh-rsa */
	CHECK(strstr(why, "signature") != NULL);
	size_t n;
	uint8_t *b = decode(ED_CERT, &n);
	/* every truncation fails cleanly; so does every single flipped bit in
	 * the signed part (the CA signature no longer verifies) */
	for (size_t i = 0; i < n; i++)
		CHECK_EQ_INT(cert_parse(b, i, &c, why, sizeof why), -1);
	for (size_t i = 0; i < n; i += 7) {
		b[i] ^= 0x10;
		CHECK_EQ_INT(cert_parse(b, n, &c, why, sizeof why), -1);
		b[i] ^= 0x10;
	}
	CHECK_EQ_INT(cert_parse(b, n, &c, why, sizeof why), 0);
	cert_free(&c);
	free(b);
	/* a plain key is not a certificate */
	b = decode(CA_PUB, &n);
	CHECK_EQ_INT(cert_parse(b, n, &c, why, sizeof why), -1);
	free(b);
}

TEST(check_authority)
{
	struct cert c;
	char why[128];
	const char *w = NULL;
	CHECK_EQ_INT(parse_b64(ED_CERT, &c, why, sizeof why), 0);
	CHECK_EQ_INT(cert_check_authority(&c, CERT_TYPE_USER, T2025, "alice", &w), 0);
	CHECK_EQ_INT(cert_check_authority(&c, CERT_TYPE_USER, T2025, "bob", &w), 0);
	CHECK_EQ_INT(cert_check_authority(&c, CERT_TYPE_USER, T2025, "carol", &w), -1);
	CHECK_STR(w, "Certificate invalid: name is not a listed principal");
	CHECK_EQ_INT(cert_check_authority(&c, CERT_TYPE_USER, T2025, NULL, &w), 0);
	/* the window: valid_after inclusive, valid_before exclusive, no skew */
	CHECK_EQ_INT(cert_check_authority(&c, CERT_TYPE_USER, 1577836800ull, "alice", &w), 0);
	CHECK_EQ_INT(cert_check_authority(&c, CERT_TYPE_USER, 1577836799ull, "alice", &w), -1);
	CHECK_STR(w, "Certificate invalid: not yet valid");
	CHECK_EQ_INT(cert_check_authority(&c, CERT_TYPE_USER, 2208988799ull, "alice", &w), 0);
	CHECK_EQ_INT(cert_check_authority(&c, CERT_TYPE_USER, 2208988800ull, "alice", &w), -1);
	CHECK_STR(w, "Certificate invalid: expired");
	CHECK_EQ_INT(cert_check_authority(&c, CERT_TYPE_HOST, T2025, NULL, &w), -1);
	cert_free(&c);
	CHECK_EQ_INT(parse_b64(NOPRINC_CERT, &c, why, sizeof why), 0);
	CHECK_EQ_INT(cert_check_authority(&c, CERT_TYPE_USER, T2025, NULL, &w), -1);
	CHECK_STR(w, "Certificate lacks principal list");
	cert_free(&c);
}

TEST(cert_options)
{
	struct cert c;
	struct authkeys_opts o;
	char why[128];
	const char *w = NULL;
	CHECK_EQ_INT(parse_b64(ED_CERT, &c, why, sizeof why), 0);
	CHECK_EQ_INT(certauth_cert_opts(&c, &o, &w), 0);
	CHECK_STR(o.command, "/bin/true");
	CHECK_EQ_INT(o.no_pty, 1);
	CHECK_EQ_INT(o.no_port_forwarding, 0);
	CHECK_EQ_INT(o.no_user_rc, 0);
	authkeys_opts_free(&o);
	CHECK_EQ_INT(certauth_source_ok(c.source_address, "127.0.0.1"), 1);
	CHECK_EQ_INT(certauth_source_ok(c.source_address, "10.9.8.7"), 1);
	CHECK_EQ_INT(certauth_source_ok(c.source_address, "192.168.1.1"), 0);
	CHECK_EQ_INT(certauth_source_ok("*", "1.2.3.4"), -1);
	CHECK_EQ_INT(certauth_source_ok("10.0.0.0/99", "1.2.3.4"), -1);
	CHECK_EQ_INT(certauth_source_ok("!10.0.0.0/8", "1.2.3.4"), -1);
	CHECK_EQ_INT(certauth_source_ok("10.0.0.0/8,", "1.2.3.4"), -1);
	cert_free(&c);
	CHECK_EQ_INT(parse_b64(CRIT_CERT, &c, why, sizeof why), 0);
	CHECK_STR(c.unknown_critical, "foo@example.com");
	CHECK_EQ_INT(certauth_cert_opts(&c, &o, &w), -1);
	cert_free(&c);
	CHECK_EQ_INT(parse_b64(CLEAR_CERT, &c, why, sizeof why), 0);
	CHECK_EQ_INT(certauth_cert_opts(&c, &o, &w), 0);
	CHECK(o.no_pty && o.no_agent_forwarding && o.no_x11_forwarding && o.no_user_rc &&
	      !o.no_port_forwarding);
	/* merge: permissions need both; force-commands must agree */
	struct authkeys_opts line, out;
	authkeys_opts_init(&line);
	line.no_port_forwarding = 1;
	line.command = strdup("/bin/true");
	CHECK_EQ_INT(certauth_merge(&line, &o, &out, &w), 0);
	CHECK(out.no_port_forwarding && out.no_pty);
	CHECK_STR(out.command, "/bin/true");
	authkeys_opts_free(&out);
	o.command = strdup("/bin/false");
	authkeys_opts_init(&line);
	line.command = strdup("/bin/true");
	CHECK_EQ_INT(certauth_merge(&line, &o, &out, &w), -1);
	CHECK_STR(w, "Forced command options do not match");
	authkeys_opts_free(&o);
	cert_free(&c);
}

/* The CPU a certificate adds to a login: parsing it and checking the CA
 * signature (the user's own signature is checked as for a plain key). */
TEST(parse_cost)
{
	const char *names[] = {"ed25519 key, ed25519 CA", "p384 key, RSA-2048 CA", "RSA key, p256 CA"};
	const char *certs[] = {ED_CERT, EC_RSA_CERT, HOST_CERT};
	for (size_t i = 0; i < 3; i++) {
		size_t n = 0;
		uint8_t *b = decode(certs[i], &n);
		char why[128];
		struct cert c;
		struct timespec t0, t1;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
		for (int j = 0; j < 200; j++) {
			CHECK_EQ_INT(cert_parse(b, n, &c, why, sizeof why), 0);
			cert_free(&c);
		}
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
		double us =
		    ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 200 / 1e3;
		printf("  cert_parse (%s): %.0f us CPU\n", names[i], us);
		/* the budget (0.5 ms over a plain key) holds for ed25519 CAs; an
		 * ECDSA or RSA CA costs one signature check of that algorithm */
		CHECK(i != 0 || us < 500.0);
		free(b);
	}
}

static struct sshd_config cfg;
static char dir[64];
/* AuthorizedPrincipalsCommand for check_user (NULL: none); no user is set,
 * so it is always refused before running (it runs in test_certs.sh). */
static const char *principals_cmd;
static const struct keycmd_tokens cmd_tokens = {.user = "carol", .uid = 1003, .home = "/home/carol"};

static void put(const char *name, const char *text)
{
	char p[128];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	chmod(p, 0644);
}

/* certauth_check for user with the given files (NULL = absent). */
static int check_user(const char *cert_b64, const char *user, const char *trusted, const char *principals,
		      const char *authkeys, const char *addr, struct authkeys_opts *o)
{
	struct cert c;
	char why[128], via[256], path[2][128];
	struct certauth_policy pol = {
	    .now = T2025, .principals_command = principals_cmd, .tokens = &cmd_tokens};
	if (parse_b64(cert_b64, &c, why, sizeof why) != 0)
		return -9;
	snprintf(path[0], sizeof path[0], "%s/trusted", dir);
	snprintf(path[1], sizeof path[1], "%s/principals_%%u", dir);
	unlink(path[0]);
	if (trusted) {
		put("trusted", trusted);
		pol.trusted_ca_keys = path[0];
	}
	if (principals) {
		char n[64];
		snprintf(n, sizeof n, "principals_%s", user);
		put(n, principals);
		pol.principals_file = path[1];
	}
	put("authorized_keys", authkeys ? authkeys : "");
	int r = certauth_check(&cfg, &pol, user, getuid(), getgid(), dir, &c, addr, o, via, sizeof via);
	cert_free(&c);
	return r;
}

TEST(certauth_trusted_ca)
{
	struct authkeys_opts o;
	char ca[256], caec[512];
	snprintf(ca, sizeof ca, "ssh-ed25519 %s\n", CA_PUB);
	snprintf(caec, sizeof caec, "ecdsa-sha2-nistp256 %s\n", CAEC_PUB);
	/* ED_CERT: alice and bob, source 127.0.0.1 */
	CHECK_EQ_INT(check_user(ED_CERT, "alice", ca, NULL, NULL, "127.0.0.1", &o), 1);
	CHECK_STR(o.command, "/bin/true");
	CHECK_EQ_INT(o.no_pty, 1);
	authkeys_opts_free(&o);
	CHECK_EQ_INT(check_user(ED_CERT, "carol", ca, NULL, NULL, "127.0.0.1", &o), 0); /* not a principal */
	CHECK_EQ_INT(check_user(ED_CERT, "alice", ca, NULL, NULL, "192.0.2.1", &o), 0); /* source-address */
	CHECK_EQ_INT(check_user(ED_CERT, "alice", caec, NULL, NULL, "127.0.0.1", &o), 0); /* other CA */
	CHECK_EQ_INT(check_user(NOPRINC_CERT, "alice", ca, NULL, NULL, "127.0.0.1", &o), 0);
	CHECK_EQ_INT(check_user(CRIT_CERT, "alice", ca, NULL, NULL, "127.0.0.1", &o), 0);
	/* AuthorizedPrincipalsFile: principal names replace the user name */
	CHECK_EQ_INT(check_user(ED_CERT, "carol", ca, "# comment\nbob\n", NULL, "127.0.0.1", &o), 1);
	authkeys_opts_free(&o);
	CHECK_EQ_INT(check_user(ED_CERT, "alice", ca, "carol\n", NULL, "127.0.0.1", &o), 0);
	CHECK_EQ_INT(check_user(ED_CERT, "carol", ca, "from=\"10.0.0.0/8\" bob\n", NULL, "127.0.0.1", &o), 0);
	CHECK_EQ_INT(check_user(ED_CERT, "carol", ca, "from=\"127.0.0.1\" bob\n", NULL, "127.0.0.1", &o), 1);
	authkeys_opts_free(&o);
	CHECK_EQ_INT(check_user(ED_CERT, "carol", ca, "command=\"/bin/false\" bob\n", NULL, "127.0.0.1", &o),
		     0);
	CHECK_EQ_INT(check_user(ED_CERT, "carol", ca, "cert-authority bob\n", NULL, "127.0.0.1", &o), 0);
	/* AuthorizedPrincipalsCommand: like a principals file, the user name is
	 * no longer enough; a matching file line admits without running it */
	principals_cmd = "/bin/echo bob";
	CHECK_EQ_INT(check_user(ED_CERT, "alice", ca, NULL, NULL, "127.0.0.1", &o), 0);
	CHECK_EQ_INT(check_user(ED_CERT, "carol", ca, "bob\n", NULL, "127.0.0.1", &o), 1);
	authkeys_opts_free(&o);
	principals_cmd = NULL;
}

TEST(certauth_cert_authority_lines)
{
	struct authkeys_opts o;
	char line[512];
	snprintf(line, sizeof line, "cert-authority ssh-ed25519 %s\n", CA_PUB);
	CHECK_EQ_INT(check_user(ED_CERT, "alice", NULL, NULL, line, "127.0.0.1", &o), 1);
	CHECK(o.file != NULL && o.line == 1);
	authkeys_opts_free(&o);
	CHECK_EQ_INT(check_user(ED_CERT, "carol", NULL, NULL, line, "127.0.0.1", &o), 0);
	CHECK_EQ_INT(check_user(CLEAR_CERT, "alice", NULL, NULL, line, "127.0.0.1", &o), 1);
	CHECK(o.no_pty && !o.no_port_forwarding);
	authkeys_opts_free(&o);
	/* the CA's plain key without cert-authority does not admit certificates */
	snprintf(line, sizeof line, "ssh-ed25519 %s\n", CA_PUB);
	CHECK_EQ_INT(check_user(ED_CERT, "alice", NULL, NULL, line, "127.0.0.1", &o), 0);
	/* principals= replaces the user name; a failing line lets the next one try */
	snprintf(line, sizeof line, "cert-authority,principals=\"x,bob\" ssh-ed25519 %s\n", CA_PUB);
	CHECK_EQ_INT(check_user(ED_CERT, "carol", NULL, NULL, line, "127.0.0.1", &o), 1);
	authkeys_opts_free(&o);
	snprintf(line, sizeof line,
		 "cert-authority,principals=\"x\" ssh-ed25519 %s\ncert-authority,no-port-forwarding "
		 "ssh-ed25519 %s\n",
		 CA_PUB, CA_PUB);
	CHECK_EQ_INT(check_user(CLEAR_CERT, "alice", NULL, NULL, line, "127.0.0.1", &o), 1);
	CHECK_EQ_INT(o.line, 2);
	CHECK(o.no_port_forwarding);
	authkeys_opts_free(&o);
	snprintf(line, sizeof line, "cert-authority,from=\"10.0.0.1\" ssh-ed25519 %s\n", CA_PUB);
	CHECK_EQ_INT(check_user(ED_CERT, "alice", NULL, NULL, line, "127.0.0.1", &o), 0);
	/* a trusted CA that refuses: authorized_keys is still tried (OpenSSH) */
	snprintf(line, sizeof line, "cert-authority,principals=\"bob\" ssh-ed25519 %s\n", CA_PUB);
	char ca[256];
	snprintf(ca, sizeof ca, "ssh-ed25519 %s\n", CA_PUB);
	CHECK_EQ_INT(check_user(ED_CERT, "carol", ca, NULL, line, "127.0.0.1", &o), 1);
	authkeys_opts_free(&o);
}

/* AuthorizedKeysCommand output: cert-authority lines decide as in a file. */
TEST(certauth_command_output)
{
	struct authkeys_opts o;
	struct cert c;
	char why[128], text[1024];
	CHECK_EQ_INT(parse_b64(ED_CERT, &c, why, sizeof why), 0);
	snprintf(text, sizeof text,
		 "# from a command\ncert-authority,principals=\"x\" ssh-ed25519 %s\n"
		 "cert-authority,no-port-forwarding ssh-ed25519 %s\n",
		 CA_PUB, CA_PUB);
	CHECK_EQ_INT(
	    certauth_check_text(&cfg, "cmd", text, strlen(text), "alice", &c, "127.0.0.1", T2025, &o), 1);
	CHECK_EQ_INT(o.line, 3);
	CHECK(o.no_port_forwarding);
	authkeys_opts_free(&o);
	CHECK_EQ_INT(
	    certauth_check_text(&cfg, "cmd", text, strlen(text), "carol", &c, "127.0.0.1", T2025, &o), 0);
	/* the CA as a plain key line, or another CA: no */
	snprintf(text, sizeof text, "ssh-ed25519 %s\ncert-authority ecdsa-sha2-nistp256 %s\n", CA_PUB,
		 CAEC_PUB);
	CHECK_EQ_INT(
	    certauth_check_text(&cfg, "cmd", text, strlen(text), "alice", &c, "127.0.0.1", T2025, &o), 0);
	/* outside the validity window */
	snprintf(text, sizeof text, "cert-authority ssh-ed25519 %s\n", CA_PUB);
	CHECK_EQ_INT(certauth_check_text(&cfg, "cmd", text, strlen(text), "alice", &c, "127.0.0.1", 1, &o),
		     0);
	cert_free(&c);
}

int main(void)
{
	log_init("test", LOG_ERROR, LOG_TO_STDERR);
	char err[256];
	sshd_config_init(&cfg);
	/* the temp dir is not a home directory: no StrictModes walk */
	if (sshd_config_option(&cfg, "AuthorizedKeysFile authorized_keys", 1, err, sizeof err) < 0 ||
	    sshd_config_option(&cfg, "StrictModes no", 2, err, sizeof err) < 0 ||
	    sshd_config_finalize(&cfg, err, sizeof err) < 0)
		return 1;
	snprintf(dir, sizeof dir, "/tmp/sshbox_cert_XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	chmod(dir, 0755);
	RUN(parse_ed25519_user_cert);
	RUN(parse_ecdsa_rsa_host);
	RUN(refused_certificates);
	RUN(check_authority);
	RUN(cert_options);
	RUN(certauth_trusted_ca);
	RUN(certauth_cert_authority_lines);
	RUN(certauth_command_output);
	RUN(parse_cost);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	sshd_config_free(&cfg);
	return t_done();
}
