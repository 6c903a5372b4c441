/* finalize: every unset field gets its default (the table's default column,
 * plus the computed ones below: ports, the listen set, DataDirectory, the
 * host key, PidFile, list defaults). */
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cipher.h"
#include "internal.h"
#include "kex.h"
#include "hostkey.h"
#include "keys.h"
#include "log.h"
#include "util.h"

void cfg_normalize(struct sshd_config *c)
{
	char **nonestr[] = {&c->banner,
			    &c->force_command,
			    &c->chroot_directory,
			    &c->pid_file,
			    &c->trusted_user_ca_keys,
			    &c->authorized_principals_file,
			    &c->revoked_keys,
			    &c->authorized_keys_command,
			    &c->authorized_keys_command_user,
			    &c->authorized_principals_command,
			    &c->authorized_principals_command_user};
	for (size_t i = 0; i < ARRAY_LEN(nonestr); i++) {
		if (*nonestr[i] && strcasecmp(*nonestr[i], "none") == 0) {
			free(*nonestr[i]);
			*nonestr[i] = NULL;
		}
	}
	if (c->disable_forwarding == 1) {
		c->allow_tcp_forwarding = FWD_ALLOW_NO;
		c->allow_streamlocal_forwarding = FWD_ALLOW_NO;
		c->allow_agent_forwarding = 0;
	}
}

/* Every ListenAddress without a port gets every Port; none at all = the
 * wildcard on every Port. -1 out of memory. */
static int build_listen_set(struct sshd_config *c)
{
	int bad = 0;
	size_t n = 0;
	size_t want = (c->n_listen ? c->n_listen : 1) * c->n_ports;
	struct listen_addr *out = calloc(want, sizeof(*out));
	if (!out)
		return -1;
	if (c->n_listen == 0) {
		for (size_t i = 0; i < c->n_ports; i++)
			out[n++].port = c->ports[i];
	}
	for (size_t i = 0; i < c->n_listen; i++) {
		if (c->listen[i].port) {
			out[n].host = c->listen[i].host;
			c->listen[i].host = NULL;
			out[n++].port = c->listen[i].port;
			continue;
		}
		for (size_t j = 0; j < c->n_ports; j++) {
			out[n].host = strdup(c->listen[i].host);
			bad |= !out[n].host;
			out[n++].port = c->ports[j];
		}
	}
	for (size_t i = 0; i < c->n_listen; i++)
		free(c->listen[i].host);
	free(c->listen);
	c->listen = out;
	c->n_listen = n;
	return bad ? -1 : 0;
}

/* root: /var/lib/sshbox; otherwise ${XDG_STATE_HOME:-$HOME/.local/state}/sshbox. */
static int default_data_directory(struct sshd_config *c, char *err, size_t errlen)
{
	if (c->data_directory)
		return 0;
	char path[PATH_MAX];
	const char *xdg = getenv("XDG_STATE_HOME");
	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "/var/lib/sshbox");
	} else if (xdg && xdg[0] == '/') {
		snprintf(path, sizeof(path), "%s/sshbox", xdg);
	} else {
		const char *home = getenv("HOME");
		if (!home || home[0] != '/') {
			struct passwd *pw = getpwuid(geteuid());
			home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
		}
		if (!home)
			return perr_plain(err, errlen, "cannot determine DataDirectory: no HOME");
		snprintf(path, sizeof(path), "%s/.local/state/sshbox", home);
	}
	c->data_directory = strdup(path);
	return c->data_directory ? 0 : perr_plain(err, errlen, "out of memory");
}

static int set_default_str(char **f, const char *v)
{
	if (*f || !v)
		return 0;
	*f = strdup(v);
	return *f ? 0 : -1;
}

/* Defaults computed from other fields or fixed lists. -1 out of memory. */
static int computed_defaults(struct sshd_config *c)
{
	int bad = 0;
	if (c->host_keys.n == 0) {
		char hk[PATH_MAX];
		snprintf(hk, sizeof(hk), "%s/ssh_host_ed25519_key", c->data_directory);
		bad |= strlist_add(&c->host_keys, hk, CFG_MAX_LIST) < 0;
	}
	if (!c->pid_file) {
		char pf[PATH_MAX];
		if (geteuid() == 0)
			snprintf(pf, sizeof(pf), "/run/sshbox.pid");
		else
			snprintf(pf, sizeof(pf), "%s/sshd.pid", c->data_directory);
		bad |= set_default_str(&c->pid_file, pf) < 0;
	}
	if (c->rekey_limit_bytes == UINT64_MAX) {
		c->rekey_limit_bytes = 0;
		c->rekey_limit_seconds = 0;
	}
	if (c->max_startups.begin == -1)
		c->max_startups = (struct max_startups){10, 30, 100};
	/* sshbox default: a quarter of the unauthenticated slots per source
	 * (OpenSSH: none), so one flooding netblock cannot hold them all */
	if (c->per_source_max_startups == -1)
		c->per_source_max_startups = c->max_startups.full / 4 > 0 ? c->max_startups.full / 4 : 1;
	if (!c->authorized_keys_files.v) {
		bad |= strlist_add(&c->authorized_keys_files, ".ssh/authorized_keys", CFG_MAX_LIST) < 0;
		bad |= strlist_add(&c->authorized_keys_files, ".ssh/authorized_keys2", CFG_MAX_LIST) < 0;
	}
	if (!c->accept_env.v) {
		bad |= strlist_add(&c->accept_env, "TERM", CFG_MAX_LIST) < 0;
		bad |= strlist_add(&c->accept_env, "LANG", CFG_MAX_LIST) < 0;
		bad |= strlist_add(&c->accept_env, "LC_*", CFG_MAX_LIST) < 0;
	}
	/* unset PermitOpen / PermitListen: any */
	if (!c->permit_open.v)
		c->permit_open_any = 1;
	if (!c->permit_listen.v)
		c->permit_listen_any = 1;
	return bad ? -1 : 0;
}

int sshd_config_finalize(struct sshd_config *c, char *err, size_t errlen)
{
	if (c->n_ports == 0)
		c->ports[c->n_ports++] = 22;
	/* sshbox, unlike OpenSSH's built-in default, serves sftp (and so scp and
	 * most IDEs) with no config at all: a config without any Subsystem line
	 * gets "Subsystem sftp internal-sftp". */
	if (c->n_subsystems == 0 && cfg_add_default_sftp_subsystem(c) < 0)
		return perr_plain(err, errlen, "out of memory");
	int bad = build_listen_set(c) < 0;
	if (default_data_directory(c, err, errlen) < 0)
		return -1;
	bad |= computed_defaults(c) < 0;
	/* the table's defaults; every list ends up set (possibly empty) */
#define CFG_INT(field, kw, flags, def, ...)                                                                  \
	if (c->field == -1 && (def) != CFG_NO_DEFAULT)                                                       \
		c->field = (def);
#define CFG_STR(field, kw, flags, def, ...) bad |= set_default_str(&c->field, def) < 0;
#define CFG_LIST(field, ...) bad |= strlist_touch(&c->field) < 0;
#include "sshd_config_fields.def"
	cfg_normalize(c);
	if (!c->log_level_name || !c->syslog_facility_name)
		bad = 1;
	c->finalized_ = 1;
	if (bad)
		return perr_plain(err, errlen, "out of memory");
	return 0;
}
