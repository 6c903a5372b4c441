#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "kbdint.h"
#include "passwd.h"
#include "user.h"
#include "t.h"

#define PW "s3cret pass"
#define H_SHA512 "$6$abcdefgh$JkUs2M4cQMIF3fzb8rSPdrGis9kyxOr8G//eP6mEBQv4DyD/cfcCAqUX6.8VAMaqE9BpPh.U5Cfz9mU/DZcFL1"
#define H_SHA256 "$5$abcdefgh$/XQpiq6io7lkuXZDsxnm7cTuMRg2bA4y6FTmsaa.A78"
#define H_YESCRYPT "$y$j9T$/mVg2kfl05iiAgAw9Pf5G1$Uddwh7/bRD9kvyjsSWKjajAMkWrqNVzcyTx8mm0.dE4"
#define H_BCRYPT "$2b$05$abcdefghijklmnopqrstuu1qdcFaS0PtqFUPzaCxLQ8/0lspH0ZEW"

static char shadow[64] = "/tmp/sshbox_shadow_XXXXXX";
#define TODAY 20000L

TEST(hash_methods)
{
	CHECK_EQ_INT(passwd_verify_hash(H_SHA512, PW), PASSWD_OK);
	CHECK_EQ_INT(passwd_verify_hash(H_SHA256, PW), PASSWD_OK);
	CHECK_EQ_INT(passwd_verify_hash(H_YESCRYPT, PW), PASSWD_OK);
	CHECK_EQ_INT(passwd_verify_hash(H_BCRYPT, PW), PASSWD_OK);
	CHECK_EQ_INT(passwd_verify_hash(H_SHA512, "s3cret pasS"), PASSWD_FAIL);
	CHECK_EQ_INT(passwd_verify_hash(H_YESCRYPT, ""), PASSWD_FAIL);
	CHECK_EQ_INT(passwd_verify_hash(H_SHA512, PW "x"), PASSWD_FAIL);
	CHECK_EQ_INT(passwd_verify_hash("!" H_SHA512, PW), PASSWD_LOCKED);
	CHECK_EQ_INT(passwd_verify_hash("*", PW), PASSWD_LOCKED);
	CHECK_EQ_INT(passwd_verify_hash("$9$garbage", PW), PASSWD_ERROR);
	/* a truncated hash must never verify */
	CHECK(passwd_verify_hash("$6$abcdefgh$JkUs2M4cQMIF3fzb8rSPdrGis9ky", PW) != PASSWD_OK);
	CHECK(passwd_verify_hash("$6$abcdefgh$", PW) != PASSWD_OK);
}

TEST(shadow_file)
{
	FILE *f = fopen(shadow, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "root:*:19000:0:99999:7:::\n");
	fprintf(f, "alice:" H_SHA512 ":19000:0:99999:7:::\n");
	fprintf(f, "al:" H_YESCRYPT ":19000:0:99999:7:::\n"); /* prefix of alice */
	fprintf(f, "locked:!" H_SHA512 ":19000:0:99999:7:::\n");
	fprintf(f, "nopw:*:19000:0:99999:7:::\n");
	fprintf(f, "empty::19000:0:99999:7:::\n");
	fprintf(f, "expired:" H_SHA256 ":19000:0:99999:7::19999:\n");
	fprintf(f, "mustchange:" H_SHA256 ":0:0:99999:7:::\n");
	fprintf(f, "aged:" H_SHA256 ":19000:0:90:7:::\n");
	fprintf(f, "inactive:" H_SHA256 ":19000:0:90:7:30::\n");
	fprintf(f, "short:" H_SHA256 "\n"); /* missing fields */
	fclose(f);
	CHECK_EQ_INT(passwd_check_file(shadow, "alice", PW, 0, TODAY), PASSWD_OK);
	CHECK_EQ_INT(passwd_check_file(shadow, "alice", "wrong", 0, TODAY), PASSWD_FAIL);
	CHECK_EQ_INT(passwd_check_file(shadow, "al", PW, 0, TODAY), PASSWD_OK);
	CHECK_EQ_INT(passwd_check_file(shadow, "a", PW, 0, TODAY), PASSWD_FAIL);
	CHECK_EQ_INT(passwd_check_file(shadow, "nobody-here", PW, 0, TODAY), PASSWD_FAIL);
	CHECK_EQ_INT(passwd_check_file(shadow, "locked", PW, 0, TODAY), PASSWD_LOCKED);
	CHECK_EQ_INT(passwd_check_file(shadow, "nopw", PW, 0, TODAY), PASSWD_LOCKED);
	CHECK_EQ_INT(passwd_check_file(shadow, "root", "", 1, TODAY), PASSWD_LOCKED);
	CHECK_EQ_INT(passwd_check_file(shadow, "empty", "", 0, TODAY), PASSWD_EMPTY);
	CHECK_EQ_INT(passwd_check_file(shadow, "empty", "", 1, TODAY), PASSWD_OK);
	CHECK_EQ_INT(passwd_check_file(shadow, "empty", "x", 1, TODAY), PASSWD_FAIL);
	CHECK_EQ_INT(passwd_check_file(shadow, "expired", PW, 0, TODAY), PASSWD_EXPIRED);
	CHECK_EQ_INT(passwd_check_file(shadow, "expired", PW, 0, 19998), PASSWD_OK);
	CHECK_EQ_INT(passwd_check_file(shadow, "expired", "bad", 0, TODAY), PASSWD_FAIL); /* no oracle */
	CHECK_EQ_INT(passwd_check_file(shadow, "mustchange", PW, 0, TODAY), PASSWD_EXPIRED);
	CHECK_EQ_INT(passwd_check_file(shadow, "aged", PW, 0, TODAY), PASSWD_EXPIRED);
	CHECK_EQ_INT(passwd_check_file(shadow, "aged", PW, 0, 19050), PASSWD_OK);
	CHECK_EQ_INT(passwd_check_file(shadow, "inactive", PW, 0, TODAY), PASSWD_EXPIRED);
	CHECK_EQ_INT(passwd_check_file(shadow, "short", PW, 0, TODAY), PASSWD_OK);
	CHECK_EQ_INT(passwd_check_file("/nonexistent/shadow", "alice", PW, 0, TODAY), PASSWD_ERROR);
}

TEST(shadow_hostile)
{
	FILE *f = fopen(shadow, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	/* an overlong line that starts like the user, then the real entry */
	fputs("alice:", f);
	for (int i = 0; i < 20000; i++)
		fputc('A', f);
	fputs("\n", f);
	fputs("::::::::::::::::::::::::\n", f);
	fputs("alice:" H_SHA512 ":19000:x:y:z:::\n", f);
	fclose(f);
	CHECK_EQ_INT(passwd_check_file(shadow, "alice", PW, 0, TODAY), PASSWD_OK);
	CHECK_EQ_INT(passwd_check_file(shadow, "", PW, 0, TODAY), PASSWD_FAIL);
	/* an enormous password is refused without hashing it */
	char *big = malloc(100000);
	if (big) {
		memset(big, 'p', 99999);
		big[99999] = '\0';
		CHECK_EQ_INT(passwd_check_file(shadow, "alice", big, 0, TODAY), PASSWD_FAIL);
		free(big);
	}
}

static struct sshd_config cfg_of(const char *text)
{
	struct sshd_config c;
	char err[256];
	sshd_config_init(&c);
	if (sshd_config_load_string(&c, "t", text, err, sizeof err) < 0 || sshd_config_finalize(&c, err, sizeof err) < 0)
		fprintf(stderr, "config: %s\n", err);
	return c;
}

static struct user_info fake_user(const char *name, uid_t uid, const char *shell)
{
	struct user_info u;
	memset(&u, 0, sizeof u);
	u.name = strdup(name);
	u.uid = uid;
	u.gid = 100;
	u.home = strdup("/tmp");
	u.shell = strdup(shell);
	u.gecos = strdup("");
	u.n_groups = 2;
	u.gids = calloc(2, sizeof(gid_t));
	u.group_names = calloc(3, sizeof(char *));
	u.group_names[0] = strdup("users");
	u.group_names[1] = strdup("devs");
	return u;
}

TEST(user_policy)
{
	const char *why;
	uid_t me = geteuid();
	struct user_info u = fake_user("alice", me, "/bin/sh");
	struct sshd_config c = cfg_of("");
	CHECK_EQ_INT(user_allowed(&c, &u, "h", "10.0.0.1", &why), 1);
	sshd_config_free(&c);

	c = cfg_of("DenyUsers bob alice@10.0.0.0/8\n");
	CHECK_EQ_INT(user_allowed(&c, &u, "h", "10.0.0.1", &why), 0);
	CHECK_STR(why, "listed in DenyUsers");
	CHECK_EQ_INT(user_allowed(&c, &u, "h", "192.168.0.1", &why), 1);
	sshd_config_free(&c);

	c = cfg_of("AllowUsers bob a?ice@*.example.com\n");
	CHECK_EQ_INT(user_allowed(&c, &u, "ws.example.com", "1.2.3.4", &why), 1);
	CHECK_EQ_INT(user_allowed(&c, &u, "ws.other.com", "1.2.3.4", &why), 0);
	CHECK_STR(why, "not listed in AllowUsers");
	sshd_config_free(&c);

	c = cfg_of("AllowGroups admins dev*\n");
	CHECK_EQ_INT(user_allowed(&c, &u, "h", "1.2.3.4", &why), 1);
	sshd_config_free(&c);
	c = cfg_of("AllowGroups admins\n");
	CHECK_EQ_INT(user_allowed(&c, &u, "h", "1.2.3.4", &why), 0);
	sshd_config_free(&c);
	c = cfg_of("DenyGroups users\nAllowUsers alice\n");
	CHECK_EQ_INT(user_allowed(&c, &u, "h", "1.2.3.4", &why), 0);
	CHECK_STR(why, "a group is listed in DenyGroups");
	sshd_config_free(&c);

	/* shell checks (skipped when chrooted) */
	struct user_info u2 = fake_user("alice", me, "/nonexistent/shell");
	c = cfg_of("");
	CHECK_EQ_INT(user_allowed(&c, &u2, "h", "1.2.3.4", &why), 0);
	CHECK_STR(why, "shell /nonexistent/shell does not exist");
	sshd_config_free(&c);
	c = cfg_of("ChrootDirectory /srv/%u\n");
	CHECK_EQ_INT(user_allowed(&c, &u2, "h", "1.2.3.4", &why), 1);
	sshd_config_free(&c);
	user_info_free(&u2);
	/* a non-executable regular file as shell */
	char noexec[] = "/tmp/sshbox_noexec_XXXXXX";
	int nfd = mkstemp(noexec);
	CHECK(nfd >= 0);
	if (nfd >= 0) {
		close(nfd);
		chmod(noexec, 0644);
	}
	u2 = fake_user("alice", me, noexec);
	c = cfg_of("");
	CHECK_EQ_INT(user_allowed(&c, &u2, "h", "1.2.3.4", &why), 0);
	char want_why[128];
	snprintf(want_why, sizeof(want_why), "shell %s is not executable", noexec);
	CHECK_STR(why, want_why);
	sshd_config_free(&c);
	user_info_free(&u2);
	unlink(noexec);

	if (me == 0) {
		/* root policies */
		struct user_info r = fake_user("root", 0, "/bin/sh");
		c = cfg_of("PermitRootLogin no\n");
		CHECK_EQ_INT(user_allowed(&c, &r, "h", "1.2.3.4", &why), 0);
		sshd_config_free(&c);
		user_info_free(&r);
		/* another user is fine for a root daemon */
		struct user_info o = fake_user("someone", 4242, "/bin/sh");
		c = cfg_of("");
		CHECK_EQ_INT(user_allowed(&c, &o, "h", "1.2.3.4", &why), 1);
		sshd_config_free(&c);
		user_info_free(&o);
	} else {
		struct user_info o = fake_user("someone", me + 1, "/bin/sh");
		c = cfg_of("");
		CHECK_EQ_INT(user_allowed(&c, &o, "h", "1.2.3.4", &why), 0);
		sshd_config_free(&c);
		user_info_free(&o);
	}
	user_info_free(&u);
}

TEST(root_methods)
{
	struct sshd_config c = cfg_of("");
	CHECK_EQ_INT(user_root_method_allowed(&c, 0, "publickey", 0), 1);
	CHECK_EQ_INT(user_root_method_allowed(&c, 0, "password", 0), 0);
	CHECK_EQ_INT(user_root_method_allowed(&c, 0, "keyboard-interactive", 0), 0);
	CHECK_EQ_INT(user_root_method_allowed(&c, 1000, "password", 0), 1);
	sshd_config_free(&c);
	c = cfg_of("PermitRootLogin forced-commands-only\n");
	CHECK_EQ_INT(user_root_method_allowed(&c, 0, "publickey", 0), 0);
	CHECK_EQ_INT(user_root_method_allowed(&c, 0, "publickey", 1), 1);
	CHECK_EQ_INT(user_root_method_allowed(&c, 0, "password", 1), 0);
	sshd_config_free(&c);
	c = cfg_of("PermitRootLogin yes\n");
	CHECK_EQ_INT(user_root_method_allowed(&c, 0, "password", 0), 1);
	sshd_config_free(&c);
	c = cfg_of("PermitRootLogin no\n");
	CHECK_EQ_INT(user_root_method_allowed(&c, 0, "publickey", 1), 0);
	sshd_config_free(&c);
}

TEST(lookup)
{
	struct user_info u;
	CHECK_EQ_INT(user_lookup("root", &u), 0);
	CHECK_EQ_INT(u.uid, 0);
	CHECK_STR(u.name, "root");
	CHECK(u.n_groups >= 1);
	CHECK(u.group_names && u.group_names[0] != NULL);
	user_info_free(&u);
	CHECK_EQ_INT(user_lookup("no-such-user-sshbox", &u), -1);
	CHECK_EQ_INT(user_lookup("", &u), -1);
}

/* The one round without PAM: a "Password: " prompt, echo off, no texts. */
static void check_password_round(struct kbdint *k, struct kbdint_query *q)
{
	CHECK_EQ_INT(kbdint_query(k, q), 1);
	CHECK_EQ_INT(q->n_prompts, 1);
	CHECK_STR(q->prompts[0], "Password: ");
	CHECK_EQ_INT(q->echo[0], 0);
	CHECK_STR(q->name, "");
	CHECK_STR(q->instruction, "");
}

TEST(kbdint_password_prompt)
{
	struct sshd_config c = cfg_of("UsePAM no\n");
	struct kbdint *k = kbdint_start("no-such-user-sshbox", &c, "h");
	CHECK(k != NULL);
	if (k) {
		struct kbdint_query q;
		check_password_round(k, &q);
		const char *resp[2] = {"x", "y"};
		CHECK_EQ_INT(kbdint_respond(k, 2, resp), KBDINT_FAIL); /* wrong count */
		CHECK_EQ_INT(kbdint_query(k, &q), KBDINT_FAIL);
		kbdint_free(k);
	}
	k = kbdint_start("no-such-user-sshbox", &c, "h");
	if (k) {
		const char *resp[1] = {"x"};
		CHECK_EQ_INT(kbdint_respond(k, 1, resp), KBDINT_FAIL);
		kbdint_free(k);
	}
	CHECK_EQ_INT(kbdint_available(&c), 1);
	sshd_config_free(&c);
	/* without PAM, PasswordAuthentication no also closes keyboard-interactive */
	c = cfg_of("UsePAM no\nPasswordAuthentication no\n");
	CHECK_EQ_INT(kbdint_available(&c), 0);
	CHECK(kbdint_start("root", &c, "h") == NULL);
	sshd_config_free(&c);
}

/* A refused or missing account gets the same round as a real one, and
 * fails whatever it answers. */
TEST(kbdint_refused_same_prompt)
{
	struct sshd_config c = cfg_of("UsePAM no\n");
	struct kbdint *k = kbdint_start_refused(&c);
	CHECK(k != NULL);
	if (k) {
		struct kbdint_query q;
		check_password_round(k, &q);
		const char *resp[1] = {""};
		CHECK_EQ_INT(kbdint_respond(k, 1, resp), KBDINT_FAIL);
		kbdint_free(k);
	}
	sshd_config_free(&c);
	c = cfg_of("UsePAM no\nPasswordAuthentication no\n");
	CHECK(kbdint_start_refused(&c) == NULL); /* exactly when a real user gets none */
	sshd_config_free(&c);
}

static void put_frame(int fd, char type, const char *s)
{
	uint8_t h[5] = {(uint8_t)type, 0, 0, 0, (uint8_t)strlen(s)};
	CHECK(write(fd, h, 5) == 5);
	if (*s)
		CHECK(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
}

/* The PAM child's frames as the connection process parses them. */
TEST(kbdint_pam_frames)
{
	int sv[2];
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	put_frame(sv[0], 'N', "");
	put_frame(sv[0], 'I', "expires soon\n");
	put_frame(sv[0], 'P', "Password: ");
	put_frame(sv[0], 'E', "Code: ");
	put_frame(sv[0], 'R', "");
	put_frame(sv[0], 'S', "");
	struct kbdint *k = kbdint_from_fd(sv[1]);
	struct kbdint_query q;
	CHECK_EQ_INT(kbdint_query(k, &q), 1);
	CHECK_EQ_INT(q.n_prompts, 2);
	CHECK_STR(q.instruction, "expires soon\n");
	CHECK_STR(q.prompts[1], "Code: ");
	CHECK_EQ_INT(q.echo[0] * 10 + q.echo[1], 1);
	const char *resp[2] = {"pw", "123"};
	/* 'S' with an empty body is not "0 = ok": failure */
	CHECK_EQ_INT(kbdint_respond(k, 2, resp), KBDINT_FAIL);
	char got[64];
	ssize_t n = read(sv[0], got, sizeof(got));
	CHECK_EQ_INT(n, 2 * 5 + 2 + 3); /* the two 'A' frames */
	kbdint_free(k);			/* closes sv[1] */
	close(sv[0]);
	/* an oversized frame length is refused, not allocated */
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	uint8_t big[5] = {'N', 0x7f, 0xff, 0xff, 0xff};
	CHECK(write(sv[0], big, 5) == 5);
	shutdown(sv[0], SHUT_WR);
	k = kbdint_from_fd(sv[1]);
	CHECK_EQ_INT(kbdint_query(k, &q), KBDINT_FAIL);
	kbdint_free(k);
	close(sv[0]);
}

TEST(chroot_checks)
{
	char why[256];
	CHECK_EQ_INT(chroot_path_secure("/", why, sizeof why), 0);
	struct stat st;
	if (stat("/usr", &st) == 0 && st.st_uid == 0 && !(st.st_mode & 022)) {
		CHECK_EQ_INT(chroot_path_secure("/usr", why, sizeof why), 0);
		CHECK_EQ_INT(chroot_path_secure("/usr//", why, sizeof why), 0);
	}
	CHECK_EQ_INT(chroot_path_secure("usr", why, sizeof why), -1);
	CHECK_EQ_INT(chroot_path_secure("/nonexistent-sshbox", why, sizeof why), -1);
	CHECK_EQ_INT(chroot_path_secure("/etc/passwd", why, sizeof why), -1);
	CHECK(strstr(why, "is not a directory") != NULL);
	/* a jail under a world-writable /tmp, and a jail not owned by root */
	char dir[] = "/tmp/sshbox_jail_XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	if (stat("/tmp", &st) == 0 && (st.st_mode & 022)) {
		CHECK_EQ_INT(chroot_path_secure(dir, why, sizeof why), -1);
		CHECK_STR(why, "bad ownership or modes for chroot directory component \"/tmp\"");
	}
	rmdir(dir);
	if (geteuid() == 0 && stat("/run", &st) == 0 && st.st_uid == 0 && !(st.st_mode & 022)) {
		char jail[] = "/run/sshbox_jail_XXXXXX";
		if (mkdtemp(jail)) {
			chmod(jail, 0755);
			CHECK_EQ_INT(chroot_path_secure(jail, why, sizeof why), 0);
			chmod(jail, 0775);
			CHECK_EQ_INT(chroot_path_secure(jail, why, sizeof why), -1);
			chmod(jail, 0755);
			CHECK_EQ_INT(chown(jail, 1000, 1000), 0);
			CHECK_EQ_INT(chroot_path_secure(jail, why, sizeof why), -1);
			rmdir(jail);
		}
	}
}

#if CONFIG_PAM
/* A private PAM stack in a temp dir: pam_echo (TEXT_INFO) then pam_exec
 * with expose_authtok (prompts "Password: "), a script accepting only
 * "letmein"; a second service prompts twice (two pam_exec). */
static char pamdir[64] = "/tmp/sshbox_pam_XXXXXX";

static int write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	return chmod(p, mode);
}

static int pam_setup(void)
{
	if (!mkdtemp(pamdir))
		return -1;
	char text[1024];
	if (write_file(pamdir, "check.sh", "#!/bin/sh\nread -r pw\n[ \"$pw\" = letmein ]\n", 0755) < 0)
		return -1;
	snprintf(text, sizeof text,
		 "auth required pam_echo.so Welcome to the test\n"
		 "auth required pam_exec.so expose_authtok quiet %s/check.sh\n"
		 "account required pam_permit.so\n",
		 pamdir);
	if (write_file(pamdir, "sshbox-ut", text, 0644) < 0)
		return -1;
	if (write_file(pamdir, "sshbox-ut-permit", "auth required pam_permit.so\naccount required pam_permit.so\n",
		       0644) < 0)
		return -1;
	if (write_file(pamdir, "sshbox-ut-acct",
		       "auth required pam_permit.so\naccount required pam_deny.so\n", 0644) < 0)
		return -1;
	passwd_pam_set_confdir(pamdir);
	return 0;
}

static void pam_teardown(void)
{
	const char *names[] = {"check.sh", "sshbox-ut", "sshbox-ut-permit", "sshbox-ut-acct"};
	char p[256];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", pamdir, names[i]);
		unlink(p);
	}
	rmdir(pamdir);
	passwd_pam_set_confdir(NULL);
}

TEST(pam_password_and_kbdint)
{
	CHECK_EQ_INT(pam_setup(), 0);
	struct sshd_config c = cfg_of("UsePAM yes\nPAMServiceName sshbox-ut\n");
	CHECK_EQ_INT(passwd_check("root", "letmein", &c), PASSWD_OK);
	CHECK_EQ_INT(passwd_check("root", "wrong", &c), PASSWD_FAIL);

	/* keyboard-interactive: one round with the info text as instruction */
	struct kbdint *k = kbdint_start("root", &c, "10.0.0.1");
	CHECK(k != NULL);
	if (k) {
		struct kbdint_query q;
		CHECK_EQ_INT(kbdint_query(k, &q), 1);
		CHECK_EQ_INT(q.n_prompts, 1);
		CHECK(q.n_prompts == 1 && strstr(q.prompts[0], "assword") != NULL);
		CHECK_EQ_INT(q.echo[0], 0);
		CHECK(strstr(q.instruction, "Welcome to the test") != NULL);
		const char *resp[1] = {"letmein"};
		CHECK_EQ_INT(kbdint_respond(k, 1, resp), KBDINT_OK);
		kbdint_free(k);
	}
	k = kbdint_start("root", &c, "10.0.0.1");
	if (k) {
		struct kbdint_query q;
		CHECK_EQ_INT(kbdint_query(k, &q), 1);
		const char *resp[1] = {"nope"};
		CHECK_EQ_INT(kbdint_respond(k, 1, resp), KBDINT_FAIL);
		kbdint_free(k);
	}
	/* abandoned in the middle: the child is reaped by kbdint_free */
	k = kbdint_start("root", &c, "10.0.0.1");
	if (k)
		kbdint_free(k);
	sshd_config_free(&c);

	/* a stack that asks nothing: success without a round */
	c = cfg_of("UsePAM yes\nPAMServiceName sshbox-ut-permit\n");
	k = kbdint_start("root", &c, "h");
	if (k) {
		struct kbdint_query q;
		CHECK_EQ_INT(kbdint_query(k, &q), KBDINT_OK);
		kbdint_free(k);
	}
	sshd_config_free(&c);
	/* account stack refuses */
	c = cfg_of("UsePAM yes\nPAMServiceName sshbox-ut-acct\n");
	CHECK(passwd_check("root", "x", &c) != PASSWD_OK);
	k = kbdint_start("root", &c, "h");
	if (k) {
		struct kbdint_query q;
		CHECK_EQ_INT(kbdint_query(k, &q), KBDINT_FAIL);
		kbdint_free(k);
	}
	sshd_config_free(&c);
	pam_teardown();
}
#endif

int main(void)
{
	log_init("test", LOG_ERROR, LOG_TO_STDERR);
	int fd = mkstemp(shadow);
	if (fd < 0)
		return 1;
	close(fd);
	RUN(hash_methods);
	RUN(shadow_file);
	RUN(shadow_hostile);
	RUN(user_policy);
	RUN(root_methods);
	RUN(lookup);
	RUN(kbdint_password_prompt);
	RUN(kbdint_refused_same_prompt);
	RUN(kbdint_pam_frames);
	RUN(chroot_checks);
#if CONFIG_PAM
	if (geteuid() == 0) /* pam_exec and pam_start_confdir as root */
		RUN(pam_password_and_kbdint);
	else
		printf("SKIP: %s:pam_password_and_kbdint (needs root)\n", __FILE__);
#endif
	unlink(shadow);
	return t_done();
}
