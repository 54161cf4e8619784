/*
 * The strength of a new secret (a staff password, a subscriber's signing
 * passphrase), judged by libpwquality: its cracklib dictionary check, its
 * checks for palindromes, simplistic sequences and the user's name, and
 * its 0-100 score. The system's /etc/security/pwquality.conf is not read:
 * what is accepted depends on esignd's configuration only.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <pwquality.h>

#include "common/err.h"
#include "ra/ra.h"

/* cracklib's FascistCheck keeps static state: one check at a time. */
static pthread_mutex_t pwq_mu = PTHREAD_MUTEX_INITIALIZER;

int ra_check_password(const char *pw, const char *user, size_t min_len,
		      unsigned min_quality, int *score, char *msg,
		      size_t msglen)
{
	pwquality_settings_t *s;
	char buf[PWQ_MAX_ERROR_MESSAGE_LEN], why[PWQ_MAX_ERROR_MESSAGE_LEN];
	void *aux = NULL;
	int rc = ESD_EINVAL, q;

	why[0] = '\0';
	if (score != NULL)
		*score = -1;
	if (pw == NULL || strlen(pw) < min_len || strlen(pw) > 256) {
		snprintf(msg, msglen, "the password or passphrase must be %zu to "
			 "256 bytes", min_len);
		return ESD_EINVAL;
	}
	if ((s = pwquality_default_settings()) == NULL)
		return ESD_ENOMEM;
	/* Our length rule is above; libpwquality's own floor is 6. */
	if (pwquality_set_int_value(s, PWQ_SETTING_MIN_LENGTH,
				    min_len < 6 ? 6 : (int)min_len) != 0) {
		rc = ESD_EINTERNAL;
		goto out;
	}
	pthread_mutex_lock(&pwq_mu);
	q = pwquality_check(s, pw, NULL, user, &aux);
	/* The sentence may be in buf or a static string: copy it. */
	if (q < 0)
		snprintf(why, sizeof(why), "%s",
			 pwquality_strerror(buf, sizeof(buf), q, aux));
	pthread_mutex_unlock(&pwq_mu);
	if (q == PWQ_ERROR_CRACKLIB_CHECK &&
	    strstr(why, "error loading dictionary") != NULL) {
		/* No dictionary: refuse rather than accept unchecked. */
		snprintf(msg, msglen, "the password dictionary cannot be read "
			 "(install cracklib-runtime)");
		rc = ESD_EINTERNAL;
		goto out;
	}
	if (score != NULL)
		*score = q;
	if (q < 0) {
		/* libpwquality's sentence ("The password fails the dictionary
		 * check - it is based on a dictionary word"), lower-cased. */
		if (why[0] >= 'A' && why[0] <= 'Z')
			why[0] = (char)(why[0] - 'A' + 'a');
		snprintf(msg, msglen, "too weak: %s; choose a longer phrase of "
			 "several unrelated words", why);
		goto out;
	}
	if ((unsigned)q < min_quality) {
		snprintf(msg, msglen, "too weak: it scores %d of 100 and at "
			 "least %u is needed (password_min_quality); choose a "
			 "longer phrase of several unrelated words", q,
			 min_quality);
		goto out;
	}
	rc = 0;
out:
	pwquality_free_settings(s);
	return rc;
}
