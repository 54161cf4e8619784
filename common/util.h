/*
 * Small helpers shared by every layer: hex, files, numbers, random.
 */
#ifndef ESD_COMMON_UTIL_H
#define ESD_COMMON_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ESD_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Writes 2*len lowercase hex chars and a NUL into out (size >= 2*len+1). */
void esd_hex(const uint8_t *in, size_t len, char *out);
/* Decodes hex (either case, even length) into out; *outlen gets the byte
 * count. Returns ESD_EINVAL on a bad digit, odd length or overflow of cap. */
int esd_unhex(const char *in, size_t inlen, uint8_t *out, size_t cap,
	      size_t *outlen);

/* Parses a whole decimal string into [min, max]; ESD_EINVAL otherwise. */
int esd_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Reads a whole file (at most max bytes) into a new NUL-terminated buffer
 * the caller frees (and wipes, if secret). ESD_ETOOBIG past max. */
int esd_read_file(const char *path, size_t max, char **out, size_t *len);
/* Writes data to path atomically (temp file, fsync, rename) with mode;
 * with excl, refuses (ESD_EEXIST) if path exists. */
int esd_write_file(const char *path, const void *data, size_t len,
		   mode_t mode, int excl);

/* A key label as esignd names keys: 1 to max bytes of letters, digits,
 * '-', '_' and '.' (safe in URLs, file names and audit records). */
int esd_label_ok(const char *s, size_t n, size_t max);

/* Fills buf with len cryptographically random bytes (OpenSSL DRBG). */
int esd_random(void *buf, size_t len);
/* SHA-256 of data into out[32]: 0, or ESD_ECRYPTO (out is then zero). */
int esd_sha256(const void *data, size_t len, uint8_t out[32])
	__attribute__((warn_unused_result));
/* Wall clock seconds since the epoch and a monotonic clock in ns. */
int64_t esd_now(void);
uint64_t esd_mono_ns(void);

/* Base64 (RFC 4648, no line breaks). encode returns a new string (NULL
 * on allocation failure); decode a new buffer, ESD_EINVAL on bad input. */
char *esd_b64_encode(const uint8_t *in, size_t len);
int esd_b64_decode(const char *in, uint8_t **out, size_t *outlen);

/* Appends n bytes to the NUL-terminated buffer *p of *len bytes in *cap.
 * When it must grow, it doubles, or jumps to hint if that is larger (an
 * announced length: one allocation of the right size). 0, or ESD_ENOMEM
 * with the buffer unchanged. */
int esd_append(char **p, size_t *len, size_t *cap, const void *data,
	       size_t n, size_t hint);

/* Trims leading and trailing ASCII whitespace in place; returns s. */
char *esd_trim(char *s);

/* 64-bit unsigned integers as 8 bytes, big endian (the store's keys
 * and counters). */
static inline void esd_be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t esd_be64_get(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

#endif
