/* multicall: the dispatcher of both executables.
 *
 * Built twice: without SSHBOX_HELPER it is main() of `sshbox` (every applet
 * of applets.def); with -DSSHBOX_HELPER=1 it is main() of `sshbox-helper`
 * (the HELPER-side child applets only). basename(argv[0]) selects the applet; if it is the binary's
 * own name (anything containing "sshbox"), argv[1] does: `sshbox APPLET
 * ARGS...`. Children spawned by shared/spawn.c always get argv[0] = applet.
 */
#include <errno.h>
#include <stddef.h>
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

/* Generated from applets.def. The helper build keeps the HELPER side only;
 * an entry whose build condition is 0 is left out of both. */
#define SIDE_HELPER 1
#define SIDE_DAEMON 0
#ifdef SSHBOX_HELPER
#define IN_THIS_BINARY(side, enabled) (SIDE_##side && (enabled))
#else
#define IN_THIS_BINARY(side, enabled) (enabled)
#endif
#define APPLET(name, side, enabled, summary)                                                                 \
	{#name, IN_THIS_BINARY(side, enabled) ? applet_##name##_main : NULL, NULL, summary},
#define ALIAS(name, target, side, enabled, summary)                                                          \
	{#name, IN_THIS_BINARY(side, enabled) ? applet_##target##_main : NULL, #target, summary},
static const struct applet all_applets[] = {
#include "applets.def"
};
#undef APPLET
#undef ALIAS
#define N_APPLETS (sizeof(all_applets) / sizeof(all_applets[0]))

/* The entries built into this binary; a NULL main marks one left out. */
#define FOR_EACH_APPLET(a)                                                                                   \
	for (const struct applet *a = all_applets; a < all_applets + N_APPLETS; a++)                         \
		if (a->main)

static const struct applet *find_applet(const char *name)
{
	FOR_EACH_APPLET(a)
	{
		if (strcmp(a->name, name) == 0)
			return a;
	}
	return NULL;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static void list_applets(FILE *out, const char *sep, int aliases)
{
	int first = 1;
	FOR_EACH_APPLET(a)
	{
		if (a->alias_of && !aliases)
			continue;
		fprintf(out, "%s%s", first ? "" : sep, a->name);
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
	FOR_EACH_APPLET(a)
	{
		fprintf(out, "  %-13s %s\n", a->name, a->summary);
	}
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
	FOR_EACH_APPLET(a)
	{
		const char *name = a->name;
		struct stat st;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			int ours = S_ISLNK(st.st_mode) ||
				   (st.st_dev == self_st.st_dev && st.st_ino == self_st.st_ino);
			if (!ours) {
				fprintf(stderr, "%s: %s/%s exists and is not a link to %s; skipped\n",
					PROGNAME, dir, name, PROGNAME);
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
		FOR_EACH_APPLET(e)
		{
			if (!e->alias_of)
				printf("%s\n", e->name);
		}
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
