/*
 * pdf: reading PDF structure and signing by incremental update
 * (ISO 32000-1 §7.5.6 incremental updates, §12.8 digital signatures,
 * ETSI EN 319 142-1 PAdES baseline).
 *
 * The layer never sees a key. pdf_sign_prepare() plans the update (signature
 * dictionary, field + widget, new page/AcroForm/catalog versions, new xref
 * section) and reserves /Contents; the caller digests the byte range, gets a
 * CMS built elsewhere and hands its DER to pdf_prepared_set_contents().
 *
 * Every function returns 0 or a negative ESD_E* code (common/err.h). Where
 * the code alone is too coarse, a `reason` out-parameter (enum pdf_reason)
 * says why; it may be NULL.
 */
#ifndef ESD_PDF_PDF_H
#define ESD_PDF_PDF_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

enum pdf_reason {
	PDF_R_NONE = 0,
	PDF_R_NOT_PDF,            /* ESD_EINVAL: no %PDF- header */
	PDF_R_TRUNCATED,          /* ESD_EINVAL: no startxref / %%EOF at end */
	PDF_R_ENCRYPTED,          /* ESD_EUNSUPP: trailer has /Encrypt */
	PDF_R_DAMAGED,            /* ESD_EINVAL: broken xref, repair failed */
	PDF_R_UNSUPPORTED,        /* ESD_EUNSUPP: valid PDF we cannot update */
	PDF_R_CONTENTS_TOO_SMALL, /* ESD_ETOOBIG: CMS larger than reservation */
	PDF_R_ALREADY_SIGNED,     /* ESD_EEXIST: refuse_if_signed and signed */
	PDF_R_FIELD_EXISTS,       /* ESD_EEXIST: field name already used */
	PDF_R_NO_PAGE,            /* ESD_EINVAL: page index out of range */
	PDF_R_CERTIFIED,          /* ESD_EPERM: DocMDP P=1 forbids changes */
	PDF_R_BAD_OPTION,         /* ESD_EINVAL: bad option (UTF-8, rect..) */
	PDF_R_TEXT_NOT_FOUND,     /* ESD_ENOTFOUND: pdf_find_text found none */
	PDF_R_CERTIFY_SIGNED,     /* ESD_EEXIST: a certification signature
				   * asked for on a signed document */
};

/* Stable snake_case name of a reason ("encrypted"); never NULL. */
const char *pdf_reason_name(int reason);

struct pdf_doc;
struct pdf_obj;
struct pdf_prepared;

/*
 * Parses the document structure: header, startxref, the chain of xref
 * tables and xref streams (/Prev, /XRefStm), the trailer. Objects are read
 * lazily when needed. A broken xref is repaired by scanning "N G obj" (like
 * qpdf); pdf_doc_repaired() tells. buf is borrowed: it must stay alive and
 * unchanged until pdf_doc_free(). *out is owned by the caller.
 */
int pdf_doc_open(const uint8_t *buf, size_t len, struct pdf_doc **out,
		 int *reason);
void pdf_doc_free(struct pdf_doc *d);

/* 1 if the xref had to be rebuilt by scanning, else 0. */
int pdf_doc_repaired(const struct pdf_doc *d);
/* Number of pages (walks the page tree). */
int pdf_doc_page_count(struct pdf_doc *d, unsigned *n);
/* Number of signature fields whose /V is a signature dictionary. */
int pdf_doc_signature_count(struct pdf_doc *d, unsigned *n);

/* One signed signature field, as found in the document. All pointers are
 * owned by the document and valid until pdf_doc_free(). Strings are
 * NUL-terminated UTF-8 (text strings decoded), NULL when absent. */
struct pdf_sig_info {
	const char *field_name;   /* fully qualified (parent.child) */
	const char *sub_filter;   /* name without '/', e.g. ETSI.CAdES.detached */
	const char *filter;       /* e.g. Adobe.PPKLite */
	const char *m;            /* raw PDF date "D:2024..." */
	time_t signing_time;      /* parsed /M, 0 if absent or bad */
	const char *reason, *location, *name, *contact_info;
	uint64_t byte_range[4];
	int has_byte_range;
	/* The gap is exactly one hex string "<...>" and ranges are in file. */
	int byte_range_ok;
	/* br[2] + br[3] == file length: this signature covers the whole file. */
	int covers_whole_file;
	const uint8_t *contents;  /* DER, trailing zero padding trimmed */
	size_t contents_len;
	/* The whole /Contents string, zero padding included (contents_raw_len
	 * bytes at contents): what a /VRI key is the SHA-1 of. */
	size_t contents_raw_len;
	/* The signature dictionary's object number (0: a direct /V). */
	uint32_t obj_num;
	/* /V is there but is not a dictionary that parses: the field is
	 * listed all the same, every other member empty. */
	int dict_broken;
	/* /M is present but not a date of ISO 32000-1 §7.9.4. */
	int m_malformed;
	/* /Contents holds non-zero bytes after the DER (room to hide data). */
	int padding_not_zero;
	/* /ByteRange is not four non-negative integers (or is missing). */
	int byte_range_malformed;
	/* Listed by pdf_doc_signatures_all from an earlier revision: the
	 * document as it is now no longer shows this signature. */
	int removed;
	/* A certification signature (ISO 32000-1 §12.8.2.2): the DocMDP
	 * permissions P (1 no changes, 2 form filling and signing, 3 also
	 * annotations) from its /Reference with /TransformMethod /DocMDP
	 * (absent /P: 2; not 1-3: 1), or from the catalog's /Perms /DocMDP
	 * naming it; 0 for an approval signature. docmdp_in_perms: the
	 * catalog's /Perms /DocMDP is this dictionary. */
	int docmdp_p;
	int docmdp_in_perms;
	/* The widget's /Rect (has_rect) and its 1-based page (0: not found;
	 * filled for the signed revision's copy, pdf_rev_diff.sig). */
	double rect[4];
	int has_rect;
	unsigned page;
	/* The widget in the document that listed the signature (internal,
	 * NULL in copies). */
	const struct pdf_obj *widget;
};

/* Fills *out with an array of *n entries owned by the document (valid until
 * pdf_doc_free; a later call returns the same array). */
int pdf_doc_signatures(struct pdf_doc *d, const struct pdf_sig_info **out,
		       size_t *n);

/* ---- revisions: what changed after a signature ---- */

/* Categories of change after a signed revision (a bit set). */
enum pdf_change {
	PDF_CHANGE_LTV = 1,    /* /DSS, /Extensions, document timestamps */
	PDF_CHANGE_FORM = 2,   /* field values and appearances, new empty
				* signature fields */
	PDF_CHANGE_ANNOT = 4,  /* annotations that are not fields */
	PDF_CHANGE_OTHER = 8,  /* anything else: content, resources, pages,
				* catalog, metadata, a signed field */
	PDF_CHANGE_SIGNATURE = 16, /* new signed signature fields */
	PDF_CHANGE_NEW_FIELD = 32, /* fields or widgets added that are not
				    * signature fields: more than filling in
				    * (ISO 32000-1 §12.8.2.2, DocMDP P=2) */
};
/* Stable snake_case name of one PDF_CHANGE_* bit; never NULL. */
const char *pdf_change_name(unsigned bit);

#define PDF_REV_LIST 16
struct pdf_rev_diff {
	/* The signed bytes (up to the end of the second range) are one whole
	 * revision ending in %%EOF that opens on its own without repair. */
	int complete;
	/* The signature dictionary, with the same /ByteRange, is in that
	 * revision (sig below is it); 0 means the signature is not part of
	 * what it signs. */
	int sig_found;
	/* sig's /ByteRange gap is exactly its dictionary's /Contents string
	 * "<...>" as the signed revision has it. */
	int gap_is_contents;
	unsigned later;          /* revisions (%%EOF) after the signed one */
	unsigned changes;        /* PDF_CHANGE_* bits of what changed since */
	/* Bytes after the signed revision that no xref section this reader
	 * follows describes (counted as PDF_CHANGE_OTHER). */
	int unfollowed;
	/* Objects changed in an OTHER way (first PDF_REV_LIST; 0 stands for
	 * the unfollowed bytes or a structure too large to compare) and the
	 * 1-based pages they belong to. */
	uint32_t objs[PDF_REV_LIST];
	size_t nobjs, nobjs_total;
	unsigned pages[PDF_REV_LIST];
	size_t npages;
	/* The signature as its signed revision has it (when sig_found):
	 * strings owned by the document. */
	struct pdf_sig_info sig;
};

/*
 * Compares the document d with the revision si signs, object by object over
 * what is reachable from /Root, and classifies every change (pdf/revision.c
 * says how). Reads only; *out is filled whatever it finds (a broken
 * signed revision is complete = 0). 0, or ESD_ENOMEM.
 */
int pdf_revision_diff(struct pdf_doc *d, const struct pdf_sig_info *si,
		      struct pdf_rev_diff *out);

/* Like pdf_doc_signatures, then every signature an earlier revision (a
 * prefix ending in %%EOF that opens without repair) has and the document
 * no longer lists (removed = 1): a swapped /Root cannot hide one. Owned
 * by the document. */
int pdf_doc_signatures_all(struct pdf_doc *d, const struct pdf_sig_info **out,
			   size_t *n);

enum pdf_subfilter {
	PDF_SUBFILTER_CADES = 0,  /* /ETSI.CAdES.detached (PAdES) */
	PDF_SUBFILTER_PKCS7 = 1,  /* /adbe.pkcs7.detached */
	/* ETSI EN 319 142-1 §5.4.3 document timestamp (PAdES B-LTA): a
	 * /Type/DocTimeStamp dictionary with /SubFilter /ETSI.RFC3161 whose
	 * /Contents is an RFC 3161 TimeStampToken over the byte range digest.
	 * Invisible; reason/location/name/contact_info/signing_time are not
	 * written; rect, image and qr_text are refused (PDF_R_BAD_OPTION). */
	PDF_SUBFILTER_RFC3161 = 2,
};

/* Options for pdf_sign_prepare. Zero-initialise, then set what you need. */
struct pdf_sign_opts {
	const char *field_name;   /* NULL: "Signature1" or next free N */
	unsigned page;            /* 0-based page for the widget */
	double rect[4];           /* llx lly urx ury; all 0 = invisible */
	const char *reason;       /* optional UTF-8 strings */
	const char *location;
	const char *name;
	const char *contact_info;
	time_t signing_time;      /* /M; 0 = now */
	enum pdf_subfilter sub_filter;
	size_t contents_size;     /* DER bytes reserved; 0 = 16384 */
	int refuse_if_signed;     /* seal: refuse a document already signed */
	/* Visible appearance extras (need a rect); both optional, borrowed
	 * until pdf_sign_prepare returns. image: a JPEG (embedded as is,
	 * /DCTDecode) or a non-interlaced 8-bit Gray/RGB PNG without alpha
	 * (IDAT data as /FlateDecode with PNG predictors), drawn on the left;
	 * anything else is PDF_R_BAD_OPTION (pdf_image_probe says why).
	 * qr_text: UTF-8 encoded as a QR code (ECC level M, quiet zone of 4
	 * modules) on the right. The text lines go in between. */
	const uint8_t *image;
	size_t image_len;
	const char *qr_text;
	/* The appearance's text instead of the default lines ("Digitally
	 * signed by", date, reason, location): printable ASCII, lines
	 * separated by '\n', at most 5 lines and 512 bytes; needs a rect. */
	const char *text;
	/* 1: the prepared file is the update alone, to be written after the
	 * document's own bytes (pdf_prepared_base() of them), for a caller
	 * that keeps the document elsewhere (a file) and never wants it
	 * copied. Offsets (/ByteRange) stay those of the whole file. */
	int tail_only;
	/* 0: an approval signature. 1, 2 or 3: a certification signature
	 * (ISO 32000-1 §12.8.2.2) with DocMDP permissions P: /Reference with
	 * /TransformMethod /DocMDP in the signature dictionary and /Perms
	 * /DocMDP in the catalog. It must be the document's first signature:
	 * a signed document is PDF_R_CERTIFY_SIGNED (ESD_EEXIST); not with
	 * PDF_SUBFILTER_RFC3161, not above 3 (PDF_R_BAD_OPTION). */
	int docmdp;
};

/*
 * Builds the signed file: the original bytes unchanged followed by one
 * incremental update, with /ByteRange already patched and /Contents full of
 * zeros. *out owns a copy of everything: it may outlive d and the input
 * buffer. The xref section has the form of the file's last one (table or
 * stream); a repaired file gets a complete xref section without /Prev.
 */
int pdf_sign_prepare(struct pdf_doc *d, const struct pdf_sign_opts *o,
		     struct pdf_prepared **out, int *reason);
void pdf_prepared_free(struct pdf_prepared *p);

/* The whole output file (with tail_only: the update); owned by p.
 * Changes only through set_contents. */
void pdf_prepared_output(const struct pdf_prepared *p, const uint8_t **buf,
			 size_t *len);
/* Takes the output file over (malloc'd; the caller frees it): p keeps
 * nothing. Call it last, before pdf_prepared_free. */
uint8_t *pdf_prepared_take(struct pdf_prepared *p, size_t *len);
/* ISO 32000-1 §12.8.1: /ByteRange [0 a b c] covers everything but the
 * /Contents hex string "<...>". */
void pdf_prepared_byte_range(const struct pdf_prepared *p, uint64_t br[4]);
/* Capacity of /Contents in DER bytes. */
size_t pdf_prepared_contents_cap(const struct pdf_prepared *p);
/* Digest over the byte range with md (e.g. EVP_sha256()); out must hold
 * EVP_MAX_MD_SIZE bytes or EVP_MD_get_size(md); *outlen gets the size.
 * ESD_EINVAL for a tail_only file (see pdf_prepared_digest_tail). */
int pdf_prepared_digest(const struct pdf_prepared *p, const EVP_MD *md,
			uint8_t *out, size_t cap, size_t *outlen);
/* File offset of the prepared buffer: 0, or with tail_only the length of
 * the document the update goes after. */
uint64_t pdf_prepared_base(const struct pdf_prepared *p);
/* Feeds ctx the byte range's bytes that lie in the prepared buffer; with
 * tail_only the caller has fed the document's pdf_prepared_base() bytes
 * first. 0 or ESD_ECRYPTO. */
int pdf_prepared_digest_tail(const struct pdf_prepared *p, EVP_MD_CTX *ctx);
/* Writes der as hex into the reserved /Contents (zero padded). ESD_ETOOBIG
 * with PDF_R_CONTENTS_TOO_SMALL if it does not fit; nothing changes on
 * error. */
int pdf_prepared_set_contents(struct pdf_prepared *p, const uint8_t *der,
			      size_t len, int *reason);

/* ---- placing a signature at a text ---- */

/* Where a text is shown: the page (0-based) and the start of its
 * baseline in default user space (points). */
struct pdf_text_pos {
	unsigned page;
	double x, y;
};

/*
 * Finds the first place, in page order, where text (UTF-8) is shown: each
 * page's content streams (and the forms they draw) are interpreted, shown
 * strings decoded through the font's /ToUnicode map or, for a simple font
 * without one, as Latin-1; white space is ignored on both sides.
 * ESD_ENOTFOUND with PDF_R_TEXT_NOT_FOUND if the text is not there;
 * ESD_EINVAL with PDF_R_BAD_OPTION for empty or non-UTF-8 text.
 */
int pdf_find_text(struct pdf_doc *d, const char *text,
		  struct pdf_text_pos *pos, int *reason);

/* ---- images for visible appearances ---- */

enum pdf_image_kind {
	PDF_IMAGE_JPEG = 1,
	PDF_IMAGE_PNG = 2,
};

struct pdf_image_info {
	enum pdf_image_kind kind;
	uint32_t width, height;
	unsigned components;      /* 1 gray, 3 RGB, 4 CMYK (JPEG only) */
};

/*
 * Reads the header of an image for pdf_sign_opts.image: JPEG (baseline,
 * extended or progressive SOF, 8 bits, 1/3/4 components) or PNG (IHDR
 * 8-bit, colour type 0 or 2, not interlaced; chunk CRCs and the IDAT zlib
 * data are checked). ESD_EINVAL for anything else, with *why (may be
 * NULL) a static English sentence for the API error message.
 */
int pdf_image_probe(const uint8_t *p, size_t len, struct pdf_image_info *info,
		    const char **why);

/* ---- document security store (PAdES B-LT) ---- */

struct pdf_blob {
	const uint8_t *p;
	size_t len;
};

/* A document's /DSS as read back (PAdES B-LT validation data): the
 * decoded streams, owned (pdf_vdata_free). */
#define PDF_VDATA_MAX 64
struct pdf_vdata_list {
	struct pdf_blob v[PDF_VDATA_MAX];
	size_t n;
};
struct pdf_vdata {
	int present;                    /* the catalog has a /DSS */
	struct pdf_vdata_list certs, ocsps, crls;
};
int pdf_dss_read(struct pdf_doc *d, struct pdf_vdata *out);
void pdf_vdata_free(struct pdf_vdata *v);

/* What pdf_dss_append adds; all borrowed. Zero-initialise. */
struct pdf_dss_data {
	const struct pdf_blob *certs;   /* DER X.509 certificates */
	size_t ncerts;
	const struct pdf_blob *ocsps;   /* DER OCSPResponse (RFC 6960) */
	size_t nocsps;
	const struct pdf_blob *crls;    /* DER CertificateList */
	size_t ncrls;
	int flate;  /* 1: store the streams with /FlateDecode */
	int vri;    /* 1: also a /VRI entry for the last signature */
	int tail_only; /* 1: *out is the update alone (pdf_sign_opts) */
};

/*
 * ISO 32000-2 §12.8.4.3, ETSI EN 319 142-1 §5.4.2: appends one incremental
 * update with a stream per certificate, OCSP response and CRL, a new /DSS
 * dictionary (/Certs, /OCSPs, /CRLs) and a new catalog version pointing to
 * it. Entries of an existing /DSS are kept; a blob already stored there
 * (same bytes) is not stored twice. With v->vri, /VRI gets an entry for
 * the signature whose byte range ends last, keyed by the uppercase hex
 * SHA-1 of its whole /Contents string, listing /Cert /OCSP /CRL for all
 * the blobs of this call. The original bytes are unchanged (signatures
 * stay valid); the xref section has the form of the last one. Empty
 * blobs are PDF_R_BAD_OPTION. *out (malloc, caller frees) is the new
 * file; d is only read.
 */
int pdf_dss_append(struct pdf_doc *d, const struct pdf_dss_data *v,
		   uint8_t **out, size_t *out_len, int *reason);

#endif
