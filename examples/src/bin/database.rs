//! Database: typed queries, filters, embedding, writes and RPC over the generated `db` module.
//!
//! ```sh
//! # Local: `TOUR_KEEP=1 cargo xtask tour` keeps a stack up and prints the two variables.
//! SUPABASE_URL=http://127.0.0.1:54321 SUPABASE_KEY=<anon key> \
//!     cargo run -p supabase-examples --bin database
//! ```
//!
//! Against a hosted project, apply `examples/supabase/migrations` and `seed.sql` first.

use serde::Deserialize;
use supabase_core::prelude::*;
use supabase_examples::db::public::{City, CountriesIn, Country, city, country};
use supabase_examples::env_client;

#[derive(Select, Debug, Deserialize)]
#[supabase(from = Country)]
struct CountryWithCities {
    name: String,
    #[supabase(embed)]
    cities: Vec<CityName>,
}

#[derive(Select, Debug, Deserialize)]
#[supabase(from = City)]
struct CityName {
    name: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    run(env_client()?).await
}

/// The example, with any client (`tests/tests/reliability/examples.rs` runs it on a local stack).
pub(crate) async fn run(client: Client) -> Result<(), Box<dyn std::error::Error>> {
    // Whole rows: `select=id,name,iso2,continent,population_millions`, typed filters and order.
    let big: Vec<Country> = client
        .from::<Country>()
        .select()
        .gt(country::population_millions, 50.0)
        .order(country::name.asc())
        .await?;
    for c in &big {
        let millions = c.population_millions.unwrap_or_default();
        println!("{} ({}): {millions}M", c.name, c.iso2);
    }

    // A projection with the related rows embedded (`cities(name)`), ordered inside the embed.
    let with_cities = client
        .from::<Country>()
        .select_as::<CountryWithCities>()
        .eq(country::continent, "Europe")
        .order_embedded(city::name.asc())
        .await?;
    for c in &with_cities {
        let names: Vec<&str> = c.cities.iter().map(|x| x.name.as_str()).collect();
        println!("{}: {}", c.name, names.join(", "));
    }

    // Combined filters: `or=(name.ilike.*land*,iso2.eq.JP)`.
    let some = client
        .from::<Country>()
        .select()
        .or_([country::name.ilike("%land%"), country::iso2.eq("JP")])
        .await?;
    println!("ilike %land% or JP: {}", some.len());

    // RPC: `countries_in(continent_name)` returns `setof countries`, so it takes table filters.
    let asia = client
        .call_rows(CountriesIn {
            continent_name: "Asia".into(),
        })
        .order(country::population_millions.desc())
        .await?;
    println!(
        "Asia: {:?}",
        asia.iter().map(|c| &c.name).collect::<Vec<_>>()
    );

    // The untyped API, with the JavaScript reference's names, is always there too.
    let rows = client.table("cities").select("name").limit(2).await?.data;
    println!("untyped: {rows}");
    Ok(())
}
