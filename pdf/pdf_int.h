/*
 * Private to pdf/: object model, arena, lexer, xref. Not installed.
 */
#ifndef ESD_PDF_INT_H
#define ESD_PDF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pdf/pdf.h"

#define PDF_MAX_DEPTH 64          /* nesting of arrays/dicts, tree walks */
#define PDF_MAX_STREAM (256u << 20) /* decoded stream cap (zip bombs) */
#define PDF_MAX_OBJNUM 8388607u   /* ISO 32000-1 Annex C */
#define PDF_WALK_BUDGET 1000000u  /* page tree nodes visited per walk */
#define PDF_FIELD_BUDGET 100000u  /* field tree nodes visited per walk */

/* ---- arena: everything parsed lives until pdf_doc_free ---- */
struct pdf_arena_blk;
struct pdf_arena {
	struct pdf_arena_blk *head;
};
void *pdf_arena_alloc(struct pdf_arena *a, size_t n);
void pdf_arena_free(struct pdf_arena *a);
char *pdf_arena_strndup(struct pdf_arena *a, const void *s, size_t n);
/* A copy of the NUL-terminated s in the arena (NULL: s NULL or no memory). */
char *pdf_arena_strdup(struct pdf_arena *a, const char *s);

/* ---- growable output buffer ---- */
struct pdf_buf {
	uint8_t *p;
	size_t len, cap;
	int err;                  /* sticky ESD_ENOMEM */
};
void pdf_buf_put(struct pdf_buf *b, const void *s, size_t n);
/* Room for n more bytes, so that the next n are written without growing
 * (the content of a signature's placeholder: no copy per doubling). */
void pdf_buf_reserve(struct pdf_buf *b, size_t n);
/* n bytes of value c. */
void pdf_buf_fill(struct pdf_buf *b, int c, size_t n);
void pdf_buf_puts(struct pdf_buf *b, const char *s);
void pdf_buf_printf(struct pdf_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- objects ---- */
enum pdf_type {
	PDF_NULL, PDF_BOOL, PDF_INT, PDF_REAL, PDF_STR, PDF_NAME,
	PDF_ARRAY, PDF_DICT, PDF_REF, PDF_STREAM
};

struct pdf_kv;
struct pdf_obj {
	enum pdf_type t;
	union {
		int b;
		int64_t i;
		struct { const char *p; size_t len; } real; /* raw text */
		struct { uint8_t *p; size_t len; } s;       /* str, name */
		struct { struct pdf_obj **v; size_t n, cap; } a;
		struct { struct pdf_kv *kv; size_t n, cap; } d;
		struct { uint32_t num; uint32_t gen; } r;
		struct {
			struct pdf_obj *dict;
			const uint8_t *data; /* raw (encoded) bytes */
			size_t len;
		} st;
	} u;
};
struct pdf_kv {
	struct pdf_obj *key;  /* PDF_NAME */
	struct pdf_obj *val;
};

struct pdf_obj *pdf_obj_new(struct pdf_arena *a, enum pdf_type t);
struct pdf_obj *pdf_obj_int(struct pdf_arena *a, int64_t v);
struct pdf_obj *pdf_obj_ref(struct pdf_arena *a, uint32_t num, uint32_t gen);
struct pdf_obj *pdf_obj_name(struct pdf_arena *a, const char *s);
struct pdf_obj *pdf_obj_str(struct pdf_arena *a, const void *s, size_t n);
int pdf_array_push(struct pdf_arena *a, struct pdf_obj *arr,
		   struct pdf_obj *v);
/* Looks a key up (name without '/'); NULL if absent. Does not resolve. */
struct pdf_obj *pdf_dict_get(const struct pdf_obj *d, const char *key);
/* Sets or replaces key; d must be a PDF_DICT. */
int pdf_dict_set(struct pdf_arena *a, struct pdf_obj *d, const char *key,
		 struct pdf_obj *v);
void pdf_dict_del(struct pdf_obj *d, const char *key);
/* Shallow copy of a dict/array (new container, shared children). */
struct pdf_obj *pdf_obj_shallow(struct pdf_arena *a, const struct pdf_obj *o);
int pdf_name_is(const struct pdf_obj *o, const char *s);
/* The value of an integer or real object (0 for anything else, or a real
 * that is not finite). */
double pdf_num_value(const struct pdf_obj *o);
/* Serialises o (no streams) into b. */
void pdf_obj_write(struct pdf_buf *b, const struct pdf_obj *o);

/* ---- lexer / parser over a byte range ---- */
struct pdf_lex {
	const uint8_t *p, *end, *base;  /* base: offset 0 for positions */
	struct pdf_arena *arena;
	int depth;
};
static inline size_t pdf_lex_pos(const struct pdf_lex *l)
{
	return (size_t)(l->p - l->base);
}
void pdf_lex_skip_ws(struct pdf_lex *l);
/* Consumes a keyword if it is next (followed by a delimiter). */
int pdf_lex_keyword(struct pdf_lex *l, const char *kw);
/* Reads an unsigned decimal integer token. */
int pdf_lex_uint(struct pdf_lex *l, uint64_t *v);
/* Parses one direct object (with "N G R" references). */
int pdf_parse_obj(struct pdf_lex *l, struct pdf_obj **out);
/* "N G obj" header at the current position. */
int pdf_parse_obj_header(struct pdf_lex *l, uint32_t *num, uint32_t *gen);
int pdf_is_ws(uint8_t c);
/* Hex digits in [s, e) (white space skipped, an odd last digit padded
 * with 0) into out (room for (e - s) / 2 + 1); the length, or SIZE_MAX
 * for a character that is neither. */
size_t pdf_hex_decode(const uint8_t *s, const uint8_t *e, uint8_t *out);
int pdf_is_delim(uint8_t c);

/* ---- document ---- */
enum xref_kind { XE_UNSET = 0, XE_FREE, XE_OFFSET, XE_COMPRESSED };
struct pdf_xent {
	uint8_t kind;
	uint32_t gen;      /* generation, or index in object stream */
	uint64_t off;      /* offset, or object stream number */
	uint32_t section;  /* which section defined it (hybrid precedence) */
};

struct pdf_objstm {
	uint8_t *data;
	size_t len;
	size_t first;
	uint32_t n;
	uint64_t *offs;   /* n pairs: num, offset (parsed once) */
};

struct pdf_doc {
	const uint8_t *buf;
	size_t len;
	struct pdf_arena arena;
	struct pdf_xent *x;
	uint32_t nx;             /* entries in x */
	uint64_t size;           /* newest trailer /Size */
	struct pdf_obj **cache;  /* parsed objects by number */
	struct pdf_objstm **stm; /* decoded object streams by number */
	struct pdf_obj *trailer; /* newest trailer (dict) */
	uint64_t startxref;
	/* offsets of the xref sections followed from startxref (/Prev
	 * chain), newest first; none after a repair */
	uint64_t *sections;
	size_t nsections;
	int last_is_stream;      /* newest xref section is an xref stream */
	int repaired;
	int scanning;            /* repair scan: no lookups yet */
	int resolving;           /* recursion guard for lookups */
	unsigned walk_budget;    /* page/field tree nodes left */
	size_t es_from, es_at;   /* last "endstream" search: from, hit */
	int es_valid;
	struct pdf_sig_info *sigs;
	size_t nsigs;
	int sigs_done;
	struct pdf_sig_info *allsigs;  /* pdf_doc_signatures_all */
	size_t nallsigs;
	int allsigs_done;
};

/* doc.c: the 1-based page whose /Annots holds the widget of si (as d
 * listed it: si->widget set), 0 if none. */
unsigned pdf_sig_page(struct pdf_doc *d, const struct pdf_sig_info *si);
/* doc.c: the DocMDP P (1-3) of signature dictionary v, 0 if it names no
 * DocMDP transform (pdf_sig_info.docmdp_p). */
int pdf_sig_docmdp_p(struct pdf_doc *d, struct pdf_obj *v);

/* xref.c */
int pdf_xref_load(struct pdf_doc *d, int *reason);
int pdf_xref_repair(struct pdf_doc *d, int *reason);
/* Gets indirect object num (cached). *out NULL if free/missing. */
int pdf_get_obj(struct pdf_doc *d, uint32_t num, struct pdf_obj **out);
/* Follows a reference (one level chain, bounded); direct objects pass. */
int pdf_resolve(struct pdf_doc *d, struct pdf_obj *o, struct pdf_obj **out);
/* An integer entry of dict (following one reference), or dflt. */
int64_t pdf_dict_int(struct pdf_doc *d, const struct pdf_obj *dict,
		     const char *key, int64_t dflt);
/* Decodes a stream through its filters (filter.c); ESD_EUNSUPP for a
 * filter other than FlateDecode, ASCII85Decode and ASCIIHexDecode. */
int pdf_stream_decode(struct pdf_doc *d, const struct pdf_obj *st,
		      uint8_t **out, size_t *outlen);
uint32_t pdf_obj_gen(const struct pdf_doc *d, uint32_t num);
int pdf_read_indirect(struct pdf_doc *d, uint64_t off, uint32_t *num_out,
		      struct pdf_obj **out, const uint8_t **end);
int pdf_xref_grow(struct pdf_doc *d, uint64_t need);
int pdf_objstm_load(struct pdf_doc *d, uint32_t snum,
		    struct pdf_objstm **out);

/* afm.c: a standard font's width of a printable ASCII code (1/1000 em)
 * by its /BaseFont name, or -1 if unknown. */
double pdf_std_width(const char *base, unsigned code);

/* doc.c */
/* pdf_doc_open without repair: a revision as its own xref describes it,
 * or an error (revision.c opens every earlier revision this way). */
int pdf_doc_open_exact(const uint8_t *buf, size_t len, struct pdf_doc **out);
int pdf_find_page(struct pdf_doc *d, unsigned index, struct pdf_obj **ref);
/* Calls cb for each terminal field; full is its qualified name (UTF-8). */
int pdf_fields_walk(struct pdf_doc *d,
		    int (*cb)(void *ctx, struct pdf_obj *field,
			      const char *full, const char *ft),
		    void *ctx);
/* Decodes a PDF text string into NUL-terminated UTF-8 in the arena. */
char *pdf_text_to_utf8(struct pdf_arena *a, const struct pdf_obj *s);

#endif
