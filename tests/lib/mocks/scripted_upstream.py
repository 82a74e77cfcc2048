#!/usr/bin/python3
"""A plain-HTTP upstream that misbehaves on purpose, for the relay's edge
tests: scripted_upstream.py PORT_FILE LOG MODE.  Each mode answers the way
some real servers do at the edges of HTTP/1.1.  Loopback only."""
import socket
import sys
import threading
import time

port_file, log_path, mode = sys.argv[1], sys.argv[2], sys.argv[3]
log_lock = threading.Lock()


def log(line):
    with log_lock, open(log_path, "ab") as f:
        f.write(line + b"\n")


def read_head(s, buf=b""):
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            return None, buf
        buf += d
    i = buf.index(b"\r\n\r\n") + 4
    return buf[:i], buf[i:]


def handle(s, n):
    if mode == "early413":
        # Refuse the upload after its head, close; log what later connections get.
        head, rest = read_head(s)
        log(b"conn %d: %s" % (n, head.split(b"\r\n")[0]))
        if n == 0:
            s.sendall(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 3\r\n"
                      b"Connection: close\r\n\r\nno\n")
            time.sleep(0.2)
            s.close()
            return
        while head is not None:
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
            head, rest = read_head(s, rest)
            if head:
                log(b"conn %d: %s" % (n, head.split(b"\r\n")[0]))
    elif mode == "pipecut":
        # All of response 1 and part of response 2 in one write, then close.
        head, rest = read_head(s)
        head2, rest = read_head(s, rest)
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nA\n"
                  b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial-2")
        time.sleep(0.3)
        s.close()
    elif mode == "idle408":
        # Answer, then an unsolicited 408 on the idle connection, then close.
        head, rest = read_head(s)
        while head is not None:
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
            if n == 0:
                time.sleep(0.3)
                s.sendall(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n"
                          b"Connection: close\r\n\r\n")
                time.sleep(0.2)
                s.close()
                return
            head, rest = read_head(s, rest)
    elif mode == "slow":
        # Keep-alive; each answer comes 300 ms after its request.
        head, rest = read_head(s)
        while head is not None:
            time.sleep(0.3)
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nslow\n")
            head, rest = read_head(s, rest)
    s.close()


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(16)
with open(port_file, "w") as f:
    f.write(str(ls.getsockname()[1]))
n = 0
while True:
    c, _ = ls.accept()
    threading.Thread(target=handle, args=(c, n), daemon=True).start()
    n += 1
