#!/usr/bin/python3
"""Make the fuzz targets' seed corpora (tests/fuzz/corpus/NAME/) from traces.

usage: tests/fuzz/mkseeds.py TRACE...

The traces are ones the tests record: `make demo` (codex over HTTP/SSE
through the relay), tests/integration/websocket.sh (npm's ws, with
permessage-deflate), codex_ws.sh (codex over a WebSocket).  From each:
the trace itself cut to its first 64 KiB of whole frames (reader, decode),
each connection's two byte streams (http), chunked response bodies
(chunked), event streams (sse), the bytes after a 101 (ws); and bodies in
every content coding (body), compressed here.  Seeds are named by the
SHA-1 of their bytes, as libFuzzer names its own.
"""
import gzip, hashlib, os, re, struct, sys, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
MAX = 64 * 1024


def put(name, data):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def frames(t):
    off = 128
    while off + 40 <= len(t):
        magic, ln, kind, src, dr, flags = struct.unpack_from("<IIBBBB", t, off)
        conn, = struct.unpack_from("<Q", t, off + 16)
        if magic != 0x52465843 or off + 40 + ln > len(t):
            break
        yield off, off + 40 + ln, kind, dr, conn, t[off + 40:off + 40 + ln]
        off += 40 + ln


def dechunk(b):
    out, i = b"", 0
    while True:
        j = b.find(b"\r\n", i)
        if j < 0:
            return out
        n = int(b[i:j].split(b";")[0] or b"0", 16)
        if n == 0:
            return out
        out += b[j + 2:j + 2 + n]
        i = j + 4 + n


def streams(t):
    s = {}
    for _, _, kind, dr, conn, p in frames(t):
        if kind == 3 and dr in (1, 2):
            s.setdefault((conn, dr), bytearray()).extend(p)
    return s


def brotli(data):
    """Compress with libbrotlienc (libbrotli-dev's), through ctypes."""
    import ctypes, ctypes.util
    lib = ctypes.CDLL(ctypes.util.find_library("brotlienc") or "libbrotlienc.so.1")
    out = ctypes.create_string_buffer(len(data) + 1024)
    n = ctypes.c_size_t(len(out))
    if not lib.BrotliEncoderCompress(11, 22, 0, ctypes.c_size_t(len(data)), data,
                                     ctypes.byref(n), out):
        sys.exit("mkseeds: brotli compression failed")
    return out.raw[:n.value]


def main():
    for path in sys.argv[1:]:
        t = open(path, "rb").read()
        cut = 128
        for _, end, *_ in frames(t):
            if end > MAX:
                break
            cut = end
        put("reader", t[:cut])
        put("decode", t[:cut])
        s = streams(t)
        for (conn, dr), b in s.items():
            b = bytes(b)
            head_end = b.find(b"\r\n\r\n")
            put("http", bytes([dr - 1, 0]) + b[:MAX])
            put("http", bytes([dr - 1, 7]) + b[:4096])
            if head_end < 0:
                continue
            head, body = b[:head_end].lower(), b[head_end + 4:]
            if dr == 2 and b" 101 " in head.split(b"\r\n")[0]:
                ext = 1 if b"permessage-deflate" in head else 0
                up = bytes(s.get((conn, 1), b""))
                up = up[up.find(b"\r\n\r\n") + 4:]
                put("ws", bytes([ext, 0, 0]) + up[:MAX])
                put("ws", bytes([ext, 0, 0xff]) + body[:MAX])
                put("ws", bytes([ext, 5, 0x5a]) + body[:8192])
                continue
            if b"transfer-encoding: chunked" in head:
                put("chunked", b"\x00" + body[:MAX])
                put("chunked", b"\x03" + body[:8192])
                body = dechunk(body)
            if b"text/event-stream" in head:
                put("sse", b"\x00\x00" + body[:MAX])
                put("sse", b"\x09\x04" + body[:8192])
    sample = (b'data: {"type":"response.output_text.delta","delta":"hi"}\n\n' * 40)
    put("body", b"\x00\x00" + gzip.compress(sample))
    put("body", b"\x01\x07" + zlib.compress(sample))
    raw = zlib.compressobj(wbits=-15)
    put("body", b"\x01\x00" + raw.compress(sample) + raw.flush())
    try:
        import zstandard
        put("body", b"\x02\x00" + zstandard.ZstdCompressor().compress(sample))
    except ImportError:
        print("mkseeds: python3-zstandard missing: no zstd seed", file=sys.stderr)
    put("body", b"\x03\x00" + brotli(sample))
    put("body", b"\x04\x00" + brotli(gzip.compress(sample)))
    for name in ("reader", "http", "chunked", "sse", "ws", "body", "decode"):
        print(name, len(os.listdir(os.path.join(HERE, "corpus", name))))


main()
