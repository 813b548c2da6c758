-- test/concurrency/invariants.sql: what must hold of the exchange whatever the load and whatever
-- crashed: the durable tables agree with themselves, with the journal and with the live
-- shared-memory book. Run when the engine is idle (nothing sequenced but not durable).
--
-- Each statement prints one row "t|label" or "f|label (detail)"; lib.sh turns them into
-- "ok N" / "not ok N" lines. Variables: min_trades (default 100): fewer executions fail the
-- "trades happened" check, so a generator that stops producing trades is caught.
\set ON_ERROR_STOP on
\if :{?min_trades}
\else
\set min_trades 100
\endif
SET client_min_messages = warning;

CREATE TEMP VIEW inv_fills AS
SELECT order_id, sum(quantity) AS filled, count(*) AS n
  FROM (SELECT taker_order_id AS order_id, quantity FROM xtrader.executions
        UNION ALL SELECT maker_order_id, quantity FROM xtrader.executions) x
 GROUP BY order_id;

-- the live book of every symbol, full depth (xt_order_book allows 1000 levels per side)
CREATE TEMP TABLE inv_live AS
SELECT s.symbol_id, CASE b.side WHEN 'Buy' THEN 0 ELSE 1 END::smallint AS side,
       b.price, b.quantity, b.orders::bigint AS orders
  FROM xtrader.symbols s, LATERAL xtrader.xt_order_book(s.symbol, 1000) b;

-- the open orders of the table, aggregated the same way
CREATE TEMP TABLE inv_table AS
SELECT o.symbol_id, o.side, o.price * s.tick_size AS price,
       sum(o.remaining) * s.lot_size AS quantity, count(*) AS orders
  FROM xtrader.orders o JOIN xtrader.symbols s USING (symbol_id)
 WHERE o.status IN (0, 1)
 GROUP BY o.symbol_id, o.side, o.price, s.tick_size, s.lot_size;

SELECT count(*) = 0,
       format('every order''s filled quantity (quantity - remaining) equals its executions as taker + maker (%s orders, %s differ%s)',
              (SELECT count(*) FROM xtrader.orders), count(*),
              coalesce(': e.g. order ' || min(order_id), ''))
  FROM xtrader.orders o LEFT JOIN inv_fills f USING (order_id)
 WHERE o.quantity - o.remaining <> coalesce(f.filled, 0);

SELECT count(*) = 0,
       format('no order over-filled: 0 <= remaining <= quantity, quantity > 0 (%s violate)', count(*))
  FROM xtrader.orders WHERE remaining < 0 OR remaining > quantity OR quantity <= 0;

SELECT count(*) = 0,
       format('status agrees with remaining (Pending: none filled, PartiallyFilled: some, Filled: all; Rejected: untouched) (%s violate%s)',
              count(*), coalesce(': e.g. order ' || min(order_id), ''))
  FROM xtrader.orders o LEFT JOIN inv_fills f USING (order_id)
 WHERE (status = 0 AND remaining <> quantity)
    OR (status = 1 AND NOT (remaining > 0 AND remaining < quantity))
    OR (status = 2 AND remaining <> 0)
    OR (status = 5 AND (remaining <> quantity OR f.n IS NOT NULL))
    OR status NOT BETWEEN 0 AND 5;

SELECT count(*) = 0,
       format('market, IOC and FOK orders never rest, FOK fills all or nothing (%s violate%s)',
              count(*), coalesce(': e.g. order ' || min(order_id), ''))
  FROM xtrader.orders o
 WHERE ((order_type = 1 OR time_in_force <> 0) AND status IN (0, 1))
    OR (time_in_force = 2 AND remaining NOT IN (0, quantity));

SELECT bool_and(coalesce(bid < ask, true)),
       format('the live book is not crossed: best bid < best ask on every symbol (%s)',
              string_agg(format('%s %s/%s', symbol, coalesce(bid::text, '-'), coalesce(ask::text, '-')), ', ' ORDER BY symbol))
  FROM (SELECT s.symbol,
               (SELECT max(price) FROM inv_live l WHERE l.symbol_id = s.symbol_id AND side = 0) AS bid,
               (SELECT min(price) FROM inv_live l WHERE l.symbol_id = s.symbol_id AND side = 1) AS ask
          FROM xtrader.symbols s) b;

SELECT count(*) = max(seq) AND min(seq) = 1 AND count(DISTINCT seq) = count(*)
       AND max(seq) = st.last_seq AND st.last_seq = st.durable_seq AND st.durable_seq = st.applied_seq,
       format('journal seqs are unique and gap-free: count = max = last_seq = durable_seq = applied_seq (%s %s %s %s %s)',
              count(*), max(seq), st.last_seq, st.durable_seq, st.applied_seq)
  FROM xtrader.journal, xtrader.xt_stats() st
 GROUP BY st.last_seq, st.durable_seq, st.applied_seq;

SELECT (SELECT count(*) FROM xtrader.orders) = count(*) FILTER (WHERE j.outcome <> 3)
       AND count(*) FILTER (WHERE j.outcome <> 3 AND o.order_id IS NULL) = 0
       AND count(*) FILTER (WHERE j.outcome = 3 AND o.order_id IS NOT NULL) = 0,
       format('one orders row per new-order command of the journal, none for duplicates (%s rows, %s new-order commands, %s duplicates)',
              (SELECT count(*) FROM xtrader.orders), count(*) FILTER (WHERE j.outcome <> 3),
              count(*) FILTER (WHERE j.outcome = 3))
  FROM xtrader.journal j LEFT JOIN xtrader.orders o ON o.order_id = j.seq
 WHERE j.type = 1;

SELECT NOT EXISTS (SELECT symbol_id, side, price, quantity, orders FROM inv_live
                   EXCEPT ALL SELECT symbol_id, side, price, quantity, orders FROM inv_table)
       AND NOT EXISTS (SELECT symbol_id, side, price, quantity, orders FROM inv_table
                       EXCEPT ALL SELECT symbol_id, side, price, quantity, orders FROM inv_live)
       AND (SELECT count(*) FROM inv_table) = (SELECT count(*) FROM inv_live),
       format('the live book equals the open orders of the table per price level, both sides, all symbols (%s levels live, %s in the table)',
              (SELECT count(*) FROM inv_live), (SELECT count(*) FROM inv_table));

SELECT max(n) < 1000,
       format('every book side fits the depth compared above (most levels on one side: %s of 1000)', coalesce(max(n), 0))
  FROM (SELECT count(*) AS n FROM inv_table GROUP BY symbol_id, side) x;

SELECT st.resting_orders = (SELECT count(*) FROM xtrader.orders WHERE status IN (0, 1)),
       format('xt_stats().resting_orders equals the open orders of the table (%s, %s)',
              st.resting_orders, (SELECT count(*) FROM xtrader.orders WHERE status IN (0, 1)))
  FROM xtrader.xt_stats() st;

SELECT count(*) = 0,
       format('executions reference existing orders of their symbol, accounts and sides (%s violate%s)',
              count(*), coalesce(': e.g. execution ' || min(e.execution_id), ''))
  FROM xtrader.executions e
  LEFT JOIN xtrader.orders t ON t.order_id = e.taker_order_id
  LEFT JOIN xtrader.orders m ON m.order_id = e.maker_order_id
 WHERE t.order_id IS NULL OR m.order_id IS NULL
    OR t.symbol_id <> e.symbol_id OR m.symbol_id <> e.symbol_id
    OR t.account <> e.taker_account OR m.account <> e.maker_account
    OR t.side <> e.taker_side OR m.side = e.taker_side
    OR e.quantity <= 0 OR e.price <= 0
    OR e.maker_order_id >= e.seq OR e.taker_order_id > e.seq;

SELECT count(*) = coalesce(max(execution_id), 0) AND coalesce(min(execution_id), 1) = 1,
       format('execution ids are 1..n without gaps or doubles (%s executions, max id %s)',
              count(*), coalesce(max(execution_id), 0))
  FROM xtrader.executions;

SELECT count(*) FILTER (WHERE taker_account = maker_account) = 0,
       format('self-trade prevention: taker_account <> maker_account in every execution (%s of %s violate)',
              count(*) FILTER (WHERE taker_account = maker_account), count(*))
  FROM xtrader.executions;

SELECT count(*) >= :min_trades AND count(DISTINCT symbol_id) = (SELECT count(*) FROM xtrader.symbols),
       format('trades happened: %s executions on %s of %s symbols (need >= %s on every symbol)',
              count(*), count(DISTINCT symbol_id), (SELECT count(*) FROM xtrader.symbols), :min_trades)
  FROM xtrader.executions;
