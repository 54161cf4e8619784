/*
 * Signing by incremental update (ISO 32000-1 §7.5.6, §12.8): plans the new
 * and changed objects (signature dictionary, field + widget, page /Annots,
 * /AcroForm, catalog), then writes them after the original bytes with a new
 * xref section (write.c) and patches /ByteRange in place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "pdf/sign_int.h"

#define DEFAULT_CONTENTS 16384
#define MAX_CONTENTS (1u << 20)

/* ---- options ---- */

/* Strict UTF-8 -> PDF text string (§7.9.2.2): printable ASCII stays a
 * literal string, anything else becomes UTF-16BE with a BOM. */
static int text_string(struct pdf_arena *a, const char *s,
		       struct pdf_obj **out)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = strlen(s), o = 2;
	int ascii = 1;
	uint8_t *u;

	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			ascii = 0;
	if (ascii) {
		*out = pdf_obj_str(a, s, n);
		return *out ? 0 : ESD_ENOMEM;
	}
	if (n > SIZE_MAX / 4 - 2)
		return ESD_EINVAL;
	u = pdf_arena_alloc(a, n * 4 + 2);
	if (u == NULL)
		return ESD_ENOMEM;
	u[0] = 0xfe;
	u[1] = 0xff;
	for (size_t i = 0; i < n;) {
		uint32_t cp, min;
		size_t k;

		if (p[i] < 0x80) {
			cp = p[i]; k = 0; min = 0;
		} else if ((p[i] & 0xe0) == 0xc0) {
			cp = p[i] & 0x1f; k = 1; min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			cp = p[i] & 0x0f; k = 2; min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			cp = p[i] & 0x07; k = 3; min = 0x10000;
		} else {
			return ESD_EINVAL;
		}
		if (n - i <= k)
			return ESD_EINVAL;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return ESD_EINVAL;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000) ||
		    cp == 0)
			return ESD_EINVAL;
		i += k + 1;
		if (cp >= 0x10000) {
			uint32_t v = cp - 0x10000;
			uint32_t hi = 0xd800 | v >> 10, lo = 0xdc00 | (v & 0x3ff);

			u[o++] = (uint8_t)(hi >> 8);
			u[o++] = (uint8_t)hi;
			u[o++] = (uint8_t)(lo >> 8);
			u[o++] = (uint8_t)lo;
		} else {
			u[o++] = (uint8_t)(cp >> 8);
			u[o++] = (uint8_t)cp;
		}
	}
	*out = pdf_obj_new(a, PDF_STR);
	if (*out == NULL)
		return ESD_ENOMEM;
	(*out)->u.s.p = u;
	(*out)->u.s.len = o;
	return 0;
}

static struct pdf_obj *real_obj(struct pdf_arena *a, double v)
{
	char tmp[64];
	int n = snprintf(tmp, sizeof(tmp), "%.4f", v);
	struct pdf_obj *o;

	if (n < 0 || (size_t)n >= sizeof(tmp))
		return NULL;
	while (n > 1 && tmp[n - 1] == '0')
		n--;
	if (tmp[n - 1] == '.')
		n--;
	if (n == 2 && tmp[0] == '-' && tmp[1] == '0')
		return pdf_obj_int(a, 0);
	o = pdf_obj_new(a, PDF_REAL);
	if (o == NULL)
		return NULL;
	o->u.real.p = pdf_arena_strndup(a, tmp, (size_t)n);
	o->u.real.len = (size_t)n;
	return o->u.real.p ? o : NULL;
}

/* ---- planning ---- */

static int add_mod(struct sign_plan *pl, uint32_t num, uint32_t gen,
		   struct pdf_obj *o)
{
	if (pl->nmods == SIGN_MAX_MODS)
		return ESD_EINTERNAL;
	for (size_t i = 0; i < pl->nmods; i++)
		if (pl->mods[i].num == num)
			return ESD_EUNSUPP; /* one object, two roles */
	if (o == NULL)
		return ESD_ENOMEM;
	pl->mods[pl->nmods].num = num;
	pl->mods[pl->nmods].gen = gen;
	pl->mods[pl->nmods].o = o;
	pl->nmods++;
	return 0;
}

/* Appends item to the array under key in dict (a new container we own).
 * An indirect array gets a new version of its own object instead. */
static int append_to(struct pdf_doc *d, struct sign_plan *pl,
		     struct pdf_obj *dict, const char *key,
		     struct pdf_obj *item)
{
	struct pdf_obj *v = pdf_dict_get(dict, key), *arr, *na;
	int rc;

	if (v != NULL && v->t == PDF_REF) {
		rc = pdf_resolve(d, v, &arr);
		if (rc != 0)
			return rc;
		if (arr != NULL && arr->t == PDF_ARRAY) {
			na = pdf_obj_shallow(&d->arena, arr);
			if (na == NULL ||
			    pdf_array_push(&d->arena, na, item) != 0)
				return ESD_ENOMEM;
			return add_mod(pl, v->u.r.num,
				       pdf_obj_gen(d, v->u.r.num), na);
		}
		if (arr != NULL && arr->t != PDF_NULL)
			return ESD_EUNSUPP;
		v = NULL;
	}
	if (v != NULL && v->t == PDF_ARRAY)
		na = pdf_obj_shallow(&d->arena, v);
	else if (v == NULL || v->t == PDF_NULL)
		na = pdf_obj_new(&d->arena, PDF_ARRAY);
	else
		return ESD_EUNSUPP;
	if (na == NULL || pdf_array_push(&d->arena, na, item) != 0)
		return ESD_ENOMEM;
	return pdf_dict_set(&d->arena, dict, key, na);
}

static int set_sigflags(struct pdf_doc *d, struct pdf_obj *af)
{
	struct pdf_obj *f = pdf_dict_get(af, "SigFlags");
	int64_t v = 0;

	if (f != NULL && f->t == PDF_REF && pdf_resolve(d, f, &f) != 0)
		f = NULL;
	if (f != NULL && f->t == PDF_INT)
		v = f->u.i;
	/* §12.7.2 SignaturesExist | AppendOnly */
	return pdf_dict_set(&d->arena, af, "SigFlags",
			    pdf_obj_int(&d->arena, v | 3));
}

static int plan_page(struct pdf_doc *d, struct sign_plan *pl,
		     struct pdf_obj *page_ref, struct pdf_obj *field_ref)
{
	struct pdf_obj *page, *np, *annots = NULL;
	int rc;

	rc = pdf_resolve(d, page_ref, &page);
	if (rc != 0)
		return rc;
	if (page == NULL || page->t != PDF_DICT)
		return ESD_EUNSUPP;
	annots = pdf_dict_get(page, "Annots");
	if (annots != NULL && annots->t == PDF_REF) {
		struct pdf_obj *arr;

		rc = pdf_resolve(d, annots, &arr);
		if (rc != 0)
			return rc;
		if (arr != NULL && arr->t == PDF_ARRAY) {
			/* only the array object changes, not the page */
			np = pdf_obj_new(&d->arena, PDF_DICT);
			if (np == NULL)
				return ESD_ENOMEM;
			if (pdf_dict_set(&d->arena, np, "A", annots) != 0)
				return ESD_ENOMEM;
			return append_to(d, pl, np, "A", field_ref);
		}
	}
	np = pdf_obj_shallow(&d->arena, page);
	if (np == NULL)
		return ESD_ENOMEM;
	if (annots != NULL && annots->t == PDF_REF)
		pdf_dict_del(np, "Annots"); /* dangling: replace */
	rc = append_to(d, pl, np, "Annots", field_ref);
	if (rc != 0)
		return rc;
	return add_mod(pl, page_ref->u.r.num,
		       pdf_obj_gen(d, page_ref->u.r.num), np);
}

static int plan_acroform(struct pdf_doc *d, struct sign_plan *pl,
			 struct pdf_obj *field_ref, uint32_t *next)
{
	struct pdf_obj *root_ref = pdf_dict_get(d->trailer, "Root");
	struct pdf_obj *root, *nr, *af, *naf;
	int rc;

	if (root_ref == NULL || root_ref->t != PDF_REF)
		return ESD_EUNSUPP;
	rc = pdf_resolve(d, root_ref, &root);
	if (rc != 0)
		return rc;
	if (root == NULL || root->t != PDF_DICT)
		return ESD_EINVAL;
	af = pdf_dict_get(root, "AcroForm");
	if (af != NULL && af->t == PDF_REF) {
		struct pdf_obj *afd;

		rc = pdf_resolve(d, af, &afd);
		if (rc != 0)
			return rc;
		if (afd != NULL && afd->t == PDF_DICT) {
			naf = pdf_obj_shallow(&d->arena, afd);
			if (naf == NULL)
				return ESD_ENOMEM;
			if ((rc = append_to(d, pl, naf, "Fields",
					    field_ref)) != 0 ||
			    (rc = set_sigflags(d, naf)) != 0)
				return rc;
			return add_mod(pl, af->u.r.num,
				       pdf_obj_gen(d, af->u.r.num), naf);
		}
		af = NULL;
	}
	nr = pdf_obj_shallow(&d->arena, root);
	if (nr == NULL)
		return ESD_ENOMEM;
	if (af != NULL && af->t == PDF_DICT) {
		naf = pdf_obj_shallow(&d->arena, af);
		if (naf == NULL)
			return ESD_ENOMEM;
		if ((rc = append_to(d, pl, naf, "Fields", field_ref)) != 0 ||
		    (rc = set_sigflags(d, naf)) != 0 ||
		    (rc = pdf_dict_set(&d->arena, nr, "AcroForm", naf)) != 0)
			return rc;
	} else {
		/* no form yet: a new indirect /AcroForm */
		uint32_t num = (*next)++;

		naf = pdf_obj_new(&d->arena, PDF_DICT);
		if (naf == NULL)
			return ESD_ENOMEM;
		if ((rc = append_to(d, pl, naf, "Fields", field_ref)) != 0 ||
		    (rc = set_sigflags(d, naf)) != 0 ||
		    (rc = add_mod(pl, num, 0, naf)) != 0 ||
		    (rc = pdf_dict_set(&d->arena, nr, "AcroForm",
				       pdf_obj_ref(&d->arena, num, 0))) != 0)
			return rc;
	}
	return add_mod(pl, root_ref->u.r.num,
		       pdf_obj_gen(d, root_ref->u.r.num), nr);
}

/* §12.8.2.2: a certification signature with /P 1 forbids any change but
 * validation data and document timestamps (ISO 32000-2 §12.8.2.2.2 and
 * PAdES: these do not count as changes). */
static int check_docmdp(struct pdf_doc *d, enum pdf_subfilter sf)
{
	const struct pdf_sig_info *v;
	struct pdf_obj *root = NULL, *perms = NULL, *sig = NULL;
	size_t n;

	if (sf == PDF_SUBFILTER_RFC3161)
		return 0;
	/* the one the catalog names, listed in a field or not */
	if (pdf_resolve(d, pdf_dict_get(d->trailer, "Root"), &root) == 0 &&
	    pdf_resolve(d, pdf_dict_get(root, "Perms"), &perms) == 0 &&
	    pdf_resolve(d, pdf_dict_get(perms, "DocMDP"), &sig) == 0 &&
	    sig != NULL && pdf_sig_docmdp_p(d, sig) == 1)
		return ESD_EPERM;
	if (pdf_doc_signatures(d, &v, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].docmdp_p == 1)
			return ESD_EPERM;
	return 0;
}

/* §12.8.2.2: the catalog's /Perms /DocMDP names the certification
 * signature's dictionary; other /Perms entries are kept. */
static int plan_perms(struct pdf_doc *d, struct sign_plan *pl)
{
	struct pdf_obj *root_ref = pdf_dict_get(d->trailer, "Root");
	struct pdf_obj *root = NULL, *perms = NULL, *np;
	size_t i;
	int rc;

	if (root_ref == NULL || root_ref->t != PDF_REF)
		return ESD_EUNSUPP;
	for (i = 0; i < pl->nmods; i++)
		if (pl->mods[i].num == root_ref->u.r.num)
			break;
	if (i == pl->nmods) {
		rc = pdf_resolve(d, root_ref, &root);
		if (rc != 0)
			return rc;
		if (root == NULL || root->t != PDF_DICT)
			return ESD_EINVAL;
		rc = add_mod(pl, root_ref->u.r.num,
			     pdf_obj_gen(d, root_ref->u.r.num),
			     pdf_obj_shallow(&d->arena, root));
		if (rc != 0)
			return rc;
	}
	root = pl->mods[i].o;
	if (pdf_resolve(d, pdf_dict_get(root, "Perms"), &perms) != 0)
		perms = NULL;
	np = perms != NULL && perms->t == PDF_DICT ?
	     pdf_obj_shallow(&d->arena, perms) :
	     pdf_obj_new(&d->arena, PDF_DICT);
	if (np == NULL ||
	    pdf_dict_set(&d->arena, np, "DocMDP",
			 pdf_obj_ref(&d->arena, pl->sig_num, 0)) != 0 ||
	    pdf_dict_set(&d->arena, root, "Perms", np) != 0)
		return ESD_ENOMEM;
	return 0;
}

struct names {
	const char **v;
	size_t n, cap;
	struct pdf_arena *a;
};

static int names_cb(void *ctx, struct pdf_obj *f, const char *full,
		    const char *ft)
{
	struct names *nm = ctx;

	(void)f;
	(void)ft;
	if (nm->n == nm->cap) {
		size_t cap = nm->cap ? nm->cap * 2 : 16;
		const char **nv = pdf_arena_alloc(nm->a, cap * sizeof(*nv));

		if (nv == NULL)
			return ESD_ENOMEM;
		if (nm->n > 0)
			memcpy(nv, nm->v, nm->n * sizeof(*nv));
		nm->v = nv;
		nm->cap = cap;
	}
	nm->v[nm->n++] = full;
	return 0;
}

static int name_used(const struct names *nm, const char *s)
{
	for (size_t i = 0; i < nm->n; i++)
		if (strcmp(nm->v[i], s) == 0)
			return 1;
	return 0;
}

static int pick_name(struct pdf_doc *d, const struct pdf_sign_opts *o,
		     const char **out, int *why)
{
	struct names nm = { NULL, 0, 0, &d->arena };
	char tmp[32];
	int rc;

	rc = pdf_fields_walk(d, names_cb, &nm);
	if (rc != 0)
		return rc;
	if (o->field_name != NULL) {
		if (o->field_name[0] == '\0' ||
		    strchr(o->field_name, '.') != NULL) {
			*why = PDF_R_BAD_OPTION;
			return ESD_EINVAL;
		}
		if (name_used(&nm, o->field_name)) {
			*why = PDF_R_FIELD_EXISTS;
			return ESD_EEXIST;
		}
		*out = o->field_name;
		return 0;
	}
	for (unsigned i = 1; i < 100000; i++) {
		snprintf(tmp, sizeof(tmp), "Signature%u", i);
		if (!name_used(&nm, tmp)) {
			*out = pdf_arena_strndup(&d->arena, tmp, strlen(tmp));
			return *out ? 0 : ESD_ENOMEM;
		}
	}
	return ESD_EUNSUPP;
}

static int opt_text(struct pdf_arena *a, const char *s, struct pdf_obj **o,
		    int *why)
{
	int rc;

	*o = NULL;
	if (s == NULL)
		return 0;
	rc = text_string(a, s, o);
	if (rc == ESD_EINVAL)
		*why = PDF_R_BAD_OPTION;
	return rc;
}

int pdf_sign_prepare(struct pdf_doc *d, const struct pdf_sign_opts *o,
		     struct pdf_prepared **out, int *reason)
{
	struct sign_plan pl;
	struct pdf_obj *page_ref, *field, *rect, *fname, *field_ref;
	const char *name;
	unsigned nsig;
	uint32_t next;
	int rc, why = PDF_R_NONE;

	*out = NULL;
	memset(&pl, 0, sizeof(pl));
	pl.subfilter = o->sub_filter;
	pl.time = o->signing_time ? o->signing_time : time(NULL);
	pl.contents = o->contents_size ? o->contents_size : DEFAULT_CONTENTS;
	pl.tail_only = o->tail_only;
	pl.docmdp = o->docmdp;
	rc = ESD_EINVAL;
	why = PDF_R_BAD_OPTION;
	if (pl.contents > MAX_CONTENTS || o->docmdp < 0 || o->docmdp > 3 ||
	    (o->docmdp != 0 && o->sub_filter == PDF_SUBFILTER_RFC3161) ||
	    (o->sub_filter != PDF_SUBFILTER_CADES &&
	     o->sub_filter != PDF_SUBFILTER_PKCS7 &&
	     o->sub_filter != PDF_SUBFILTER_RFC3161))
		goto out;
	for (int i = 0; i < 4; i++)
		if (!(o->rect[i] >= -1e6 && o->rect[i] <= 1e6))
			goto out; /* also NaN */
	pl.visible = o->rect[2] - o->rect[0] >= 1.0 &&
		     o->rect[3] - o->rect[1] >= 1.0;
	/* a document timestamp has no appearance; image and QR need one */
	if ((o->sub_filter == PDF_SUBFILTER_RFC3161 &&
	     (pl.visible || o->image != NULL || o->qr_text != NULL ||
	      o->text != NULL)) ||
	    (!pl.visible && (o->image != NULL || o->qr_text != NULL ||
			     o->text != NULL)))
		goto out;
	why = PDF_R_NONE;
	if (pl.visible && (rc = pdf_ap_prepare(&d->arena, &pl, o,
					       &why)) != 0)
		goto out;
	if ((rc = opt_text(&d->arena, o->reason, &pl.reason, &why)) != 0 ||
	    (rc = opt_text(&d->arena, o->location, &pl.location, &why)) != 0 ||
	    (rc = opt_text(&d->arena, o->name, &pl.name, &why)) != 0 ||
	    (rc = opt_text(&d->arena, o->contact_info, &pl.contact,
			   &why)) != 0)
		goto out;
	why = PDF_R_NONE;
	if (o->docmdp != 0) {
		const struct pdf_sig_info *all;
		size_t nall;

		/* §12.8.2.2: a certification signature comes first; an
		 * earlier revision's signature counts too */
		rc = pdf_doc_signatures_all(d, &all, &nall);
		if (rc != 0)
			goto out;
		if (nall > 0) {
			why = PDF_R_CERTIFY_SIGNED;
			rc = ESD_EEXIST;
			goto out;
		}
	}
	if (o->refuse_if_signed) {
		rc = pdf_doc_signature_count(d, &nsig);
		if (rc != 0)
			goto out;
		if (nsig > 0) {
			why = PDF_R_ALREADY_SIGNED;
			rc = ESD_EEXIST;
			goto out;
		}
	}
	if ((rc = check_docmdp(d, o->sub_filter)) != 0) {
		why = PDF_R_CERTIFIED;
		goto out;
	}
	if ((rc = pick_name(d, o, &name, &why)) != 0)
		goto out;
	rc = pdf_find_page(d, o->page, &page_ref);
	if (rc == ESD_ENOTFOUND) {
		why = PDF_R_NO_PAGE;
		rc = ESD_EINVAL;
	}
	if (rc != 0)
		goto out;

	/* object numbers: above /Size and above anything in use */
	next = pdf_upd_first_free(d);
	if (next == 0 || next > PDF_MAX_OBJNUM - 8) {
		rc = ESD_EUNSUPP;
		goto out;
	}
	pl.sig_num = next++;
	pl.field_num = next++;
	if (pl.visible)
		pl.ap_num = next++;
	if (pl.has_img)
		pl.img_num = next++;

	rc = ESD_ENOMEM;
	field_ref = pdf_obj_ref(&d->arena, pl.field_num, 0);
	field = pdf_obj_new(&d->arena, PDF_DICT);
	rect = pdf_obj_new(&d->arena, PDF_ARRAY);
	if (field_ref == NULL || field == NULL || rect == NULL)
		goto out;
	for (int i = 0; i < 4; i++)
		if (pdf_array_push(&d->arena, rect,
				   pl.visible ? real_obj(&d->arena, o->rect[i]) :
				   pdf_obj_int(&d->arena, 0)) != 0)
			goto out;
	if ((rc = text_string(&d->arena, name, &fname)) != 0) {
		why = PDF_R_BAD_OPTION;
		goto out;
	}
	rc = ESD_ENOMEM;
	/* merged field + widget (§12.7.3.1, §12.5.6.19); /F 132 = Print|Locked */
	if (pdf_dict_set(&d->arena, field, "Type",
			 pdf_obj_name(&d->arena, "Annot")) != 0 ||
	    pdf_dict_set(&d->arena, field, "Subtype",
			 pdf_obj_name(&d->arena, "Widget")) != 0 ||
	    pdf_dict_set(&d->arena, field, "FT",
			 pdf_obj_name(&d->arena, "Sig")) != 0 ||
	    pdf_dict_set(&d->arena, field, "T", fname) != 0 ||
	    pdf_dict_set(&d->arena, field, "V",
			 pdf_obj_ref(&d->arena, pl.sig_num, 0)) != 0 ||
	    pdf_dict_set(&d->arena, field, "F",
			 pdf_obj_int(&d->arena, 132)) != 0 ||
	    pdf_dict_set(&d->arena, field, "P", page_ref) != 0 ||
	    pdf_dict_set(&d->arena, field, "Rect", rect) != 0)
		goto out;
	if (pl.visible) {
		struct pdf_obj *ap = pdf_obj_new(&d->arena, PDF_DICT);

		if (ap == NULL ||
		    pdf_dict_set(&d->arena, ap, "N",
				 pdf_obj_ref(&d->arena, pl.ap_num, 0)) != 0 ||
		    pdf_dict_set(&d->arena, field, "AP", ap) != 0)
			goto out;
		pl.w = o->rect[2] - o->rect[0];
		pl.h = o->rect[3] - o->rect[1];
	}
	pl.field = field;
	if ((rc = plan_page(d, &pl, page_ref, field_ref)) != 0 ||
	    (rc = plan_acroform(d, &pl, field_ref, &next)) != 0 ||
	    (pl.docmdp != 0 && (rc = plan_perms(d, &pl)) != 0)) {
		if (rc == ESD_EUNSUPP)
			why = PDF_R_UNSUPPORTED;
		goto out;
	}
	pl.next = next;
	rc = pdf_sign_write(d, &pl, out);
out:
	if (rc != 0 && why == PDF_R_NONE)
		why = rc == ESD_EUNSUPP ? PDF_R_UNSUPPORTED :
		      rc == ESD_EINVAL ? PDF_R_DAMAGED : PDF_R_NONE;
	if (reason != NULL)
		*reason = why;
	return rc;
}

/* ---- the prepared file ---- */

void pdf_prepared_free(struct pdf_prepared *p)
{
	if (p == NULL)
		return;
	free(p->buf);
	free(p);
}

void pdf_prepared_output(const struct pdf_prepared *p, const uint8_t **buf,
			 size_t *len)
{
	*buf = p->buf;
	*len = p->len;
}

uint8_t *pdf_prepared_take(struct pdf_prepared *p, size_t *len)
{
	uint8_t *b = p->buf;

	*len = p->len;
	p->buf = NULL;
	p->len = 0;
	return b;
}

void pdf_prepared_byte_range(const struct pdf_prepared *p, uint64_t br[4])
{
	memcpy(br, p->br, sizeof(p->br));
}

size_t pdf_prepared_contents_cap(const struct pdf_prepared *p)
{
	return p->hex_len / 2;
}

uint64_t pdf_prepared_base(const struct pdf_prepared *p)
{
	return p->base;
}

int pdf_prepared_digest_tail(const struct pdf_prepared *p, EVP_MD_CTX *ctx)
{
	uint64_t a_end = p->br[1], b = p->br[2] - p->base;

	/* The range before /Contents: what lies in buf of [0, br[1]). */
	if (a_end > p->base &&
	    EVP_DigestUpdate(ctx, p->buf, (size_t)(a_end - p->base)) != 1)
		return ESD_ECRYPTO;
	if (EVP_DigestUpdate(ctx, p->buf + b, p->br[3]) != 1)
		return ESD_ECRYPTO;
	return 0;
}

int pdf_prepared_digest(const struct pdf_prepared *p, const EVP_MD *md,
			uint8_t *out, size_t cap, size_t *outlen)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned int n = 0;
	int rc = ESD_EINVAL;

	if (md == NULL || EVP_MD_get_size(md) <= 0 ||
	    cap < (size_t)EVP_MD_get_size(md) || p->base != 0)
		goto out;
	rc = ESD_ECRYPTO;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
	    pdf_prepared_digest_tail(p, ctx) != 0 ||
	    EVP_DigestFinal_ex(ctx, out, &n) != 1)
		goto out;
	*outlen = n;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int pdf_prepared_set_contents(struct pdf_prepared *p, const uint8_t *der,
			      size_t len, int *reason)
{
	static const char hex[] = "0123456789ABCDEF";
	char *h = (char *)p->buf + p->hex_off;

	if (reason != NULL)
		*reason = PDF_R_NONE;
	if (len > p->hex_len / 2) {
		if (reason != NULL)
			*reason = PDF_R_CONTENTS_TOO_SMALL;
		return ESD_ETOOBIG;
	}
	for (size_t i = 0; i < len; i++) {
		h[2 * i] = hex[der[i] >> 4];
		h[2 * i + 1] = hex[der[i] & 15];
	}
	memset(h + 2 * len, '0', p->hex_len - 2 * len);
	return 0;
}
