/*
 * What an issued certificate leaves in the store, input checks for the
 * registration authority, subjects from profile templates and
 * identifiers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/asn1.h>

#include "common/err.h"
#include "common/util.h"
#include "pki/pki.h"
#include "ra/ra.h"

static int64_t not_after(X509 *cert)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

int ra_record_cert(struct store_txn *t, const char *actor, const char *label,
		   const char *type, const char *purpose, X509 *cert,
		   const char *issuer_label, X509 *const *chain, size_t nchain,
		   const char *subscriber, char *serial, size_t cap)
{
	char *pem = NULL, *ipem = NULL, *subj = NULL;
	json_t *rec = NULL, *crec = NULL, *arr = json_array();
	int rc = arr ? pki_cert_pem(cert, &pem) : ESD_ENOMEM;

	for (size_t i = 0; rc == 0 && i < nchain; i++) {
		rc = pki_cert_pem(chain[i], &ipem);
		if (rc == 0 && json_array_append_new(arr, json_string(ipem)) != 0)
			rc = ESD_ENOMEM;
		free(ipem);
		ipem = NULL;
	}
	if (rc == 0)
		rc = pki_cert_serial_hex(cert, serial, cap);
	if (rc == 0) {
		subj = X509_NAME_oneline(X509_get_subject_name(cert), NULL, 0);
		rc = subj ? 0 : ESD_ENOMEM;
	}
	if (rc != 0)
		goto out;
	rec = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:O}", "label", label,
			"type", type, "created", (json_int_t)esd_now(),
			"purpose", purpose, "cert", pem, "serial", serial,
			"chain", arr);
	crec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "serial", serial,
			 "subject", subj, "key", label, "status", "valid",
			 "pem", pem, "issuer", issuer_label,
			 "not_after", (json_int_t)not_after(cert));
	if (rec == NULL || crec == NULL) {
		rc = ESD_ENOMEM;
		goto out;
	}
	if (subscriber != NULL) {
		json_object_set_new(rec, "subscriber", json_string(subscriber));
		json_object_set_new(crec, "subscriber", json_string(subscriber));
	}
	rc = store_put_json(t, DB_KEYS, label, rec, 1);
	if (rc == 0)
		rc = store_put_json(t, DB_CERTS, serial, crec, 1);
	if (rc == 0)
		rc = store_audit(t, actor, "cert.issue", serial, 0, crec);
out:
	OPENSSL_free(subj);
	json_decref(arr);
	json_decref(rec);
	json_decref(crec);
	free(pem);
	return rc;
}

/* Length of the UTF-8 sequence starting at s, or 0 if malformed. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2
		 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;

	if (n == 2 && s[0] < 0xc2)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

int ra_check_text(const char *what, const char *s, size_t max, char *msg,
		  size_t msglen)
{
	size_t len = s ? strlen(s) : 0;

	if (len == 0 || len > max) {
		snprintf(msg, msglen, "'%s' must be 1 to %zu bytes of text", what,
			 max);
		return ESD_EINVAL;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = utf8_len(p);

		if (n == 0 || *p < 0x20 || *p == 0x7f || *p == '/' || *p == '=') {
			snprintf(msg, msglen, "'%s' must be UTF-8 text without "
				 "control characters, '/' or '='", what);
			return ESD_EINVAL;
		}
		p += n;
	}
	return 0;
}

int ra_check_email(const char *s, char *msg, size_t msglen)
{
	const char *at = s ? strchr(s, '@') : NULL;
	size_t len = s ? strlen(s) : 0;

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') ||
	    strchr(at + 1, '.') == NULL || len > 254)
		goto bad;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("<>()[],;:\\\"", *p) != NULL)
			goto bad;
	return 0;
bad:
	snprintf(msg, msglen, "'email' must be an address local@domain");
	return ESD_EINVAL;
}

int ra_check_nik(const char *s, char *msg, size_t msglen)
{
	size_t i;

	for (i = 0; s != NULL && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (s == NULL || i != 16 || s[i] != '\0') {
		snprintf(msg, msglen, "'nik' must be the 16 digits of a NIK");
		return ESD_EINVAL;
	}
	return 0;
}

int ra_check_org_id(const char *s, char *msg, size_t msglen)
{
	size_t i, n = s != NULL ? strlen(s) : 0;
	int ok = n >= 7 && n <= 70 && s[5] == '-';

	for (i = 0; ok && i < 5; i++)
		ok = s[i] >= 'A' && s[i] <= 'Z';
	for (i = 6; ok && i < n; i++)
		ok = (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		     (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' ||
		     s[i] == ':';
	if (!ok) {
		snprintf(msg, msglen, "'org_id' must be an EN 319 412-1 "
			 "identifier such as NTRID-0123456789 or GOVID-KEMENKEU");
		return ESD_EINVAL;
	}
	return 0;
}

int ra_subject(const char *tpl, json_t *vars, char *out, size_t cap)
{
	char buf[512], *save = NULL, *rdn;
	size_t n = 0;

	if (strlen(tpl) >= sizeof(buf) || tpl[0] != '/')
		return ESD_EINVAL;
	memcpy(buf, tpl + 1, strlen(tpl));
	out[0] = '\0';
	for (rdn = strtok_r(buf, "/", &save); rdn != NULL;
	     rdn = strtok_r(NULL, "/", &save)) {
		char *eq = strchr(rdn, '='), val[300];
		size_t vl = 0;

		if (eq == NULL)
			return ESD_EINVAL;
		/* The value: literal text and {field} references. */
		for (const char *p = eq + 1; *p;) {
			const char *v = p, *close;
			size_t l = 1;

			if (*p == '{' && (close = strchr(p, '}')) != NULL) {
				char key[32];
				size_t kl = (size_t)(close - p - 1);

				if (kl >= sizeof(key))
					return ESD_EINVAL;
				memcpy(key, p + 1, kl);
				key[kl] = '\0';
				v = json_string_value(json_object_get(vars, key));
				l = v ? strlen(v) : 0;
				p = close + 1;
			} else {
				p++;
			}
			if (vl + l >= sizeof(val))
				return ESD_ETOOBIG;
			memcpy(val + vl, v ? v : "", l);
			vl += l;
		}
		val[vl] = '\0';
		if (vl == 0)
			continue;
		*eq = '\0';
		n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "/%s=%s",
				      rdn, val);
		if (n >= cap)
			return ESD_ETOOBIG;
	}
	return n > 0 ? 0 : ESD_EINVAL;
}

int ra_new_id(const char *prefix, char *out, size_t cap)
{
	struct timespec ts;
	uint8_t r[2];
	uint64_t v;

	if (esd_random(r, sizeof(r)) != 0)
		return ESD_EIO;
	clock_gettime(CLOCK_REALTIME, &ts);
	v = ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000) << 16 |
	    (uint64_t)r[0] << 8 | r[1];
	return (size_t)snprintf(out, cap, "%s%016llx", prefix,
				(unsigned long long)v) < cap ? 0 : ESD_ETOOBIG;
}
