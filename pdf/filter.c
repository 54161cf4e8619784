/*
 * Stream filters (ISO 32000-1 §7.4): FlateDecode with PNG and TIFF
 * predictors, ASCII85Decode and ASCIIHexDecode, alone or chained, each
 * output capped at PDF_MAX_STREAM (zip bombs).
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/err.h"
#include "pdf/pdf_int.h"

/* ---- streams ---- */

static int inflate_all(const uint8_t *in, size_t inlen, uint8_t **out,
		       size_t *outlen)
{
	z_stream z;
	uint8_t *buf = NULL, *nb;
	size_t cap = inlen * 4 + 1024, len = 0;
	int zr, rc = ESD_EINVAL;

	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return ESD_ENOMEM;
	z.next_in = (Bytef *)in;
	do {
		if (cap > PDF_MAX_STREAM)
			cap = PDF_MAX_STREAM;
		nb = realloc(buf, cap);
		if (nb == NULL) {
			rc = ESD_ENOMEM;
			goto out;
		}
		buf = nb;
		do {
			size_t chunk_in = inlen - (size_t)(z.next_in - in);

			z.avail_in = chunk_in > UINT32_MAX ? UINT32_MAX :
				     (uInt)chunk_in;
			z.next_out = buf + len;
			z.avail_out = (uInt)(cap - len > UINT32_MAX ?
					     UINT32_MAX : cap - len);
			zr = inflate(&z, Z_NO_FLUSH);
			len = (size_t)(z.next_out - buf);
		} while (zr == Z_OK && z.avail_out > 0 &&
			 (size_t)(z.next_in - in) < inlen);
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_BUF_ERROR && (size_t)(z.next_in - in) == inlen &&
		    len < cap)
			break; /* input ended without a final block: lenient */
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			goto out;
		if ((size_t)(z.next_in - in) == inlen && len < cap)
			break;
		if (cap >= PDF_MAX_STREAM) {
			rc = ESD_ETOOBIG;
			goto out;
		}
		cap *= 2;
	} while (1);
	*out = buf;
	*outlen = len;
	buf = NULL;
	rc = 0;
out:
	inflateEnd(&z);
	free(buf);
	return rc;
}

int64_t pdf_dict_int(struct pdf_doc *d, const struct pdf_obj *dict,
			const char *key, int64_t dflt)
{
	struct pdf_obj *v = pdf_dict_get(dict, key);

	if (v != NULL && v->t == PDF_REF && pdf_resolve(d, v, &v) != 0)
		return dflt;
	return v != NULL && v->t == PDF_INT ? v->u.i : dflt;
}

static int unpredict(struct pdf_doc *d, const struct pdf_obj *parms,
		     uint8_t **buf, size_t *len)
{
	int64_t pred = pdf_dict_int(d, parms, "Predictor", 1);
	int64_t colors = pdf_dict_int(d, parms, "Colors", 1);
	int64_t bpc = pdf_dict_int(d, parms, "BitsPerComponent", 8);
	int64_t cols = pdf_dict_int(d, parms, "Columns", 1);
	size_t bpp, row, nrows, o = 0;
	uint8_t *in = *buf, *prev, *cur;

	if (pred == 1)
		return 0;
	if (colors < 1 || colors > 32 || cols < 1 || cols > (1 << 20) ||
	    (bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16))
		return ESD_EUNSUPP;
	bpp = (size_t)((colors * bpc + 7) / 8);
	row = (size_t)((cols * colors * bpc + 7) / 8);
	if (row == 0 || row > (64u << 20))
		return ESD_EUNSUPP;
	if (pred == 2) {
		if (bpc != 8)
			return ESD_EUNSUPP;
		for (size_t i = 0; i < *len; i++)
			if (i % row >= bpp)
				in[i] = (uint8_t)(in[i] + in[i - bpp]);
		return 0;
	}
	if (pred < 10 || pred > 15)
		return ESD_EUNSUPP;
	/* PNG: every row has a filter-type byte, decoded in place */
	nrows = *len / (row + 1);
	prev = calloc(row, 1);
	if (prev == NULL)
		return ESD_ENOMEM;
	for (size_t r = 0; r < nrows; r++) {
		uint8_t ft = in[r * (row + 1)];

		cur = in + r * (row + 1) + 1;
		for (size_t i = 0; i < row; i++) {
			unsigned a = i >= bpp ? in[o + i - bpp] : 0;
			unsigned b = prev[i];
			unsigned c = i >= bpp ? prev[i - bpp] : 0;
			unsigned x = cur[i];

			switch (ft) {
			case 0: break;
			case 1: x += a; break;
			case 2: x += b; break;
			case 3: x += (a + b) / 2; break;
			case 4: {
				int p = (int)a + (int)b - (int)c;
				int pa = abs(p - (int)a), pb = abs(p - (int)b);
				int pc = abs(p - (int)c);

				x += (pa <= pb && pa <= pc) ? a :
				     (pb <= pc ? b : c);
				break;
			}
			default:
				free(prev);
				return ESD_EINVAL;
			}
			in[o + i] = (uint8_t)x;
		}
		memcpy(prev, in + o, row);
		o += row;
	}
	free(prev);
	*len = o;
	return 0;
}

/* ASCIIHexDecode (§7.4.2): pairs of hex digits up to '>'. */
static int ahx_decode(const uint8_t *in, size_t n, uint8_t **out,
		      size_t *outlen)
{
	const uint8_t *e = memchr(in, '>', n);
	uint8_t *buf = malloc(n / 2 + 2);

	if (buf == NULL)
		return ESD_ENOMEM;
	*outlen = pdf_hex_decode(in, e != NULL ? e : in + n, buf);
	if (*outlen == SIZE_MAX) {
		free(buf);
		return ESD_EINVAL;
	}
	*out = buf;
	return 0;
}

/* ASCII85Decode (§7.4.3): groups of five '!'..'u', 'z' for four zeros,
 * up to "~>". */
static int a85_decode(const uint8_t *in, size_t n, uint8_t **out,
		      size_t *outlen)
{
	uint8_t *buf;
	uint32_t acc = 0;
	size_t len = 0;
	int k = 0;

	/* 'z' is one byte in and four out: the output is at most 4n */
	if (n > PDF_MAX_STREAM / 4)
		return ESD_ETOOBIG;
	buf = malloc(n * 4 + 8);
	if (buf == NULL)
		return ESD_ENOMEM;
	for (size_t i = 0; i < n && in[i] != '~'; i++) {
		uint8_t c = in[i];

		if (pdf_is_ws(c))
			continue;
		if (c == 'z' && k == 0) {
			memset(buf + len, 0, 4);
			len += 4;
			continue;
		}
		if (c < '!' || c > 'u' ||
		    (k == 4 && (uint64_t)acc * 85 + (c - '!') > UINT32_MAX)) {
			free(buf);
			return ESD_EINVAL;
		}
		acc = acc * 85 + (uint32_t)(c - '!');
		if (++k == 5) {
			for (int b = 3; b >= 0; b--)
				buf[len++] = (uint8_t)(acc >> (8 * b));
			acc = 0;
			k = 0;
		}
	}
	if (k == 1) {
		free(buf);
		return ESD_EINVAL;
	}
	if (k > 1) {   /* a final partial group: pad with 'u' */
		for (int i = k; i < 5; i++)
			acc = acc * 85 + 84;
		for (int b = 3; b > 4 - k; b--)
			buf[len++] = (uint8_t)(acc >> (8 * b));
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* One filter over in; parms its /DecodeParms (may be NULL). */
static int filter_one(struct pdf_doc *d, const struct pdf_obj *f,
		      const struct pdf_obj *parms, const uint8_t *in,
		      size_t n, uint8_t **out, size_t *outlen)
{
	int rc;

	if (pdf_name_is(f, "ASCIIHexDecode") || pdf_name_is(f, "AHx"))
		return ahx_decode(in, n, out, outlen);
	if (pdf_name_is(f, "ASCII85Decode") || pdf_name_is(f, "A85"))
		return a85_decode(in, n, out, outlen);
	if (!pdf_name_is(f, "FlateDecode") && !pdf_name_is(f, "Fl"))
		return ESD_EUNSUPP;
	rc = inflate_all(in, n, out, outlen);
	if (rc == 0 && parms != NULL && parms->t == PDF_DICT &&
	    (rc = unpredict(d, parms, out, outlen)) != 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

#define MAX_FILTERS 4

int pdf_stream_decode(struct pdf_doc *d, const struct pdf_obj *st,
		      uint8_t **out, size_t *outlen)
{
	struct pdf_obj *f, *parms, *fs[MAX_FILTERS], *ps[MAX_FILTERS];
	uint8_t *buf = NULL;
	size_t len = st != NULL && st->t == PDF_STREAM ? st->u.st.len : 0, n = 0;
	int rc;

	if (st == NULL || st->t != PDF_STREAM)
		return ESD_EINVAL;
	f = pdf_dict_get(st, "Filter");
	parms = pdf_dict_get(st, "DecodeParms");
	if ((rc = pdf_resolve(d, f, &f)) != 0 ||
	    (rc = pdf_resolve(d, parms, &parms)) != 0)
		return rc;
	if (f != NULL && f->t == PDF_ARRAY) {
		if (f->u.a.n > MAX_FILTERS)
			return ESD_EUNSUPP;
		for (; n < f->u.a.n; n++) {
			ps[n] = parms != NULL && parms->t == PDF_ARRAY &&
				n < parms->u.a.n ? parms->u.a.v[n] : NULL;
			if ((rc = pdf_resolve(d, f->u.a.v[n], &fs[n])) != 0 ||
			    (rc = pdf_resolve(d, ps[n], &ps[n])) != 0)
				return rc;
		}
	} else if (f != NULL && f->t != PDF_NULL) {
		fs[n] = f;
		ps[n++] = parms;
	}
	if (n == 0) {
		buf = malloc(len ? len : 1);
		if (buf == NULL)
			return ESD_ENOMEM;
		memcpy(buf, st->u.st.data, len);
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t *next = NULL;

		rc = filter_one(d, fs[i], ps[i], i ? buf : st->u.st.data, len,
				&next, &len);
		if (i > 0)
			free(buf);
		if (rc != 0)
			return rc;
		buf = next;
	}
	*out = buf;
	*outlen = len;
	return 0;
}
