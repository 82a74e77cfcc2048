"""Shared plumbing of the vendor API mocks (mock_upstream.py: OpenAI;
mock_anthropic.py, mock_gemini.py): a threaded HTTP/1.1 server on loopback,
optionally HTTPS with a throwaway certificate (tests/lib/codex_env.sh
gen_certs), request bodies read whether framed by Content-Length or chunked
and decoded (gzip, deflate, zstd), one JSON line per request appended to
--log, and the command line every mock takes:

  --host H --port P (0 = any) --port-file F --tls-cert PEM --tls-key PEM
  --plain --log FILE --delay-ms MS --verbose

A mock subclasses BaseHandler and implements route(entry, body_obj, raw),
which answers the request and may add fields to the log entry.

Standard library only (Debian's python3-zstandard for zstd bodies, else the
zstd CLI).  Run with /usr/bin/python3.
"""

import argparse
import gzip
import http.server
import json
import os
import shutil
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import zlib

try:
    import zstandard  # Debian: python3-zstandard
except ImportError:  # pragma: no cover - depends on the machine
    zstandard = None

TOOL_MARKER = "cxrec-mock-tool-ok"
TOOL_COMMAND = "echo " + TOOL_MARKER
FINAL_TEXT_OK = "Done: the tool printed " + TOOL_MARKER + "."
FINAL_TEXT_BAD = "Done, but the tool output did not contain the expected marker."

_LOG_LOCK = threading.Lock()
_COUNTER_LOCK = threading.Lock()
_COUNTER = [0]


def next_id():
    """A process-wide sequence number (1, 2, ...) for ids in answers."""
    with _COUNTER_LOCK:
        _COUNTER[0] += 1
        return _COUNTER[0]


def split_text(text, parts):
    """TEXT cut into about PARTS pieces (at least one), for streamed deltas."""
    size = max(1, -(-len(text) // max(1, parts)))
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def zstd_decompress(data):
    """zstd frames (one or several, with or without a content size) undone
    by python3-zstandard, or by the zstd CLI where the module is missing."""
    if zstandard is not None:
        out, rest = [], data
        while rest:
            dobj = zstandard.ZstdDecompressor().decompressobj()
            out.append(dobj.decompress(rest))
            rest = dobj.unused_data
        return b"".join(out)
    zstd = shutil.which("zstd")
    if not zstd:
        raise ValueError("zstd body but neither python3-zstandard nor the zstd CLI is installed")
    proc = subprocess.run([zstd, "-dcq"], input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        raise ValueError("zstd -d failed: " + proc.stderr.decode("utf-8", "replace").strip())
    return proc.stdout


def decode_body(data, encoding):
    """Undo Content-Encoding (comma list, applied left to right)."""
    codings = [c.strip().lower() for c in (encoding or "").split(",") if c.strip()]
    for coding in reversed(codings):
        if coding == "identity":
            continue
        if coding in ("gzip", "x-gzip"):
            data = gzip.decompress(data)
        elif coding == "deflate":
            try:
                data = zlib.decompress(data)
            except zlib.error:
                data = zlib.decompress(data, -zlib.MAX_WBITS)
        elif coding == "zstd":
            data = zstd_decompress(data)
        elif coding == "br":
            raise ValueError("brotli request bodies are not supported by the mock")
        else:
            raise ValueError("unknown content-encoding " + coding)
    return data


class MockServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024   # the load test opens 256 streams at once

    def __init__(self, addr, handler, opts):
        if ":" in addr[0]:
            self.address_family = socket.AF_INET6
        self.opts = opts
        self.ssl_context = None
        if opts.tls_cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(opts.tls_cert, opts.tls_key)
            # HTTP/1.1 only: a client offering h2 falls back to it.
            ctx.set_alpn_protocols(["http/1.1"])
            self.ssl_context = ctx
        super().__init__(addr, handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.ssl_context is not None:
            # The handshake happens in the handler thread (BaseHandler.setup).
            sock = self.ssl_context.wrap_socket(sock, server_side=True,
                                                do_handshake_on_connect=False)
        return sock, addr


class BaseHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "cxrec-mock/1"
    mock_name = "mock"
    # path_only and query in each log line; False keeps the raw path only
    # (mock_upstream.py: tests count a key's occurrences in its log).
    log_parsed_path = True
    last_status = None

    def version_string(self):
        return self.server_version

    def setup(self):
        self.tls_failed = False
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(30)
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError) as exc:
                sys.stderr.write("%s: TLS handshake failed: %s\n" % (self.mock_name, exc))
                self.tls_failed = True
            self.request.settimeout(None)
        super().setup()

    def handle(self):
        if self.tls_failed:
            return
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, socket.timeout):
            pass

    def log_message(self, fmt, *args):
        if self.server.opts.verbose:
            sys.stderr.write("%s: %s\n" % (self.mock_name, fmt % args))

    # ---- request ---------------------------------------------------------
    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            parts = []
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ConnectionError("EOF in chunked body")
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while True:
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline(3)
            return b"".join(parts), "chunked"
        length = self.headers.get("Content-Length")
        if length:
            return self.rfile.read(int(length)), "content-length"
        return b"", "none"

    def do_GET(self):
        self.dispatch(b"", "none")

    def do_HEAD(self):
        self.dispatch(b"", "none")

    def do_OPTIONS(self):
        self.dispatch(b"", "none")

    def do_POST(self):
        self._with_body()

    def do_PUT(self):
        self._with_body()

    def do_PATCH(self):
        self._with_body()

    def do_DELETE(self):
        self._with_body()

    def _with_body(self):
        raw, framing = self.read_body()
        self.dispatch(raw, framing)

    @property
    def path_only(self):
        return urllib.parse.urlsplit(self.path).path

    @property
    def query(self):
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query,
                                           keep_blank_values=True))

    def dispatch(self, raw, framing):
        t0 = time.time()
        self.last_status = None
        entry = {
            "ts": round(t0, 3),
            "client": "%s:%s" % self.client_address[:2],
            "tls": isinstance(self.connection, ssl.SSLSocket),
            "method": self.command,
            "path": self.path,
        }
        if self.log_parsed_path:
            entry["path_only"] = self.path_only
            entry["query"] = self.query
        entry.update({
            "http_version": self.request_version,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body_framing": framing,
            "content_encoding": self.headers.get("Content-Encoding"),
            "body_bytes": len(raw),
        })
        body_obj = None
        error = None
        try:
            decoded = decode_body(raw, self.headers.get("Content-Encoding"))
            entry["decoded_bytes"] = len(decoded)
            if decoded:
                try:
                    body_obj = json.loads(decoded)
                    entry["body"] = body_obj
                except ValueError:
                    entry["body_text"] = decoded.decode("utf-8", "replace")
        except Exception as exc:  # pylint: disable=broad-except
            error = str(exc)
            entry["decode_error"] = error
        try:
            if error is not None:
                entry["answer"] = "decode-error"
                self.answer_decode_error(error)
            else:
                self.route(entry, body_obj, raw)
        except (ConnectionError, ssl.SSLError) as exc:
            entry["client_gone"] = str(exc)
            self.close_connection = True
        entry.setdefault("status", self.last_status)
        entry["duration_ms"] = int((time.time() - t0) * 1000)
        self.write_log(entry)

    # ---- to implement -----------------------------------------------------
    def route(self, entry, body_obj, raw):
        raise NotImplementedError

    def error_body(self, status, message):
        return {"error": {"code": status, "message": message}}

    def answer_decode_error(self, error):
        """The answer to a body that cannot be decoded (a 400)."""
        self.send_json(400, self.error_body(400, "mock: cannot decode body: " + error))

    # ---- response ---------------------------------------------------------
    def send_response(self, code, message=None):
        self.last_status = code  # the status the log line records
        super().send_response(code, message)

    def send_json(self, status, obj, extra_headers=()):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def start_chunked(self, status, content_type, extra_headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.flush()

    def write_chunk(self, data):
        if data:
            self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
            self.wfile.flush()

    def end_chunked(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def pause(self):
        delay = self.server.opts.delay_ms / 1000.0
        if delay:
            time.sleep(delay)

    def write_log(self, entry):
        path = self.server.opts.log
        if not path:
            return
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with _LOG_LOCK:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(line)


def main(description, handler_cls, delay_ms=2.0, add_args=None, note=None):
    """Parse the common command line (ADD_ARGS(parser) adds a mock's own
    options; --delay-ms defaults to DELAY_MS), listen, write the port file,
    say where on stderr (NOTE(opts) appended), serve until killed."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--tls-cert", help="PEM server certificate (enables HTTPS)")
    ap.add_argument("--tls-key", help="PEM private key for --tls-cert")
    ap.add_argument("--plain", action="store_true", help="plain HTTP (the default without --tls-cert)")
    ap.add_argument("--log", help="append one JSON line per request to this file")
    ap.add_argument("--delay-ms", type=float, default=delay_ms, help="pause after each streamed event")
    ap.add_argument("--verbose", action="store_true", help="access log on stderr")
    if add_args is not None:
        add_args(ap)
    opts = ap.parse_args()
    if opts.plain and opts.tls_cert:
        ap.error("--plain and --tls-cert are mutually exclusive")
    if bool(opts.tls_cert) != bool(opts.tls_key):
        ap.error("--tls-cert and --tls-key go together")

    server = MockServer((opts.host, opts.port), handler_cls, opts)
    port = server.server_address[1]
    if opts.port_file:
        tmp = opts.port_file + ".tmp"
        with open(tmp, "w") as fh:
            fh.write("%d\n" % port)
        os.replace(tmp, opts.port_file)
    sys.stderr.write("%s: listening on %s://%s:%d%s\n" % (
        handler_cls.mock_name, "https" if opts.tls_cert else "http", opts.host, port,
        " (%s)" % note(opts) if note is not None else ""))
    sys.stderr.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
