/*
 * Images for visible appearances: JPEG is embedded as is (/DCTDecode,
 * ISO 32000-1 §7.4.8) after reading its SOF; a PNG's IDAT data is already
 * a zlib stream with PNG row filters, which is exactly /FlateDecode with
 * /Predictor 15 (§7.4.4.4), so it is embedded without decoding. Only what
 * every reader renders the same way is accepted.
 */
#include <string.h>
#include <zlib.h>

#include "common/err.h"
#include "pdf/sign_int.h"

#define IMG_MAX_DIM 10000u
#define PNG_MAX_RAW (64u << 20)

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int refuse(const char **why, const char *msg)
{
	if (why != NULL)
		*why = msg;
	return ESD_EINVAL;
}

/* ---- JPEG (ITU-T T.81 Annex B) ---- */

static int jpeg_parse(const uint8_t *p, size_t len, struct pdf_img *img,
		      const char **why)
{
	size_t i = 2;
	int have_sof = 0;

	while (i < len) {
		uint8_t m;
		uint32_t seg;

		if (p[i] != 0xff)
			return refuse(why, "JPEG marker structure is broken");
		while (i < len && p[i] == 0xff)
			i++;    /* fill bytes */
		if (i >= len)
			break;
		m = p[i++];
		if (m == 0x01 || (m >= 0xd0 && m <= 0xd7))
			continue;   /* no length */
		if (m == 0xd9)
			break;      /* EOI */
		if (len - i < 2 || (seg = be16(p + i)) < 2 || seg > len - i)
			return refuse(why, "JPEG is truncated");
		if (m == 0xc0 || m == 0xc1 || m == 0xc2) {
			const uint8_t *s = p + i + 2;

			if (seg < 8)
				return refuse(why, "JPEG SOF is truncated");
			if (s[0] != 8)
				return refuse(why, "only 8-bit JPEG images are "
					      "supported");
			img->info.height = be16(s + 1);
			img->info.width = be16(s + 3);
			img->info.components = s[5];
			have_sof = 1;
		} else if ((m >= 0xc3 && m <= 0xcf) && m != 0xc4 &&
			   m != 0xc8 && m != 0xcc) {
			return refuse(why, "lossless, hierarchical or arithmetic"
				      "-coded JPEG is not supported");
		} else if (m == 0xee && seg >= 7 &&
			   memcmp(p + i + 2, "Adobe", 5) == 0) {
			img->inverted = 1;
		} else if (m == 0xda) {
			break;      /* SOS: the header is over */
		}
		i += seg;
	}
	if (!have_sof)
		return refuse(why, "JPEG has no frame header (SOF)");
	if (img->info.width == 0 || img->info.height == 0)
		return refuse(why, "JPEG without a height (DNL) is not "
			      "supported");
	if (img->info.components != 1 && img->info.components != 3 &&
	    img->info.components != 4)
		return refuse(why, "JPEG must have 1, 3 or 4 components");
	if (img->info.components != 4)
		img->inverted = 0;
	img->info.kind = PDF_IMAGE_JPEG;
	img->data = p;
	img->len = len;
	return 0;
}

/* ---- PNG (ISO/IEC 15948) ---- */

/* Inflates the IDAT data (chunk by chunk, nothing kept) and checks it is
 * one complete zlib stream of exactly height rows, each starting with a
 * filter type 0..4. */
static int png_check_idat(const uint8_t *p, size_t len, uint32_t w,
			  uint32_t h, unsigned n, const char **why)
{
	uint8_t tmp[16384];
	uint64_t row = (uint64_t)w * n + 1, want = row * h, got = 0;
	z_stream z;
	int zr = Z_OK, rc = 0;

	if (want > PNG_MAX_RAW)
		return refuse(why, "PNG is too large");
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return ESD_ENOMEM;
	for (size_t i = 8; i + 12 <= len && zr != Z_STREAM_END;) {
		uint32_t clen = be32(p + i);

		if (memcmp(p + i + 4, "IDAT", 4) == 0) {
			z.next_in = (Bytef *)(p + i + 8);
			z.avail_in = clen;
			while (z.avail_in > 0 && zr == Z_OK) {
				z.next_out = tmp;
				z.avail_out = sizeof(tmp);
				zr = inflate(&z, Z_NO_FLUSH);
				for (uint8_t *q = tmp; q < z.next_out; q++) {
					if (got % row == 0 && *q > 4)
						zr = Z_DATA_ERROR;
					got++;
				}
				if (got > want)
					zr = Z_DATA_ERROR;
			}
			if (zr != Z_OK && zr != Z_STREAM_END)
				break;
		}
		if (memcmp(p + i + 4, "IEND", 4) == 0)
			break;
		i += (size_t)clen + 12;
	}
	if (zr != Z_STREAM_END || got != want)
		rc = refuse(why, "PNG image data is corrupt or truncated");
	inflateEnd(&z);
	return rc;
}

static int png_parse(struct pdf_arena *a, const uint8_t *p, size_t len,
		     struct pdf_img *img, const char **why)
{
	size_t i = 8, idat = 0, nidat = 0;
	int seen_end = 0, after_idat = 0;
	uint32_t w, h;
	unsigned n;
	int rc;

	if (len < 8 + 25 || be32(p + 8) != 13 ||
	    memcmp(p + 12, "IHDR", 4) != 0)
		return refuse(why, "PNG has no IHDR chunk");
	/* walk the chunks: lengths, CRCs, where the IDATs are */
	while (i < len && !seen_end) {
		uint32_t clen, crc;

		if (len - i < 12 || (clen = be32(p + i)) > len - i - 12 ||
		    clen > 0x7fffffffu)
			return refuse(why, "PNG is truncated");
		crc = (uint32_t)crc32(0, p + i + 4, clen + 4);
		if (crc != be32(p + i + 8 + clen))
			return refuse(why, "PNG chunk CRC mismatch");
		if (memcmp(p + i + 4, "IDAT", 4) == 0) {
			if (after_idat)
				return refuse(why, "PNG IDAT chunks are not "
					      "consecutive");
			idat += clen;
			nidat++;
		} else if (nidat > 0) {
			after_idat = 1;
		}
		if (memcmp(p + i + 4, "IEND", 4) == 0)
			seen_end = 1;
		i += (size_t)clen + 12;
	}
	if (!seen_end || nidat == 0)
		return refuse(why, "PNG is truncated (no IDAT or IEND)");
	w = be32(p + 16);
	h = be32(p + 20);
	if (p[24] != 8)
		return refuse(why, "only 8-bit PNG images are supported");
	if (p[25] == 4 || p[25] == 6)
		return refuse(why, "PNG with an alpha channel is not "
			      "supported");
	if (p[25] == 3)
		return refuse(why, "palette PNG is not supported (use RGB)");
	if (p[25] != 0 && p[25] != 2)
		return refuse(why, "PNG colour type is invalid");
	if (p[26] != 0 || p[27] != 0)
		return refuse(why, "PNG compression or filter method is "
			      "invalid");
	if (p[28] != 0)
		return refuse(why, "interlaced PNG is not supported");
	if (w == 0 || h == 0 || w > IMG_MAX_DIM || h > IMG_MAX_DIM)
		return refuse(why, "PNG dimensions are out of range");
	n = p[25] == 2 ? 3 : 1;
	rc = png_check_idat(p, len, w, h, n, why);
	if (rc != 0)
		return rc;
	img->info.kind = PDF_IMAGE_PNG;
	img->info.width = w;
	img->info.height = h;
	img->info.components = n;
	if (a == NULL)
		return 0;
	{
		uint8_t *d = pdf_arena_alloc(a, idat ? idat : 1);
		size_t o = 0;

		if (d == NULL)
			return ESD_ENOMEM;
		for (i = 8; i + 12 <= len;) {
			uint32_t clen = be32(p + i);

			if (memcmp(p + i + 4, "IDAT", 4) == 0) {
				memcpy(d + o, p + i + 8, clen);
				o += clen;
			}
			if (memcmp(p + i + 4, "IEND", 4) == 0)
				break;
			i += (size_t)clen + 12;
		}
		img->data = d;
		img->len = o;
	}
	return 0;
}

static int load(struct pdf_arena *a, const uint8_t *p, size_t len,
		struct pdf_img *img, const char **why)
{
	static const uint8_t png_sig[8] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a,
					    0x1a, 0x0a };
	int rc;

	memset(img, 0, sizeof(*img));
	if (why != NULL)
		*why = NULL;
	if (p == NULL || len < 4)
		return refuse(why, "image is empty");
	if (len >= 8 && memcmp(p, png_sig, 8) == 0)
		rc = png_parse(a, p, len, img, why);
	else if (p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		rc = jpeg_parse(p, len, img, why);
	else
		return refuse(why, "image is neither JPEG nor PNG");
	if (rc == 0 && (img->info.width > IMG_MAX_DIM ||
			img->info.height > IMG_MAX_DIM))
		rc = refuse(why, "image dimensions are out of range");
	return rc;
}

int pdf_image_probe(const uint8_t *p, size_t len, struct pdf_image_info *info,
		    const char **why)
{
	struct pdf_img img;
	int rc = load(NULL, p, len, &img, why);

	if (rc == 0 && info != NULL)
		*info = img.info;
	return rc;
}

int pdf_image_load(struct pdf_arena *a, const uint8_t *p, size_t len,
		   struct pdf_img *img, const char **why)
{
	return load(a, p, len, img, why);
}
