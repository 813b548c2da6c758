-- pgTAP: the broker publishing objects: cursors table, xt_broker_status(), their rights.
BEGIN;
SELECT plan(14);

SELECT has_table('xtrader', 'broker_cursors', 'table xtrader.broker_cursors exists');
SELECT col_is_pk('xtrader', 'broker_cursors', 'broker', 'one cursor per broker');
SELECT col_default_is('xtrader', 'broker_cursors', 'last_id', '1',
                      'a new cursor is before message 2, the first one');
SELECT col_default_is('xtrader', 'broker_cursors', 'market_id', '1',
                      'a new market data cursor is before message 2 (the book after command 1)');
SELECT throws_ok($$INSERT INTO xtrader.broker_cursors (broker, market_id) VALUES ('kafka', 0)$$,
                 '23514', NULL, 'market data ids start at 1');
SELECT is((SELECT proargnames FROM pg_proc WHERE oid = 'xtrader.xt_broker_status()'::regprocedure),
          ARRAY['broker', 'state', 'cursor', 'lag_messages', 'lag_seconds', 'market_cursor',
                'market_lag_commands', 'messages_sent', 'messages_confirmed', 'errors',
                'reconnects', 'last_error', 'last_success']::text[],
          'xt_broker_status() shows both streams: executions and market data');
SELECT throws_ok($$INSERT INTO xtrader.broker_cursors (broker) VALUES ('mqtt')$$, '23514', NULL,
                 'only redis, kafka and amqp have cursors');
SELECT has_function('xtrader', 'xt_broker_status', ARRAY[]::text[]);
SELECT is_definer('xtrader', 'xt_broker_status', ARRAY[]::text[], 'xt_broker_status runs as its owner');
SELECT ok((SELECT proconfig @> ARRAY['search_path=pg_catalog, pg_temp']
             FROM pg_proc WHERE oid = 'xtrader.xt_broker_status()'::regprocedure),
          'xt_broker_status pins its search_path');
SELECT function_privs_are('xtrader', 'xt_broker_status', ARRAY[]::text[], 'xtrader_trader',
                          ARRAY[]::text[], 'traders cannot see broker status');
SELECT function_privs_are('xtrader', 'xt_broker_status', ARRAY[]::text[], 'xtrader_admin',
                          ARRAY['EXECUTE'], 'admins can');
SELECT function_privs_are('xtrader', '_broker_state', ARRAY[]::text[], 'xtrader_admin',
                          ARRAY[]::text[], 'the raw state function is internal');
-- the test cluster configures no broker: no worker, no row
SELECT is((SELECT count(*)::int FROM xtrader.xt_broker_status()), 0,
          'no broker configured, no status row');

SELECT * FROM finish();
ROLLBACK;
