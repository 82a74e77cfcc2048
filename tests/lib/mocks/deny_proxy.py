#!/usr/bin/python3
"""A proxy that forwards nothing: it records what a client tried to reach
and refuses it.

Point HTTPS_PROXY/HTTP_PROXY at it to learn which hosts an agent contacts
beyond its base URL (CONNECT host:port for HTTPS, the request line for plain
HTTP) while nothing leaves the machine.  Each attempt is appended to --log as
one JSON line {"ts", "method", "target", "headers"}; the answer is
403 Forbidden and the connection is closed.

  /usr/bin/python3 tests/lib/mocks/deny_proxy.py --port-file F --log L [--port P]
"""

import argparse
import json
import os
import socket
import sys
import threading
import time

LOCK = threading.Lock()


def handle(conn, log):
    try:
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            more = conn.recv(4096)
            if not more:
                break
            data += more
        lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        entry = {"ts": round(time.time(), 3),
                 "method": parts[0] if parts else "",
                 "target": parts[1] if len(parts) > 1 else "",
                 "headers": [h for h in lines[1:] if h]}
        if log:
            with LOCK, open(log, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry) + "\n")
        conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    except OSError:
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    opts = ap.parse_args()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((opts.host, opts.port))
    srv.listen(64)
    if opts.port_file:
        with open(opts.port_file + ".tmp", "w") as fh:
            fh.write("%d\n" % srv.getsockname()[1])
        os.replace(opts.port_file + ".tmp", opts.port_file)
    sys.stderr.write("deny_proxy: listening on %s:%d\n" % srv.getsockname()[:2])
    sys.stderr.flush()
    try:
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=handle, args=(conn, opts.log), daemon=True).start()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
