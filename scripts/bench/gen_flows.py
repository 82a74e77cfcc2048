#!/usr/bin/python3
"""Write a mitmproxy flow file equivalent to a gen_trace trace.

usage: /usr/bin/python3 scripts/bench/gen_flows.py DUMP FLOWS

DUMP is what `gen_trace --dump DUMP` wrote next to its trace: every
exchange's request and response bytes as the client sent and got them, with
their timestamps.  FLOWS gets one mitmproxy HTTPFlow per exchange, written
with mitmproxy's own FlowWriter, as mitmdump in reverse-proxy mode
(`--mode reverse:https://api.openai.com`) would have saved it: the same
request and response heads (names, order, values), the same bodies (the
response's chunked framing removed, as mitmproxy stores it: the SSE text as
one body; its transfer-encoding header kept, as mitmproxy does), the same
timestamps, one client connection per exchange.  `mitmdump -nr FLOWS` reads
it.  Run with Debian's interpreter, which has the mitmproxy package
(mitmproxy 8.1.1 here).
"""

import struct
import sys
import uuid

from mitmproxy import connection, http, io


def parse_head(data):
    """(start-line fields, [(name, value)], offset of the body)."""
    end = data.index(b"\r\n\r\n")
    lines = data[:end].split(b"\r\n")
    fields = [tuple(line.split(b": ", 1)) for line in lines[1:]]
    return lines[0].split(b" ", 2), fields, end + 4


def dechunk(data):
    out = []
    pos = 0
    while True:
        eol = data.index(b"\r\n", pos)
        size = int(data[pos:eol].split(b";", 1)[0], 16)
        pos = eol + 2
        if size == 0:
            return b"".join(out)
        out.append(data[pos:pos + size])
        pos += size + 2


def read_exact(fh, n):
    b = fh.read(n)
    if len(b) != n:
        raise EOFError("truncated dump")
    return b


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    dump, out = sys.argv[1], sys.argv[2]
    n = 0
    with open(dump, "rb") as fh, open(out, "wb") as ofh:
        if fh.read(8) != b"CXDUMP1\n":
            sys.exit("gen_flows: %s is not a gen_trace dump" % dump)
        (real0,) = struct.unpack("<q", read_exact(fh, 8))
        writer = io.FlowWriter(ofh)
        while True:
            magic = fh.read(4)
            if not magic:
                break
            if magic != b"CXEX":
                sys.exit("gen_flows: %s: bad record %d" % (dump, n))
            _, port, t_open, t_req_end, t_resp, t_resp_end = struct.unpack(
                "<IIqqqq", read_exact(fh, 40))
            (rl,) = struct.unpack("<I", read_exact(fh, 4))
            req = read_exact(fh, rl)
            (sl,) = struct.unpack("<I", read_exact(fh, 4))
            resp = read_exact(fh, sl)

            def ts(rel):
                return (real0 + rel) / 1e9

            client = connection.Client(("127.0.0.1", port), ("127.0.0.1", 8080), ts(t_open))
            client.timestamp_end = ts(t_resp_end) + 0.0005
            server = connection.Server(("api.openai.com", 443))
            server.peername = ("162.159.140.245", 443)
            server.sockname = ("10.0.2.15", 40000 + port % 20000)
            server.timestamp_start = ts(t_open) + 0.0002
            server.timestamp_tcp_setup = ts(t_open) + 0.010
            server.timestamp_tls_setup = ts(t_open) + 0.030
            server.timestamp_end = client.timestamp_end
            server.tls = True
            server.sni = "api.openai.com"
            server.alpn = b"http/1.1"
            server.tls_version = "TLSv1.3"

            (method, target, version), rh, rbody = parse_head(req)
            request = http.Request(
                "api.openai.com", 443, method, b"https", b"", target, version,
                http.Headers(rh), req[rbody:], None, ts(t_open) + 0.0001, ts(t_req_end))
            (sversion, code, reason), sh, sbody = parse_head(resp)
            response = http.Response(
                sversion, int(code), reason, http.Headers(sh), dechunk(resp[sbody:]),
                None, ts(t_resp), ts(t_resp_end))

            flow = http.HTTPFlow(client, server)
            flow.id = str(uuid.UUID(int=n + 1))
            flow.request = request
            flow.response = response
            writer.add(flow)
            n += 1
    print("flows %d" % n)


if __name__ == "__main__":
    main()
