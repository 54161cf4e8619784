#!/usr/bin/python3
"""Writes the man pages of packaging/man into OUT_DIR, with the reference
parts taken from docs/ so that they cannot drift from them.

    packaging/man/mkman.py SRC_DIR OUT_DIR

The pages in packaging/man are roff. Two kinds of lines are replaced:

    .\\" @MD docs/FILE.md ## Heading@
        the section of docs/FILE.md under that heading (up to the next
        heading of the same or a higher level), converted to roff:
        paragraphs, bullet lists, code blocks, "###" sub-headings as .SS,
        and tables as tagged paragraphs (the first column is the tag, the
        other columns follow, labelled with their header);
    @VERSION@
        the version in meson.build.

Markdown inline markup becomes roff: `code` bold, **strong** bold, links
their text. The debian/rules of the package runs this; the test
(tests/packaging/t_packaging.sh) checks that the result names every key of
daemon/config.c and every command of `esignctl --help`.
"""
import os
import re
import sys

MARKER = re.compile(r'^\.\\" @MD (\S+) (#+) (.*)@\s*$')


def inline(text):
    """Markdown inline text to roff (one line, no leading dot)."""
    text = text.replace("\\|", "|")
    out = []
    pos = 0
    for m in re.finditer(r"`([^`]*)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\([^)]*\)", text):
        out.append(esc(text[pos:m.start()]))
        if m.group(1) is not None:
            out.append(r"\fB" + esc(m.group(1)).replace("-", r"\-") + r"\fR")
        elif m.group(2) is not None:
            out.append(r"\fB" + esc(m.group(2)) + r"\fR")
        else:
            out.append(esc(m.group(3)))
        pos = m.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def esc(s):
    return s.replace("\\", r"\e")


def line(s):
    """A text line that roff will not take for a request."""
    s = s.strip()
    return "\\&" + s if s[:1] in (".", "'") else s


def cells(row):
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)]


def table(rows):
    head = [h.lower() for h in cells(rows[0])]
    out = []
    if len(head) == 1:
        for r in rows[2:]:
            out += [r".IP \(bu 2", line(inline(cells(r)[0]))]
        return out
    for r in rows[2:]:
        c = cells(r)
        tags = re.findall(r"`([^`]*)`", c[0]) if c[0].startswith("`") else []
        tags = tags if tags and re.fullmatch(r"(`[^`]*`(, )?)+", c[0]) else []
        out.append(".TP")
        if tags:
            out.append(inline(f"`{tags[0]}`"))
            for t in tags[1:]:
                out += [".TQ", inline(f"`{t}`")]
        else:
            out.append(line(inline(c[0])))
        for h, v in zip(head[1:], c[1:]):
            if not v:
                continue
            if h in ("meaning", "what", "content"):
                v = inline(v)
            else:
                v = f"{h.capitalize()}: {inline(v)}"
            out.append(line(v if v.endswith(".") else v + "."))
    return out


def convert(md_lines):
    out = []
    i = 0
    para = []

    def flush():
        if para:
            out.append(".PP")
            out.extend(line(inline(p)) for p in para)
            para.clear()

    while i < len(md_lines):
        s = md_lines[i].rstrip("\n")
        if s.startswith("```"):
            flush()
            out += [".PP", ".RS 4", ".nf"]
            i += 1
            while i < len(md_lines) and not md_lines[i].startswith("```"):
                out.append(line(esc(md_lines[i].rstrip("\n")).replace("-", r"\-")))
                i += 1
            out += [".fi", ".RE"]
        elif s.startswith("#"):
            flush()
            out.append(".SS " + inline(s.lstrip("#").strip()).replace(r"\fB", "").replace(r"\fR", ""))
        elif s.startswith("|"):
            flush()
            rows = []
            while i < len(md_lines) and md_lines[i].startswith("|"):
                rows.append(md_lines[i])
                i += 1
            out += table(rows)
            continue
        elif re.match(r"^\s*[-*] ", s):
            flush()
            item = [re.sub(r"^\s*[-*] ", "", s)]
            i += 1
            while i < len(md_lines) and md_lines[i].strip() and \
                    not re.match(r"^\s*[-*] |^\s*\d+\. |^[#|`]", md_lines[i]):
                item.append(md_lines[i].strip())
                i += 1
            out.append(r".IP \(bu 2")
            out.extend(line(inline(x)) for x in item)
            continue
        elif re.match(r"^\s*\d+\. ", s):
            flush()
            num = re.match(r"^\s*(\d+)\. ", s).group(1)
            item = [re.sub(r"^\s*\d+\. ", "", s)]
            i += 1
            while i < len(md_lines) and md_lines[i].strip() and \
                    not re.match(r"^\s*[-*] |^\s*\d+\. |^[#|`]", md_lines[i]):
                item.append(md_lines[i].strip())
                i += 1
            out.append(f".IP {num}. 4")
            out.extend(line(inline(x)) for x in item)
            continue
        elif not s.strip():
            flush()
        else:
            para.append(s)
        i += 1
    flush()
    return out


def section(path, level, heading):
    with open(path, encoding="utf-8") as f:
        md = f.readlines()
    start = None
    for n, s in enumerate(md):
        if start is None:
            if s.rstrip("\n") == f"{level} {heading}":
                start = n + 1
        elif re.match(r"^#{1,%d} " % len(level), s):
            return md[start:n]
    if start is None:
        raise SystemExit(f"mkman.py: no '{level} {heading}' in {path}")
    return md[start:]


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: mkman.py SRC_DIR OUT_DIR")
    src, out_dir = sys.argv[1], sys.argv[2]
    with open(os.path.join(src, "meson.build"), encoding="utf-8") as f:
        version = re.search(r"version\s*:\s*'([^']*)'", f.read()).group(1)
    man_dir = os.path.join(src, "packaging", "man")
    os.makedirs(out_dir, exist_ok=True)
    for name in sorted(os.listdir(man_dir)):
        if not re.search(r"\.[1-8]$", name):
            continue
        res = []
        with open(os.path.join(man_dir, name), encoding="utf-8") as f:
            for s in f:
                m = MARKER.match(s)
                if m:
                    res += convert(section(os.path.join(src, m.group(1)),
                                           m.group(2), m.group(3)))
                else:
                    res.append(s.rstrip("\n").replace("@VERSION@", version))
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            f.write("\n".join(res) + "\n")


if __name__ == "__main__":
    main()
