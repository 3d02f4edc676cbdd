-- The bookkeeping tables of Herald's PostgreSQL state components, made with the database
-- and exactly as Dapr makes them (components-contrib 1.18, its PostgreSQL migrations). Several
-- sidecars start at once on a new database, and each runs `CREATE TABLE IF NOT EXISTS` on these
-- before it takes its migration lock: two doing it at the same moment can fail one of them with
-- "relation already exists" (42P07), which Dapr does not retry, and that sidecar exits (seen:
-- the dispatcher's, on `records_metadata`). Made here first, the race has nothing to create.
CREATE TABLE IF NOT EXISTS dapr_metadata (key text NOT NULL PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS records_metadata (key text NOT NULL PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS data_keys_metadata (key text NOT NULL PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS homes_metadata (key text NOT NULL PRIMARY KEY, value text NOT NULL);
