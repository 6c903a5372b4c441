/* sshd_config: arbitrary text through the whole configuration pipeline.
 *
 * Input layout (parts separated by NUL bytes, all optional):
 *     config text \0 sshd -T -C spec \0 -o options, one per line
 * The -o options are applied first (as the sshd applet does), then the
 * text is loaded, finalized, dumped (-T) to /dev/null; then the Match
 * blocks are evaluated for the -C spec (or a fixed connection when the spec
 * does not parse) and the effective config is dumped and freed.
 * Inputs mentioning "include" are skipped: Include reads files and globs
 * (the file side of it is covered by the unit tests). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzzutil.h"
#include "sshd_config.h"

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init();
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	/* finalize derives DataDirectory from these; keep it deterministic */
	setenv("HOME", "/nonexistent-fuzz-home", 1);
	unsetenv("XDG_STATE_HOME");
	return 0;
}

static int mentions_include(const uint8_t *data, size_t size)
{
	static const char w[] = "include";
	for (size_t i = 0; i + 7 <= size; i++)
		if (strncasecmp((const char *)data + i, w, 7) == 0)
			return 1;
	return 0;
}

static void run(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	size_t n_text, n_spec, n_opts;
	const uint8_t *t = fz_next_part(&p, end, 0, &n_text);
	const uint8_t *sp = fz_next_part(&p, end, 0, &n_spec);
	const uint8_t *op = fz_next_part(&p, end, 0, &n_opts);
	char *text = fz_strdup(t, n_text);
	char *spec = fz_strdup(sp, n_spec);
	char *opts = fz_strdup(op, n_opts);
	char err[512];

	struct sshd_config cfg;
	sshd_config_init(&cfg);
	int rc = 0, lineno = 0;
	char *save = NULL;
	for (char *line = strtok_r(opts, "\n", &save); line && rc == 0; line = strtok_r(NULL, "\n", &save))
		rc = sshd_config_option(&cfg, line, ++lineno, err, sizeof(err));
	if (rc == 0)
		rc = sshd_config_load_string(&cfg, "fuzz_config", text, err, sizeof(err));
	if (rc == 0)
		rc = sshd_config_finalize(&cfg, err, sizeof(err));
	if (rc == 0) {
		sshd_config_dump(&cfg, devnull);
		static const char *const groups[] = {"users", "wheel", "sftponly"};
		struct sshd_match_spec ms;
		if (sshd_match_spec_parse(spec, &ms, err, sizeof(err)) < 0) {
			memset(&ms, 0, sizeof(ms));
			ms.mi.user = "alice";
			ms.mi.host = "client.example.org";
			ms.mi.addr = "192.0.2.7";
			ms.mi.laddr = "198.51.100.1";
			ms.mi.lport = 22;
		}
		/* never look groups up in the system database */
		ms.mi.groups = groups;
		ms.mi.n_groups = sizeof(groups) / sizeof(groups[0]);
		struct sshd_config eff;
		if (sshd_config_match(&cfg, &ms.mi, &eff, err, sizeof(err)) == 0) {
			sshd_config_dump(&eff, devnull);
			struct sshd_config copy;
			if (sshd_config_copy(&eff, &copy) == 0)
				sshd_config_free(&copy);
			sshd_config_free(&eff);
		}
	}
	sshd_config_free(&cfg);
	free(text);
	free(spec);
	free(opts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024 || mentions_include(data, size))
		return 0;
	fz_mute();
	run(data, size);
	fz_unmute();
	return 0;
}
