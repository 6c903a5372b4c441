/* The scp control-record parser and the command splitter (shared/child/
 * scp_parse.c). Input: first byte selects the parser; the rest is one
 * record line (without '\n') or a session command line. Invariants: a
 * parsed C/D record's name is a safe single component and its size fits
 * an off_t; a parsed command has exactly one mode and NUL-free words. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzzutil.h"
#include "scp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init();
	return 0;
}

static void record(const uint8_t *data, size_t size)
{
	struct buf b;
	struct scp_record r;
	char err[64];
	buf_view(&b, data, size);
	if (scp_parse_record(&b, &r, err, sizeof(err)) != 0)
		return;
	if ((r.type == SCP_REC_FILE || r.type == SCP_REC_DIR) &&
	    (!scp_name_ok(r.name) || r.size > INT64_MAX || r.mode > 07777))
		abort();
}

static void command(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	struct scp_cmd c;
	if (scp_parse_command(s, &c) == 0) {
		if (c.sink == c.source || c.npaths == 0 || c.npaths > SCP_PATHS_MAX)
			abort();
		for (size_t i = 0; i < c.npaths; i++)
			if (strlen(c.paths[i]) > SCP_CMD_MAX)
				abort();
		scp_cmd_free(&c);
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	fz_mute();
	if (data[0] & 1)
		command(data + 1, size - 1);
	else
		record(data + 1, size - 1);
	fz_unmute();
	return 0;
}
