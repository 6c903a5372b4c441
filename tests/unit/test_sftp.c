/* Unit tests for the SFTP engine: crafted request packets in, response
 * packets out, against a scratch directory. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "sftp.h"
#include "t.h"
#include "util.h"

static char dir[PATH_MAX];
static struct sftp_server *S;
static struct buf IN, OUT, REQ, RESP;
static uint32_t next_id = 100;
static uint8_t rtype;
static uint32_t rid;

static void fresh(const struct sftp_options *opt)
{
	if (S)
		sftp_free(S);
	S = sftp_new(opt);
	buf_free(&IN);
	buf_free(&OUT);
	buf_init(&IN, 0);
	buf_init(&OUT, 0);
}

/* Starts a request of a type with a fresh id in REQ. */
static uint32_t req(uint8_t type)
{
	buf_free(&REQ);
	buf_init(&REQ, 0);
	buf_put_u8(&REQ, type);
	uint32_t id = next_id++;
	buf_put_u32(&REQ, id);
	return id;
}

static void req_ext(const char *name)
{
	req(SSH_FXP_EXTENDED);
	buf_put_cstring(&REQ, name);
}

/* Takes the next response packet from OUT into RESP (type and id read). */
static int next_resp(void)
{
	uint32_t len;
	const uint8_t *p;
	buf_free(&RESP);
	buf_init(&RESP, 0);
	if (buf_get_u32(&OUT, &len) || buf_avail(&OUT) < len)
		return -1;
	p = buf_rptr(&OUT);
	buf_put(&RESP, p, len);
	buf_consume(&OUT, len);
	rtype = 0;
	rid = 0;
	if (buf_get_u8(&RESP, &rtype))
		return -1;
	if (rtype != SSH_FXP_VERSION && buf_get_u32(&RESP, &rid))
		return -1;
	return 0;
}

/* Sends REQ framed; processes; parses one response. Returns process rc. */
static int send_req(void)
{
	buf_put_buf(&IN, &REQ);
	int r = sftp_process_input(S, &IN, &OUT);
	if (r == 0 && buf_avail(&OUT))
		next_resp();
	return r;
}

static uint32_t status_code(char *msg, size_t cap)
{
	uint32_t code = 0xffffffff;
	if (rtype != SSH_FXP_STATUS || buf_get_u32(&RESP, &code))
		return 0xffffffff;
	if (msg)
		buf_get_cstring_into(&RESP, msg, cap);
	return code;
}

static void do_init(void)
{
	buf_free(&REQ);
	buf_init(&REQ, 0);
	buf_put_u8(&REQ, SSH_FXP_INIT);
	buf_put_u32(&REQ, 3);
	send_req();
}

static void path_req(uint8_t type, const char *p)
{
	req(type);
	buf_put_cstring(&REQ, p);
}

static uint32_t path_op(uint8_t type, const char *p)
{
	path_req(type, p);
	send_req();
	return status_code(NULL, 0);
}

/* Opens a file, returns the handle bytes in h (8). */
static int open_file(const char *p, uint32_t pflags, uint8_t h[8], size_t *hl)
{
	path_req(SSH_FXP_OPEN, p);
	buf_put_u32(&REQ, pflags);
	buf_put_u32(&REQ, SSH_FILEXFER_ATTR_PERMISSIONS);
	buf_put_u32(&REQ, 0644);
	send_req();
	if (rtype != SSH_FXP_HANDLE)
		return -1;
	const uint8_t *v;
	if (buf_get_string_view(&RESP, &v, hl, 256) || *hl > 8)
		return -1;
	memcpy(h, v, *hl);
	return 0;
}

static uint32_t close_handle(const uint8_t *h, size_t hl)
{
	req(SSH_FXP_CLOSE);
	buf_put_string(&REQ, h, hl);
	send_req();
	return status_code(NULL, 0);
}

TEST(init_version_and_extensions)
{
	fresh(NULL);
	/* a request before INIT ends the session */
	path_req(SSH_FXP_STAT, ".");
	CHECK_EQ_INT(send_req(), -1);
	fresh(NULL);
	do_init();
	CHECK_EQ_INT(rtype, SSH_FXP_VERSION);
	uint32_t v = 0;
	CHECK(buf_get_u32(&RESP, &v) == 0 && v == 3);
	int seen = 0;
	char name[128], data[32];
	while (buf_avail(&RESP)) {
		if (buf_get_cstring_into(&RESP, name, sizeof(name)) || buf_get_cstring_into(&RESP, data, sizeof(data)))
			break;
		const char *want[] = {"posix-rename@openssh.com", "statvfs@openssh.com", "fstatvfs@openssh.com",
		                      "hardlink@openssh.com", "fsync@openssh.com", "lsetstat@openssh.com",
		                      "limits@openssh.com", "expand-path@openssh.com", "copy-data",
		                      "home-directory", "users-groups-by-id@openssh.com"};
		for (size_t i = 0; i < ARRAY_LEN(want); i++)
			if (strcmp(name, want[i]) == 0)
				seen |= 1 << i;
	}
	CHECK_EQ_INT(seen, (1 << 11) - 1);
	CHECK_EQ_INT(buf_avail(&RESP), 0);
}

TEST(write_read_close)
{
	fresh(NULL);
	do_init();
	uint8_t h[8];
	size_t hl;
	CHECK(open_file("f1", SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC, h, &hl) == 0);
	uint32_t id = req(SSH_FXP_WRITE);
	buf_put_string(&REQ, h, hl);
	buf_put_u64(&REQ, 0);
	buf_put_cstring(&REQ, "hello sftp");
	send_req();
	CHECK_EQ_INT(rid, id);
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_OK);
	CHECK_EQ_INT(close_handle(h, hl), SSH_FX_OK);
	/* closed handle: FAILURE, not a crash */
	CHECK_EQ_INT(close_handle(h, hl), SSH_FX_FAILURE);
	struct stat st;
	CHECK(stat("f1", &st) == 0 && st.st_size == 10);

	CHECK(open_file("f1", SSH_FXF_READ, h, &hl) == 0);
	req(SSH_FXP_READ);
	buf_put_string(&REQ, h, hl);
	buf_put_u64(&REQ, 6);
	buf_put_u32(&REQ, 100);
	send_req();
	CHECK_EQ_INT(rtype, SSH_FXP_DATA);
	char data[64] = "";
	CHECK(buf_get_cstring_into(&RESP, data, sizeof(data)) == 0);
	CHECK_STR(data, "sftp");
	req(SSH_FXP_READ);
	buf_put_string(&REQ, h, hl);
	buf_put_u64(&REQ, 10);
	buf_put_u32(&REQ, 100);
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_EOF);
	/* writing through a read-only fd: EBADF -> NO_SUCH_FILE as OpenSSH maps it */
	req(SSH_FXP_WRITE);
	buf_put_string(&REQ, h, hl);
	buf_put_u64(&REQ, 0);
	buf_put_cstring(&REQ, "x");
	send_req();
	CHECK_EQ_INT(rtype, SSH_FXP_STATUS);
	/* fstat through the handle */
	req(SSH_FXP_FSTAT);
	buf_put_string(&REQ, h, hl);
	send_req();
	CHECK_EQ_INT(rtype, SSH_FXP_ATTRS);
	uint32_t fl = 0;
	uint64_t sz = 0;
	CHECK(buf_get_u32(&RESP, &fl) == 0 && (fl & SSH_FILEXFER_ATTR_SIZE) && buf_get_u64(&RESP, &sz) == 0 && sz == 10);
	CHECK_EQ_INT(close_handle(h, hl), SSH_FX_OK);
}

TEST(status_codes_for_errno)
{
	fresh(NULL);
	do_init();
	char msg[128] = "";
	path_req(SSH_FXP_STAT, "does-not-exist");
	send_req();
	CHECK_EQ_INT(status_code(msg, sizeof(msg)), SSH_FX_NO_SUCH_FILE);
	CHECK_STR(msg, "No such file");
	CHECK_EQ_INT(path_op(SSH_FXP_REMOVE, "nope/nope"), SSH_FX_NO_SUCH_FILE);
	mkdir("full", 0755);
	close(open("full/x", O_CREAT | O_WRONLY, 0644));
	path_req(SSH_FXP_RMDIR, "full");
	send_req();
	CHECK_EQ_INT(status_code(msg, sizeof(msg)), SSH_FX_FAILURE);
	CHECK_STR(msg, strerror(ENOTEMPTY));
	/* mkdir over an existing dir: EEXIST -> FAILURE */
	req(SSH_FXP_MKDIR);
	buf_put_cstring(&REQ, "full");
	buf_put_u32(&REQ, 0);
	send_req();
	CHECK_EQ_INT(status_code(msg, sizeof(msg)), SSH_FX_FAILURE);
	CHECK_STR(msg, strerror(EEXIST));
	if (geteuid() != 0) {
		mkdir("locked", 0);
		CHECK_EQ_INT(path_op(SSH_FXP_OPENDIR, "locked"), SSH_FX_PERMISSION_DENIED);
	} else {
		SKIP_PART("mode-000 directory -> PERMISSION_DENIED (root reads through modes)");
	}
	/* unknown type and unknown extension */
	req(77);
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_OP_UNSUPPORTED);
	req_ext("nonsense@example.com");
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_OP_UNSUPPORTED);
}

TEST(malformed_packets)
{
	fresh(NULL);
	do_init();
	uint32_t id;
	/* OPEN missing pflags */
	id = req(SSH_FXP_OPEN);
	buf_put_cstring(&REQ, "f1");
	CHECK_EQ_INT(send_req(), 0);
	CHECK_EQ_INT(rid, id);
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_BAD_MESSAGE);
	/* string length far beyond the packet */
	req(SSH_FXP_STAT);
	buf_put_u32(&REQ, 0xfffffff0u);
	buf_put(&REQ, "abc", 3);
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_BAD_MESSAGE);
	/* embedded NUL in a path */
	req(SSH_FXP_STAT);
	buf_put_string(&REQ, "a\0b", 3);
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_BAD_MESSAGE);
	/* path longer than PATH_MAX */
	req(SSH_FXP_LSTAT);
	{
		static char longp[PATH_MAX + 100];
		memset(longp, 'a', sizeof(longp) - 1);
		buf_put_cstring(&REQ, longp);
	}
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_BAD_MESSAGE);
	/* forged handles: wrong length, unknown slot, wrong generation */
	const uint8_t *bad[] = {(const uint8_t *)"", (const uint8_t *)"\xff\xff\xff\xff\0\0\0\1",
	                        (const uint8_t *)"\0\0\0\0\0\0\0\0", (const uint8_t *)"\0\0\0\1\x12\x34\x56\x78XY"};
	size_t badl[] = {0, 8, 8, 10};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		req(SSH_FXP_READ);
		buf_put_string(&REQ, bad[i], badl[i]);
		buf_put_u64(&REQ, 0);
		buf_put_u32(&REQ, 10);
		send_req();
		CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_FAILURE);
		req(SSH_FXP_READDIR);
		buf_put_string(&REQ, bad[i], badl[i]);
		send_req();
		CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_FAILURE);
	}
	/* attrs claiming extended pairs it doesn't carry */
	req(SSH_FXP_SETSTAT);
	buf_put_cstring(&REQ, "f1");
	buf_put_u32(&REQ, SSH_FILEXFER_ATTR_EXTENDED);
	buf_put_u32(&REQ, 0x7fffffff);
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_BAD_MESSAGE);
	/* packet too short for an id ends the session cleanly */
	buf_put_u32(&IN, 2);
	buf_put_u8(&IN, SSH_FXP_STAT);
	buf_put_u8(&IN, 0);
	CHECK_EQ_INT(sftp_process_input(S, &IN, &OUT), -1);
	/* a huge length ends the session without waiting for the bytes */
	fresh(NULL);
	do_init();
	buf_put_u32(&IN, 0x7fffffff);
	buf_put_u8(&IN, SSH_FXP_STAT);
	CHECK_EQ_INT(sftp_process_input(S, &IN, &OUT), -1);
	/* empty packet */
	fresh(NULL);
	buf_put_u32(&IN, 0);
	CHECK_EQ_INT(sftp_process_input(S, &IN, &OUT), -1);
}

TEST(partial_and_pipelined)
{
	fresh(NULL);
	do_init();
	/* 50 stats in one batch plus half of another: 50 responses, in order */
	uint32_t first = next_id;
	for (int i = 0; i < 50; i++) {
		path_req(SSH_FXP_STAT, ".");
		buf_put_buf(&IN, &REQ);
	}
	path_req(SSH_FXP_STAT, ".");
	buf_put_u32(&IN, (uint32_t)buf_avail(&REQ));
	buf_put(&IN, buf_rptr(&REQ), 3);
	CHECK_EQ_INT(sftp_process_input(S, &IN, &OUT), 0);
	int n = 0, inorder = 1;
	while (buf_avail(&OUT) && next_resp() == 0) {
		if (rtype != SSH_FXP_ATTRS || rid != first + (uint32_t)n)
			inorder = 0;
		n++;
	}
	CHECK_EQ_INT(n, 50);
	CHECK(inorder);
	CHECK_EQ_INT(buf_avail(&IN), 4 + 3);
	buf_consume(&REQ, 3);
	buf_put(&IN, buf_rptr(&REQ), buf_avail(&REQ));
	CHECK_EQ_INT(sftp_process_input(S, &IN, &OUT), 0);
	CHECK(next_resp() == 0 && rtype == SSH_FXP_ATTRS && rid == first + 50);
}

TEST(output_backpressure)
{
	fresh(NULL);
	do_init();
	int fd = open("big", O_CREAT | O_TRUNC | O_WRONLY, 0644);
	CHECK(ftruncate(fd, 4 << 20) == 0);
	close(fd);
	uint8_t h[8];
	size_t hl;
	CHECK(open_file("big", SSH_FXF_READ, h, &hl) == 0);
	for (int i = 0; i < 16; i++) {
		req(SSH_FXP_READ);
		buf_put_string(&REQ, h, hl);
		buf_put_u64(&REQ, (uint64_t)i * (256u << 10));
		buf_put_u32(&REQ, 1u << 20); /* clamped to SFTP_MAX_READ */
		buf_put_buf(&IN, &REQ);
	}
	int r = sftp_process_input(S, &IN, &OUT);
	CHECK_EQ_INT(r, 1);
	CHECK(buf_avail(&OUT) <= SFTP_OUT_HIGH + SFTP_MAX_PACKET);
	CHECK(buf_avail(&IN) > 0);
	int n = 0;
	for (;;) {
		while (buf_avail(&OUT) && next_resp() == 0) {
			uint32_t dl = 0;
			CHECK(rtype == SSH_FXP_DATA && buf_get_u32(&RESP, &dl) == 0 && dl == SFTP_MAX_READ);
			n++;
		}
		if (r != 1)
			break;
		r = sftp_process_input(S, &IN, &OUT);
	}
	CHECK_EQ_INT(n, 16);
	CHECK_EQ_INT(close_handle(h, hl), SSH_FX_OK);
}

TEST(rename_semantics_symlink_readlink)
{
	fresh(NULL);
	do_init();
	close(open("a", O_CREAT | O_WRONLY, 0644));
	close(open("b", O_CREAT | O_WRONLY, 0644));
	req(SSH_FXP_RENAME);
	buf_put_cstring(&REQ, "a");
	buf_put_cstring(&REQ, "b");
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_FAILURE); /* v3: target exists */
	CHECK(access("a", F_OK) == 0);
	req_ext("posix-rename@openssh.com");
	buf_put_cstring(&REQ, "a");
	buf_put_cstring(&REQ, "b");
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_OK);
	CHECK(access("a", F_OK) != 0 && access("b", F_OK) == 0);
	req(SSH_FXP_RENAME);
	buf_put_cstring(&REQ, "b");
	buf_put_cstring(&REQ, "c");
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_OK);
	/* OpenSSH order: target first, then the link path */
	req(SSH_FXP_SYMLINK);
	buf_put_cstring(&REQ, "c");
	buf_put_cstring(&REQ, "lnk");
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_OK);
	char t[64] = "";
	CHECK(readlink("lnk", t, sizeof(t) - 1) == 1 && t[0] == 'c');
	path_req(SSH_FXP_READLINK, "lnk");
	send_req();
	uint32_t cnt = 0;
	CHECK(rtype == SSH_FXP_NAME && buf_get_u32(&RESP, &cnt) == 0 && cnt == 1);
	CHECK(buf_get_cstring_into(&RESP, t, sizeof(t)) == 0);
	CHECK_STR(t, "c");
	/* lstat sees the link, stat the file */
	path_req(SSH_FXP_LSTAT, "lnk");
	send_req();
	uint32_t fl, perm = 0, u32;
	uint64_t sz;
	CHECK(buf_get_u32(&RESP, &fl) == 0 && buf_get_u64(&RESP, &sz) == 0 && buf_get_u32(&RESP, &u32) == 0 &&
	      buf_get_u32(&RESP, &u32) == 0 && buf_get_u32(&RESP, &perm) == 0);
	CHECK(S_ISLNK(perm));
	path_req(SSH_FXP_STAT, "lnk");
	send_req();
	CHECK(buf_get_u32(&RESP, &fl) == 0 && buf_get_u64(&RESP, &sz) == 0 && buf_get_u32(&RESP, &u32) == 0 &&
	      buf_get_u32(&RESP, &u32) == 0 && buf_get_u32(&RESP, &perm) == 0);
	CHECK(S_ISREG(perm));
	/* hardlink */
	req_ext("hardlink@openssh.com");
	buf_put_cstring(&REQ, "c");
	buf_put_cstring(&REQ, "c2");
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_OK);
	struct stat st;
	CHECK(stat("c", &st) == 0 && st.st_nlink == 2);
}

static void realpath_of(const char *p, char *out, size_t cap)
{
	path_req(SSH_FXP_REALPATH, p);
	send_req();
	uint32_t cnt = 0;
	out[0] = '\0';
	if (rtype == SSH_FXP_NAME && buf_get_u32(&RESP, &cnt) == 0 && cnt == 1)
		buf_get_cstring_into(&RESP, out, cap);
}

TEST(realpath_canonical)
{
	fresh(NULL);
	do_init();
	char r[PATH_MAX], want[PATH_MAX + 32];
	realpath_of(".", r, sizeof(r));
	CHECK_STR(r, dir);
	realpath_of("", r, sizeof(r));
	CHECK_STR(r, dir);
	mkdir("rp", 0755);
	mkdir("rp/sub", 0755);
	CHECK(symlink("rp/sub", "rplink") == 0);
	snprintf(want, sizeof(want), "%s/rp/sub", dir);
	realpath_of("rplink", r, sizeof(r));
	CHECK_STR(r, want);
	realpath_of("./rp//sub/../sub/.", r, sizeof(r));
	CHECK_STR(r, want);
	snprintf(want, sizeof(want), "%s/rp/sub/newfile", dir);
	realpath_of("rplink/newfile", r, sizeof(r));
	CHECK_STR(r, want); /* missing last component is fine */
	path_req(SSH_FXP_REALPATH, "missing/deeper");
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_NO_SUCH_FILE);
	realpath_of("/../..", r, sizeof(r));
	CHECK_STR(r, "/");
	CHECK(symlink("loop2", "loop1") == 0);
	CHECK(symlink("loop1", "loop2") == 0);
	path_req(SSH_FXP_REALPATH, "loop1/x");
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_NO_SUCH_FILE); /* ELOOP */
	/* expand-path: ~ is the home directory */
	req_ext("expand-path@openssh.com");
	buf_put_cstring(&REQ, "rp/../rp");
	send_req();
	uint32_t cnt;
	CHECK(rtype == SSH_FXP_NAME && buf_get_u32(&RESP, &cnt) == 0 && buf_get_cstring_into(&RESP, r, sizeof(r)) == 0);
	snprintf(want, sizeof(want), "%s/rp", dir);
	CHECK_STR(r, want);
}

TEST(readdir_listing)
{
	fresh(NULL);
	do_init();
	mkdir("ld", 0755);
	for (int i = 0; i < 150; i++) {
		char p[32];
		snprintf(p, sizeof(p), "ld/file%03d", i);
		close(open(p, O_CREAT | O_WRONLY, 0640));
	}
	path_req(SSH_FXP_OPENDIR, "ld");
	send_req();
	CHECK_EQ_INT(rtype, SSH_FXP_HANDLE);
	uint8_t h[8];
	const uint8_t *v;
	size_t hl = 0;
	CHECK(buf_get_string_view(&RESP, &v, &hl, 256) == 0 && hl == 8);
	memcpy(h, v, 8);
	int total = 0, batches = 0, ok_long = 1;
	for (;;) {
		req(SSH_FXP_READDIR);
		buf_put_string(&REQ, h, hl);
		send_req();
		if (rtype != SSH_FXP_NAME)
			break;
		uint32_t cnt;
		batches++;
		CHECK(buf_get_u32(&RESP, &cnt) == 0 && cnt > 0 && cnt <= 100);
		for (uint32_t i = 0; i < cnt; i++) {
			char nm[256], ln[512];
			struct buf tmp;
			CHECK(buf_get_cstring_into(&RESP, nm, sizeof(nm)) == 0);
			CHECK(buf_get_cstring_into(&RESP, ln, sizeof(ln)) == 0);
			uint32_t fl, x;
			uint64_t sz;
			CHECK(buf_get_u32(&RESP, &fl) == 0 && fl == 0xf);
			CHECK(buf_get_u64(&RESP, &sz) == 0);
			for (int k = 0; k < 5; k++)
				CHECK(buf_get_u32(&RESP, &x) == 0);
			(void)tmp;
			if (strncmp(nm, "file", 4) == 0) {
				total++;
				if (strncmp(ln, "-rw-r-----    1 ", 16) != 0 || !strstr(ln, nm))
					ok_long = 0;
			}
		}
	}
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_EOF);
	CHECK_EQ_INT(total, 150);
	CHECK(batches >= 2);
	CHECK(ok_long);
	/* a dir handle is not a file handle */
	req(SSH_FXP_READ);
	buf_put_string(&REQ, h, hl);
	buf_put_u64(&REQ, 0);
	buf_put_u32(&REQ, 10);
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_FAILURE);
	CHECK_EQ_INT(close_handle(h, hl), SSH_FX_OK);
}

TEST(readonly_and_denylist)
{
	struct sftp_options o = {.readonly = 1, .umask = -1};
	fresh(&o);
	do_init();
	close(open("ro", O_CREAT | O_WRONLY, 0644));
	uint8_t h[8];
	size_t hl;
	CHECK(open_file("ro2", SSH_FXF_WRITE | SSH_FXF_CREAT, h, &hl) != 0);
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_PERMISSION_DENIED);
	CHECK(access("ro2", F_OK) != 0);
	CHECK_EQ_INT(path_op(SSH_FXP_REMOVE, "ro"), SSH_FX_PERMISSION_DENIED);
	CHECK(access("ro", F_OK) == 0);
	req(SSH_FXP_MKDIR);
	buf_put_cstring(&REQ, "rodir");
	buf_put_u32(&REQ, 0);
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_PERMISSION_DENIED);
	CHECK(open_file("ro", SSH_FXF_READ, h, &hl) == 0); /* reads still work */
	req(SSH_FXP_WRITE);
	buf_put_string(&REQ, h, hl);
	buf_put_u64(&REQ, 0);
	buf_put_cstring(&REQ, "x");
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_PERMISSION_DENIED);
	CHECK_EQ_INT(close_handle(h, hl), SSH_FX_OK);

	struct sftp_options d = {.deny = "remove,posix-*", .umask = -1};
	fresh(&d);
	do_init();
	CHECK_EQ_INT(path_op(SSH_FXP_REMOVE, "ro"), SSH_FX_PERMISSION_DENIED);
	req_ext("posix-rename@openssh.com");
	buf_put_cstring(&REQ, "ro");
	buf_put_cstring(&REQ, "ro3");
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_PERMISSION_DENIED);
	path_req(SSH_FXP_STAT, "ro");
	send_req();
	CHECK_EQ_INT(rtype, SSH_FXP_ATTRS);

	struct sftp_options a = {.allow = "stat,lstat", .umask = -1};
	fresh(&a);
	do_init();
	path_req(SSH_FXP_STAT, "ro");
	send_req();
	CHECK_EQ_INT(rtype, SSH_FXP_ATTRS);
	CHECK_EQ_INT(path_op(SSH_FXP_OPENDIR, "."), SSH_FX_PERMISSION_DENIED);
}

TEST(handle_limit)
{
	fresh(NULL);
	do_init();
	static uint8_t hs[SFTP_MAX_HANDLES][8];
	size_t hl = 0;
	int opened = 0;
	close(open("hf", O_CREAT | O_WRONLY, 0644));
	for (int i = 0; i < SFTP_MAX_HANDLES; i++)
		if (open_file("hf", SSH_FXF_READ, hs[i], &hl) == 0)
			opened++;
	CHECK_EQ_INT(opened, SFTP_MAX_HANDLES);
	uint8_t extra[8];
	CHECK(open_file("hf", SSH_FXF_READ, extra, &hl) != 0);
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_FAILURE);
	CHECK_EQ_INT(close_handle(hs[7], 8), SSH_FX_OK);
	CHECK(open_file("hf", SSH_FXF_READ, extra, &hl) == 0);
	CHECK(memcmp(extra, hs[7], 8) != 0); /* the old handle stays dead */
	CHECK_EQ_INT(close_handle(hs[7], 8), SSH_FX_FAILURE);
	fresh(NULL); /* sftp_free closes the rest */
}

TEST(setstat_and_extensions)
{
	fresh(NULL);
	do_init();
	close(open("ss", O_CREAT | O_WRONLY, 0644));
	req(SSH_FXP_SETSTAT);
	buf_put_cstring(&REQ, "ss");
	buf_put_u32(&REQ, SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_PERMISSIONS | SSH_FILEXFER_ATTR_ACMODTIME);
	buf_put_u64(&REQ, 1234);
	buf_put_u32(&REQ, 0600);
	buf_put_u32(&REQ, 1000000);
	buf_put_u32(&REQ, 2000000);
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_OK);
	struct stat st;
	CHECK(stat("ss", &st) == 0 && st.st_size == 1234 && (st.st_mode & 07777) == 0600 && st.st_mtime == 2000000);

	req_ext("limits@openssh.com");
	send_req();
	uint64_t l[4] = {0};
	CHECK_EQ_INT(rtype, SSH_FXP_EXTENDED_REPLY);
	for (int i = 0; i < 4; i++)
		CHECK(buf_get_u64(&RESP, &l[i]) == 0);
	CHECK_EQ_INT(l[0], SFTP_MAX_PACKET);
	CHECK_EQ_INT(l[1], SFTP_MAX_READ);
	CHECK_EQ_INT(l[3], SFTP_MAX_HANDLES);

	req_ext("statvfs@openssh.com");
	buf_put_cstring(&REQ, ".");
	send_req();
	CHECK_EQ_INT(rtype, SSH_FXP_EXTENDED_REPLY);
	CHECK_EQ_INT(buf_avail(&RESP), 11 * 8);

	/* copy-data: 1000 bytes from offset 10 */
	int fd = open("src", O_CREAT | O_TRUNC | O_WRONLY, 0644);
	char data[2048];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	CHECK(write(fd, data, sizeof(data)) == (ssize_t)sizeof(data));
	close(fd);
	uint8_t rh[8], wh[8];
	size_t rl, wl;
	CHECK(open_file("src", SSH_FXF_READ, rh, &rl) == 0);
	CHECK(open_file("dst", SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC, wh, &wl) == 0);
	req_ext("copy-data");
	buf_put_string(&REQ, rh, rl);
	buf_put_u64(&REQ, 10);
	buf_put_u64(&REQ, 1000);
	buf_put_string(&REQ, wh, wl);
	buf_put_u64(&REQ, 0);
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_OK);
	req_ext("fsync@openssh.com");
	buf_put_string(&REQ, wh, wl);
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_OK);
	close_handle(rh, rl);
	close_handle(wh, wl);
	char got[1100];
	fd = open("dst", O_RDONLY);
	CHECK(read(fd, got, sizeof(got)) == 1000 && memcmp(got, data + 10, 1000) == 0);
	close(fd);

	req_ext("users-groups-by-id@openssh.com");
	{
		struct buf ids;
		buf_init(&ids, 0);
		buf_put_u32(&ids, 0);
		buf_put_u32(&ids, 4000000000u);
		buf_put_buf(&REQ, &ids);
		buf_reset(&ids);
		buf_put_u32(&ids, 0);
		buf_put_buf(&REQ, &ids);
		buf_free(&ids);
	}
	send_req();
	CHECK_EQ_INT(rtype, SSH_FXP_EXTENDED_REPLY);
	struct buf names;
	char n1[64] = "?", n2[64] = "?";
	CHECK(buf_get_string_buf(&RESP, &names, 1024) == 0 && buf_get_cstring_into(&names, n1, sizeof(n1)) == 0 &&
	      buf_get_cstring_into(&names, n2, sizeof(n2)) == 0);
	CHECK_STR(n1, "root");
	CHECK_STR(n2, "");
	/* 60000 ids: names do not fit one reply -> FAILURE, session goes on */
	req_ext("users-groups-by-id@openssh.com");
	{
		struct buf ids;
		buf_init(&ids, 0);
		for (int i = 0; i < 60000; i++)
			buf_put_u32(&ids, 0);
		buf_put_buf(&REQ, &ids);
		buf_put_string(&REQ, "", 0);
		buf_free(&ids);
	}
	CHECK_EQ_INT(send_req(), 0);
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_FAILURE);
	/* users-groups-by-id with a ragged id list */
	req_ext("users-groups-by-id@openssh.com");
	buf_put_string(&REQ, "abc", 3);
	buf_put_string(&REQ, "", 0);
	send_req();
	CHECK_EQ_INT(status_code(NULL, 0), SSH_FX_BAD_MESSAGE);
}

TEST(serve_over_socketpair)
{
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		_exit(sftp_serve(sv[1], sv[1], NULL));
	}
	close(sv[1]);
	struct buf w;
	buf_init(&w, 0);
	buf_put_u32(&w, 5);
	buf_put_u8(&w, SSH_FXP_INIT);
	buf_put_u32(&w, 3);
	for (uint32_t i = 0; i < 200; i++) {
		buf_put_u32(&w, 1 + 4 + 4 + 1);
		buf_put_u8(&w, SSH_FXP_STAT);
		buf_put_u32(&w, i);
		buf_put_cstring(&w, ".");
	}
	CHECK(write_full(sv[0], buf_rptr(&w), buf_avail(&w)) == 0);
	shutdown(sv[0], SHUT_WR);
	buf_free(&w);
	buf_init(&w, 0);
	uint8_t tmp[65536];
	ssize_t n;
	while ((n = read(sv[0], tmp, sizeof(tmp))) > 0)
		buf_put(&w, tmp, (size_t)n);
	int st = -1;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	uint32_t len;
	uint8_t type;
	int attrs = 0, order = 1;
	CHECK(buf_get_u32(&w, &len) == 0 && buf_get_u8(&w, &type) == 0 && type == SSH_FXP_VERSION);
	buf_consume(&w, len - 1);
	for (uint32_t i = 0; buf_get_u32(&w, &len) == 0; i++) {
		uint32_t id;
		if (buf_get_u8(&w, &type) || buf_get_u32(&w, &id) || buf_consume(&w, len - 5))
			break;
		attrs += type == SSH_FXP_ATTRS;
		order &= id == i;
	}
	CHECK_EQ_INT(attrs, 200);
	CHECK(order);
	buf_free(&w);
	close(sv[0]);
}

int main(void)
{
	char tmpl[] = "/tmp/sftp-unit.XXXXXX";
	if (!mkdtemp(tmpl) || chdir(tmpl) != 0 || !getcwd(dir, sizeof(dir))) {
		perror("setup");
		return 1;
	}
	RUN(init_version_and_extensions);
	RUN(write_read_close);
	RUN(status_codes_for_errno);
	RUN(malformed_packets);
	RUN(partial_and_pipelined);
	RUN(output_backpressure);
	RUN(rename_semantics_symlink_readlink);
	RUN(realpath_canonical);
	RUN(readdir_listing);
	RUN(readonly_and_denylist);
	RUN(handle_limit);
	RUN(setstat_and_extensions);
	RUN(serve_over_socketpair);
	sftp_free(S);
	buf_free(&IN);
	buf_free(&OUT);
	buf_free(&REQ);
	buf_free(&RESP);
	char cmd[PATH_MAX + 32];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (chdir("/") != 0 || system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", dir);
	return t_done();
}
