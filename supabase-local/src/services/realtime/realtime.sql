-- The realtime stand-in's database objects, part of the bootstrap SQL of the template cluster
-- (`pg.rs` `BOOTSTRAP_SQL`), so they exist before project migrations run: a migration can add
-- RLS policies on `realtime.messages`, as on a Supabase project. The template cache key hashes
-- the bootstrap SQL, so a change here builds a new template.
--
-- `realtime.messages` and `realtime.topic()` follow supabase/realtime's tenant migrations
-- (`lib/realtime/tenants/repo/migrations/*_create_realtime_messages_table.ex`,
-- `*_realtime_topic_function.ex`): private channels are authorised by RLS policies on this
-- table, with `realtime.topic()` naming the channel being joined.
--
-- Postgres changes are captured by a trigger (installed on tables of the `supabase_realtime`
-- publication when a client subscribes to them) that queues the row into `realtime._changes`
-- and notifies the service, instead of Realtime's logical replication slot with wal2json.
create schema if not exists realtime;
grant usage on schema realtime to anon, authenticated, service_role;

create table if not exists realtime.messages (
    topic text not null,
    extension text not null,
    payload jsonb,
    event text,
    private boolean default false,
    updated_at timestamp without time zone not null default now(),
    inserted_at timestamp without time zone not null default now(),
    id uuid not null default gen_random_uuid(),
    primary key (id)
);
alter table realtime.messages enable row level security;
grant select, insert, update on realtime.messages to anon, authenticated, service_role;

create or replace function realtime.topic() returns text
language sql stable as $$
    select nullif(current_setting('realtime.topic', true), '')::text;
$$;
grant execute on function realtime.topic() to anon, authenticated, service_role;

create table if not exists realtime._changes (
    id bigserial primary key,
    payload jsonb not null
);

create or replace function realtime._capture_change() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
    change_id bigint;
begin
    insert into realtime._changes (payload)
    values (jsonb_build_object(
        'schema', tg_table_schema,
        'table', tg_table_name,
        'type', tg_op,
        'record', case when tg_op <> 'DELETE' then to_jsonb(new) end,
        'old_record', case when tg_op <> 'INSERT' then to_jsonb(old) end,
        'commit_timestamp', to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    ))
    returning id into change_id;
    perform pg_notify('supabase_realtime_changes', change_id::text);
    return null;
end;
$$;

-- Broadcast from Database: `realtime.send` queues a broadcast as a row of `realtime.messages`,
-- and `realtime.broadcast_changes` (for row triggers) sends a row change through it. Their
-- signatures and effects follow supabase/realtime's tenant migrations
-- (`lib/realtime/tenants/repo/migrations/20260420000000_squash_migrations.ex`): `send` runs as
-- the caller, so RLS insert policies on `realtime.messages` apply; its failures are warnings,
-- never the caller's error; the payload gets the message's `id` unless it has one.
-- Realtime streams committed rows of `realtime.messages` to the topic's subscribers
-- (`Realtime.Tenants.ReplicationConnection`); here a trigger notifies the service of each
-- committed row (a rolled-back insert, such as the authorisation checks' own, notifies no one).
create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void language plpgsql as $$
declare
    message_id uuid := gen_random_uuid();
begin
    begin
        perform set_config('realtime.topic', topic, true);
        insert into realtime.messages (id, topic, extension, event, private, payload)
        values (
            message_id, topic, 'broadcast', event, private,
            case when payload ? 'id' then payload
                 else jsonb_set(payload, '{id}', to_jsonb(message_id)) end
        );
    exception when others then
        raise warning 'ErrorSendingBroadcastMessage: %', sqlerrm;
    end;
end;
$$;

create or replace function realtime.broadcast_changes(
    topic_name text, event_name text, operation text, table_name text, table_schema text,
    new record, old record, level text default 'ROW'
) returns void language plpgsql as $$
begin
    if level = 'STATEMENT' then
        raise exception 'Failed to process the row: function can only be triggered for each row, not for each statement';
    end if;
    if operation is null or operation not in ('INSERT', 'UPDATE', 'DELETE') then
        raise exception 'Failed to process the row: Unexpected operation type: %', operation;
    end if;
    perform realtime.send(
        jsonb_build_object(
            'old_record', old, 'record', new, 'operation', operation,
            'table', table_name, 'schema', table_schema
        ),
        event_name,
        topic_name
    );
end;
$$;

create or replace function realtime._notify_message() returns trigger
language plpgsql as $$
begin
    perform pg_notify('supabase_realtime_messages', new.id::text);
    return null;
end;
$$;

drop trigger if exists notify_message on realtime.messages;
create trigger notify_message after insert on realtime.messages
    for each row execute function realtime._notify_message();
