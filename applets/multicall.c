/* multicall: the dispatcher of both executables.
 *
 * Built twice: without SSHBOX_HELPER it is main() of `sshbox` (six applets);
 * with -DSSHBOX_HELPER=1 it is main() of `sshbox-helper` (the four child
 * applets only). basename(argv[0]) selects the applet; if it is the binary's
 * own name (anything containing "sshbox"), argv[1] does: `sshbox APPLET
 * ARGS...`. Children spawned by shared/spawn.c always get argv[0] = applet.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "applets.h"
#include "config.h"
#include "buildinfo.h"
#ifndef SSHBOX_HELPER
#include "spawn.h"
#endif

#ifndef SSHBOX_VERSION
#define SSHBOX_VERSION "unknown"
#endif

#ifdef SSHBOX_HELPER
#define PROGNAME "sshbox-helper"
#else
#define PROGNAME "sshbox"
extern const unsigned char sshbox_helper_blob[];
extern const unsigned char sshbox_helper_blob_end[];
#endif

struct applet {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *alias_of; /* NULL for a real applet */
	const char *summary;
};

/* Sorted by name (strcmp order): looked up with bsearch. */
static const struct applet applets[] = {
	{"checkhomedir", applet_checkhomedir_main, NULL, "check a home directory is usable (child)"},
#ifndef SSHBOX_HELPER
	{"debug", applet_debug_main, NULL, "talk to a running daemon's debug service"},
#endif
	{"exec", applet_exec_main, NULL, "session process: PAM, utmp, shell (child)"},
	{"networking", applet_networking_main, NULL, "socket operations as the user (child)"},
	{"sftp", applet_sftp_main, NULL, "SFTP server (child)"},
	{"sftp-server", applet_sftp_main, "sftp", "alias of sftp, for OpenSSH's Subsystem line"},
#ifndef SSHBOX_HELPER
	{"sshd", applet_sshd_main, NULL, "the SSH daemon"},
#endif
};

static int cmp_applet(const void *key, const void *elem)
{
	return strcmp((const char *)key, ((const struct applet *)elem)->name);
}

static const struct applet *find_applet(const char *name)
{
	return bsearch(name, applets, sizeof(applets) / sizeof(applets[0]), sizeof(applets[0]), cmp_applet);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static void list_applets(FILE *out, const char *sep, int aliases)
{
	int first = 1;
	for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++) {
		if (applets[i].alias_of && !aliases)
			continue;
		fprintf(out, "%s%s", first ? "" : sep, applets[i].name);
		first = 0;
	}
}

static void usage(FILE *out)
{
	fprintf(out,
		"%s %s: multicall SSH server (%s flavour)\n"
		"usage: %s APPLET [ARGS...]   or   APPLET [ARGS...] (via a link named APPLET)\n"
		"       %s --list | --install [-s] DIR | --help [APPLET] | --version | --features\n"
		"applets:\n",
		PROGNAME, SSHBOX_VERSION, SSHBOX_FLAVOR, PROGNAME, PROGNAME);
	for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++)
		fprintf(out, "  %-13s %s\n", applets[i].name, applets[i].summary);
	fprintf(out, "Run `%s APPLET --help` for an applet's options.\n", PROGNAME);
}

static int unknown(const char *name)
{
	fprintf(stderr, "%s: unknown applet '%.64s'; known applets: ", PROGNAME, name);
	list_applets(stderr, ", ", 1);
	fputc('\n', stderr);
	return 127;
}

static int run_applet(const struct applet *a, int argc, char **argv)
{
	/* Exec through a memfd makes comm the fd number: name the process. */
	char comm[16];
	snprintf(comm, sizeof(comm), "%s", a->alias_of ? a->alias_of : a->name);
	(void)prctl(PR_SET_NAME, comm, 0, 0, 0);
	return a->main(argc, argv);
}

/* --install [-s] DIR: a link per applet (and alias) to this executable. An
 * existing entry is replaced only when it already is a link to us (same
 * inode, or a symlink); anything else is left alone and reported. */
static int install(int argc, char **argv)
{
	int sym = 0, i = 0;
	if (i < argc && strcmp(argv[i], "-s") == 0) {
		sym = 1;
		i++;
	}
	if (argc - i != 1) {
		fprintf(stderr, "usage: %s --install [-s] DIR\n", PROGNAME);
		return 2;
	}
	const char *dir = argv[i];
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || (size_t)n >= sizeof(self) - 1) {
		perror(PROGNAME ": readlink /proc/self/exe");
		return 1;
	}
	self[n] = '\0';
	if (self[0] != '/' || strstr(self, " (deleted)")) {
		fprintf(stderr, "%s: cannot install from %s (not a file on disk)\n", PROGNAME, self);
		return 1;
	}
	struct stat self_st;
	if (stat(self, &self_st) != 0) {
		perror(PROGNAME ": stat self");
		return 1;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		fprintf(stderr, "%s: %s: %s\n", PROGNAME, dir, strerror(errno));
		return 1;
	}
	int rc = 0;
	for (size_t k = 0; k < sizeof(applets) / sizeof(applets[0]); k++) {
		const char *name = applets[k].name;
		struct stat st;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			int ours = S_ISLNK(st.st_mode) || (st.st_dev == self_st.st_dev && st.st_ino == self_st.st_ino);
			if (!ours) {
				fprintf(stderr, "%s: %s/%s exists and is not a link to %s; skipped\n", PROGNAME, dir,
					name, PROGNAME);
				rc = 1;
				continue;
			}
			if (unlinkat(dfd, name, 0) != 0) {
				fprintf(stderr, "%s: %s/%s: %s\n", PROGNAME, dir, name, strerror(errno));
				rc = 1;
				continue;
			}
		}
		int r = sym ? symlinkat(self, dfd, name) : linkat(AT_FDCWD, self, dfd, name, 0);
		if (r != 0) {
			fprintf(stderr, "%s: %s %s/%s: %s\n", PROGNAME, sym ? "symlink" : "link", dir, name,
				strerror(errno));
			rc = 1;
		}
	}
	close(dfd);
	return rc;
}

int main(int argc, char **argv)
{
#ifndef SSHBOX_HELPER
	spawn_set_embedded_image(sshbox_helper_blob, (size_t)(sshbox_helper_blob_end - sshbox_helper_blob));
#endif
	if (argc < 1 || !argv[0]) {
		fprintf(stderr, "%s: no argv[0]\n", PROGNAME);
		return 127;
	}
	const char *name = base_name(argv[0]);
	const struct applet *a = find_applet(name);
	if (a)
		return run_applet(a, argc, argv);
	if (!strstr(name, "sshbox"))
		return unknown(name);

	/* Invoked as the multicall binary itself. */
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--list") == 0) {
		for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++)
			if (!applets[i].alias_of)
				printf("%s\n", applets[i].name);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		if (argc >= 3) {
			const struct applet *h = find_applet(argv[2]);
			if (!h)
				return unknown(argv[2]);
			char *hargv[] = {(char *)h->name, "--help", NULL};
			return run_applet(h, 2, hargv);
		}
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("%s %s (%s flavour)\n", PROGNAME, SSHBOX_VERSION, SSHBOX_FLAVOR);
		return 0;
	}
	if (strcmp(cmd, "--features") == 0) {
		sshbox_features_print(stdout);
		return 0;
	}
	if (strcmp(cmd, "--install") == 0)
		return install(argc - 2, argv + 2);
#ifndef SSHBOX_HELPER
	if (strcmp(cmd, "--spawn-selftest") == 0)
		return spawn_selftest_main(argc - 1, argv + 1);
#endif
	if (cmd[0] == '-') {
		fprintf(stderr, "%s: unknown option '%.64s'\n", PROGNAME, cmd);
		usage(stderr);
		return 2;
	}
	a = find_applet(cmd);
	if (!a)
		return unknown(cmd);
	return run_applet(a, argc - 1, argv + 1);
}
