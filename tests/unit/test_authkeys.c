#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

#include "authkeys.h"
#include "log.h"
#include "t.h"

#define ED_B64 "AAAAC3NzaC1lZDI1NTE5AAAAINf5LyoRCi+l9qtxRqnwX/joI/mqDzKiEePJIvvdkEVH"
#define EC_B64                                                                                                 \
	"AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBDRxZf9Nc3og/JDfONGqmYvlVrvncuZ1ReNNlasHF1H5f3eRaKFwhutK2vOiJ2g83I/M+7AgtWuBy+Vn8clP7mw="
#define ED_LINE "ssh-ed25519 " ED_B64 " alice@test"
#define EC_LINE "ecdsa-sha2-nistp256 " EC_B64 " ec"

static const uint8_t ed_blob[51] = {
	0x00, 0x00, 0x00, 0x0b, 0x73, 0x73, 0x68, 0x2d, 0x65, 0x64, 0x32, 0x35, 0x35, 0x31, 0x39, 0x00, 0x00,
	0x00, 0x20, 0xd7, 0xf9, 0x2f, 0x2a, 0x11, 0x0a, 0x2f, 0xa5, 0xf6, 0xab, 0x71, 0x46, 0xa9, 0xf0, 0x5f,
	0xf8, 0xe8, 0x23, 0xf9, 0xaa, 0x0f, 0x32, 0xa2, 0x11, 0xe3, 0xc9, 0x22, 0xfb, 0xdd, 0x90, 0x45, 0x47,
};
static uint8_t ec_blob[104];

static struct sshd_config cfg;
static char home[64];
static char akpath[256];

static void write_keys(const char *content, mode_t mode)
{
	FILE *f = fopen(akpath, "w");
	if (!f)
		return;
	fputs(content, f);
	fclose(f);
	chmod(akpath, mode);
}

/* Checks the ed25519 blob against content; returns the result and keeps opts. */
static int check_ed(const char *content, const char *host, const char *addr, struct authkeys_opts *o)
{
	write_keys(content, 0600);
	return authkeys_check_file(akpath, &cfg, getuid(), home, ed_blob, sizeof ed_blob, host, addr, 1, 0, o);
}

TEST(base64)
{
	uint8_t out[128];
	CHECK_EQ_INT(authkeys_b64_decode(ED_B64, strlen(ED_B64), out, sizeof out), 51);
	CHECK(memcmp(out, ed_blob, 51) == 0);
	CHECK_EQ_INT(authkeys_b64_decode(EC_B64, strlen(EC_B64), ec_blob, sizeof ec_blob), 104);
	CHECK_EQ_INT(authkeys_b64_decode("Zm9v", 4, out, sizeof out), 3);
	CHECK_EQ_INT(authkeys_b64_decode("Zm8=", 4, out, sizeof out), 2);
	CHECK_EQ_INT(authkeys_b64_decode("Zg==", 4, out, sizeof out), 1);
	CHECK_EQ_INT(authkeys_b64_decode("Zg=a", 4, out, sizeof out), -1);
	CHECK_EQ_INT(authkeys_b64_decode("Z===", 4, out, sizeof out), -1);
	CHECK_EQ_INT(authkeys_b64_decode("Zm9", 3, out, sizeof out), -1);
	CHECK_EQ_INT(authkeys_b64_decode("Zm9!", 4, out, sizeof out), -1);
	CHECK_EQ_INT(authkeys_b64_decode("Zg==Zm9v", 8, out, sizeof out), -1);
	CHECK_EQ_INT(authkeys_b64_decode("Zm9vZm9v", 8, out, 5), -1);
}

TEST(plain_match)
{
	struct authkeys_opts o;
	CHECK_EQ_INT(check_ed("# comment\n\n" EC_LINE "\n" ED_LINE "\n", "h", "10.0.0.1", &o), 1);
	CHECK_EQ_INT(o.line, 4);
	CHECK_STR(o.comment, "alice@test");
	CHECK(o.command == NULL);
	CHECK_EQ_INT(o.no_pty, 0);
	authkeys_opts_free(&o);
	/* not present */
	CHECK_EQ_INT(check_ed(EC_LINE "\n", "h", "10.0.0.1", &o), 0);
	authkeys_opts_free(&o);
	/* the ecdsa blob matches its own line */
	write_keys(ED_LINE "\n" EC_LINE, 0600);
	CHECK_EQ_INT(authkeys_check_file(akpath, &cfg, getuid(), home, ec_blob, sizeof ec_blob, "h", "1.2.3.4", 1, 0, &o),
		     1);
	CHECK_EQ_INT(o.line, 2);
	authkeys_opts_free(&o);
	/* missing file: not authorized, no error */
	CHECK_EQ_INT(authkeys_check_file("/nonexistent/ak", &cfg, getuid(), home, ed_blob, sizeof ed_blob, "h", "1.2.3.4",
					 1, 0, &o),
		     0);
	authkeys_opts_free(&o);
}

TEST(options)
{
	struct authkeys_opts o;
	CHECK_EQ_INT(check_ed("command=\"echo \\\"hi there\\\"\",no-pty,no-port-forwarding,permitopen=\"localhost:80\","
			      "permitopen=\"[::1]:443\",permitlisten=\"8080\",no-touch-required " ED_LINE "\n",
			      "h", "10.0.0.1", &o),
		     1);
	CHECK_STR(o.command, "echo \"hi there\"");
	CHECK_EQ_INT(o.no_pty, 1);
	CHECK_EQ_INT(o.no_port_forwarding, 1);
	CHECK_EQ_INT(o.no_agent_forwarding, 0);
	CHECK_EQ_INT(o.permitopen.n, 2);
	CHECK_STR(o.permitopen.v[1], "[::1]:443");
	CHECK_EQ_INT(o.permitlisten.n, 1);
	CHECK_EQ_INT(o.no_touch_required, 1);
	authkeys_opts_free(&o);

	CHECK_EQ_INT(check_ed("restrict,pty " ED_LINE "\n", "h", "10.0.0.1", &o), 1);
	CHECK_EQ_INT(o.no_pty, 0);
	CHECK_EQ_INT(o.no_port_forwarding, 1);
	CHECK_EQ_INT(o.no_agent_forwarding, 1);
	CHECK_EQ_INT(o.no_x11_forwarding, 1);
	CHECK_EQ_INT(o.no_user_rc, 1);
	authkeys_opts_free(&o);

	/* environment only with PermitUserEnvironment */
	CHECK_EQ_INT(check_ed("environment=\"FOO=bar baz\" " ED_LINE "\n", "h", "1.1.1.1", &o), 1);
	CHECK_EQ_INT(o.env.n, 0);
	authkeys_opts_free(&o);
	cfg.permit_user_environment = PERMIT_USER_ENV_PATTERN;
	cfg.permit_user_environment_patterns = strdup("FOO,LANG");
	CHECK_EQ_INT(check_ed("environment=\"FOO=bar baz\",environment=\"EVIL=1\" " ED_LINE "\n", "h", "1.1.1.1", &o), 1);
	CHECK_EQ_INT(o.env.n, 1);
	CHECK_STR(o.env.v[0], "FOO=bar baz");
	authkeys_opts_free(&o);
	free(cfg.permit_user_environment_patterns);
	cfg.permit_user_environment_patterns = NULL;
	cfg.permit_user_environment = PERMIT_USER_ENV_NO;
}

TEST(bad_lines_skipped)
{
	struct authkeys_opts o;
	/* every bad line is skipped, the good line at the end still matches */
	const char *content = "no-pty\n"                                  /* options, no key */
			      "ssh-ed25519\n"                             /* key type, no data */
			      "ssh-ed25519 !!!!garbage!!!!\n"              /* bad base64 */
			      "ssh-ed25519 " EC_B64 "\n"                  /* type mismatch */
			      "bogus-option " ED_LINE "\n"                /* unknown option */
			      "command=\"unterminated " ED_LINE "\n"      /* unterminated quote */
			      "no-pty, " ED_LINE "\n"                     /* option syntax */
			      "ssh-ed25519 no-pty " ED_B64 "\n"          /* options in the wrong place */
			      "command=\"a\",command=\"b\" " ED_LINE "\n" /* duplicate command */
			      "cert-authority " ED_LINE "\n"              /* a CA line: never the plain key */
			      "principals=\"me\" " ED_LINE "\n"          /* principals= without cert-authority */
			      "expiry-time=\"2020\" " ED_LINE "\n"        /* bad time */
			      "permitopen=\"nohostport\" " ED_LINE "\n"   /* bad permitopen */
			      "ssh-dss AAAAB3NzaC1kc3MAAACBAP\n"          /* unsupported type, bad data */
			      "\x01\x02\x03\xff\xfe\n"
			      "command=\"good\" " ED_LINE "\n";
	CHECK_EQ_INT(check_ed(content, "h", "1.1.1.1", &o), 1);
	CHECK_STR(o.command, "good");
	CHECK_EQ_INT(o.line, 16);
	authkeys_opts_free(&o);
	/* options after the key are part of the comment (as in OpenSSH) */
	CHECK_EQ_INT(check_ed(ED_B64 "\n" ED_LINE ",no-pty\n", "h", "1.1.1.1", &o), 1);
	CHECK_EQ_INT(o.no_pty, 0);
	CHECK_STR(o.comment, "alice@test,no-pty");
	authkeys_opts_free(&o);
	/* options between type and key data */
	CHECK_EQ_INT(check_ed("ssh-ed25519 no-pty " ED_B64 "\n", "h", "1.1.1.1", &o), 0);
	authkeys_opts_free(&o);
}

TEST(from_option)
{
	struct authkeys_opts o;
	CHECK_EQ_INT(check_ed("from=\"10.0.0.0/8,!10.9.0.0/16\" " ED_LINE "\n", "h", "10.1.2.3", &o), 1);
	authkeys_opts_free(&o);
	CHECK_EQ_INT(check_ed("from=\"10.0.0.0/8,!10.9.0.0/16\" " ED_LINE "\n", "h", "10.9.2.3", &o), 0);
	authkeys_opts_free(&o);
	CHECK_EQ_INT(check_ed("from=\"10.0.0.0/8\" " ED_LINE "\n", "h", "192.168.1.1", &o), 0);
	authkeys_opts_free(&o);
	CHECK_EQ_INT(check_ed("from=\"*.example.com\" " ED_LINE "\n", "WS1.Example.COM", "192.168.1.1", &o), 1);
	authkeys_opts_free(&o);
	CHECK_EQ_INT(check_ed("from=\"192.168.1.?\" " ED_LINE "\n", "x", "192.168.1.7", &o), 1);
	authkeys_opts_free(&o);
	CHECK_EQ_INT(check_ed("from=\"10.0.0.0/99\" " ED_LINE "\n", "x", "10.0.0.1", &o), 0);
	authkeys_opts_free(&o);
	/* a refused line does not hide a later acceptable one */
	CHECK_EQ_INT(check_ed("from=\"10.0.0.0/8\" " ED_LINE "\nno-pty " ED_LINE "\n", "x", "192.168.1.1", &o), 1);
	CHECK_EQ_INT(o.no_pty, 1);
	authkeys_opts_free(&o);
}

TEST(expiry)
{
	struct authkeys_opts o;
	CHECK_EQ_INT(check_ed("expiry-time=\"20200101\" " ED_LINE "\n", "h", "1.1.1.1", &o), 0);
	authkeys_opts_free(&o);
	CHECK_EQ_INT(check_ed("expiry-time=\"29991231235959Z\" " ED_LINE "\n", "h", "1.1.1.1", &o), 1);
	CHECK(o.expiry > time(NULL));
	authkeys_opts_free(&o);
	/* exact boundary: expired at now */
	write_keys("expiry-time=\"203001010000Z\" " ED_LINE "\n", 0600);
	CHECK_EQ_INT(authkeys_check_file(akpath, &cfg, getuid(), home, ed_blob, sizeof ed_blob, "h", "1.1.1.1", 1,
					 (time_t)1893456000 /* 2030-01-01Z */, &o),
		     0);
	authkeys_opts_free(&o);
	CHECK_EQ_INT(authkeys_check_file(akpath, &cfg, getuid(), home, ed_blob, sizeof ed_blob, "h", "1.1.1.1", 1,
					 (time_t)1893455999, &o),
		     1);
	authkeys_opts_free(&o);
}

TEST(strict_modes)
{
	struct authkeys_opts o;
	char dotssh[128], why[512];
	snprintf(dotssh, sizeof dotssh, "%s/.ssh", home);
	write_keys(ED_LINE "\n", 0644);
	CHECK_EQ_INT(authkeys_secure_path(akpath, getuid(), home, why, sizeof why), 0);
	/* group-writable file */
	chmod(akpath, 0664);
	CHECK_EQ_INT(authkeys_secure_path(akpath, getuid(), home, why, sizeof why), -1);
	CHECK(strstr(why, "bad ownership or modes for file") != NULL);
	CHECK_EQ_INT(authkeys_check_file(akpath, &cfg, getuid(), home, ed_blob, sizeof ed_blob, "h", "1.1.1.1", 1, 0, &o),
		     0);
	authkeys_opts_free(&o);
	/* StrictModes no accepts it */
	CHECK_EQ_INT(authkeys_check_file(akpath, &cfg, getuid(), home, ed_blob, sizeof ed_blob, "h", "1.1.1.1", 0, 0, &o),
		     1);
	authkeys_opts_free(&o);
	chmod(akpath, 0600);
	/* world-writable .ssh */
	chmod(dotssh, 0777);
	CHECK_EQ_INT(authkeys_secure_path(akpath, getuid(), home, why, sizeof why), -1);
	CHECK(strstr(why, "bad ownership or modes for directory") != NULL && strstr(why, ".ssh") != NULL);
	chmod(dotssh, 0700);
	/* group-writable home */
	chmod(home, 0775);
	CHECK_EQ_INT(authkeys_secure_path(akpath, getuid(), home, why, sizeof why), -1);
	chmod(home, 0755);
	CHECK_EQ_INT(authkeys_secure_path(akpath, getuid(), home, why, sizeof why), 0);
	/* owned by someone else (only testable as root) */
	if (getuid() == 0) {
		CHECK_EQ_INT(chown(akpath, 12345, 12345), 0);
		CHECK_EQ_INT(authkeys_secure_path(akpath, 1000, home, why, sizeof why), -1);
		CHECK_EQ_INT(chown(akpath, 0, 0), 0);
	} else {
		SKIP_PART("authorized_keys owned by another user (needs root to chown)");
	}
	/* outside home: the walk goes up to / and meets /tmp (1777) */
	char outside[128];
	snprintf(outside, sizeof outside, "%s/../sshbox_ak_outside", home);
	FILE *f = fopen(outside, "w");
	if (f) {
		fputs(ED_LINE "\n", f);
		fclose(f);
		chmod(outside, 0600);
		struct stat st;
		if (stat("/tmp", &st) == 0 && (st.st_mode & 022))
			CHECK_EQ_INT(authkeys_secure_path(outside, getuid(), home, why, sizeof why), -1);
		else
			SKIP_PART("file outside home under a group/world-writable /tmp (this /tmp is not)");
		unlink(outside);
	} else {
		SKIP_PART("file outside home (cannot create one beside the test home)");
	}
	/* a directory, not a file */
	CHECK_EQ_INT(authkeys_check_file(dotssh, &cfg, getuid(), home, ed_blob, sizeof ed_blob, "h", "1.1.1.1", 0, 0, &o), 0);
	authkeys_opts_free(&o);
}

TEST(user_level_check)
{
	struct authkeys_opts o;
	write_keys(ED_LINE "\n", 0600);
	/* %h expansion and the relative default */
	CHECK_EQ_INT(authkeys_check(&cfg, "me", getuid(), getgid(), home, ed_blob, sizeof ed_blob, "h", "1.1.1.1", &o), 1);
	CHECK(o.file && strstr(o.file, "/.ssh/authorized_keys") != NULL);
	authkeys_opts_free(&o);
	CHECK_EQ_INT(authkeys_check(&cfg, "me", getuid(), getgid(), home, ec_blob, sizeof ec_blob, "h", "1.1.1.1", &o), 0);
	authkeys_opts_free(&o);
	/* as root for another user: the file is read with that user's rights */
	struct passwd *pw = getpwnam("nobody");
	if (getuid() == 0 && pw && pw->pw_uid != 0) {
		char dotssh[128];
		snprintf(dotssh, sizeof dotssh, "%s/.ssh", home);
		/* root-owned 0700 .ssh: nobody cannot read it -> not authorized */
		CHECK_EQ_INT(authkeys_check(&cfg, "nobody", pw->pw_uid, pw->pw_gid, home, ed_blob, sizeof ed_blob, "h",
					    "1.1.1.1", &o),
			     0);
		authkeys_opts_free(&o);
		CHECK(geteuid() == 0 && getegid() == 0); /* privileges restored */
		CHECK_EQ_INT(chown(dotssh, pw->pw_uid, pw->pw_gid), 0);
		CHECK_EQ_INT(chown(akpath, pw->pw_uid, pw->pw_gid), 0);
		CHECK_EQ_INT(authkeys_check(&cfg, "nobody", pw->pw_uid, pw->pw_gid, home, ed_blob, sizeof ed_blob, "h",
					    "1.1.1.1", &o),
			     1);
		authkeys_opts_free(&o);
		CHECK(geteuid() == 0 && getegid() == 0);
		/* owned by another non-root user: StrictModes refuses */
		CHECK_EQ_INT(chown(akpath, pw->pw_uid + 1, pw->pw_gid), 0);
		chmod(akpath, 0644);
		CHECK_EQ_INT(authkeys_check(&cfg, "nobody", pw->pw_uid, pw->pw_gid, home, ed_blob, sizeof ed_blob, "h",
					    "1.1.1.1", &o),
			     0);
		authkeys_opts_free(&o);
		CHECK_EQ_INT(chown(dotssh, 0, 0), 0);
		CHECK_EQ_INT(chown(akpath, 0, 0), 0);
		chmod(akpath, 0600);
	} else {
		SKIP_PART("root reading authorized_keys as another user (needs root and a 'nobody' user)");
	}
	/* AuthorizedKeysFile none */
	struct sshd_config c2;
	char err[256];
	sshd_config_init(&c2);
	CHECK_EQ_INT(sshd_config_load_string(&c2, "t", "AuthorizedKeysFile none\n", err, sizeof err), 0);
	CHECK_EQ_INT(sshd_config_finalize(&c2, err, sizeof err), 0);
	CHECK_EQ_INT(authkeys_check(&c2, "me", getuid(), getgid(), home, ed_blob, sizeof ed_blob, "h", "1.1.1.1", &o), 0);
	authkeys_opts_free(&o);
	sshd_config_free(&c2);
}

TEST(hostile_file)
{
	struct authkeys_opts o;
	/* a very long line followed by the key; NUL bytes in a line */
	size_t n = AUTHKEYS_MAX_LINE * 3;
	char *big = malloc(n + 256);
	CHECK(big != NULL);
	if (!big)
		return;
	memset(big, 'A', n);
	big[n] = '\n';
	strcpy(big + n + 1, ED_LINE "\n");
	CHECK_EQ_INT(check_ed(big, "h", "1.1.1.1", &o), 1);
	CHECK_EQ_INT(o.line, 2);
	authkeys_opts_free(&o);
	/* many options and a huge quoted value */
	char *p = big;
	p += sprintf(p, "command=\"");
	memset(p, 'x', AUTHKEYS_MAX_LINE - 200);
	p += AUTHKEYS_MAX_LINE - 200;
	sprintf(p, "\" %s\n", ED_LINE);
	CHECK_EQ_INT(check_ed(big, "h", "1.1.1.1", &o), 1);
	authkeys_opts_free(&o);
	free(big);
	FILE *f = fopen(akpath, "w");
	if (f) {
		fwrite("no-pty \0" ED_LINE "\n", 1, sizeof("no-pty \0" ED_LINE "\n") - 1, f);
		fputs("from=\"1.1.1.1\" " ED_LINE "\n", f);
		fclose(f);
		CHECK_EQ_INT(authkeys_check_file(akpath, &cfg, getuid(), home, ed_blob, sizeof ed_blob, "h", "1.1.1.1", 1, 0,
						 &o),
			     1);
		CHECK_EQ_INT(o.line, 2);
		authkeys_opts_free(&o);
	}
	/* random garbage lines never crash */
	unsigned seed = 7;
	char g[512];
	for (int round = 0; round < 300; round++) {
		for (size_t i = 0; i < sizeof g - 1; i++) {
			seed = seed * 1103515245u + 12345u;
			g[i] = "ssh-ed25519 AAAAC3=\",!no-pty from command\\ \n"[(seed >> 16) % 44];
		}
		g[sizeof g - 1] = '\0';
		struct authkeys_opts o2;
		authkeys_opts_init(&o2);
		char *kt, *from;
		uint8_t *kb;
		size_t kbl;
		char why[128];
		if (authkeys_parse_line(g, &cfg, &o2, &kt, &kb, &kbl, &from, why, sizeof why) == 0) {
			free(kt);
			free(kb);
			free(from);
		}
		authkeys_opts_free(&o2);
	}
}

int main(void)
{
	log_init("test", LOG_ERROR, LOG_TO_STDERR);
	char err[256];
	sshd_config_init(&cfg);
	if (sshd_config_finalize(&cfg, err, sizeof err) < 0)
		return 1;
	snprintf(home, sizeof home, "/tmp/sshbox_ak_XXXXXX");
	if (!mkdtemp(home))
		return 1;
	chmod(home, 0755);
	char dotssh[128];
	snprintf(dotssh, sizeof dotssh, "%s/.ssh", home);
	mkdir(dotssh, 0700);
	snprintf(akpath, sizeof akpath, "%s/authorized_keys", dotssh);
	RUN(base64);
	RUN(plain_match);
	RUN(options);
	RUN(bad_lines_skipped);
	RUN(from_option);
	RUN(expiry);
	RUN(strict_modes);
	RUN(user_level_check);
	RUN(hostile_file);
	unlink(akpath);
	rmdir(dotssh);
	rmdir(home);
	sshd_config_free(&cfg);
	return t_done();
}
