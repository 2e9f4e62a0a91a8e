-- Score listings walk evaluations in the order of their metric and stop after a page (see
-- ListingSql.scorePage); a run's best walks the run's evaluations in that order and stops at the
-- first that fits. Without these, both score every candidate and sort them all.
CREATE INDEX IF NOT EXISTS evaluations_top1 ON evaluations (top1);
CREATE INDEX IF NOT EXISTS evaluations_top5 ON evaluations (top5);
CREATE INDEX IF NOT EXISTS evaluations_nll ON evaluations (nll);
CREATE INDEX IF NOT EXISTS evaluations_run_top1 ON evaluations (run_id, top1);
CREATE INDEX IF NOT EXISTS evaluations_run_top5 ON evaluations (run_id, top5);
CREATE INDEX IF NOT EXISTS evaluations_run_nll ON evaluations (run_id, nll);
