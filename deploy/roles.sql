-- Roles on the governance database (PostgreSQL): run by the role that owns the schema (the one that ran
-- `governance init`), after each `governance init` that upgrades the schema:
--
--   psql "postgresql://OWNER@HOST/governance" -v ON_ERROR_STOP=1 \
--        -v engine=governance_engine -v auditor=governance_auditor -f deploy/roles.sql
--
-- owner   (runs `governance init`): owns the tables and their append-only triggers; the only role that can
--         alter a table or drop a trigger. Used for migrations only, never by workers or people.
-- engine  (workers, and the CLI of submitters and chairs): reads, appends to the ledger, its MACs, snapshots
--         and policies, keeps the proposals table (the ledger's projection) up to date. It cannot update or
--         delete a record, alter a table or drop a trigger.
-- auditor (`governance verify`, `replay`, `export`, `show`): reads, nothing else.
--
-- The roles are created without passwords (set them with ALTER ROLE ... PASSWORD, or use the host's
-- pg_hba.conf); run again, this script changes nothing that is already in place.

SELECT format('CREATE ROLE %I LOGIN', :'engine')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'engine') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'auditor')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'auditor') \gexec

SELECT format('GRANT CONNECT ON DATABASE %I TO %I, %I', current_database(), :'engine', :'auditor') \gexec
GRANT USAGE ON SCHEMA public TO :"engine", :"auditor";

-- Nothing more than the engine needs: no UPDATE or DELETE on the record tables, nothing at all on the schema.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :"engine", :"auditor";
GRANT SELECT, INSERT ON ledger, ledger_macs, snapshots, policies, decision_keys TO :"engine";
GRANT SELECT, INSERT, UPDATE ON proposals TO :"engine";
GRANT SELECT ON alembic_version TO :"engine";

GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"auditor";
