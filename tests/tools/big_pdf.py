#!/usr/bin/python3
"""A valid PDF of a given size, for memory and large-document tests.

    big_pdf.py OUT MEGABYTES

writes a one-page A4 document whose page shows a line of text and owns
an uncompressed RGB image XObject (drawn small in a corner) that makes
up the size: MEGABYTES * 2^20 bytes in all, give or take a few hundred.
The image bytes are a repeating gradient, written in pieces: the writer
needs a few MB of memory whatever the size.
"""
import sys


def main():
    out, mb = sys.argv[1], int(sys.argv[2])
    total = mb << 20
    width = 4096
    # rows of RGB pixels: the image takes what the rest leaves
    height = max(1, (total - 1200) // (width * 3))
    img_len = width * height * 3
    content = (b"BT /F1 24 Tf 72 760 Td (A large document: %d MB) Tj ET\n"
               b"q 100 0 0 60 72 600 cm /Im1 Do Q\n" % mb)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> /XObject << /Im1 6 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content +
        b"\nendstream",
        None,  # the image, streamed below
    ]
    row = bytes((x * 7 + c * 85) & 255 for x in range(width) for c in range(3))
    chunk_rows = max(1, (4 << 20) // len(row))
    offs = []
    with open(out, "wb") as f:
        f.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        for i, body in enumerate(objs, 1):
            offs.append(f.tell())
            f.write(b"%d 0 obj\n" % i)
            if body is not None:
                f.write(body)
            else:
                f.write(b"<< /Type /XObject /Subtype /Image /Width %d "
                        b"/Height %d /ColorSpace /DeviceRGB "
                        b"/BitsPerComponent 8 /Length %d >>\nstream\n"
                        % (width, height, img_len))
                left = height
                while left > 0:
                    n = min(left, chunk_rows)
                    f.write(row * n)
                    left -= n
                f.write(b"\nendstream")
            f.write(b"\nendobj\n")
        x = f.tell()
        f.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
        for o in offs:
            f.write(b"%010d 00000 n \n" % o)
        f.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n"
                b"%%%%EOF\n" % (len(objs) + 1, x))


if __name__ == "__main__":
    main()
