#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sshd_config.h"
#include "t.h"

static char err[512];

/* Loads text as "cfg", finalizes; returns rc of the first failing step. */
static int load(struct sshd_config *c, const char *text)
{
	sshd_config_init(c);
	err[0] = '\0';
	if (sshd_config_load_string(c, "cfg", text, err, sizeof err) < 0)
		return -1;
	return sshd_config_finalize(c, err, sizeof err);
}

static char *dump(const struct sshd_config *c)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);
	if (!f)
		return NULL;
	sshd_config_dump(c, f);
	fclose(f);
	return p;
}

static int has_line(const char *text, const char *line)
{
	size_t l = strlen(line);
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n == l && memcmp(p, line, l) == 0)
			return 1;
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

TEST(defaults)
{
	struct sshd_config c;
	CHECK_EQ_INT(load(&c, ""), 0);
	CHECK_EQ_INT(c.n_ports, 1);
	CHECK_EQ_INT(c.ports[0], 22);
	CHECK_EQ_INT(c.n_listen, 1);
	CHECK(c.listen[0].host == NULL);
	CHECK_EQ_INT(c.permit_root_login, PERMIT_ROOT_PROHIBIT_PASSWORD);
	CHECK_EQ_INT(c.pubkey_authentication, 1);
	CHECK_EQ_INT(c.password_authentication, 1);
	CHECK_EQ_INT(c.permit_empty_passwords, 0);
	CHECK_EQ_INT(c.max_auth_tries, 6);
	CHECK_EQ_INT(c.max_sessions, 10);
	CHECK_EQ_INT(c.login_grace_time, 120);
	CHECK_EQ_INT(c.max_startups.begin, 10);
	CHECK_EQ_INT(c.max_startups.rate, 30);
	CHECK_EQ_INT(c.max_startups.full, 100);
	CHECK_EQ_INT(c.authorized_keys_files.n, 2);
	CHECK_STR(c.authorized_keys_files.v[0], ".ssh/authorized_keys");
	CHECK_STR(c.authorized_keys_files.v[1], ".ssh/authorized_keys2");
	CHECK_EQ_INT(c.accept_env.n, 3);
	CHECK_STR(c.accept_env.v[2], "LC_*");
	CHECK_EQ_INT(c.strict_modes, 1);
	CHECK_EQ_INT(c.permit_user_environment, PERMIT_USER_ENV_NO);
	CHECK_EQ_INT(c.allow_tcp_forwarding, FWD_ALLOW_ALL);
	CHECK_EQ_INT(c.permit_open_any, 1);
	CHECK_EQ_INT(c.x11_forwarding, 0);
	CHECK_EQ_INT(c.compression, COMPRESSION_DELAYED);
	CHECK_EQ_INT(c.debug_service, 1);
	CHECK_STR(c.pam_service_name, "sshbox");
	CHECK_STR(c.kex_algorithms,
		  "mlkem768x25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,"
		  "curve25519-sha256,curve25519-sha256@libssh.org");
	CHECK(c.ciphers && strstr(c.ciphers, "chacha20-poly1305@openssh.com") == c.ciphers);
	CHECK(c.banner == NULL);
	CHECK(c.force_command == NULL);
	CHECK(c.chroot_directory == NULL);
	CHECK(c.data_directory != NULL);
	CHECK_EQ_INT(c.host_keys.n, 1);
	if (c.host_keys.n && c.data_directory) {
		CHECK(strncmp(c.host_keys.v[0], c.data_directory, strlen(c.data_directory)) == 0);
		CHECK(strstr(c.host_keys.v[0], "ssh_host_ed25519_key") != NULL);
	}
	if (geteuid() == 0)
		CHECK_STR(c.data_directory, "/var/lib/sshbox");
	sshd_config_free(&c);
}

TEST(sftp_subsystem_by_default_only_without_subsystem_lines)
{
	struct sshd_config c;
	CHECK_EQ_INT(load(&c, ""), 0);
	CHECK_EQ_INT(c.n_subsystems, 1);
	CHECK_STR(c.subsystems[0].name, "sftp");
	CHECK_STR(c.subsystems[0].command, "internal-sftp");
	CHECK_EQ_INT(c.subsystems[0].internal_sftp, 1);
	sshd_config_free(&c);
	CHECK_EQ_INT(load(&c, "Subsystem backup /usr/bin/backup-server\n"), 0);
	CHECK_EQ_INT(c.n_subsystems, 1);
	CHECK_STR(c.subsystems[0].name, "backup");
	sshd_config_free(&c);
}

TEST(datadir_nonroot_xdg)
{
	if (geteuid() == 0) {
		/* the XDG rule only applies to non-root; check root default instead */
		struct sshd_config c;
		CHECK_EQ_INT(load(&c, ""), 0);
		CHECK_STR(c.data_directory, "/var/lib/sshbox");
		CHECK_STR(c.pid_file, "/run/sshbox.pid");
		sshd_config_free(&c);
		return;
	}
	setenv("XDG_STATE_HOME", "/tmp/xdgstate", 1);
	struct sshd_config c;
	CHECK_EQ_INT(load(&c, ""), 0);
	CHECK_STR(c.data_directory, "/tmp/xdgstate/sshbox");
	sshd_config_free(&c);
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/xx", 1);
	CHECK_EQ_INT(load(&c, ""), 0);
	CHECK_STR(c.data_directory, "/home/xx/.local/state/sshbox");
	sshd_config_free(&c);
}

TEST(syntax_and_first_wins)
{
	struct sshd_config c;
	CHECK_EQ_INT(load(&c, "# comment\n"
			      "  \n"
			      "PORT 2222\n"
			      "Port=2223\n"
			      "MaxAuthTries = 3\n"
			      "maxauthtries 9\n"
			      "PasswordAuthentication no # trailing comment\n"
			      "PasswordAuthentication yes\n"
			      "Banner \"/etc/my banner\"\n"
			      "AcceptEnv FOO\n"
			      "AcceptEnv BAR BAZ_*\n"
			      "AllowUsers alice bob@10.0.0.0/8\r\n"
			      "AllowUsers carol\n"
			      "LoginGraceTime 1m30s\n"
			      "ClientAliveInterval 2h\n"
			      "PermitRootLogin without-password\n"),
		     0);
	CHECK_EQ_INT(c.n_ports, 2);
	CHECK_EQ_INT(c.ports[0], 2222);
	CHECK_EQ_INT(c.ports[1], 2223);
	CHECK_EQ_INT(c.n_listen, 2);
	CHECK_EQ_INT(c.max_auth_tries, 3);
	CHECK_EQ_INT(c.password_authentication, 0);
	CHECK_STR(c.banner, "/etc/my banner");
	CHECK_EQ_INT(c.accept_env.n, 3);
	CHECK_STR(c.accept_env.v[2], "BAZ_*");
	CHECK_EQ_INT(c.allow_users.n, 3);
	CHECK_STR(c.allow_users.v[1], "bob@10.0.0.0/8");
	CHECK_EQ_INT(c.login_grace_time, 90);
	CHECK_EQ_INT(c.client_alive_interval, 7200);
	CHECK_EQ_INT(c.permit_root_login, PERMIT_ROOT_PROHIBIT_PASSWORD);
	sshd_config_free(&c);
}

TEST(errors_with_line_numbers)
{
	struct sshd_config c;
	CHECK(load(&c, "Port 22\n\nFooBar yes\n") < 0);
	CHECK_STR(err, "cfg: line 3: Bad configuration option: FooBar");
	sshd_config_free(&c);
	CHECK(load(&c, "Port 99999\n") < 0);
	CHECK_STR(err, "cfg line 1: Badly formatted port number.");
	sshd_config_free(&c);
	CHECK(load(&c, "#\nPermitRootLogin maybe\n") < 0);
	CHECK_STR(err, "cfg line 2: unsupported option \"maybe\".");
	sshd_config_free(&c);
	CHECK(load(&c, "LoginGraceTime xx\n") < 0);
	CHECK_STR(err, "cfg line 1: invalid time value.");
	sshd_config_free(&c);
	CHECK(load(&c, "MaxAuthTries\n") < 0);
	CHECK_STR(err, "cfg line 1: no argument after keyword \"MaxAuthTries\"");
	sshd_config_free(&c);
	CHECK(load(&c, "MaxAuthTries -1\n") < 0);
	CHECK_STR(err, "cfg line 1: MaxAuthTries integer value too small.");
	sshd_config_free(&c);
	CHECK(load(&c, "MaxSessions 1 2\n") < 0);
	CHECK_STR(err, "cfg line 1: keyword MaxSessions extra arguments at end of line");
	sshd_config_free(&c);
	CHECK(load(&c, "Ciphers foo\n") < 0);
	CHECK_STR(err, "cfg line 1: Bad SSH2 cipher spec 'foo'.");
	sshd_config_free(&c);
	CHECK(load(&c, "Subsystem sftp /a\nSubsystem sftp /b\n") < 0);
	CHECK_STR(err, "cfg line 2: Subsystem 'sftp' already defined.");
	sshd_config_free(&c);
	CHECK(load(&c, "Match User a\nPort 23\n") < 0);
	CHECK_STR(err, "cfg line 2: Directive 'Port' is not allowed within a Match block");
	sshd_config_free(&c);
	CHECK(load(&c, "Match Foo bar\n") < 0);
	CHECK(strncmp(err, "cfg line 1: Bad Match condition", 31) == 0);
	sshd_config_free(&c);
	CHECK(load(&c, "Match Address 1.2.3.4/99\n") < 0);
	sshd_config_free(&c);
	CHECK(load(&c, "Match Address 10.1.2.3/8\n") < 0); /* host bits set */
	sshd_config_free(&c);
	CHECK(load(&c, "Match All User x\n") < 0);
	sshd_config_free(&c);
	CHECK(load(&c, "AcceptEnv A=B\n") < 0);
	CHECK_STR(err, "cfg line 1: Invalid environment name.");
	sshd_config_free(&c);
	CHECK(load(&c, "PermitOpen foo\n") < 0);
	CHECK_STR(err, "cfg line 1: PermitOpen bad port number");
	sshd_config_free(&c);
	CHECK(load(&c, "AuthenticationMethods publickey,gssapi-with-mic\n") < 0);
	CHECK(strstr(err, "unknown or unsupported authentication method") != NULL);
	sshd_config_free(&c);
	CHECK(load(&c, "AuthenticationMethods publickey,\n") < 0);
	sshd_config_free(&c);
	CHECK(load(&c, "AuthorizedPrincipalsFile %x\n") < 0);
	sshd_config_free(&c);
	CHECK_EQ_INT(load(&c, "AuthorizedPrincipalsCommand /bin/p %u %i %s %F\n"
			      "AuthorizedPrincipalsCommandUser nobody\n"),
		     0);
	CHECK_STR(c.authorized_principals_command, "/bin/p %u %i %s %F");
	CHECK_STR(c.authorized_principals_command_user, "nobody");
	sshd_config_free(&c);
	CHECK_EQ_INT(load(&c, "AuthorizedPrincipalsCommand none\n"), 0);
	CHECK(c.authorized_principals_command == NULL);
	sshd_config_free(&c);
	CHECK_EQ_INT(
	    load(&c,
		 "AuthenticationMethods publickey,password publickey,keyboard-interactive\n"
		 "RevokedKeys /etc/revoked\nTrustedUserCAKeys /etc/ca\nAuthorizedKeysCommand /bin/k %u %f\n"),
	    0);
	CHECK_STR(c.authentication_methods, "publickey,password publickey,keyboard-interactive");
	CHECK_STR(c.authorized_keys_command, "/bin/k %u %f");
	CHECK_STR(c.revoked_keys, "/etc/revoked");
	sshd_config_free(&c);
	CHECK_EQ_INT(load(&c, "AuthenticationMethods any\nRevokedKeys none\nGSSAPIAuthentication no\n"), 0);
	sshd_config_free(&c);
	CHECK(load(&c, "ListenAddress [::1\n") < 0);
	CHECK_STR(err, "cfg line 1: bad address:port usage");
	sshd_config_free(&c);
	CHECK(load(&c, "MaxStartups 1:2\n") < 0);
	CHECK_STR(err, "cfg line 1: Invalid MaxStartups spec.");
	sshd_config_free(&c);
	CHECK(load(&c, "PerSourceMaxStartups 0\n") < 0);
	CHECK_STR(err, "cfg line 1: Invalid PerSourceMaxStartups spec.");
	sshd_config_free(&c);
	CHECK(load(&c, "PerSourceNetBlockSize 33\n") < 0);
	CHECK_STR(err, "cfg line 1: Invalid PerSourceNetBlockSize spec.");
	sshd_config_free(&c);
	CHECK(load(&c, "PerSourceNetBlockSize 24:129\n") < 0);
	sshd_config_free(&c);
	CHECK(load(&c, "PerSourceNetBlockSize 24:\n") < 0);
	sshd_config_free(&c);
	CHECK(load(&c, "LogLevel LOUD\n") < 0);
	CHECK_STR(err, "cfg line 1: unsupported log level 'LOUD'");
	sshd_config_free(&c);
}

TEST(hostile_input)
{
	struct sshd_config c;
	/* unterminated quote */
	CHECK(load(&c, "Banner \"/etc/issue\n") < 0);
	CHECK_STR(err, "cfg line 1: invalid quotes");
	sshd_config_free(&c);
	/* escaped quotes inside quotes are fine */
	CHECK_EQ_INT(load(&c, "ForceCommand \"echo \\\"hi\\\"\"\n"), 0);
	CHECK_STR(c.force_command, "echo \"hi\"");
	sshd_config_free(&c);
	/* huge line */
	size_t n = 200000;
	char *big = malloc(n + 32);
	CHECK(big != NULL);
	if (big) {
		memcpy(big, "Banner ", 7);
		memset(big + 7, 'a', n);
		big[7 + n] = '\n';
		big[8 + n] = '\0';
		CHECK(load(&c, big) < 0);
		CHECK_STR(err, "cfg line 1: line too long");
		sshd_config_free(&c);
		/* many arguments */
		char *p = big;
		p += sprintf(p, "AcceptEnv");
		for (int i = 0; i < 1000; i++)
			p += sprintf(p, " a");
		sprintf(p, "\n");
		CHECK(load(&c, big) < 0);
		sshd_config_free(&c);
		free(big);
	}
	/* a keyword alone "=" */
	CHECK(load(&c, "=yes\n") < 0);
	sshd_config_free(&c);
	/* NUL inside a file */
	char path[] = "/tmp/sshbox_cfg_XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd >= 0) {
		static const char bytes[] = "Port 22\nBanner /x\0y\n";
		CHECK(write(fd, bytes, sizeof(bytes) - 1) == (ssize_t)(sizeof(bytes) - 1));
		close(fd);
		sshd_config_init(&c);
		CHECK(sshd_config_load(&c, path, 1, err, sizeof err) < 0);
		CHECK(strstr(err, "line 2: NUL character in line") != NULL);
		sshd_config_free(&c);
		unlink(path);
	}
	/* binary garbage never crashes */
	unsigned seed = 12345;
	for (int round = 0; round < 200; round++) {
		char g[300];
		for (size_t i = 0; i < sizeof(g) - 1; i++) {
			seed = seed * 1103515245u + 12345u;
			char ch = (char)((seed >> 16) & 0x7f);
			g[i] = ch ? ch : ' ';
		}
		g[sizeof(g) - 1] = '\0';
		sshd_config_init(&c);
		(void)sshd_config_load_string(&c, "g", g, err, sizeof err);
		sshd_config_free(&c);
	}
}

TEST(missing_files)
{
	struct sshd_config c;
	sshd_config_init(&c);
	CHECK_EQ_INT(sshd_config_load(&c, "/nonexistent/sshd_config", 0, err, sizeof err), 0);
	CHECK(sshd_config_load(&c, "/nonexistent/sshd_config", 1, err, sizeof err) < 0);
	CHECK_STR(err, "/nonexistent/sshd_config: No such file or directory");
	sshd_config_free(&c);
}

TEST(cmdline_options)
{
	struct sshd_config c;
	sshd_config_init(&c);
	CHECK_EQ_INT(sshd_config_option(&c, "PasswordAuthentication=no", 1, err, sizeof err), 0);
	CHECK_EQ_INT(sshd_config_option(&c, "Port 2200", 2, err, sizeof err), 0);
	CHECK(sshd_config_option(&c, "Bogus=1", 3, err, sizeof err) < 0);
	CHECK_STR(err, "command-line: line 3: Bad configuration option: Bogus");
	CHECK(sshd_config_option(&c, "Match User x", 4, err, sizeof err) < 0);
	/* -o wins over the file (first obtained) */
	CHECK_EQ_INT(
	    sshd_config_load_string(&c, "f", "PasswordAuthentication yes\nPort 2201\n", err, sizeof err), 0);
	CHECK_EQ_INT(sshd_config_finalize(&c, err, sizeof err), 0);
	CHECK_EQ_INT(c.password_authentication, 0);
	CHECK_EQ_INT(c.n_ports, 2);
	sshd_config_free(&c);
	/* -p overrides Port in the file */
	sshd_config_init(&c);
	CHECK_EQ_INT(sshd_config_cmdline_port(&c, "2999", err, sizeof err), 0);
	CHECK(sshd_config_cmdline_port(&c, "0", err, sizeof err) < 0);
	CHECK_EQ_INT(sshd_config_cmdline_hostkey(&c, "/tmp/hk"), 0);
	CHECK_EQ_INT(sshd_config_load_string(&c, "f", "Port 2201\nHostKey /tmp/hk2\n", err, sizeof err), 0);
	CHECK_EQ_INT(sshd_config_finalize(&c, err, sizeof err), 0);
	CHECK_EQ_INT(c.n_ports, 1);
	CHECK_EQ_INT(c.ports[0], 2999);
	CHECK_EQ_INT(c.host_keys.n, 2);
	CHECK_STR(c.host_keys.v[0], "/tmp/hk");
	sshd_config_free(&c);
}

TEST(listen_addresses)
{
	struct sshd_config c;
	CHECK_EQ_INT(load(&c, "Port 2000\nPort 2001\nListenAddress 127.0.0.1\nListenAddress [::1]:3000\n"
			      "ListenAddress 10.0.0.1:4000\nListenAddress fe80::1\n"),
		     0);
	CHECK_EQ_INT(c.n_listen, 6);
	CHECK_STR(c.listen[0].host, "127.0.0.1");
	CHECK_EQ_INT(c.listen[0].port, 2000);
	CHECK_EQ_INT(c.listen[1].port, 2001);
	CHECK_STR(c.listen[2].host, "::1");
	CHECK_EQ_INT(c.listen[2].port, 3000);
	CHECK_STR(c.listen[3].host, "10.0.0.1");
	CHECK_EQ_INT(c.listen[3].port, 4000);
	CHECK_STR(c.listen[4].host, "fe80::1");
	char *d = dump(&c);
	CHECK(d && has_line(d, "listenaddress [::1]:3000"));
	CHECK(d && has_line(d, "listenaddress 127.0.0.1:2001"));
	free(d);
	sshd_config_free(&c);
}

TEST(algorithms)
{
	struct sshd_config c;
	CHECK_EQ_INT(load(&c, "Ciphers -chacha20*\nMACs ^hmac-sha2-512\nKexAlgorithms curve25519-sha256\n"),
		     0);
	CHECK_STR(c.ciphers, "aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr,aes256-ctr");
	CHECK(c.macs && strncmp(c.macs, "hmac-sha2-512,hmac-sha2-256-etm@openssh.com", 43) == 0);
	CHECK_STR(c.kex_algorithms, "curve25519-sha256");
	sshd_config_free(&c);
	/* the operator's way to skip sntrup761's CPU cost */
	CHECK_EQ_INT(load(&c, "KexAlgorithms -sntrup761x25519-sha512*\n"), 0);
	CHECK_STR(c.kex_algorithms, "mlkem768x25519-sha256,curve25519-sha256,curve25519-sha256@libssh.org");
	sshd_config_free(&c);
	CHECK_EQ_INT(load(&c, "KexAlgorithms mlkem768x25519-sha256\n"), 0);
	CHECK_STR(c.kex_algorithms, "mlkem768x25519-sha256");
	sshd_config_free(&c);
	CHECK_EQ_INT(load(&c, "KexAlgorithms mlkem1024x25519-sha256\n"), -1);
	CHECK_EQ_INT(load(&c, "Ciphers aes256-ctr,aes128-ctr\n"), 0);
	CHECK_STR(c.ciphers, "aes256-ctr,aes128-ctr");
	sshd_config_free(&c);
	/* OpenSSH algorithms we lack are dropped (warning), typos are errors */
	CHECK_EQ_INT(load(&c, "Ciphers +3des-cbc\n"), 0);
	CHECK_STR(c.ciphers, "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-gcm@openssh.com,"
			     "aes128-ctr,aes256-ctr");
	sshd_config_free(&c);
	CHECK_EQ_INT(load(&c, "Ciphers aes256-gcm@openssh.com,aes192-ctr,aes128-ctr\nMACs "
			      "umac-128-etm@openssh.com,hmac-sha2-512\n"),
		     0);
	CHECK_STR(c.ciphers, "aes256-gcm@openssh.com,aes128-ctr");
	CHECK_STR(c.macs, "hmac-sha2-512");
	sshd_config_free(&c);
	CHECK(load(&c, "Ciphers aes128-ctrr\n") < 0);
	sshd_config_free(&c);
	CHECK(load(&c, "Ciphers aes192-ctr\n") < 0); /* nothing left */
	sshd_config_free(&c);
	CHECK(load(&c, "KexAlgorithms diffie-hellman-group1-sha1\n") < 0);
	CHECK_STR(err, "cfg line 1: Bad SSH2 KexAlgorithms 'diffie-hellman-group1-sha1'.");
	sshd_config_free(&c);
	CHECK_EQ_INT(load(&c, "PubkeyAcceptedAlgorithms -rsa-sha2-*\n"), 0);
	CHECK(c.pubkey_accepted_algorithms && strstr(c.pubkey_accepted_algorithms, "rsa") == NULL);
	CHECK(c.pubkey_accepted_algorithms && strstr(c.pubkey_accepted_algorithms, "ssh-ed25519") != NULL);
	sshd_config_free(&c);
	CHECK_EQ_INT(load(&c, "RekeyLimit 64M 1h\n"), 0);
	CHECK(c.rekey_limit_bytes == 64ull << 20);
	CHECK_EQ_INT(c.rekey_limit_seconds, 3600);
	sshd_config_free(&c);
}

TEST(match_blocks)
{
	struct sshd_config c, m;
	CHECK_EQ_INT(load(&c, "PasswordAuthentication no\n"
			      "X11Forwarding no\n"
			      "Match User alice,bob\n"
			      "  PasswordAuthentication yes\n"
			      "  Banner /etc/alice\n"
			      "Match Address 192.168.0.0/16,!192.168.5.0/24 User carol\n"
			      "  AllowTcpForwarding no\n"
			      "  PermitOpen 127.0.0.1:80 [::1]:443\n"
			      "Match Group sftponly\n"
			      "  ChrootDirectory /srv/%u\n"
			      "  ForceCommand internal-sftp -R\n"
			      "Match LocalPort 2022\n"
			      "  PermitRootLogin no\n"
			      "Match Host *.example.com\n"
			      "  MaxAuthTries 2\n"
			      "Match All\n"
			      "  ClientAliveInterval 30\n"),
		     0);
	CHECK_EQ_INT(c.password_authentication, 0);
	CHECK(c.banner == NULL);

	struct sshd_match_info mi = {
	    .user = "alice", .host = "h", .addr = "10.0.0.1", .laddr = "10.0.0.2", .lport = 22};
	const char *nogroups[] = {"users"};
	mi.groups = nogroups;
	mi.n_groups = 1;
	CHECK_EQ_INT(sshd_config_match(&c, &mi, &m, err, sizeof err), 0);
	CHECK_EQ_INT(m.password_authentication, 1);
	CHECK_STR(m.banner, "/etc/alice");
	CHECK_EQ_INT(m.allow_tcp_forwarding, FWD_ALLOW_ALL);
	CHECK_EQ_INT(m.client_alive_interval, 30);
	CHECK_EQ_INT(m.permit_root_login, PERMIT_ROOT_PROHIBIT_PASSWORD);
	sshd_config_free(&m);

	mi.user = "carol";
	mi.addr = "192.168.1.9";
	CHECK_EQ_INT(sshd_config_match(&c, &mi, &m, err, sizeof err), 0);
	CHECK_EQ_INT(m.password_authentication, 0);
	CHECK_EQ_INT(m.allow_tcp_forwarding, FWD_ALLOW_NO);
	CHECK_EQ_INT(m.permit_open_any, 0);
	CHECK_EQ_INT(m.permit_open.n, 2);
	sshd_config_free(&m);

	mi.addr = "192.168.5.9"; /* negated subnet */
	CHECK_EQ_INT(sshd_config_match(&c, &mi, &m, err, sizeof err), 0);
	CHECK_EQ_INT(m.allow_tcp_forwarding, FWD_ALLOW_ALL);
	CHECK_EQ_INT(m.permit_open_any, 1);
	sshd_config_free(&m);

	const char *grp[] = {"users", "sftponly"};
	mi.user = "dave";
	mi.groups = grp;
	mi.n_groups = 2;
	mi.lport = 2022;
	mi.host = "box.EXAMPLE.com";
	CHECK_EQ_INT(sshd_config_match(&c, &mi, &m, err, sizeof err), 0);
	CHECK_STR(m.chroot_directory, "/srv/%u");
	CHECK_STR(m.force_command, "internal-sftp -R");
	CHECK_EQ_INT(m.permit_root_login, PERMIT_ROOT_NO);
	CHECK_EQ_INT(m.max_auth_tries, 2);
	sshd_config_free(&m);
	/* the base is untouched */
	CHECK(c.chroot_directory == NULL);
	CHECK_EQ_INT(c.max_auth_tries, 6);
	sshd_config_free(&c);
}

TEST(match_first_wins_and_none)
{
	struct sshd_config c, m;
	CHECK_EQ_INT(load(&c, "Banner /etc/issue\n"
			      "Match User a*\n"
			      "  Banner none\n"
			      "  MaxSessions 1\n"
			      "Match User alice\n"
			      "  MaxSessions 5\n"
			      "Match User !alice,*\n"
			      "  MaxSessions 7\n"),
		     0);
	struct sshd_match_info mi = {.user = "alice", .groups = NULL, .n_groups = 0};
	const char *g[] = {"x"};
	mi.groups = g;
	mi.n_groups = 1;
	CHECK_EQ_INT(sshd_config_match(&c, &mi, &m, err, sizeof err), 0);
	CHECK(m.banner == NULL);
	CHECK_EQ_INT(m.max_sessions, 1);
	sshd_config_free(&m);
	mi.user = "zed";
	CHECK_EQ_INT(sshd_config_match(&c, &mi, &m, err, sizeof err), 0);
	CHECK_STR(m.banner, "/etc/issue");
	CHECK_EQ_INT(m.max_sessions, 7);
	sshd_config_free(&m);
	sshd_config_free(&c);
}

TEST(dump_format)
{
	struct sshd_config c;
	CHECK_EQ_INT(load(&c, "Port 2222\nPermitRootLogin no\nSubsystem sftp internal-sftp -l INFO\n"
			      "AllowTcpForwarding local\nPermitOpen none\nHostKey /k\n"),
		     0);
	CHECK_EQ_INT(c.n_subsystems, 1);
	CHECK_EQ_INT(c.subsystems[0].internal_sftp, 1);
	char *d = dump(&c);
	CHECK(d != NULL);
	if (d) {
		CHECK(has_line(d, "port 2222"));
		CHECK(has_line(d, "permitrootlogin no"));
		CHECK(has_line(d, "subsystem sftp internal-sftp -l INFO"));
		CHECK(has_line(d, "allowtcpforwarding local"));
		CHECK(has_line(d, "permitopen none"));
		CHECK(has_line(d, "permitlisten any"));
		CHECK(has_line(d, "hostkey /k"));
		CHECK(has_line(d, "authorizedkeysfile .ssh/authorized_keys .ssh/authorized_keys2"));
		CHECK(has_line(d, "loglevel INFO"));
		CHECK(has_line(d, "maxstartups 10:30:100"));
		CHECK(has_line(d, "persourcemaxstartups 25"));
		CHECK(has_line(d, "persourcenetblocksize 32:128"));
		CHECK(has_line(d, "acceptenv TERM LANG LC_*"));
		CHECK(has_line(d, "listenaddress 0.0.0.0:2222"));
		CHECK(has_line(d, "banner none"));
		for (const char *p = d; *p; p++)
			if (*p == ' ' || *p == '\n')
				while (*p && *p != '\n')
					p++;
			else
				CHECK(!(*p >= 'A' && *p <= 'Z')); /* keywords lower-case */
		free(d);
	}
	sshd_config_free(&c);
}

TEST(include_files)
{
	char dir[] = "/tmp/sshbox_inc_XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char p1[256], p2[256], p3[256], sub[256];
	snprintf(sub, sizeof sub, "%s/conf.d", dir);
	CHECK_EQ_INT(mkdir(sub, 0700), 0);
	snprintf(p1, sizeof p1, "%s/main", dir);
	snprintf(p2, sizeof p2, "%s/conf.d/10-a.conf", dir);
	snprintf(p3, sizeof p3, "%s/conf.d/20-b.conf", dir);
	FILE *f = fopen(p1, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "Include conf.d/*.conf\nPasswordAuthentication yes\nMaxSessions 4\n");
	fclose(f);
	f = fopen(p2, "w");
	fprintf(f, "PasswordAuthentication no\nMatch User x\n MaxSessions 1\n");
	fclose(f);
	f = fopen(p3, "w");
	fprintf(f, "MaxAuthTries 2\n");
	fclose(f);
	struct sshd_config c, m;
	sshd_config_init(&c);
	CHECK_EQ_INT(sshd_config_load(&c, p1, 1, err, sizeof err), 0);
	CHECK_EQ_INT(sshd_config_finalize(&c, err, sizeof err), 0);
	CHECK_EQ_INT(c.password_authentication, 0); /* included first */
	CHECK_EQ_INT(c.max_auth_tries, 2);	    /* Match in 10-a ended with its file */
	CHECK_EQ_INT(c.max_sessions, 4);
	const char *g[] = {"x"};
	struct sshd_match_info mi = {.user = "x", .groups = g, .n_groups = 1};
	CHECK_EQ_INT(sshd_config_match(&c, &mi, &m, err, sizeof err), 0);
	CHECK_EQ_INT(m.max_sessions, 1);
	sshd_config_free(&m);
	sshd_config_free(&c);
	/* error inside an included file names that file */
	f = fopen(p3, "w");
	fprintf(f, "\nNope 1\n");
	fclose(f);
	sshd_config_init(&c);
	CHECK(sshd_config_load(&c, p1, 1, err, sizeof err) < 0);
	CHECK(strstr(err, "20-b.conf: line 2: Bad configuration option: Nope") != NULL);
	sshd_config_free(&c);
	/* exponential Include fan-out is bounded too */
	{
		char q[300];
		for (int i = 0; i < 4; i++) {
			snprintf(q, sizeof q, "%s/conf.d/fan%d.conf", dir, i);
			FILE *ff = fopen(q, "w");
			if (ff) {
				fprintf(ff, "Include %s/conf.d/fan*.conf\n", dir);
				fclose(ff);
			}
		}
		snprintf(q, sizeof q, "%s/conf.d/fan0.conf", dir);
		sshd_config_init(&c);
		CHECK(sshd_config_load(&c, q, 1, err, sizeof err) < 0);
		CHECK(strstr(err, "too many included files") != NULL ||
		      strstr(err, "nested too deep") != NULL);
		sshd_config_free(&c);
		for (int i = 0; i < 4; i++) {
			snprintf(q, sizeof q, "%s/conf.d/fan%d.conf", dir, i);
			unlink(q);
		}
	}
	/* self-include is bounded */
	f = fopen(p1, "w");
	fprintf(f, "Include %s\n", p1);
	fclose(f);
	sshd_config_init(&c);
	CHECK(sshd_config_load(&c, p1, 1, err, sizeof err) < 0);
	sshd_config_free(&c);
	unlink(p1);
	unlink(p2);
	unlink(p3);
	rmdir(sub);
	rmdir(dir);
}

TEST(patterns)
{
	CHECK_EQ_INT(match_pattern("alice", "a*"), 1);
	CHECK_EQ_INT(match_pattern("alice", "a?ice"), 1);
	CHECK_EQ_INT(match_pattern("alice", "b*"), 0);
	CHECK_EQ_INT(match_pattern("", "*"), 1);
	CHECK_EQ_INT(match_pattern("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*a*a*a*a*a*c"), 0);
	CHECK_EQ_INT(match_pattern_list("bob", "alice,bob", 0), 1);
	CHECK_EQ_INT(match_pattern_list("bob", "*,!bob", 0), -1);
	CHECK_EQ_INT(match_pattern_list("carl", "*,!bob", 0), 1);
	CHECK_EQ_INT(match_pattern_list("HOST.Example.COM", "*.example.com", 1), 1);
	CHECK_EQ_INT(match_addr_list("10.1.2.3", "10.0.0.0/8"), 1);
	CHECK_EQ_INT(match_addr_list("11.1.2.3", "10.0.0.0/8"), 0);
	CHECK_EQ_INT(match_addr_list("10.1.2.3", "10.0.0.0/8,!10.1.0.0/16"), -1);
	CHECK_EQ_INT(match_addr_list("::ffff:10.1.2.3", "10.0.0.0/8"), 1);
	CHECK_EQ_INT(match_addr_list("2001:db8::5", "2001:db8::/32"), 1);
	CHECK_EQ_INT(match_addr_list("2001:db9::5", "2001:db8::/32"), 0);
	CHECK_EQ_INT(match_addr_list("192.168.1.7", "192.168.1.*"), 1);
	CHECK_EQ_INT(match_addr_list("1.2.3.4", "1.2.3.4/33"), -2);
	CHECK_EQ_INT(match_user_pattern("bob", "h.example.com", "10.0.0.1", "bob@*.example.com"), 1);
	CHECK_EQ_INT(match_user_pattern("bob", "h", "10.0.0.1", "bob@10.0.0.0/24"), 1);
	CHECK_EQ_INT(match_user_pattern("bob", "h", "10.0.1.1", "bob@10.0.0.0/24"), 0);
	CHECK_EQ_INT(match_user_pattern("bob", NULL, NULL, "b?b"), 1);
	CHECK_EQ_INT(match_user_pattern("rob", NULL, NULL, "b?b"), 0);
}

TEST(token_expansion)
{
	char *s = sshd_expand_tokens("%h/.ssh/keys_%u_%U%%", "al", "/home/al", 1001);
	CHECK_STR(s, "/home/al/.ssh/keys_al_1001%");
	free(s);
	CHECK(sshd_expand_tokens("%x", "a", "/h", 0) == NULL);
	CHECK(sshd_expand_tokens("trailing%", "a", "/h", 0) == NULL);
	struct sshd_config c;
	CHECK(load(&c, "AuthorizedKeysFile %q\n") < 0);
	sshd_config_free(&c);
	CHECK_EQ_INT(load(&c, "AuthorizedKeysFile none\n"), 0);
	CHECK_EQ_INT(c.authorized_keys_files.n, 0);
	sshd_config_free(&c);
}

TEST(forwarding_keywords)
{
	struct sshd_config c;
	CHECK_EQ_INT(
	    load(&c,
		 "AllowTcpForwarding remote\nAllowStreamLocalForwarding no\nGatewayPorts clientspecified\n"
		 "PermitListen 8080 localhost:9090\nX11Forwarding yes\n"),
	    0);
	CHECK_EQ_INT(c.allow_tcp_forwarding, FWD_ALLOW_REMOTE);
	CHECK_EQ_INT(c.allow_streamlocal_forwarding, FWD_ALLOW_NO);
	CHECK_EQ_INT(c.gateway_ports, GATEWAY_PORTS_CLIENTSPECIFIED);
	CHECK_EQ_INT(c.permit_listen.n, 2);
	CHECK_EQ_INT(c.permit_listen_any, 0);
	CHECK_EQ_INT(c.x11_forwarding, 0);
	sshd_config_free(&c);
	CHECK_EQ_INT(load(&c, "DisableForwarding yes\n"), 0);
	CHECK_EQ_INT(c.allow_tcp_forwarding, FWD_ALLOW_NO);
	CHECK_EQ_INT(c.allow_agent_forwarding, 0);
	sshd_config_free(&c);
	CHECK_EQ_INT(load(&c, "HelperExecMethod tmpfile\nDebugService no\nDebugAllowUsers ops root\n"
			      "PAMServiceName sshd\nUsePAM yes\n"),
		     0);
	CHECK_EQ_INT(c.helper_exec_method, HELPER_EXEC_TMPFILE);
	CHECK_EQ_INT(c.debug_service, 0);
	CHECK_EQ_INT(c.debug_allow_users.n, 2);
	CHECK_STR(c.pam_service_name, "sshd");
	sshd_config_free(&c);
	CHECK(load(&c, "PAMServiceName ../etc\n") < 0);
	sshd_config_free(&c);
}

TEST(per_source_startups)
{
	struct sshd_config c;
	CHECK_EQ_INT(load(&c, "MaxStartups 8\nPerSourceNetBlockSize 24\n"), 0);
	CHECK_EQ_INT(c.per_source_max_startups, 2); /* sshbox default: full / 4 */
	CHECK_EQ_INT(c.per_source_netblock_v4, 24);
	CHECK_EQ_INT(c.per_source_netblock_v6, 128);
	sshd_config_free(&c);
	CHECK_EQ_INT(
	    load(&c, "PerSourceMaxStartups none\nPerSourceNetBlockSize 16:64\nPerSourceMaxStartups 3\n"), 0);
	CHECK_EQ_INT(c.per_source_max_startups, 0); /* none; first value wins */
	CHECK_EQ_INT(c.per_source_netblock_v4, 16);
	CHECK_EQ_INT(c.per_source_netblock_v6, 64);
	sshd_config_free(&c);
	CHECK_EQ_INT(load(&c, "MaxStartups 3\nPerSourceMaxStartups 7\n"), 0);
	CHECK_EQ_INT(c.per_source_max_startups, 7);
	sshd_config_free(&c);
}

TEST(match_spec)
{
	struct sshd_match_spec s;
	CHECK_EQ_INT(
	    sshd_match_spec_parse("user=alice,addr=10.1.2.3,lport=2222,laddr=127.0.0.1", &s, err, sizeof err),
	    0);
	CHECK_STR(s.mi.user, "alice");
	CHECK_STR(s.mi.addr, "10.1.2.3");
	CHECK_STR(s.mi.host, "10.1.2.3");
	CHECK_STR(s.mi.laddr, "127.0.0.1");
	CHECK_EQ_INT(s.mi.lport, 2222);
	CHECK(sshd_match_spec_parse("user=alice,bogus=1", &s, err, sizeof err) < 0);
	CHECK(sshd_match_spec_parse("user", &s, err, sizeof err) < 0);
	CHECK(sshd_match_spec_parse("lport=0", &s, err, sizeof err) < 0);
	/* -T -C applies the Match blocks */
	struct sshd_config c, m;
	CHECK_EQ_INT(load(&c, "Match Address 10.0.0.0/8 LocalPort 2222\n PasswordAuthentication no\n"), 0);
	CHECK_EQ_INT(
	    sshd_match_spec_parse("user=nobody-sshbox,addr=10.1.2.3,lport=2222", &s, err, sizeof err), 0);
	CHECK_EQ_INT(sshd_config_match(&c, &s.mi, &m, err, sizeof err), 0);
	CHECK_EQ_INT(m.password_authentication, 0);
	char *d = dump(&m);
	CHECK(d && has_line(d, "passwordauthentication no"));
	free(d);
	sshd_config_free(&m);
	sshd_config_free(&c);
}

/* init/free/copy/merge/dump all come from one field table: a copy dumps
 * exactly like its source, and a Match that sets every Match-able field
 * shows each one in the effective config. */
TEST(field_table_copy_and_merge)
{
	struct sshd_config c, cp, m;
	CHECK_EQ_INT(
	    load(&c,
		 "Port 2201\nListenAddress 127.0.0.1\nHostKey /k1\nBanner /b\n"
		 "AllowUsers a b\nAcceptEnv X\nPermitOpen 1.2.3.4:5\nRekeyLimit 1M 10\n"
		 "Subsystem s /bin/s\nMaxStartups 3\nPermitUserEnvironment A*\n"
		 "Match User alice\n LogLevel DEBUG1\n PubkeyAcceptedAlgorithms ssh-ed25519\n"
		 " RekeyLimit 2M 20\n MaxAuthTries 2\n MaxSessions 3\n PermitRootLogin no\n"
		 " PubkeyAuthentication no\n PasswordAuthentication no\n KbdInteractiveAuthentication no\n"
		 " PermitEmptyPasswords yes\n AuthorizedKeysFile /ak\n AllowUsers c\n DenyUsers d\n"
		 " AllowGroups g\n DenyGroups h\n Banner /b2\n AcceptEnv Y\n PermitTTY no\n"
		 " ForceCommand /fc\n ChrootDirectory /ch\n AllowTcpForwarding local\n"
		 " AllowStreamLocalForwarding remote\n AllowAgentForwarding no\n GatewayPorts yes\n"
		 " PermitOpen none\n PermitListen 7\n ClientAliveInterval 9\n ClientAliveCountMax 8\n"),
	    0);
	CHECK_EQ_INT(sshd_config_copy(&c, &cp), 0);
	char *d1 = dump(&c), *d2 = dump(&cp);
	CHECK(d1 && d2 && strcmp(d1, d2) == 0);
	free(d2);
	struct sshd_match_info mi = {.user = "alice", .groups = (const char *const[]){"x"}, .n_groups = 1};
	CHECK_EQ_INT(sshd_config_match(&cp, &mi, &m, err, sizeof err), 0);
	char *d3 = dump(&m);
	static const char *const want[] = {"loglevel DEBUG1",
					   "pubkeyacceptedalgorithms ssh-ed25519",
					   "rekeylimit 2097152 20",
					   "maxauthtries 2",
					   "maxsessions 3",
					   "permitrootlogin no",
					   "pubkeyauthentication no",
					   "passwordauthentication no",
					   "kbdinteractiveauthentication no",
					   "permitemptypasswords yes",
					   "authorizedkeysfile /ak",
					   "allowusers c",
					   "denyusers d",
					   "allowgroups g",
					   "denygroups h",
					   "banner /b2",
					   "acceptenv Y",
					   "permittty no",
					   "forcecommand /fc",
					   "chrootdirectory /ch",
					   "allowtcpforwarding local",
					   "allowstreamlocalforwarding remote",
					   "allowagentforwarding no",
					   "gatewayports yes",
					   "permitopen none",
					   "permitlisten 7",
					   "clientaliveinterval 9",
					   "clientalivecountmax 8",
					   "port 2201",
					   "listenaddress 127.0.0.1:2201",
					   "hostkey /k1",
					   "subsystem s /bin/s",
					   "maxstartups 3:100:3",
					   "permituserenvironment A*"};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!d3 || !has_line(d3, want[i])) {
			fprintf(stderr, "  missing: %s\n", want[i]);
			CHECK(0);
		}
	}
	/* a user no block matches gets the base config unchanged */
	struct sshd_config m2;
	struct sshd_match_info other = {.user = "bob", .groups = (const char *const[]){"x"}, .n_groups = 1};
	CHECK_EQ_INT(sshd_config_match(&c, &other, &m2, err, sizeof err), 0);
	char *d4 = dump(&m2);
	CHECK(d1 && d4 && strcmp(d1, d4) == 0);
	free(d1);
	free(d3);
	free(d4);
	sshd_config_free(&m2);
	sshd_config_free(&m);
	sshd_config_free(&cp);
	sshd_config_free(&c);
}

int main(void)
{
	log_init("test", LOG_ERROR, LOG_TO_STDERR);
	RUN(defaults);
	RUN(sftp_subsystem_by_default_only_without_subsystem_lines);
	RUN(datadir_nonroot_xdg);
	RUN(syntax_and_first_wins);
	RUN(errors_with_line_numbers);
	RUN(hostile_input);
	RUN(missing_files);
	RUN(cmdline_options);
	RUN(listen_addresses);
	RUN(algorithms);
	RUN(match_blocks);
	RUN(match_first_wins_and_none);
	RUN(dump_format);
	RUN(include_files);
	RUN(patterns);
	RUN(token_expansion);
	RUN(forwarding_keywords);
	RUN(match_spec);
	RUN(per_source_startups);
	RUN(field_table_copy_and_merge);
	return t_done();
}
