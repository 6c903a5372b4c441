/* log: leveled logging for every applet.
 *
 * The current level lives in one int that the sshd listener places in a
 * MAP_SHARED page before it forks connection processes (log_share_level),
 * so the debug service changes the level of the listener and of every
 * running connection at once.
 */
#ifndef SSHBOX_LOG_H
#define SSHBOX_LOG_H

/* <syslog.h> defines LOG_DEBUG (7) and LOG_INFO (6) as macros, which would
 * silently replace our level names in any file that includes both. Include
 * it here, once, and take those two names back; syslog priorities are used
 * only inside log.c, by number. */
#include <syslog.h>
#undef LOG_DEBUG
#undef LOG_INFO

enum log_level { LOG_TRACE = 0, LOG_DEBUG = 1, LOG_INFO = 2, LOG_WARN = 3, LOG_ERROR = 4 };

enum log_target { LOG_TO_STDERR, LOG_TO_SYSLOG };

/* ident: program tag (e.g. "sshd"); facility: syslog facility for SYSLOG. */
void log_init(const char *ident, enum log_level level, enum log_target target);
void log_set_target(enum log_target target);
/* Moves the level into a shared anonymous page; returns 0 or -1. */
int log_share_level(void);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
int log_enabled(enum log_level level);
/* Case-insensitive TRACE/DEBUG/INFO/WARN/ERROR (also VERBOSE, DEBUG1-3,
 * QUIET, FATAL, WARNING as OpenSSH LogLevel spells them); -1 if unknown. */
int log_level_parse(const char *s);
const char *log_level_name(enum log_level level);
/* Prefix added to every line, e.g. "[12345]" or "conn 1.2.3.4:5". */
void log_set_prefix(const char *prefix);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_trace(...) do { if (log_enabled(LOG_TRACE)) log_msg(LOG_TRACE, __VA_ARGS__); } while (0)
#define log_debug(...) do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
