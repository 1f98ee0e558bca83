-- supabase-local bootstrap: the parts of Supabase's Postgres image that the API layer relies on.
-- Applied once, as the superuser `postgres`, to the cached template cluster.
--
-- Followed (supabase/postgres):
--   migrations/db/init-scripts/00000000000000-initial-schema.sql  roles, extensions, grants, default privileges
--   migrations/db/init-scripts/00000000000001-auth-schema.sql     `auth` schema and its usage grant
--   migrations/db/init-scripts/00000000000002-storage-schema.sql  `storage` schema grants (tables come later)
--   migrations/db/init-scripts/00000000000003-post-setup.sql      search_path of `postgres`
--   migrations/db/migrations/20230529180330_alter_api_roles_for_inherit.sql
--   migrations/db/migrations/20221028101028_set_authenticator_timeout.sql
--   migrations/db/migrations/20260923021047_update_pgrst_watch_triggers.sql   `NOTIFY pgrst` on DDL
-- and (supabase/auth):
--   migrations/20211124214934_update_auth_functions.up.sql   auth.role(), auth.email()
--   migrations/20211202183645_update_auth_uid.up.sql         auth.uid()
--   migrations/20220531120530_add_auth_jwt_function.up.sql   auth.jwt()
-- Supabase-internal roles (supabase_admin, supabase_auth_admin, ...) are left out: here `postgres` owns everything.

-- Realtime (later) publishes through this publication; empty by default.
create publication supabase_realtime;

-- Extension namespacing.
create schema if not exists extensions;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;

-- API roles. PostgREST logs in as `authenticator` and switches to the JWT's role.
create role anon nologin noinherit;
create role authenticated nologin noinherit;
create role service_role nologin noinherit bypassrls;
create role authenticator login noinherit password 'postgres';
grant anon to authenticator;
grant authenticated to authenticator;
grant service_role to authenticator;

alter role authenticated inherit;
alter role anon inherit;
alter role service_role inherit;

grant usage on schema public to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to postgres, anon, authenticated, service_role;

-- Allow extensions to be used in the API.
grant usage on schema extensions to postgres, anon, authenticated, service_role;

alter role postgres set search_path to "$user", public, extensions;

-- Short statement timeouts for the API roles.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';

-- auth: helpers that read the claims PostgREST puts in `request.jwt.claims`
-- (and the pre-v10 per-claim settings `request.jwt.claim.*`).
create schema if not exists auth;

create or replace function auth.uid()
returns uuid
language sql stable
as $$
  select
  nullif(
    coalesce(
      current_setting('request.jwt.claim.sub', true),
      (current_setting('request.jwt.claims', true)::jsonb ->> 'sub')
    ),
    ''
  )::uuid
$$;

create or replace function auth.role()
returns text
language sql stable
as $$
  select
    coalesce(
      current_setting('request.jwt.claim.role', true),
      (current_setting('request.jwt.claims', true)::jsonb ->> 'role')
    )::text
$$;

create or replace function auth.email()
returns text
language sql stable
as $$
  select
    coalesce(
      current_setting('request.jwt.claim.email', true),
      (current_setting('request.jwt.claims', true)::jsonb ->> 'email')
    )::text
$$;

create or replace function auth.jwt()
returns jsonb
language sql stable
as $$
  select
    coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
$$;

grant usage on schema auth to anon, authenticated, service_role;

-- storage: empty for now; the storage stand-in creates its tables.
create schema if not exists storage;
grant usage on schema storage to postgres, anon, authenticated, service_role;
alter default privileges in schema storage grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema storage grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema storage grant all on sequences to postgres, anon, authenticated, service_role;

-- Tell PostgREST (listening on its db-channel `pgrst`) to reload its schema cache after DDL.
create or replace function extensions.pgrst_ddl_watch() returns event_trigger
language plpgsql
as $$
declare
  cmd record;
begin
  for cmd in select * from pg_event_trigger_ddl_commands()
  loop
    if cmd.command_tag in (
      'CREATE SCHEMA', 'ALTER SCHEMA'
    , 'CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE'
    , 'CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE'
    , 'CREATE VIEW', 'ALTER VIEW'
    , 'CREATE MATERIALIZED VIEW', 'ALTER MATERIALIZED VIEW'
    , 'CREATE FUNCTION', 'ALTER FUNCTION'
    , 'CREATE TYPE', 'ALTER TYPE'
    , 'CREATE RULE'
    , 'COMMENT'
    )
    and coalesce(cmd.schema_name, '') not in ('pg_temp', 'auth', 'realtime', '_realtime', 'storage')
    or (cmd.command_tag = 'CREATE TRIGGER' and cmd.object_identity not like '% pg\_temp.%')
    then
      notify pgrst, 'reload schema';
    end if;
  end loop;
end; $$;

create or replace function extensions.pgrst_drop_watch() returns event_trigger
language plpgsql
as $$
declare
  obj record;
begin
  for obj in select * from pg_event_trigger_dropped_objects()
  loop
    if obj.object_type in (
      'schema'
    , 'table'
    , 'foreign table'
    , 'view'
    , 'materialized view'
    , 'function'
    , 'type'
    , 'rule'
    )
    and obj.is_temporary is false
    and coalesce(obj.schema_name, '') not in ('auth', 'realtime', '_realtime', 'storage')
    or (obj.object_type = 'trigger' and obj.object_identity not like '% pg\_temp.%')
    then
      notify pgrst, 'reload schema';
    end if;
  end loop;
end; $$;

create event trigger pgrst_ddl_watch on ddl_command_end execute procedure extensions.pgrst_ddl_watch();
create event trigger pgrst_drop_watch on sql_drop execute procedure extensions.pgrst_drop_watch();
