//! The derive's output is documented and lint-clean in a crate with strict lints, for a public
//! table (whose generated items are public too) and a private one.

#![deny(warnings)]
#![deny(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    unused_qualifications,
    unused_extern_crates,
    rust_2018_idioms,
    single_use_lifetimes,
    trivial_casts,
    trivial_numeric_casts,
    unsafe_code
)]

/// Public tables: the generated module, columns, `Insert` and `Update` types are public too.
pub mod tables {
    use serde::Deserialize;
    use supabase_core::Table;

    /// A planet.
    #[derive(Debug, Table, Deserialize)]
    #[supabase(table = "planets")]
    pub struct Planet {
        /// Key.
        #[supabase(primary_key, generated)]
        pub id: i64,
        /// Name.
        pub name: String,
        /// Moons, if known.
        pub moons: Option<i32>,
        /// Set by the database when left out.
        #[supabase(default)]
        pub status: String,
    }

    /// A view.
    #[derive(Debug, Table, Deserialize)]
    #[supabase(table = "planet_stats", read_only)]
    pub struct PlanetStat {
        /// Name.
        pub name: String,
    }

    /// Crate-visible.
    #[derive(Debug, Table, Deserialize)]
    #[supabase(table = "moons")]
    pub(crate) struct Moon {
        /// Key.
        pub(crate) id: i64,
    }

    #[derive(Debug, Table, Deserialize)]
    #[supabase(table = "stars")]
    struct Star {
        id: i64,
    }

    /// Uses the private table so it is not dead code.
    pub fn star_table() -> &'static str {
        <Star as Table>::NAME
    }
}

use supabase_core::prelude::*;
use tables::*;

fn main() {
    let client = create_client("http://localhost:54321", "anon").unwrap();
    let _ = client
        .from::<Planet>()
        .insert(PlanetInsert::new("Earth").moons(1))
        .eq(planet::name, "Earth");
    let _ = client
        .from::<Planet>()
        .update(PlanetUpdate::default().status("done"));
    let _ = client
        .from::<PlanetStat>()
        .select()
        .eq(planet_stat::name, "Earth");
    let _ = client
        .from::<Moon>()
        .insert(MoonInsert::new(1))
        .eq(moon::id, 1);
    assert_eq!(star_table(), "stars");
}
