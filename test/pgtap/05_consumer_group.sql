-- pgTAP: the Redis consumer group's tables (execution_history, execution_dead_letters), their
-- store functions, rights, idempotence and the SQLSTATEs a bad message gets (class 22 / 23: the
-- members take those as "this message is refused" and isolate it as a dead letter).
BEGIN;
SELECT plan(30);

SELECT has_table('xtrader', 'execution_history', 'table xtrader.execution_history exists');
SELECT has_table('xtrader', 'execution_dead_letters', 'table xtrader.execution_dead_letters exists');
SELECT col_is_pk('xtrader', 'execution_history', 'message_id', 'one history row per message id');
SELECT col_is_pk('xtrader', 'execution_dead_letters', ARRAY['stream', 'entry_id'],
                 'one dead letter per stream entry');
SELECT col_type_is('xtrader', 'execution_history', 'body', 'json',
                   'the body is kept as received (json, not rebuilt as jsonb)');
SELECT col_is_null('xtrader', 'execution_dead_letters', 'message_id',
                   'a dead letter whose entry id is not <id>-0 has no message id');
SELECT table_privs_are('xtrader', 'execution_dead_letters', 'xtrader_admin', ARRAY['SELECT'],
                       'admins can read the dead letters');
SELECT table_privs_are('xtrader', 'execution_dead_letters', 'xtrader_trader', ARRAY[]::text[],
                       'traders cannot');
SELECT table_privs_are('xtrader', 'execution_dead_letters', 'public', ARRAY[]::text[],
                       'nor can PUBLIC');

SELECT has_function('xtrader', 'xt_store_executions',
                    ARRAY['bigint[]', 'bigint[]', 'text[]', 'bigint[]', 'text[]', 'text[]',
                          'numeric[]', 'numeric[]', 'text[]', 'text[]', 'text']);
SELECT has_function('xtrader', 'xt_store_dead_letters',
                    ARRAY['text', 'text[]', 'bigint[]', 'text[]', 'text[]', 'text']);
SELECT ok((SELECT bool_and(prosecdef AND proconfig @> ARRAY['search_path=pg_catalog, pg_temp'])
             FROM pg_proc
            WHERE pronamespace = 'xtrader'::regnamespace
              AND proname IN ('xt_store_executions', 'xt_store_dead_letters',
                              'xt_store_execution_messages')),
          'the three store functions run as their owner with a pinned search_path');
SELECT function_privs_are('xtrader', 'xt_store_dead_letters',
                          ARRAY['text', 'text[]', 'bigint[]', 'text[]', 'text[]', 'text'],
                          'xtrader_admin', ARRAY['EXECUTE'], 'admins can store dead letters');
SELECT function_privs_are('xtrader', 'xt_store_dead_letters',
                          ARRAY['text', 'text[]', 'bigint[]', 'text[]', 'text[]', 'text'],
                          'xtrader_trader', ARRAY[]::text[], 'traders cannot');
SELECT function_privs_are('xtrader', 'xt_store_executions',
                          ARRAY['bigint[]', 'bigint[]', 'text[]', 'bigint[]', 'text[]', 'text[]',
                                'numeric[]', 'numeric[]', 'text[]', 'text[]', 'text'],
                          'xtrader_admin', ARRAY['EXECUTE'], 'admins can store executions');
SELECT function_privs_are('xtrader', 'xt_store_executions',
                          ARRAY['bigint[]', 'bigint[]', 'text[]', 'bigint[]', 'text[]', 'text[]',
                                'numeric[]', 'numeric[]', 'text[]', 'text[]', 'text'],
                          'xtrader_trader', ARRAY[]::text[], 'traders cannot');

-- storing: typed arrays, then the same again (a redelivery), then from the bodies alone
SELECT is(xtrader.xt_store_executions('{9000000000002,9000000000003}', '{4500000000001,4500000000001}',
              '{taker,maker}', '{11,12}', '{"TAP-KRW","TAP-KRW"}', '{Buy,Sell}', '{"100.5","100.5"}',
              '{"0.001","0.001"}', '{Filled,PartiallyFilled}',
              ARRAY['{"type":"Execution", "a":1}', '{"type":"Execution","b":2}'], 'tap'),
          2, 'xt_store_executions stores a batch and returns the rows it inserted');
SELECT is(xtrader.xt_store_executions('{9000000000002}', '{4500000000001}', '{taker}', '{11}',
              '{TAP-KRW}', '{Buy}', '{1}', '{1}', '{Filled}', '{"{}"}', 'tap'),
          0, 'the same message id again is ignored (idempotent)');
SELECT is((SELECT body::text FROM xtrader.execution_history WHERE message_id = 9000000000002),
          '{"type":"Execution", "a":1}', 'the body is stored byte for byte');
SELECT is(xtrader.xt_store_execution_messages('{9000000000004}',
              ARRAY['{"type":"Execution","execution_report":{"order_id":13,"execution_id":4500000000002,'
                    '"symbol":"TAP-KRW","side":"Buy","price":"7","quantity":"2","role":"taker"},'
                    '"order_status":"Filled"}'], 'tap'),
          1, 'xt_store_execution_messages parses the bodies in SQL and stores the same columns');
SELECT is((SELECT (order_id, price, quantity, role)::text FROM xtrader.execution_history
            WHERE message_id = 9000000000004), '(13,7,2,taker)', 'with the fields of the body');
SELECT is(xtrader.xt_store_execution_messages('{}', '{}', 'tap'), 0, 'an empty batch stores nothing');

-- what a member gets for a bad message: SQLSTATE class 22 or 23
SELECT throws_ok($$SELECT xtrader.xt_store_executions('{9000000000006}', '{1}', '{taker}', '{1}',
                       '{X}', '{Buy}', '{1}', '{1}', '{Filled}', '{"not json"}', 'tap')$$,
                 '22P02', NULL, 'a body that is not JSON: 22P02');
SELECT throws_ok($$SELECT xtrader.xt_store_executions('{9000000000006}', '{1}', '{nobody}', '{1}',
                       '{X}', '{Buy}', '{1}', '{1}', '{Filled}', '{"{}"}', 'tap')$$,
                 '23514', NULL, 'a role that is neither taker nor maker: 23514');
SELECT throws_ok($$SELECT xtrader.xt_store_executions('{9000000000006}', '{1}', '{taker}', '{1}',
                       '{X}', '{Buy}', '{"1e999999"}', '{1}', '{Filled}', '{"{}"}', 'tap')$$,
                 '22003', NULL, 'a price numeric cannot hold: 22003');
SELECT throws_ok($$SELECT xtrader.xt_store_execution_messages('{9000000000006}',
                       '{"{\"execution_report\":{}}"}', 'tap')$$,
                 '23502', NULL, 'a body without the fields: 23502');

-- dead letters: once per stream entry, with or without a message id
SELECT is(xtrader.xt_store_dead_letters('tap-stream', '{9000000000008-0,17-5}', '{9000000000008,NULL}',
              '{"not json",""}', '{"not valid JSON","no field"}', 'tap'),
          2, 'xt_store_dead_letters stores each entry');
SELECT is(xtrader.xt_store_dead_letters('tap-stream', '{9000000000008-0}', '{9000000000008}',
              '{"not json"}', '{"again"}', 'tap'),
          0, 'the same entry again is ignored (idempotent)');
SELECT is((SELECT string_agg(entry_id || ' ' || coalesce(message_id::text, '-') || ' ' || error, '; '
                             ORDER BY entry_id)
             FROM xtrader.execution_dead_letters WHERE stream = 'tap-stream'),
          '17-5 - no field; 9000000000008-0 9000000000008 not valid JSON',
          'each with its entry id, message id and first reason');
SELECT is(xtrader.xt_store_dead_letters('other-stream', '{9000000000008-0}', '{9000000000008}',
              '{"x"}', '{"y"}', 'tap'),
          1, 'the same entry id in another stream is another dead letter');

SELECT * FROM finish();
ROLLBACK;
