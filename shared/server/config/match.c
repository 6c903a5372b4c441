/* Match: criteria evaluation, the per-connection effective config (base
 * plus the matching blocks' lines replayed into an overlay), and the -C
 * test-mode connection spec. */
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "log.h"

int cfg_match_eval(struct pctx *p, char **argv, int argc, const struct sshd_match_info *mi)
{
	if (argc == 0) {
		perr(p, "Bad Match condition");
		return -1;
	}
	int result = 1;
	for (int i = 0; i < argc; i++) {
		const char *attr = argv[i];
		if (strcasecmp(attr, "all") == 0) {
			if (argc != 1) {
				perr(p, "Bad Match condition ('all' cannot be combined with other Match "
					"attributes)");
				return -1;
			}
			return 1;
		}
		if (i + 1 >= argc || argv[i + 1][0] == '\0') {
			perr(p, "Bad Match condition (missing Match criteria for %s)", attr);
			return -1;
		}
		const char *arg = argv[++i];
		if (strcasecmp(attr, "user") == 0) {
			if (mi && (!mi->user || match_pattern_list(mi->user, arg, 0) != 1))
				result = 0;
		} else if (strcasecmp(attr, "group") == 0) {
			if (mi) {
				int any = 0, neg = 0;
				for (size_t g = 0; g < mi->n_groups; g++) {
					int r = match_pattern_list(mi->groups[g], arg, 0);
					if (r == -1)
						neg = 1;
					else if (r == 1)
						any = 1;
				}
				if (neg || !any)
					result = 0;
			}
		} else if (strcasecmp(attr, "host") == 0) {
			if (mi && (!mi->host || match_pattern_list(mi->host, arg, 1) != 1))
				result = 0;
		} else if (strcasecmp(attr, "address") == 0 || strcasecmp(attr, "localaddress") == 0) {
			if (!match_addr_list_valid(arg)) {
				perr(p, "Invalid Match address argument '%s'", arg);
				return -1;
			}
			if (mi) {
				const char *a = strcasecmp(attr, "address") == 0 ? mi->addr : mi->laddr;
				if (!a || match_addr_list(a, arg) != 1)
					result = 0;
			}
		} else if (strcasecmp(attr, "localport") == 0) {
			int port = cfg_parse_port(arg);
			if (port < 0) {
				perr(p, "Invalid LocalPort '%s' on Match line", arg);
				return -1;
			}
			if (mi && mi->lport != port)
				result = 0;
		} else {
			perr(p, "Bad Match condition (unsupported Match attribute %s)", attr);
			return -1;
		}
	}
	return result;
}

static int lookup_groups(const char *user, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	struct passwd *pw = getpwnam(user);
	if (!pw)
		return 0;
	int ng = 64;
	gid_t *gids = NULL;
	for (int tries = 0; tries < 4; tries++) {
		gid_t *ngids = realloc(gids, (size_t)ng * sizeof(gid_t));
		if (!ngids) {
			free(gids);
			return -1;
		}
		gids = ngids;
		int cnt = ng;
		if (getgrouplist(user, pw->pw_gid, gids, &cnt) >= 0) {
			ng = cnt;
			break;
		}
		if (cnt <= ng || cnt > 65536) {
			ng = 0;
			break;
		}
		ng = cnt;
	}
	char **out = calloc((size_t)ng + 1, sizeof(char *));
	if (!out) {
		free(gids);
		return -1;
	}
	size_t k = 0;
	for (int i = 0; i < ng; i++) {
		struct group *gr = getgrgid(gids[i]);
		if (gr && gr->gr_name && (out[k] = strdup(gr->gr_name)))
			k++;
	}
	free(gids);
	*names = out;
	*n = k;
	return 0;
}

int sshd_config_match(const struct sshd_config *base, const struct sshd_match_info *mi,
		      struct sshd_config *out, char *err, size_t errlen)
{
	if (sshd_config_copy(base, out) < 0)
		return perr_plain(err, errlen, "out of memory");
	if (base->n_lines_ == 0)
		return 0;
	struct sshd_match_info m = *mi;
	char **gnames = NULL;
	size_t ngn = 0;
	if (!m.groups && m.user) {
		if (lookup_groups(m.user, &gnames, &ngn) < 0) {
			sshd_config_free(out);
			return perr_plain(err, errlen, "out of memory");
		}
		m.groups = (const char *const *)gnames;
		m.n_groups = ngn;
	}
	signed char *res = calloc(base->n_lines_, 1);
	struct sshd_config ov;
	sshd_config_init(&ov);
	int rc = 0;
	char **argv = malloc(sizeof(char *) * (CFG_MAX_ARGS + 1));
	if (!res || !argv) {
		rc = perr_plain(err, errlen, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < base->n_lines_ && rc == 0; i++) {
		const struct sshd_cfg_line *l = &base->lines_[i];
		struct pctx p = {
		    .file = l->file, .lineno = l->lineno, .quiet = 1, .err = err, .errlen = errlen};
		if (!l->is_match && (l->match_idx < 0 || (size_t)l->match_idx >= i || !res[l->match_idx]))
			continue;
		char *buf = strdup(l->text);
		if (!buf) {
			rc = perr_plain(err, errlen, "out of memory");
			break;
		}
		char *kw;
		int argc = cfg_split_line(&p, buf, &kw, argv);
		if (argc < 0 || !kw) {
			free(buf);
			rc = argc < 0 ? -1 : 0;
			continue;
		}
		if (l->is_match) {
			int r = cfg_match_eval(&p, argv, argc, &m);
			if (r < 0)
				rc = -1;
			else
				res[i] = (signed char)r;
			if (r == 1)
				log_debug("%s line %d: Match applies to user %s host %s addr %s", l->file,
					  l->lineno, m.user ? m.user : "", m.host ? m.host : "",
					  m.addr ? m.addr : "");
		} else {
			const struct cfg_keyword *ki = cfg_keyword_lookup(kw);
			if (!ki)
				rc = cfg_bad_option(&p, kw);
			else
				rc = cfg_apply_keyword(&p, &ov, ki, kw, argv, argc);
		}
		free(buf);
	}
	if (rc == 0) {
		cfg_merge_overlay(out, &ov);
		cfg_normalize(out);
	}
done:
	free(argv);
	free(res);
	sshd_config_free(&ov);
	if (gnames) {
		for (size_t i = 0; i < ngn; i++)
			free(gnames[i]);
		free(gnames);
	}
	if (rc < 0)
		sshd_config_free(out);
	return rc;
}

int sshd_match_spec_parse(const char *spec, struct sshd_match_spec *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	size_t n = strlen(spec);
	if (n >= sizeof(out->buf))
		return perr_plain(err, errlen, "Invalid test mode specification: too long");
	memcpy(out->buf, spec, n + 1);
	char *save = NULL;
	for (char *tok = strtok_r(out->buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq || eq == tok || !eq[1])
			return perr_plain(err, errlen, "Invalid test mode specification %s", tok);
		*eq = '\0';
		const char *v = eq + 1;
		if (strcasecmp(tok, "user") == 0) {
			out->mi.user = v;
		} else if (strcasecmp(tok, "host") == 0) {
			out->mi.host = v;
		} else if (strcasecmp(tok, "addr") == 0) {
			out->mi.addr = v;
		} else if (strcasecmp(tok, "laddr") == 0) {
			out->mi.laddr = v;
		} else if (strcasecmp(tok, "lport") == 0) {
			int port = cfg_parse_port(v);
			if (port < 0)
				return perr_plain(err, errlen, "Invalid port '%s' in test mode specification",
						  v);
			out->mi.lport = port;
		} else if (strcasecmp(tok, "rdomain") == 0) {
			/* accepted, not supported */
		} else {
			return perr_plain(err, errlen, "Invalid test mode specification %s", tok);
		}
	}
	if (!out->mi.host && out->mi.addr)
		out->mi.host = out->mi.addr;
	return 0;
}
