-- Run once by the postgres image on an empty data volume (as POSTGRES_USER).
-- One database per service: auth owns fltr_auth, content owns fltr.
-- Idempotent (psql \gexec), so a rerun against an existing cluster is harmless.
SELECT 'CREATE DATABASE fltr_auth' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'fltr_auth')\gexec
SELECT 'CREATE DATABASE fltr' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'fltr')\gexec
