/* Unit tests for shared/sessionspec: round trip and hostile encodings. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "sessionspec.h"
#include "t.h"

static void fill(struct session_spec *s)
{
	sessionspec_init(s);
	uint32_t g[3] = {1000, 27, 100};
	sessionspec_set(&s->user, "alice");
	s->uid = 1000;
	s->gid = 1000;
	sessionspec_set_groups(s, g, 3);
	sessionspec_set(&s->home, "/home/alice");
	sessionspec_set(&s->shell, "/bin/bash");
	s->kind = SPEC_KIND_EXEC;
	sessionspec_set(&s->command, "echo 'hi there'; exit 3");
	s->pty = 1;
	sessionspec_set(&s->term, "xterm-256color");
	sessionspec_set(&s->tty, "/dev/pts/7");
	sessionspec_set(&s->client_addr, "127.0.0.1");
	s->client_port = 54321;
	sessionspec_set(&s->server_addr, "127.0.0.1");
	s->server_port = 2222;
	sessionspec_add_env(s, "LANG", "C.UTF-8");
	sessionspec_add_env(s, "LC_ALL", "de_DE");
	sessionspec_add_env(s, "LANG", "en_US.UTF-8"); /* replaces */
	sessionspec_set(&s->original_command, "ls -l");
	s->use_pam = 1;
	sessionspec_set(&s->pam_service, "sshbox");
	s->utmp = 1;
	sessionspec_set(&s->utmp_path, "/var/run/utmp");
	sessionspec_set(&s->wtmp_path, "/var/log/wtmp");
	s->audit = 1;
	s->print_motd = 1;
	s->flags = SPEC_FLAG_FORCED_COMMAND;
}

TEST(round_trip)
{
	struct session_spec a, b;
	fill(&a);
	CHECK_EQ_INT(a.nenv, 2);
	struct buf w;
	buf_init(&w, SESSIONSPEC_MAX_SIZE + 4);
	CHECK_EQ_INT(sessionspec_encode(&a, &w), BUF_OK);
	CHECK_EQ_INT(sessionspec_decode(&w, &b), BUF_OK);
	CHECK_EQ_INT(buf_avail(&w), 0);
	CHECK_STR(b.user, "alice");
	CHECK_EQ_INT(b.uid, 1000);
	CHECK_EQ_INT(b.ngroups, 3);
	CHECK_EQ_INT(b.groups[1], 27);
	CHECK_STR(b.home, "/home/alice");
	CHECK_STR(b.shell, "/bin/bash");
	CHECK_EQ_INT(b.kind, SPEC_KIND_EXEC);
	CHECK_STR(b.command, "echo 'hi there'; exit 3");
	CHECK(b.subsystem == NULL);
	CHECK_EQ_INT(b.pty, 1);
	CHECK_STR(b.term, "xterm-256color");
	CHECK_STR(b.tty, "/dev/pts/7");
	CHECK_EQ_INT(b.client_port, 54321);
	CHECK_EQ_INT(b.server_port, 2222);
	CHECK_EQ_INT(b.nenv, 2);
	CHECK_STR(b.env[0], "LANG=en_US.UTF-8");
	CHECK_STR(b.env[1], "LC_ALL=de_DE");
	CHECK_STR(b.original_command, "ls -l");
	CHECK(b.auth_sock == NULL);
	CHECK_EQ_INT(b.use_pam, 1);
	CHECK_STR(b.pam_service, "sshbox");
	CHECK_STR(b.wtmp_path, "/var/log/wtmp");
	CHECK(b.chroot_dir == NULL);
	CHECK_EQ_INT(b.print_motd, 1);
	CHECK_EQ_INT(b.flags, SPEC_FLAG_FORCED_COMMAND);
	sessionspec_free(&a);
	sessionspec_free(&b);
	buf_free(&w);
}

TEST(via_pipe)
{
	struct session_spec a, b;
	fill(&a);
	/* a big command: more than a default pipe's 64 KiB */
	char *big = malloc(200000);
	memset(big, 'x', 199999);
	big[199999] = 0;
	sessionspec_set(&a.command, big);
	int fd = sessionspec_pipe(&a);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_EQ_INT(sessionspec_read_fd(fd, &b), 0);
		CHECK(b.command && strlen(b.command) == 199999);
		sessionspec_free(&b);
		close(fd);
	}
	free(big);
	sessionspec_free(&a);
}

/* Every strict prefix of a valid encoding is rejected, none crashes. */
TEST(truncated)
{
	struct session_spec a, b;
	fill(&a);
	struct buf w;
	buf_init(&w, SESSIONSPEC_MAX_SIZE + 4);
	sessionspec_encode(&a, &w);
	size_t n = buf_avail(&w);
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		struct buf v;
		buf_view(&v, buf_rptr(&w), i);
		if (sessionspec_decode(&v, &b) == BUF_OK)
			bad++;
		CHECK(b.user == NULL); /* left empty on failure */
	}
	CHECK_EQ_INT(bad, 0);
	/* body shorter than its own length field says: rewrite length */
	uint8_t *p = (uint8_t *)buf_rptr(&w);
	for (size_t cut = 1; cut < 40; cut++) {
		uint8_t copy[8192];
		CHECK(n < sizeof(copy));
		memcpy(copy, p, n);
		store_be32(copy, (uint32_t)(n - 4 - cut));
		struct buf v;
		buf_view(&v, copy, n - cut);
		CHECK(sessionspec_decode(&v, &b) != BUF_OK);
	}
	/* trailing garbage */
	{
		uint8_t copy[8192];
		memcpy(copy, p, n);
		copy[n] = 0;
		store_be32(copy, (uint32_t)(n - 4 + 1));
		struct buf v;
		buf_view(&v, copy, n + 1);
		CHECK_EQ_INT(sessionspec_decode(&v, &b), BUF_ERR_FORMAT);
	}
	sessionspec_free(&a);
	buf_free(&w);
}

static void put_header(struct buf *b)
{
	buf_put_u32(b, SESSIONSPEC_MAGIC);
	buf_put_u32(b, SESSIONSPEC_VERSION);
	buf_put_cstring(b, "u");
	buf_put_u32(b, 1);
	buf_put_u32(b, 1);
}

static int decode_body(const struct buf *body)
{
	struct buf f;
	buf_init(&f, SESSIONSPEC_MAX_SIZE + 8);
	buf_put_u32(&f, (uint32_t)buf_avail(body));
	buf_put(&f, buf_rptr(body), buf_avail(body));
	struct session_spec s;
	int r = sessionspec_decode(&f, &s);
	sessionspec_free(&s);
	buf_free(&f);
	return r;
}

TEST(oversized_counts)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	put_header(&b);
	buf_put_u32(&b, 0xffffffffu); /* ngroups */
	CHECK(decode_body(&b) != BUF_OK);
	buf_reset(&b);
	put_header(&b);
	buf_put_u32(&b, SESSIONSPEC_MAX_GROUPS); /* plausible count, no data */
	CHECK(decode_body(&b) != BUF_OK);
	/* huge frame length */
	uint8_t hdr[4];
	store_be32(hdr, 0xfffffff0u);
	struct buf v;
	struct session_spec s;
	buf_view(&v, hdr, 4);
	CHECK_EQ_INT(sessionspec_decode(&v, &s), BUF_ERR_LIMIT);
	/* bad magic */
	buf_reset(&b);
	buf_put_u32(&b, 0x41414141);
	buf_put_u32(&b, SESSIONSPEC_VERSION);
	CHECK_EQ_INT(decode_body(&b), BUF_ERR_FORMAT);
	buf_free(&b);
	/* too many env entries refused at build time */
	struct session_spec a;
	sessionspec_init(&a);
	int fails = 0;
	char name[32];
	for (int i = 0; i < (int)SESSIONSPEC_MAX_ENV + 5; i++) {
		snprintf(name, sizeof(name), "V%d", i);
		if (sessionspec_add_env(&a, name, "x") != 0)
			fails++;
	}
	CHECK_EQ_INT(fails, 5);
	CHECK(sessionspec_add_env(&a, "A=B", "x") != 0);
	CHECK(sessionspec_add_env(&a, "", "x") != 0);
	sessionspec_free(&a);
}

TEST(nul_in_strings)
{
	struct session_spec a;
	fill(&a);
	struct buf w;
	buf_init(&w, SESSIONSPEC_MAX_SIZE + 4);
	sessionspec_encode(&a, &w);
	/* replace the 'l' of "alice" (user, right after the header) with NUL */
	uint8_t copy[8192];
	size_t n = buf_avail(&w);
	memcpy(copy, buf_rptr(&w), n);
	size_t at = 4 + 8 + 4 + 1;
	CHECK(copy[at] == 'l');
	copy[at] = 0;
	struct buf v;
	struct session_spec s;
	buf_view(&v, copy, n);
	CHECK_EQ_INT(sessionspec_decode(&v, &s), BUF_ERR_FORMAT);
	/* an env entry without '=' */
	struct buf b;
	buf_init(&b, 1 << 16);
	put_header(&b);
	buf_put_u32(&b, 0);
	buf_put_cstring(&b, "/h");
	buf_put_cstring(&b, "/bin/sh");
	buf_put_u32(&b, SPEC_KIND_SHELL);
	buf_put_u8(&b, 0);
	buf_put_u8(&b, 0);
	buf_put_u8(&b, 0);
	buf_put_u8(&b, 0);
	buf_put_u8(&b, 0);
	buf_put_cstring(&b, "1.2.3.4");
	buf_put_u32(&b, 1);
	buf_put_cstring(&b, "5.6.7.8");
	buf_put_u32(&b, 2);
	buf_put_u32(&b, 1);
	buf_put_cstring(&b, "NOEQUALS");
	CHECK_EQ_INT(decode_body(&b), BUF_ERR_FORMAT);
	buf_free(&b);
	buf_free(&w);
	sessionspec_free(&a);
}

TEST(kind_needs_command)
{
	struct session_spec a, b;
	fill(&a);
	sessionspec_set(&a.command, NULL);
	struct buf w;
	buf_init(&w, SESSIONSPEC_MAX_SIZE + 4);
	sessionspec_encode(&a, &w);
	CHECK_EQ_INT(sessionspec_decode(&w, &b), BUF_ERR_FORMAT);
	a.kind = 99;
	buf_reset(&w);
	sessionspec_encode(&a, &w);
	CHECK_EQ_INT(sessionspec_decode(&w, &b), BUF_ERR_FORMAT);
	buf_free(&w);
	sessionspec_free(&a);
}

int main(void)
{
	RUN(round_trip);
	RUN(via_pipe);
	RUN(truncated);
	RUN(oversized_counts);
	RUN(nul_in_strings);
	RUN(kind_needs_command);
	return t_done();
}
