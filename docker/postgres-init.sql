-- The application connects as a role that is NOT a superuser and does not bypass row-level
-- security; it owns the database so that its migrations create the tables and policies.
CREATE ROLE contracts_app LOGIN PASSWORD 'contracts_app' CREATEDB NOSUPERUSER NOBYPASSRLS;
CREATE DATABASE contracts OWNER contracts_app;
