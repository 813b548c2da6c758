-- pgTAP: API keys of the REST/WebSocket APIs: their table, functions, rights and errors.
BEGIN;
SELECT plan(24);

SELECT has_table('xtrader', 'api_keys', 'table xtrader.api_keys exists');
SELECT col_is_pk('xtrader', 'api_keys', 'api_key', 'api_key is the key');
SELECT has_function('xtrader', 'xt_create_api_key', ARRAY['text', 'integer', 'integer']);
SELECT has_function('xtrader', 'xt_revoke_api_key', ARRAY['text']);
SELECT is_definer('xtrader', 'xt_create_api_key', ARRAY['text', 'integer', 'integer'],
                  'xt_create_api_key runs as its owner');
SELECT ok((SELECT proconfig @> ARRAY['search_path=pg_catalog, pg_temp']
             FROM pg_proc WHERE oid = 'xtrader.xt_create_api_key(text, integer, integer)'::regprocedure),
          'xt_create_api_key pins its search_path');
SELECT ok((SELECT proconfig @> ARRAY['search_path=pg_catalog, pg_temp']
             FROM pg_proc WHERE oid = 'xtrader.xt_revoke_api_key(text)'::regprocedure),
          'xt_revoke_api_key pins its search_path');
SELECT function_privs_are('xtrader', 'xt_create_api_key', ARRAY['text', 'integer', 'integer'],
                          'public', ARRAY[]::text[], 'PUBLIC cannot create keys');
SELECT function_privs_are('xtrader', 'xt_create_api_key', ARRAY['text', 'integer', 'integer'],
                          'xtrader_trader', ARRAY[]::text[], 'traders cannot create keys');
SELECT function_privs_are('xtrader', 'xt_create_api_key', ARRAY['text', 'integer', 'integer'],
                          'xtrader_admin', ARRAY['EXECUTE'], 'admins can create keys');
SELECT function_privs_are('xtrader', 'xt_revoke_api_key', ARRAY['text'],
                          'xtrader_trader', ARRAY[]::text[], 'traders cannot revoke keys');
SELECT table_privs_are('xtrader', 'api_keys', 'xtrader_trader', ARRAY[]::text[],
                       'traders cannot read the keys');
SELECT column_privs_are('xtrader', 'api_keys', 'secret', 'xtrader_admin', ARRAY[]::text[],
                        'not even admins can read a secret back');

CREATE ROLE xt_tap_alice NOLOGIN;
CREATE TEMP TABLE k AS SELECT * FROM xtrader.xt_create_api_key('xt_tap_alice');
SELECT ok((SELECT api_key ~ '^xtk_[0-9a-f]{32}$' FROM k), 'a key looks like xtk_ + 32 hex digits');
SELECT ok((SELECT secret ~ '^[0-9a-f]{64}$' FROM k), 'a secret is 64 hex digits');
SELECT is((SELECT account FROM xtrader.api_keys WHERE api_key = (SELECT api_key FROM k)),
          'xt_tap_alice'::regrole::oid, 'the key belongs to the role');
SELECT isnt((SELECT api_key FROM xtrader.xt_create_api_key('xt_tap_alice')),
            (SELECT api_key FROM k), 'every key is new');
SELECT throws_ok($$SELECT * FROM xtrader.xt_create_api_key('xt_tap_nobody')$$, '42704',
                 'role "xt_tap_nobody" does not exist', 'an unknown account is refused');
SELECT throws_ok($$SELECT * FROM xtrader.xt_create_api_key(NULL)$$, '22004', NULL,
                 'a null account is refused');
SELECT throws_ok($$SELECT * FROM xtrader.xt_create_api_key('xt_tap_alice', 0)$$, '22003', NULL,
                 'a rate limit of 0 is refused');
SELECT throws_ok($$SELECT * FROM xtrader.xt_create_api_key('xt_tap_alice', 60, 2000000)$$, '22003',
                 NULL, 'a burst over 1000000 is refused');
SELECT is(xtrader.xt_revoke_api_key((SELECT api_key FROM k)), true, 'revoking an active key');
SELECT is(xtrader.xt_revoke_api_key((SELECT api_key FROM k)), false, 'revoking it again');
SELECT is(xtrader.xt_revoke_api_key('xtk_unknown'), false, 'revoking an unknown key');

SELECT * FROM finish();
ROLLBACK;
