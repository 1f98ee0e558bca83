//! supabase-core
