/*
 * Notifications: templates in Indonesian and English, the RFC 5322
 * message, and its delivery into a maildir or over SMTP (libcurl).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <curl/curl.h>
#include <openssl/crypto.h>

#include "common/err.h"
#include "common/util.h"
#include "ra/ra.h"

struct tpl {
	const char *name, *lang, *subject, *body;
};

/* {{key}} is replaced by vars[key]; an unknown key by "". */
static const struct tpl tpls[] = {
	{ "activation", "id", "Aktivasi sertifikat elektronik Anda",
	  "Yth. {{name}},\n\n"
	  "Pendaftaran sertifikat elektronik Anda telah disetujui.\n"
	  "Aktifkan dengan kode berikut sebelum {{expires}}:\n\n"
	  "  ID pelanggan : {{subscriber}}\n"
	  "  Kode aktivasi: {{code}}\n\n"
	  "atau buka: {{link}}\n\n"
	  "Kode ini hanya berlaku satu kali. Jangan berikan kepada siapa pun.\n" },
	{ "activation", "en", "Activate your electronic certificate",
	  "Dear {{name}},\n\n"
	  "Your registration for an electronic certificate was approved.\n"
	  "Activate it with this code before {{expires}}:\n\n"
	  "  Subscriber id  : {{subscriber}}\n"
	  "  Activation code: {{code}}\n\n"
	  "or open: {{link}}\n\n"
	  "The code works once. Do not give it to anyone.\n" },
	{ "issued", "id", "Sertifikat elektronik Anda telah terbit",
	  "Yth. {{name}},\n\n"
	  "Sertifikat elektronik untuk {{subject}} telah terbit.\n\n"
	  "  ID pelanggan : {{subscriber}}\n"
	  "  Nomor seri   : {{serial}}\n"
	  "  Berlaku s.d. : {{not_after}}\n\n"
	  "{{next}}\n" },
	{ "issued", "en", "Your electronic certificate was issued",
	  "Dear {{name}},\n\n"
	  "The electronic certificate for {{subject}} was issued.\n\n"
	  "  Subscriber id: {{subscriber}}\n"
	  "  Serial number: {{serial}}\n"
	  "  Valid until  : {{not_after}}\n\n"
	  "{{next}}\n" },
	{ "seal_activation", "id", "Kode aktivasi segel elektronik",
	  "Yth. penanggung jawab {{name}},\n\n"
	  "Aktivasi segel elektronik {{name}} ({{subscriber}}) diminta.\n"
	  "Kode aktivasi: {{code}}\n"
	  "Berlaku sampai: {{expires}}\n\n"
	  "Berikan kode ini hanya kepada aplikasi yang berwenang menyegel atas\n"
	  "nama instansi Anda. Aktivasi dapat dicabut kapan saja.\n" },
	{ "seal_activation", "en", "Electronic seal activation code",
	  "Dear officer responsible for {{name}},\n\n"
	  "The activation of the electronic seal {{name}} ({{subscriber}}) was\n"
	  "requested.\n"
	  "Activation code: {{code}}\n"
	  "Valid until: {{expires}}\n\n"
	  "Give this code only to the application allowed to seal on your\n"
	  "organisation's behalf. The activation can be revoked at any time.\n" },
	{ "otp", "id", "Kode sekali pakai untuk tanda tangan elektronik",
	  "Yth. {{name}},\n\n"
	  "Kode sekali pakai untuk menandatangani {{documents}} dokumen:\n\n"
	  "  Kode: {{code}}\n"
	  "  Berlaku sampai: {{expires}}\n\n"
	  "Jika Anda tidak meminta kode ini, abaikan email ini dan hubungi\n"
	  "verifikator Anda.\n" },
	{ "otp", "en", "One-time code for your electronic signature",
	  "Dear {{name}},\n\n"
	  "A one-time code to sign {{documents}} documents:\n\n"
	  "  Code: {{code}}\n"
	  "  Valid until: {{expires}}\n\n"
	  "If you did not ask for it, ignore this email and tell your\n"
	  "verifier.\n" },
	{ "account", "id", "Akun esignd Anda",
	  "Yth. {{name}},\n\n"
	  "Akun {{role}} untuk Anda telah dibuat.\n\n"
	  "  Nama pengguna  : {{name}}\n"
	  "  Kata sandi awal: {{code}}\n\n"
	  "Saat masuk pertama kali Anda harus mengganti kata sandi dan\n"
	  "mendaftarkan aplikasi autentikator.\n" },
	{ "account", "en", "Your esignd account",
	  "Dear {{name}},\n\n"
	  "An account with the {{role}} role was created for you.\n\n"
	  "  User name       : {{name}}\n"
	  "  Initial password: {{code}}\n\n"
	  "At your first login you must change the password and enrol an\n"
	  "authenticator app.\n" },
	{ "rejected", "id", "Permohonan sertifikat elektronik ditolak",
	  "Yth. {{name}},\n\n"
	  "Permohonan {{request}} untuk {{subscriber}} ditolak oleh verifikator.\n"
	  "Alasan: {{reason}}\n" },
	{ "rejected", "en", "Your certificate request was rejected",
	  "Dear {{name}},\n\n"
	  "The {{request}} request for {{subscriber}} was rejected by a verifier.\n"
	  "Reason: {{reason}}\n" },
	{ "revoked", "id", "Sertifikat elektronik Anda dicabut",
	  "Yth. {{name}},\n\n"
	  "Sertifikat dengan nomor seri {{serial}} ({{subscriber}}) telah\n"
	  "dicabut pada {{time}}. Alasan: {{reason}}.\n" },
	{ "revoked", "en", "Your electronic certificate was revoked",
	  "Dear {{name}},\n\n"
	  "The certificate with serial number {{serial}} ({{subscriber}}) was\n"
	  "revoked on {{time}}. Reason: {{reason}}.\n" },
};

/* Appends n bytes of s to the growing string *b (length *len). */
static int append(char **b, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t nc = (*len + n + 1) * 2;
		char *p = realloc(*b, nc);

		if (p == NULL)
			return ESD_ENOMEM;
		*b = p;
		*cap = nc;
	}
	memcpy(*b + *len, s, n);
	*len += n;
	(*b)[*len] = '\0';
	return 0;
}

static char *expand(const char *t, json_t *vars)
{
	char *out = NULL, key[64];
	size_t len = 0, cap = 0;
	int rc = append(&out, &len, &cap, "", 0);

	while (rc == 0 && *t != '\0') {
		const char *open = strstr(t, "{{"), *close;
		const char *v;
		size_t kl;

		if (open == NULL || (close = strstr(open + 2, "}}")) == NULL) {
			rc = append(&out, &len, &cap, t, strlen(t));
			break;
		}
		rc = append(&out, &len, &cap, t, (size_t)(open - t));
		kl = (size_t)(close - open - 2);
		if (rc == 0 && kl < sizeof(key)) {
			memcpy(key, open + 2, kl);
			key[kl] = '\0';
			v = json_string_value(json_object_get(vars, key));
			if (v != NULL)
				rc = append(&out, &len, &cap, v, strlen(v));
		}
		t = close + 2;
	}
	if (rc != 0) {
		free(out);
		return NULL;
	}
	return out;
}

int ra_mail_render(const char *name, const char *lang, json_t *vars,
		   char **subject, char **body)
{
	const struct tpl *t = NULL;

	if (lang == NULL || strcmp(lang, "en") != 0)
		lang = "id";
	for (size_t i = 0; i < ESD_ARRAY_LEN(tpls); i++)
		if (strcmp(tpls[i].name, name) == 0 &&
		    strcmp(tpls[i].lang, lang) == 0)
			t = &tpls[i];
	if (t == NULL)
		return ESD_ENOTFOUND;
	*subject = expand(t->subject, vars);
	*body = expand(t->body, vars);
	if (*subject == NULL || *body == NULL) {
		free(*subject);
		free(*body);
		return ESD_ENOMEM;
	}
	return 0;
}

/* A header value: as is when printable ASCII, else RFC 2047 base64. */
static int header(char **b, size_t *len, size_t *cap, const char *name,
		  const char *v)
{
	int ascii = 1, rc;

	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			ascii = 0;
	rc = append(b, len, cap, name, strlen(name));
	if (rc == 0)
		rc = append(b, len, cap, ": ", 2);
	if (rc == 0 && ascii) {
		rc = append(b, len, cap, v, strlen(v));
	} else if (rc == 0) {
		char *enc = esd_b64_encode((const uint8_t *)v, strlen(v));

		rc = enc ? append(b, len, cap, "=?UTF-8?B?", 10) : ESD_ENOMEM;
		if (rc == 0)
			rc = append(b, len, cap, enc, strlen(enc));
		if (rc == 0)
			rc = append(b, len, cap, "?=", 2);
		free(enc);
	}
	return rc == 0 ? append(b, len, cap, "\r\n", 2) : rc;
}

static int bad_address(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == '<' || *s == '>' ||
		    *s == ',' || *s == 0x7f)
			return 1;
	return 0;
}

int ra_mail_message(const char *from, const char *to, const char *subject,
		    const char *body, time_t date, const char *msg_id,
		    char **out, size_t *len)
{
	static const char mime[] = "MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=UTF-8\r\n"
		"Content-Transfer-Encoding: 8bit\r\n"
		"Auto-Submitted: auto-generated\r\n\r\n";
	char *b = NULL, d[64], id[160];
	size_t cap = 0;
	struct tm tm;
	int rc;

	*len = 0;
	if (bad_address(from) || bad_address(to))
		return ESD_EINVAL;
	gmtime_r(&date, &tm);
	strftime(d, sizeof(d), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(id, sizeof(id), "<%s@esignd>", msg_id);
	rc = header(&b, len, &cap, "From", from);
	if (rc == 0)
		rc = header(&b, len, &cap, "To", to);
	if (rc == 0)
		rc = header(&b, len, &cap, "Subject", subject);
	if (rc == 0)
		rc = header(&b, len, &cap, "Date", d);
	if (rc == 0)
		rc = header(&b, len, &cap, "Message-ID", id);
	if (rc == 0)
		rc = append(&b, len, &cap, mime, strlen(mime));
	/* Body lines end in CRLF; a lone "." line would end SMTP DATA, and
	 * libcurl escapes it, so the text goes as written. */
	for (const char *p = body; rc == 0 && *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		rc = append(&b, len, &cap, p, n);
		if (rc == 0)
			rc = append(&b, len, &cap, "\r\n", 2);
		p += n + (nl != NULL);
	}
	if (rc != 0) {
		free(b);
		return rc;
	}
	*out = b;
	return 0;
}

int ra_maildir_deliver(const char *dir, const char *msg, size_t len)
{
	char name[64], tmp[1024], dst[1024];
	uint8_t r[8];
	int fd, rc = 0;
	ssize_t w;

	if (esd_random(r, sizeof(r)) != 0)
		return ESD_EIO;
	snprintf(name, sizeof(name), "%lld.%02x%02x%02x%02x%02x%02x%02x%02x.esignd",
		 (long long)esd_now(), r[0], r[1], r[2], r[3], r[4], r[5], r[6],
		 r[7]);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, name) >= sizeof(tmp) ||
	    (size_t)snprintf(dst, sizeof(dst), "%s/new/%s", dir, name) >= sizeof(dst))
		return ESD_ETOOBIG;
	/* Made on first use: a maildir is tmp/, new/ and cur/. */
	for (size_t i = 0; i < 4; i++) {
		static const char *const sub[] = { "", "/tmp", "/new", "/cur" };
		char d[1024];

		snprintf(d, sizeof(d), "%s%s", dir, sub[i]);
		if (mkdir(d, 0700) != 0 && errno != EEXIST)
			return ESD_EIO;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return ESD_EIO;
	for (size_t off = 0; off < len && rc == 0; off += (size_t)w) {
		w = write(fd, msg + off, len - off);
		if (w <= 0)
			rc = ESD_EIO;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = ESD_EIO;
	if (close(fd) != 0)
		rc = ESD_EIO;
	if (rc == 0 && rename(tmp, dst) != 0)
		rc = ESD_EIO;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t on_read(char *buf, size_t sz, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t take = sz * n < u->left ? sz * n : u->left;

	memcpy(buf, u->p, take);
	u->p += take;
	u->left -= take;
	return take;
}

int ra_smtp_send(const struct ra_smtp *s, const char *from, const char *to,
		 const char *msg, size_t len, char *err, size_t errlen)
{
	struct curl_slist *rcpt = NULL;
	struct upload u = { msg, len };
	char addr[300];
	CURL *c = curl_easy_init();
	CURLcode cr;

	if (c == NULL)
		return ESD_ENOMEM;
	snprintf(addr, sizeof(addr), "<%s>", to);
	rcpt = curl_slist_append(NULL, addr);
	snprintf(addr, sizeof(addr), "<%s>", from);
	curl_easy_setopt(c, CURLOPT_URL, s->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, addr);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_USE_SSL,
			 s->require_tls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (s->ca_file != NULL && s->ca_file[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
	if (s->user != NULL && s->user[0] != '\0') {
		curl_easy_setopt(c, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->password ? s->password : "");
	}
	cr = rcpt ? curl_easy_perform(c) : CURLE_OUT_OF_MEMORY;
	if (cr != CURLE_OK)
		snprintf(err, errlen, "%s", curl_easy_strerror(cr));
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	return cr == CURLE_OK ? 0 : ESD_EIO;
}
