-- The symbol registry: xt_create_symbol, xt_symbols, table xtrader.symbols, rights.
CREATE EXTENSION xtrader;
SET search_path = public, xtrader;
\set VERBOSITY default

-- good input; values are stored trimmed
SELECT symbol_id, symbol, tick_size, lot_size, min_quantity, max_quantity
  FROM xt_create_symbol('BTC-KRW', 1000, 0.001);
SELECT symbol_id, symbol, tick_size, lot_size, min_quantity, max_quantity
  FROM xt_create_symbol('ETH-KRW', 0.50, 0.00010000, 0.001, 1000);
SELECT symbol_id, symbol, tick_size, lot_size, min_quantity, max_quantity
  FROM xt_create_symbol('AB-CD', 0.00000001, 0.00000001);
SELECT symbol_id, symbol, tick_size, lot_size, min_quantity, max_quantity
  FROM xt_create_symbol('ABCDEFGHIJKL-123456789012', 1000000000, 1, 1, 1);
SELECT symbol_id, symbol, tick_size, lot_size, min_quantity, max_quantity FROM xt_symbols();

-- bad symbols
SELECT xt_create_symbol('btc-krw', 1, 1);
SELECT xt_create_symbol('BTCKRW', 1, 1);
SELECT xt_create_symbol('B-KRW', 1, 1);
SELECT xt_create_symbol('BTC-ABCDEFGHIJKLM', 1, 1);
SELECT xt_create_symbol('BTC-KRW-X', 1, 1);
SELECT xt_create_symbol('BTC_KRW', 1, 1);
SELECT xt_create_symbol(' BTC-KRW', 1, 1);
SELECT xt_create_symbol('', 1, 1);
SELECT xt_create_symbol('BTC-KRW', 1000, 0.001);
SELECT xt_create_symbol(NULL, 1, 1);

-- bad tick and lot sizes
SELECT xt_create_symbol('XRP-KRW', NULL, 1);
SELECT xt_create_symbol('XRP-KRW', 1, NULL);
SELECT xt_create_symbol('XRP-KRW', 0, 1);
SELECT xt_create_symbol('XRP-KRW', -1, 1);
SELECT xt_create_symbol('XRP-KRW', 'NaN', 1);
SELECT xt_create_symbol('XRP-KRW', 'Infinity', 1);
SELECT xt_create_symbol('XRP-KRW', 0.000000001, 1);
SELECT xt_create_symbol('XRP-KRW', 1, 0.000000001);
SELECT xt_create_symbol('XRP-KRW', 1, 0);
SELECT xt_create_symbol('XRP-KRW', 1000000001, 1);

-- bad quantity bounds
SELECT xt_create_symbol('XRP-KRW', 1, 0.01, 0.001);
SELECT xt_create_symbol('XRP-KRW', 1, 0.01, NULL, 1.005);
SELECT xt_create_symbol('XRP-KRW', 1, 0.01, 0);
SELECT xt_create_symbol('XRP-KRW', 1, 0.01, NULL, -1);
SELECT xt_create_symbol('XRP-KRW', 1, 0.01, 2, 1);
SELECT xt_create_symbol('XRP-KRW', 1, 1, NULL, 9007199254740992);
SELECT xt_create_symbol('XRP-KRW', 1, 1, NULL, 'NaN');

-- nothing above was listed
SELECT count(*) FROM xtrader.symbols;

-- the table's own checks hold even for a direct insert by a superuser
INSERT INTO xtrader.symbols (symbol_id, symbol, tick_size, lot_size, created_at)
  VALUES (99, 'bad', 1, 1, '2026-01-01 00:00:00+00');

-- rights: nothing for PUBLIC, creation for xtrader_admin only
CREATE ROLE regress_admin IN ROLE xtrader_admin;
CREATE ROLE regress_trader IN ROLE xtrader_trader;
CREATE ROLE regress_nobody;
SET ROLE regress_nobody;
SELECT count(*) FROM xtrader.xt_symbols();
SELECT xtrader.xt_create_symbol('XRP-KRW', 1, 1);
RESET ROLE;
SET ROLE regress_trader;
SELECT count(*) FROM xt_symbols();
SELECT xt_create_symbol('XRP-KRW', 1, 1);
INSERT INTO xtrader.symbols (symbol_id, symbol, tick_size, lot_size) VALUES (9, 'XRP-KRW', 1, 1);
RESET ROLE;
SET ROLE regress_admin;
SELECT symbol_id, symbol FROM xt_create_symbol('XRP-KRW', 1, 1);
DELETE FROM xtrader.symbols;
RESET ROLE;

-- a listing rolled back leaves its id free for the next one (the engine redefines the empty id)
BEGIN;
SELECT symbol_id FROM xt_create_symbol('ROLL-KRW', 1, 1);
ROLLBACK;
SELECT symbol_id, symbol, min_quantity FROM xt_create_symbol('NEXT-KRW', 1, 1, 2);

-- the registry holds xtrader.max_symbols symbols, then refuses with 54000
SELECT count(*) FROM (
  SELECT xt_create_symbol('S' || g || '-KRW', 1, 1) FROM generate_series(10, 67) g) s;
SELECT xt_create_symbol('FULL-KRW', 1, 1);
SELECT count(*), max(symbol_id) FROM xt_symbols();

-- SECURITY DEFINER functions pin their search_path
SELECT proname, prosecdef, proconfig FROM pg_proc
 WHERE pronamespace = 'xtrader'::regnamespace ORDER BY proname;

-- no function is executable by PUBLIC
SELECT p.proname FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
 WHERE p.pronamespace = 'xtrader'::regnamespace AND a.grantee = 0;

DROP ROLE regress_admin, regress_trader, regress_nobody;
DROP EXTENSION xtrader;
