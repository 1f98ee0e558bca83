//! Every `#[supabase(...)]` attribute used as documented compiles, and the generated metadata,
//! columns and write types say what the attributes asked for.

#![deny(warnings)]
#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "planets")]
struct Planet {
    #[supabase(primary_key, generated)]
    id: i64,
    name: String,
    moons: Option<i32>,
    #[supabase(default)]
    status: String,
    #[serde(rename = "display_name")]
    #[supabase(rename = "display_name")]
    display: Option<String>,
    #[serde(rename = "kind")]
    r#type: String,
    #[serde(skip)]
    #[supabase(skip)]
    cached: Option<u64>,
    #[serde(default)]
    #[supabase(skip)]
    local: Vec<u8>,
}

/// A view: read-only, in another schema.
#[derive(Table, Deserialize)]
#[supabase(table = "planet_stats", schema = "stats", read_only)]
pub struct PlanetStat {
    pub name: String,
    pub moons: i64,
}

/// A view that takes updates only, and one that takes deletes only: each gets what it takes.
#[derive(Table, Deserialize)]
#[supabase(table = "planet_notes", writes(update))]
struct PlanetNote {
    id: i64,
    note: Option<String>,
}

#[derive(Table, Deserialize)]
#[supabase(table = "planet_log", writes(delete))]
struct PlanetLog {
    id: i64,
}

mod reexport {
    pub use supabase_core as sb;
}

/// The derive names the runtime crate through `crate = "..."` (for re-exports).
#[derive(Table, Deserialize)]
#[supabase(table = "moons", crate = "crate::reexport::sb")]
struct Moon {
    id: i64,
    planet_id: i64,
}

fn main() {
    assert_eq!(Planet::NAME, "planets");
    assert_eq!(Planet::SCHEMA, "public");
    assert_eq!(
        Planet::COLUMNS,
        ["id", "name", "moons", "status", "display_name", "kind"]
    );
    assert_eq!(Planet::SELECT, "id,name,moons,status,display_name,kind");
    assert_eq!(Planet::PRIMARY_KEY, ["id"]);
    assert_eq!(<planet::display as Column>::NAME, "display_name");
    assert_eq!(<planet::r#type as Column>::NAME, "kind");

    // Required: `name` and `type`; optional: nullable `moons`/`display`, defaulted `status`;
    // absent: generated `id`, skipped `cached`/`local`.
    let insert = PlanetInsert::new("Earth", "terrestrial")
        .moons(1)
        .status("habitable")
        .display("Terra");
    assert_eq!(
        serde_json::to_value(&insert).unwrap(),
        serde_json::json!({
            "name": "Earth", "kind": "terrestrial", "moons": 1,
            "status": "habitable", "display_name": "Terra"
        })
    );
    let minimal = PlanetInsert::new("Mars", "terrestrial");
    assert_eq!(
        serde_json::to_value(&minimal).unwrap(),
        serde_json::json!({ "name": "Mars", "kind": "terrestrial" })
    );
    let literal = PlanetInsert {
        name: "Venus".to_owned(),
        r#type: "terrestrial".to_owned(),
        moons: None,
        status: None,
        display: None,
    };
    let _ = literal;

    // Update: set NULL is distinct from leave alone.
    let update = PlanetUpdate::default().moons(None).name("Earth");
    assert_eq!(
        serde_json::to_value(&update).unwrap(),
        serde_json::json!({ "name": "Earth", "moons": null })
    );

    assert_eq!(PlanetStat::SCHEMA, "stats");
    assert_eq!(PlanetStat::PRIMARY_KEY, [] as [&str; 0]);
    let client = create_client("http://localhost:54321", "anon").unwrap();
    let request = client
        .from::<PlanetStat>()
        .select()
        .gte(planet_stat::moons, 2)
        .build()
        .unwrap();
    assert_eq!(
        request.path_and_query(),
        "/rest/v1/planet_stats?select=name,moons&moons=gte.2"
    );

    let request = client
        .from::<PlanetNote>()
        .update(PlanetNoteUpdate::default().note(None))
        .eq(planet_note::id, 1)
        .build()
        .unwrap();
    assert_eq!(request.body(), Some(&br#"{"note":null}"#[..]));
    let request = client
        .from::<PlanetLog>()
        .delete()
        .eq(planet_log::id, 1)
        .build()
        .unwrap();
    assert_eq!(
        request.path_and_query(),
        "/rest/v1/planet_log?select=id&id=eq.1"
    );

    let request = client
        .from::<Moon>()
        .insert(MoonInsert::new(1, 3))
        .build()
        .unwrap();
    assert_eq!(request.body(), Some(&br#"{"id":1,"planet_id":3}"#[..]));
}
