-- Trading through SQL: every order type, time in force, STP, cancel, amend, replay of a client
-- order id, and every kind of bad input. Order ids are sequence numbers: this script starts
-- from an empty journal, so they are stable (the symbol takes seq 1).
CREATE EXTENSION xtrader;
SET search_path = public, xtrader;
CREATE ROLE regress_alice IN ROLE xtrader_trader;
CREATE ROLE regress_bob IN ROLE xtrader_trader;
CREATE ROLE regress_carol IN ROLE xtrader_trader;
CREATE ROLE regress_admin IN ROLE xtrader_admin;
SELECT symbol_id, symbol FROM xt_create_symbol('BTC-KRW', 1000, 0.0001);

-- the flow document's example: a limit buy that rests
SET ROLE regress_alice;
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 50000000, 0.001);          -- 2
SELECT order_id, symbol, side, order_type, time_in_force, price, quantity, filled_quantity,
       remaining_quantity, status, account FROM xt_order(2);
-- case-insensitive words; two more bids on two levels
SELECT order_id, status, message FROM xt_submit_order('BTC-KRW', 'buy', 'LIMIT', 49999000, 0.002); -- 3
SELECT order_id, status, message FROM xt_submit_order('BTC-KRW', 'BUY', 'limit', 49999000, 0.003, 'gtc'); -- 4
RESET ROLE;
SELECT * FROM xt_order_book('BTC-KRW');

-- partial fill: bob sells less than the best bid holds
SET ROLE regress_bob;
SELECT * FROM xt_submit_order('BTC-KRW', 'Sell', 'Limit', 50000000, 0.0004);         -- 5
SELECT order_id, filled_quantity, remaining_quantity, status FROM xt_order(5);
RESET ROLE;
SELECT order_id, filled_quantity, remaining_quantity, status FROM xt_order(2);

-- full fill through several levels, price-time priority (3 before 4 at the same price)
SET ROLE regress_bob;
SELECT * FROM xt_submit_order('BTC-KRW', 'Sell', 'Limit', 49999000, 0.0036);         -- 6
RESET ROLE;
SELECT order_id, filled_quantity, remaining_quantity, status FROM xt_order(2)
UNION ALL SELECT order_id, filled_quantity, remaining_quantity, status FROM xt_order(3)
UNION ALL SELECT order_id, filled_quantity, remaining_quantity, status FROM xt_order(4)
UNION ALL SELECT order_id, filled_quantity, remaining_quantity, status FROM xt_order(6);
SELECT execution_id, price, quantity, taker_order_id, maker_order_id, taker_side, seq
  FROM xt_executions('BTC-KRW');
SELECT * FROM xt_order_book('BTC-KRW');

-- market order: takes what is there, the rest expires
SET ROLE regress_bob;
SELECT * FROM xt_submit_order('BTC-KRW', 'Sell', 'Market', NULL, 0.005);             -- 7
SELECT order_id, price, filled_quantity, remaining_quantity, status FROM xt_order(7);
-- market order on an empty side
SELECT * FROM xt_submit_order('BTC-KRW', 'Sell', 'Market', NULL, 0.001);             -- 8
RESET ROLE;
SELECT * FROM xt_order_book('BTC-KRW');

-- IOC: trades what crosses, never rests
SET ROLE regress_carol;
SELECT order_id, message FROM xt_submit_order('BTC-KRW', 'Sell', 'Limit', 51000000, 0.01); -- 9
SET ROLE regress_alice;
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 51000000, 0.004, 'IOC');    -- 10
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 52000000, 0.02, 'ioc');     -- 11
SELECT order_id, filled_quantity, remaining_quantity, status FROM xt_order(10)
UNION ALL SELECT order_id, filled_quantity, remaining_quantity, status FROM xt_order(11);

-- FOK: all or nothing
SET ROLE regress_carol;
SELECT order_id FROM xt_submit_order('BTC-KRW', 'Sell', 'Limit', 53000000, 0.01);    -- 12
SET ROLE regress_alice;
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 53000000, 0.02, 'FOK');     -- 13
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 53000000, 0.01, 'FOK');     -- 14
SELECT order_id, filled_quantity, remaining_quantity, status FROM xt_order(13)
UNION ALL SELECT order_id, filled_quantity, remaining_quantity, status FROM xt_order(14);

-- post-only: rests, or is rejected if it would trade
SET ROLE regress_carol;
SELECT order_id FROM xt_submit_order('BTC-KRW', 'Sell', 'Limit', 55000000, 0.01);    -- 15
SET ROLE regress_alice;
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 54000000, 0.01, post_only => true); -- 16
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 55000000, 0.01, post_only => true); -- 17
SELECT order_id, status FROM xt_order(16) UNION ALL SELECT order_id, status FROM xt_order(17);

-- self-trade prevention: alice's sell meets alice's own bid: the resting one is cancelled
SELECT * FROM xt_submit_order('BTC-KRW', 'Sell', 'Limit', 54000000, 0.005);          -- 18
SELECT order_id, filled_quantity, status FROM xt_order(16)
UNION ALL SELECT order_id, filled_quantity, status FROM xt_order(18);
RESET ROLE;
SELECT count(*) AS trades_between_alice_and_herself
  FROM xtrader.executions WHERE taker_account = maker_account;

-- cancel
SET ROLE regress_alice;
SELECT order_id, status, remaining_quantity FROM xt_cancel_order(18);
SELECT order_id, status FROM xt_cancel_order(18);
SELECT order_id, status FROM xt_cancel_order(2);
SELECT order_id, status FROM xt_cancel_order(999);
-- another trader's order is invisible to alice
SELECT order_id, status FROM xt_cancel_order(15);
SELECT count(*) FROM xt_order(15);

-- amend: quantity down keeps priority, price change loses it and may trade
-- (a cancel takes a sequence number too, so ids are captured from here on)
SET ROLE regress_bob;
SELECT order_id AS first_bid FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 40000000, 0.01) \gset
SELECT order_id AS second_bid FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 40000000, 0.01) \gset
SELECT price, quantity, remaining_quantity, status FROM xt_amend_order(:first_bid, quantity => 0.004);
RESET ROLE;
SELECT o.order_id = :first_bid AS first_keeps_priority
  FROM xtrader.orders o WHERE o.status = 0 AND o.price = 40000 ORDER BY o.order_id LIMIT 1;
SET ROLE regress_bob;
SELECT price, quantity, remaining_quantity, status FROM xt_amend_order(:second_bid, price => 41000000);
-- a price that crosses carol's ask at 55000000 trades at once, as a taker
SELECT price, quantity, filled_quantity, remaining_quantity, status
  FROM xt_amend_order(:first_bid, price => 55000000, quantity => 0.02);
RESET ROLE;
SELECT filled_quantity, remaining_quantity, status FROM xt_order(15);
SET ROLE regress_bob;
-- amending to the same values, below the filled quantity, or nothing at all
SELECT status FROM xt_amend_order(:first_bid, 55000000, 0.02);
SELECT status FROM xt_amend_order(:first_bid, quantity => 0.005);
SELECT status FROM xt_amend_order(:first_bid);
SELECT status FROM xt_amend_order(999999, 1000);
SELECT status FROM xt_amend_order(:first_bid, 1500);
RESET ROLE;
SELECT * FROM xt_order_book('BTC-KRW');

-- a repeated client order id gets the original order back and is not executed twice
SET ROLE regress_carol;
SELECT order_id AS original, message FROM xt_submit_order('BTC-KRW', 'Sell', 'Limit', 60000000, 0.01, 'GTC', 'carol-1') \gset
SELECT :original AS original, :'message' AS message;
SELECT order_id = :original AS same_order, message
  FROM xt_submit_order('BTC-KRW', 'Sell', 'Limit', 60000000, 0.01, 'GTC', 'carol-1');
SELECT client_order_id, status FROM xt_order(:original);
RESET ROLE;
SELECT orders FROM xt_order_book('BTC-KRW') WHERE price = 60000000;

-- bad input: an ERROR with a SQLSTATE, nothing sequenced
\set VERBOSITY default
SET ROLE regress_alice;
SELECT last_seq AS seq_before FROM xt_stats() \gset
SELECT * FROM xt_submit_order('ETH-KRW', 'Buy', 'Limit', 1000, 1);
SELECT * FROM xt_submit_order(NULL, 'Buy', 'Limit', 1000, 1);
SELECT * FROM xt_submit_order('BTC-KRW', 'Hold', 'Limit', 1000, 1);
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Stop', 1000, 1);
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 1000, 1, 'GTD');
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', NULL, 1);
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Market', 1000, 1);
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 1500, 1);
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 0, 1);
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', -1000, 1);
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 'NaN', 1);
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 1e30, 1);
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 1000, 0);
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 1000, 0.00005);
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 1000, 'Infinity');
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 1000, 1e20);
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 1000, NULL);
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Market', NULL, 1, post_only => true);
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 1000, 1, 'IOC', post_only => true);
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 1000, 1, client_order_id => '');
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 1000, 1, client_order_id => repeat('x', 37));
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 1000, 1, account => 'regress_bob');
SELECT * FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 1000, 1, account => 'nobody_at_all');
SELECT * FROM xt_order_book('BTC-KRW', 0);
SELECT * FROM xt_order_book('NOPE-KRW');
SELECT last_seq = :seq_before AS nothing_sequenced FROM xt_stats();
RESET ROLE;

-- an admin acts for any account, and sees every order
SET ROLE regress_admin;
SELECT order_id AS for_bob FROM xt_submit_order('BTC-KRW', 'Buy', 'Limit', 1000, 1, account => 'regress_bob') \gset
SELECT account, status FROM xt_order(:for_bob);
SELECT status FROM xt_cancel_order(:for_bob);
RESET ROLE;

-- batches: one call, every order validated first, outcomes in input order
SET ROLE regress_carol;
SELECT status, message FROM xt_submit_orders('[
  {"symbol": "BTC-KRW", "side": "Buy", "order_type": "Limit", "price": 30000000, "quantity": 0.5},
  {"symbol": "BTC-KRW", "side": "Buy", "order_type": "Limit", "price": "30000000", "quantity": "0.25",
   "time_in_force": "GTC", "client_order_id": "carol-b1"},
  {"symbol": "BTC-KRW", "side": "Buy", "order_type": "Limit", "price": 3e7, "quantity": 1e-4,
   "client_order_id": "carol-b1"},
  {"symbol": "BTC-KRW", "side": "Buy", "order_type": "Limit", "price": 99000000, "quantity": 0.1,
   "post_only": true}
]');
RESET ROLE;
SELECT quantity, orders FROM xt_order_book('BTC-KRW') WHERE price = 30000000;
SET ROLE regress_carol;
SELECT last_seq AS seq_before FROM xt_stats() \gset
SELECT * FROM xt_submit_orders('[{"symbol": "BTC-KRW", "side": "Buy", "order_type": "Limit", "price": 1000, "quantity": 1},
                                 {"symbol": "BTC-KRW", "side": "Buy", "order_type": "Limit", "prise": 1000, "quantity": 1}]');
SELECT * FROM xt_submit_orders('[{"symbol": "BTC-KRW", "side": "Buy", "order_type": "Limit", "price": "1e3x", "quantity": 1}]');
SELECT * FROM xt_submit_orders('[{"symbol": "BTC-KRW", "side": "Buy", "order_type": "Limit", "price": 1500, "quantity": 1}]');
SELECT * FROM xt_submit_orders('[{"symbol": "BTC-KRW", "side": "Buy", "order_type": "Limit", "price": 1000, "quantity": true}]');
SELECT * FROM xt_submit_orders('[{"symbol": "BTC-KRW", "side": "Buy", "order_type": "Limit", "price": 1000, "quantity": 1, "account": "regress_bob"}]');
SELECT * FROM xt_submit_orders('[1, 2]');
SELECT * FROM xt_submit_orders('{"symbol": "BTC-KRW"}');
SELECT * FROM xt_submit_orders(NULL);
SELECT count(*) FROM xt_submit_orders('[]');
SELECT last_seq = :seq_before AS nothing_sequenced FROM xt_stats();
RESET ROLE;

-- the durable state agrees with itself: filled = sum of executions, nothing over-filled
SELECT count(*) AS inconsistent_orders
  FROM xtrader.orders o
  LEFT JOIN (SELECT order_id, sum(quantity) AS q FROM (
               SELECT taker_order_id AS order_id, quantity FROM xtrader.executions
               UNION ALL SELECT maker_order_id, quantity FROM xtrader.executions) x
             GROUP BY order_id) e USING (order_id)
 WHERE o.quantity - o.remaining <> coalesce(e.q, 0)
   AND o.status NOT IN (3, 4);
SELECT count(*) AS overfilled FROM xtrader.orders WHERE remaining < 0 OR remaining > quantity;
SELECT count(*) = max(seq) AS journal_gap_free FROM xtrader.journal;

DROP EXTENSION xtrader;
DROP ROLE regress_alice, regress_bob, regress_carol, regress_admin;
