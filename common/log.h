/*
 * Logging to stderr (journald picks it up under systemd), one line per
 * event: "<level> <process>: message". Never pass a secret to these.
 */
#ifndef ESD_COMMON_LOG_H
#define ESD_COMMON_LOG_H

enum { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Name shown on every line ("master", "keeper", "front"); not copied. */
void log_init(const char *proc, int level);
void log_set_level(int level);
/* json: one JSON object a line ({time, level, proc, pid, msg}); else
 * text, with syslog "<N>" priority prefixes instead of the time when
 * stderr is journald's stream (JOURNAL_STREAM). */
void log_set_format(int json);
/* Parses "error|warn|info|debug"; returns the level or -1. */
int log_level_parse(const char *s);

void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* Logs the OpenSSL error queue at level ERR with a prefix, then clears it. */
void log_openssl(const char *what);

#endif
