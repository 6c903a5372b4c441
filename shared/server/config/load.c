/* Reading configuration text: files (with Include), -o options, -p/-h;
 * line splitting with OpenSSH's quoting rules; Match blocks are validated
 * here and stored for replay per connection (match.c). */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "log.h"
#include "util.h"

/* Splits `s` into arguments (OpenSSH argv_split rules: whitespace
 * separated, "double" or 'single' quotes, backslash escapes of quotes,
 * backslash and space, an unquoted '#' starting an argument ends the line).
 * Writes into a copy; returns argc or -1 for bad quotes. */
static int split_args(char *s, char **argv, int max)
{
	int argc = 0;
	char *r = s, *w;
	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n')
			r++;
		if (!*r)
			break;
		if (*r == '#')
			break;
		if (argc >= max)
			return -2;
		argv[argc++] = w = r;
		int quote = 0;
		for (;;) {
			char ch = *r;
			if (!ch) {
				if (quote)
					return -1;
				break;
			}
			if (ch == '\\' &&
			    (r[1] == '\\' || r[1] == '"' || r[1] == '\'' || (r[1] == ' ' && !quote))) {
				*w++ = r[1];
				r += 2;
				continue;
			}
			if (!quote && (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')) {
				r++;
				break;
			}
			if (quote && ch == quote) {
				quote = 0;
				r++;
				continue;
			}
			if (!quote && (ch == '"' || ch == '\'')) {
				quote = ch;
				r++;
				continue;
			}
			*w++ = ch;
			r++;
		}
		char *end = w;
		int at_end = (*r == '\0');
		*end = '\0';
		if (at_end)
			break;
	}
	return argc;
}

struct loadstate {
	struct sshd_config *c;
	long cur_match; /* index of governing Match line, -1 global */
	int depth;
	int files; /* files read by this load (bounded: Include fan-out) */
	char *err;
	size_t errlen;
};

static int store_line(struct sshd_config *c, struct pctx *p, const char *text, int is_match, long match_idx)
{
	if (c->n_lines_ >= CFG_MAX_STORED_LINES)
		return perr(p, "too many lines in Match blocks");
	if (c->n_lines_ == c->cap_lines_) {
		size_t nc = c->cap_lines_ ? c->cap_lines_ * 2 : 16;
		struct sshd_cfg_line *nl = realloc(c->lines_, nc * sizeof(*nl));
		if (!nl)
			return perr(p, "out of memory");
		c->lines_ = nl;
		c->cap_lines_ = nc;
	}
	struct sshd_cfg_line *l = &c->lines_[c->n_lines_];
	l->file = strdup(p->file);
	l->text = strdup(text);
	l->lineno = p->lineno;
	l->is_match = is_match;
	l->match_idx = match_idx;
	if (!l->file || !l->text) {
		free(l->file);
		free(l->text);
		return perr(p, "out of memory");
	}
	c->n_lines_++;
	return 0;
}

static int load_file_depth(struct loadstate *ls, const char *path, int must_exist);

int cfg_split_line(struct pctx *p, char *buf, char **kwout, char **argv)
{
	*kwout = NULL;
	char *s = buf;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	char *kw = s;
	while (*s && *s != ' ' && *s != '\t' && *s != '=' && *s != '\r' && *s != '\n')
		s++;
	/* keyword then optional whitespace, optional single '=', whitespace */
	char *kwend = s;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '=')
		s++;
	*kwend = '\0';
	if (kwend == kw)
		return perr(p, "Bad configuration option: =");
	int argc = split_args(s, argv, CFG_MAX_ARGS);
	if (argc == -1)
		return perr(p, "invalid quotes");
	if (argc < 0)
		return perr(p, "too many arguments");
	*kwout = kw;
	return argc;
}

/* Include: each argument is a glob, relative to the including file's
 * directory; a Match opened inside an included file ends with it. */
static int process_include(struct loadstate *ls, struct pctx *p, char **argv, int argc)
{
	if (ls->depth >= CFG_MAX_INCLUDE_DEPTH)
		return perr(p, "Include nested too deep");
	for (int i = 0; i < argc; i++) {
		char pat[PATH_MAX];
		if (argv[i][0] == '~')
			return perr(p, "Include: \"~\" paths are not supported");
		if (argv[i][0] == '/') {
			snprintf(pat, sizeof(pat), "%s", argv[i]);
		} else {
			const char *slash = strrchr(p->file, '/');
			if (!slash || p->cmdline)
				snprintf(pat, sizeof(pat), "/etc/sshbox/%s", argv[i]);
			else
				snprintf(pat, sizeof(pat), "%.*s/%s", (int)(slash - p->file), p->file,
					 argv[i]);
		}
		glob_t g;
		memset(&g, 0, sizeof(g));
		int gr = glob(pat, 0, NULL, &g);
		if (gr == GLOB_NOMATCH) {
			log_debug("%s line %d: include %s matched no files", p->file, p->lineno, pat);
			globfree(&g);
			continue;
		}
		if (gr != 0) {
			globfree(&g);
			return perr(p, "include \"%s\": glob failed", pat);
		}
		long saved = ls->cur_match;
		int rc = 0;
		ls->depth++;
		for (size_t j = 0; j < g.gl_pathc && rc == 0; j++) {
			rc = load_file_depth(ls, g.gl_pathv[j], 1);
			ls->cur_match = saved;
		}
		ls->depth--;
		globfree(&g);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* One split line: Match starts a block (validated, stored); inside a block
 * a keyword is validated against a scratch config and stored for replay;
 * outside it is applied. */
static int process_keyword(struct loadstate *ls, struct pctx *p, const char *line, const char *kw,
			   char **argv, int argc)
{
	const struct cfg_keyword *k = cfg_keyword_lookup(kw);
	if (!k)
		return cfg_bad_option(p, kw);
	int is_match = (k->flags & KF_LOADER) && strcmp(k->name, "Match") == 0;
	if (is_match) {
		if (p->cmdline)
			return perr(p, "Directive 'Match' is not allowed on the command line");
		if (cfg_match_eval(p, argv, argc, NULL) < 0 || store_line(ls->c, p, line, 1, -1) < 0)
			return -1;
		ls->cur_match = (long)ls->c->n_lines_ - 1;
		return 0;
	}
	if (ls->cur_match >= 0 && !(k->flags & KF_MATCH))
		return perr(p, "Directive '%s' is not allowed within a Match block", kw);
	if (k->flags & KF_LOADER)
		return process_include(ls, p, argv, argc);
	if (ls->cur_match < 0)
		return cfg_apply_keyword(p, ls->c, k, kw, argv, argc);
	struct sshd_config scratch;
	sshd_config_init(&scratch);
	int rc = cfg_apply_keyword(p, &scratch, k, kw, argv, argc);
	sshd_config_free(&scratch);
	return rc < 0 ? -1 : store_line(ls->c, p, line, 0, ls->cur_match);
}

static int process_line(struct loadstate *ls, struct pctx *p, const char *line)
{
	size_t len = strlen(line);
	char *buf = malloc(len + 1);
	char **argv = malloc(sizeof(char *) * (CFG_MAX_ARGS + 1));
	int rc = -1;
	if (!buf || !argv) {
		perr(p, "out of memory");
	} else {
		memcpy(buf, line, len + 1);
		char *kw;
		int argc = cfg_split_line(p, buf, &kw, argv);
		if (argc >= 0)
			rc = kw ? process_keyword(ls, p, line, kw, argv, argc) : 0;
	}
	free(buf);
	free(argv);
	return rc;
}

/* Processes a whole text buffer of config lines. */
static int process_text(struct loadstate *ls, const char *name, const char *text, size_t len)
{
	struct pctx p = {.file = name, .lineno = 0, .cmdline = 0, .err = ls->err, .errlen = ls->errlen};
	size_t pos = 0;
	char *line = malloc(CFG_MAX_LINE + 1);
	if (!line)
		return perr_plain(ls->err, ls->errlen, "%s: out of memory", name);
	int rc = 0;
	while (pos < len) {
		p.lineno++;
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - start) : len - pos;
		pos += l + (nl ? 1 : 0);
		if (l > CFG_MAX_LINE) {
			rc = perr(&p, "line too long");
			break;
		}
		if (memchr(start, '\0', l)) {
			rc = perr(&p, "NUL character in line");
			break;
		}
		memcpy(line, start, l);
		line[l] = '\0';
		if (l && line[l - 1] == '\r')
			line[l - 1] = '\0';
		if (process_line(ls, &p, line) < 0) {
			rc = -1;
			break;
		}
	}
	free(line);
	return rc;
}

static int load_file_depth(struct loadstate *ls, const char *path, int must_exist)
{
	if (++ls->files > CFG_MAX_FILES)
		return perr_plain(ls->err, ls->errlen, "%s: too many included files (more than %d)", path,
				  CFG_MAX_FILES);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return perr_plain(ls->err, ls->errlen, "%s: %s", path, strerror(errno));
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return perr_plain(ls->err, ls->errlen, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > CFG_MAX_FILE) {
		close(fd);
		return perr_plain(ls->err, ls->errlen, "%s: file too large", path);
	}
	size_t cap = (size_t)st.st_size + 1, len = 0;
	char *text = malloc(cap);
	if (!text) {
		close(fd);
		return perr_plain(ls->err, ls->errlen, "%s: out of memory", path);
	}
	for (;;) {
		if (len == cap) {
			if (cap > CFG_MAX_FILE) {
				free(text);
				close(fd);
				return perr_plain(ls->err, ls->errlen, "%s: file too large", path);
			}
			char *nt = realloc(text, cap * 2);
			if (!nt) {
				free(text);
				close(fd);
				return perr_plain(ls->err, ls->errlen, "%s: out of memory", path);
			}
			text = nt;
			cap *= 2;
		}
		ssize_t r = read(fd, text + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(text);
			close(fd);
			return perr_plain(ls->err, ls->errlen, "%s: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	int rc = process_text(ls, path, text, len);
	free(text);
	return rc;
}

int sshd_config_load(struct sshd_config *c, const char *path, int must_exist, char *err, size_t errlen)
{
	struct loadstate ls = {.c = c, .cur_match = -1, .depth = 0, .err = err, .errlen = errlen};
	return load_file_depth(&ls, path, must_exist);
}

int sshd_config_load_string(struct sshd_config *c, const char *name, const char *text, char *err,
			    size_t errlen)
{
	struct loadstate ls = {.c = c, .cur_match = -1, .depth = 0, .err = err, .errlen = errlen};
	return process_text(&ls, name, text, strlen(text));
}

int sshd_config_option(struct sshd_config *c, const char *line, int lineno, char *err, size_t errlen)
{
	struct loadstate ls = {.c = c, .cur_match = -1, .depth = 0, .err = err, .errlen = errlen};
	struct pctx p = {
	    .file = "command-line", .lineno = lineno, .cmdline = 1, .err = err, .errlen = errlen};
	if (strlen(line) > CFG_MAX_LINE)
		return perr(&p, "line too long");
	return process_line(&ls, &p, line);
}

int sshd_config_cmdline_port(struct sshd_config *c, const char *port, char *err, size_t errlen)
{
	int v = cfg_parse_port(port);
	if (v < 0)
		return perr_plain(err, errlen, "Bad port number: %s", port);
	if (!c->ports_from_cmdline) {
		c->n_ports = 0; /* -p overrides anything obtained before */
		c->ports_from_cmdline = 1;
	}
	if (c->n_ports >= ARRAY_LEN(c->ports))
		return perr_plain(err, errlen, "too many ports");
	c->ports[c->n_ports++] = v;
	return 0;
}

int sshd_config_cmdline_hostkey(struct sshd_config *c, const char *path)
{
	return strlist_add(&c->host_keys, path, CFG_MAX_LIST);
}
