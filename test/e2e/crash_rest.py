#!/usr/bin/python3
"""test/e2e/crash_rest.py: kill -9 of the postmaster while clients trade over REST and listen on
WebSocket. Nothing answered 200 may be lost, and nothing pushed on WebSocket may be missing from
the tables after recovery (an execution is only pushed once it is durable).

How: two accounts with API keys; 4 REST client threads submit crossing limit orders (signed, on
keep-alive sessions) and record every 200 answer; one WebSocket per account records every
Execution message. After a while the postmaster is killed with SIGKILL (scripts/cluster kill9),
the clients keep trying (and fail: connection refused, never a hang), the cluster is started
again, the clients trade on for a while after /health is 200 again. Then:
  - every order answered ACCEPTED is in xtrader.orders with its symbol, side, price, quantity and
    the account of its key;
  - every Execution received is in xtrader.executions with the same price and quantity, and its
    order id is that execution's taker or maker;
  - trading resumed over REST after the restart, and the WebSocket streams resumed too.

Environment: PG* from `scripts/cluster env` (the cluster it may kill), XT_REST_PORT, XT_WS_PORT,
XT_ROOT. Prints "ok N - ..." / "not ok N - ..." and "N passed, N failed".
"""
import asyncio
import hashlib
import hmac
import json
import os
import random
import subprocess
import sys
import threading
import time

import psycopg2
import requests
import websockets

ROOT = os.environ.get("XT_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
REST = "http://127.0.0.1:%s" % os.environ.get("XT_REST_PORT", "7000")
WS = "ws://127.0.0.1:%s/v1/ws" % os.environ.get("XT_WS_PORT", "7001")
SYMBOL = "CR%04d-KRW" % random.randint(0, 9999)

results = []


def check(ok, name, detail=""):
    results.append(ok)
    print("%s %d - %s%s" % ("ok" if ok else "not ok", len(results), name,
                            "" if ok or not detail else ": " + detail), flush=True)


def db():
    conn = psycopg2.connect("")
    conn.autocommit = True
    return conn


def sign(secret, ts, method, target, body=""):
    return hmac.new(secret.encode(), ("%s%s%s%s" % (ts, method, target, body)).encode(),
                    hashlib.sha256).hexdigest()


def alive(pid):
    """True while pid exists, zombies included: PostgreSQL's lock file check (kill(pid, 0))
    counts a killed postmaster not yet reaped by its adopter as running."""
    return os.path.exists("/proc/%d" % pid)


def server_pids(datadir):
    """The postmaster (from postmaster.pid) and its children now."""
    with open(os.path.join(datadir, "postmaster.pid")) as f:
        pm = int(f.readline())
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pm:
                        kids.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return pm, kids


def wait_health(secs):
    deadline = time.time() + secs
    while time.time() < deadline:
        try:
            if requests.get(REST + "/health", timeout=1).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.1)
    return False


class Shared:
    def __init__(self):
        self.lock = threading.Lock()
        self.acks = []          # (order_id, account role, body dict)
        self.failures = 0
        self.stop = False
        self.phase = "before"
        self.acks_after = 0
        self.execs = []         # (account role, execution_report dict, phase)


def client(sh, idx, keys):
    rnd = random.Random(idx * 7919 + int(time.time()))
    session = requests.Session()
    while not sh.stop:
        role, key, secret = keys[rnd.randrange(len(keys))]
        side = rnd.choice(("Buy", "Sell"))
        price = 50000000 + rnd.randint(-3, 3) * 1000
        body = json.dumps({"symbol": SYMBOL, "side": side, "order_type": "Limit",
                           "price": str(price), "quantity": "0.00%d" % rnd.randint(1, 5)})
        ts = str(int(time.time() * 1000))
        headers = {"X-XT-APIKEY": key, "X-XT-TIMESTAMP": ts,
                   "X-XT-SIGNATURE": sign(secret, ts, "POST", "/v1/order", body)}
        try:
            r = session.post(REST + "/v1/order", data=body, headers=headers, timeout=15)
        except requests.RequestException:
            with sh.lock:
                sh.failures += 1
            session = requests.Session()
            time.sleep(0.05)
            continue
        if r.status_code == 200:
            with sh.lock:
                sh.acks.append((r.json()["order_id"], role, json.loads(body)))
                if sh.phase == "after":
                    sh.acks_after += 1
        else:
            time.sleep(0.01)


async def listen(sh, role, key, secret):
    while not sh.stop:
        try:
            async with websockets.connect(WS, open_timeout=2) as ws:
                ts = int(time.time() * 1000)
                await ws.send(json.dumps({"op": "auth", "api_key": key, "timestamp": ts,
                                          "signature": sign(secret, ts, "GET", "/v1/ws")}))
                while not sh.stop:
                    try:
                        text = await asyncio.wait_for(ws.recv(), 0.5)
                    except asyncio.TimeoutError:
                        continue
                    m = json.loads(text)
                    if m.get("type") == "Execution":
                        with sh.lock:
                            sh.execs.append((role, m["execution_report"], sh.phase))
        except (OSError, websockets.exceptions.WebSocketException, asyncio.TimeoutError):
            await asyncio.sleep(0.1)


def listeners(sh, keys):
    async def main():
        await asyncio.gather(*(listen(sh, *k) for k in keys))
    asyncio.run(main())


def main():
    conn = db()
    cur = conn.cursor()
    keys = []
    for role in ("xt_crash_a", "xt_crash_b"):
        cur.execute("DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) THEN "
                    "EXECUTE format('CREATE ROLE %%I NOLOGIN', %s); END IF; END$$", (role, role))
        cur.execute("GRANT xtrader_trader TO " + role)
        cur.execute("SELECT api_key, secret FROM xtrader.xt_create_api_key(%s)", (role,))
        key, secret = cur.fetchone()
        keys.append((role, key, secret))
    cur.execute("SELECT * FROM xtrader.xt_create_symbol(%s, 1000, 0.001)", (SYMBOL,))
    cur.execute("SELECT oid, rolname FROM pg_roles WHERE rolname IN ('xt_crash_a', 'xt_crash_b')")
    role_oid = {name: oid for oid, name in cur.fetchall()}
    cur.execute("SHOW data_directory")
    datadir = cur.fetchone()[0]
    conn.close()
    check(wait_health(30), "the REST API is up")
    time.sleep(1.2)             # the worker reloads its keys every second

    sh = Shared()
    threading.Thread(target=listeners, args=(sh, keys), daemon=True).start()
    workers = [threading.Thread(target=client, args=(sh, i, keys), daemon=True) for i in range(4)]
    for t in workers:
        t.start()
    time.sleep(4)
    before = len(sh.acks)
    check(before > 50, "orders were acknowledged before the crash", "only %d" % before)

    t0 = time.time()
    old = server_pids(datadir)
    subprocess.run([ROOT + "/scripts/cluster", "kill9"], check=True, stdout=subprocess.DEVNULL)
    # a new postmaster refuses to start while an old process still holds the data directory
    deadline = time.time() + 30
    while time.time() < deadline and any(alive(p) for p in [old[0]] + old[1]):
        time.sleep(0.1)
    check(not any(alive(p) for p in [old[0]] + old[1]),
          "every old server process exited after kill -9 of the postmaster")
    time.sleep(0.5)             # clients meet a dead server for a moment
    with sh.lock:
        sh.phase = "after"
    subprocess.run([ROOT + "/scripts/cluster", "start"], check=True, stdout=subprocess.DEVNULL)
    up = wait_health(60)
    check(up, "the REST API is back after kill -9 and restart", "%.1f s" % (time.time() - t0))
    time.sleep(4)
    sh.stop = True
    for t in workers:
        t.join(20)
    check(not any(t.is_alive() for t in workers), "no REST client hangs")
    check(sh.acks_after > 20, "trading resumed over REST after the restart", "%d acks" % sh.acks_after)
    time.sleep(0.6)

    conn = db()
    cur = conn.cursor()
    cur.execute("SELECT o.order_id, o.account, CASE o.side WHEN 0 THEN 'Buy' ELSE 'Sell' END, "
                "o.price * s.tick_size, o.quantity * s.lot_size "
                "FROM xtrader.orders o JOIN xtrader.symbols s USING (symbol_id) WHERE s.symbol = %s",
                (SYMBOL,))
    rows = {r[0]: r[1:] for r in cur.fetchall()}
    missing, wrong = [], []
    for order_id, role, body in sh.acks:
        row = rows.get(order_id)
        if row is None:
            missing.append(order_id)
        elif (row[0] != role_oid[role] or row[1] != body["side"]
              or row[2] != int(body["price"]) or str(row[3].normalize()) != str(
                  __import__("decimal").Decimal(body["quantity"]).normalize())):
            wrong.append((order_id, row, body))
    check(not missing, "every order answered 200 is in xtrader.orders (%d)" % len(sh.acks),
          "missing %s" % missing[:10])
    check(not wrong, "every acknowledged order has its symbol, side, price, quantity and account",
          repr(wrong[:3]))

    cur.execute("SELECT e.execution_id, e.taker_order_id, e.maker_order_id, e.price * s.tick_size, "
                "e.quantity * s.lot_size FROM xtrader.executions e JOIN xtrader.symbols s "
                "USING (symbol_id) WHERE s.symbol = %s", (SYMBOL,))
    execs = {r[0]: r[1:] for r in cur.fetchall()}
    pushed_missing, pushed_wrong = [], []
    for role, rep, phase in sh.execs:
        row = execs.get(rep["execution_id"])
        if row is None:
            pushed_missing.append(rep["execution_id"])
        elif (rep["order_id"] not in (row[0], row[1])
              or __import__("decimal").Decimal(rep["price"]) != row[2]
              or __import__("decimal").Decimal(rep["quantity"]) != row[3]):
            pushed_wrong.append((rep, row))
    check(len(sh.execs) > 0, "executions were pushed on WebSocket", "none")
    check(not pushed_missing, "every execution pushed on WebSocket is durable (%d pushed)" % len(sh.execs),
          "not in xtrader.executions: %s" % pushed_missing[:10])
    check(not pushed_wrong, "every pushed execution matches its row", repr(pushed_wrong[:2]))
    check(any(p == "after" for _, _, p in sh.execs), "WebSocket streams resumed after the restart")
    conn.close()

    print("%d passed, %d failed" % (results.count(True), results.count(False)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
