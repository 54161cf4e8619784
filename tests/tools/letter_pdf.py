#!/usr/bin/python3
"""Small PDFs for tests, written byte by byte (no PDF library).

    letter_pdf.py OUT [MARKER [X Y]]

writes a one-page A4 letter in Helvetica whose closing shows MARKER (for
signatures placed at a text, BSrE's tag_koordinat) with its baseline
starting at X Y (default #ttd# at 360 160). As a module: write_pdf,
stream and one_page build other shapes.
"""
import sys


def write_pdf(path, objs):
    """objs: bodies of objects 1..n; 1 is the catalog."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offs = []
    for i, body in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1, x)
    with open(path, "wb") as f:
        f.write(out)


def stream(data, extra=b""):
    return (b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data +
            b"\nendstream")


def one_page(content, resources, more=(), filt=b""):
    """Catalog, pages, page, its content, then more objects (5, 6, ...)."""
    return [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources " + resources + b" /Contents 4 0 R >>",
            stream(content, filt)] + list(more)


HELV = (b"<< /Font << /F1 << /Type /Font /Subtype /Type1 "
        b"/BaseFont /Helvetica >> >> >>")


def esc(s):
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def letter(path, marker="#ttd#", x=360, y=160):
    lines = ["Nota Dinas", "Perihal: Persetujuan", "",
             "Dengan hormat, dokumen ini disetujui untuk diterbitkan."]
    body = "BT /F1 12 Tf 16 TL 72 760 Td " + " ".join(
        "(%s) Tj T*" % esc(t) for t in lines) + " ET\n"
    body += "BT /F1 11 Tf %g %g Td (Kepala Dinas) Tj ET\n" % (x, y + 40)
    body += "BT /F1 11 Tf %g %g Td (%s) Tj ET\n" % (x, y, esc(marker))
    write_pdf(path, one_page(body.encode("latin-1"), HELV))


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3, 5):
        sys.exit(__doc__)
    a = sys.argv
    letter(a[1], a[2] if len(a) > 2 else "#ttd#",
           float(a[3]) if len(a) > 3 else 360, float(a[4]) if len(a) > 4 else 160)
