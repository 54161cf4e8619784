/*
 * The visible appearance of a signature (ISO 32000-1 §12.5.5, §12.7.4.5):
 * a form XObject with a frame, an optional image on the left, an optional
 * QR code on the right and a few lines of Helvetica in between (or below,
 * when the widget is too narrow for three columns).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <qrencode.h>

#include "common/err.h"
#include "pdf/sign_int.h"

#define QR_QUIET 4            /* modules of light margin (ISO/IEC 18004) */
#define QR_MAX_TEXT 2048
#define AP_MARGIN 2.0
#define AP_GAP 3.0
#define AP_MAX_FONT 10.0
#define AP_MAX_LINES 5
#define AP_MAX_TEXT 512

/* The caller's text as lines (text strings) in the plan. */
static int text_lines(struct pdf_arena *a, struct sign_plan *pl,
		      const char *text, int *why)
{
	const char *p = text;
	size_t n = strlen(text);

	*why = PDF_R_BAD_OPTION;
	if (n == 0 || n > AP_MAX_TEXT)
		return ESD_EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((text[i] < 0x20 || text[i] > 0x7e) && text[i] != '\n')
			return ESD_EINVAL;
	while (*p != '\0') {
		size_t len = strcspn(p, "\n");

		if (pl->nlines == AP_MAX_LINES)
			return ESD_EINVAL;
		pl->lines[pl->nlines] = pdf_obj_str(a, p, len);
		if (pl->lines[pl->nlines++] == NULL)
			return ESD_ENOMEM;
		p += len + (p[len] == '\n');
	}
	*why = PDF_R_NONE;
	return 0;
}


int pdf_ap_prepare(struct pdf_arena *a, struct sign_plan *pl,
		   const struct pdf_sign_opts *o, int *why)
{
	QRcode *qr;
	int rc;

	if (o->text != NULL && (rc = text_lines(a, pl, o->text, why)) != 0)
		return rc;
	if (o->image != NULL) {
		rc = pdf_image_load(a, o->image, o->image_len, &pl->img, NULL);
		if (rc != 0) {
			if (rc == ESD_EINVAL)
				*why = PDF_R_BAD_OPTION;
			return rc;
		}
		pl->has_img = 1;
	}
	if (o->qr_text == NULL)
		return 0;
	if (o->qr_text[0] == '\0' || strlen(o->qr_text) > QR_MAX_TEXT) {
		*why = PDF_R_BAD_OPTION;
		return ESD_EINVAL;
	}
	errno = 0;
	qr = QRcode_encodeString(o->qr_text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (qr == NULL) {
		if (errno == ENOMEM)
			return ESD_ENOMEM;
		*why = PDF_R_BAD_OPTION;   /* ERANGE: too long for a QR */
		return ESD_EINVAL;
	}
	rc = ESD_ENOMEM;
	if (qr->width > 0 && qr->width <= 177) {
		size_t n = (size_t)qr->width * (size_t)qr->width;

		pl->qr = pdf_arena_alloc(a, n);
		if (pl->qr != NULL) {
			for (size_t i = 0; i < n; i++)
				pl->qr[i] = qr->data[i] & 1;
			pl->qr_w = (unsigned)qr->width;
			rc = 0;
		}
	} else {
		rc = ESD_EINTERNAL;
	}
	QRcode_free(qr);
	return rc;
}

/* ---- text ---- */

struct line {
	const char *pre;
	const struct pdf_obj *s;  /* ASCII text string or NULL */
};

/* ASCII-only text for the appearance; anything else is left out. */
static int ascii_text(const struct pdf_obj *s)
{
	if (s == NULL || s->t != PDF_STR)
		return 0;
	for (size_t i = 0; i < s->u.s.len; i++)
		if (s->u.s.p[i] < 0x20 || s->u.s.p[i] > 0x7e)
			return 0;
	return 1;
}

/* Width of a line at 1 pt. */
static double line_width(const struct line *l)
{
	unsigned w = 0;

	for (const char *c = l->pre; *c != '\0'; c++)
		w += (unsigned)pdf_std_width("Helvetica", (unsigned char)*c);
	if (l->s != NULL)
		for (size_t i = 0; i < l->s->u.s.len; i++)
			w += (unsigned)pdf_std_width("Helvetica", l->s->u.s.p[i]);
	return w / 1000.0;
}

static void put_line(struct pdf_buf *b, const struct line *l)
{
	pdf_buf_put(b, "(", 1);
	pdf_buf_puts(b, l->pre);
	if (l->s != NULL) {
		for (size_t i = 0; i < l->s->u.s.len; i++) {
			uint8_t c = l->s->u.s.p[i];

			if (c == '(' || c == ')' || c == '\\')
				pdf_buf_put(b, "\\", 1);
			pdf_buf_put(b, &c, 1);
		}
	}
	pdf_buf_puts(b, ") Tj T*\n");
}

/* The lines, fitted (font size) into the box x y w h and clipped to it. */
static void put_text(struct pdf_buf *c, const struct sign_plan *pl,
		     double x, double y, double w, double h)
{
	struct line ln[AP_MAX_LINES];
	char date[64];
	struct tm tm;
	double fs = AP_MAX_FONT, maxw = 0;
	int n = 0;

	if (w < 1 || h < 1)
		return;
	date[0] = '\0';
	if (gmtime_r(&pl->time, &tm) != NULL)
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (pl->nlines > 0) {
		for (; n < pl->nlines; n++)
			ln[n] = (struct line){ "", pl->lines[n] };
	} else {
		ln[n++] = (struct line){ "Digitally signed", NULL };
		if (ascii_text(pl->name))
			ln[n++] = (struct line){ "by ", pl->name };
		ln[n++] = (struct line){ date, NULL };
		if (ascii_text(pl->reason))
			ln[n++] = (struct line){ "Reason: ", pl->reason };
		if (ascii_text(pl->location))
			ln[n++] = (struct line){ "Location: ", pl->location };
	}
	for (int i = 0; i < n; i++) {
		double lw = line_width(&ln[i]);

		maxw = lw > maxw ? lw : maxw;
	}
	if ((h - 2) / (n * 1.2) < fs)
		fs = (h - 2) / (n * 1.2);
	if (maxw > 0 && (w - 2) / maxw < fs)
		fs = (w - 2) / maxw;
	if (fs < 1)
		fs = 1;   /* clipped below; never a zero or negative size */
	pdf_buf_printf(c, "q %.3f %.3f %.3f %.3f re W n\n", x, y, w, h);
	pdf_buf_printf(c, "BT 0 g /Helv %.3f Tf %.3f TL %.3f %.3f Td\n", fs,
		       fs * 1.2, x + 1, y + h - 1 - fs * 0.9);
	for (int i = 0; i < n; i++)
		put_line(c, &ln[i]);
	pdf_buf_puts(c, "ET Q\n");
}

/* ---- QR ---- */

/* Dark modules as one filled path of horizontal runs; s is the side of
 * the whole symbol including the quiet zone, on a white square. */
static void put_qr(struct pdf_buf *c, const struct sign_plan *pl, double x,
		   double y, double s)
{
	unsigned n = pl->qr_w;
	double m = s / (n + 2 * QR_QUIET);

	pdf_buf_printf(c, "q 1 g %.3f %.3f %.3f %.3f re f 0 g\n", x, y, s, s);
	for (unsigned r = 0; r < n; r++) {
		/* row 0 is the top one; PDF y grows upwards */
		double ry = y + s - (QR_QUIET + r + 1) * m;

		for (unsigned c0 = 0, c1; c0 < n; c0 = c1) {
			for (c1 = c0; c1 < n && pl->qr[r * n + c1] ==
				      pl->qr[r * n + c0]; c1++)
				;
			if (pl->qr[r * n + c0])
				/* a hair taller: no seams between rows */
				pdf_buf_printf(c, "%.3f %.3f %.3f %.3f re\n",
					       x + (QR_QUIET + c0) * m, ry - 0.01,
					       (c1 - c0) * m, m + 0.02);
		}
	}
	pdf_buf_puts(c, "f Q\n");
}

/* ---- layout ---- */

struct box {
	double x, y, w, h;
};

/* Fits the graphics into a band of height gh; returns their width. */
static double fit_graphics(const struct sign_plan *pl, double W, double gh,
			   struct box *img, struct box *qr)
{
	double used = 0;

	memset(img, 0, sizeof(*img));
	memset(qr, 0, sizeof(*qr));
	if (pl->qr != NULL) {
		qr->w = qr->h = gh < W * 0.45 ? gh : W * 0.45;
		used += qr->w + AP_GAP;
	}
	if (pl->has_img) {
		double ar = (double)pl->img.info.width / pl->img.info.height;

		img->h = gh;
		img->w = gh * ar;
		if (img->w > W * 0.35) {
			img->w = W * 0.35;
			img->h = img->w / ar;
		}
		used += img->w + AP_GAP;
	}
	return used;
}

void pdf_ap_write(struct pdf_upd *u, const struct sign_plan *pl)
{
	struct pdf_buf c = { 0 };
	struct box img, qr, txt;
	double W = pl->w - 2 * AP_MARGIN, H = pl->h - 2 * AP_MARGIN, used;
	double gy, gh;

	/* opaque white under a thin frame: legible over any page content */
	pdf_buf_printf(&c, "q 1 g 0 0 %.2f %.2f re f Q\n", pl->w, pl->h);
	pdf_buf_printf(&c, "q 0.5 w 0.25 0.25 %.2f %.2f re S Q\n",
		       pl->w - 0.5, pl->h - 0.5);
	used = fit_graphics(pl, W, H, &img, &qr);
	gy = AP_MARGIN;
	gh = H;
	txt = (struct box){ AP_MARGIN + (img.w > 0 ? img.w + AP_GAP : 0),
			    AP_MARGIN, W - used, H };
	if ((pl->has_img || pl->qr != NULL) && txt.w < 40) {
		/* too narrow for three columns: graphics above, text below */
		double band = H * 0.4;

		gy = AP_MARGIN + band;
		gh = H - band;
		fit_graphics(pl, W, gh, &img, &qr);
		txt = (struct box){ AP_MARGIN, AP_MARGIN, W, band - 1 };
	}
	img.x = AP_MARGIN;
	img.y = gy + (gh - img.h) / 2;
	qr.x = pl->w - AP_MARGIN - qr.w;
	qr.y = gy + (gh - qr.h) / 2;
	if (pl->has_img && img.w > 0 && img.h > 0)
		pdf_buf_printf(&c, "q %.3f 0 0 %.3f %.3f %.3f cm /Im1 Do Q\n",
			       img.w, img.h, img.x, img.y);
	if (pl->qr != NULL && qr.w > 0)
		put_qr(&c, pl, qr.x, qr.y, qr.w);
	put_text(&c, pl, txt.x, txt.y, txt.w, txt.h);
	if (c.err != 0) {
		u->b.err = c.err;
		free(c.p);
		return;
	}
	pdf_upd_obj_begin(u, pl->ap_num, 0);
	pdf_buf_printf(&u->b, "<</Type/XObject/Subtype/Form/BBox [0 0 %.2f "
		       "%.2f]/Resources <</Font <</Helv <</Type/Font/Subtype"
		       "/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>"
		       ">>", pl->w, pl->h);
	if (pl->has_img)
		pdf_buf_printf(&u->b, "/XObject <</Im1 %u 0 R>>", pl->img_num);
	pdf_buf_printf(&u->b, ">>/Length %zu>>stream\n", c.len);
	pdf_buf_put(&u->b, c.p, c.len);
	pdf_buf_puts(&u->b, "\nendstream");
	pdf_upd_obj_end(u);
	free(c.p);
	if (!pl->has_img)
		return;

	/* the image XObject (§8.9.5) */
	static const char *const cs[] = { "", "DeviceGray", "", "DeviceRGB",
					  "DeviceCMYK" };
	const struct pdf_image_info *ii = &pl->img.info;

	pdf_upd_obj_begin(u, pl->img_num, 0);
	pdf_buf_printf(&u->b, "<</Type/XObject/Subtype/Image/Width %u/Height "
		       "%u/ColorSpace/%s/BitsPerComponent 8", ii->width,
		       ii->height, cs[ii->components]);
	if (ii->kind == PDF_IMAGE_JPEG) {
		pdf_buf_puts(&u->b, "/Filter/DCTDecode");
		if (pl->img.inverted)
			pdf_buf_puts(&u->b, "/Decode [1 0 1 0 1 0 1 0]");
	} else {
		pdf_buf_printf(&u->b, "/Filter/FlateDecode/DecodeParms "
			       "<</Predictor 15/Colors %u/BitsPerComponent 8"
			       "/Columns %u>>", ii->components, ii->width);
	}
	pdf_buf_printf(&u->b, "/Length %zu>>stream\n", pl->img.len);
	pdf_buf_put(&u->b, pl->img.data, pl->img.len);
	pdf_buf_puts(&u->b, "\nendstream");
	pdf_upd_obj_end(u);
}
