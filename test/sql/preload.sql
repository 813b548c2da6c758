-- The extension reports its GUCs and refuses unknown ones under its reserved prefix.
SHOW xtrader.max_symbols;
SET xtrader.max_symbols = 10;
SET xtrader.no_such_setting = 1;
-- boot_val: the built-in defaults (the test cluster sets its own API ports)
SELECT name, boot_val, context FROM pg_settings WHERE name LIKE 'xtrader.%' ORDER BY name;
