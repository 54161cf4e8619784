/*
 * Document level: opening, the page tree, the AcroForm field tree, and the
 * signatures already in the file (ISO 32000-1 §7.7.3, §12.7, §12.8).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "pdf/pdf_int.h"

const char *pdf_reason_name(int reason)
{
	static const char *const names[] = {
		[PDF_R_NONE] = "none",
		[PDF_R_NOT_PDF] = "not_pdf",
		[PDF_R_TRUNCATED] = "truncated",
		[PDF_R_ENCRYPTED] = "encrypted",
		[PDF_R_DAMAGED] = "damaged",
		[PDF_R_UNSUPPORTED] = "unsupported",
		[PDF_R_CONTENTS_TOO_SMALL] = "contents_too_small",
		[PDF_R_ALREADY_SIGNED] = "already_signed",
		[PDF_R_FIELD_EXISTS] = "field_exists",
		[PDF_R_NO_PAGE] = "no_page",
		[PDF_R_CERTIFIED] = "certified",
		[PDF_R_BAD_OPTION] = "bad_option",
		[PDF_R_TEXT_NOT_FOUND] = "text_not_found",
		[PDF_R_CERTIFY_SIGNED] = "certify_signed",
	};

	if (reason < 0 || (size_t)reason >= sizeof(names) / sizeof(names[0]) ||
	    names[reason] == NULL)
		return "unknown";
	return names[reason];
}

static int doc_open(const uint8_t *buf, size_t len, struct pdf_doc **out,
		    int *reason, int may_repair);

int pdf_doc_open(const uint8_t *buf, size_t len, struct pdf_doc **out,
		 int *reason)
{
	return doc_open(buf, len, out, reason, 1);
}

int pdf_doc_open_exact(const uint8_t *buf, size_t len, struct pdf_doc **out)
{
	return doc_open(buf, len, out, NULL, 0);
}

static int doc_open(const uint8_t *buf, size_t len, struct pdf_doc **out,
		    int *reason, int may_repair)
{
	struct pdf_doc *d = NULL;
	struct pdf_obj *root;
	size_t hlen = len < 1024 ? len : 1024;
	int rc, why = PDF_R_NOT_PDF;

	*out = NULL;
	rc = ESD_EINVAL;
	/* §7.5.2; Acrobat accepts the header within the first 1024 bytes */
	if (buf == NULL || len < 8 || memmem(buf, hlen, "%PDF-", 5) == NULL)
		goto out;
	rc = ESD_ENOMEM;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		goto out;
	d->buf = buf;
	d->len = len;
	rc = pdf_xref_load(d, &why);
	if (rc != 0 && why == PDF_R_DAMAGED && may_repair)
		rc = pdf_xref_repair(d, &why);
	if (rc != 0)
		goto out;
	why = PDF_R_DAMAGED;
	rc = pdf_resolve(d, pdf_dict_get(d->trailer, "Root"), &root);
	if (rc == 0 && (root == NULL || root->t != PDF_DICT))
		rc = ESD_EINVAL;
	if (rc != 0 && !d->repaired && may_repair) {
		/* the xref looked fine but the catalog is not there */
		rc = pdf_xref_repair(d, &why);
		if (rc == 0)
			rc = pdf_resolve(d, pdf_dict_get(d->trailer, "Root"),
					 &root);
		if (rc == 0 && (root == NULL || root->t != PDF_DICT))
			rc = ESD_EINVAL;
	}
	if (rc != 0)
		goto out;
	why = PDF_R_NONE;
	*out = d;
	d = NULL;
out:
	if (rc != 0 && rc != ESD_ENOMEM && why == PDF_R_NONE)
		why = PDF_R_DAMAGED;
	if (reason != NULL)
		*reason = why;
	pdf_doc_free(d);
	return rc;
}

void pdf_doc_free(struct pdf_doc *d)
{
	if (d == NULL)
		return;
	if (d->stm != NULL) {
		for (uint32_t i = 0; i < d->nx; i++) {
			if (d->stm[i] != NULL) {
				free(d->stm[i]->data);
				free(d->stm[i]->offs);
				free(d->stm[i]);
			}
		}
	}
	free(d->stm);
	free(d->cache);
	free(d->x);
	pdf_arena_free(&d->arena);
	free(d);
}

int pdf_doc_repaired(const struct pdf_doc *d)
{
	return d->repaired;
}

/* ---- page tree ---- */

static int get_root(struct pdf_doc *d, struct pdf_obj **root)
{
	int rc = pdf_resolve(d, pdf_dict_get(d->trailer, "Root"), root);

	if (rc == 0 && (*root == NULL || (*root)->t != PDF_DICT))
		rc = ESD_EINVAL;
	return rc;
}

/* Walks to leaf number *index; *index counts down. ref gets the page ref
 * when found. *count accumulates leaves seen (for page_count). */
static int walk_pages(struct pdf_doc *d, struct pdf_obj *node_ref, int depth,
		      uint64_t *index, struct pdf_obj **found, uint64_t *count)
{
	struct pdf_obj *node, *kids, *cnt;
	int rc;

	/* depth and a node budget: a cyclic /Kids must not explode */
	if (depth > PDF_MAX_DEPTH || node_ref == NULL ||
	    node_ref->t != PDF_REF || d->walk_budget == 0)
		return ESD_EINVAL;
	d->walk_budget--;
	rc = pdf_resolve(d, node_ref, &node);
	if (rc != 0)
		return rc;
	if (node == NULL || node->t != PDF_DICT)
		return ESD_EINVAL;
	rc = pdf_resolve(d, pdf_dict_get(node, "Kids"), &kids);
	if (rc != 0)
		return rc;
	if (pdf_name_is(pdf_dict_get(node, "Type"), "Page") ||
	    kids == NULL || kids->t != PDF_ARRAY) {
		if (found != NULL && *index == 0) {
			*found = node_ref;
			return 1;
		}
		(*index)--;
		(*count)++;
		return 0;
	}
	cnt = pdf_dict_get(node, "Count");
	if (found != NULL && cnt != NULL && cnt->t == PDF_INT &&
	    cnt->u.i >= 0 && (uint64_t)cnt->u.i <= *index && depth > 0) {
		/* §7.7.3.2 /Count: skip whole subtrees */
		*index -= (uint64_t)cnt->u.i;
		return 0;
	}
	for (size_t i = 0; i < kids->u.a.n; i++) {
		rc = walk_pages(d, kids->u.a.v[i], depth + 1, index, found,
				count);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int pdf_find_page(struct pdf_doc *d, unsigned index, struct pdf_obj **ref)
{
	struct pdf_obj *root, *found = NULL;
	uint64_t idx = index, count = 0;
	int rc;

	rc = get_root(d, &root);
	if (rc != 0)
		return rc;
	d->walk_budget = PDF_WALK_BUDGET;
	rc = walk_pages(d, pdf_dict_get(root, "Pages"), 0, &idx, &found,
			&count);
	if (rc < 0)
		return rc;
	if (found == NULL)
		return ESD_ENOTFOUND;
	*ref = found;
	return 0;
}

int pdf_doc_page_count(struct pdf_doc *d, unsigned *n)
{
	struct pdf_obj *root;
	uint64_t idx = UINT64_MAX, count = 0;
	int rc;

	rc = get_root(d, &root);
	d->walk_budget = PDF_WALK_BUDGET;
	if (rc == 0)
		rc = walk_pages(d, pdf_dict_get(root, "Pages"), 0, &idx, NULL,
				&count);
	if (rc != 0)
		return rc;
	*n = count > UINT32_MAX ? UINT32_MAX : (unsigned)count;
	return 0;
}

/* ---- text strings (§7.9.2.2) ---- */

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* PDFDocEncoding 0x80..0xA0 (Annex D); above that it is Latin-1. */
static const uint16_t pdfdoc_hi[33] = {
	0x2022, 0x2020, 0x2021, 0x2026, 0x2014, 0x2013, 0x0192, 0x2044,
	0x2039, 0x203a, 0x2212, 0x2030, 0x201e, 0x201c, 0x201d, 0x2018,
	0x2019, 0x201a, 0x2122, 0xfb01, 0xfb02, 0x0141, 0x0152, 0x0160,
	0x0178, 0x017d, 0x0131, 0x0142, 0x0153, 0x0161, 0x017e, 0xfffd,
	0x20ac,
};

char *pdf_text_to_utf8(struct pdf_arena *a, const struct pdf_obj *s)
{
	const uint8_t *p;
	size_t n, o = 0;
	char *out;

	if (s == NULL || (s->t != PDF_STR && s->t != PDF_NAME))
		return NULL;
	p = s->u.s.p;
	n = s->u.s.len;
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		return pdf_arena_strndup(a, p + 3, n - 3);
	if (n > SIZE_MAX / 4 - 1)
		return NULL;
	/* Worst case 3 UTF-8 bytes per input byte: PDFDocEncoding 0x80..0xA0
	 * and the U+FFFD for NUL take 2-3 (UTF-16BE input needs at most
	 * 3 per 2). Found by tests/fuzz. */
	if (n > (SIZE_MAX - 4) / 3)
		return NULL;
	out = pdf_arena_alloc(a, n * 3 + 4);
	if (out == NULL)
		return NULL;
	if (s->t == PDF_STR && n >= 2 && p[0] == 0xfe && p[1] == 0xff) {
		for (size_t i = 2; i + 1 < n; i += 2) {
			uint32_t cp = (uint32_t)p[i] << 8 | p[i + 1];

			if (cp >= 0xd800 && cp < 0xdc00 && i + 3 < n) {
				uint32_t lo = (uint32_t)p[i + 2] << 8 | p[i + 3];

				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
					i += 2;
				}
			}
			if (cp == 0 || (cp >= 0xd800 && cp < 0xe000))
				cp = 0xfffd;
			o += put_utf8(out + o, cp);
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			uint32_t cp = p[i];

			if (cp >= 0x80 && cp <= 0xa0)
				cp = pdfdoc_hi[cp - 0x80];
			else if (cp == 0)
				cp = 0xfffd;
			o += put_utf8(out + o, cp);
		}
	}
	out[o] = '\0';
	return out;
}

/* ---- fields ---- */

typedef int (*field_cb)(void *ctx, struct pdf_obj *field, const char *full,
			const char *ft);

static int walk_field(struct pdf_doc *d, struct pdf_obj *ref, int depth,
		      const char *prefix, const char *ft_in, field_cb cb,
		      void *ctx)
{
	struct pdf_obj *f, *kids, *t, *ft;
	const char *full = prefix, *ftn = ft_in;
	int rc, has_field_kids = 0;

	if (depth > 32 || d->walk_budget == 0)
		return ESD_EINVAL;
	d->walk_budget--;
	rc = pdf_resolve(d, ref, &f);
	if (rc != 0 || f == NULL || f->t != PDF_DICT)
		return rc;
	t = pdf_dict_get(f, "T");
	if (pdf_resolve(d, t, &t) == 0 && t != NULL && t->t == PDF_STR) {
		char *part = pdf_text_to_utf8(&d->arena, t);
		size_t pl = prefix ? strlen(prefix) : 0;
		char *nf;

		if (part == NULL)
			return ESD_ENOMEM;
		nf = pdf_arena_alloc(&d->arena, pl + strlen(part) + 2);
		if (nf == NULL)
			return ESD_ENOMEM;
		if (pl > 0) {
			memcpy(nf, prefix, pl);
			nf[pl++] = '.';
		}
		memcpy(nf + pl, part, strlen(part) + 1);
		full = nf;
	}
	ft = pdf_dict_get(f, "FT");
	if (ft != NULL && ft->t == PDF_NAME) {
		ftn = pdf_arena_strndup(&d->arena, ft->u.s.p, ft->u.s.len);
		if (ftn == NULL)
			return ESD_ENOMEM;
	}
	rc = pdf_resolve(d, pdf_dict_get(f, "Kids"), &kids);
	if (rc != 0)
		return rc;
	if (kids != NULL && kids->t == PDF_ARRAY) {
		for (size_t i = 0; i < kids->u.a.n; i++) {
			struct pdf_obj *k;

			if (pdf_resolve(d, kids->u.a.v[i], &k) == 0 &&
			    k != NULL && k->t == PDF_DICT &&
			    pdf_dict_get(k, "T") != NULL)
				has_field_kids = 1;
		}
	}
	if (!has_field_kids)
		return full != NULL ? cb(ctx, f, full, ftn) : 0;
	for (size_t i = 0; i < kids->u.a.n; i++) {
		rc = walk_field(d, kids->u.a.v[i], depth + 1, full, ftn, cb,
				ctx);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int pdf_fields_walk(struct pdf_doc *d, field_cb cb, void *ctx)
{
	struct pdf_obj *root, *af, *fields;
	int rc;

	rc = get_root(d, &root);
	if (rc == 0)
		rc = pdf_resolve(d, pdf_dict_get(root, "AcroForm"), &af);
	if (rc != 0)
		return rc;
	if (af == NULL || af->t != PDF_DICT)
		return 0;
	rc = pdf_resolve(d, pdf_dict_get(af, "Fields"), &fields);
	if (rc != 0 || fields == NULL || fields->t != PDF_ARRAY)
		return rc;
	d->walk_budget = PDF_FIELD_BUDGET;
	for (size_t i = 0; i < fields->u.a.n; i++) {
		rc = walk_field(d, fields->u.a.v[i], 0, NULL, NULL, cb, ctx);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int sig_value(struct pdf_doc *d, struct pdf_obj *f, const char *ft,
		     struct pdf_obj **v)
{
	*v = NULL;
	if (ft == NULL || strcmp(ft, "Sig") != 0)
		return 0;
	if (pdf_resolve(d, pdf_dict_get(f, "V"), v) != 0)
		*v = NULL;
	if (*v != NULL && (*v)->t != PDF_DICT)
		*v = NULL;
	return 0;
}

static int count_cb(void *ctx, struct pdf_obj *f, const char *full,
		    const char *ft)
{
	struct pdf_doc *d = ((void **)ctx)[0];
	unsigned *n = ((void **)ctx)[1];
	struct pdf_obj *v;

	(void)full;
	sig_value(d, f, ft, &v);
	if (v != NULL)
		(*n)++;
	return 0;
}

int pdf_doc_signature_count(struct pdf_doc *d, unsigned *n)
{
	void *ctx[2] = { d, n };

	*n = 0;
	return pdf_fields_walk(d, count_cb, ctx);
}

/* ---- signature details ---- */

/* Total length of a DER TLV at p, or 0 when it does not parse. */
static size_t der_len(const uint8_t *p, size_t n)
{
	size_t len = 0, hdr = 2;

	if (n < 2 || p[0] != 0x30)
		return 0;
	if (p[1] < 0x80) {
		len = p[1];
	} else {
		size_t k = p[1] & 0x7f;

		if (k == 0 || k > 4 || n < 2 + k)
			return 0;
		for (size_t i = 0; i < k; i++)
			len = len << 8 | p[2 + i];
		hdr += k;
	}
	return len <= n - hdr ? len + hdr : 0;
}

static int two_digits(const char *s, int *v)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return 0;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return 1;
}

/*
 * ISO 32000-1 §7.9.4: "D:YYYYMMDDHHmmSSOHH'mm" (PDF 2.0 allows a final
 * apostrophe after mm, and writers add it to PDF 1.x too). The prefix and
 * the year are required; each later field may be present only if the one
 * before it is; O is '+', '-' or 'Z'. Every field is range-checked and
 * nothing may follow. 0 with *t set, or -1 for a malformed date.
 */
static int parse_pdf_date(const char *s, time_t *t)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
				       31, 30, 31 };
	int f[6] = { 0, 1, 1, 0, 0, 0 }, nf = 1, th = 0, tm_ = 0, sign = 0;
	struct tm tm;
	time_t r;

	*t = 0;
	if (s == NULL || s[0] != 'D' || s[1] != ':')
		return -1;
	s += 2;
	for (int i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	f[0] = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	       (s[3] - '0');
	s += 4;
	while (nf < 6 && two_digits(s, &f[nf])) {
		nf++;
		s += 2;
	}
	if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		if (!two_digits(s + 1, &th))
			return -1;
		s += 3;
		if (*s == '\'') {
			s++;
			if (*s != '\0') {
				if (!two_digits(s, &tm_))
					return -1;
				s += 2;
				if (*s == '\'')
					s++;
			}
		}
	} else if (*s == 'Z') {
		s++;
		/* "Z00'00'" from some writers: zero offset only */
		if (*s != '\0') {
			if (!two_digits(s, &th) || th != 0 || s[2] != '\'')
				return -1;
			s += 3;
			if (*s != '\0' && (!two_digits(s, &tm_) || tm_ != 0))
				return -1;
			if (*s != '\0')
				s += 2;
			if (*s == '\'')
				s++;
		}
	}
	if (*s != '\0' || f[1] < 1 || f[1] > 12 || f[2] < 1 ||
	    f[2] > mdays[f[1] - 1] || f[3] > 23 || f[4] > 59 || f[5] > 59 ||
	    th > 23 || tm_ > 59)
		return -1;
	if (f[1] == 2 && f[2] == 29 &&
	    !(f[0] % 4 == 0 && (f[0] % 100 != 0 || f[0] % 400 == 0)))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = f[0] - 1900;
	tm.tm_mon = f[1] - 1;
	tm.tm_mday = f[2];
	tm.tm_hour = f[3];
	tm.tm_min = f[4];
	tm.tm_sec = f[5];
	r = timegm(&tm);
	if (r == (time_t)-1)
		return -1;
	*t = r - (time_t)sign * (th * 3600 + tm_ * 60);
	return 0;
}

struct sigs_ctx {
	struct pdf_doc *d;
	struct pdf_sig_info *v;
	size_t n, cap;
	int rc;
};

static const char *dict_text(struct pdf_doc *d, struct pdf_obj *dict,
			     const char *key)
{
	struct pdf_obj *o;

	if (pdf_resolve(d, pdf_dict_get(dict, key), &o) != 0)
		return NULL;
	return pdf_text_to_utf8(&d->arena, o);
}

static void fill_range(struct pdf_doc *d, struct pdf_obj *v,
		       struct pdf_sig_info *si)
{
	struct pdf_obj *br;
	uint64_t *r = si->byte_range;

	si->byte_range_malformed = 1;
	if (pdf_resolve(d, pdf_dict_get(v, "ByteRange"), &br) != 0 ||
	    br == NULL || br->t != PDF_ARRAY || br->u.a.n != 4)
		return;
	for (int i = 0; i < 4; i++) {
		if (br->u.a.v[i]->t != PDF_INT || br->u.a.v[i]->u.i < 0)
			return;
		r[i] = (uint64_t)br->u.a.v[i]->u.i;
	}
	si->byte_range_malformed = 0;
	si->has_byte_range = 1;
	/* ISO 32000-1 §12.8.1: starts at 0, no overlap, inside the file */
	if (r[0] == 0 && r[1] < r[2] && r[2] <= d->len &&
	    r[3] <= d->len - r[2] && d->buf[r[1]] == '<' &&
	    d->buf[r[2] - 1] == '>') {
		/* the gap must be one hex string and nothing else */
		int ok = 1;

		for (uint64_t i = r[1] + 1; i + 1 < r[2] && ok; i++)
			ok = (d->buf[i] >= '0' && d->buf[i] <= '9') ||
			     ((d->buf[i] | 0x20) >= 'a' &&
			      (d->buf[i] | 0x20) <= 'f');
		si->byte_range_ok = ok;
		si->covers_whole_file = r[2] + r[3] == d->len;
	}
}

/* ISO 32000-1 §12.8.2.2, Table 253/254: the DocMDP permissions of
 * signature dictionary v (0: not a certification signature). */
int pdf_sig_docmdp_p(struct pdf_doc *d, struct pdf_obj *v)
{
	struct pdf_obj *refs = NULL;

	if (pdf_resolve(d, pdf_dict_get(v, "Reference"), &refs) != 0 ||
	    refs == NULL || refs->t != PDF_ARRAY)
		return 0;
	for (size_t i = 0; i < refs->u.a.n; i++) {
		struct pdf_obj *r = NULL, *tp = NULL, *p = NULL;

		if (pdf_resolve(d, refs->u.a.v[i], &r) != 0 ||
		    !pdf_name_is(pdf_dict_get(r, "TransformMethod"), "DocMDP"))
			continue;
		if (pdf_resolve(d, pdf_dict_get(r, "TransformParams"),
				&tp) != 0 ||
		    pdf_resolve(d, pdf_dict_get(tp, "P"), &p) != 0 || p == NULL)
			return 2; /* Table 254: default 2 */
		/* a value outside 1-3 is read as the strictest */
		return p->t == PDF_INT && p->u.i >= 1 && p->u.i <= 3 ?
		       (int)p->u.i : 1;
	}
	return 0;
}

/* The catalog's /Perms /DocMDP is signature dictionary num. */
static int docmdp_in_perms(struct pdf_doc *d, uint32_t num)
{
	struct pdf_obj *root = NULL, *perms = NULL, *r;

	if (num == 0 || get_root(d, &root) != 0 ||
	    pdf_resolve(d, pdf_dict_get(root, "Perms"), &perms) != 0)
		return 0;
	r = pdf_dict_get(perms, "DocMDP");
	return r != NULL && r->t == PDF_REF && r->u.r.num == num;
}

/* The widget of signature field f (f itself when merged, else its first
 * kid with a /Rect) and its rectangle. */
static void sig_widget(struct pdf_doc *d, struct pdf_obj *f,
		       struct pdf_sig_info *si)
{
	struct pdf_obj *w = f, *kids = NULL, *rect = NULL;

	if (pdf_dict_get(f, "Rect") == NULL &&
	    pdf_resolve(d, pdf_dict_get(f, "Kids"), &kids) == 0 &&
	    kids != NULL && kids->t == PDF_ARRAY) {
		w = NULL;
		for (size_t i = 0; i < kids->u.a.n && w == NULL; i++) {
			struct pdf_obj *k = NULL;

			if (pdf_resolve(d, kids->u.a.v[i], &k) == 0 &&
			    k != NULL && k->t == PDF_DICT &&
			    pdf_dict_get(k, "Rect") != NULL)
				w = k;
		}
	}
	if (w == NULL)
		return;
	si->widget = w;
	if (pdf_resolve(d, pdf_dict_get(w, "Rect"), &rect) != 0 ||
	    rect == NULL || rect->t != PDF_ARRAY || rect->u.a.n != 4)
		return;
	for (int i = 0; i < 4; i++) {
		const struct pdf_obj *n = rect->u.a.v[i];

		if (n->t == PDF_INT)
			si->rect[i] = (double)n->u.i;
		else if (n->t == PDF_REAL)
			si->rect[i] = pdf_num_value(n);
		else
			return;
	}
	si->has_rect = 1;
}

/* Depth-first over the page tree: the 1-based page whose /Annots holds
 * widget. */
static int page_walk(struct pdf_doc *d, struct pdf_obj *ref, int depth,
		     const struct pdf_obj *widget, unsigned *index)
{
	struct pdf_obj *node = NULL, *kids = NULL, *annots = NULL;

	if (depth > PDF_MAX_DEPTH || ref == NULL || ref->t != PDF_REF ||
	    d->walk_budget == 0 || pdf_resolve(d, ref, &node) != 0 ||
	    node == NULL || node->t != PDF_DICT)
		return 0;
	d->walk_budget--;
	if (pdf_resolve(d, pdf_dict_get(node, "Kids"), &kids) != 0)
		return 0;
	if (pdf_name_is(pdf_dict_get(node, "Type"), "Page") ||
	    kids == NULL || kids->t != PDF_ARRAY) {
		(*index)++;
		if (pdf_resolve(d, pdf_dict_get(node, "Annots"), &annots) != 0 ||
		    annots == NULL || annots->t != PDF_ARRAY)
			return 0;
		for (size_t i = 0; i < annots->u.a.n; i++) {
			struct pdf_obj *a = NULL;

			if (annots->u.a.v[i]->t == PDF_REF &&
			    pdf_resolve(d, annots->u.a.v[i], &a) == 0 &&
			    a == widget)
				return 1;
		}
		return 0;
	}
	for (size_t i = 0; i < kids->u.a.n; i++)
		if (page_walk(d, kids->u.a.v[i], depth + 1, widget, index))
			return 1;
	return 0;
}

unsigned pdf_sig_page(struct pdf_doc *d, const struct pdf_sig_info *si)
{
	struct pdf_obj *root = NULL;
	unsigned index = 0;

	if (si->widget == NULL || get_root(d, &root) != 0)
		return 0;
	d->walk_budget = PDF_WALK_BUDGET;
	return page_walk(d, pdf_dict_get(root, "Pages"), 0, si->widget,
			 &index) ? index : 0;
}

static int sigs_cb(void *vctx, struct pdf_obj *f, const char *full,
		   const char *ft)
{
	struct sigs_ctx *c = vctx;
	struct pdf_sig_info *si;
	struct pdf_obj *v, *o;

	sig_value(c->d, f, ft, &v);
	if (v == NULL) {
		/* a /Sig field whose /V is there but does not parse into a
		 * dictionary is listed as broken, never dropped */
		struct pdf_obj *raw = pdf_dict_get(f, "V");

		if (ft == NULL || strcmp(ft, "Sig") != 0 || raw == NULL ||
		    raw->t == PDF_NULL)
			return 0;
		if (raw->t == PDF_REF) {
			struct pdf_obj *t = NULL;

			if (pdf_resolve(c->d, raw, &t) == 0 &&
			    (t == NULL || t->t == PDF_NULL))
				return 0;
		}
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4;
		struct pdf_sig_info *nv = pdf_arena_alloc(&c->d->arena,
							  cap * sizeof(*nv));

		if (nv == NULL)
			return ESD_ENOMEM;
		if (c->n > 0)
			memcpy(nv, c->v, c->n * sizeof(*nv));
		c->v = nv;
		c->cap = cap;
	}
	si = &c->v[c->n++];
	memset(si, 0, sizeof(*si));
	si->field_name = full;
	o = pdf_dict_get(f, "V");
	if (o != NULL && o->t == PDF_REF)
		si->obj_num = o->u.r.num;
	if (v == NULL) {
		si->dict_broken = 1;
		si->byte_range_malformed = 1;
		return 0;
	}
	si->sub_filter = dict_text(c->d, v, "SubFilter");
	si->filter = dict_text(c->d, v, "Filter");
	si->m = dict_text(c->d, v, "M");
	si->m_malformed = si->m != NULL &&
			  parse_pdf_date(si->m, &si->signing_time) != 0;
	si->reason = dict_text(c->d, v, "Reason");
	si->location = dict_text(c->d, v, "Location");
	si->name = dict_text(c->d, v, "Name");
	si->contact_info = dict_text(c->d, v, "ContactInfo");
	si->docmdp_in_perms = docmdp_in_perms(c->d, si->obj_num);
	si->docmdp_p = pdf_sig_docmdp_p(c->d, v);
	if (si->docmdp_p == 0 && si->docmdp_in_perms)
		si->docmdp_p = 2;
	sig_widget(c->d, f, si);
	fill_range(c->d, v, si);
	if (pdf_resolve(c->d, pdf_dict_get(v, "Contents"), &o) == 0 &&
	    o != NULL && o->t == PDF_STR) {
		size_t dl = der_len(o->u.s.p, o->u.s.len);

		si->contents = o->u.s.p;
		si->contents_len = dl ? dl : o->u.s.len;
		si->contents_raw_len = o->u.s.len;
		for (size_t i = si->contents_len; i < o->u.s.len; i++)
			if (o->u.s.p[i] != 0)
				si->padding_not_zero = 1;
	}
	return 0;
}

int pdf_doc_signatures(struct pdf_doc *d, const struct pdf_sig_info **out,
		       size_t *n)
{
	struct sigs_ctx c = { d, NULL, 0, 0, 0 };
	int rc;

	if (!d->sigs_done) {
		rc = pdf_fields_walk(d, sigs_cb, &c);
		if (rc != 0)
			return rc;
		d->sigs = c.v;
		d->nsigs = c.n;
		d->sigs_done = 1;
	}
	*out = d->sigs;
	*n = d->nsigs;
	return 0;
}
