#!/usr/bin/python3
"""
gw_test.py: the checks of test/gateway/run.sh against running xtrader-ws-gateway processes.

Needs: the gateways already started on GW_PORTS (run.sh does it), the publisher helper
build/gateway/gw_publish, Debian's python3-websockets (10.x asyncio client).
Prints TAP-like "ok N - ..." / "not ok N - ..." lines and "N passed, N failed"; exit 1 on failure.
"""
import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import websockets

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PORTS = [int(p) for p in os.environ.get("GW_PORTS", "17601 17602 17603").split()]
AMQP = os.environ.get("GW_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
EXCHANGE = os.environ.get("GW_EXCHANGE", "market-notifications")
N = int(os.environ.get("GW_N", "500"))
M = int(os.environ.get("GW_N_AFTER", "100"))
CLIENTS = int(os.environ.get("GW_CLIENTS", "2"))  # per gateway
RESTART = os.environ.get("GW_RESTART", "1") == "1"
PUBLISH = os.environ.get("GW_PUBLISH_BIN", os.path.join(ROOT, "build/gateway/gw_publish"))
WORK = os.environ.get("GW_WORK", "/tmp")
SYMBOL = "BTC-KRW"

passed = 0
failed = 0
num = int(os.environ.get("GW_TAP_FIRST", "0"))


def report(ok, what, detail=""):
    global passed, failed, num
    num += 1
    if ok:
        passed += 1
        print(f"ok {num} - {what}", flush=True)
    else:
        failed += 1
        print(f"not ok {num} - {what}" + (f": {detail}" if detail else ""), flush=True)
    return ok


def health(port):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/health", headers={"Connection": "close"})
    try:
        with urllib.request.urlopen(req, timeout=3) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except Exception as e:  # noqa: BLE001
        return 0, str(e)


def wait_health(want, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = [health(p)[0] for p in PORTS]
        if all(s == want for s in st):
            return True, st
        time.sleep(0.2)
    return False, [health(p)[0] for p in PORTS]


def publish(first, n, tag, routing_key=None):
    out = os.path.join(WORK, f"gw_bodies_{tag}.txt")
    r = subprocess.run([PUBLISH, AMQP, EXCHANGE, SYMBOL, str(first), str(n), out]
                       + ([routing_key] if routing_key else []),
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return None, r.stderr.strip()[-300:]
    with open(out, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f], ""


def brokers(cmd):
    r = subprocess.run([os.path.join(ROOT, "scripts/brokers"), cmd, "rabbitmq"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    return r.returncode == 0, (r.stdout + r.stderr).strip()[-300:]


class Client:
    def __init__(self, port, ws):
        self.port = port
        self.ws = ws
        self.executions = []  # raw texts of type Execution
        self.other = asyncio.Queue()
        self.closed = None
        self.task = asyncio.ensure_future(self.reader())

    async def reader(self):
        try:
            async for msg in self.ws:
                try:
                    t = json.loads(msg).get("type")
                except Exception:  # noqa: BLE001
                    t = None
                if t == "Execution":
                    self.executions.append(msg)
                else:
                    await self.other.put(msg)
        except websockets.ConnectionClosed as e:
            self.closed = f"closed {e.code}"
        self.closed = self.closed or "closed"

    async def ask(self, text, timeout=5):
        await self.ws.send(text)
        return json.loads(await asyncio.wait_for(self.other.get(), timeout))


async def wait_count(clients, want, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if all(len(c.executions) >= want for c in clients):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # room for duplicates to show up


def check_stream(clients, expected, what):
    bad = []
    for i, c in enumerate(clients):
        got = c.executions
        if got != expected:
            first_diff = next((k for k in range(min(len(got), len(expected)))
                               if got[k] != expected[k]), min(len(got), len(expected)))
            bad.append(f"client {i} (port {c.port}): {len(got)} messages, want {len(expected)}, "
                       f"first difference at {first_diff}")
    report(not bad, what, "; ".join(bad[:3]))


async def main():
    ok, st = wait_health(200, 20)
    report(ok, f"GET /health is 200 on {len(PORTS)} gateways", f"statuses {st}")
    code, body = health(PORTS[0])
    report(code == 200 and json.loads(body or "{}") == {"status": "ok", "amqp": "connected"},
           "GET /health body is {\"status\":\"ok\",\"amqp\":\"connected\"}", body)

    clients = []
    for p in PORTS:
        for _ in range(CLIENTS):
            ws = await websockets.connect(f"ws://127.0.0.1:{p}/v1/ws", max_size=2 ** 20,
                                          ping_interval=None)
            clients.append(Client(p, ws))
    report(len(clients) == len(PORTS) * CLIENTS, f"{len(clients)} WebSocket clients connected")

    c0 = clients[0]
    r = await c0.ask('{"op":"ping"}')
    report(r.get("type") == "pong" and isinstance(r.get("ts"), int), "ping -> pong", str(r))
    r = await c0.ask('{"op":"dance"}')
    report(r.get("type") == "error" and r.get("error") == "UNKNOWN_OP",
           "unknown op -> error UNKNOWN_OP", str(r))
    r = await c0.ask('not json')
    report(r.get("type") == "error" and r.get("error") == "INVALID_JSON",
           "bad JSON -> error INVALID_JSON", str(r))
    r = await c0.ask('{"op":"subscribe","channels":["executions"]}')
    report(r == {"type": "subscribed", "channels": ["executions"]},
           "subscribe executions -> subscribed", str(r))
    r = await c0.ask('{"op":"subscribe","channels":["trades.BTC-KRW"]}')
    report(r.get("type") == "error" and r.get("error") == "UNSUPPORTED_CHANNEL",
           "subscribe trades.<SYM> -> error UNSUPPORTED_CHANNEL", str(r))
    r = await c0.ask('{"op":"auth","api_key":"k","timestamp":1,"signature":"00"}')
    report(r.get("type") == "error" and r.get("error") == "UNSUPPORTED_OP",
           "auth -> error UNSUPPORTED_OP", str(r))

    # ticker.<SYM>: relayed to the subscribers of that channel only
    r = await c0.ask('{"op":"subscribe","channels":["ticker.BTC-KRW"]}')
    report(r == {"type": "subscribed", "channels": ["ticker.BTC-KRW"]},
           "subscribe ticker.<SYM> -> subscribed", str(r))
    tick, err = publish(1, 1, "t", "ticker.BTC-KRW")
    try:
        got = await asyncio.wait_for(c0.other.get(), 10)
    except asyncio.TimeoutError:
        got = None
    await asyncio.sleep(0.3)
    leaked = [i for i, c in enumerate(clients) if i and not c.other.empty()]
    report(tick is not None and got == tick[0] and not leaked,
           "a ticker.<SYM> message reaches its subscriber only", f"{err} got={got} leaked={leaked}")
    r = await c0.ask('{"op":"unsubscribe","channels":["ticker.BTC-KRW"]}')
    report(r == {"type": "unsubscribed", "channels": ["ticker.BTC-KRW"]},
           "unsubscribe ticker.<SYM> -> unsubscribed", str(r))
    # a later subscriber of any gateway starts with the channel's newest message
    late = clients[-1]
    r = await late.ask('{"op":"subscribe","channels":["ticker.BTC-KRW","orderbook.NONE-KRW"]}')
    try:
        first = await asyncio.wait_for(late.other.get(), 5)
    except asyncio.TimeoutError:
        first = None
    await asyncio.sleep(0.3)
    report(r.get("type") == "subscribed" and tick is not None and first == tick[0]
           and late.other.empty(),
           "a new subscriber gets the newest ticker.<SYM> message at once (nothing for a channel "
           "with no message yet)", f"got={first} more={not late.other.empty()}")
    await late.ask('{"op":"unsubscribe","channels":["ticker.BTC-KRW","orderbook.NONE-KRW"]}')

    t0 = time.time()
    expected, err = publish(2, N, "a")
    if not report(expected is not None, f"published {N} executions (ids 2..{N + 1})", err):
        return
    await wait_count(clients, N, 30)
    check_stream(clients, expected,
                 f"every client of every gateway got all {N} messages once, in order, "
                 f"byte-identical ({time.time() - t0:.2f}s)")
    report(all(c.closed is None for c in clients), "no client was closed",
           str([c.closed for c in clients]))

    if RESTART:
        ok, out = brokers("stop")
        report(ok, "RabbitMQ stopped", out)
        ok, st = wait_health(503, 15)
        report(ok, "GET /health is 503 while RabbitMQ is down", f"statuses {st}")
        ok, out = brokers("start")
        report(ok, "RabbitMQ started again", out)
        ok, st = wait_health(200, 30)
        report(ok, "every gateway reconnected (GET /health 200)", f"statuses {st}")
        report(all(c.closed is None for c in clients),
               "WebSocket clients stayed connected across the RabbitMQ restart",
               str([c.closed for c in clients]))
        more, err = publish(N + 2, M, "b")
        if report(more is not None, f"published {M} executions after the restart", err):
            await wait_count(clients, N + M, 30)
            check_stream(clients, expected + more,
                         f"every client got the {M} later messages once, in order, byte-identical")

    r = await c0.ask('{"op":"ping"}')
    report(r.get("type") == "pong", "ping -> pong at the end", str(r))
    for c in clients:
        await c.ws.close()
    await asyncio.gather(*(c.task for c in clients), return_exceptions=True)


try:
    asyncio.run(asyncio.wait_for(main(), 100))
except Exception as e:  # noqa: BLE001
    report(False, "test driver", repr(e))
if os.environ.get("GW_NO_SUMMARY") != "1":
    print(f"{passed} passed, {failed} failed", flush=True)
sys.exit(1 if failed else 0)
