#!/usr/bin/python3
"""test/crash/load.py: trading load with a kill -9 in the middle, recording what clients were told.

One phase of test/crash/run.sh. CLIENTS threads (one connection each, autocommit) submit random
orders for the roles xt_conc_1..6 on CC1..CC3-KRW (setup.sql) and cancel some of their own
resting orders. Every new order carries a unique client_order_id, so what happened to a call
that failed can be looked up afterwards. Each call ends in exactly one of:

  ack        the function RETURNED: the order (or cancel) is durable and must survive anything
  definite   SQLSTATE 57P03 from xtrader ("engine is recovering", "restarted before ... durable",
             "sequencer is full"): the command did not happen and must not appear later
  ambiguous  the connection died under the call (the crash): it may or may not have happened
  refused    a cancel of an order that was no longer open (55000): a normal answer
  other      anything else: a failure of the test

Once ACKS_BEFORE calls were acknowledged, the phase kills (--kill engine: SIGKILL to the
"xtrader engine" worker, a PostgreSQL crash-restart; --kill postmaster: scripts/cluster kill9,
wait until every old server process is gone, scripts/cluster start), waits until xt_stats() says
'ready' again (bounded), goes on until ACKS_AFTER more calls were acknowledged, then stops the
clients and waits for them (bounded: a client that does not come back is reported as hung).

With --snapshot, xt_snapshot() is called (under the same load) half way to the kill, so recovery
restores it and replays only the journal after it.

Writes OUT/acks.csv, OUT/errors.csv and OUT/summary.env (shell assignments read by run.sh).
Connection parameters come from the PG* environment (scripts/cluster env). Every wait has a
deadline; the short sleeps are client back-off and polling intervals, never synchronisation.
"""
import argparse
import csv
import os
import random
import signal
import subprocess
import sys
import threading
import time

import psycopg2
import psycopg2.errorcodes

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def connect(timeout=5):
    conn = psycopg2.connect(connect_timeout=timeout, application_name="xt_crash_load")
    conn.autocommit = True
    return conn


def query1(sql, args=None):
    """One row from a fresh connection, or None when the server does not answer."""
    try:
        conn = connect(2)
    except psycopg2.Error:
        return None
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchone()
    except psycopg2.Error:
        return None
    finally:
        conn.close()


class Shared:
    def __init__(self):
        self.lock = threading.Lock()
        self.acks = []          # rows for acks.csv
        self.errors = []        # rows for errors.csv
        self.n_acks = 0
        self.connect_failures = 0
        self.max_call_s = 0.0
        self.stop = threading.Event()


def client(sh, idx, phase, seed):
    rnd = random.Random(seed)
    conn = None
    n = 0
    resting = []                # my acknowledged orders that may still rest
    while not sh.stop.is_set():
        if conn is None:
            try:
                conn = connect()
            except psycopg2.Error:
                with sh.lock:
                    sh.connect_failures += 1
                time.sleep(0.05)        # back-off while the server restarts
                continue
        cancel = resting and rnd.random() < 0.15
        if cancel:
            order_id = resting.pop(rnd.randrange(len(resting)))
            sql = "SELECT status FROM xtrader.xt_cancel_order(%s)"
            args = (order_id,)
            what = ("cancel", order_id, "", "", "", "", "", "", "", "")
        else:
            n += 1
            clordid = "%s-%d-%d" % (phase, idx, n)
            symbol = "CC%d-KRW" % rnd.randint(1, 3)
            side = rnd.choice(("Buy", "Sell"))
            k = rnd.random()
            otype, tif = ("Market", "GTC") if k < 0.05 else ("Limit", "IOC") if k < 0.15 else \
                ("Limit", "FOK") if k < 0.20 else ("Limit", "GTC")
            ticks = int(rnd.gauss(1000, 8)) + (-4 if side == "Buy" else 4)
            price = None if otype == "Market" else "%d.%d" % (ticks // 2, 5 * (ticks % 2))
            qty = "%.2f" % (rnd.randint(1, 40) / 100)
            account = "xt_conc_%d" % rnd.randint(1, 6)
            sql = ("SELECT order_id, message FROM xtrader.xt_submit_order("
                   "%s, %s, %s, %s::numeric, %s::numeric, %s, %s, false, %s)")
            args = (symbol, side, otype, price, qty, tif, clordid, account)
            what = ("new", None, clordid, symbol, side, otype, tif, price or "", qty, account)
        t0 = time.monotonic()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, args)
                row = cur.fetchone()
            dt = time.monotonic() - t0
            if what[0] == "new":
                rec = ("new", row[0]) + what[2:] + (row[1], phase)
                if row[1] == "order accepted: Pending" or row[1] == "order accepted: PartiallyFilled":
                    resting.append(row[0])
            else:
                rec = what + (row[0], phase)
            with sh.lock:
                sh.acks.append(rec)
                sh.n_acks += 1
                sh.max_call_s = max(sh.max_call_s, dt)
        except psycopg2.Error as e:
            dt = time.monotonic() - t0
            code = e.pgcode or ""
            if code == "57P03":
                cls = "definite"
            elif what[0] == "cancel" and code == "55000":
                cls = "refused"
            elif conn.closed or code in ("57P01", "57P02", "08006", "08003", ""):
                cls = "ambiguous"
            else:
                cls = "other"
            msg = (str(e).strip().splitlines() or [""])[0]
            with sh.lock:
                sh.errors.append(tuple("" if v is None else v for v in what) + (cls, code, msg, phase))
                sh.max_call_s = max(sh.max_call_s, dt)
            if conn.closed:
                conn = None
            else:
                try:
                    conn.rollback()
                except psycopg2.Error:
                    conn = None
    if conn is not None:
        conn.close()


def wait_for(cond, secs, step=0.05):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return False


def children_of(pid):
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        # the command may contain spaces and parentheses: the ppid follows the last ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            kids.append(int(d))
    return kids


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def engine_pid():
    row = query1("SELECT pid FROM pg_stat_activity WHERE backend_type = 'xtrader engine'")
    return row[0] if row else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kill", choices=("engine", "postmaster"), required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--acks-before", type=int, default=1200)
    ap.add_argument("--acks-after", type=int, default=800)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--snapshot", action="store_true",
                    help="call xt_snapshot() under load, half way to the kill")
    a = ap.parse_args()
    phase = a.kill[0] + str(a.seed % 100000)
    summary = {"phase": phase, "seed": a.seed}
    os.makedirs(a.out, exist_ok=True)

    datadir = query1("SELECT current_setting('data_directory')")
    if datadir is None or engine_pid() is None:
        sys.exit("load.py: the server does not answer, or has no engine worker")
    with open(os.path.join(datadir[0], "postmaster.pid")) as f:
        postmaster = int(f.readline())

    sh = Shared()
    threads = [threading.Thread(target=client, args=(sh, i, phase, a.seed * 100 + i), daemon=True)
               for i in range(a.clients)]
    for t in threads:
        t.start()

    if a.snapshot:
        # recovery then restores this snapshot and replays only the journal after it
        wait_for(lambda: sh.n_acks >= a.acks_before // 2, 30)
        t0 = time.monotonic()
        try:
            conn = connect()
            with conn.cursor() as cur:
                cur.execute("SELECT seq FROM xtrader.xt_snapshot()")
                summary["snapshot_seq"] = cur.fetchone()[0]
            conn.close()
        except psycopg2.Error as e:
            summary["snapshot_seq"] = 0
            summary["snapshot_error"] = (str(e).strip().splitlines() or [""])[0]
        summary["snapshot_s"] = "%.2f" % (time.monotonic() - t0)
    ok = wait_for(lambda: sh.n_acks >= a.acks_before, 30)
    summary["load_started"] = int(ok)
    summary["acks_before_kill"] = sh.n_acks
    killed_at = time.monotonic()
    old_engine = engine_pid()
    if a.kill == "engine":
        summary["killed_pid"] = old_engine or 0
        if old_engine:
            os.kill(old_engine, signal.SIGKILL)
        # a new engine (a new pid) exists only after the postmaster reset shared memory, so a
        # 'ready' read from it is the recovered state, not the one before the kill
        back = wait_for(lambda: (lambda p: p is not None and p != old_engine)(engine_pid()), 60, 0.02)
    else:
        kids = children_of(postmaster)
        summary["killed_pid"] = postmaster
        subprocess.run([os.path.join(ROOT, "scripts", "cluster"), "kill9"], check=True)
        gone = wait_for(lambda: not any(alive(p) for p in kids + [postmaster]), 30)
        summary["old_processes_gone"] = int(gone)
        r = subprocess.run([os.path.join(ROOT, "scripts", "cluster"), "start"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        summary["restarted"] = int(r.returncode == 0)
        if r.returncode != 0:
            sys.stderr.write(r.stderr.decode(errors="replace"))
        back = r.returncode == 0
    ready = back and wait_for(
        lambda: (query1("SELECT state FROM xtrader.xt_stats()") or ("",))[0] == "ready", 60, 0.02)
    summary["recovered"] = int(ready)
    summary["recovery_s"] = "%.2f" % (time.monotonic() - killed_at)
    with sh.lock:
        acks_at_ready = sh.n_acks
    ok = ready and wait_for(lambda: sh.n_acks - acks_at_ready >= a.acks_after, 30)
    summary["acks_after_recovery"] = sh.n_acks - acks_at_ready

    sh.stop.set()
    deadline = time.monotonic() + 30       # xtrader.submit_timeout is 10 s: nothing waits longer
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    summary["hung_clients"] = sum(t.is_alive() for t in threads)
    with sh.lock:
        summary["max_call_s"] = "%.2f" % sh.max_call_s
        summary["connect_failures"] = sh.connect_failures
        for cls in ("definite", "ambiguous", "refused", "other"):
            summary["errors_" + cls] = sum(1 for e in sh.errors if e[10] == cls)
        summary["other_error_example"] = next((e[12] for e in sh.errors if e[10] == "other"), "")
        with open(os.path.join(a.out, "acks.csv"), "w", newline="") as f:
            csv.writer(f).writerows(sh.acks)
        with open(os.path.join(a.out, "errors.csv"), "w", newline="") as f:
            csv.writer(f).writerows(sh.errors)
    with open(os.path.join(a.out, "summary.env"), "w") as f:
        for k, v in summary.items():
            f.write("L_%s=%s\n" % (k, "'" + str(v).replace("'", "'\\''") + "'"))
    os._exit(0)     # hung clients (if any) must not keep the process alive


if __name__ == "__main__":
    main()
