-- The hot path planned as if it were a report (G11). gatehouse.operator_access (migration 25)
-- is a set-returning function, which the planner assumes returns 1000 rows; joined to
-- validate_session (also 1000 by default) that made resolve_session's estimate millions, past
-- jit_above_cost, and every signed-in request spent about 80 ms compiling its query to machine
-- code (measured: 111 ms per call, 0.4 ms after this). Both return at most one row; and a
-- statement that reads a handful of rows by key never gains from JIT, whatever the estimate.
ALTER FUNCTION gatehouse.operator_access(text) ROWS 1;
ALTER FUNCTION gatehouse.resolve_session(text, text, text) ROWS 1 SET jit = off;
