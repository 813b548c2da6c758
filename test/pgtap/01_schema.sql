-- pgTAP: the shape of the xtrader schema and its rights.
BEGIN;
SELECT plan(22);

SELECT has_schema('xtrader');
SELECT has_role('xtrader_admin');
SELECT has_role('xtrader_trader');
SELECT has_table('xtrader', 'symbols', 'table xtrader.symbols exists');
SELECT col_is_pk('xtrader', 'symbols', 'symbol_id', 'symbol_id is the key');
SELECT col_is_unique('xtrader', 'symbols', 'symbol', 'symbol names are unique');
SELECT col_type_is('xtrader', 'symbols', 'tick_size', 'numeric', 'tick_size is exact numeric');
SELECT col_type_is('xtrader', 'symbols', 'lot_size', 'numeric', 'lot_size is exact numeric');
SELECT col_not_null('xtrader', 'symbols', 'tick_size', 'tick_size is required');
SELECT col_not_null('xtrader', 'symbols', 'lot_size', 'lot_size is required');

SELECT has_function('xtrader', 'xt_create_symbol',
                    ARRAY['text', 'numeric', 'numeric', 'numeric', 'numeric']);
SELECT has_function('xtrader', 'xt_symbols', ARRAY[]::text[]);
SELECT is_definer('xtrader', 'xt_create_symbol',
                  ARRAY['text', 'numeric', 'numeric', 'numeric', 'numeric'],
                  'xt_create_symbol runs as its owner');
SELECT isnt_definer('xtrader', 'xt_symbols', ARRAY[]::text[], 'xt_symbols runs as its caller');
SELECT function_returns('xtrader', 'xt_symbols', ARRAY[]::text[], 'setof symbols');

SELECT schema_privs_are('xtrader', 'public', ARRAY[]::text[], 'PUBLIC cannot use the schema');
SELECT schema_privs_are('xtrader', 'xtrader_trader', ARRAY['USAGE']);
SELECT table_privs_are('xtrader', 'symbols', 'xtrader_trader', ARRAY['SELECT']);
SELECT table_privs_are('xtrader', 'symbols', 'xtrader_admin', ARRAY['SELECT']);
SELECT function_privs_are('xtrader', 'xt_create_symbol',
                          ARRAY['text', 'numeric', 'numeric', 'numeric', 'numeric'],
                          'xtrader_trader', ARRAY[]::text[], 'traders cannot list symbols');
SELECT function_privs_are('xtrader', 'xt_create_symbol',
                          ARRAY['text', 'numeric', 'numeric', 'numeric', 'numeric'],
                          'xtrader_admin', ARRAY['EXECUTE'], 'admins can list symbols');
SELECT function_privs_are('xtrader', 'xt_symbols', ARRAY[]::text[],
                          'xtrader_trader', ARRAY['EXECUTE']);

SELECT * FROM finish();
ROLLBACK;
