#!/usr/bin/python3
"""test/brokers/chaos_pg.py: the phases of test/brokers/chaos_pg.sh (which sets up and cleans up).

A steady order load (LOAD_CLIENTS threads, one connection each, autocommit) trades the run's
symbol through xtrader.xt_submit_order for the whole run: account A sells, account B buys, limit
prices within +-2 ticks of one price, so most orders cross. Meanwhile xtrader.xt_broker_status()
is sampled every 0.5 s and the brokers are broken one at a time:

  baseline          all three workers live and following (cursor advancing, lag small)
  kill/pause NAME   for each broker: scripts/brokers kill NAME, trade until its state is no longer
                    'live' (at least 4 s = 4 health checks at 1 s, at most 12 s), then start it
                    and wait until it replayed everything that was durable when it came back;
                    then the same with pause/resume (SIGSTOP: the broker hangs, connects succeed)
  pg restart        a broker down, trade, scripts/cluster restart, trade, start the broker
  pg kill9          the same with scripts/cluster kill9 + start
  final             stop the load, wait until every cursor is the last message (lag 0), read
                    every broker with build/brokers/broker_dump and compare with
                    xtrader.executions

What is checked (each an "ok N - ..." / "not ok N - ..." line; numbering starts at --tap-start):
the load is accepted in every phase; the faulted broker stops being 'live' and falls behind
(cursor stalled, lag growing) while the other two stay 'live', keep advancing and keep a small lag
(below max(200, 2 s of messages)); after recovery the faulted broker replays the backlog and
follows again; a PostgreSQL restart keeps the confirmed cursor; and in the end each broker holds,
after dedup by id, exactly the ids {2e, 2e+1} of every execution e of the symbol, each body being
the WebSocket Execution message of that side (order_id, side, price, quantity, remaining, role,
seq, status as in the table; JSON keys in the documented order), with the broker-specific
envelope (Redis entry id "<id>-0" field "data"; Kafka key = symbol, header xt-id, ids increasing
per partition; RabbitMQ routing key execution.<SYMBOL>, persistent, application/json, message_id).
Duplicates are allowed (counted and printed) but must carry the same body.

Market data (Kafka beside the executions, RabbitMQ in a second queue bound to orderbook.# and
ticker.#), after dedup on (type, id): one orderbook_snapshot (id 2s) for every command s of the run
that changed the book (every accepted GTC order; an IOC only when it traded) and nothing else; a
ticker (id 2s + 1) for every command that traded, with last_price = its last execution's price and
volume_24h = every execution of the symbol up to s; Kafka and RabbitMQ hold the same messages byte
for byte (two workers with different outages derive them independently from the journal); the
newest book equals xt_order_book() at the end.

Each check is also appended to --results ("ok" / "not ok" per line), so the shell side can count
them even if this process dies. Connection parameters come from the PG* environment.
"""
import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from decimal import Decimal

import psycopg2

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# (scripts/brokers name, xt_broker_status name)
BROKERS = (("redis", "redis"), ("kafka", "kafka"), ("rabbitmq", "amqp"))
STATUS_NAME = dict(BROKERS)
TICK = 1000
BASE_PRICE = 50_000_000
SAMPLE_S = 0.5
CONN_ERRORS = ("57P01", "57P02", "57P03", "08006", "08003", "08001", "08004", "")
MARKET_TYPES = ("orderbook_snapshot", "ticker")
CANON_DEC = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$")


def now():
    return time.monotonic()


# ---- output ----------------------------------------------------------------------------------

class Tap:
    def __init__(self, start, results):
        self.n = start
        self.results = results

    def check(self, cond, label):
        self.n += 1
        word = "ok" if cond else "not ok"
        print("%s %d - %s" % (word, self.n, label), flush=True)
        with open(self.results, "a") as f:
            f.write(word + "\n")
        return cond

    @staticmethod
    def note(text):
        for line in str(text).splitlines() or [""]:
            print("# " + line, flush=True)


# ---- the order load --------------------------------------------------------------------------

class Load:
    def __init__(self, symbol, seller, buyer, clients, seed):
        self.symbol, self.seller, self.buyer = symbol, seller, buyer
        self.lock = threading.Lock()
        self.acks = 0
        self.errors = {"connection": 0, "recovering": 0, "other": 0}
        self.other_examples = []
        self.connect_failures = 0
        self.max_call_s = 0.0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.client, args=(i, seed * 100 + i), daemon=True)
                        for i in range(clients)]

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self, secs=30):
        self.stop.set()
        deadline = now() + secs
        for t in self.threads:
            t.join(max(0.0, deadline - now()))
        return sum(t.is_alive() for t in self.threads)

    def count(self):
        with self.lock:
            return self.acks

    def client(self, idx, seed):
        rnd = random.Random(seed)
        conn = None
        sql = ("SELECT order_id, message FROM xtrader.xt_submit_order("
               "%s, %s, 'Limit', %s::numeric, %s::numeric, %s, NULL, false, %s)")
        while not self.stop.is_set():
            if conn is None:
                try:
                    conn = psycopg2.connect(connect_timeout=5, application_name="xt_chaos_load")
                    conn.autocommit = True
                except psycopg2.Error:
                    with self.lock:
                        self.connect_failures += 1
                    time.sleep(0.1)          # back-off while the server restarts
                    continue
            side = rnd.choice(("Buy", "Sell"))
            account = self.seller if side == "Sell" else self.buyer
            price = str(BASE_PRICE + rnd.randint(-2, 2) * TICK)
            qty = "0.%03d" % rnd.randint(1, 5)
            tif = "IOC" if rnd.random() < 0.2 else "GTC"
            t0 = now()
            try:
                with conn.cursor() as cur:
                    cur.execute(sql, (self.symbol, side, price, qty, tif, account))
                    cur.fetchone()
                with self.lock:
                    self.acks += 1
                    self.max_call_s = max(self.max_call_s, now() - t0)
            except psycopg2.Error as e:
                code = e.pgcode or ""
                if code == "57P03":
                    cls = "recovering"
                elif conn.closed or code in CONN_ERRORS:
                    cls = "connection"
                else:
                    cls = "other"
                with self.lock:
                    self.errors[cls] += 1
                    if cls == "other" and len(self.other_examples) < 3:
                        self.other_examples.append("%s %s" % (code, (str(e).strip().splitlines() or [""])[0]))
                if conn.closed:
                    conn = None
                else:
                    try:
                        conn.rollback()
                    except psycopg2.Error:
                        conn = None
                time.sleep(0.05)
        if conn is not None:
            conn.close()


# ---- the database side -----------------------------------------------------------------------

class Db:
    """One reconnecting connection; query() returns None when the server does not answer."""

    def __init__(self):
        self.conn = None
        self.last_error = ""

    def query(self, sql, args=None):
        for _ in range(2):
            try:
                if self.conn is None or self.conn.closed:
                    self.conn = psycopg2.connect(connect_timeout=3, application_name="xt_chaos_probe")
                    self.conn.autocommit = True
                with self.conn.cursor() as cur:
                    cur.execute(sql, args)
                    cols = [d[0] for d in cur.description]
                    return [dict(zip(cols, r)) for r in cur.fetchall()]
            except psycopg2.Error as e:
                self.last_error = (str(e).strip().splitlines() or [""])[0]
                try:
                    if self.conn is not None:
                        self.conn.close()
                except psycopg2.Error:
                    pass
                self.conn = None
        return None


class Sample:
    def __init__(self, t, top, acks, rows):
        self.t = t
        self.top = top                  # max(execution_id)
        self.acks = acks
        self.by = {r["broker"]: r for r in rows}

    def want(self):
        """The id of the last message that exists: 2 * top + 1 (0 when nothing traded yet)."""
        return 2 * self.top + 1 if self.top else 0

    def get(self, b, key, dflt=None):
        r = self.by.get(b)
        return dflt if r is None or r.get(key) is None else r[key]


def describe(s, b):
    if s is None or b not in s.by:
        return "no status"
    r = s.by[b]
    err = (r.get("last_error") or "").strip()
    return "state %s, cursor %s, lag %s%s" % (r["state"], r["cursor"], r["lag_messages"],
                                              ", last error: " + err[:120] if err else "")


# ---- the suite -------------------------------------------------------------------------------

class Chaos:
    def __init__(self, a):
        self.a = a
        self.tap = Tap(a.tap_start, a.results)
        self.db = Db()
        self.load = Load(a.symbol, a.seller, a.buyer, a.clients, a.seed)
        self.timeline = []              # every sample, for the record
        self.dump_s = 0.0
        self.env_brokers = dict(os.environ, XT_STATE_DIR=a.brokers_state)

    # -- helpers --
    def check(self, cond, label):
        return self.tap.check(cond, label)

    def note(self, text):
        self.tap.note(text)

    def sample(self):
        rows = self.db.query(
            "SELECT (SELECT coalesce(max(execution_id), 0) FROM xtrader.executions) AS xt_top, b.* "
            "FROM xtrader.xt_broker_status() b")
        if rows is None:
            return None
        top = rows[0]["xt_top"] if rows else (self.db.query(
            "SELECT coalesce(max(execution_id), 0) AS top FROM xtrader.executions") or [{"top": 0}])[0]["top"]
        s = Sample(now(), top, self.load.count(), rows)
        self.timeline.append(s)
        return s

    def sample_retry(self, secs=20):
        deadline = now() + secs
        while True:
            s = self.sample()
            if s is not None or now() >= deadline:
                return s
            time.sleep(0.2)

    def brokers(self, *args, timeout=150):
        t0 = now()
        try:
            r = subprocess.run([os.path.join(ROOT, "scripts", "brokers")] + list(args),
                               env=self.env_brokers, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=timeout)
            out, rc = r.stdout.decode(errors="replace").strip(), r.returncode
        except subprocess.TimeoutExpired:
            out, rc = "timed out after %d s" % timeout, 124
        return rc, out.replace("\n", "; ")[-300:], now() - t0

    def cluster(self, *args, timeout=150):
        try:
            r = subprocess.run([os.path.join(ROOT, "scripts", "cluster")] + list(args),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
            return r.returncode, r.stdout.decode(errors="replace").strip()[-400:]
        except subprocess.TimeoutExpired:
            return 124, "timed out after %d s" % timeout

    def wait_ready(self, secs):
        deadline = now() + secs
        while now() < deadline:
            rows = self.db.query("SELECT state FROM xtrader.xt_stats()")
            if rows and rows[0]["state"] == "ready":
                return True
            time.sleep(0.1)
        return False

    def sleep_to(self, t):
        d = t - now()
        if d > 0:
            time.sleep(d)

    def observe(self, secs):
        """Sample every SAMPLE_S for secs; returns the samples (None = no answer)."""
        out = []
        t0 = now()
        k = 1
        while now() - t0 < secs:
            self.sleep_to(t0 + k * SAMPLE_S)
            k += 1
            out.append(self.sample())
        return out

    @staticmethod
    def msg_rate(s0, s1):
        """Messages per second made durable between two samples."""
        if s0 is None or s1 is None or s1.t <= s0.t:
            return 0.0
        return 2.0 * (s1.top - s0.top) / (s1.t - s0.t)

    @staticmethod
    def lag_limit(rate):
        """A following broker's lag must stay below 2 s of messages (and at least 200)."""
        return max(200, int(2 * rate))

    def followers_ok(self, samples, names, limit, label):
        """The brokers in names were live in every sample, under limit, and advanced."""
        good = [s for s in samples if s is not None]
        for b in names:
            states = [s.get(b, "state", "none") for s in good]
            lags = [s.get(b, "lag_messages", 0) for s in good]
            curs = [s.get(b, "cursor", 0) for s in good]
            not_live = sum(1 for st in states if st != "live")
            max_lag = max(lags) if lags else -1
            advanced = len(curs) >= 2 and curs[-1] > curs[0]
            self.check(bool(good) and not_live == 0 and 0 <= max_lag <= limit and advanced,
                       "%s: %s kept following: live in %d/%d samples, max lag %d messages (limit %d), "
                       "cursor %s -> %s" % (label, b, len(good) - not_live, len(good), max_lag, limit,
                                            curs[0] if curs else "?", curs[-1] if curs else "?"))

    def wait_caught_up(self, b, secs):
        """Wait until b is live with cursor >= the last message that existed when this started and
        a lag under the follow limit. Returns (ok, seconds, from_cursor, target, last sample, samples)."""
        t0 = now()
        s = self.sample_retry()
        if s is None:
            return False, 0.0, 0, 0, None, []
        target, start_cur = s.want(), s.get(b, "cursor", 0)
        samples = [s]
        rate_ref = s
        while now() - t0 < secs:
            time.sleep(0.25)
            s = self.sample()
            samples.append(s)
            if s is None:
                continue
            limit = self.lag_limit(self.msg_rate(rate_ref, s)) if s.t - rate_ref.t > 1 else 200
            if (s.get(b, "state") == "live" and s.get(b, "cursor", 0) >= target
                    and s.get(b, "lag_messages", 0) <= limit):
                return True, now() - t0, start_cur, target, s, samples
        return False, now() - t0, start_cur, target, samples[-1], samples

    # -- phases --
    def phase_baseline(self):
        self.note("phase: baseline (all three brokers up)")
        deadline = now() + 40
        s = None
        while now() < deadline:
            s = self.sample()
            if s is not None and all(s.get(b, "state") == "live" for _, b in BROKERS):
                break
            time.sleep(0.25)
        self.check(s is not None and sorted(s.by) == sorted(b for _, b in BROKERS),
                   "xt_broker_status() has one row per configured broker (%s)" % (
                       ", ".join(sorted(s.by)) if s else "no answer: " + self.db.last_error))
        ok = s is not None and all(s.get(b, "state") == "live" for _, b in BROKERS)
        self.check(ok, "baseline: all three workers are live before the load (%s)" % "; ".join(
            "%s %s" % (b, describe(s, b)) for _, b in BROKERS))
        if not ok:
            return False
        self.load.start()
        a0 = self.load.count()
        s0 = self.sample()
        samples = self.observe(3.0)
        s1 = next((x for x in reversed(samples) if x is not None), None)
        rate = self.msg_rate(s0, s1)
        self.check(self.load.count() - a0 > 0,
                   "baseline: the load is accepted (%d orders in 3 s, %.0f messages/s to publish)"
                   % (self.load.count() - a0, rate))
        self.followers_ok(samples, [b for _, b in BROKERS], self.lag_limit(rate), "baseline")
        return True

    def phase_fault(self, name, mode):
        b = STATUS_NAME[name]
        others = [o for _, o in BROKERS if o != b]
        label = "%s %s" % (mode, name)
        self.note("phase: %s (%s) under load" % (label, "SIGKILL" if mode == "kill" else "SIGSTOP, a hang"))
        s0 = self.sample_retry()
        a0 = self.load.count()
        rc, out, dt = self.brokers(mode, name)
        t0 = now()
        self.check(rc == 0, "%s: scripts/brokers %s %s (%s)" % (label, mode, name, out))
        samples = []
        nonlive_at = None
        nonlive_state = ""
        # at least 4 s (4 health checks); a hang is noticed only when the worker's I/O timeout
        # (5 s) expires, so go on until 2 s after it noticed, 14 s at most
        min_s, max_s, after_s = 4.0, 14.0, 2.0
        k = 1
        while True:
            self.sleep_to(t0 + k * SAMPLE_S)
            k += 1
            s = self.sample()
            samples.append(s)
            if s is not None and s.get(b, "state") != "live" and nonlive_at is None:
                nonlive_at, nonlive_state = now() - t0, s.get(b, "state")
            el = now() - t0
            if el >= max_s or (el >= min_s and nonlive_at is not None and el - nonlive_at >= after_s):
                break
        good = [s for s in samples if s is not None]
        s1 = good[-1] if good else None
        acks = self.load.count() - a0
        rate = self.msg_rate(s0, s1)
        self.check(acks > 0, "%s: the load kept being accepted (%d orders in %.1f s)" % (label, acks, now() - t0))
        self.check(nonlive_at is not None,
                   "%s: its worker noticed: state '%s' after %.1f s (%s)" % (
                       label, nonlive_state or (s1.get(b, "state") if s1 else "?"),
                       nonlive_at if nonlive_at is not None else now() - t0, describe(s1, b)))
        # The batch in flight at the fault may still move the cursor over what the broker
        # confirmed before it died or froze (a hang: when the I/O timeout ends the wait); once
        # the worker reports the broker down, the cursor must not move and the lag must grow.
        down = [s for s in good if nonlive_at is not None and s.t - t0 >= nonlive_at - 0.01]
        if len(down) >= 2:
            c_a, c_b = down[0].get(b, "cursor", 0), down[-1].get(b, "cursor", 0)
            l_a, l_b = down[0].get(b, "lag_messages", 0), down[-1].get(b, "lag_messages", 0)
            moved = c_a - (s0.get(b, "cursor", 0) if s0 else 0)
            self.check(all(s.get(b, "cursor", 0) == c_a for s in down) and l_b > l_a,
                       "%s: it fell behind: cursor stalled at %s over the %.1f s it was reported down "
                       "(%s at the end; it had moved %d since the fault), lag grew %s -> %s messages"
                       % (label, c_a, down[-1].t - down[0].t, c_b, moved, l_a, l_b))
        else:
            self.check(False, "%s: it fell behind (too few status samples while down: %d)" % (label, len(down)))
        self.followers_ok(samples, others, self.lag_limit(rate), label)

        m = self.metrics()
        lbl = '{broker="%s"}' % b
        want = {"xtrader_broker_up": lambda v: v == 0, "xtrader_broker_lag_messages": lambda v: v > 0,
                "xtrader_broker_lag_seconds": lambda v: v > 0}
        if b != "redis":
            want["xtrader_broker_market_lag_commands"] = lambda v: v > 0
        got = {k: m.get(k + lbl) for k in want}
        self.check(all(got[k] is not None and f(got[k]) for k, f in want.items()),
                   "%s: /metrics shows it down and behind: %s" % (
                       label, ", ".join("%s %s" % (k[len("xtrader_broker_"):], got[k]) for k in want)))

        back = "start" if mode == "kill" else "resume"
        down_cur = s1.get(b, "cursor", 0) if s1 else 0
        t_cmd = now()
        rc, out, dt = self.brokers(back, name)
        self.check(rc == 0, "%s: scripts/brokers %s %s (%.1f s: %s)" % (label, back, name, dt, out))
        ok, secs, from_cur, target, last, samples2 = self.wait_caught_up(b, self.a.catchup_timeout)
        self.check(ok, "%s: after the %s it replayed its backlog and follows again: cursor %s while down, "
                   "%s when %s returned, then past message %s (the last one durable then) %.1f s "
                   "later (%.1f s after the %s began); %s" % (
                       label, back, down_cur, from_cur, back, target, secs, now() - t_cmd, back,
                       describe(last, b)))
        good2 = [s for s in samples2 if s is not None]
        if len(good2) >= 2:
            self.followers_ok(good2, others, self.lag_limit(self.msg_rate(good2[0], good2[-1])),
                              label + ", during the replay")
        return ok

    def postmaster_pids(self):
        rows = self.db.query("SELECT current_setting('data_directory') AS d")
        if not rows:
            return None, []
        try:
            with open(os.path.join(rows[0]["d"], "postmaster.pid")) as f:
                pm = int(f.readline())
        except (OSError, ValueError):
            return None, []
        kids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    stat = f.read()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pm:
                    kids.append(int(d))
            except (OSError, ValueError, IndexError):
                continue
        return pm, kids

    @staticmethod
    def alive(pid):
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True

    @staticmethod
    def cmdline(pid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            return "?"

    def phase_pg(self, name, how):
        b = STATUS_NAME[name]
        others = [o for _, o in BROKERS if o != b]
        label = "%s with %s down" % ("PostgreSQL restart" if how == "restart" else "PostgreSQL kill -9", name)
        self.note("phase: %s" % label)
        rc, out, _ = self.brokers("kill", name)
        self.check(rc == 0, "%s: scripts/brokers kill %s (%s)" % (label, name, out))
        a0 = self.load.count()
        t_kill = now()
        samples = self.observe(3.0)
        s_before = next((x for x in reversed(samples) if x is not None), None)
        # a batch in flight when the broker died ends within the worker's I/O timeout (5 s)
        while (s_before is None or s_before.get(b, "state") == "live") and now() - t_kill < 8.0:
            s_before = self.sample() or s_before
            time.sleep(SAMPLE_S)
        self.check(self.load.count() - a0 > 0 and s_before is not None and s_before.get(b, "state") != "live",
                   "%s: trading with %s down (%d orders in %.1f s; %s)" % (
                       label, name, self.load.count() - a0, now() - t_kill, describe(s_before, b)))
        cur_before = s_before.get(b, "cursor", 0) if s_before else 0
        t0 = now()
        if how == "restart":
            rc, out = self.cluster("restart")
            self.check(rc == 0, "%s: scripts/cluster restart under load (%.1f s%s)" % (
                label, now() - t0, ": " + out if rc else ""))
        else:
            pm, kids = self.postmaster_pids()
            rc, out = self.cluster("kill9")
            gone = False
            deadline = now() + 30
            while now() < deadline and pm is not None:
                if not any(self.alive(p) for p in kids + [pm]):
                    gone = True
                    break
                time.sleep(0.1)
            left = [p for p in kids + ([pm] if pm else []) if self.alive(p)]
            self.check(pm is not None and rc == 0 and gone,
                       "%s: scripts/cluster kill9 under load, every old server process exited "
                       "(%.1f s; %d were running%s)" % (
                           label, now() - t0, len(kids) + 1,
                           "; still alive: " + ", ".join("%d %s" % (p, self.cmdline(p)) for p in left) if left else ""))
            if left:
                for p in left:          # do not leave the next start stuck behind them
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(1)
            rc, out = self.cluster("start")
            self.check(rc == 0, "%s: scripts/cluster start (%.1f s after the kill%s)" % (
                label, now() - t0, ": " + out if rc else ""))
        ready = self.wait_ready(60)
        self.check(ready, "%s: the engine is ready again (%.1f s after the %s)" % (label, now() - t0, how))
        # the workers come back with the server: wait for their rows
        s = None
        deadline = now() + 20
        while now() < deadline:
            s = self.sample()
            if s is not None and all(o in s.by for _, o in BROKERS):
                break
            time.sleep(0.2)
        cur_after = s.get(b, "cursor", 0) if s else -1
        rows = self.db.query("SELECT last_id FROM xtrader.broker_cursors WHERE broker = %s", (b,))
        stored = rows[0]["last_id"] if rows else -1
        self.check(stored >= cur_before,
                   "%s: %s's confirmed cursor survived the %s: xtrader.broker_cursors.last_id %s "
                   "(it was %s before)" % (label, b, how, stored, cur_before))
        deadline = now() + 5           # give the new worker a moment to load its cursor
        while s is not None and cur_after != stored and now() < deadline:
            time.sleep(0.2)
            s = self.sample() or s
            cur_after = s.get(b, "cursor", 0)
        # lag_messages is computed inside xt_broker_status() (a volatile function: a snapshot of its
        # own, taken while the load goes on), so allow it some distance from our own count
        want_lag = max(0, s.want() - stored) if s and s.top else 0
        lag = s.get(b, "lag_messages", -1) if s else -1
        self.check(s is not None and cur_after == stored and abs(lag - want_lag) <= 1000,
                   "%s: xt_broker_status() shows that cursor while %s is still down: cursor %s, "
                   "lag_messages %s (expected %s and about %s)" % (
                       label, b, cur_after, lag, stored, want_lag))
        a1 = self.load.count()
        samples = self.observe(3.0)
        s_mid = next((x for x in reversed(samples) if x is not None), None)
        self.check(self.load.count() - a1 > 0,
                   "%s: the load is accepted again after the %s (%d orders in 3 s; errors so far: %s)" % (
                       label, how, self.load.count() - a1, self.load.errors))
        self.check(s_mid is not None and s_mid.get(b, "state") != "live",
                   "%s: %s is still reported down after the %s (%s)" % (label, b, how, describe(s_mid, b)))
        for o in others:
            ok, secs, from_cur, target, last, _ = self.wait_caught_up(o, 30)
            self.check(ok, "%s: %s follows again after the %s: caught up with message %s in %.1f s (%s)" % (
                label, o, how, target, secs, describe(last, o)))
        t_cmd = now()
        rc, out, dt = self.brokers("start", name)
        self.check(rc == 0, "%s: scripts/brokers start %s (%.1f s: %s)" % (label, name, dt, out))
        ok, secs, from_cur, target, last, _ = self.wait_caught_up(b, self.a.catchup_timeout)
        self.check(ok, "%s: %s replayed from its stored cursor %s and follows again: past message %s "
                   "(the last one durable when the start returned) %.1f s later (%.1f s after the start "
                   "began); %s" % (label, b, stored, target, secs, now() - t_cmd, describe(last, b)))

    def phase_final(self):
        self.note("phase: stop the load, drain, read every broker")
        hung = self.load.finish()
        e = self.load.errors
        self.check(hung == 0, "the load's clients stopped (%d hung); %d orders acknowledged in all, slowest "
                   "call %.2f s; errors: %d connection (restarts), %d 'recovering', %d other" % (
                       hung, self.load.acks, self.load.max_call_s, e["connection"], e["recovering"], e["other"]))
        self.check(e["other"] == 0, "no unexpected error from xt_submit_order (%d%s)" % (
            e["other"], ": " + "; ".join(self.load.other_examples) if self.load.other_examples else ""))
        deadline = now() + 60
        s = None
        while now() < deadline:
            s = self.sample()
            if s is not None and s.top > 0 and all(
                    s.get(b, "cursor", 0) == s.want() and s.get(b, "lag_messages", 1) == 0
                    and s.get(b, "state") == "live" and s.get(b, "market_lag_commands", 0) == 0
                    for _, b in BROKERS):
                break
            time.sleep(0.25)
        for _, b in BROKERS:
            r = s.by.get(b, {}) if s else {}
            self.check(s is not None and r.get("cursor") == s.want() and r.get("lag_messages") == 0
                       and r.get("state") == "live",
                       "final: %s drained: cursor %s = last message %s, lag %s, state %s (sent %s, confirmed %s, "
                       "errors %s, reconnects %s)" % (
                           b, r.get("cursor"), s.want() if s else "?", r.get("lag_messages"), r.get("state"),
                           r.get("messages_sent"), r.get("messages_confirmed"), r.get("errors"), r.get("reconnects")))
        m = self.metrics()
        series = ["xtrader_broker_up", "xtrader_broker_lag_messages", "xtrader_broker_lag_seconds",
                  "xtrader_broker_market_lag_commands"]
        bad = ["%s%s = %s" % (k, lbl, m.get(k + lbl))
               for _, b in BROKERS for lbl in ['{broker="%s"}' % b] for k in series
               if not (b == "redis" and k.endswith("market_lag_commands"))
               and m.get(k + lbl) != (1 if k == "xtrader_broker_up" else 0)]
        self.check(not bad, "final: /metrics shows every broker up with no lag (%s)" % (
            "; ".join(bad) if bad else "%d series" % len(m)))
        rows = self.db.query("SELECT last_id, broker FROM xtrader.broker_cursors ORDER BY broker")
        if rows is not None:
            self.note("xtrader.broker_cursors: " + ", ".join("%s %s" % (r["broker"], r["last_id"]) for r in rows))
        ok = self.verify()
        return self.consumer_group() and ok

    def metrics(self):
        """The exchange's GET /metrics as {"name{labels}": value}; {} when it does not answer."""
        rows = self.db.query("SELECT current_setting('xtrader.rest_port') AS port")
        if not rows:
            return {}
        try:
            with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % rows[0]["port"], timeout=5) as r:
                text = r.read().decode()
        except OSError:
            return {}
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#") and " " in line:
                k, v = line.rsplit(" ", 1)
                try:
                    out[k] = float(v)
                except ValueError:
                    pass
        return out

    # -- the Redis consumer group (background workers "xtrader consumer N") --
    def consumer_group(self):
        """Every message of the run's symbol reached xtrader.execution_history once, as published."""
        want = got = None
        deadline = now() + 90
        while now() < deadline:
            r = self.db.query(
                "SELECT (SELECT 2 * count(*) FROM xtrader.executions e JOIN xtrader.symbols s "
                "USING (symbol_id) WHERE s.symbol = %s) AS want, "
                "(SELECT count(*) FROM xtrader.execution_history WHERE symbol = %s) AS got",
                (self.a.symbol, self.a.symbol))
            if r:
                want, got = r[0]["want"], r[0]["got"]
                if want and got == want:
                    break
            time.sleep(0.5)
        bad = self.db.query(
            "SELECT count(*) AS n FROM xtrader.execution_history h "
            "LEFT JOIN xtrader.executions e ON e.execution_id = h.execution_id "
            "WHERE h.symbol = %s AND (e.execution_id IS NULL OR h.message_id <> 2 * e.execution_id "
            "+ CASE h.role WHEN 'taker' THEN 0 ELSE 1 END OR h.order_id <> CASE h.role WHEN 'taker' "
            "THEN e.taker_order_id ELSE e.maker_order_id END)", (self.a.symbol,))
        members = self.db.query(
            "SELECT string_agg(consumer || ' ' || n, ', ' ORDER BY consumer) AS m FROM ("
            "SELECT consumer, count(*) AS n FROM xtrader.execution_history WHERE symbol = %s "
            "GROUP BY consumer) x", (self.a.symbol,))
        return self.check(
            bool(want) and got == want and bad is not None and bad[0]["n"] == 0,
            "consumer group: execution_history holds every message of the run once (%s of %s; "
            "%s not matching their execution; stored by %s)" % (
                got, want, bad[0]["n"] if bad else "?", members[0]["m"] if members else "?"))

    # -- what the brokers hold --
    def expected(self):
        rows = self.db.query(
            "SELECT e.execution_id AS id, e.seq, e.taker_order_id, e.maker_order_id, e.taker_side, "
            "       (e.price * s.tick_size)::text AS price, (e.quantity * s.lot_size)::text AS quantity, "
            "       (e.taker_remaining * s.lot_size)::text AS taker_remaining, "
            "       (e.maker_remaining * s.lot_size)::text AS maker_remaining, "
            "       floor(extract(epoch FROM e.executed_at) * 1000)::int8 AS ts "
            "  FROM xtrader.executions e JOIN xtrader.symbols s USING (symbol_id) "
            " WHERE s.symbol = %s ORDER BY e.execution_id", (self.a.symbol,))
        others = self.db.query(
            "SELECT count(*) AS n FROM xtrader.executions e JOIN xtrader.symbols s USING (symbol_id) "
            "WHERE s.symbol <> %s", (self.a.symbol,))
        exp = {}
        for r in rows or []:
            for role in (0, 1):
                taker = role == 0
                side_taker = "Buy" if r["taker_side"] == 0 else "Sell"
                side = side_taker if taker else ("Sell" if side_taker == "Buy" else "Buy")
                remaining = Decimal(r["taker_remaining"] if taker else r["maker_remaining"])
                exp[2 * r["id"] + role] = {
                    "order_id": r["taker_order_id"] if taker else r["maker_order_id"],
                    "execution_id": r["id"], "symbol": self.a.symbol, "side": side,
                    "price": Decimal(r["price"]), "quantity": Decimal(r["quantity"]),
                    "remaining_quantity": remaining, "role": "taker" if taker else "maker",
                    "seq": r["seq"], "ts": r["ts"],
                    "order_status": "Filled" if remaining == 0 else "PartiallyFilled"}
        return rows, exp, (others[0]["n"] if others else None)

    @staticmethod
    def body_problem(body, x):
        """None when body is the Execution message x describes, else what is wrong."""
        try:
            top = json.loads(body, object_pairs_hook=lambda p: p)
        except ValueError as e:
            return "not JSON (%s)" % e
        if not isinstance(top, list) or [k for k, _ in top] != ["type", "execution_report", "order_status"]:
            return "top-level keys %s" % ([k for k, _ in top] if isinstance(top, list) else type(top).__name__)
        d = dict(top)
        rep = d["execution_report"]
        keys = ["order_id", "execution_id", "symbol", "side", "price", "quantity", "remaining_quantity",
                "role", "seq", "ts"]
        if not isinstance(rep, list) or [k for k, _ in rep] != keys:
            return "execution_report keys %s" % ([k for k, _ in rep] if isinstance(rep, list) else rep)
        r = dict(rep)
        if d["type"] != "Execution":
            return "type %r" % d["type"]
        for k in ("order_id", "execution_id", "seq"):
            if type(r[k]) is not int or r[k] != x[k]:
                return "%s %r, expected %r" % (k, r[k], x[k])
        for k in ("symbol", "side", "role"):
            if r[k] != x[k]:
                return "%s %r, expected %r" % (k, r[k], x[k])
        for k in ("price", "quantity", "remaining_quantity"):
            if not isinstance(r[k], str) or not CANON_DEC.match(r[k]) or Decimal(r[k]) != x[k]:
                return "%s %r, expected %s" % (k, r[k], x[k])
        if type(r["ts"]) is not int or r["ts"] <= 0:
            return "ts %r" % r["ts"]
        if d["order_status"] != x["order_status"]:
            return "order_status %r, expected %r" % (d["order_status"], x["order_status"])
        return None

    def dump(self, *args):
        path = os.path.join(self.a.out, "-".join(args[:2]) + ".tsv")
        t0 = now()
        with open(path, "wb") as f:
            try:
                r = subprocess.run([self.a.dump] + list(args), stdout=f, stderr=subprocess.PIPE, timeout=180)
                rc, err = r.returncode, r.stderr.decode(errors="replace").strip()
            except subprocess.TimeoutExpired:
                rc, err = 124, "timed out"
        self.dump_s = now() - t0
        msgs = []
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) != 4:
                    msgs.append({"id": 0, "key": "", "body": line, "meta": {"malformed": "1"}})
                    continue
                meta = dict(kv.split("=", 1) if "=" in kv else (kv, "1") for kv in parts[3].split(" ") if kv)
                msgs.append({"id": int(parts[0]), "key": parts[1], "body": parts[2], "meta": meta})
        return rc, err, msgs, path

    def verify(self):
        rows, exp, foreign = self.expected()
        n_exec = len(rows or [])
        self.check(n_exec > 0 and foreign == 0,
                   "the run traded: %d executions of %s in xtrader.executions (%s of other symbols), "
                   "so %d messages expected per broker" % (n_exec, self.a.symbol, foreign, len(exp)))
        want = set(exp)
        sym = self.a.symbol
        market = {}
        for name, b in BROKERS:
            if b == "redis":
                rc, err, msgs, path = self.dump("redis", self.a.stream)
            elif b == "kafka":
                rc, err, msgs, path = self.dump("kafka", self.a.topic, self.a.kafka_from)
            else:
                rc, err, msgs, path = self.dump("amqp", self.a.amqp_queue)
            if b == "kafka":
                market["kafka"] = [m for m in msgs if m["meta"].get("type") in MARKET_TYPES]
                msgs = [m for m in msgs if m["meta"].get("type") not in MARKET_TYPES]
            first = {}
            dup = 0
            dup_differ = []
            for m in msgs:
                if m["id"] in first:
                    dup += 1
                    if first[m["id"]]["body"] != m["body"] and len(dup_differ) < 3:
                        dup_differ.append(m["id"])
                else:
                    first[m["id"]] = m
            got = set(first)
            missing = sorted(want - got)
            extra = sorted(got - want)
            self.check(rc == 0 and len(msgs) > 0,
                       "%s: read %d messages in %.1f s (%d unique ids, %d duplicates before dedup) into %s%s" % (
                           b, len(msgs), self.dump_s, len(got), dup, os.path.relpath(path, ROOT),
                           ": " + err[-200:] if err else ""))
            self.check(not missing and not extra,
                       "%s: after dedup the ids are exactly {2e, 2e+1} of the %d executions: %d missing%s, "
                       "%d extra%s" % (b, n_exec, len(missing), " (first " + str(missing[:5]) + ")" if missing else "",
                                       len(extra), " (first " + str(extra[:5]) + ")" if extra else ""))
            bad = []
            for i in sorted(got & want):
                p = self.body_problem(first[i]["body"], exp[i])
                if p:
                    bad.append((i, p))
            self.check(not bad, "%s: every body is that side's Execution message, matching the table (%d bad%s)" % (
                b, len(bad), "; first: " + "; ".join("id %d: %s" % x for x in bad[:3]) if bad else ""))
            ts_off = sum(1 for i in got & want if ('"ts":%d}' % exp[i]["ts"]) not in first[i]["body"])
            self.note("%s: %d of %d bodies have ts = executed_at in ms" % (b, len(got & want) - ts_off, len(got & want)))
            self.check(not dup_differ, "%s: duplicates carry the same body as the first copy (%d duplicates%s)" % (
                b, dup, "; differing ids " + str(dup_differ) if dup_differ else ""))
            env_bad = []
            for m in msgs:
                i, meta = m["id"], m["meta"]
                if b == "redis":
                    why = None if (meta.get("entry") == "%d-0" % i and m["key"] == "data"
                                   and meta.get("fields") == "1") else \
                        "entry %s field %s (%s fields)" % (meta.get("entry"), m["key"], meta.get("fields"))
                elif b == "kafka":
                    why = None if (m["key"] == sym and meta.get("idtext") == str(i)
                                   and meta.get("type") == "Execution") else \
                        "key %r xt-id %r xt-type %r" % (m["key"], meta.get("idtext"), meta.get("type"))
                else:
                    why = None if (m["key"] == "execution." + sym and meta.get("delivery_mode") == "2"
                                   and meta.get("content_type") == "application/json"
                                   and meta.get("message_id") == str(i) and meta.get("type") == "Execution") else \
                        "routing key %r, %s" % (m["key"], " ".join("%s=%s" % kv for kv in sorted(meta.items())))
                if "badchars" in meta or "malformed" in meta:
                    why = "raw control characters or a malformed line"
                if why and len(env_bad) < 3:
                    env_bad.append("id %d: %s" % (i, why))
                elif why:
                    env_bad.append(None)
            what = {"redis": 'stream entry id "<id>-0", one field "data"',
                    "kafka": "key = %s, headers xt-id = the id, xt-type = Execution" % sym,
                    "amqp": "routing key execution.%s, persistent, application/json, message_id = the id, "
                            "type = Execution" % sym}[b]
            self.check(not env_bad, "%s: every message has %s (%d bad%s)" % (
                b, what, len(env_bad), "; first: " + "; ".join(x for x in env_bad if x) if env_bad else ""))
            # order: per Kafka partition (in offset order); Redis and RabbitMQ as read
            streams = {}
            for m in msgs:
                key = m["meta"].get("partition", "-")
                streams.setdefault(key, []).append(m)
            if b == "kafka":
                for v in streams.values():
                    v.sort(key=lambda m: int(m["meta"].get("offset", 0)))
            disorder = []
            for part, v in sorted(streams.items()):
                seen = set()
                last = 0
                for m in v:
                    if m["id"] in seen:
                        continue
                    seen.add(m["id"])
                    if m["id"] < last and len(disorder) < 3:
                        disorder.append("%s%d after %d" % ("partition %s: " % part if b == "kafka" else "", m["id"], last))
                    last = max(last, m["id"])
            self.check(not disorder, "%s: ids increase in the order read%s, after dedup (%s)" % (
                b, " per partition (%d partition(s))" % len(streams) if b == "kafka" else "",
                "; ".join(disorder) if disorder else "in order"))
        rc, err, msgs, path = self.dump("amqp", self.a.amqp_market_queue)
        self.check(rc == 0, "amqp: read the market data queue (%d messages in %.1f s)%s" % (
            len(msgs), self.dump_s, ": " + err[-200:] if err else ""))
        market["amqp"] = msgs
        self.verify_market(market)
        return True

    # -- market data: order books and tickers on Kafka and RabbitMQ --
    def market_expected(self):
        """(book seqs, {trading seq: (last price, cumulative volume)}) of the run's symbol."""
        books = self.db.query(
            "SELECT o.order_id FROM xtrader.orders o JOIN xtrader.symbols s USING (symbol_id) "
            " WHERE s.symbol = %s AND o.status <> 5 AND (o.time_in_force = 0 OR EXISTS ("
            "       SELECT 1 FROM xtrader.executions e WHERE e.seq = o.order_id))", (self.a.symbol,))
        trades = self.db.query(
            "SELECT e.seq, (max(e.price * s.tick_size) FILTER (WHERE e.execution_id = x.last))::text AS price, "
            "       (sum(sum(e.quantity)) OVER (ORDER BY e.seq) * s.lot_size)::text AS volume "
            "  FROM xtrader.executions e JOIN xtrader.symbols s USING (symbol_id) "
            "  JOIN (SELECT seq, max(execution_id) AS last FROM xtrader.executions GROUP BY seq) x USING (seq) "
            " WHERE s.symbol = %s GROUP BY e.seq, s.lot_size ORDER BY e.seq", (self.a.symbol,))
        if books is None or trades is None:
            return None, None
        return ({r["order_id"] for r in books},
                {r["seq"]: (Decimal(r["price"]), Decimal(r["volume"])) for r in trades})

    def verify_market(self, market):
        sym = self.a.symbol
        books, trades = self.market_expected()
        self.check(books is not None and len(books) > 0 and len(trades) > 0,
                   "market data: %s order book changes and %s trading commands expected" % (
                       len(books or ()), len(trades or ())))
        if not books:
            return
        seen = {}
        for b in ("kafka", "amqp"):
            msgs = market.get(b, [])
            first, dup_differ, env_bad, body_bad = {}, [], [], []
            for m in msgs:
                meta = m["meta"]
                typ = meta.get("type")
                key = (typ, m["id"])
                if key in first:
                    if first[key]["body"] != m["body"]:
                        dup_differ.append(key)
                    continue
                first[key] = m
                kind = "orderbook" if typ == "orderbook_snapshot" else "ticker"
                if b == "kafka":
                    ok = m["key"] == sym and meta.get("idtext") == str(m["id"])
                else:
                    ok = (m["key"] == "%s.%s" % (kind, sym) and meta.get("delivery_mode") == "2"
                          and meta.get("message_id") == str(m["id"]))
                if not ok or typ not in MARKET_TYPES or m["id"] % 2 != (typ == "ticker"):
                    env_bad.append("%s %s: key %r %s" % (typ, m["id"], m["key"], sorted(meta.items())))
                try:
                    d = json.loads(m["body"])
                except ValueError:
                    d = {}
                if d.get("type") != typ or d.get("symbol") != sym or d.get("seq") != m["id"] // 2:
                    body_bad.append("%s %s: %s" % (typ, m["id"], m["body"][:120]))
                m["json"] = d
            seen[b] = first
            self.check(not env_bad and not body_bad,
                       "%s: %d market data messages, each with the envelope of its kind (ids 2s / 2s+1, "
                       "%s) and a body of that type, symbol and seq (%d bad envelopes, %d bad bodies%s)" % (
                           b, len(msgs), "key = symbol, headers xt-id, xt-type" if b == "kafka"
                           else "routing key orderbook.SYM / ticker.SYM, persistent, message_id, type",
                           len(env_bad), len(body_bad), "; first: " + "; ".join((env_bad + body_bad)[:2])
                           if env_bad or body_bad else ""))
            self.check(not dup_differ, "%s: market data duplicates carry the same body (%d differ%s)" % (
                b, len(dup_differ), ": " + str(dup_differ[:3]) if dup_differ else ""))
            got_books = {i // 2 for (t, i) in first if t == "orderbook_snapshot"}
            missing, extra = sorted(books - got_books), sorted(got_books - books)
            self.check(not missing and not extra,
                       "%s: after dedup one order book per command that changed it (%d): %d missing%s, %d extra%s" % (
                           b, len(books), len(missing), " (seq " + str(missing[:5]) + ")" if missing else "",
                           len(extra), " (seq " + str(extra[:5]) + ")" if extra else ""))
            tickers = {i // 2: m["json"] for (t, i), m in first.items() if t == "ticker"}
            bad = []
            for seq, (price, volume) in sorted(trades.items()):
                t = tickers.get(seq)
                if t is None:
                    bad.append("seq %d: no ticker" % seq)
                elif (Decimal(t.get("last_price") or "0") != price
                      or Decimal(t.get("volume_24h") or "-1") != volume):
                    bad.append("seq %d: last_price %s volume_24h %s, expected %s %s" % (
                        seq, t.get("last_price"), t.get("volume_24h"), price, volume))
            self.check(not bad, "%s: a ticker for each of the %d trading commands with its last price and the "
                       "volume traded up to it (%d bad%s)" % (b, len(trades), len(bad),
                                                              "; first: " + "; ".join(bad[:3]) if bad else ""))
            stray = sorted(s for s in tickers if s not in books)
            self.check(not stray, "%s: tickers only for commands that changed the book (%d others%s)" % (
                b, len(stray), ": " + str(stray[:5]) if stray else ""))
        if len(seen) == 2:
            k, a = seen["kafka"], seen["amqp"]
            differ = [key for key in set(k) & set(a) if k[key]["body"] != a[key]["body"]]
            self.check(set(k) == set(a) and not differ,
                       "Kafka and RabbitMQ hold the same market data, byte for byte (%d vs %d messages, "
                       "%d only in Kafka, %d only in RabbitMQ, %d bodies differ)" % (
                           len(k), len(a), len(set(k) - set(a)), len(set(a) - set(k)), len(differ)))
            last = max((i for (t, i) in k if t == "orderbook_snapshot"), default=None)
            rows = self.db.query("SELECT side, price::text, quantity::text FROM xtrader.xt_order_book(%s, 20)", (sym,))
            if last is not None and rows is not None:
                d = k[("orderbook_snapshot", last)]["json"]
                want = {"bid": [], "ask": []}
                for r in rows:
                    want["bid" if r["side"].lower().startswith("b") else "ask"].append(
                        [Decimal(r["price"]), Decimal(r["quantity"])])
                got = {"bid": [[Decimal(p), Decimal(q)] for p, q in d.get("bids", [])],
                       "ask": [[Decimal(p), Decimal(q)] for p, q in d.get("asks", [])]}
                self.check(got == want, "the newest order book message (seq %d) is the book of xt_order_book() "
                           "(%d bids, %d asks)%s" % (last // 2, len(want["bid"]), len(want["ask"]),
                                                     "" if got == want else ": got %s, want %s" % (got, want)))

    def run(self):
        t_start = now()
        times = []

        def timed(what, fn, *args):
            t0 = now()
            r = fn(*args)
            times.append("%s %.0f s" % (what, now() - t0))
            return r

        if not timed("baseline", self.phase_baseline):
            self.load.finish(5)
            return
        for name, _ in BROKERS:
            if self.a.only and name not in self.a.only:
                continue
            timed("kill " + name, self.phase_fault, name, "kill")
            timed("pause " + name, self.phase_fault, name, "pause")
        if not self.a.skip_pg:
            timed("pg restart", self.phase_pg, self.a.restart_broker, "restart")
            timed("pg kill9", self.phase_pg, self.a.kill9_broker, "kill9")
        timed("final", self.phase_final)
        self.note("phases took %.0f s: %s" % (now() - t_start, ", ".join(times)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--symbol", required=True)
    ap.add_argument("--seller", required=True)
    ap.add_argument("--buyer", required=True)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--stream", default="executions")
    ap.add_argument("--topic", default="market-data")
    ap.add_argument("--kafka-from", default="", help="P:OFF,... where this run's messages start")
    ap.add_argument("--amqp-queue", required=True)
    ap.add_argument("--amqp-market-queue", required=True, help="bound to orderbook.# and ticker.#")
    ap.add_argument("--dump", required=True, help="build/brokers/broker_dump")
    ap.add_argument("--out", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--tap-start", type=int, default=0)
    ap.add_argument("--brokers-state", default=os.environ.get("XT_STATE_DIR", ""))
    ap.add_argument("--catchup-timeout", type=float, default=90)
    ap.add_argument("--restart-broker", default="rabbitmq")
    ap.add_argument("--kill9-broker", default="redis")
    ap.add_argument("--only", nargs="*", help="fault phases only for these brokers (development)")
    ap.add_argument("--skip-pg", action="store_true", help="no PostgreSQL restart phases (development)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    print("# load seed %d, symbol %s, %d clients" % (a.seed, a.symbol, a.clients), flush=True)
    Chaos(a).run()
    sys.stdout.flush()
    os._exit(0)                 # a hung client thread must not keep the process alive


if __name__ == "__main__":
    main()
