/* scp_parse: the scp control-record parser and the command-line splitter
 * (see scp.h). Everything from the peer goes through struct buf. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scp.h"

int scp_name_ok(const char *name)
{
	if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	return strchr(name, '/') == NULL && strchr(name, '\n') == NULL;
}

static int fail(char *err, size_t errlen, const char *why)
{
	if (errlen)
		snprintf(err, errlen, "%s", why);
	return -1;
}

/* Decimal digits up to the next non-digit; at least one, value <= max. */
static int get_decimal(struct buf *b, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = 0;
	uint8_t c;
	while (buf_peek_u8(b, 0, &c) == 0 && c >= '0' && c <= '9') {
		if (v > (max - (uint64_t)(c - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(c - '0');
		buf_consume(b, 1);
		n++;
	}
	*out = v;
	return n ? 0 : -1;
}

static int expect(struct buf *b, uint8_t want)
{
	uint8_t c;
	return buf_get_u8(b, &c) == 0 && c == want ? 0 : -1;
}

/* The rest of the line as a C string (no NUL bytes allowed in it). */
static int get_rest(struct buf *b, char *out, size_t cap)
{
	size_t n = buf_avail(b);
	if (n >= cap || memchr(buf_rptr(b), 0, n))
		return -1;
	if (buf_get(b, out, n) != 0)
		return -1;
	out[n] = '\0';
	return 0;
}

static int parse_time(struct buf *b, struct scp_record *r)
{
	uint64_t mt, mus, at, aus;
	if (get_decimal(b, INT64_MAX, &mt) || expect(b, ' ') || get_decimal(b, 999999, &mus) ||
	    expect(b, ' ') || get_decimal(b, INT64_MAX, &at) || expect(b, ' ') ||
	    get_decimal(b, 999999, &aus) || buf_avail(b))
		return -1;
	r->mtime = (int64_t)mt;
	r->atime = (int64_t)at;
	return 0;
}

/* "<4 octal digits> <size> <name>" of C and D records. */
static int parse_entry(struct buf *b, struct scp_record *r, char *err, size_t errlen)
{
	uint32_t mode = 0;
	for (int i = 0; i < 4; i++) {
		uint8_t c;
		if (buf_get_u8(b, &c) != 0 || c < '0' || c > '7')
			return fail(err, errlen, "bad mode");
		mode = (mode << 3) | (uint32_t)(c - '0');
	}
	if (expect(b, ' ') || get_decimal(b, INT64_MAX, &r->size) || expect(b, ' '))
		return fail(err, errlen, "bad size");
	if (get_rest(b, r->name, sizeof(r->name)) != 0)
		return fail(err, errlen, "bad file name");
	if (!scp_name_ok(r->name))
		return fail(err, errlen, "unexpected file name");
	r->mode = mode;
	return 0;
}

int scp_parse_record(struct buf *line, struct scp_record *r, char *err, size_t errlen)
{
	uint8_t t;
	memset(r, 0, sizeof(*r));
	if (buf_get_u8(line, &t) != 0)
		return fail(err, errlen, "empty record");
	r->type = (enum scp_rec_type)t;
	switch (t) {
	case SCP_REC_WARN:
	case SCP_REC_FATAL:
		if (get_rest(line, r->msg, sizeof(r->msg)) != 0)
			return fail(err, errlen, "bad message");
		return 0;
	case SCP_REC_END:
		return buf_avail(line) ? fail(err, errlen, "bad E record") : 0;
	case SCP_REC_TIME:
		return parse_time(line, r) ? fail(err, errlen, "bad T record") : 0;
	case SCP_REC_FILE:
	case SCP_REC_DIR:
		return parse_entry(line, r, err, errlen);
	default:
		return fail(err, errlen, "unknown record type");
	}
}

/* ---- the command line ---- */

/* Characters that make a word something our splitter does not interpret. */
static int shell_special(uint8_t c)
{
	return c && strchr("$`;|&<>(){}!\n\r", c) != NULL;
}

/* One word into out (NUL-terminated), following POSIX quoting. 1 when a
 * word was read, 0 at the end, -1 on syntax we leave to the shell. */
static int next_word(struct buf *b, char *out, size_t cap, size_t *used)
{
	uint8_t c;
	while (buf_peek_u8(b, 0, &c) == 0 && (c == ' ' || c == '\t'))
		buf_consume(b, 1);
	if (!buf_avail(b))
		return 0;
	size_t n = 0;
	char quote = 0;
	while (buf_peek_u8(b, 0, &c) == 0) {
		if (!quote && (c == ' ' || c == '\t'))
			break;
		buf_consume(b, 1);
		if (c == 0)
			return -1;
		if (quote == '\'' && c != '\'') {
			/* literal */
		} else if (c == '\'' || c == '"') {
			if (!quote || quote == (char)c) {
				quote = quote ? 0 : (char)c;
				continue;
			}
		} else if (c == '\\') {
			if (buf_get_u8(b, &c) != 0 || c == 0)
				return -1;
		} else if (shell_special(c) || (quote == '"' && c == '$')) {
			return -1;
		}
		if (n + 1 >= cap)
			return -1;
		out[n++] = (char)c;
	}
	if (quote)
		return -1;
	out[n] = '\0';
	*used = n + 1;
	return 1;
}

static int set_flags(const char *w, struct scp_cmd *cmd)
{
	for (const char *p = w + 1; *p; p++) {
		switch (*p) {
		case 't':
			cmd->sink = 1;
			break;
		case 'f':
			cmd->source = 1;
			break;
		case 'r':
			cmd->recursive = 1;
			break;
		case 'p':
			cmd->preserve = 1;
			break;
		case 'd':
			cmd->target_dir = 1;
			break;
		case 'v':
			cmd->verbose = 1;
			break;
		default:
			return -1;
		}
	}
	return w[1] ? 0 : -1;
}

static int is_scp_word(const char *w)
{
	const char *s = strrchr(w, '/');
	return strcmp(s ? s + 1 : w, "scp") == 0;
}

void scp_cmd_free(struct scp_cmd *cmd)
{
	free(cmd->storage);
	memset(cmd, 0, sizeof(*cmd));
}

int scp_parse_command(const char *command, struct scp_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	size_t len = command ? strnlen(command, SCP_CMD_MAX + 1) : SCP_CMD_MAX + 1;
	if (len > SCP_CMD_MAX || !(cmd->storage = malloc(len + 1)))
		return -1;
	struct buf b;
	buf_view(&b, command, len);
	size_t off = 0, used = 0;
	int nword = 0, opts_done = 0, r;
	while ((r = next_word(&b, cmd->storage + off, len + 1 - off, &used)) == 1) {
		char *w = cmd->storage + off;
		off += used;
		if (nword++ == 0) {
			if (!is_scp_word(w))
				goto no;
		} else if (!opts_done && strcmp(w, "--") == 0) {
			opts_done = 1;
		} else if (!opts_done && w[0] == '-') {
			if (set_flags(w, cmd) != 0)
				goto no;
		} else {
			opts_done = 1;
			if (cmd->npaths >= SCP_PATHS_MAX)
				goto no;
			cmd->paths[cmd->npaths++] = w;
		}
	}
	if (r < 0 || cmd->sink == cmd->source || cmd->npaths == 0 || (cmd->sink && cmd->npaths != 1))
		goto no;
	return 0;
no:
	scp_cmd_free(cmd);
	return -1;
}
