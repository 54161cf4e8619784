/*
 * The SLA's working-day calendar. Days are counted in the calendar's own
 * time zone (sla_utc_offset_minutes, WIB by default) so that a request
 * sent at 08:00 on a Monday in Jakarta counts from that Monday.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "ra/ra.h"

#define DAY 86400

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int parse_date(const char *s, int64_t *day)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
					  31, 30, 31 };
	unsigned y, m, d;
	int n = 0;

	if (sscanf(s, "%4u-%2u-%2u%n", &y, &m, &d, &n) != 3 || n != 10 ||
	    s[10] != '\0' || y < 1970 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1])
		return ESD_EINVAL;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return ESD_EINVAL;
	*day = days_from_civil(y, m, d);
	return 0;
}

int sla_calendar_load(const char *path, int utc_offset_min,
		      struct sla_calendar *cal, char *err, size_t errlen)
{
	char *text = NULL, *line;
	size_t len, cap = 0;
	unsigned lineno = 0;
	int rc;

	memset(cal, 0, sizeof(*cal));
	cal->utc_offset_min = utc_offset_min;
	if (path == NULL || path[0] == '\0')
		return 0;
	rc = esd_read_file(path, 1 << 20, &text, &len);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, esd_err_msg(rc));
		return rc;
	}
	/* strtok_r skips empty lines, so count them by hand. */
	for (char *p = text, *nl; p != NULL && *p != '\0'; p = nl ? nl + 1 : NULL) {
		char *hash;
		int64_t day;

		nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		lineno++;
		line = p;
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		line = esd_trim(line);
		if (*line == '\0')
			continue;
		if (parse_date(line, &day) != 0) {
			snprintf(err, errlen, "%s:%u: expected a date YYYY-MM-DD",
				 path, lineno);
			rc = ESD_ECONFIG;
			break;
		}
		if (cal->n == cap) {
			int64_t *nv;

			cap = cap ? cap * 2 : 32;
			nv = realloc(cal->holidays, cap * sizeof(*nv));
			if (nv == NULL) {
				rc = ESD_ENOMEM;
				break;
			}
			cal->holidays = nv;
		}
		cal->holidays[cal->n++] = day;
	}
	free(text);
	if (rc != 0) {
		sla_calendar_free(cal);
		return rc;
	}
	qsort(cal->holidays, cal->n, sizeof(*cal->holidays), cmp_i64);
	return 0;
}

void sla_calendar_free(struct sla_calendar *cal)
{
	free(cal->holidays);
	cal->holidays = NULL;
	cal->n = 0;
}

int sla_working_day(const struct sla_calendar *cal, int64_t day)
{
	/* 1970-01-01 was a Thursday: weekday 0 = Monday. */
	int64_t wd = ((day % 7) + 7 + 3) % 7;

	if (wd >= 5)
		return 0;
	return cal->n == 0 || bsearch(&day, cal->holidays, cal->n,
				      sizeof(*cal->holidays), cmp_i64) == NULL;
}

time_t sla_deadline(const struct sla_calendar *cal, time_t arrived,
		    unsigned days)
{
	int64_t off = (int64_t)cal->utc_offset_min * 60;
	int64_t local = (int64_t)arrived + off;
	int64_t day = (local >= 0 ? local : local - (DAY - 1)) / DAY;

	/* At most a few years of holidays in a row: bounded either way. */
	for (unsigned found = 0, guard = 0; found < days && guard < 3660; guard++) {
		day++;
		if (sla_working_day(cal, day))
			found++;
	}
	return (time_t)((day + 1) * DAY - off);
}

enum sla_result sla_judge(const struct sla_calendar *cal, time_t arrived,
			  time_t decided, time_t now, unsigned days)
{
	time_t deadline = sla_deadline(cal, arrived, days);

	if (decided != 0)
		return decided <= deadline ? SLA_MET : SLA_BREACHED;
	return now > deadline ? SLA_BREACHED : SLA_OPEN;
}

int sla_parse_day(const struct sla_calendar *cal, const char *date, time_t *t)
{
	int64_t day;

	if (date == NULL || parse_date(date, &day) != 0)
		return ESD_EINVAL;
	*t = (time_t)(day * DAY - (int64_t)cal->utc_offset_min * 60);
	return 0;
}
