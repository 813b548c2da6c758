#!/usr/bin/python3
"""test/e2e/e2e.py: end-to-end tests of the REST (7000) and WebSocket (7001, /v1/ws) server.

Driven by test/e2e/run.sh, one sub-command per step (the server's auth mode is switched between
them by run.sh):

  e2e.py wait-health             poll GET /health until 200 (30 s)
  e2e.py setup STATE             roles, symbols of this run, API keys; writes STATE (JSON)
  e2e.py auth-on STATE           every test that needs xtrader.rest_auth = on
  e2e.py wait-auth on|off        poll until the server applies the auth mode (10 s)
  e2e.py auth-off STATE          the tests for xtrader.rest_auth = off
  e2e.py flow-prep STATE         a resting sell for the flow client (prints the symbol)
  e2e.py cleanup STATE           revoke this run's keys, cancel its open orders

Each test prints "ok - NAME" or "not ok - NAME: reason" (details on "# " lines); the process
exits 1 if one failed. Python 3 from Debian with python3-psycopg2, python3-requests and
python3-websockets (10.x, asyncio client). Connection to PostgreSQL from the PG* environment
(scripts/cluster env); the server's URLs from XT_REST_URL / XT_WS_URL.

Expectations come from docs/api.md and .xtrader/api-decisions.md (the latter wins). Whatever the
server answers is compared exactly (status, error code, body keys, decimal strings) and, where
SQL can tell, against SQL (xt_order, xt_order_book, xt_executions).
"""
import asyncio
import hashlib
import hmac
import json
import os
import random
import re
import secrets
import socket
import string
import sys
import time
import traceback
from datetime import timezone
from decimal import Decimal

import psycopg2
import requests
import websockets

REST = os.environ.get("XT_REST_URL", "http://127.0.0.1:7000").rstrip("/")
WS_URL = os.environ.get("XT_WS_URL", "ws://127.0.0.1:7001/v1/ws")
_hostport = REST.split("://", 1)[1].split("/", 1)[0]
REST_HOST, REST_PORT = _hostport.rsplit(":", 1)[0], int(_hostport.rsplit(":", 1)[1])

ROLE_A = "xt_e2e_a"
ROLE_B = "xt_e2e_b"
MID = 50000000          # mid price on the tick-1000 symbols
TICK = 1000


# ---- small runner ---------------------------------------------------------------------------

class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def eq(actual, expected, what):
    if actual != expected:
        raise Failure("%s: expected %s, got %s" % (what, short(expected), short(actual)))


def short(v, n=600):
    s = v if isinstance(v, str) else repr(v)
    return s if len(s) <= n else s[:n] + "...(%d more)" % (len(s) - n)


TESTS = {}              # phase -> [(name, fn)]


def test(phase):
    def deco(fn):
        TESTS.setdefault(phase, []).append((fn.__name__, fn))
        return fn
    return deco


def run_phase(phase, ctx):
    passed = failed = 0
    only = os.environ.get("XT_E2E_ONLY")         # a regexp: run only the matching tests
    for name, fn in TESTS[phase]:
        if only and not re.search(only, name):
            continue
        t0 = time.monotonic()
        try:
            fn(ctx)
            print("ok - %s (%.2fs)" % (name, time.monotonic() - t0), flush=True)
            passed += 1
        except Failure as e:
            print("not ok - %s: %s" % (name, one_line(str(e))), flush=True)
            failed += 1
        except Exception as e:      # noqa: BLE001 -- a crash of a test is its failure
            print("not ok - %s: %s: %s" % (name, type(e).__name__, one_line(str(e))), flush=True)
            for line in traceback.format_exc().splitlines():
                print("# " + line)
            failed += 1
    return passed, failed


def one_line(s):
    return " | ".join(x for x in s.splitlines() if x.strip())


# ---- PostgreSQL -----------------------------------------------------------------------------

_conn = None


def db():
    global _conn
    if _conn is None or _conn.closed:
        _conn = psycopg2.connect(connect_timeout=10, application_name="xt_e2e")
        _conn.autocommit = True
        with _conn.cursor() as cur:
            cur.execute("SET statement_timeout = '60s'")
    return _conn


def sql(q, args=None):
    with db().cursor() as cur:
        cur.execute(q, args)
        return cur.fetchall() if cur.description else None


def sql1(q, args=None):
    rows = sql(q, args)
    return rows[0] if rows else None


def canon(d):
    """The exact decimal text the server is expected to send: plain, trimmed ("0.001", "0")."""
    if d is None:
        return None
    d = Decimal(d)
    if d == 0:
        return "0"
    s = format(d.normalize(), "f")
    return s


def rfc3339(ts):
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sql_order(oid):
    r = sql1("SELECT order_id, symbol, side, order_type, time_in_force, price, quantity, "
             "filled_quantity, remaining_quantity, status, client_order_id, created_at, updated_at "
             "FROM xtrader.xt_order(%s)", (oid,))
    if r is None:
        return None
    return {"order_id": r[0], "symbol": r[1], "side": r[2], "order_type": r[3],
            "time_in_force": r[4], "price": canon(r[5]), "quantity": canon(r[6]),
            "filled_quantity": canon(r[7]), "remaining_quantity": canon(r[8]), "status": r[9],
            "client_order_id": r[10], "created_at": rfc3339(r[11]), "updated_at": rfc3339(r[12])}


def sql_book(sym, depth=1000):
    rows = sql("SELECT side, price, quantity FROM xtrader.xt_order_book(%s, %s)", (sym, depth))
    bids = [[canon(p), canon(q)] for s, p, q in rows if s == "Buy"]
    asks = [[canon(p), canon(q)] for s, p, q in rows if s == "Sell"]
    return bids, asks


def sql_trades(sym):
    rows = sql("SELECT execution_id, price, quantity, taker_side, seq, taker_order_id, maker_order_id "
               "FROM xtrader.xt_executions(%s, 0, 100000) ORDER BY execution_id", (sym,))
    return [{"trade_id": r[0], "price": canon(r[1]), "quantity": canon(r[2]), "taker_side": r[3],
             "seq": r[4], "taker_order_id": r[5], "maker_order_id": r[6]} for r in rows]


def sql_submit(sym, side, price, qty, account, tif="GTC", post_only=False, clordid=None):
    r = sql1("SELECT order_id, status, message FROM xtrader.xt_submit_order(%s, %s, 'Limit', "
             "%s::numeric, %s::numeric, %s, %s, %s, %s)",
             (sym, side, str(price), str(qty), tif, clordid, post_only, account))
    return r[0], r[2]


def clear_book(sym):
    """Cancel every open order of the symbol (as the superuser, an xtrader_admin)."""
    ids = sql("SELECT o.order_id FROM xtrader.orders o JOIN xtrader.symbols s USING (symbol_id) "
              "WHERE s.symbol = %s AND o.status IN (0, 1) ORDER BY o.order_id", (sym,))
    for (oid,) in ids:
        try:
            sql("SELECT status FROM xtrader.xt_cancel_order(%s)", (oid,))
        except psycopg2.Error as e:
            if e.pgcode != "55000":         # became final meanwhile: fine
                raise
    bids, asks = sql_book(sym)
    check(not bids and not asks, "clear_book(%s) left levels: %s %s" % (sym, bids, asks))


# ---- REST -----------------------------------------------------------------------------------

def now_ms():
    return int(time.time() * 1000)


def sign(secret, ts, method, target, body=b""):
    if isinstance(body, str):
        body = body.encode()
    msg = ts.encode() + method.encode() + target.encode() + body
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


class Raw(str):
    """A JSON value written verbatim (to send numbers exactly as spelt)."""


def jtext(d):
    """A JSON object text; Raw values go in as they are, others through json.dumps."""
    parts = []
    for k, v in d.items():
        parts.append(json.dumps(k) + ":" + (v if isinstance(v, Raw) else json.dumps(v)))
    return "{" + ",".join(parts) + "}"


class Api:
    """A REST client for one API key (or none)."""

    def __init__(self, key=None, secret=None, name="anon", session=None):
        self.key, self.secret, self.name = key, secret, name
        self.session = session      # a requests.Session to reuse one connection, else one per call

    def call(self, method, target, body=None, auth=True, ts=None, sig=None, key=None,
             headers=None, timeout=10):
        if isinstance(body, dict):
            body = jtext(body)
        if isinstance(body, str):
            body = body.encode()
        h = {}
        if auth and self.key:
            ts = str(now_ms()) if ts is None else ts
            if sig is None:
                sig = sign(self.secret, ts, method, target, body or b"")
            h = {"X-XT-APIKEY": self.key if key is None else key, "X-XT-TIMESTAMP": ts,
                 "X-XT-SIGNATURE": sig}
        if headers:
            h.update(headers)
        return (self.session or requests).request(method, REST + target, data=body, headers=h,
                                                  timeout=timeout, allow_redirects=False)

    def get(self, target, **kw):
        return self.call("GET", target, **kw)

    def post_order(self, body, **kw):
        return self.call("POST", "/v1/order", body, **kw)

    def delete(self, target, **kw):
        return self.call("DELETE", target, **kw)


def rjson(r):
    """The JSON body of an answer, refusing floats (decimals must be strings)."""
    ctype = r.headers.get("Content-Type", "")
    check(ctype.split(";")[0].strip() == "application/json",
          "HTTP %d: Content-Type %r, body %s" % (r.status_code, ctype, short(r.text, 300)))

    def no_float(s):
        raise Failure("a JSON float %s in %s" % (s, short(r.text, 300)))
    try:
        return json.loads(r.content.decode("utf-8"), parse_float=no_float)
    except ValueError as e:
        raise Failure("HTTP %d: body is not JSON (%s): %s" % (r.status_code, e, short(r.text, 300)))


def expect(r, status, what=""):
    if r.status_code != status:
        raise Failure("%s%sHTTP %d (expected %d): %s" % (what, ": " if what else "", r.status_code,
                                                        status, short(r.text, 400)))
    return rjson(r)


def expect_error(r, status, code, what="", keys=("error", "message")):
    b = expect(r, status, what)
    check(isinstance(b, dict), "%s: error body not an object: %s" % (what, b))
    eq(b.get("error"), code, "%s: error code (body %s)" % (what, short(r.text, 300)))
    eq(sorted(b), sorted(keys), "%s: error body keys" % what)
    check(isinstance(b["message"], str) and b["message"], "%s: empty message" % what)
    return b


def expect_accepted(r, what="", message=None):
    b = expect(r, 200, what)
    eq(sorted(b), ["message", "order_id", "status"], "%s: accepted body keys" % what)
    check(type(b["order_id"]) is int and b["order_id"] > 0, "%s: order_id %r" % (what, b["order_id"]))
    eq(b["status"], "ACCEPTED", "%s: status" % what)
    check(isinstance(b["message"], str), "%s: message %r" % (what, b["message"]))
    if message is not None:
        eq(b["message"], message, "%s: message" % what)
    return b


def _num(v):
    """A decimal field: Raw stays verbatim (a JSON number), str is sent as a JSON string, numbers
    (int, Decimal) as JSON numbers spelt by str()."""
    return v if isinstance(v, Raw) or isinstance(v, str) else Raw(str(v))


def order_body(sym, side, price, qty, order_type="Limit", **extra):
    d = {"symbol": sym, "side": side, "order_type": order_type}
    if price is not None:
        d["price"] = _num(price)
    d["quantity"] = _num(qty)
    d.update(extra)
    return d


def place(api, sym, side, price, qty, message=None, **extra):
    """POST a limit order, expect 200 ACCEPTED; returns its id."""
    b = expect_accepted(api.post_order(order_body(sym, side, Raw(str(price)), Raw(str(qty)), **extra)),
                        "POST %s %s %s@%s" % (api.name, side, qty, price), message)
    return b["order_id"]


def get_order(api, oid, what=""):
    b = expect(api.get("/v1/order/%d" % oid), 200, what or "GET /v1/order/%d" % oid)
    return b


ORDER_KEYS = ["order_id", "symbol", "side", "order_type", "time_in_force", "price", "quantity",
              "filled_quantity", "remaining_quantity", "status", "client_order_id", "created_at",
              "updated_at"]
RFC3339_US = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def check_order(api, oid, **expected):
    """GET the order: exact keys, equal to SQL's xt_order row, and to the expected fields."""
    b = get_order(api, oid)
    eq(list(b), ORDER_KEYS, "order %d: keys (in order)" % oid)
    check(type(b["order_id"]) is int, "order_id is not an integer: %r" % b["order_id"])
    for k in ("created_at", "updated_at"):
        check(RFC3339_US.match(b[k] or ""), "order %d: %s %r is not RFC 3339 UTC with microseconds"
              % (oid, k, b[k]))
    s = sql_order(oid)
    check(s is not None, "order %d: not found by SQL xt_order" % oid)
    eq(b, s, "order %d: REST view vs SQL xt_order" % oid)
    for k, v in expected.items():
        eq(b[k], v, "order %d: %s" % (oid, k))
    return b


def rest_book(sym, depth=None):
    t = "/v1/orderbook/%s" % sym + ("" if depth is None else "?depth=%s" % depth)
    b = expect(Api().get(t), 200, "GET " + t)
    eq(sorted(b), ["asks", "bids", "seq", "symbol"], "orderbook keys")
    eq(b["symbol"], sym, "orderbook symbol")
    check(type(b["seq"]) is int, "orderbook seq %r" % b["seq"])
    for side in ("bids", "asks"):
        for lvl in b[side]:
            check(isinstance(lvl, list) and len(lvl) == 2 and all(isinstance(x, str) for x in lvl),
                  "orderbook level %r" % (lvl,))
    return b


# ---- raw HTTP -------------------------------------------------------------------------------

class RawConn:
    """A plain TCP connection to the REST port, reading HTTP responses through a buffer (so
    pipelined answers that arrive in one segment are not lost)."""

    def __init__(self, port=None):
        self.s = socket.create_connection((REST_HOST, port or REST_PORT), timeout=5)
        self.buf = b""

    def sendall(self, data):
        self.s.sendall(data)

    def close(self):
        self.s.close()

    def _more(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise Failure("connection closed before a full response: %r" % self.buf[:200])
        self.buf += chunk

    def read_response(self, timeout=5.0):
        """One HTTP response: (status, headers dict lower-case, body bytes)."""
        self.s.settimeout(timeout)
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        m = re.match(r"^HTTP/1\.[01] (\d{3}) ", lines[0] + " ")
        check(m, "bad status line %r" % lines[0])
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = int(hdrs.get("content-length", "0"))
        while len(self.buf) < n:
            self._more()
        body, self.buf = self.buf[:n], self.buf[n:]
        return int(m.group(1)), hdrs, body

    def closed_soon(self, timeout=3.0):
        """True when the peer closes the connection within timeout (reading and dropping data)."""
        self.s.settimeout(timeout)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if not self.s.recv(65536):
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        return False


# ---- WebSocket ------------------------------------------------------------------------------

async def wsopen():
    return await websockets.connect(WS_URL, open_timeout=5, close_timeout=2, max_queue=None,
                                    max_size=1 << 24, ping_interval=None, compression=None)


async def wsend(ws, obj):
    await ws.send(obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":")))


async def wrecv(ws, timeout=5.0, what="a message"):
    try:
        raw = await asyncio.wait_for(ws.recv(), timeout)
    except asyncio.TimeoutError:
        raise Failure("no WebSocket message within %.1fs (waiting for %s)" % (timeout, what))
    except websockets.ConnectionClosed as e:
        raise Failure("WebSocket closed while waiting for %s: %s" % (what, e))
    check(isinstance(raw, str), "a binary WebSocket message: %r" % raw[:100])

    def no_float(s):
        raise Failure("a JSON float %s in WS message %s" % (s, short(raw, 300)))
    return json.loads(raw, parse_float=no_float)


async def wexpect(ws, pred, what, timeout=5.0, skipped=None):
    """The first message that satisfies pred; others are kept in skipped (a list) if given."""
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure("no %s within %.1fs; got %s" % (what, timeout, short(seen)))
        try:
            m = await wrecv(ws, left, what)
        except Failure as e:
            raise Failure("%s; before it got %s" % (e, short(seen)))
        if isinstance(m, dict) and pred(m):
            if skipped is not None:
                skipped.extend(seen)
            return m
        seen.append(m)


async def wdrain(ws, seconds):
    """Every message that arrives within seconds."""
    out = []
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return out
        try:
            raw = await asyncio.wait_for(ws.recv(), left)
        except asyncio.TimeoutError:
            return out
        out.append(json.loads(raw))


async def wauth(ws, key, secret, ts=None, as_string=False, sig=None):
    ts = now_ms() if ts is None else ts
    s = sign(secret, str(ts), "GET", "/v1/ws") if sig is None else sig
    await wsend(ws, {"op": "auth", "api_key": key, "timestamp": str(ts) if as_string else ts,
                     "signature": s})
    return await wrecv(ws, 5.0, "the answer to auth")


async def wexpect_error(ws, msg, code):
    await wsend(ws, msg)
    m = await wrecv(ws, 5.0, "an error frame for %s" % short(msg, 80))
    eq(sorted(m) if isinstance(m, dict) else m, ["error", "message", "type"],
       "error frame keys for %s (frame %s)" % (short(msg, 80), short(m, 200)))
    eq(m["type"], "error", "frame type for %s" % short(msg, 80))
    eq(m["error"], code, "error code for %s (message %r)" % (short(msg, 80), m.get("message")))
    return m


async def wping(ws, what="ping"):
    await wsend(ws, {"op": "ping"})
    m = await wexpect(ws, lambda m: m.get("type") == "pong", "pong after " + what)
    eq(sorted(m), ["ts", "type"], "pong keys")
    check(type(m["ts"]) is int and abs(m["ts"] - now_ms()) < 5000, "pong ts %r" % m["ts"])


def arun(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


def executions(msgs):
    return [m for m in msgs if isinstance(m, dict) and m.get("type") == "Execution"]


# ---- context --------------------------------------------------------------------------------

class Ctx:
    def __init__(self, state):
        self.st = state
        self.sym = state["symbols"]
        self.main, self.fine, self.book = (self.sym[k] for k in ("main", "fine", "book"))
        self.off = self.main        # the auth-off tests clear it first
        k = state["keys"]
        self.A = Api(*k["a"], name="A")
        self.B = Api(*k["b"], name="B")
        self.RL = Api(*k["rl"], name="RL")
        self.REV = Api(*k["rev"], name="REV")
        self.anon = Api()
        self.rid = state["rid"]
        self.unknown_symbol = "NX%s-KRW" % self.rid
        self.shared = {}

    def a_order(self):
        """An order of account A (resting far from the market) for auth/rate tests."""
        if "a_order" not in self.shared:
            self.shared["a_order"] = place(self.A, self.main, "Buy", 1000000, "0.0001")
        return self.shared["a_order"]


# ==== setup ==================================================================================

def wait_health(timeout=30):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            r = requests.get(REST + "/health", timeout=2)
            if r.status_code == 200:
                return r
            last = "HTTP %d %s" % (r.status_code, r.text[:200])
        except requests.RequestException as e:
            last = str(e)
        time.sleep(0.2)
    raise Failure("GET /health did not answer 200 within %ds (last: %s)" % (timeout, last))


def setup(path):
    rid = "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(5))
    sql("CREATE EXTENSION IF NOT EXISTS xtrader")
    deadline = time.monotonic() + 60
    while sql1("SELECT state FROM xtrader.xt_stats()")[0] != "ready":
        check(time.monotonic() < deadline, "the engine is not ready")
        time.sleep(0.2)
    for role in (ROLE_A, ROLE_B):
        sql("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%s') THEN "
            "CREATE ROLE %s; END IF; END $$" % (role, role))
        sql("GRANT xtrader_trader TO %s" % role)
    symbols = {"main": ("E2E%sM-KRW" % rid, "1000", "0.0001"),
               "fine": ("E2E%sF-KRW" % rid, "0.00000001", "0.001"),
               "book": ("E2E%sB-KRW" % rid, "1000", "0.0001")}
    n, cap = sql1("SELECT (SELECT count(*) FROM xtrader.symbols), current_setting('xtrader.max_symbols')::int")
    check(n + len(symbols) <= cap, "this run needs %d new symbols and %d of xtrader.max_symbols = %d are "
          "listed: use a fresh cluster (each run lists %d symbols of its own)" % (len(symbols), n, cap, len(symbols)))
    for name, tick, lot in symbols.values():
        sql("SELECT symbol_id FROM xtrader.xt_create_symbol(%s, %s::numeric, %s::numeric)",
            (name, tick, lot))
    keys = {}
    for k, role, lim in (("a", ROLE_A, (None, None)), ("b", ROLE_B, (None, None)),
                         ("rl", ROLE_A, (60, 3)), ("rev", ROLE_B, (None, None))):
        keys[k] = list(sql1("SELECT api_key, secret FROM xtrader.xt_create_api_key(%s, %s, %s)",
                            (role, lim[0], lim[1])))
    bootstrap = sql1("SELECT rolname FROM pg_roles WHERE oid = 10")[0]
    state = {"rid": rid, "symbols": {k: v[0] for k, v in symbols.items()}, "keys": keys,
             "bootstrap": bootstrap, "seed": random.randrange(1 << 30)}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(state, f)
    return state


def wait_ready_for_run(state):
    """The server knows this run's keys and symbols (it reloads keys on a version counter)."""
    ctx = Ctx(state)
    deadline = time.monotonic() + 10
    last = None
    while time.monotonic() < deadline:
        r = ctx.A.get("/v1/order/1")
        last = "HTTP %d %s" % (r.status_code, r.text[:200])
        if r.status_code != 401:
            break
        time.sleep(0.1)
    else:
        raise Failure("the server did not accept the new API key within 10 s (last: %s)" % last)
    for sym in state["symbols"].values():
        while True:
            r = requests.get(REST + "/v1/orderbook/" + sym, timeout=5)
            if r.status_code == 200:
                break
            check(time.monotonic() < deadline, "GET /v1/orderbook/%s: HTTP %d %s"
                  % (sym, r.status_code, r.text[:200]))
            time.sleep(0.1)


def wait_auth(mode, timeout=10):
    """Poll GET /v1/order/1 without headers: 401 MISSING_HEADER while auth is on, else not 401."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        r = requests.get(REST + "/v1/order/1", timeout=5)
        last = "HTTP %d %s" % (r.status_code, r.text[:200])
        if (r.status_code == 401) == (mode == "on"):
            if mode == "on":
                eq(rjson(r).get("error"), "MISSING_HEADER", "auth on: the answer without headers")
            return
        time.sleep(0.1)
    raise Failure("the server did not switch to auth %s within %ds (last: %s)" % (mode, timeout, last))


# ==== auth on: basics ========================================================================

@test("on")
def sign_helper_matches_the_documented_example(ctx):
    body = '{"symbol":"BTC-KRW","side":"Buy","order_type":"Limit","price":50000000,"quantity":0.001}'
    eq(sign("demo-secret-0123456789", "1700000000000", "POST", "/v1/order", body),
       "db35c3b31c9df9a4f3cf90df41a421b2ce588786b93a6c46bc69566354d6c4af", "REST example")
    eq(sign("demo-secret-0123456789", "1700000000000", "GET", "/v1/ws"),
       "3980cd9158f81fb344d890cc0be5ac55a64a6d3b11c420a4e87d14fb8b59041c", "WS example")


@test("on")
def health_is_ok(ctx):
    b = expect(ctx.anon.get("/health"), 200, "GET /health")
    eq(sorted(b), ["durable_seq", "engine", "status"], "health keys")
    eq(b["status"], "ok", "status")
    eq(b["engine"], "ready", "engine")
    check(type(b["durable_seq"]) is int and b["durable_seq"] >= 0, "durable_seq %r" % b["durable_seq"])


@test("on")
def metrics_are_prometheus_text(ctx):
    r = ctx.anon.get("/metrics")
    eq(r.status_code, 200, "GET /metrics status")
    check(r.headers.get("Content-Type", "").startswith("text/plain"),
          "Content-Type %r" % r.headers.get("Content-Type"))
    for name in ("xtrader_orders_received_total", "xtrader_orders_accepted_total",
                 "xtrader_http_responses_total", "xtrader_durable_seq", "xtrader_connections"):
        check(re.search(r"^%s[ {]" % name, r.text, re.M), "metric %s missing" % name)


@test("on")
def public_endpoints_need_no_auth(ctx):
    for t in ("/v1/symbols", "/v1/orderbook/%s" % ctx.main, "/v1/trades/%s" % ctx.main, "/health"):
        expect(ctx.anon.get(t), 200, "GET %s without headers" % t)


@test("on")
def symbols_lists_the_run_symbols(ctx):
    b = expect(ctx.anon.get("/v1/symbols"), 200, "GET /v1/symbols")
    eq(list(b), ["symbols"], "keys")
    by = {s.get("symbol"): s for s in b["symbols"]}
    rows = sql("SELECT symbol, tick_size, lot_size, min_quantity, max_quantity FROM xtrader.symbols "
               "ORDER BY symbol_id")
    eq(sorted(s.get("symbol") for s in b["symbols"]), sorted(r[0] for r in rows), "symbol names vs SQL")
    eq(len(by), len(b["symbols"]), "no symbol listed twice")
    for name, tick, lot, mn, mx in rows:
        s = by[name]
        eq(sorted(s), ["lot_size", "max_quantity", "min_quantity", "symbol", "tick_size"],
           "%s keys" % name)
        eq(s["tick_size"], canon(tick), "%s tick_size" % name)
        eq(s["lot_size"], canon(lot), "%s lot_size" % name)
        if mn is not None:
            eq(s["min_quantity"], canon(mn), "%s min_quantity" % name)
        if mx is not None:
            eq(s["max_quantity"], canon(mx), "%s max_quantity" % name)
        for k in ("min_quantity", "max_quantity"):
            check(isinstance(s[k], str) and Decimal(s[k]) > 0 and s[k] == canon(s[k]),
                  "%s %s %r" % (name, k, s[k]))
    eq((by[ctx.main]["tick_size"], by[ctx.main]["lot_size"]), ("1000", "0.0001"), "main tick/lot")
    eq((by[ctx.fine]["tick_size"], by[ctx.fine]["lot_size"]), ("0.00000001", "0.001"), "fine tick/lot")
    eq(by[ctx.main]["min_quantity"], "0.0001", "main min_quantity (one lot when not set)")


# ==== auth on: order lifecycle ===============================================================

@test("on")
def post_limit_order_with_json_numbers(ctx):
    clear_book(ctx.main)
    r = ctx.A.post_order('{"symbol":"%s","side":"Buy","order_type":"Limit","price":50000000,'
                         '"quantity":0.001}' % ctx.main)
    b = expect_accepted(r, "POST", "order accepted: Pending")
    eq(list(b), ["order_id", "status", "message"], "key order")
    ctx.shared["a1"] = b["order_id"]


@test("on")
def get_order_shows_exact_fields(ctx):
    oid = ctx.shared["a1"]
    b = check_order(ctx.A, oid, order_id=oid, symbol=ctx.main, side="Buy", order_type="Limit",
                    time_in_force="GTC", price="50000000", quantity="0.001",
                    filled_quantity="0", remaining_quantity="0.001", status="Pending",
                    client_order_id=None)
    eq(b["created_at"], b["updated_at"], "created_at = updated_at for an untouched order")


@test("on")
def decimals_arrive_exactly(ctx):
    """Numbers and strings, plain and exponent spellings, on a tick-1e-8 symbol."""
    cases = [  # price sent, quantity sent, price shown, quantity shown
        (Raw("50000000.12345678"), Raw("0.1"), "50000000.12345678", "0.1"),
        ("50000000.12345678", "0.001", "50000000.12345678", "0.001"),
        (Raw("0.1"), Raw("0.001"), "0.1", "0.001"),
        ("0.1", "0.003", "0.1", "0.003"),
        (Raw("0.00000001"), Raw("1e-3"), "0.00000001", "0.001"),
        (Raw("5E7"), "1000.001", "50000000", "1000.001"),
        (Raw("12345678.9"), Raw("0.30"), "12345678.9", "0.3"),
        ("1.10000000", "2.000", "1.1", "2"),
    ]
    for price, qty, p_out, q_out in cases:
        b = expect_accepted(ctx.A.post_order(order_body(ctx.fine, "Buy", price, qty)),
                            "price %r quantity %r" % (price, qty), "order accepted: Pending")
        check_order(ctx.A, b["order_id"], price=p_out, quantity=q_out, remaining_quantity=q_out,
                    filled_quantity="0", status="Pending")
    # the book shows the exact levels too
    bids, _ = sql_book(ctx.fine)
    top = rest_book(ctx.fine)["bids"][0]
    eq(top, ["50000000.12345678", "0.101"], "best bid level of the fine symbol")
    eq(rest_book(ctx.fine, 500)["bids"], bids, "fine book vs SQL")


@test("on")
def enums_are_case_insensitive(ctx):
    b = expect_accepted(ctx.A.post_order(order_body(ctx.fine, "sELL", Raw("90000000"), Raw("0.002"),
                                                    order_type="limit", time_in_force="gtc",
                                                    post_only=False)),
                        "lower-case enums", "order accepted: Pending")
    check_order(ctx.A, b["order_id"], side="Sell", order_type="Limit", time_in_force="GTC")


@test("on")
def crossing_orders_fill(ctx):
    a1 = ctx.shared["a1"]
    # B sells 0.0025 at 50000000: takes A's 0.001 bid, rests 0.0015
    r = ctx.B.post_order(order_body(ctx.main, "Sell", Raw("50000000"), "0.0025"))
    b1 = expect_accepted(r, "B sell", "order accepted: PartiallyFilled")["order_id"]
    ctx.shared["b1"] = b1
    check_order(ctx.A, a1, status="Filled", filled_quantity="0.001", remaining_quantity="0")
    check_order(ctx.B, b1, status="PartiallyFilled", filled_quantity="0.001",
                remaining_quantity="0.0015", quantity="0.0025", side="Sell")
    # A buys 0.0005 at 50001000: trades at the maker's price 50000000
    a2 = place(ctx.A, ctx.main, "Buy", 50001000, "0.0005", "order accepted: Filled")
    ctx.shared["a2"] = a2
    check_order(ctx.A, a2, status="Filled", filled_quantity="0.0005", remaining_quantity="0",
                price="50001000")
    check_order(ctx.B, b1, status="PartiallyFilled", filled_quantity="0.0015",
                remaining_quantity="0.001")
    eq(rest_book(ctx.main)["asks"], [["50000000", "0.001"]], "asks after the fills")
    eq(rest_book(ctx.main)["bids"], [], "bids after the fills")


@test("on")
def trades_are_listed_newest_first(ctx):
    b = expect(ctx.anon.get("/v1/trades/%s" % ctx.main), 200, "GET trades")
    eq(sorted(b), ["symbol", "trades"], "trades keys")
    eq(b["symbol"], ctx.main, "symbol")
    tr = b["trades"]
    for t in tr:
        eq(sorted(t), ["price", "quantity", "seq", "taker_side", "trade_id", "ts"], "trade keys")
        check(type(t["ts"]) is int and abs(t["ts"] - now_ms()) < 600000, "trade ts %r" % t["ts"])
    sq = sql_trades(ctx.main)
    want = [{k: s[k] for k in ("trade_id", "price", "quantity", "taker_side", "seq")} for s in reversed(sq)]
    eq([{k: t[k] for k in ("trade_id", "price", "quantity", "taker_side", "seq")} for t in tr], want,
       "REST trades vs SQL xt_executions reversed")
    if "a2" in ctx.shared:
        eq([(t["price"], t["quantity"], t["taker_side"]) for t in tr[:2]],
           [("50000000", "0.0005", "Buy"), ("50000000", "0.001", "Sell")], "the two newest trades")
        eq([s["taker_order_id"] for s in sq[-2:]], [ctx.shared["b1"], ctx.shared["a2"]],
           "taker order ids (SQL)")
    b1 = expect(ctx.anon.get("/v1/trades/%s?limit=1" % ctx.main), 200, "GET trades?limit=1")
    eq(b1["trades"], tr[:1], "limit=1 gives the newest only")


@test("on")
def cancel_lifecycle(ctx):
    oid = place(ctx.A, ctx.main, "Buy", 49000000, "0.002")
    r = ctx.A.delete("/v1/order/%d" % oid)
    b = expect(r, 200, "DELETE")
    eq(b, {"order_id": oid, "status": "CANCELLED", "message": "order cancelled"}, "DELETE body")
    check(type(b["order_id"]) is int, "order_id type")
    check_order(ctx.A, oid, status="Cancelled", remaining_quantity="0", filled_quantity="0")
    b = expect_error(ctx.A.delete("/v1/order/%d" % oid), 409, "ORDER_NOT_OPEN", "second DELETE")
    eq(b["message"], "order %d is Cancelled" % oid, "second DELETE message")
    check(["49000000", "0.002"] not in rest_book(ctx.main)["bids"], "cancelled order still in the book")


@test("on")
def cancel_of_a_filled_order_is_409(ctx):
    a1 = ctx.shared["a1"]
    b = expect_error(ctx.A.delete("/v1/order/%d" % a1), 409, "ORDER_NOT_OPEN", "DELETE filled")
    eq(b["message"], "order %d is Filled" % a1, "message")


@test("on")
def another_accounts_order_is_404(ctx):
    b1 = ctx.shared["b1"]
    expect_error(ctx.A.get("/v1/order/%d" % b1), 404, "ORDER_NOT_FOUND", "A GETs B's order")
    expect_error(ctx.A.delete("/v1/order/%d" % b1), 404, "ORDER_NOT_FOUND", "A DELETEs B's order")
    check_order(ctx.B, b1, status="PartiallyFilled", remaining_quantity="0.001")
    expect_error(ctx.B.get("/v1/order/%d" % ctx.shared["a1"]), 404, "ORDER_NOT_FOUND", "B GETs A's order")


@test("on")
def unknown_order_is_404(ctx):
    for oid in (9223372036854775807, 999999999999):
        expect_error(ctx.A.get("/v1/order/%d" % oid), 404, "ORDER_NOT_FOUND", "GET %d" % oid)
        expect_error(ctx.A.delete("/v1/order/%d" % oid), 404, "ORDER_NOT_FOUND", "DELETE %d" % oid)


@test("on")
def orderbook_equals_sql(ctx):
    clear_book(ctx.main)
    for api, side, price, qty in ((ctx.A, "Buy", 49990000, "0.001"), (ctx.B, "Buy", 49990000, "0.002"),
                                  (ctx.A, "Buy", 49980000, "0.0003"), (ctx.B, "Buy", 49000000, "1"),
                                  (ctx.B, "Sell", 50010000, "0.004"), (ctx.A, "Sell", 50020000, "0.5"),
                                  (ctx.A, "Sell", 50010000, "0.0001")):
        place(api, ctx.main, side, price, qty, "order accepted: Pending")
    want_bids = [["49990000", "0.003"], ["49980000", "0.0003"], ["49000000", "1"]]
    want_asks = [["50010000", "0.0041"], ["50020000", "0.5"]]
    eq(sql_book(ctx.main, 1000), (want_bids, want_asks), "SQL book")
    b = rest_book(ctx.main)
    eq((b["bids"], b["asks"]), (want_bids, want_asks), "REST book (default depth)")
    b1 = rest_book(ctx.main, 1)
    eq((b1["bids"], b1["asks"]), sql_book(ctx.main, 1), "REST depth=1 vs SQL depth 1")
    b2 = rest_book(ctx.main, 2)
    eq((b2["bids"], b2["asks"]), sql_book(ctx.main, 2), "REST depth=2 vs SQL depth 2")
    eq((b2["seq"], b1["seq"]), (b["seq"], b["seq"]), "seq is the same while nothing happens")
    clear_book(ctx.main)
    b3 = rest_book(ctx.main, 500)
    eq((b3["bids"], b3["asks"]), ([], []), "book after cancelling everything")
    check(b3["seq"] > b["seq"], "the book seq advances with cancels (%d -> %d)" % (b["seq"], b3["seq"]))


@test("on")
def post_only_that_would_cross_is_409(ctx):
    clear_book(ctx.main)
    place(ctx.B, ctx.main, "Sell", 50020000, "0.001")
    r = ctx.A.post_order(order_body(ctx.main, "Buy", Raw("50020000"), Raw("0.001"), post_only=True))
    b = expect(r, 409, "post-only crossing")
    eq(sorted(b), ["error", "message", "order_id", "reason"], "409 keys")
    eq(b["error"], "ORDER_REJECTED", "error")
    eq(b["reason"], "POST_ONLY_WOULD_CROSS", "reason")
    check(type(b["order_id"]) is int and b["order_id"] > 0, "order_id %r" % b["order_id"])
    eq(b["message"], "order %d rejected: POST_ONLY_WOULD_CROSS" % b["order_id"], "message")
    check_order(ctx.A, b["order_id"], status="Rejected", remaining_quantity="0", filled_quantity="0")
    eq(rest_book(ctx.main)["asks"], [["50020000", "0.001"]], "the ask is untouched")
    # a post-only that does not cross rests
    oid = place(ctx.A, ctx.main, "Buy", 50010000, "0.001", "order accepted: Pending", post_only=True)
    check_order(ctx.A, oid, status="Pending")
    clear_book(ctx.main)


@test("on")
def duplicate_client_order_id_returns_the_original(ctx):
    cid = "e2e-%s-%s" % (ctx.rid, secrets.token_hex(4))
    body = order_body(ctx.main, "Buy", Raw("40000000"), Raw("0.001"), client_order_id=cid)
    first = expect_accepted(ctx.A.post_order(body), "first", "order accepted: Pending")["order_id"]
    b = expect(ctx.A.post_order(body), 200, "repeat")
    eq(b, {"order_id": first, "status": "ACCEPTED",
           "message": "duplicate client_order_id: this is the original order"}, "repeat body")
    other = order_body(ctx.main, "Buy", Raw("41000000"), Raw("0.002"), client_order_id=cid)
    b = expect(ctx.A.post_order(other), 200, "same id, other order")
    eq(b["order_id"], first, "same id, other order: order_id")
    check_order(ctx.A, first, client_order_id=cid, price="40000000", quantity="0.001")
    n = sql1("SELECT count(*) FROM xtrader.orders WHERE client_order_id = %s", (cid,))[0]
    eq(n, 1, "orders with that client_order_id")
    # another account may use the same id
    ob = expect_accepted(ctx.B.post_order(body), "B, same id", "order accepted: Pending")["order_id"]
    check(ob != first, "B's order got A's id")
    clear_book(ctx.main)


# ==== auth on: authentication ================================================================

def _a_get(ctx):
    oid = ctx.a_order()
    return oid, "/v1/order/%d" % oid


@test("on")
def auth_good_signature_passes(ctx):
    oid, t = _a_get(ctx)
    expect(ctx.A.get(t), 200, "signed GET")
    ts = str(now_ms())
    expect(ctx.A.get(t, ts=ts, sig=sign(ctx.A.secret, ts, "GET", t).upper()), 200,
           "upper-case signature")


@test("on")
def auth_missing_header(ctx):
    oid, t = _a_get(ctx)
    for drop in ("X-XT-APIKEY", "X-XT-TIMESTAMP", "X-XT-SIGNATURE"):
        ts = str(now_ms())
        h = {"X-XT-APIKEY": ctx.A.key, "X-XT-TIMESTAMP": ts, "X-XT-SIGNATURE": sign(ctx.A.secret, ts, "GET", t)}
        del h[drop]
        expect_error(ctx.anon.get(t, headers=h), 401, "MISSING_HEADER", "without " + drop)
        h[drop] = ""
        expect_error(ctx.anon.get(t, headers=h), 401, "MISSING_HEADER", "empty " + drop)
    expect_error(ctx.anon.get(t), 401, "MISSING_HEADER", "GET without any header")
    expect_error(ctx.anon.post_order(order_body(ctx.main, "Buy", Raw("1000"), Raw("1"))), 401,
                 "MISSING_HEADER", "POST without any header")
    expect_error(ctx.anon.delete(t), 401, "MISSING_HEADER", "DELETE without any header")
    # the missing header is reported first, whatever else is wrong
    expect_error(ctx.anon.get(t, headers={"X-XT-APIKEY": "bad key!", "X-XT-TIMESTAMP": "x"}), 401,
                 "MISSING_HEADER", "bad key and timestamp, no signature")


@test("on")
def auth_bad_api_key(ctx):
    oid, t = _a_get(ctx)
    for key in ("xtk.bad", "xtk bad", "k" * 65, "xtk_\u00e9".encode().decode("latin-1")):
        expect_error(ctx.A.get(t, key=key), 401, "BAD_API_KEY", "key %r" % key)
    expect_error(ctx.A.get(t, key="bad.key", ts="12x"), 401, "BAD_API_KEY", "bad key before bad timestamp")


@test("on")
def auth_bad_timestamp(ctx):
    oid, t = _a_get(ctx)
    for ts in ("12x", "1234567890123456", "-1700000000000", "1700000000000.5", "0x10"):
        expect_error(ctx.A.get(t, ts=ts), 401, "BAD_TIMESTAMP", "timestamp %r" % ts)


@test("on")
def auth_stale_timestamp(ctx):
    oid, t = _a_get(ctx)
    for delta in (-6000, 6000, -3600000):
        ts = str(now_ms() + delta)
        expect_error(ctx.A.get(t, ts=ts), 401, "STALE_TIMESTAMP", "timestamp now%+d ms" % delta)
    # within the window in both directions: accepted
    for delta in (-3000, 3000):
        expect(ctx.A.get(t, ts=str(now_ms() + delta)), 200, "timestamp now%+d ms" % delta)
    # stale is reported before an unknown key
    expect_error(ctx.A.get(t, key="xtk_NOSUCHKEY00000000000000", ts=str(now_ms() - 60000)), 401,
                 "STALE_TIMESTAMP", "stale + unknown key")


@test("on")
def auth_unknown_api_key(ctx):
    oid, t = _a_get(ctx)
    expect_error(ctx.A.get(t, key="xtk_NOSUCHKEY00000000000000"), 401, "UNKNOWN_API_KEY", "unknown key")
    expect_error(ctx.A.get(t, key=ctx.A.key.lower() if ctx.A.key.lower() != ctx.A.key else ctx.A.key.upper()),
                 401, "UNKNOWN_API_KEY", "the key in another case")


@test("on")
def auth_bad_signature(ctx):
    oid, t = _a_get(ctx)
    ts = str(now_ms())
    good = sign(ctx.A.secret, ts, "GET", t)
    bad = ("0" if good[0] != "0" else "1") + good[1:]
    for sig, what in ((bad, "one digit changed"), (good[:63], "63 digits"), (good + "0", "65 digits"),
                      ("g" * 64, "not hex"), (sign(ctx.B.secret, ts, "GET", t), "B's secret"),
                      (sign(ctx.A.secret, ts, "DELETE", t), "signed as DELETE"),
                      (sign(ctx.A.secret, str(int(ts) + 1), "GET", t), "another timestamp")):
        expect_error(ctx.A.get(t, ts=ts, sig=sig), 401, "BAD_SIGNATURE", what)
    body = order_body(ctx.main, "Buy", Raw("1000000"), Raw("0.0001"))
    txt = jtext(body)
    ts = str(now_ms())
    sig = sign(ctx.A.secret, ts, "POST", "/v1/order", txt.replace("1000000", "2000000"))
    expect_error(ctx.A.post_order(txt, ts=ts, sig=sig), 401, "BAD_SIGNATURE", "POST, body changed")
    # a signature of another key's secret fails even though the key exists
    expect_error(ctx.A.get(t, key=ctx.B.key), 401, "BAD_SIGNATURE", "A's signature with B's key")


@test("on")
def auth_signature_covers_the_query_string(ctx):
    # public endpoints need no auth, a correct signature does not hurt
    t = "/v1/trades/%s?limit=10" % ctx.main
    expect(ctx.A.get(t), 200, "signed GET " + t)
    t = "/v1/orderbook/%s?depth=3" % ctx.main
    expect(ctx.A.get(t), 200, "signed GET " + t)
    # on an order, a query is refused as an unknown parameter, not as a bad signature
    oid, path = _a_get(ctx)
    expect_error(ctx.A.get(path + "?depth=1"), 400, "UNKNOWN_PARAMETER", "signed GET with a query")


@test("on")
def auth_revoked_key(ctx):
    oid, t = _a_get(ctx)
    r = ctx.REV.get(t)
    expect_error(r, 404, "ORDER_NOT_FOUND", "REV (account B) before revocation")
    eq(sql1("SELECT xtrader.xt_revoke_api_key(%s)", (ctx.REV.key,))[0], True, "first revoke")
    eq(sql1("SELECT xtrader.xt_revoke_api_key(%s)", (ctx.REV.key,))[0], False, "second revoke")
    deadline = time.monotonic() + 3
    while True:
        r = ctx.REV.get(t)
        if r.status_code == 401 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    expect_error(r, 401, "UNKNOWN_API_KEY", "revoked key (after up to 3 s)")
    expect_error(ctx.REV.post_order(order_body(ctx.main, "Buy", Raw("1000000"), Raw("0.0001"))),
                 401, "UNKNOWN_API_KEY", "POST with the revoked key")


@test("on")
def rate_limit_gives_429(ctx):
    oid = ctx.a_order()
    t = "/v1/order/%d" % oid
    with requests.Session() as sess:        # one kept-alive connection: the 4 go out within ms
        rl = Api(ctx.RL.key, ctx.RL.secret, "RL", sess)
        t0 = time.monotonic()
        rs = [rl.get(t) for _ in range(4)]
        dt = time.monotonic() - t0
    check(dt < 0.9, "the 4 requests took %.2fs (a token comes back every second)" % dt)
    for i, r in enumerate(rs[:3]):
        expect(r, 200, "request %d of the burst of 3" % (i + 1))
    r = rs[3]
    expect_error(r, 429, "RATE_LIMITED", "4th quick request")
    ra = r.headers.get("Retry-After")
    check(ra is not None and ra.isdigit() and int(ra) >= 1, "Retry-After %r" % ra)
    check(int(ra) <= 2, "Retry-After %s for 60/min (one token a second)" % ra)
    time.sleep(int(ra) + 0.2)
    expect(ctx.RL.get(t), 200, "after Retry-After")
    if int(ra) == 1:
        expect_error(ctx.RL.get(t), 429, "RATE_LIMITED", "the refilled token is used up")
    # another key of the same account is not limited by it
    expect(ctx.A.get(t), 200, "key A meanwhile")


# ==== auth on: bad input =====================================================================

def _bad(ctx, cases, code, status=400):
    for body in cases:
        if isinstance(body, dict):
            body = jtext(body)
        expect_error(ctx.A.post_order(body), status, code, "body %s" % short(body if isinstance(body, str)
                                                                            else repr(body), 120))


def _ok_fields(ctx, **over):
    d = {"symbol": ctx.main, "side": "Buy", "order_type": "Limit", "price": Raw("1000000"),
         "quantity": Raw("0.001")}
    for k, v in over.items():
        if v is DROP:
            d.pop(k, None)
        else:
            d[k] = v
    return d


DROP = object()


@test("on")
def bad_json_is_invalid_json(ctx):
    m = ctx.main
    good = jtext(_ok_fields(ctx))
    cases = [b"", b"{", b'{"symbol":', good[:-1].encode(), good.encode() + b" x", good.encode() + b"{}",
             b"{'symbol':'x'}", b'{"symbol":"' + m.encode() + b'",}',
             b'{"symbol":"\xff"}', b'{"symbol":"\xc0\xaf"}', b'{"symbol":"\xed\xa0\x80"}',
             b'{"symbol":"\xe2\x82"}', b'{"symbol":"\\ud800"}', b'{"symbol":"\\udc00x"}',
             ('{"symbol":"%s","symbol":"%s"}' % (m, m)).encode(),
             b'{"symbol":{"a":{"b":{"c":{"d":1}}}}}', b"[" * 1000 + b"]" * 1000,
             b'{"price":NaN}', b'{"price":.5}', b'{"price":1.}', b'{"price":+1}', b'{"price":01}',
             b'{"symbol":"a\x01b"}']
    for body in cases:
        expect_error(ctx.A.post_order(body), 400, "INVALID_JSON", "body %r" % body[:80])


@test("on")
def non_object_or_huge_is_invalid_request(ctx):
    _bad(ctx, ["[]", '"x"', "42", "null", "true",
               '{"symbol":[%s]}' % ",".join(str(i) for i in range(40)),
               '{"symbol":"%s"}' % ("x" * 4100)], "INVALID_REQUEST")


@test("on")
def unknown_field(ctx):
    _bad(ctx, [_ok_fields(ctx, prise=Raw("1000000")), _ok_fields(ctx, Symbol=ctx.main),
               _ok_fields(ctx, account="xt_e2e_b")], "UNKNOWN_FIELD")
    b = expect_error(ctx.A.post_order(_ok_fields(ctx, prise=Raw("1"))), 400, "UNKNOWN_FIELD")
    check("prise" in b["message"], "message names the field: %r" % b["message"])


@test("on")
def missing_field(ctx):
    _bad(ctx, ["{}", _ok_fields(ctx, symbol=DROP), _ok_fields(ctx, side=DROP),
               _ok_fields(ctx, order_type=DROP), _ok_fields(ctx, quantity=DROP),
               _ok_fields(ctx, price=DROP), _ok_fields(ctx, price=None), _ok_fields(ctx, symbol=None),
               _ok_fields(ctx, symbol=DROP, side="Hold")], "MISSING_FIELD")


@test("on")
def invalid_symbol_and_unknown_symbol(ctx):
    _bad(ctx, [_ok_fields(ctx, symbol=5), _ok_fields(ctx, symbol=["x"]), _ok_fields(ctx, symbol=True)],
         "INVALID_SYMBOL")
    _bad(ctx, [_ok_fields(ctx, symbol=ctx.unknown_symbol), _ok_fields(ctx, symbol=ctx.main.lower()),
               _ok_fields(ctx, symbol=""), _ok_fields(ctx, symbol="X" * 40),
               _ok_fields(ctx, symbol=ctx.unknown_symbol, side="Hold")], "UNKNOWN_SYMBOL")


@test("on")
def invalid_side(ctx):
    _bad(ctx, [_ok_fields(ctx, side="Hold"), _ok_fields(ctx, side=""), _ok_fields(ctx, side=0),
               _ok_fields(ctx, side="Buy "), _ok_fields(ctx, side="Hold", order_type="Stop",
                                                        price=Raw("1"))], "INVALID_SIDE")


@test("on")
def invalid_order_type(ctx):
    _bad(ctx, [_ok_fields(ctx, order_type="Stop"), _ok_fields(ctx, order_type=1),
               _ok_fields(ctx, order_type="Stop", time_in_force="DAY")], "INVALID_ORDER_TYPE")


@test("on")
def invalid_time_in_force(ctx):
    _bad(ctx, [_ok_fields(ctx, time_in_force="DAY"), _ok_fields(ctx, time_in_force=""),
               _ok_fields(ctx, time_in_force=1), _ok_fields(ctx, time_in_force="DAY", client_order_id="")],
         "INVALID_TIME_IN_FORCE")


@test("on")
def invalid_client_order_id(ctx):
    _bad(ctx, [_ok_fields(ctx, client_order_id=""), _ok_fields(ctx, client_order_id="x" * 37),
               _ok_fields(ctx, client_order_id=12), _ok_fields(ctx, client_order_id="a\u0001b"),
               _ok_fields(ctx, client_order_id="caf\u00e9"),
               _ok_fields(ctx, client_order_id="", price=Raw("1"))], "INVALID_CLIENT_ORDER_ID")


@test("on")
def invalid_price(ctx):
    _bad(ctx, [_ok_fields(ctx, price=Raw("50000500")), _ok_fields(ctx, price="50000000.5"),
               _ok_fields(ctx, price=Raw("0")), _ok_fields(ctx, price=Raw("-1000")),
               _ok_fields(ctx, price="abc"), _ok_fields(ctx, price=".5"), _ok_fields(ctx, price="1."),
               _ok_fields(ctx, price="+1000"), _ok_fields(ctx, price="NaN"),
               _ok_fields(ctx, price=" 1000"), _ok_fields(ctx, price=True),
               _ok_fields(ctx, price=Raw("1e30")), _ok_fields(ctx, price=Raw("1500"), quantity="bad"),
               _ok_fields(ctx, order_type="Market", price=Raw("50000000"))], "INVALID_PRICE")
    _bad(ctx, [_ok_fields(ctx, symbol=ctx.fine, price="1.000000001"),
               _ok_fields(ctx, symbol=ctx.fine, price=Raw("1.000000001")),
               _ok_fields(ctx, symbol=ctx.fine, price=Raw("0.000000001"))], "INVALID_PRICE")


@test("on")
def invalid_quantity(ctx):
    _bad(ctx, [_ok_fields(ctx, quantity=Raw("0.00001")), _ok_fields(ctx, quantity=Raw("0")),
               _ok_fields(ctx, quantity=Raw("-0.001")), _ok_fields(ctx, quantity="1e-5"),
               _ok_fields(ctx, quantity="x"), _ok_fields(ctx, quantity=Raw("1e30")),
               _ok_fields(ctx, quantity=[1]),
               _ok_fields(ctx, quantity=Raw("0"), post_only="yes")], "INVALID_QUANTITY")


@test("on")
def invalid_post_only(ctx):
    _bad(ctx, [_ok_fields(ctx, post_only=True, time_in_force="IOC"),
               _ok_fields(ctx, post_only=True, time_in_force="FOK"),
               _ok_fields(ctx, post_only=True, order_type="Market", price=DROP),
               _ok_fields(ctx, post_only="true"), _ok_fields(ctx, post_only=1)], "INVALID_POST_ONLY")


@test("on")
def refused_bodies_never_reach_the_engine(ctx):
    before = sql1("SELECT count(*) FROM xtrader.orders o JOIN pg_roles r ON r.oid = o.account "
                  "WHERE r.rolname = %s", (ROLE_A,))[0]
    for body, code in ((_ok_fields(ctx, price=Raw("50000500")), "INVALID_PRICE"),
                       (_ok_fields(ctx, side="x"), "INVALID_SIDE"), ("[]", "INVALID_REQUEST"),
                       (_ok_fields(ctx, quantity=Raw("0")), "INVALID_QUANTITY")):
        expect_error(ctx.A.post_order(jtext(body) if isinstance(body, dict) else body), 400, code)
    after = sql1("SELECT count(*) FROM xtrader.orders o JOIN pg_roles r ON r.oid = o.account "
                 "WHERE r.rolname = %s", (ROLE_A,))[0]
    eq(after, before, "A's orders after refused bodies")


# ==== auth on: HTTP layer ====================================================================

@test("on")
def body_over_64k_is_413(ctx):
    body = b'{"symbol":"' + b"x" * (70 * 1024) + b'"}'
    ts = str(now_ms())
    sig = sign(ctx.A.secret, ts, "POST", "/v1/order", body)
    head = ("POST /v1/order HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\nX-XT-APIKEY: %s\r\nX-XT-TIMESTAMP: %s\r\nX-XT-SIGNATURE: %s\r\n\r\n"
            % (_hostport, len(body), ctx.A.key, ts, sig)).encode()
    s = RawConn()
    try:
        s.sendall(head)
        # the server may answer from the head alone; give it the body only if it waits for it
        s.s.settimeout(2)
        try:
            first = s.s.recv(65536, socket.MSG_PEEK)
        except socket.timeout:
            first = b""
        if not first:
            try:
                s.sendall(body)
            except OSError:
                pass
        status, hdrs, rb = s.read_response()
    finally:
        s.close()
    eq(status, 413, "status (body %r)" % rb[:200])
    b = json.loads(rb)
    eq(b.get("error"), "PAYLOAD_TOO_LARGE", "error")
    # and through an ordinary client
    r = None
    try:
        r = ctx.A.post_order(body)
    except requests.ConnectionError:
        pass    # the server may close before reading the body: then the client cannot send it
    if r is not None:
        expect_error(r, 413, "PAYLOAD_TOO_LARGE", "requests client")


@test("on")
def exactly_64k_is_not_413(ctx):
    body = _ok_fields(ctx)
    txt = jtext(body)
    pad = 65536 - len(txt)
    txt = txt + " " * pad            # trailing white space is allowed by JSON
    eq(len(txt), 65536, "body length")
    r = ctx.A.post_order(txt)
    check(r.status_code != 413, "a body of exactly 65536 bytes got 413")
    b = expect_accepted(r, "64 KiB body (trailing blanks)")
    ctx.A.delete("/v1/order/%d" % b["order_id"])


@test("on")
def unknown_path_is_404(ctx):
    for t in ("/v1/nothing", "/v1/symbols/", "/v1/order/1/x", "/", "/v1/orderbook/", "/V1/symbols",
              "/v1/orderbook/%s/" % ctx.main, "/v1/orderbook/bad%20sym", "/v1/orderbook/" + "X" * 33):
        expect_error(ctx.A.get(t), 404, "NOT_FOUND", "GET " + t)
    expect_error(ctx.anon.get("/v1/orderbook/%s" % ctx.unknown_symbol), 404, "UNKNOWN_SYMBOL",
                 "orderbook of an unknown symbol")
    expect_error(ctx.anon.get("/v1/trades/%s" % ctx.unknown_symbol), 404, "UNKNOWN_SYMBOL",
                 "trades of an unknown symbol")


@test("on")
def wrong_method_is_405_with_allow(ctx):
    for method, t, allow in (("PUT", "/v1/order/1", "GET, DELETE"), ("POST", "/v1/order/1", "GET, DELETE"),
                             ("GET", "/v1/order", "POST"), ("DELETE", "/v1/order", "POST"),
                             ("POST", "/v1/symbols", "GET"), ("DELETE", "/health", "GET"),
                             ("POST", "/v1/orderbook/%s" % ctx.main, "GET"),
                             ("PUT", "/v1/trades/%s" % ctx.main, "GET"), ("POST", "/metrics", "GET")):
        r = ctx.A.call(method, t)
        expect_error(r, 405, "METHOD_NOT_ALLOWED", "%s %s" % (method, t))
        eq(r.headers.get("Allow"), allow, "Allow of %s %s" % (method, t))


@test("on")
def invalid_order_id_is_400(ctx):
    for t in ("/v1/order/0", "/v1/order/abc", "/v1/order/007", "/v1/order/-1", "/v1/order/1.0",
              "/v1/order/9223372036854775808", "/v1/order/99999999999999999999"):
        expect_error(ctx.A.get(t), 400, "INVALID_ORDER_ID", "GET " + t)
        expect_error(ctx.A.delete(t), 400, "INVALID_ORDER_ID", "DELETE " + t)


@test("on")
def invalid_and_unknown_parameters_are_400(ctx):
    m = ctx.main
    for t in ("/v1/orderbook/%s?depth=0" % m, "/v1/orderbook/%s?depth=abc" % m,
              "/v1/orderbook/%s?depth=501" % m, "/v1/orderbook/%s?depth=" % m,
              "/v1/orderbook/%s?depth=-1" % m, "/v1/orderbook/%s?depth=1.5" % m,
              "/v1/trades/%s?limit=0" % m, "/v1/trades/%s?limit=1001" % m, "/v1/trades/%s?limit=x" % m):
        expect_error(ctx.anon.get(t), 400, "INVALID_PARAMETER", "GET " + t)
    for t in ("/v1/orderbook/%s?foo=1" % m, "/v1/orderbook/%s?depth=1&depth=2" % m,
              "/v1/trades/%s?depth=1" % m, "/v1/symbols?x=1"):
        expect_error(ctx.anon.get(t), 400, "UNKNOWN_PARAMETER", "GET " + t)
    expect(ctx.anon.get("/v1/orderbook/%s?depth=500" % m), 200, "depth=500")
    expect(ctx.anon.get("/v1/trades/%s?limit=1000" % m), 200, "limit=1000")


@test("on")
def uri_too_long_is_414(ctx):
    t = "/v1/orderbook/%s?depth=%s" % (ctx.main, "1" * 2100)
    expect_error(ctx.anon.get(t), 414, "URI_TOO_LONG", "GET of a 2100+ byte target")


@test("on")
def malformed_http_is_400_and_closes(ctx):
    for garbage in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET /health HTTP/1.1 extra\r\n\r\n",
                    b"\x00\x01\x02\r\n\r\n", b"GET /health HTTP/1.1\r\nno colon here\r\n\r\n"):
        s = RawConn()
        try:
            s.sendall(garbage)
            status, hdrs, body = s.read_response()
            eq(status, 400, "status for %r" % garbage)
            check(s.closed_soon(), "the connection stays open after %r" % garbage)
        finally:
            s.close()
    # the server still answers
    expect(ctx.anon.get("/health"), 200, "health afterwards")


@test("on")
def keep_alive_and_pipelining(ctx):
    s = RawConn()
    try:
        req = ("GET /health HTTP/1.1\r\nHost: %s\r\n\r\n" % _hostport).encode()
        s.sendall(req + req)
        for i in range(2):
            status, hdrs, body = s.read_response()
            eq(status, 200, "pipelined request %d" % (i + 1))
            eq(json.loads(body)["status"], "ok", "body %d" % (i + 1))
        s.sendall(("GET /v1/symbols HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % _hostport).encode())
        status, hdrs, body = s.read_response()
        eq(status, 200, "third request on the same connection")
        check(s.closed_soon(), "Connection: close did not close")
    finally:
        s.close()


@test("on")
def a_slow_client_does_not_block_others(ctx):
    slow = []
    try:
        s1 = RawConn()
        s1.sendall(("POST /v1/order HTTP/1.1\r\nHost: %s\r\nContent-Length: 200\r\n\r\n{\"symb"
                    % _hostport).encode())
        slow.append(s1)
        s2 = RawConn()
        s2.sendall(b"GET /v1/sym")
        slow.append(s2)
        s3 = RawConn()      # connected, sends nothing
        slow.append(s3)
        time.sleep(0.2)
        for i in range(3):
            t0 = time.monotonic()
            r = ctx.anon.get("/health", timeout=5)
            dt = time.monotonic() - t0
            eq(r.status_code, 200, "health while slow clients stall")
            check(dt < 1.0, "GET /health took %.2fs while slow clients stall" % dt)
        t0 = time.monotonic()
        oid = place(ctx.A, ctx.main, "Buy", 1000000, "0.0001")
        dt = time.monotonic() - t0
        check(dt < 2.0, "an order took %.2fs while slow clients stall" % dt)
        ctx.A.delete("/v1/order/%d" % oid)
    finally:
        for s in slow:
            s.close()


# ==== auth on: WebSocket =====================================================================

@test("on")
def ws_auth_ok(ctx):
    async def body():
        ws = await wsopen()
        try:
            eq(await wauth(ws, ctx.A.key, ctx.A.secret), {"type": "authenticated"}, "auth (integer ts)")
        finally:
            await ws.close()
        ws = await wsopen()
        try:
            eq(await wauth(ws, ctx.B.key, ctx.B.secret, as_string=True), {"type": "authenticated"},
               "auth (string ts)")
            await wping(ws)
        finally:
            await ws.close()
    arun(body())


@test("on")
def ws_bad_auth_keeps_the_connection(ctx):
    async def body():
        ws = await wsopen()
        try:
            ts = now_ms()
            good = sign(ctx.A.secret, str(ts), "GET", "/v1/ws")
            bad = ("0" if good[0] != "0" else "1") + good[1:]
            for m, code in (
                    ({"op": "auth", "api_key": ctx.A.key, "timestamp": ts, "signature": bad}, "BAD_SIGNATURE"),
                    ({"op": "auth", "api_key": ctx.A.key, "timestamp": ts,
                      "signature": sign(ctx.A.secret, str(ts), "GET", "/v1/ws?x")}, "BAD_SIGNATURE"),
                    ({"op": "auth", "api_key": ctx.A.key, "timestamp": ts - 6000,
                      "signature": sign(ctx.A.secret, str(ts - 6000), "GET", "/v1/ws")}, "STALE_TIMESTAMP"),
                    ({"op": "auth", "api_key": ctx.A.key, "timestamp": ts + 6000,
                      "signature": sign(ctx.A.secret, str(ts + 6000), "GET", "/v1/ws")}, "STALE_TIMESTAMP"),
                    ({"op": "auth", "api_key": "xtk_NOSUCHKEY00000000000000", "timestamp": ts,
                      "signature": good}, "UNKNOWN_API_KEY"),
                    ({"op": "auth", "api_key": "bad.key", "timestamp": ts, "signature": good}, "BAD_API_KEY"),
                    ({"op": "auth", "api_key": ctx.A.key, "timestamp": "12x", "signature": good},
                     "BAD_TIMESTAMP"),
                    ({"op": "auth", "api_key": ctx.A.key, "timestamp": ts}, "MISSING_FIELD"),
                    ({"op": "auth", "api_key": 5, "timestamp": ts, "signature": good}, "INVALID_FIELD")):
                await wexpect_error(ws, m, code)
                await wping(ws, "an error " + code)
            # still usable: a good auth now works
            eq(await wauth(ws, ctx.A.key, ctx.A.secret), {"type": "authenticated"}, "auth after errors")
        finally:
            await ws.close()
    arun(body())


@test("on")
def ws_ping_pong(ctx):
    async def body():
        ws = await wsopen()
        try:
            await wsend(ws, {"op": "ping"})
            m = await wrecv(ws, 5, "pong")
            eq(sorted(m), ["ts", "type"], "pong keys")
            eq(m["type"], "pong", "type")
            check(type(m["ts"]) is int and abs(m["ts"] - now_ms()) < 5000, "ts %r" % m["ts"])
        finally:
            await ws.close()
    arun(body())


@test("on")
def ws_bad_messages_get_error_frames(ctx):
    async def body():
        ws = await wsopen()
        m = ctx.main
        try:
            for msg, code in (
                    ("not json", "INVALID_JSON"), ('{"op":"ping"', "INVALID_JSON"),
                    ('{"op":"ping","op":"ping"}', "INVALID_JSON"), ('[[[[[["x"]]]]]]', "INVALID_JSON"),
                    ("[1]", "INVALID_MESSAGE"), ('"ping"', "INVALID_MESSAGE"),
                    ("{}", "MISSING_FIELD"), ({"op": "subscribe"}, "MISSING_FIELD"),
                    ({"op": "dance"}, "UNKNOWN_OP"), ({"op": "PING"}, "UNKNOWN_OP"), ({"op": 1}, "UNKNOWN_OP"),
                    ({"op": "ping", "x": 1}, "UNKNOWN_FIELD"),
                    ({"op": "subscribe", "channels": ["orderbook.%s" % m], "x": 1}, "UNKNOWN_FIELD"),
                    ({"op": "subscribe", "channels": []}, "INVALID_CHANNEL"),
                    ({"op": "subscribe", "channels": "orderbook.%s" % m}, "INVALID_CHANNEL"),
                    ({"op": "subscribe", "channels": ["nope.%s" % m]}, "INVALID_CHANNEL"),
                    ({"op": "subscribe", "channels": ["Orderbook.%s" % m]}, "INVALID_CHANNEL"),
                    ({"op": "subscribe", "channels": [5]}, "INVALID_CHANNEL"),
                    ({"op": "subscribe", "channels": ["orderbook.%s" % m, "orderbook.%s" % m]}, "INVALID_CHANNEL"),
                    ({"op": "unsubscribe", "channels": ["bogus"]}, "INVALID_CHANNEL"),
                    ({"op": "subscribe", "channels": ["orderbook.%s" % ctx.unknown_symbol]}, "UNKNOWN_SYMBOL"),
                    ({"op": "subscribe", "channels": ["trades.%s" % m.lower()]}, "UNKNOWN_SYMBOL"),
                    ({"op": "subscribe", "channels": ["x%d" % i for i in range(17)]}, "TOO_MANY_CHANNELS"),
                    (json.dumps({"op": "ping", "pad": "x" * 5000}), "MESSAGE_TOO_LARGE")):
                await wexpect_error(ws, msg, code)
            await wping(ws, "all the bad messages")
            # a good subscribe still works and the bad ones subscribed nothing
            await wsend(ws, {"op": "subscribe", "channels": ["trades.%s" % m]})
            eq(await wrecv(ws, 5, "subscribed"), {"type": "subscribed", "channels": ["trades.%s" % m]},
               "subscribe answer")
            await wsend(ws, {"op": "unsubscribe", "channels": ["trades.%s" % m]})
            eq(await wrecv(ws, 5, "unsubscribed"), {"type": "unsubscribed", "channels": ["trades.%s" % m]},
               "unsubscribe answer")
        finally:
            await ws.close()
    arun(body())


@test("on")
def ws_executions_channel_needs_auth(ctx):
    async def body():
        ws = await wsopen()
        try:
            await wexpect_error(ws, {"op": "subscribe", "channels": ["executions"]}, "NOT_AUTHENTICATED")
            eq(await wauth(ws, ctx.A.key, ctx.A.secret), {"type": "authenticated"}, "auth")
            await wsend(ws, {"op": "subscribe", "channels": ["executions"]})
            eq(await wrecv(ws, 5, "subscribed"), {"type": "subscribed", "channels": ["executions"]},
               "subscribe executions after auth")
        finally:
            await ws.close()
    arun(body())


@test("on")
def ws_executions_go_to_their_own_account(ctx):
    async def body():
        clear_book(ctx.main)
        wa, wb, wn = await wsopen(), await wsopen(), await wsopen()
        try:
            eq(await wauth(wa, ctx.A.key, ctx.A.secret), {"type": "authenticated"}, "A auth")
            eq(await wauth(wb, ctx.B.key, ctx.B.secret), {"type": "authenticated"}, "B auth")
            b_id = await asyncio.to_thread(place, ctx.B, ctx.main, "Sell", 50000000, "0.002",
                                           "order accepted: Pending")
            a_id = await asyncio.to_thread(place, ctx.A, ctx.main, "Buy", 50000000, "0.001",
                                           "order accepted: Filled")
            tr = [t for t in sql_trades(ctx.main) if t["taker_order_id"] == a_id]
            eq(len(tr), 1, "SQL trades of A's order")
            tr = tr[0]
            ma = await wexpect(wa, lambda m: m.get("type") == "Execution", "A's Execution")
            mb = await wexpect(wb, lambda m: m.get("type") == "Execution", "B's Execution")
            for m, who in ((ma, "A"), (mb, "B")):
                eq(sorted(m), ["execution_report", "order_status", "type"], "%s: keys" % who)
                eq(sorted(m["execution_report"]),
                   sorted(["order_id", "execution_id", "symbol", "side", "price", "quantity",
                           "remaining_quantity", "role", "seq", "ts"]), "%s: report keys" % who)
                check(type(m["execution_report"]["ts"]) is int
                      and abs(m["execution_report"]["ts"] - now_ms()) < 60000,
                      "%s: ts %r" % (who, m["execution_report"]["ts"]))
            ra = dict(ma["execution_report"])
            rb = dict(mb["execution_report"])
            check(type(ra["order_id"]) is int and ra["order_id"] == a_id,
                  "A's report order_id %r === %r" % (ra["order_id"], a_id))
            ra.pop("ts")
            rb.pop("ts")
            eq(ra, {"order_id": a_id, "execution_id": tr["trade_id"], "symbol": ctx.main, "side": "Buy",
                    "price": "50000000", "quantity": "0.001", "remaining_quantity": "0", "role": "taker",
                    "seq": tr["seq"]}, "A's report")
            eq(ma["order_status"], "Filled", "A's order_status")
            eq(rb, {"order_id": b_id, "execution_id": tr["trade_id"], "symbol": ctx.main, "side": "Sell",
                    "price": "50000000", "quantity": "0.001", "remaining_quantity": "0.001", "role": "maker",
                    "seq": tr["seq"]}, "B's report")
            eq(mb["order_status"], "PartiallyFilled", "B's order_status")
            extra_a = executions(await wdrain(wa, 0.7))
            extra_b = executions(await wdrain(wb, 0.1))
            extra_n = executions(await wdrain(wn, 0.1))
            eq(extra_a, [], "further Executions on A's connection (B's report must not come)")
            eq(extra_b, [], "further Executions on B's connection")
            eq(extra_n, [], "Executions on a connection without auth")
            # the REST view agrees
            await asyncio.to_thread(check_order, ctx.A, a_id, status="Filled")
            await asyncio.to_thread(check_order, ctx.B, b_id, status="PartiallyFilled",
                                    remaining_quantity="0.001")
        finally:
            for w in (wa, wb, wn):
                await w.close()
        clear_book(ctx.main)
    arun(body())


# ==== auth on: market data streams ===========================================================

def _random_orders(ctx, sym, n, seed, errors, stats):
    """n random REST orders on sym from A and B around MID: limits on both sides (some crossing),
    a few IOC and market orders, and cancels of earlier ones."""
    rnd = random.Random(seed)
    mine = {"A": [], "B": []}
    for i in range(n):
        who = rnd.choice("AB")
        api = ctx.A if who == "A" else ctx.B
        try:
            if mine[who] and rnd.random() < 0.15:
                oid = mine[who].pop(rnd.randrange(len(mine[who])))
                r = api.delete("/v1/order/%d" % oid)
                if r.status_code == 200:
                    stats["cancels"] += 1
                elif r.status_code == 409 and r.json().get("error") == "ORDER_NOT_OPEN":
                    stats["cancels_late"] += 1
                else:
                    errors.append("DELETE %d: HTTP %d %s" % (oid, r.status_code, r.text[:200]))
                continue
            side = rnd.choice(("Buy", "Sell"))
            k = rnd.randint(-12, 4) if side == "Buy" else rnd.randint(-4, 12)
            price = MID + k * TICK
            qty = "%s" % (Decimal(rnd.randint(1, 60)) / 10000)
            kind = rnd.random()
            if kind < 0.05:
                body = order_body(sym, side, None, Raw(qty), order_type="Market")
            elif kind < 0.15:
                body = order_body(sym, side, Raw(str(price)), Raw(qty), time_in_force="IOC")
            else:
                body = order_body(sym, side, Raw(str(price)), Raw(qty))
            r = api.post_order(body)
            if r.status_code != 200:
                errors.append("POST %s: HTTP %d %s" % (jtext(body), r.status_code, r.text[:200]))
                continue
            b = r.json()
            stats["orders"] += 1
            if b.get("message") in ("order accepted: Pending", "order accepted: PartiallyFilled"):
                mine[who].append(b["order_id"])
        except Exception as e:      # noqa: BLE001
            errors.append("%s: %s" % (type(e).__name__, e))
        if len(errors) > 20:
            return


@test("on")
def ws_orderbook_trades_and_ticker_streams(ctx):
    sym = ctx.book
    seed = int(os.environ.get("XT_E2E_SEED") or ctx.st["seed"])
    print("# random orders on %s with seed %d" % (sym, seed))
    errors = []
    problems = []
    stats = {"orders": 0, "cancels": 0, "cancels_late": 0, "updates": 0, "tickers": 0}

    # a book to start from: bids below, asks above the mid, nothing crossing
    for i in range(1, 6):
        place(ctx.A, sym, "Buy", MID - i * TICK, "0.00%d" % i, "order accepted: Pending")
        place(ctx.B, sym, "Sell", MID + i * TICK, "0.00%d" % i, "order accepted: Pending")

    async def body():
        wb = await wsopen()
        wt = await wsopen()
        try:
            rb0 = rest_book(sym, 500)
            await wsend(wb, {"op": "subscribe", "channels": ["orderbook.%s" % sym]})
            eq(await wrecv(wb, 5, "subscribed"), {"type": "subscribed", "channels": ["orderbook.%s" % sym]},
               "orderbook subscribe answer")
            snap = await wrecv(wb, 5, "the orderbook snapshot")
            eq(sorted(snap), ["asks", "bids", "seq", "symbol", "type"], "snapshot keys")
            eq((snap["type"], snap["symbol"]), ("orderbook_snapshot", sym), "snapshot type/symbol")
            check(type(snap["seq"]) is int, "snapshot seq %r" % snap["seq"])
            want_bids = [[canon(MID - i * TICK), "0.00%d" % i] for i in range(1, 6)]
            want_asks = [[canon(MID + i * TICK), "0.00%d" % i] for i in range(1, 6)]
            eq((snap["bids"], snap["asks"]), (want_bids, want_asks), "snapshot levels, best first")
            eq((rb0["bids"], rb0["asks"]), (want_bids, want_asks), "REST book before")
            eq(snap["seq"], rb0["seq"], "snapshot seq = REST orderbook seq")

            await wsend(wt, {"op": "subscribe", "channels": ["trades.%s" % sym, "ticker.%s" % sym]})
            eq(await wrecv(wt, 5, "subscribed"),
               {"type": "subscribed", "channels": ["trades.%s" % sym, "ticker.%s" % sym]},
               "trades/ticker subscribe answer")
            tk = await wrecv(wt, 3, "a ticker right after subscribing")
            eq(sorted(tk), ["best_ask", "best_bid", "last_price", "seq", "symbol", "ts", "type", "volume_24h"],
               "ticker keys")
            check(type(tk["seq"]) is int and type(tk["ts"]) is int, "ticker seq/ts %r" % tk)
            eq({k: tk[k] for k in ("type", "symbol", "last_price", "best_bid", "best_ask", "volume_24h")},
               {"type": "ticker", "symbol": sym, "last_price": None, "best_bid": canon(MID - TICK),
                "best_ask": canon(MID + TICK), "volume_24h": "0"}, "first ticker")

            book = {"bids": {p: q for p, q in snap["bids"]}, "asks": {p: q for p, q in snap["asks"]}}
            state = {"seq": snap["seq"]}
            trades = []

            finished = {}

            def done_at(task):
                return finished.setdefault("t", time.monotonic())

            submit = asyncio.ensure_future(asyncio.to_thread(_random_orders, ctx, sym, 200, seed, errors, stats))

            async def read_book():
                hard = time.monotonic() + 90
                last = time.monotonic()
                while time.monotonic() < hard:
                    try:
                        raw = await asyncio.wait_for(wb.recv(), 0.25)
                        last = time.monotonic()
                    except asyncio.TimeoutError:
                        # quiet for a second after the last order: the stream is complete
                        if submit.done() and time.monotonic() - max(last, done_at(submit)) >= 1.0:
                            return
                        continue
                    m = json.loads(raw)
                    if m.get("type") != "orderbook_update" or m.get("symbol") != sym:
                        problems.append("unexpected on the orderbook channel: %s" % short(m, 200))
                        continue
                    stats["updates"] += 1
                    if m.get("seq") != state["seq"] + 1:
                        problems.append("seq gap: %s after %s" % (m.get("seq"), state["seq"]))
                    state["seq"] = m.get("seq")
                    if sorted(m) != ["asks", "bids", "seq", "symbol", "type"]:
                        problems.append("update keys %s" % sorted(m))
                    for side in ("bids", "asks"):
                        for p, q in m.get(side, []):
                            if p != canon(p) or q != canon(q):
                                problems.append("non-canonical level %r" % ([p, q],))
                            if q == "0":
                                if p not in book[side]:
                                    problems.append("seq %s removes %s level %s that is not there"
                                                    % (m["seq"], side, p))
                                book[side].pop(p, None)
                            else:
                                book[side][p] = q
                problems.append("the orderbook channel never went quiet")

            async def read_trades():
                hard = time.monotonic() + 90
                last = time.monotonic()
                while time.monotonic() < hard:
                    try:
                        raw = await asyncio.wait_for(wt.recv(), 0.25)
                        last = time.monotonic()
                    except asyncio.TimeoutError:
                        # quiet for a second after the last order: the stream is complete
                        if submit.done() and time.monotonic() - max(last, done_at(submit)) >= 1.0:
                            return
                        continue
                    m = json.loads(raw)
                    if m.get("type") == "trade":
                        trades.append(m)
                    elif m.get("type") == "ticker" and m.get("symbol") == sym:
                        stats["tickers"] += 1
                        state["ticker"] = m
                    else:
                        problems.append("unexpected on trades/ticker: %s" % short(m, 200))

            await asyncio.gather(read_book(), read_trades())
            await submit
            check(not errors, "REST errors during the random orders: %s" % errors[:5])
            check(not problems, "stream problems: %s" % problems[:8])
            check(stats["updates"] > 50, "only %d book updates" % stats["updates"])

            # the rebuilt book = REST = SQL
            rb = rest_book(sym, 500)
            bids = sorted(([p, q] for p, q in book["bids"].items()), key=lambda x: -Decimal(x[0]))
            asks = sorted(([p, q] for p, q in book["asks"].items()), key=lambda x: Decimal(x[0]))
            sb, sa = sql_book(sym, 1000)
            eq((rb["bids"], rb["asks"]), (sb, sa), "REST book vs SQL xt_order_book")
            eq((bids, asks), (sb, sa), "book rebuilt from snapshot + updates vs SQL xt_order_book")
            eq(rb["seq"], state["seq"], "REST orderbook seq vs the last update's seq")
            check(not bids or not asks or Decimal(bids[0][0]) < Decimal(asks[0][0]), "crossed book")

            # every trade, in order, as SQL has it; REST newest first
            st = sql_trades(sym)
            check(len(st) > 5, "only %d trades happened" % len(st))
            got = [{k: t.get(k) for k in ("trade_id", "price", "quantity", "taker_side", "seq")} for t in trades]
            want = [{k: t[k] for k in ("trade_id", "price", "quantity", "taker_side", "seq")} for t in st]
            eq(got, want, "trades channel vs SQL xt_executions")
            for t in trades:
                eq(sorted(t), ["price", "quantity", "seq", "symbol", "taker_side", "trade_id", "ts", "type"],
                   "trade message keys")
                check(type(t["ts"]) is int, "trade ts %r" % t["ts"])
            # the last ticker tells the final state (a change is sent at most 100 ms late)
            tk = state.get("ticker", tk)
            eq({k: tk[k] for k in ("last_price", "best_bid", "best_ask", "volume_24h")},
               {"last_price": st[-1]["price"], "best_bid": bids[0][0] if bids else None,
                "best_ask": asks[0][0] if asks else None,
                "volume_24h": canon(sum(Decimal(t["quantity"]) for t in st))},
               "the last ticker vs the final book and trades")
            rt = expect(Api().get("/v1/trades/%s?limit=1000" % sym), 200, "REST trades")
            eq([{k: t[k] for k in ("trade_id", "price", "quantity", "taker_side", "seq")} for t in rt["trades"]],
               list(reversed(want)), "REST trades vs SQL, newest first")
            ctx.shared["trade_ts"] = ([(t["trade_id"], t["ts"]) for t in rt["trades"]],
                                      [(t["trade_id"], t["ts"]) for t in reversed(trades)])
        finally:
            await wb.close()
            await wt.close()

    arun(body())
    print("# %(orders)d orders, %(cancels)d cancels (%(cancels_late)d too late), %(updates)d book updates, "
          "%(tickers)d tickers" % stats)


@test("on")
def trade_ts_is_the_same_in_rest_and_ws(ctx):
    check("trade_ts" in ctx.shared, "the stream test did not get that far")
    rest, ws = ctx.shared["trade_ts"]
    diff = [(r, w) for r, w in zip(rest, ws) if r != w]
    check(not diff, "%d of %d trades have another ts on REST /v1/trades than in the WS trade message "
          "((trade_id, REST ts), (trade_id, WS ts)): %s" % (len(diff), len(rest), short(diff[:5])))


# ==== auth off ===============================================================================

@test("off")
def off_post_without_headers(ctx):
    clear_book(ctx.off)
    r = ctx.anon.post_order('{"symbol":"%s","side":"Buy","order_type":"Limit","price":40000000,'
                            '"quantity":0.001}' % ctx.off)
    b = expect_accepted(r, "POST without headers", "order accepted: Pending")
    acct = sql1("SELECT r.rolname FROM xtrader.orders o JOIN pg_roles r ON r.oid = o.account "
                "WHERE o.order_id = %s", (b["order_id"],))
    eq(acct and acct[0], ctx.st["bootstrap"], "the order's account (the bootstrap superuser)")
    g = expect(ctx.anon.get("/v1/order/%d" % b["order_id"]), 200, "GET without headers")
    eq(g, sql_order(b["order_id"]), "REST view vs SQL")
    d = expect(ctx.anon.delete("/v1/order/%d" % b["order_id"]), 200, "DELETE without headers")
    eq(d, {"order_id": b["order_id"], "status": "CANCELLED", "message": "order cancelled"}, "DELETE body")
    # signed requests still work with auth off
    place(ctx.A, ctx.off, "Buy", 30000000, "0.001", "order accepted: Pending")
    clear_book(ctx.off)


@test("off")
def off_ws_receives_every_accounts_executions(ctx):
    async def body():
        clear_book(ctx.off)
        ws = await wsopen()
        try:
            await wping(ws, "connect")
            # trade 1: B rests (SQL), the bootstrap account takes it (REST, no headers)
            b_id, _ = sql_submit(ctx.off, "Sell", 50000000, "0.001", ROLE_B)
            r = await asyncio.to_thread(ctx.anon.post_order,
                                        order_body(ctx.off, "Buy", Raw("50000000"), Raw("0.001")))
            t_id = expect_accepted(r, "REST buy", "order accepted: Filled")["order_id"]
            # trade 2: A rests, B takes, both through SQL
            a_id, _ = sql_submit(ctx.off, "Sell", 51000000, "0.002", ROLE_A)
            b2_id, msg = sql_submit(ctx.off, "Buy", 51000000, "0.002", ROLE_B)
            eq(msg, "order accepted: Filled", "B's buy")
            got = []
            deadline = time.monotonic() + 5
            mine = lambda ms: [m for m in executions(ms) if m["execution_report"].get("symbol") == ctx.off]
            while len(got) < 4 and time.monotonic() < deadline:
                got += mine(await wdrain(ws, 0.2))
            got += mine(await wdrain(ws, 0.5))
            seen = sorted((m["execution_report"]["order_id"], m["execution_report"]["role"], m["order_status"])
                          for m in got)
            eq(seen, sorted([(b_id, "maker", "Filled"), (t_id, "taker", "Filled"),
                             (a_id, "maker", "Filled"), (b2_id, "taker", "Filled")]),
               "Executions on an unauthenticated connection")
            for m in got:
                check(type(m["execution_report"]["order_id"]) is int, "order_id type")
            # the executions channel needs no auth when auth is off
            await wsend(ws, {"op": "subscribe", "channels": ["executions"]})
            eq(await wexpect(ws, lambda m: m.get("type") != "Execution", "subscribe answer"),
               {"type": "subscribed", "channels": ["executions"]}, "subscribe executions with auth off")
        finally:
            await ws.close()
        clear_book(ctx.off)
    arun(body())


# ==== main ===================================================================================

def load(path):
    with open(path) as f:
        return json.load(f)


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "wait-health":
        try:
            r = wait_health(30)
            print("ok - the server answers GET /health: %s" % r.text.strip())
            return 0
        except Failure as e:
            print("not ok - the server answers GET /health: %s" % e)
            return 1
    if cmd == "wait-auth":
        try:
            wait_auth(argv[2])
            print("ok - the server applies xtrader.rest_auth = %s after pg_reload_conf()" % argv[2])
            return 0
        except Failure as e:
            print("not ok - the server applies xtrader.rest_auth = %s: %s" % (argv[2], e))
            return 1
    if cmd == "setup":
        try:
            st = setup(argv[2])
            wait_ready_for_run(st)
            print("ok - setup: roles %s, %s; symbols %s; 4 API keys known to the server"
                  % (ROLE_A, ROLE_B, ", ".join(st["symbols"].values())))
            return 0
        except Exception as e:      # noqa: BLE001
            print("not ok - setup: %s: %s" % (type(e).__name__, one_line(str(e))))
            for line in traceback.format_exc().splitlines():
                print("# " + line)
            return 1
    if cmd in ("auth-on", "auth-off"):
        ctx = Ctx(load(argv[2]))
        p, f = run_phase(cmd.split("-")[1], ctx)
        return 1 if f else 0
    if cmd == "flow-prep":
        ctx = Ctx(load(argv[2]))
        clear_book(ctx.off)
        oid, msg = sql_submit(ctx.off, "Sell", 50000000, "0.001", ROLE_B)
        if msg != "order accepted: Pending":
            print("flow-prep: the resting sell was not resting: %s" % msg, file=sys.stderr)
            return 1
        print(ctx.off)
        return 0
    if cmd == "flow-check":
        # after the flow client: the book is empty again and its order is Filled in SQL
        ctx = Ctx(load(argv[2]))
        bids, asks = sql_book(ctx.off)
        print("# %s book after the flow client: bids %s asks %s" % (ctx.off, bids, asks))
        return 0 if not bids and not asks else 1
    if cmd == "cleanup":
        st = load(argv[2])
        for key, _ in st["keys"].values():
            sql("SELECT xtrader.xt_revoke_api_key(%s)", (key,))
        for sym in st["symbols"].values():
            clear_book(sym)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
