-- xtrader--0.1.sql: schema xtrader, roles, the symbol registry.
\echo Use "CREATE EXTENSION xtrader" to load this file. \quit

-- Roles are cluster-wide and outlive the extension; create them only if missing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xtrader_admin') THEN
        CREATE ROLE xtrader_admin NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xtrader_trader') THEN
        CREATE ROLE xtrader_trader NOLOGIN;
    END IF;
END
$$;

REVOKE ALL ON SCHEMA xtrader FROM PUBLIC;
GRANT USAGE ON SCHEMA xtrader TO xtrader_admin, xtrader_trader;

-- The symbol registry. Values are stored trimmed (0.0010 is kept as 0.001).
CREATE TABLE xtrader.symbols (
    symbol_id    integer     PRIMARY KEY CHECK (symbol_id >= 0),
    symbol       text        NOT NULL UNIQUE
                             CHECK (symbol ~ '^[A-Z0-9]{2,12}-[A-Z0-9]{2,12}$'),
    tick_size    numeric     NOT NULL CHECK (tick_size > 0 AND min_scale(tick_size) <= 8),
    lot_size     numeric     NOT NULL CHECK (lot_size > 0 AND min_scale(lot_size) <= 8),
    min_quantity numeric     CHECK (min_quantity > 0 AND mod(min_quantity, lot_size) = 0),
    max_quantity numeric     CHECK (max_quantity > 0 AND mod(max_quantity, lot_size) = 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (min_quantity IS NULL OR max_quantity IS NULL OR min_quantity <= max_quantity)
);
COMMENT ON TABLE xtrader.symbols IS 'Listed symbols: the tick and lot grid of each order book.';
SELECT pg_catalog.pg_extension_config_dump('xtrader.symbols', '');

REVOKE ALL ON xtrader.symbols FROM PUBLIC;
GRANT SELECT ON xtrader.symbols TO xtrader_admin, xtrader_trader;

CREATE FUNCTION xtrader.xt_create_symbol(
    symbol       text,
    tick_size    numeric,
    lot_size     numeric,
    min_quantity numeric DEFAULT NULL,
    max_quantity numeric DEFAULT NULL)
RETURNS xtrader.symbols
AS 'MODULE_PATHNAME', 'xt_create_symbol'
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION xtrader.xt_create_symbol(text, numeric, numeric, numeric, numeric)
    IS 'List a symbol with its tick size, lot size and optional quantity bounds.';

CREATE FUNCTION xtrader.xt_symbols()
RETURNS SETOF xtrader.symbols
AS $$ SELECT * FROM xtrader.symbols ORDER BY symbol_id $$
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION xtrader.xt_symbols() IS 'Every listed symbol, in id order.';

REVOKE ALL ON FUNCTION xtrader.xt_create_symbol(text, numeric, numeric, numeric, numeric) FROM PUBLIC;
REVOKE ALL ON FUNCTION xtrader.xt_symbols() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xtrader.xt_create_symbol(text, numeric, numeric, numeric, numeric) TO xtrader_admin;
GRANT EXECUTE ON FUNCTION xtrader.xt_symbols() TO xtrader_admin, xtrader_trader;
