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

alter publication supabase_realtime add table public.rt_items, public.rt_open;

-- Private channels: members of `rt_members` may read and write topics named `private-<their id>`.
create table if not exists public.rt_members (user_id uuid primary key);
grant all on public.rt_members to service_role;
create policy "members read their topic" on realtime.messages for select to authenticated
    using (realtime.topic() = 'private-' || auth.uid()::text);
create policy "members write their topic" on realtime.messages for insert to authenticated
    with check (realtime.topic() = 'private-' || auth.uid()::text);
