/* checkhomedir: tells whether a home directory is usable by the user this
 * process runs as. The caller drops privileges before exec (spawn_opts
 * child_setup) or the exec applet runs it as the user; it never changes
 * anything. Exit codes (Teleport's): 0 usable, 254 missing, 253 not
 * accessible, 255 any other failure (bad usage, I/O errors, path too long).
 *
 * `checkhomedir --self-test` is the helper self-test used by shared/spawn.c:
 * it prints one line "self-test ok pid=N fds=0,1,2,..." (the fds it found
 * open, which lets tests verify fd mapping and closing), then reads stdin
 * until EOF (immediately for /dev/null; a pipe lets a test keep the child
 * alive to inspect /proc/PID), and exits 0. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "applets.h"

enum { HOME_OK = 0, HOME_MISSING = 254, HOME_NOACCESS = 253, HOME_FAIL = 255 };

static int quiet;

static void say(const char *what, const char *path, int err)
{
	if (quiet)
		return;
	if (err)
		fprintf(stderr, "checkhomedir: %s: %s: %s\n", path, what, strerror(err));
	else
		fprintf(stderr, "checkhomedir: %s: %s\n", path, what);
}

static int self_test(void)
{
	char line[512];
	size_t n = (size_t)snprintf(line, sizeof(line), "self-test ok pid=%ld fds=", (long)getpid());
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		int self = dirfd(d), first = 1, count = 0;
		struct dirent *e;
		while ((e = readdir(d)) != NULL && count < 64) {
			if (e->d_name[0] == '.')
				continue;
			char *end;
			long fd = strtol(e->d_name, &end, 10);
			if (*end || fd == self)
				continue;
			if (n < sizeof(line))
				n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%ld", first ? "" : ",", fd);
			first = 0;
			count++;
		}
		closedir(d);
	} else if (n < sizeof(line)) {
		n += (size_t)snprintf(line + n, sizeof(line) - n, "?");
	}
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* Output is best effort: the daemon's self-test gives us /dev/null. */
	ssize_t w = write(1, line, n);
	(void)w;
	if (!isatty(0)) {
		char tmp[256];
		for (int i = 0; i < 4096; i++) { /* bounded: at most 1 MiB of input */
			ssize_t r = read(0, tmp, sizeof(tmp));
			if (r == 0 || (r < 0 && errno != EINTR))
				break;
		}
	}
	return 0;
}

static int check(const char *home)
{
	if (!home || !*home) {
		say("no home directory given and $HOME is unset", "(none)", 0);
		return HOME_FAIL;
	}
	if (home[0] != '/') {
		say("not an absolute path", home, 0);
		return HOME_FAIL;
	}
	if (strlen(home) >= PATH_MAX) {
		say("path too long", "(home)", 0);
		return HOME_FAIL;
	}
	struct stat st;
	if (stat(home, &st) != 0) {
		int e = errno;
		if (e == ENOENT || e == ENOTDIR) {
			say("does not exist", home, 0);
			return HOME_MISSING;
		}
		if (e == EACCES) {
			say("not accessible", home, e);
			return HOME_NOACCESS;
		}
		say("stat failed", home, e);
		return HOME_FAIL;
	}
	if (!S_ISDIR(st.st_mode)) {
		say("not a directory", home, 0);
		return HOME_MISSING;
	}
	/* The session will chdir there as this user: that needs search (x)
	 * permission only (0711 homes are fine); test by doing it. */
	if (faccessat(AT_FDCWD, home, X_OK, AT_EACCESS) != 0 || chdir(home) != 0) {
		int e = errno;
		if (e == EACCES || e == EPERM) {
			say("not accessible", home, e);
			return HOME_NOACCESS;
		}
		if (e == ENOENT || e == ENOTDIR) {
			say("does not exist", home, 0);
			return HOME_MISSING;
		}
		say("cannot enter", home, e);
		return HOME_FAIL;
	}
	if (!quiet)
		fprintf(stderr, "checkhomedir: %s: ok\n", home);
	return HOME_OK;
}

static void usage(FILE *out)
{
	fputs("usage: checkhomedir [-q] [DIR]\n"
	      "Checks that DIR (default $HOME) exists and can be entered by the calling user.\n"
	      "Exit status: 0 usable, 254 missing, 253 not accessible, 255 other failure.\n"
	      "  -q           no message on stderr\n"
	      "  --self-test  helper self-test (prints open fds, waits for EOF on stdin)\n",
	      out);
}

int applet_checkhomedir_main(int argc, char **argv)
{
	const char *dir = NULL;
	quiet = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--self-test") == 0)
			return self_test();
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			quiet = 1;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			if (i + 1 < argc)
				dir = argv[i + 1];
			if (i + 2 < argc) {
				usage(stderr);
				return HOME_FAIL;
			}
			break;
		}
		if (a[0] == '-' || dir) {
			usage(stderr);
			return HOME_FAIL;
		}
		dir = a;
	}
	if (!dir)
		dir = getenv("HOME");
	return check(dir);
}
