/* Feeds arbitrary bytes to the SFTP engine as a stream of request packets
 * (after a valid INIT), inside a scratch directory. Each input runs in a
 * fresh subdirectory with a couple of files so opens, reads, readdirs,
 * renames and removes touch real objects; nothing may crash or leak.
 *
 * Safety: the engine has no path jail, so an input that contains a '/'
 * byte (the only way to name anything outside the work directory: an
 * absolute path, "../x", or a symlink to either) runs in read-only mode;
 * every other input may also write, rename and remove inside the work
 * directory. */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "sftp.h"

static char root[PATH_MAX];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		return rmdir(p) == 0 ? 0 : -1;
	return unlink(p) == 0 ? 0 : -1;
}

static int chmod_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)f;
	if (flag == FTW_D || flag == FTW_DNR)
		chmod(p, 0700);
	(void)st;
	return 0;
}

/* Removes d and everything under it without leaving the process. */
static void wipe(const char *d)
{
	struct stat st;
	if (lstat(d, &st) != 0)
		return;
	nftw(d, chmod_one, 16, FTW_PHYS);
	if (nftw(d, rm_one, 16, FTW_PHYS | FTW_DEPTH) != 0)
		abort();
}

static void cleanup(void)
{
	if (chdir("/") == 0)
		wipe(root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz_sftp", LOG_ERROR, LOG_TO_STDERR);
	char tmpl[] = "/tmp/fuzz-sftp.XXXXXX";
	if (!mkdtemp(tmpl))
		abort();
	snprintf(root, sizeof(root), "%s", tmpl);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char work[PATH_MAX + 8];
	snprintf(work, sizeof(work), "%s/w", root);
	if (chdir(root) != 0)
		abort();
	chmod(work, 0755); /* inputs may chmod it */
	wipe(work);
	if (mkdir(work, 0755) != 0 || chdir(work) != 0)
		abort();
	int fd = open("a", O_CREAT | O_WRONLY, 0644);
	if (fd >= 0) {
		if (write(fd, "0123456789abcdef", 16) != 16)
			abort();
		close(fd);
	}
	mkdir("d", 0755);
	if (symlink("a", "l") != 0)
		abort();

	struct sftp_options opt = {.umask = -1, .readonly = memchr(data, '/', size) != NULL};
	struct sftp_server *s = sftp_new(&opt);
	struct buf in, out;
	buf_init(&in, 0);
	buf_init(&out, 0);
	buf_put_u32(&in, 5);
	buf_put_u8(&in, SSH_FXP_INIT);
	buf_put_u32(&in, 3);
	buf_put(&in, data, size);
	int r;
	while ((r = sftp_process_input(s, &in, &out)) == 1)
		buf_consume(&out, buf_avail(&out));
	sftp_free(s);
	buf_free(&in);
	buf_free(&out);
	if (chdir(root) != 0)
		abort();
	return 0;
}
