#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <openssl/err.h>

#include "common/log.h"

static const char *proc_name = "esignd";
static int max_level = LOG_LVL_INFO;
static int json_lines;       /* one JSON object a line (log_format = json) */
static int journal;          /* stderr is journald's stream: <N> prefixes */
static const char *const names[] = { "error", "warn", "info", "debug" };

void log_init(const char *proc, int level)
{
	proc_name = proc;
	max_level = level;
}

void log_set_level(int level) { max_level = level; }

void log_set_format(int json)
{
	const char *js = getenv("JOURNAL_STREAM");
	struct stat st;
	unsigned long dev, ino;

	json_lines = json;
	/* systemd sets JOURNAL_STREAM=dev:ino when stderr goes to journald:
	 * then a "<N>" prefix gives each line its PRIORITY field, and
	 * journald keeps the time, the pid and the identifier. */
	journal = !json && js != NULL && sscanf(js, "%lu:%lu", &dev, &ino) == 2 &&
		  fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev &&
		  st.st_ino == ino;
}

/* Appends s to out as JSON string contents (quotes, backslashes and
 * control characters escaped). */
static size_t json_escape(char *out, size_t cap, const char *s)
{
	size_t n = 0;

	for (; *s != '\0' && n + 7 < cap; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			out[n++] = '\\';
			out[n++] = (char)ch;
		} else if (ch < 0x20) {
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", ch);
		} else {
			out[n++] = (char)ch;
		}
	}
	out[n] = '\0';
	return n;
}

int log_level_parse(const char *s)
{
	for (int i = 0; i <= LOG_LVL_DEBUG; i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	return -1;
}

void log_msg(int level, const char *fmt, ...)
{
	static const int prio[] = { 3, 4, 6, 7 };   /* syslog priorities */
	char msg[1024], line[2048];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (journal) {
		fprintf(stderr, "<%d>%s[%d]: %s\n", prio[level], proc_name,
			(int)getpid(), msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (json_lines) {
		char esc[1200];

		json_escape(esc, sizeof(esc), msg);
		fprintf(stderr, "{\"time\":\"%s\",\"level\":\"%s\",\"proc\":\"%s\","
			"\"pid\":%d,\"msg\":\"%s\"}\n", line, names[level], proc_name,
			(int)getpid(), esc);
		return;
	}
	fprintf(stderr, "%s %s %s[%d]: %s\n", line, names[level], proc_name,
		(int)getpid(), msg);
}

void log_openssl(const char *what)
{
	unsigned long e;
	char buf[256];

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		log_err("%s: %s", what, buf);
	}
}
