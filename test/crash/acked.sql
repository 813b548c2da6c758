-- test/crash/acked.sql: what the load's clients were told (xt_test.acks / xt_test.errors, loaded
-- by run.sh from load.py's CSV files) against what the recovered exchange holds. One row per
-- check, "t|label" or "f|label (detail)", like test/concurrency/invariants.sql.
-- Variable: phase (the load phase whose calls are checked).
\set ON_ERROR_STOP on
SET client_min_messages = warning;

CREATE TEMP VIEW new_acks AS
SELECT a.*, s.symbol_id, s.tick_size, s.lot_size, r.oid AS account_oid
  FROM xt_test.acks a
  JOIN xtrader.symbols s ON s.symbol = a.symbol
  JOIN pg_roles r ON r.rolname = a.account
 WHERE a.kind = 'new' AND a.phase = :'phase';

SELECT count(*) > 0 AND count(o.order_id) = count(*),
       format('every acknowledged order exists in xtrader.orders (%s acknowledged, %s missing%s)',
              count(*), count(*) - count(o.order_id),
              coalesce(': e.g. ' || min(a.clordid) FILTER (WHERE o.order_id IS NULL), ''))
  FROM new_acks a LEFT JOIN xtrader.orders o USING (order_id);

SELECT count(*) = 0,
       format('each is the order that was submitted: id, client order id, symbol, account, side, type, time in force, price, quantity (%s differ%s)',
              count(*), coalesce(': e.g. order ' || min(a.order_id), ''))
  FROM new_acks a JOIN xtrader.orders o USING (order_id)
 WHERE o.client_order_id IS DISTINCT FROM a.clordid OR o.symbol_id <> a.symbol_id
    OR o.account <> a.account_oid
    OR o.side <> CASE a.side WHEN 'Buy' THEN 0 ELSE 1 END
    OR o.order_type <> CASE a.order_type WHEN 'Limit' THEN 0 ELSE 1 END
    OR o.time_in_force <> array_position(ARRAY['GTC', 'IOC', 'FOK'], a.tif) - 1
    OR o.price IS DISTINCT FROM (a.price / a.tick_size)::bigint
    OR o.quantity <> (a.quantity / a.lot_size)::bigint;

-- The status a client was told can only move forward: a final one stays, an open one may have
-- filled or been cancelled since, never rejected.
SELECT count(*) = 0,
       format('the status each client was told still holds (final ones exactly; %s differ%s)',
              count(*), coalesce(': e.g. order ' || min(a.order_id), ''))
  FROM new_acks a JOIN xtrader.orders o USING (order_id)
 WHERE CASE
         WHEN a.message LIKE 'order rejected%' THEN o.status <> 5
         WHEN a.message = 'order accepted: Filled' THEN o.status <> 2
         WHEN a.message = 'order accepted: Expired' THEN o.status <> 4
         WHEN a.message = 'order accepted: Cancelled' THEN o.status <> 3
         WHEN a.message = 'order accepted: PartiallyFilled' THEN o.status NOT IN (1, 2, 3)
         WHEN a.message = 'order accepted: Pending' THEN o.status NOT IN (0, 1, 2, 3)
         ELSE true
       END;

SELECT count(*) FILTER (WHERE o.status IS DISTINCT FROM 3) = 0,
       format('every acknowledged cancel left its order Cancelled (%s cancels, %s not)',
              count(*), count(*) FILTER (WHERE o.status IS DISTINCT FROM 3))
  FROM xt_test.acks a LEFT JOIN xtrader.orders o USING (order_id)
 WHERE a.kind = 'cancel' AND a.phase = :'phase';

SELECT count(*) FILTER (WHERE message LIKE 'duplicate%') = 0,
       format('no submission was answered "duplicate" (every client order id was new; %s were)',
              count(*) FILTER (WHERE message LIKE 'duplicate%'))
  FROM xt_test.acks WHERE kind = 'new' AND phase = :'phase';

SELECT count(o.order_id) = 0,
       format('submissions refused with 57P03 ("recovering", "not durable") did not happen (%s refused, %s exist)',
              count(*), count(o.order_id))
  FROM xt_test.errors e LEFT JOIN xtrader.orders o ON o.client_order_id = e.clordid
 WHERE e.kind = 'new' AND e.class = 'definite' AND e.phase = :'phase';

-- A call cut off by the crash may have become durable just before it: both are correct. Shown,
-- and checked only for consistency: if it exists it is the order that was submitted.
SELECT count(*) FILTER (WHERE o.order_id IS NOT NULL AND
                         (o.account <> r.oid OR o.symbol_id <> s.symbol_id
                          OR o.quantity <> (e.quantity / s.lot_size)::bigint)) = 0,
       format('calls cut off by the crash: %s new orders, of which %s had become durable (each the order submitted)',
              count(*), count(o.order_id))
  FROM xt_test.errors e
  JOIN xtrader.symbols s ON s.symbol = e.symbol
  JOIN pg_roles r ON r.rolname = e.account
  LEFT JOIN xtrader.orders o ON o.client_order_id = e.clordid
 WHERE e.kind = 'new' AND e.class = 'ambiguous' AND e.phase = :'phase';
