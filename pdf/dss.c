/*
 * Document security store (ISO 32000-2 §12.8.4.3, ETSI EN 319 142-1
 * §5.4.2, PAdES B-LT): validation data appended as one incremental update
 * after the signatures, so they stay valid. The update holds one stream per
 * certificate / OCSP response / CRL, the /DSS dictionary, an optional /VRI
 * entry for the newest signature, and a new catalog version.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <openssl/evp.h>

#include "common/err.h"
#include "pdf/update_int.h"

#define DSS_MAX_BLOBS 4096

enum { K_CERT, K_OCSP, K_CRL, K_N };

static const char *const dss_key[K_N] = { "Certs", "OCSPs", "CRLs" };
static const char *const vri_key[K_N] = { "Cert", "OCSP", "CRL" };

/* A stored entry: its reference and the SHA-256 of its decoded bytes. */
struct held {
	struct pdf_obj *ref;
	uint8_t md[32];
};

struct dss_ctx {
	struct pdf_doc *d;
	struct pdf_upd u;
	uint32_t next;
	int flate;
	struct held *held[K_N];   /* existing entries, then new ones */
	size_t nheld[K_N], capheld[K_N];
	struct pdf_obj *arr[K_N]; /* new /DSS arrays */
	struct pdf_obj *vri[K_N]; /* this call's refs for /VRI */
};

static int sha256(const uint8_t *p, size_t n, uint8_t md[32])
{
	unsigned int len = 0;

	return EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) == 1 &&
	       len == 32 ? 0 : ESD_ECRYPTO;
}

static int hold(struct dss_ctx *c, int k, struct pdf_obj *ref,
		const uint8_t md[32])
{
	if (c->nheld[k] == c->capheld[k]) {
		size_t cap = c->capheld[k] ? c->capheld[k] * 2 : 16;
		struct held *nh = pdf_arena_alloc(&c->d->arena,
						  cap * sizeof(*nh));

		if (nh == NULL)
			return ESD_ENOMEM;
		if (c->nheld[k] > 0)
			memcpy(nh, c->held[k], c->nheld[k] * sizeof(*nh));
		c->held[k] = nh;
		c->capheld[k] = cap;
	}
	c->held[k][c->nheld[k]].ref = ref;
	memcpy(c->held[k][c->nheld[k]].md, md, 32);
	c->nheld[k]++;
	return 0;
}

/* Copies an existing array (direct or indirect) into a new one we own;
 * each stream it lists is hashed so the same blob is not stored twice. */
static int load_existing(struct dss_ctx *c, int k, struct pdf_obj *src)
{
	struct pdf_doc *d = c->d;
	struct pdf_obj *arr;
	int rc;

	c->arr[k] = pdf_obj_new(&d->arena, PDF_ARRAY);
	c->vri[k] = pdf_obj_new(&d->arena, PDF_ARRAY);
	if (c->arr[k] == NULL || c->vri[k] == NULL)
		return ESD_ENOMEM;
	if ((rc = pdf_resolve(d, src, &arr)) != 0)
		return rc;
	if (arr == NULL || arr->t != PDF_ARRAY)
		return 0;
	for (size_t i = 0; i < arr->u.a.n; i++) {
		struct pdf_obj *e = arr->u.a.v[i], *st;
		uint8_t *buf = NULL, md[32];
		size_t len = 0;

		if ((rc = pdf_array_push(&d->arena, c->arr[k], e)) != 0)
			return rc;
		/* unreadable entries are kept but never matched */
		if (e->t != PDF_REF || pdf_resolve(d, e, &st) != 0 ||
		    st == NULL || st->t != PDF_STREAM ||
		    pdf_stream_decode(d, st, &buf, &len) != 0)
			continue;
		rc = sha256(buf, len, md);
		free(buf);
		if (rc == 0)
			rc = hold(c, k, e, md);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int write_blob(struct dss_ctx *c, int k, const struct pdf_blob *b)
{
	struct pdf_doc *d = c->d;
	struct pdf_obj *dict, *ref = NULL;
	uint8_t md[32], *z = NULL;
	uLongf zlen;
	int rc;

	if ((rc = sha256(b->p, b->len, md)) != 0)
		return rc;
	for (size_t i = 0; i < c->nheld[k]; i++)
		if (memcmp(c->held[k][i].md, md, 32) == 0)
			ref = c->held[k][i].ref;
	if (ref == NULL) {
		if (c->next > PDF_MAX_OBJNUM - 2)
			return ESD_EUNSUPP;
		ref = pdf_obj_ref(&d->arena, c->next++, 0);
		dict = pdf_obj_new(&d->arena, PDF_DICT);
		if (ref == NULL || dict == NULL)
			return ESD_ENOMEM;
		if (c->flate) {
			if (b->len > (SIZE_MAX - 64) / 2 ||
			    b->len > (uLong)-1 / 2)
				return ESD_ETOOBIG;
			zlen = compressBound((uLong)b->len);
			z = malloc(zlen);
			if (z == NULL)
				return ESD_ENOMEM;
			if (compress2(z, &zlen, b->p, (uLong)b->len, 9) !=
			    Z_OK ||
			    pdf_dict_set(&d->arena, dict, "Filter",
					 pdf_obj_name(&d->arena,
						      "FlateDecode")) != 0) {
				free(z);
				return ESD_ENOMEM;
			}
			pdf_upd_stream(&c->u, ref->u.r.num, dict, z, zlen);
			free(z);
		} else {
			pdf_upd_stream(&c->u, ref->u.r.num, dict, b->p,
				       b->len);
		}
		if ((rc = hold(c, k, ref, md)) != 0 ||
		    (rc = pdf_array_push(&d->arena, c->arr[k], ref)) != 0)
			return rc;
	}
	/* /VRI lists each blob of this call once */
	for (size_t i = 0; i < c->vri[k]->u.a.n; i++)
		if (c->vri[k]->u.a.v[i] == ref)
			return 0;
	return pdf_array_push(&d->arena, c->vri[k], ref);
}

/* The signature whose byte range ends last (the newest one), or NULL. */
static const struct pdf_sig_info *newest_sig(struct pdf_doc *d)
{
	const struct pdf_sig_info *s, *best = NULL;
	size_t n;

	if (pdf_doc_signatures(d, &s, &n) != 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!s[i].has_byte_range || s[i].contents == NULL)
			continue;
		if (best == NULL ||
		    s[i].byte_range[2] + s[i].byte_range[3] >=
		    best->byte_range[2] + best->byte_range[3])
			best = &s[i];
	}
	return best;
}

/* ETSI EN 319 142-1 §5.4.2.2: /VRI key = uppercase hex SHA-1 of the
 * signature; like Adobe, iText and EU DSS, of the whole /Contents string
 * (zero padding included). An existing entry for it is extended. */
static int add_vri(struct dss_ctx *c, struct pdf_obj *dss,
		   struct pdf_obj *old_vri)
{
	static const char hex[] = "0123456789ABCDEF";
	struct pdf_doc *d = c->d;
	const struct pdf_sig_info *si = newest_sig(d);
	struct pdf_obj *vri, *ent, *old_ent = NULL;
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char key[41];
	int rc;

	if (si == NULL)
		return 0;  /* nothing signed: a /DSS without /VRI */
	if (EVP_Digest(si->contents, si->contents_raw_len, md, &mdlen,
		       EVP_sha1(), NULL) != 1 || mdlen != 20)
		return ESD_ECRYPTO;
	for (unsigned i = 0; i < 20; i++) {
		key[2 * i] = hex[md[i] >> 4];
		key[2 * i + 1] = hex[md[i] & 15];
	}
	key[40] = '\0';
	if ((rc = pdf_resolve(d, old_vri, &old_vri)) != 0)
		return rc;
	if (old_vri != NULL && old_vri->t == PDF_DICT) {
		vri = pdf_obj_shallow(&d->arena, old_vri);
		if ((rc = pdf_resolve(d, pdf_dict_get(old_vri, key),
				      &old_ent)) != 0)
			return rc;
	} else {
		vri = pdf_obj_new(&d->arena, PDF_DICT);
	}
	if (old_ent != NULL && old_ent->t == PDF_DICT)
		ent = pdf_obj_shallow(&d->arena, old_ent);
	else
		ent = pdf_obj_new(&d->arena, PDF_DICT);
	if (vri == NULL || ent == NULL)
		return ESD_ENOMEM;
	for (int k = 0; k < K_N; k++) {
		struct pdf_obj *arr = NULL, *na;

		if (c->vri[k]->u.a.n == 0)
			continue;
		if ((rc = pdf_resolve(d, pdf_dict_get(ent, vri_key[k]),
				      &arr)) != 0)
			return rc;
		if (arr != NULL && arr->t == PDF_ARRAY)
			na = pdf_obj_shallow(&d->arena, arr);
		else
			na = pdf_obj_new(&d->arena, PDF_ARRAY);
		if (na == NULL)
			return ESD_ENOMEM;
		for (size_t i = 0; i < c->vri[k]->u.a.n; i++) {
			struct pdf_obj *r = c->vri[k]->u.a.v[i];
			int dup = 0;

			for (size_t j = 0; j < na->u.a.n; j++)
				dup |= na->u.a.v[j]->t == PDF_REF &&
				       na->u.a.v[j]->u.r.num == r->u.r.num;
			if (!dup && (rc = pdf_array_push(&d->arena, na,
							 r)) != 0)
				return rc;
		}
		if ((rc = pdf_dict_set(&d->arena, ent, vri_key[k], na)) != 0)
			return rc;
	}
	if ((rc = pdf_dict_set(&d->arena, vri, key, ent)) != 0)
		return rc;
	return pdf_dict_set(&d->arena, dss, "VRI", vri);
}

static int check_blobs(const struct pdf_blob *b, size_t n, size_t *total)
{
	if (n > 0 && b == NULL)
		return ESD_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (b[i].p == NULL || b[i].len == 0)
			return ESD_EINVAL;
	*total += n;
	return 0;
}

int pdf_dss_append(struct pdf_doc *d, const struct pdf_dss_data *v,
		   uint8_t **out, size_t *out_len, int *reason)
{
	const struct pdf_blob *blobs[K_N] = { v->certs, v->ocsps, v->crls };
	size_t nblobs[K_N] = { v->ncerts, v->nocsps, v->ncrls }, total = 0;
	struct pdf_obj *root_ref, *root, *old = NULL, *dss, *nr;
	struct dss_ctx c;
	uint32_t dss_num;
	int rc, why = PDF_R_NONE;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.d = d;
	c.flate = v->flate;
	pdf_upd_init(&c.u, d);
	rc = ESD_EINVAL;
	why = PDF_R_BAD_OPTION;
	for (int k = 0; k < K_N; k++)
		if (check_blobs(blobs[k], nblobs[k], &total) != 0)
			goto out;
	if (total == 0 || total > DSS_MAX_BLOBS)
		goto out;
	why = PDF_R_NONE;
	root_ref = pdf_dict_get(d->trailer, "Root");
	rc = ESD_EUNSUPP;
	if (root_ref == NULL || root_ref->t != PDF_REF)
		goto out;
	if ((rc = pdf_resolve(d, root_ref, &root)) != 0)
		goto out;
	rc = ESD_EINVAL;
	if (root == NULL || root->t != PDF_DICT)
		goto out;
	if ((rc = pdf_resolve(d, pdf_dict_get(root, "DSS"), &old)) != 0)
		goto out;
	rc = ESD_ENOMEM;
	if (old != NULL && old->t == PDF_DICT)
		dss = pdf_obj_shallow(&d->arena, old);
	else
		dss = pdf_obj_new(&d->arena, PDF_DICT);
	nr = pdf_obj_shallow(&d->arena, root);
	if (dss == NULL || nr == NULL ||
	    pdf_dict_set(&d->arena, dss, "Type",
			 pdf_obj_name(&d->arena, "DSS")) != 0)
		goto out;
	c.next = pdf_upd_first_free(d);
	rc = ESD_EUNSUPP;
	if (c.next == 0 || c.next > PDF_MAX_OBJNUM - total - 2)
		goto out;
	for (int k = 0; k < K_N; k++) {
		rc = load_existing(&c, k, pdf_dict_get(dss, dss_key[k]));
		for (size_t i = 0; rc == 0 && i < nblobs[k]; i++)
			rc = write_blob(&c, k, &blobs[k][i]);
		if (rc != 0)
			goto out;
		if (c.arr[k]->u.a.n > 0 &&
		    (rc = pdf_dict_set(&d->arena, dss, dss_key[k],
				       c.arr[k])) != 0)
			goto out;
	}
	if (v->vri && (rc = add_vri(&c, dss, pdf_dict_get(dss, "VRI"))) != 0)
		goto out;
	dss_num = c.next++;
	if ((rc = pdf_dict_set(&d->arena, nr, "DSS",
			       pdf_obj_ref(&d->arena, dss_num, 0))) != 0)
		goto out;
	pdf_upd_obj(&c.u, dss_num, 0, dss);
	pdf_upd_obj(&c.u, root_ref->u.r.num, pdf_obj_gen(d, root_ref->u.r.num),
		    nr);
	rc = pdf_upd_finish(&c.u, c.next, v->tail_only, out, out_len);
out:
	if (rc != 0 && why == PDF_R_NONE)
		why = rc == ESD_EUNSUPP ? PDF_R_UNSUPPORTED :
		      rc == ESD_EINVAL ? PDF_R_DAMAGED : PDF_R_NONE;
	if (reason != NULL)
		*reason = why;
	pdf_upd_free(&c.u);
	return rc;
}

/* Appends the decoded streams of the array src to *out. */
static int read_streams(struct pdf_doc *d, struct pdf_obj *src,
			struct pdf_vdata_list *out)
{
	struct pdf_obj *arr, *st;
	int rc = pdf_resolve(d, src, &arr);

	if (rc != 0 || arr == NULL || arr->t != PDF_ARRAY)
		return rc;
	for (size_t i = 0; i < arr->u.a.n && out->n < PDF_VDATA_MAX; i++) {
		uint8_t *buf = NULL;
		size_t len = 0;

		if (pdf_resolve(d, arr->u.a.v[i], &st) != 0 || st == NULL ||
		    st->t != PDF_STREAM || pdf_stream_decode(d, st, &buf, &len) != 0)
			continue;
		out->v[out->n].p = buf;
		out->v[out->n++].len = len;
	}
	return 0;
}

int pdf_dss_read(struct pdf_doc *d, struct pdf_vdata *out)
{
	struct pdf_obj *root_ref = pdf_dict_get(d->trailer, "Root"), *root, *dss;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = pdf_resolve(d, root_ref, &root)) != 0 || root == NULL ||
	    root->t != PDF_DICT)
		return rc;
	if ((rc = pdf_resolve(d, pdf_dict_get(root, "DSS"), &dss)) != 0 ||
	    dss == NULL || dss->t != PDF_DICT)
		return rc;
	out->present = 1;
	rc = read_streams(d, pdf_dict_get(dss, "Certs"), &out->certs);
	if (rc == 0)
		rc = read_streams(d, pdf_dict_get(dss, "OCSPs"), &out->ocsps);
	if (rc == 0)
		rc = read_streams(d, pdf_dict_get(dss, "CRLs"), &out->crls);
	if (rc != 0)
		pdf_vdata_free(out);
	return rc;
}

void pdf_vdata_free(struct pdf_vdata *v)
{
	struct pdf_vdata_list *l[3] = { &v->certs, &v->ocsps, &v->crls };

	for (int k = 0; k < 3; k++)
		for (size_t i = 0; i < l[k]->n; i++)
			free((void *)l[k]->v[i].p);
	memset(v, 0, sizeof(*v));
}
