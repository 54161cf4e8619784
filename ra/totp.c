/*
 * Time-based one-time passwords for authenticator apps (RFC 6238 over
 * RFC 4226: HMAC-SHA-1, 6 digits, 30-second steps, what Google
 * Authenticator and FreeOTP read), the otpauth:// URI that enrols them,
 * and that URI as a QR code in a PNG (libqrencode, zlib).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <qrencode.h>
#include <zlib.h>

#include "common/err.h"
#include "ra/ra.h"

int ra_hotp(const uint8_t *key, size_t klen, uint64_t counter, char out[7])
{
	uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned mlen = 0, off;
	uint32_t v;

	for (int i = 7; i >= 0; i--, counter >>= 8)
		msg[i] = (uint8_t)counter;
	if (HMAC(EVP_sha1(), key, (int)klen, msg, sizeof(msg), mac, &mlen) == NULL ||
	    mlen != 20)
		return ESD_ECRYPTO;
	/* RFC 4226 §5.3: dynamic truncation. */
	off = mac[19] & 0x0f;
	v = ((uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	     (uint32_t)mac[off + 2] << 8 | mac[off + 3]) % 1000000;
	snprintf(out, 7, "%06u", v);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

int ra_totp_check(const uint8_t *key, size_t klen, int64_t now,
		  const char *code, int64_t after, int64_t *step)
{
	int64_t t = now / RA_TOTP_PERIOD;
	char want[7];
	int ok = 0;

	if (code == NULL || strlen(code) != 6)
		return 0;
	/* One step either side for clock drift; a step at or before the
	 * last one accepted is a replay. */
	for (int64_t s = t - 1; s <= t + 1; s++) {
		if (s <= after || ra_hotp(key, klen, (uint64_t)s, want) != 0)
			continue;
		if (CRYPTO_memcmp(want, code, 6) == 0 && !ok) {
			ok = 1;
			*step = s;
		}
	}
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

void ra_base32(const uint8_t *in, size_t len, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t o = 0;
	unsigned buf = 0, bits = 0;

	for (size_t i = 0; i < len; i++) {
		buf = buf << 8 | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = a[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = a[(buf << (5 - bits)) & 31];
	out[o] = '\0';
}

/* Appends a PNG chunk (length, type, data, CRC). */
static size_t chunk(uint8_t *p, const char *type, const uint8_t *data,
		    size_t n)
{
	uLong crc;

	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	memcpy(p + 4, type, 4);
	if (n > 0)
		memcpy(p + 8, data, n);
	crc = crc32(0L, p + 4, (uInt)(n + 4));
	p[8 + n] = (uint8_t)(crc >> 24);
	p[9 + n] = (uint8_t)(crc >> 16);
	p[10 + n] = (uint8_t)(crc >> 8);
	p[11 + n] = (uint8_t)crc;
	return n + 12;
}

int ra_qr_png(const char *text, unsigned scale, uint8_t **png, size_t *len)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	unsigned quiet = 4, w, row;
	uint8_t *raw = NULL, *z = NULL, *out = NULL, ihdr[13];
	uLongf zlen;
	int rc = ESD_ENOMEM;

	if (qr == NULL)
		return ESD_EINVAL;
	w = ((unsigned)qr->width + 2 * quiet) * scale;
	row = 1 + (w + 7) / 8;                 /* filter byte + 1-bit pixels */
	raw = calloc((size_t)row * w, 1);
	zlen = compressBound((uLong)row * w);
	z = malloc(zlen);
	if (raw == NULL || z == NULL)
		goto out;
	/* 1-bit grayscale: 0 = black module, 1 = white. */
	for (unsigned y = 0; y < w; y++) {
		uint8_t *r = raw + (size_t)y * row;

		for (unsigned x = 0; x < w; x++) {
			int mx = (int)(x / scale) - (int)quiet;
			int my = (int)(y / scale) - (int)quiet;
			int dark = mx >= 0 && my >= 0 && mx < qr->width &&
				   my < qr->width &&
				   (qr->data[my * qr->width + mx] & 1);

			if (!dark)
				r[1 + x / 8] |= (uint8_t)(0x80 >> (x % 8));
		}
	}
	if (compress2(z, &zlen, raw, (uLong)row * w, 9) != Z_OK)
		goto out;
	out = malloc(8 + 25 + 12 + zlen + 12);
	if (out == NULL)
		goto out;
	memcpy(out, sig, 8);
	*len = 8;
	for (int i = 0; i < 4; i++) {
		ihdr[i] = (uint8_t)(w >> (24 - 8 * i));
		ihdr[4 + i] = (uint8_t)(w >> (24 - 8 * i));
	}
	ihdr[8] = 1;    /* bit depth */
	ihdr[9] = 0;    /* grayscale */
	ihdr[10] = ihdr[11] = ihdr[12] = 0;
	*len += chunk(out + *len, "IHDR", ihdr, sizeof(ihdr));
	*len += chunk(out + *len, "IDAT", z, zlen);
	*len += chunk(out + *len, "IEND", NULL, 0);
	*png = out;
	out = NULL;
	rc = 0;
out:
	free(out);
	free(z);
	free(raw);
	QRcode_free(qr);
	return rc;
}
