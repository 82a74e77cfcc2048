#!/usr/bin/python3
"""Clients that push the relay at its limits, for faults.sh and load.sh.

relay_probe.py MODE RELAY_PORT RELAY_PID [ARGS]; prints one JSON object.
relay_probe.py compare TRACE DIR: the trace's bytes against the clients'.
The relay's descriptors, resident memory and threads are read from
/proc/RELAY_PID before and after ("fds", "rss_kb", "threads").  Loopback
only.
"""
import json, os, resource, socket, struct, sys, threading, time

mode = sys.argv[1]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))


def usage():
    st = {}
    for line in open("/proc/%d/status" % pid):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "Threads"):
            st[k] = int(v.split()[0])
    return {"fds": len(os.listdir("/proc/%d/fd" % pid)), "rss_kb": st["VmRSS"],
            "threads": st["Threads"]}


def settle(want_fds, secs=10):
    """Wait until the relay is back to want_fds descriptors (or secs pass)."""
    end = time.time() + secs
    while time.time() < end and usage()["fds"] > want_fds:
        time.sleep(0.1)
    return usage()


def request(path, extra=b""):
    return b"GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (path.encode(), extra)


def read_response(s):
    """One whole response (Content-Length or chunked) from s: its bytes."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise EOFError("closed in the head: %r" % buf[:200])
        buf += d
    head = buf[:buf.index(b"\r\n\r\n") + 4].lower()
    if b"transfer-encoding: chunked" in head:
        while not buf.endswith(b"\r\n0\r\n\r\n"):
            d = s.recv(65536)
            if not d:
                raise EOFError("closed in the body")
            buf += d
        return buf
    n = int(head.split(b"content-length:")[1].split(b"\r\n")[0])
    while len(buf) < len(head) + n:
        d = s.recv(65536)
        if not d:
            raise EOFError("closed in the body")
        buf += d
    return buf


def aborts(n):
    """n clients, 25 at a time, each starting a long event stream, reading
    its first event and going away (half by RST, half by FIN); the relay's
    use halfway (after malloc's arenas have grown to their working size)
    and at the end."""
    base = None

    def one(i):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(request("/test/sse?n=100000&gap_ms=2&abort=%d" % i))
        got = b""
        while b'"i":0' not in got:
            d = s.recv(65536)
            if not d:
                raise EOFError("stream %d ended early" % i)
            got += d
        if i % 2:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()

    done = 0
    while done < n:
        if done == n // 2 and base is None:
            base = settle(start["fds"])
        batch = [threading.Thread(target=one, args=(done + k,)) for k in range(25)]
        for t in batch:
            t.start()
        for t in batch:
            t.join()
        done += 25
    after = settle(start["fds"])
    return {"aborts": n, "halfway": base, "after": after}


def idle(n, timeout):
    """n connections that never send, one that sends a head byte a second,
    and a client making requests meanwhile: its worst latency, how many
    idle ones the relay closed, what the slow one got."""
    conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
    opened = usage()
    slow = socket.create_connection(("127.0.0.1", port))
    slow_got = []

    def loris():
        # A byte a second until the relay answers (or gives up on it).
        import select
        for b in request("/test/echo", b"X-Slow: " + b"a" * 100 + b"\r\n"):
            if select.select([slow], [], [], 1.0)[0]:
                break
            try:
                slow.send(bytes([b]))
            except OSError:
                break
        try:
            slow.settimeout(2)
            slow_got.append(slow.recv(4096))
        except OSError as e:
            slow_got.append(repr(e).encode())

    t = threading.Thread(target=loris)
    t.start()
    worst = 0.0
    end = time.time() + timeout + 2.5
    k = 0
    while time.time() < end:
        t0 = time.time()
        c = socket.create_connection(("127.0.0.1", port))
        c.sendall(request("/test/echo?k=%d" % k))
        r = read_response(c)
        c.close()
        assert r.startswith(b"HTTP/1.1 200"), r[:100]
        worst = max(worst, time.time() - t0)
        k += 1
        time.sleep(0.05)
    closed = 0
    for c in conns:
        c.settimeout(2)
        try:
            if c.recv(1) == b"":
                closed += 1
        except OSError:
            pass
        c.close()
    try:
        slow.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the relay closed it already (the 408, then a reset)
    t.join()
    slow.close()
    first = slow_got[0].split(b"\r\n")[0].decode("latin-1") if slow_got else ""
    return {"idle": n, "opened": opened, "closed_by_relay": closed, "requests": k,
            "worst_latency_s": round(worst, 3), "slow_client_got": first,
            "after": settle(start["fds"])}


def streams(n, events, outdir):
    """n event streams at once, each saved whole (head and chunked body)
    to OUTDIR/K as the client received it."""
    errors = []

    def one(k):
        try:
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(request("/test/sse?n=%d&gap_ms=1&stream=%d" % (events, k)))
            r = read_response(s)
            s.close()
            if r.count(b"event: tick") != events:
                errors.append("stream %d: %d events" % (k, r.count(b"event: tick")))
            with open(os.path.join(outdir, str(k)), "wb") as f:
                f.write(r)
        except Exception as e:  # noqa: BLE001 (reported, counted)
            errors.append("stream %d: %r" % (k, e))

    ts = [threading.Thread(target=one, args=(k,)) for k in range(n)]
    t0 = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return {"streams": n, "events": events, "seconds": round(time.time() - t0, 2),
            "bytes": sum(os.path.getsize(os.path.join(outdir, f)) for f in os.listdir(outdir)),
            "errors": errors[:5], "nerrors": len(errors), "after": usage()}


def keepalive(n):
    """n requests one after another on one kept-alive connection."""
    s = socket.create_connection(("127.0.0.1", port))
    marks = {}
    for i in range(n):
        s.sendall(request("/test/echo?k=%d" % i))
        r = read_response(s)
        assert r.startswith(b"HTTP/1.1 200"), r[:100]
        if i + 1 in (1000, n):
            marks[i + 1] = usage()
    s.close()
    return {"requests": n, "at_1000": marks[1000], "at_end": marks[n]}


def compare(trace, outdir):
    """For each stream the client saved, the response bytes the trace holds
    for its connection (DATA frames toward the client, in order)."""
    t = open(trace, "rb").read()
    req, resp = {}, {}
    off = 128
    while off + 40 <= len(t):
        magic, ln, kind, src, dr, flags = struct.unpack_from("<IIBBBB", t, off)
        conn, = struct.unpack_from("<Q", t, off + 16)
        if magic != 0x52465843:
            sys.exit("compare: bad frame at %d" % off)
        if kind == 3 and src == 1:
            (req if dr == 1 else resp).setdefault(conn, bytearray()).extend(t[off + 40:off + 40 + ln])
        off += 40 + ln
    by_stream = {}
    for conn, b in req.items():
        line = bytes(b).split(b"\r\n")[0]
        if b"&stream=" in line:
            by_stream[line.split(b"&stream=")[1].split(b" ")[0].decode()] = conn
    same = differ = missing = 0
    nbytes = 0
    for k in os.listdir(outdir):
        got = open(os.path.join(outdir, k), "rb").read()
        conn = by_stream.get(k)
        if conn is None:
            missing += 1
        elif bytes(resp.get(conn, b"")) == got:
            same += 1
            nbytes += len(got)
        else:
            differ += 1
    return {"byte_exact": same, "differ": differ, "missing": missing, "bytes_checked": nbytes}


if mode == "compare":
    print(json.dumps(compare(sys.argv[2], sys.argv[3])))
    sys.exit(0)
port, pid = int(sys.argv[2]), int(sys.argv[3])
args = sys.argv[4:]
start = usage()
if mode == "streams":
    out = streams(int(args[0]), int(args[1]), args[2])
elif mode == "keepalive":
    out = keepalive(int(args[0]))
elif mode == "aborts":
    out = aborts(int(args[0]))
elif mode == "idle":
    out = idle(int(args[0]), int(args[1]))
else:
    sys.exit("relay_probe.py: unknown mode " + mode)
out["start"] = start
print(json.dumps(out))
