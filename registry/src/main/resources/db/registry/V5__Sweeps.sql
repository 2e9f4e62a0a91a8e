-- Scaling studies folded from cardinal.sweeps: one row per sweep, one per point. Their scores are
-- not copied here; they are the evaluations of each point's run (sweep_points.run_id).
CREATE TABLE IF NOT EXISTS sweeps (
  sweep_id TEXT PRIMARY KEY,
  dataset TEXT,
  budget_samples BIGINT,
  -- running, stop-requested or stopped: the sweep as a whole, from its lifecycle events
  state TEXT NOT NULL,
  message TEXT,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS sweep_points (
  sweep_id TEXT NOT NULL,
  point_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  preset TEXT NOT NULL,
  family TEXT,
  width_multiplier DOUBLE PRECISION NOT NULL,
  depth INTEGER,
  train_resolution INTEGER NOT NULL,
  regularization DOUBLE PRECISION NOT NULL,
  macs BIGINT NOT NULL,
  parameters BIGINT NOT NULL,
  -- pending until the point's first progress event, then running, done, stopped or failed
  state TEXT NOT NULL,
  samples_trained BIGINT NOT NULL,
  train_images_per_second DOUBLE PRECISION,
  message TEXT,
  defined_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL,
  PRIMARY KEY (sweep_id, point_id)
);
