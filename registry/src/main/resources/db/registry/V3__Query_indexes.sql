-- The indexes the listing and summary queries use. IF NOT EXISTS: registries from before
-- migrations created some of them already.
CREATE INDEX IF NOT EXISTS checkpoints_newest ON checkpoints (created_at_ms DESC, step DESC, run_id DESC);
CREATE INDEX IF NOT EXISTS checkpoints_run ON checkpoints (run_id, step);
CREATE INDEX IF NOT EXISTS checkpoints_step ON checkpoints (step, created_at_ms);
CREATE INDEX IF NOT EXISTS evaluations_checkpoint ON evaluations (checkpoint_id);
-- Covers the per-checkpoint score lookups of score filters and sorts.
CREATE INDEX IF NOT EXISTS evaluations_score ON evaluations (checkpoint_id, resolution, weights, top1);
CREATE INDEX IF NOT EXISTS evaluations_run ON evaluations (run_id);
