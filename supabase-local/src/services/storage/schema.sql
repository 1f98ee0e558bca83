-- Storage stand-in: the `storage` schema as storage-api's tenant migrations leave it
-- (supabase/storage migrations/tenant/): 0002-storage-schema.sql (buckets, objects, RLS on
-- objects, foldername/filename/extension, search), 0002-pathtoken-column.sql (path_tokens),
-- 0007-add-public-to-buckets.sql, 0010-add-trigger-to-auto-update-updated_at-column.sql,
-- 0012-add-bucket-custom-limits.sql, 0014-add-version.sql, 0017-alter-owner-data-type.sql
-- (owner_id), 0025-custom-metadata.sql (user_metadata), and the later search(...) signature
-- with search text and sort (0009-search-files-search-function.sql onwards). Written here, not
-- copied; storage-api's bookkeeping (migrations, multipart uploads, prefixes) is left out.
-- Buckets have RLS enabled as on Supabase's platform, so only service_role (or a policy)
-- manages them.

create table storage.buckets (
    id text not null primary key,
    name text not null,
    owner uuid,
    owner_id text,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    public boolean default false,
    avif_autodetection boolean default false,
    file_size_limit bigint,
    allowed_mime_types text[]
);
create unique index bname on storage.buckets using btree (name);

create table storage.objects (
    id uuid not null default gen_random_uuid() primary key,
    bucket_id text references storage.buckets (id),
    name text,
    owner uuid,
    owner_id text,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    last_accessed_at timestamptz default now(),
    metadata jsonb,
    path_tokens text[] generated always as (string_to_array(name, '/')) stored,
    version text,
    user_metadata jsonb
);
create unique index bucketid_objname on storage.objects using btree (bucket_id, name);
create index name_prefix_search on storage.objects (name text_pattern_ops);

alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;

create function storage.update_updated_at_column() returns trigger
language plpgsql as $$
begin
    new.updated_at = now();
    return new;
end;
$$;
create trigger update_objects_updated_at before update on storage.objects
    for each row execute function storage.update_updated_at_column();

-- Every path segment but the last: storage.foldername('a/b/c.png') = {a,b}.
create function storage.foldername(name text) returns text[]
language sql immutable as $$
    select (string_to_array(name, '/'))[1:array_length(string_to_array(name, '/'), 1) - 1]
$$;

-- The last path segment: storage.filename('a/b/c.png') = 'c.png'.
create function storage.filename(name text) returns text
language sql immutable as $$
    select (string_to_array(name, '/'))[array_length(string_to_array(name, '/'), 1)]
$$;

-- What follows the last dot of the file name: storage.extension('a/b/c.tar.gz') = 'gz'.
create function storage.extension(name text) returns text
language sql immutable as $$
    select reverse(split_part(reverse(storage.filename(name)), '.', 1))
$$;

-- The entries directly below `prefix` (which ends with '/' or is empty) at depth `levels`:
-- objects at that depth, and folders (common prefixes, with null id and metadata) below it.
-- `search` keeps the entries whose name starts with it, case-insensitively. Runs with the
-- caller's privileges, so RLS on storage.objects decides what is listed. Order and limit as
-- storage-api's migration 0063 (`0063-fix-search-name-relative-to-prefix.sql`): by name,
-- folders and files together by lower(name); by another column, the folders first; at most
-- 1500 entries.
create function storage.search(
    prefix text,
    bucketname text,
    limits int default 100,
    levels int default 1,
    offsets int default 0,
    search text default '',
    sortcolumn text default 'name',
    sortorder text default 'asc'
) returns table (
    name text,
    id uuid,
    updated_at timestamptz,
    created_at timestamptz,
    last_accessed_at timestamptz,
    metadata jsonb
)
language plpgsql stable as $$
declare
    v_order text := case when lower(sortorder) = 'desc' then 'desc' else 'asc' end;
    v_column text := case
        when sortcolumn in ('name', 'updated_at', 'created_at', 'last_accessed_at') then sortcolumn
        else 'name' end;
    v_pattern text := replace(replace(replace(coalesce(prefix, '') || coalesce(search, ''),
        '\', '\\'), '%', '\%'), '_', '\_') || '%';
begin
    return query execute format(
        'select e.name, e.id, e.updated_at, e.created_at, e.last_accessed_at, e.metadata from (
             select distinct o.path_tokens[$4] as name, null::uuid as id,
                    null::timestamptz as updated_at, null::timestamptz as created_at,
                    null::timestamptz as last_accessed_at, null::jsonb as metadata
               from storage.objects o
              where o.bucket_id = $2 and o.name ilike $1
                and array_length(o.path_tokens, 1) > $4
             union all
             select o.path_tokens[$4], o.id, o.updated_at, o.created_at, o.last_accessed_at,
                    o.metadata
               from storage.objects o
              where o.bucket_id = $2 and o.name ilike $1
                and array_length(o.path_tokens, 1) = $4
         ) e
         order by %s
         limit $3 offset $5',
        case when v_column = 'name'
            -- by name: folders and files together, as their objects' names sort, lower-cased
            -- ("C"): a folder `b` as `b/`, after `b.txt`
            then format('lower(e.name || case when e.id is null then ''/'' else '''' end) '
                        'collate "C" %s, e.name collate "C" %s', v_order, v_order)
            -- by another column: the folders first (by name), then the files
            else format('e.id is not null, case when e.id is null then e.name end %s, e.%I %s, '
                        'e.name collate "C"', v_order, v_column, v_order)
        end)
    using v_pattern, bucketname, least(coalesce(limits, 100), 1500), levels, offsets;
end;
$$;

grant all on storage.buckets, storage.objects to anon, authenticated, service_role;
