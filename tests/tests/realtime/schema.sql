-- Tables the realtime tests write to; published for postgres changes.
create table if not exists public.rt_items (
    id bigint primary key,
    owner uuid,
    label text not null,
    qty int
);
alter table public.rt_items enable row level security;
create policy "owners read their items" on public.rt_items
    for select to authenticated using (owner = auth.uid());
create policy "service writes" on public.rt_items for all to service_role using (true) with check (true);
grant select on public.rt_items to anon, authenticated;
grant all on public.rt_items to service_role;

create table if not exists public.rt_open (
    id bigint primary key,
    label text not null,
    qty int
);
grant all on public.rt_open to anon, authenticated, service_role;

-- Rows of a team: visible to users whose token says they are on it (`app_metadata.team`, set
-- by an admin, reaches the token at the next refresh) and, for team `public`, to everyone.
create table if not exists public.rt_team (
    id bigint primary key,
    run bigint not null, -- the test writing it, so concurrent tests filter their own rows
    team text not null
);
alter table public.rt_team enable row level security;
create policy "team members and public rows" on public.rt_team for select to anon, authenticated
    using (team = 'public' or team = auth.jwt() -> 'app_metadata' ->> 'team');
grant select on public.rt_team to anon, authenticated;
grant all on public.rt_team to service_role;

-- RLS on, and the whole old row in the WAL.
create table if not exists public.rt_full (
    id bigint primary key,
    label text not null,
    qty int
);
alter table public.rt_full replica identity full;
alter table public.rt_full enable row level security;
create policy "anyone reads" on public.rt_full for select to anon, authenticated using (true);
grant select on public.rt_full to anon, authenticated;
grant all on public.rt_full to service_role;

-- Numbers wider than an f64: the old row too, so an update shows both records' digits.
create table if not exists public.rt_amounts (
    id bigint primary key,
    amount numeric not null
);
alter table public.rt_amounts replica identity full;
grant all on public.rt_amounts to anon, authenticated, service_role;

alter publication supabase_realtime add table public.rt_items, public.rt_open, public.rt_team,
    public.rt_full, public.rt_amounts;

-- A private topic family anyone signed in may read but nobody may write to.
create policy "signed-in users read readonly topics" on realtime.messages for select
    to authenticated using (realtime.topic() like 'readonly-%');

-- Broadcast from Database: a trigger sends each note to its owner's private topic, and a
-- function lets a caller send a message of their own (as themselves, so RLS on
-- `realtime.messages` decides).
create table if not exists public.rt_notes (
    id bigint primary key,
    owner uuid not null,
    body text not null
);
grant all on public.rt_notes to service_role;

create or replace function public.rt_notes_broadcast() returns trigger
language plpgsql as $$
begin
    perform realtime.broadcast_changes(
        'private-' || coalesce(new.owner, old.owner)::text, tg_op, tg_op,
        tg_table_name, tg_table_schema, new, old
    );
    return null;
end;
$$;
create trigger rt_notes_broadcast after insert or update or delete on public.rt_notes
    for each row execute function public.rt_notes_broadcast();

create or replace function public.rt_send(topic text, body text) returns void
language sql as $$
    select realtime.send(jsonb_build_object('body', body), 'note', topic);
$$;
grant execute on function public.rt_send(text, text) to authenticated;

-- `lobby-*`: every signed-in user reads and sends broadcasts and may track presence; only
-- users whose token says `"seer": true` read presence.
create policy "lobby broadcasts" on realtime.messages for select to authenticated
    using (realtime.topic() like 'lobby-%' and extension = 'broadcast');
create policy "lobby broadcast writers" on realtime.messages for insert to authenticated
    with check (realtime.topic() like 'lobby-%' and extension = 'broadcast');
create policy "lobby presence readers" on realtime.messages for select to authenticated
    using (realtime.topic() like 'lobby-%' and extension = 'presence'
           and (auth.jwt() ->> 'seer') = 'true');
create policy "lobby presence writers" on realtime.messages for insert to authenticated
    with check (realtime.topic() like 'lobby-%' and extension = 'presence');

-- `roster-*`: presence only, no broadcasts.
create policy "roster presence" on realtime.messages for select to authenticated
    using (realtime.topic() like 'roster-%' and extension = 'presence');

-- Column privileges in change payloads: anon reads `id` and `label` of `rt_columns`, not
-- `secret`; anon may not read the key of `rt_hidden_key`; `rt_keyless` has no primary key.
-- Each is written by one test only (`changes_by_role.rs`), which takes the next change as its
-- own: an error payload carries no row to tell whose it is.
create table if not exists public.rt_columns (
    id bigint primary key,
    label text not null,
    secret text
);
alter table public.rt_columns replica identity full;
-- (The stack's default privileges grant anon everything, as on a Supabase project.)
revoke all on public.rt_columns from anon;
grant select (id, label) on public.rt_columns to anon;
grant all on public.rt_columns to authenticated, service_role;

create table if not exists public.rt_hidden_key (
    id bigint primary key,
    label text
);
revoke all on public.rt_hidden_key from anon;
grant select (label) on public.rt_hidden_key to anon;
grant all on public.rt_hidden_key to service_role;

create table if not exists public.rt_keyless (
    label text
);
grant all on public.rt_keyless to anon, authenticated, service_role;

alter publication supabase_realtime add table public.rt_columns, public.rt_hidden_key,
    public.rt_keyless;

-- `news-*`: a policy on the row's content. A join's probe rows carry no event, so no join is
-- admitted, whatever messages the topic has stored.
create policy "news rows" on realtime.messages for select to authenticated
    using (realtime.topic() like 'news-%' and event = 'news');

-- A private topic family opened and closed by a row: `gate-<n>` may be read while `rt_gates`
-- holds it.
create table if not exists public.rt_gates (topic text primary key);
grant select on public.rt_gates to authenticated;
grant all on public.rt_gates to service_role;
create policy "open gates are readable" on realtime.messages for select to authenticated
    using (exists (select 1 from public.rt_gates g where g.topic = realtime.topic()));
