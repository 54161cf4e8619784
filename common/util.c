#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/err.h"
#include "common/util.h"

void esd_hex(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int esd_unhex(const char *in, size_t inlen, uint8_t *out, size_t cap,
	      size_t *outlen)
{
	if (inlen % 2 != 0 || inlen / 2 > cap)
		return ESD_EINVAL;
	for (size_t i = 0; i < inlen / 2; i++) {
		int hi = nibble(in[2 * i]), lo = nibble(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return ESD_EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = inlen / 2;
	return 0;
}

int esd_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return ESD_EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return ESD_EINVAL;
	*out = v;
	return 0;
}

int esd_read_file(const char *path, size_t max, char **out, size_t *len)
{
	int fd, rc = ESD_EIO;
	struct stat st;
	char *buf = NULL;
	size_t got = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? ESD_ENOTFOUND : ESD_EIO;
	if (fstat(fd, &st) < 0)
		goto out;
	if ((size_t)st.st_size > max) {
		rc = ESD_ETOOBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		rc = ESD_ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	buf = NULL;
	if (len != NULL)
		*len = got;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

int esd_write_file(const char *path, const void *data, size_t len,
		   mode_t mode, int excl)
{
	char tmp[4096], dir[4096], *slash;
	int fd, dfd, rc = ESD_EIO;
	size_t off = 0;
	uint8_t rnd[8];
	char rhex[17];

	if (excl && access(path, F_OK) == 0)
		return ESD_EEXIST;
	if (esd_random(rnd, sizeof(rnd)) != 0)
		return ESD_ECRYPTO;
	esd_hex(rnd, sizeof(rnd), rhex);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%s", path, rhex) >=
	    sizeof(tmp))
		return ESD_EINVAL;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  mode);
	if (fd < 0)
		return ESD_EIO;
	if (fchmod(fd, mode) < 0)
		goto out;
	while (off < len) {
		ssize_t n = write(fd, (const char *)data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	if (fsync(fd) < 0)
		goto out;
	/* excl: link() fails if path appeared meanwhile; else replace. */
	if (excl) {
		if (link(tmp, path) < 0) {
			rc = errno == EEXIST ? ESD_EEXIST : ESD_EIO;
			goto out;
		}
		unlink(tmp);
	} else if (rename(tmp, path) < 0) {
		goto out;
	}
	rc = 0;
	/* Make the new directory entry durable too. */
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
out:
	close(fd);
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int esd_label_ok(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' ||
		      s[i] == '.'))
			return 0;
	return 1;
}

int esd_random(void *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : ESD_ECRYPTO;
}

void esd_sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned int n = 32;

	EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

int64_t esd_now(void)
{
	return (int64_t)time(NULL);
}

uint64_t esd_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

char *esd_b64_encode(const uint8_t *in, size_t len)
{
	char *s;

	if (len > (SIZE_MAX / 4) * 3 - 3)
		return NULL;
	s = malloc(4 * ((len + 2) / 3) + 1);
	if (s != NULL)
		EVP_EncodeBlock((unsigned char *)s, in, (int)len);
	return s;
}

int esd_b64_decode(const char *in, uint8_t **out, size_t *outlen)
{
	size_t n = strlen(in), pad = 0;
	uint8_t *buf;
	int got;

	if (n % 4 != 0 || n > INT32_MAX)
		return ESD_EINVAL;
	buf = malloc(n / 4 * 3 + 1);
	if (buf == NULL)
		return ESD_ENOMEM;
	got = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)n);
	if (got < 0) {
		free(buf);
		return ESD_EINVAL;
	}
	/* EVP_DecodeBlock counts '=' padding as decoded zero bytes. */
	while (pad < 2 && n > pad && in[n - 1 - pad] == '=')
		pad++;
	*out = buf;
	*outlen = (size_t)got - pad;
	return 0;
}

int esd_append(char **p, size_t *len, size_t *cap, const void *data,
	       size_t n, size_t hint)
{
	if (n > SIZE_MAX / 2 - *len)
		return ESD_ENOMEM;
	if (*len + n + 1 > *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		char *np;

		if (hint > c)
			c = hint;
		while (c < *len + n + 1)
			c *= 2;
		np = realloc(*p, c);
		if (np == NULL)
			return ESD_ENOMEM;
		*p = np;
		*cap = c;
	}
	memcpy(*p + *len, data, n);
	*len += n;
	(*p)[*len] = '\0';
	return 0;
}

char *esd_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n'))
		*--e = '\0';
	return s;
}
