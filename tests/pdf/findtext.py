#!/usr/bin/python3
"""Checks pdf_find_text (signatures placed at a text, BSrE tag_koordinat)
against poppler's pdftotext -bbox, on generated PDFs that exercise each
way text is shown (TJ kerning splits, a composite font with /ToUnicode,
a form XObject, cm and Tm transforms, ASCII85+Flate content) and on words
of the corpus (tests/corpus).

    tests/pdf/findtext.py PDFSIGN_TOOL CORPUS_DIR

Prints "ok - ..." / "not ok - ..." and "N passed, M failed".
"""
import os
import re
import subprocess
import sys
import tempfile
import zlib
import base64

sys.dont_write_bytecode = True

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tools"))
from letter_pdf import HELV, one_page, stream, write_pdf  # noqa: E402

tool = sys.argv[1]
corpus = os.environ.get("ESD_CORPUS", sys.argv[2])
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print("ok - " + what)
    else:
        failed += 1
        print("not ok - " + what)


cmap = b"""/CIDInit /ProcSet findresource begin 12 dict begin begincmap
/CMapName /Test-UCS def /CMapType 2 def
1 begincodespacerange <0000> <FFFF> endcodespacerange
2 beginbfchar <0001> <0023> <0002> <0074> endbfchar
1 beginbfrange <0003> <0004> <0064> endbfrange
1 beginbfrange <0010> <0011> [<0041> <0042>] endbfrange
endcmap CMapName currentdict /CMap defineresource pop end end"""

cases = {
    # name: (objects, the word pdftotext prints, the text searched)
    "kerned TJ with Helvetica": (one_page(
        b"BT /F1 12 Tf 72 700 Td [(Tanda tangan: ) -250 (#t) 40 (td#) (  selesai)] TJ ET",
        HELV), "#ttd#", "#ttd#"),
    "under cm and Tm": (one_page(
        b"q 1 0 0 1 50 100 cm BT /F1 10 Tf 2 0 0 2 100 300 Tm (Paraf: $ttd$ ok) Tj ET Q",
        HELV), "$ttd$", "$ttd$"),
    "text after T* and TL": (one_page(
        b"BT /F1 11 Tf 14 TL 80 600 Td (Baris satu) Tj T* (Baris dua) Tj "
        b"T* (Kepala Dinas ##TTD##) Tj ET", HELV), "##TTD##", "##TTD##"),
    "composite font with /ToUnicode": (one_page(
        b"BT /F1 14 Tf 120 400 Td <0010001100100000> Tj 30 0 Td <00010002000200030001> Tj ET",
        b"<< /Font << /F1 5 0 R >> >>",
        [b"<< /Type /Font /Subtype /Type0 /BaseFont /Test /Encoding /Identity-H "
         b"/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
         b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Test /CIDSystemInfo "
         b"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
         b"/DW 600 /W [1 [500 300 550]] >>",
         stream(cmap)]), "#ttd#", "#ttd#"),
    "inside a form XObject": (one_page(
        b"q 1 0 0 1 200 150 cm /X1 Do Q",
        b"<< /XObject << /X1 5 0 R >> >>",
        [stream(b"BT /F1 9 Tf 10 20 Td (Tempat [TTD] di sini) Tj ET",
                b"/Type /XObject /Subtype /Form /BBox [0 0 300 100] "
                b"/Resources " + HELV)]), "[TTD]", "[TTD]"),
    "ASCII85 and Flate content": (one_page(
        base64.a85encode(zlib.compress(
            b"BT /F1 12 Tf 300 250 Td (Mengetahui, @sign@) Tj ET")) + b"~>",
        HELV, filt=b"/Filter [/ASCII85Decode /FlateDecode]"), "@sign@", "@sign@"),
}


def bbox_words(path, page=1):
    out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page),
                          "-bbox", path, "-"], capture_output=True,
                         text=True).stdout
    h = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', out)
    words = [(m.group(5), float(m.group(1)), float(m.group(2)),
              float(m.group(3)), float(m.group(4))) for m in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
        r'yMax="([\d.]+)">([^<]*)</word>', out)]
    return (float(h.group(2)) if h else 0), words


def unescape(w):
    return w.replace("&amp;", "&").replace("&lt;", "<").replace(
        "&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")


def find(path, text):
    r = subprocess.run([tool, "findtext", path, text], capture_output=True,
                       text=True)
    m = re.match(r"page (\d+) x ([-\d.]+) y ([-\d.]+)", r.stdout)
    return (r.returncode, int(m.group(1)), float(m.group(2)),
            float(m.group(3))) if m else (r.returncode, r.stdout.strip())


def agrees(path, word, text, xtol):
    """findtext's hit lies where pdftotext puts the word on page 1."""
    height, words = bbox_words(path)
    hits = [w for w in words if unescape(w[0]) == word]
    got = find(path, text)
    if not hits or len(got) != 4 or got[0] != 0:
        return False, "pdftotext %d hits, findtext %r" % (len(hits), got)
    _, x0, y0, x1, y1 = hits[0]
    _, page, x, y = got
    base_lo, base_hi = height - y1 - 2, height - y0 + 2
    ok = page == 1 and abs(x - x0) <= xtol and base_lo <= y <= base_hi
    return ok, "x %.1f vs %.1f, y %.1f in [%.1f, %.1f]" % (
        x, x0, y, base_lo, base_hi)


with tempfile.TemporaryDirectory() as tmp:
    for name, (objs, word, text) in cases.items():
        path = os.path.join(tmp, re.sub(r"\W+", "_", name) + ".pdf")
        write_pdf(path, objs)
        ok, why = agrees(path, word, text, 1.0)
        check(ok, "%s: %s (%s)" % (name, text, why))
    path = os.path.join(tmp, "kerned_TJ_with_Helvetica.pdf")
    got = find(path, "#nothere#")
    check(got[0] == 2 and "text_not_found" in got[1],
          "absent text is refused: %r" % (got,))
    got = find(path, "  ")
    check(got[0] == 2 and "bad_option" in got[1],
          "blank text is refused: %r" % (got,))

# Corpus: a few words that appear once on page 1, where pdftotext puts
# them, to within 2 points (standard fonts without /Widths are measured
# with their AFM widths).
for f in sorted(os.listdir(corpus)):
    path = os.path.join(corpus, f)
    if not f.endswith(".pdf") or f.startswith("bad-"):
        continue
    _, words = bbox_words(path)
    names = [unescape(w[0]) for w in words]
    picked = [w for w in names if re.fullmatch(r"[A-Za-z]{5,}", w) and
              names.count(w) == 1 and
              all(w not in o for o in names if o != w)][:4]
    if not picked:
        # no extractable text on page 1 (an image-only or encrypted file)
        continue
    for w in picked:
        ok, why = agrees(path, w, w, 2.0)
        check(ok, "%s: %s (%s)" % (f, w, why))

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
