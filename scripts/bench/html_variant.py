#!/usr/bin/env python3
"""html_variant.py: a variant of an HTML report, to find what its open time
goes to (scripts/bench/html_open.sh, docs/performance.md "Issue 17").  The
renderer is not changed: the page cxrec wrote is edited after the fact.

usage: html_variant.py VARIANT IN.html OUT.html

VARIANT is one edit or several joined by '+' (applied in that order):

  full          the page as written (no edit)
  nobodies      every exchange's request body emptied (its <details> kept)
  noevents      every exchange's response events emptied
  noexchanges   the exchanges section removed (summary, timeline, usage and
                conversation left)
  data          the request bodies moved, as they are (unescaped, a JSON
                array of strings), into one <script type="application/json"
                id="bench-data"> at the end: parsed as raw text, not as
                markup, as a page rendering bodies on demand would carry them
  data_gz       the same array gzip-compressed and base64-encoded
                (<script type="text/plain" id="bench-data" data-gz="1">),
                for a browser's DecompressionStream
  data_delta    the array with each body written as its difference from the
                one before it, [p, s, middle]: body = previous[:p] + middle +
                previous[len - s:] (a session resends its whole history,
                so a body is mostly the previous one); data-delta="1"
  cv            `content-visibility: auto` on every <article> (a turn, an
                exchange), so the browser lays out and paints only those
                near the viewport; the page's Content-Security-Policy
                <meta> is removed for the extra <style> to apply

Prints one line: the variant, its size in bytes, and for the data edits
the data's size.
"""
import base64
import gzip
import html
import json
import re
import sys

BODY = re.compile(r'(<details><summary>Request body[^<]*</summary>\s*<pre[^>]*>)(.*?)(</pre>)', re.S)
EVENTS = re.compile(r'(<details><summary>Response events[^<]*</summary>)(.*?)(</details>)', re.S)
EXCHANGES = re.compile(r'<section id="exchanges">.*?</section>', re.S)
CSP = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n?')
CV = ('<style>article{content-visibility:auto;'
      'contain-intrinsic-size:auto 400px}</style>\n')


def delta(bodies):
    """[p, s, middle] for each body against the one before it."""
    out, prev = [], ''
    for b in bodies:
        n = min(len(b), len(prev))
        p = 0
        while p < n and b[p] == prev[p]:
            p += 1
        s = 0
        while s < n - p and b[len(b) - 1 - s] == prev[len(prev) - 1 - s]:
            s += 1
        out.append([p, s, b[p:len(b) - s]])
        prev = b
    return out


def as_data(page, how):
    """The request bodies out of the markup, into one script element."""
    bodies = []

    def take(m):
        bodies.append(html.unescape(m.group(2)))
        return m.group(1) + m.group(3)
    page = BODY.sub(take, page)
    if how == 'data_delta':
        bodies = delta(bodies)
    data = json.dumps(bodies, ensure_ascii=False).replace('<', '\\u003c')
    if how == 'data':
        tag = '<script type="application/json" id="bench-data">'
    elif how == 'data_delta':
        tag = '<script type="application/json" id="bench-data" data-delta="1">'
    else:
        z = gzip.compress(data.encode('utf-8', 'surrogateescape'), 6)
        data = base64.b64encode(z).decode('ascii')
        tag = '<script type="text/plain" id="bench-data" data-gz="1">'
    page = page.replace('</body>', tag + data + '</script>\n</body>', 1)
    return page, len(data.encode('utf-8', 'surrogateescape'))


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    variant, src, dst = sys.argv[1:]
    with open(src, encoding='utf-8', errors='surrogateescape') as f:
        page = f.read()
    extra = ''
    for edit in variant.split('+'):
        if edit == 'full':
            pass
        elif edit == 'nobodies':
            page = BODY.sub(r'\1\3', page)
        elif edit == 'noevents':
            page = EVENTS.sub(r'\1\3', page)
        elif edit == 'noexchanges':
            page = EXCHANGES.sub('', page)
        elif edit in ('data', 'data_gz', 'data_delta'):
            page, n = as_data(page, edit)
            extra = ' data %d' % n
        elif edit == 'cv':
            page = CSP.sub('', page, 1).replace('</head>', CV + '</head>', 1)
        else:
            sys.exit('html_variant.py: unknown edit %s' % edit)
    raw = page.encode('utf-8', 'surrogateescape')
    with open(dst, 'wb') as f:
        f.write(raw)
    print('%s %d%s' % (variant, len(raw), extra))


if __name__ == '__main__':
    main()
