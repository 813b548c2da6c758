-- pgTAP: xt_create_symbol behaviour and its SQLSTATEs.
BEGIN;
SELECT plan(16);

SELECT lives_ok($$ SELECT xtrader.xt_create_symbol('TAP-KRW', 1000, 0.001) $$, 'list TAP-KRW');
SELECT results_eq(
    $$ SELECT symbol, tick_size, lot_size FROM xtrader.xt_symbols() WHERE symbol = 'TAP-KRW' $$,
    $$ VALUES ('TAP-KRW'::text, 1000::numeric, 0.001::numeric) $$,
    'TAP-KRW is listed with its grid');
SELECT is((SELECT min_scale(lot_size) FROM xtrader.symbols WHERE symbol = 'TAP-KRW'), 3,
          'values are stored trimmed');

SELECT throws_ok($$ SELECT xtrader.xt_create_symbol('TAP-KRW', 1, 1) $$, '23505',
                 'symbol "TAP-KRW" already exists', 'duplicate symbol is 23505');
SELECT throws_ok($$ SELECT xtrader.xt_create_symbol('tap-krw', 1, 1) $$, '22023',
                 'invalid symbol "tap-krw"', 'lower case is 22023');
SELECT throws_ok($$ SELECT xtrader.xt_create_symbol(NULL, 1, 1) $$, '22004',
                 'symbol must not be null', 'null symbol is 22004');
SELECT throws_ok($$ SELECT xtrader.xt_create_symbol('TAP-USD', 0, 1) $$, '22023',
                 'tick_size must be positive');
SELECT throws_ok($$ SELECT xtrader.xt_create_symbol('TAP-USD', 1, -0.5) $$, '22023',
                 'lot_size must be positive');
SELECT throws_ok($$ SELECT xtrader.xt_create_symbol('TAP-USD', 0.123456789, 1) $$, '22023',
                 'tick_size must have at most 8 fractional digits');
SELECT throws_ok($$ SELECT xtrader.xt_create_symbol('TAP-USD', 1e10, 1) $$, '22003',
                 'tick_size must not exceed 1000000000');
SELECT throws_ok($$ SELECT xtrader.xt_create_symbol('TAP-USD', 1, 0.1, 0.05) $$, '22023',
                 'min_quantity 0.05 is not a multiple of the lot size 0.1');
SELECT throws_ok($$ SELECT xtrader.xt_create_symbol('TAP-USD', 1, 0.1, 5, 1) $$, '22023',
                 'min_quantity 5 is greater than max_quantity 1');
SELECT throws_ok($$ SELECT xtrader.xt_create_symbol('TAP-USD', 1, 1, 1, 1e16) $$, '22003',
                 'max_quantity 10000000000000000 is out of range');
SELECT throws_ok($$ SELECT xtrader.xt_create_symbol('TAP-USD', 'NaN', 1) $$, '22023',
                 'tick_size must be a finite number');

SELECT is((SELECT count(*)::int FROM xtrader.symbols WHERE symbol = 'TAP-USD'), 0,
          'no failed call listed anything');
SELECT is((SELECT symbol_id FROM xtrader.xt_create_symbol('TAP-EUR', 1, 1)),
          (SELECT symbol_id + 1 FROM xtrader.symbols WHERE symbol = 'TAP-KRW'),
          'ids are dense: failed calls used no id');

SELECT * FROM finish();
ROLLBACK;
