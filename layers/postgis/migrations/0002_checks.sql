-- Field checks (核查) of supervised features: appended, never updated, so a
-- feature's latest row is its current check and the rows before it are its
-- check history. The computed verdict at the time is kept beside the result.
CREATE TABLE IF NOT EXISTS onemap_checks (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer      text        NOT NULL,
    feature_id bigint      NOT NULL,
    result     text        NOT NULL CHECK (result IN ('confirmed_legal', 'confirmed_illegal', 'rectifying', 'rectified', 'other')),
    comment    text        NOT NULL DEFAULT '',
    verdict    text        NOT NULL DEFAULT '',
    username   text        NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS onemap_checks_layer_feature ON onemap_checks (layer, feature_id, id);
