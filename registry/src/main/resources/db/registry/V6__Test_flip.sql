-- Flip test-time augmentation (a schedule's testFlip): whether an evaluation averaged each image
-- with its mirror (0/1 rather than BOOLEAN, which SQLite and PostgreSQL bind differently), and the
-- top-1 of the images alone beside it. Null for the evaluations from before: one view, not recorded.
ALTER TABLE evaluations ADD COLUMN test_flip INTEGER;
ALTER TABLE evaluations ADD COLUMN single_view_top1 DOUBLE PRECISION;
