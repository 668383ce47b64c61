-- The application connects as a role that is NOT a superuser and does not bypass row-level
-- security; it owns the database so that its migrations create the tables and policies.
CREATE ROLE contracts_app LOGIN PASSWORD 'contracts_app' CREATEDB NOSUPERUSER NOBYPASSRLS;
CREATE DATABASE contracts OWNER contracts_app;
-- Cross-tenant work (the SLA sweep, public verification of a sealed PDF) connects as a role of its
-- own: it bypasses row-level security and, as a member of the application's role, has its table
-- privileges. The application's role is not a member of it, so the web role has no way past its
-- tenant's rows.
CREATE ROLE contracts_app_cross LOGIN PASSWORD 'contracts_app_cross' NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS;
GRANT contracts_app TO contracts_app_cross;
