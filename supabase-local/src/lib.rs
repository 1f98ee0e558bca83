//! `supabase-local`: a Supabase-shaped endpoint on one machine, without Docker.
