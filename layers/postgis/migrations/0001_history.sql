-- The fixed schema onemap owns: the change history every replica follows and
-- the register of catalogue layers. Layer tables themselves are created and
-- extended from the catalogue (schema.go), not here.
CREATE TABLE IF NOT EXISTS onemap_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer       text        NOT NULL,
    op          text        NOT NULL CHECK (op IN ('create', 'replace', 'delete', 'import')),
    feature_id  bigint,
    old_value   jsonb,
    new_value   jsonb,
    batch_count bigint,
    batch_bounds geometry(Polygon, 4490),
    username    text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS onemap_history_layer_feature ON onemap_history (layer, feature_id);

CREATE TABLE IF NOT EXISTS onemap_layers (
    id            text PRIMARY KEY,
    name          text NOT NULL,
    geometry_type text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
