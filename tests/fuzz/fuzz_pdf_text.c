/*
 * libFuzzer target: the text finder (pdf_find_text, pdf/text.c) that
 * places a signature at an anchor: content streams and their operators,
 * fonts, /Widths and /W, /ToUnicode CMaps, form XObjects. The input is a
 * document; it is searched for "#ttd#" (an anchor BSrE clients use) and
 * for a non-ASCII word, so both the Latin-1 and the CMap paths match.
 */
#include <stddef.h>
#include <stdint.h>

#include "pdf/pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdf_doc *d = NULL;
	struct pdf_text_pos pos;
	int reason = 0;

	if (pdf_doc_open(data, size, &d, &reason) != 0)
		return 0;
	(void)pdf_find_text(d, "#ttd#", &pos, &reason);
	(void)pdf_find_text(d, "T\xc3\xa9st", &pos, &reason);
	pdf_doc_free(d);
	return 0;
}
