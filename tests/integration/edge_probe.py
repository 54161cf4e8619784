#!/usr/bin/env python3
"""Hostile HTTP clients for t_edge.sh: raw requests over TLS sockets on
loopback (127.0.0.x only), each bounded in count and time. Prints one
"ok - ..." or "not ok - ..." line per check; exits 1 if any failed.

  edge_probe.py PORT CA_PEM TOKEN MAX_BODY CASE
"""
import json
import resource
import socket
import ssl
import sys
import threading
import time

PORT, CA, TOKEN, MAX_BODY, CASE = (int(sys.argv[1]), sys.argv[2], sys.argv[3],
                                    int(sys.argv[4]), sys.argv[5])
FAILED = 0
CTX = ssl.create_default_context(cafile=CA)
CTX.check_hostname = False


def report(ok, what):
    global FAILED
    if not ok:
        FAILED += 1
    print(("ok - " if ok else "not ok - ") + what, flush=True)


def connect(src="127.0.0.1", timeout=5.0):
    raw = socket.create_connection(("127.0.0.1", PORT), timeout=timeout,
                                   source_address=(src, 0))
    return CTX.wrap_socket(raw, server_hostname="127.0.0.1")


def read_answer(s, timeout=5.0):
    """Reads one answer: (status, headers {lower: [values]}, body, rest);
    status 0 if none came within timeout. rest: bytes after the answer
    until the server closed (or 1 s passed)."""
    s.settimeout(timeout)
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            d = s.recv(65536)
            if not d:
                break
            buf += d
    except (socket.timeout, OSError, ssl.SSLError):
        pass
    if b"\r\n\r\n" not in buf:
        return 0, {}, b"", b""
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs.setdefault(k.strip().lower(), []).append(v.strip())
    n = int(hdrs.get("content-length", ["0"])[0])
    s.settimeout(1.0)
    try:
        while len(body) < n:
            d = s.recv(65536)
            if not d:
                break
            body += d
    except (socket.timeout, OSError, ssl.SSLError):
        pass
    rest = body[n:]
    body = body[:n]
    return status, hdrs, body, rest


def closed_after(s, within=2.0):
    """True when the server closes the connection within `within` s."""
    s.settimeout(within)
    end = time.monotonic() + within
    try:
        while time.monotonic() < end:
            if not s.recv(65536):
                return True
    except socket.timeout:
        return False
    except (OSError, ssl.SSLError):
        return True
    return False


def request(head, body=b"", src="127.0.0.1", timeout=5.0):
    s = connect(src)
    try:
        s.sendall(head.encode("latin-1") if isinstance(head, str) else head)
        if body:
            s.sendall(body)
        return read_answer(s, timeout) + (s,)
    except (OSError, ssl.SSLError):
        return 0, {}, b"", b"", s


def err_code(body):
    try:
        j = json.loads(body)
    except ValueError:
        return None
    e = j.get("error")
    return e.get("code") if isinstance(e, dict) else j.get("code")


AUTH = "Authorization: Bearer " + TOKEN + "\r\n"
FAKE = "Authorization: Bearer " + "a" * 64 + "\r\n"


def case1():
    """BSrE v1 routes: another media type is 415 in BSrE's form."""
    for path in ("/api/sign/pdf", "/api/sign/verify"):
        for ct in ("application/x-www-form-urlencoded", "application/json"):
            st, h, b, _, s = request(
                "POST %s HTTP/1.1\r\nHost: x\r\n%sContent-Type: %s\r\n"
                "Content-Length: 2\r\n\r\n{}" % (path, FAKE, ct))
            s.close()
            try:
                j = json.loads(b)
            except ValueError:
                j = {}
            report(st == 415 and j.get("code") == "unsupported_media_type"
                   and isinstance(j.get("status_code"), int)
                   and j.get("status_code") != 2099 and "error" in j,
                   "%s with %s: 415 unsupported_media_type in BSrE's form "
                   "(got %d %s)" % (path, ct, st, b[:120]))


def case2():
    """Size limit on the declared length, before the body."""
    for n, expect in ((MAX_BODY + 1, True), (2147483648, False)):
        s = connect()
        s.sendall(("POST /v1/seal HTTP/1.1\r\nHost: x\r\n%s"
                   "Content-Type: application/json\r\nContent-Length: %d\r\n%s\r\n"
                   % (AUTH, n, "Expect: 100-continue\r\n" if expect else "")
                   ).encode())
        st, h, b, rest = read_answer(s, 3.0)
        conn = [v.lower() for v in h.get("connection", [])]
        report(st == 413 and err_code(b) == "payload_too_large" and
               "close" in conn,
               "Content-Length %d%s: 413 payload_too_large with Connection: "
               "close before any body byte (got %d, Connection %s)"
               % (n, " + Expect: 100-continue" if expect else "", st, conn))
        report(b"100 Continue" not in rest and closed_after(s),
               "... no 100 Continue, and the connection is closed")
        s.close()
    # Chunked: cut off once max_body is passed, not at the last byte.
    s = connect()
    s.sendall(("POST /v1/keys HTTP/1.1\r\nHost: x\r\n%s"
               "Content-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\n\r\n" % AUTH).encode())
    chunk = b"%x\r\n%s\r\n" % (65536, b"a" * 65536)
    sent = 0
    try:
        while sent <= MAX_BODY + 65536:
            s.sendall(chunk)
            sent += 65536
    except (OSError, ssl.SSLError):
        pass
    st, h, b, rest = read_answer(s, 3.0)   # no final chunk is sent
    report(st == 413 and err_code(b) == "payload_too_large",
           "a chunked body past max_body is answered 413 while it arrives "
           "(sent %d bytes, got %d)" % (sent, st))
    report(closed_after(s), "... and the connection is closed")
    s.close()


def health_ms(src="127.0.0.1"):
    t0 = time.monotonic()
    try:
        st, _, _, _, s = request("GET /v1/health HTTP/1.1\r\nHost: x\r\n"
                                 "Connection: close\r\n\r\n", src=src,
                                 timeout=3.0)
        s.close()
    except (OSError, ssl.SSLError):
        st = 0
    return st, (time.monotonic() - t0) * 1000


def case3():
    """Header deadline, body rate floor, headroom under a flood."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
    header_timeout = 3   # t_edge.sh sets header_timeout = 3
    # One connection sending a header byte every second: idle timeout
    # (60 s) never fires; the header deadline does.
    s = connect()
    t0 = time.monotonic()
    closed = None
    for ch in "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a" * 40:
        try:
            s.sendall(ch.encode())
            s.settimeout(1.0)
            if s.recv(4096) in (b"",):
                closed = time.monotonic() - t0
                break
        except socket.timeout:
            pass
        except (OSError, ssl.SSLError):
            closed = time.monotonic() - t0
            break
        if time.monotonic() - t0 > header_timeout + 5:
            break
    s.close()
    report(closed is not None and closed <= header_timeout + 2,
           "a header block trickled a byte a second is closed at the header "
           "deadline (%s s)" % ("%.1f" % closed if closed else "never"))
    # A body at 20 bytes a second: below the floor (1024 B/s).
    s = connect()
    s.sendall(("POST /v1/keys HTTP/1.1\r\nHost: x\r\n%s"
               "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
               % AUTH).encode())
    t0 = time.monotonic()
    closed = None
    while time.monotonic() - t0 < header_timeout + 6:
        try:
            s.sendall(b"a" * 20)
            s.settimeout(1.0)
            if s.recv(4096) == b"":
                closed = time.monotonic() - t0
                break
        except socket.timeout:
            pass
        except (OSError, ssl.SSLError):
            closed = time.monotonic() - t0
            break
    s.close()
    report(closed is not None and closed <= header_timeout + 4,
           "a body at 20 B/s is closed by the rate floor (%s s)"
           % ("%.1f" % closed if closed else "never"))



def case3_flood():
    """1,024 slow-header connections from 127.0.0.10-19, each reopened
    when the server closes it, all opened (within 90 s) and then held
    for 8 s more; /v1/health from 127.0.0.1 meanwhile, every 0.25 s.
    t_edge.sh runs this with header_timeout = 120, so they stay."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
    N, HOLD, MAXT = 1024, 8.0, 90.0
    socks = [None] * N
    lock = threading.Lock()
    stop = threading.Event()
    opened, tried = [0], [0]

    def opener():
        while not stop.is_set():
            for i in range(N):
                if stop.is_set():
                    return
                with lock:
                    if socks[i] is not None:
                        continue
                try:
                    s = connect("127.0.0.%d" % (10 + i % 10), timeout=2.0)
                    s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")
                    s.setblocking(False)
                except (OSError, ssl.SSLError):
                    s = None
                with lock:
                    socks[i] = s
                    opened[0] += s is not None
                    tried[0] += 1
            time.sleep(0.2)

    def trickler():
        while not stop.is_set():
            with lock:
                live = [(i, s) for i, s in enumerate(socks) if s is not None]
            for i, s in live:
                try:
                    s.send(b"X")
                except (OSError, ssl.SSLError, ValueError):
                    try:
                        s.close()
                    except OSError:
                        pass
                    with lock:
                        socks[i] = None
            stop.wait(1.0)

    threads = [threading.Thread(target=opener), threading.Thread(target=trickler)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    worst, bad, checks, peak = 0.0, 0, 0, 0
    full = None   # when every slot had been opened once
    while time.monotonic() - t0 < MAXT:
        if full is None and tried[0] >= N:
            full = time.monotonic()
        if full is not None and time.monotonic() - full > HOLD:
            break
        st, ms = health_ms()
        checks += 1
        worst = max(worst, ms)
        bad += st != 200 or ms >= 1000
        with lock:
            peak = max(peak, sum(s is not None for s in socks))
        time.sleep(0.25)
    stop.set()
    for t in threads:
        t.join()
    for s in socks:
        if s is not None:
            s.close()
    report(tried[0] >= N and peak >= 900,
           "the flood tried %d slow-header connections at once, %d were "
           "opened, the server holding up to %d at once (max_connections "
           "1024 less connection_reserve 64 = 960)" % (N, opened[0], peak))
    report(bad == 0 and checks > 10,
           "/v1/health from another address answered 200 in < 1 s throughout "
           "(%d checks, %d failed, slowest %.0f ms)" % (checks, bad, worst))


def case4():
    """A chunk line longer than the read buffer."""
    ext = b"2;" + b"a" * 40000 + b"\r\n{}\r\n0\r\n\r\n"
    for what, head in (
            ("GET /v1/health", "GET /v1/health HTTP/1.1\r\nHost: x\r\n"),
            ("POST /v1/seal/hash", "POST /v1/seal/hash HTTP/1.1\r\nHost: x\r\n"
             + AUTH + "Content-Type: application/json\r\n")):
        s = connect()
        s.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
        st, h, b, rest = read_answer(s, 1.0)
        if st == 0:   # not answered before the body: send it
            try:
                s.sendall(ext)
            except (OSError, ssl.SSLError):
                pass
            st, h, b, rest = read_answer(s, 3.0)
        s.close()
        report(st == 400 and err_code(b) == "bad_request" and
               b"HTTP/1." not in rest,
               "%s with a chunk extension of 40,000 bytes: one 400 "
               "bad_request (got %d %r)" % (what, st, b[:80]))


def case5():
    """Strict parsing (RFC 9112 §6.3)."""
    cases = [
        ("two conflicting Content-Length headers",
         "POST /v1/keys HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
         "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}" % AUTH),
        ("Content-Length with Transfer-Encoding",
         "POST /v1/keys HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
         "Content-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
         % AUTH),
        ("a %00 in the path", "GET /console/app.js%00.png HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("a %0d in a query argument",
         "GET /v1/audit?since=1%0d HTTP/1.1\r\nHost: x\r\n" + AUTH + "\r\n"),
        ("a NUL in the Authorization header",
         "GET /v1/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN +
         "\0junk\r\n\r\n"),
        ("a NUL at the end of a header value",
         "GET /v1/status HTTP/1.1\r\nHost: x\r\n" + AUTH.rstrip("\r\n") +
         "\0\r\n\r\n"),
        ("a control byte in a header value",
         "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n"),
        ("a NUL in a header name",
         "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A\0junk: b\r\n\r\n"),
        ("Transfer-Encoding other than chunked",
         "POST /v1/keys HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
         "Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n" % AUTH),
    ]
    for what, raw in cases:
        st, h, b, rest, s = request(raw)
        conn = [v.lower() for v in h.get("connection", [])]
        shut = closed_after(s)
        s.close()
        # libmicrohttpd refuses a NUL in a header name itself (its 400
        # page); everything else is the front's JSON 400.
        report(st == 400 and (err_code(b) == "bad_request" or
                              "header name" in what) and "close" in conn
               and shut,
               "%s: 400 bad_request and the connection closed (got %d, "
               "Connection %s, closed %s)" % (what, st, conn, shut))
    # libmicrohttpd's own refusals: one clean answer each.
    st, h, b, rest, s = request("GET /v1/health HTTP/1.1\r\n\r\n")
    shut = closed_after(s)
    s.close()
    report(st == 400 and err_code(b) == "bad_request" and
           b"HTTP/1." not in b + rest and shut,
           "HTTP/1.1 without Host: one 400 bad_request, then close (got %d, "
           "extra %r)" % (st, rest[:60]))
    # A Content-Length too large to parse: one clean answer.
    st, h, b, rest, s = request(
        "POST /v1/keys HTTP/1.1\r\nHost: x\r\n%sContent-Length: "
        "99999999999999999999999\r\n\r\n" % AUTH)
    shut = closed_after(s)
    s.close()
    report(st == 413 and err_code(b) == "payload_too_large" and
           b"HTTP/1." not in b + rest and shut,
           "a Content-Length too large to parse: one %d answer, one header "
           "block, then close (extra bytes: %r)" % (st, (b + rest)[:60]))


def case6():
    """HSTS, HEAD like GET, no account enumeration at login."""
    st, h, b, _, s = request("GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
    s.close()
    hsts = h.get("strict-transport-security", [""])[0]
    report(st == 200 and hsts.startswith("max-age=") and
           int(hsts.split("=")[1].split(";")[0]) >= 31536000,
           "HTTPS answers carry Strict-Transport-Security (%r)" % hsts)
    st, h, b, _, s = request("GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n")
    s.close()
    report("strict-transport-security" in h,
           "... error answers too (%d)" % st)
    for path in ("/v1/health", "/v1/openapi.json", "/console/"):
        gst, gh, gb, _, s = request("GET %s HTTP/1.1\r\nHost: x\r\n"
                                    "Connection: close\r\n\r\n" % path)
        s.close()
        s = connect()
        s.sendall(("HEAD %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
        hst, hh, _, _ = read_answer(s, 3.0)
        s.settimeout(1.0)
        try:
            extra = s.recv(100)
        except (socket.timeout, OSError, ssl.SSLError):
            extra = b""
        s.close()
        report(hst == gst == 200 and extra == b"" and
               hh.get("content-type") == gh.get("content-type"),
               "HEAD %s answers like GET (%d, %s) without a body (%d, %r)"
               % (path, gst, gh.get("content-type"), hst, extra[:40]))


def login(user, password):
    body = json.dumps({"name": user, "password": password}).encode()
    st, h, b, _, s = request(
        "POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body), body)
    s.close()
    return st, err_code(b), b


def case6_login():
    """A known and an unknown staff name answer alike, wrong password by
    wrong password, lockout included (sys.argv[6] is the known name)."""
    known = sys.argv[6]
    seq_k = [login(known, "wrong-password-%d" % i)[:2] for i in range(8)]
    seq_u = [login("nobody-" + known, "wrong-password-%d" % i)[:2]
             for i in range(8)]
    report(seq_k == seq_u,
           "8 wrong logins: a known and an unknown staff name get the same "
           "answers (%s / %s)" % (seq_k, seq_u))
    report(all(st == 401 for st, _ in seq_k[:5]),
           "... the first five are 401 for both")


CASES = {"1": case1, "2": case2, "3": case3, "3flood": case3_flood,
         "4": case4, "5": case5,
         "6": case6, "6login": case6_login}
CASES[CASE]()
sys.exit(1 if FAILED else 0)
