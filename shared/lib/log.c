#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static volatile int local_level = LOG_INFO;
static volatile int *level_ptr = &local_level;
static enum log_target target = LOG_TO_STDERR;
static char ident_buf[32] = "sshbox";
static char prefix_buf[96];

void log_init(const char *ident, enum log_level level, enum log_target t)
{
	snprintf(ident_buf, sizeof(ident_buf), "%s", ident ? ident : "sshbox");
	*level_ptr = level;
	log_set_target(t);
}

void log_set_target(enum log_target t)
{
	target = t;
	if (t == LOG_TO_SYSLOG)
		openlog(ident_buf, LOG_PID | LOG_NDELAY, LOG_AUTH);
}

int log_share_level(void)
{
	if (level_ptr != &local_level)
		return 0;
	void *p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	int *shared = p;
	*shared = local_level;
	level_ptr = shared;
	return 0;
}

void log_set_level(enum log_level level)
{
	if (level >= LOG_TRACE && level <= LOG_ERROR)
		__atomic_store_n(level_ptr, (int)level, __ATOMIC_RELAXED);
}

enum log_level log_get_level(void)
{
	return (enum log_level)__atomic_load_n(level_ptr, __ATOMIC_RELAXED);
}

int log_enabled(enum log_level level) { return (int)level >= (int)log_get_level(); }

static const char *const names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"};

const char *log_level_name(enum log_level level)
{
	return (level >= LOG_TRACE && level <= LOG_ERROR) ? names[level] : "?";
}

int log_level_parse(const char *s)
{
	static const struct {
		const char *name;
		int level;
	} map[] = {
		{"TRACE", LOG_TRACE}, {"DEBUG", LOG_DEBUG},  {"INFO", LOG_INFO},     {"WARN", LOG_WARN},
		{"ERROR", LOG_ERROR}, {"WARNING", LOG_WARN}, {"VERBOSE", LOG_INFO},  {"DEBUG1", LOG_DEBUG},
		{"DEBUG2", LOG_DEBUG}, {"DEBUG3", LOG_TRACE}, {"QUIET", LOG_ERROR}, {"FATAL", LOG_ERROR},
	};
	if (!s)
		return -1;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(s, map[i].name) == 0)
			return map[i].level;
	return -1;
}

void log_set_prefix(const char *prefix)
{
	snprintf(prefix_buf, sizeof(prefix_buf), "%s", prefix ? prefix : "");
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	int saved = errno;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Never let a client-supplied string forge extra log lines. */
	for (char *c = msg; *c; c++)
		if (*c == '\n' || *c == '\r' || ((unsigned char)*c < 0x20 && *c != '\t'))
			*c = '?';
	if (target == LOG_TO_SYSLOG) {
		/* syslog priorities by number: log.h took the names LOG_DEBUG (7)
		 * and LOG_INFO (6) back from <syslog.h>. */
		static const int prio[] = {7, 7, 6, LOG_WARNING, LOG_ERR};
		syslog(prio[level], "%s%s%s", prefix_buf, prefix_buf[0] ? " " : "", msg);
	} else {
		char line[1280];
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%ld] %s %s%s%s\n",
				 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
				 ts.tv_nsec / 1000000, ident_buf, (long)getpid(), log_level_name(level), prefix_buf,
				 prefix_buf[0] ? " " : "", msg);
		if (n > 0) {
			size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
			/* One write per line keeps lines whole across processes. */
			ssize_t w = write(STDERR_FILENO, line, len);
			(void)w;
		}
	}
	errno = saved;
}
