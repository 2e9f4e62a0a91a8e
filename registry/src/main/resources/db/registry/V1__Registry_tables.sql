-- The four tables as the first registry made them. IF NOT EXISTS: a database of a registry from
-- before migrations is baselined at this version, and one half made by a failed start may be met.
CREATE TABLE IF NOT EXISTS checkpoints (
  checkpoint_id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  step BIGINT NOT NULL,
  epoch INTEGER NOT NULL,
  samples_seen BIGINT NOT NULL,
  model TEXT,
  bucket TEXT,
  prefix TEXT,
  spec TEXT,
  schedule TEXT,
  train_metrics TEXT,
  created_at_ms BIGINT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  deleted_at_ms BIGINT
);

CREATE TABLE IF NOT EXISTS evaluations (
  evaluation_id TEXT PRIMARY KEY,
  checkpoint_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  step BIGINT NOT NULL,
  resolution INTEGER NOT NULL,
  weights TEXT NOT NULL,
  images BIGINT NOT NULL,
  top1 DOUBLE PRECISION,
  top5 DOUBLE PRECISION,
  nll DOUBLE PRECISION,
  error TEXT,
  evaluated_at_ms BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS aliases (
  run_id TEXT NOT NULL,
  alias TEXT NOT NULL,
  step BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL,
  PRIMARY KEY (run_id, alias)
);

CREATE TABLE IF NOT EXISTS tags (
  checkpoint_id TEXT NOT NULL,
  tag TEXT NOT NULL,
  PRIMARY KEY (checkpoint_id, tag)
);
