//! The tour: one walk through `supabase-core` against the examples' schema (`supabase/`), run by
//! the `tour` program (`src/bin/tour.rs`, see there) and by the reliability tests.

use std::time::{Duration, Instant};

use crate::db::public::{City, CountriesIn, Country, Note, NoteInsert, city, country, note};
use crate::{err, section, short, unique_suffix};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use supabase_core::Secret;
use supabase_core::auth::{
    AuthResponse, Session, SignInWithPasswordCredentials, SignUpCredentials,
};
use supabase_core::functions::InvokeOptions;
use supabase_core::prelude::*;
use supabase_core::realtime::{PostgresChangeEvent, RealtimeChannel, TableChanges};
use supabase_core::storage::FileOptions;

/// A country with its cities embedded (`countries?select=name,continent,cities(name,...)`).
#[derive(Select, Debug, Deserialize)]
#[supabase(from = Country)]
struct CountryWithCities {
    name: String,
    continent: String,
    #[supabase(embed)]
    cities: Vec<CityName>,
}

#[derive(Select, Debug, Deserialize)]
#[supabase(from = City)]
struct CityName {
    name: String,
    population_thousands: Option<i32>,
}

/// A city with its country embedded (to-one: `countries(name,iso2)`).
#[derive(Select, Debug, Deserialize)]
#[supabase(from = City)]
struct CityWithCountry {
    name: String,
    population_thousands: Option<i32>,
    #[supabase(embed)]
    countries: Option<CountryCode>,
}

#[derive(Select, Debug, Deserialize)]
#[supabase(from = Country)]
struct CountryCode {
    name: String,
    iso2: String,
}

const PASSWORD: &str = "tour password 1234";

/// What the sections hand to each other: the signed-in user's client and id.
struct Signed {
    client: Client,
    user_id: String,
    sign_up: AuthResponse,
    session: Session,
}

/// Everything a tour run created, for callers that inspect it (the reliability tests dump each
/// object with `{:?}` and look for secrets).
#[derive(Debug)]
#[non_exhaustive]
pub struct TourRun {
    /// The anon client of sections 1 and 4.
    pub anon: Client,
    /// The signed-in user's client (sections 2, 3 and 5).
    pub user: Client,
    /// The user's id.
    pub user_id: String,
    /// The password the tour signed up and in with.
    pub password: Secret,
    /// The answer to the sign-up (with its session).
    pub sign_up: AuthResponse,
    /// The session of the sign-in.
    pub session: Session,
    /// The signed URL of section 3 (its `token` grants access, so it is kept as a secret).
    pub signed_url: Secret,
    /// The realtime channel of section 5 (removed by then).
    pub channel: RealtimeChannel,
}

/// Runs every section of the tour against the project at `url` with its anon `key`, printing
/// what each does. Fails with the first error.
pub async fn run(url: &str, key: &str) -> Result<TourRun, String> {
    println!("Project: {url}");
    let anon = create_client(url, key).map_err(err)?;
    section(
        "1. Typed queries, embedding and RPC",
        Box::pin(database(&anon)),
    )
    .await?;
    let user = section(
        "2. Auth: sign-up, sign-in, RLS as the user",
        Box::pin(auth(url, key)),
    )
    .await?;
    let signed_url = section(
        "3. Storage: upload, signed URL, download",
        Box::pin(storage(&user)),
    )
    .await?;
    section("4. Edge function", Box::pin(functions(&anon))).await?;
    let channel = section(
        "5. Realtime: a row inserted through PostgREST",
        Box::pin(realtime(&user)),
    )
    .await?;
    Ok(TourRun {
        anon,
        user: user.client,
        user_id: user.user_id,
        password: Secret::new(PASSWORD),
        sign_up: user.sign_up,
        session: user.session,
        signed_url: Secret::new(signed_url),
        channel,
    })
}

async fn database(client: &Client) -> Result<(), String> {
    // Filters take the column's type: `country::continent` is text, so a string fits.
    let query = client
        .from::<Country>()
        .select_as::<CountryWithCities>()
        .in_(country::continent, ["Europe", "Asia"])
        .order(country::name.asc())
        .order_embedded(city::population_thousands.desc());
    println!("   GET {}", query.build().map_err(err)?.path_and_query());
    let countries = query.await.map_err(err)?;
    for c in &countries {
        let cities: Vec<String> = c
            .cities
            .iter()
            .map(|city| {
                format!(
                    "{} ({}k)",
                    city.name,
                    city.population_thousands.unwrap_or(0)
                )
            })
            .collect();
        println!("   {:<8} {:<7} {}", c.name, c.continent, cities.join(", "));
    }
    expect(countries.len() == 4, "four countries in Europe and Asia")?;
    expect(
        countries.iter().all(|c| !c.cities.is_empty()),
        "every country has its cities embedded",
    )?;

    // To-one embedding, a range filter on a nullable column, order and limit.
    let big = client
        .from::<City>()
        .select_as::<CityWithCountry>()
        .gte(city::population_thousands, 5000)
        .order(city::population_thousands.desc())
        .limit(3)
        .await
        .map_err(err)?;
    let line: Vec<String> = big
        .iter()
        .map(|c| {
            let country = c
                .countries
                .as_ref()
                .map_or("?".to_owned(), |k| format!("{} [{}]", k.name, k.iso2));
            format!(
                "{}, {country} ({}k)",
                c.name,
                c.population_thousands.unwrap_or(0)
            )
        })
        .collect();
    println!("   3 largest cities: {}", line.join(", "));
    expect(big.len() == 3, "three cities of 5 million or more")?;
    expect(
        big.iter().all(|c| c.countries.is_some()),
        "each city has its country",
    )?;

    // RPC: a generated argument struct; a set-returning function takes typed filters too.
    let asia = client
        .call_rows(CountriesIn {
            continent_name: "Asia".into(),
        })
        .gte(country::population_millions, 100.0)
        .order(country::population_millions.desc())
        .await
        .map_err(err)?;
    let names: Vec<String> = asia
        .iter()
        .map(|c| format!("{} ({}M)", c.name, c.population_millions.unwrap_or(0.0)))
        .collect();
    println!(
        "   rpc countries_in('Asia') with population >= 100M: {}",
        names.join(", ")
    );
    expect(asia.len() == 2, "India and Japan")?;
    Ok(())
}

async fn auth(url: &str, key: &str) -> Result<Signed, String> {
    let email = format!("tour-{}@example.com", unique_suffix());
    let client = create_client(url, key).map_err(err)?;
    let signed_up = client
        .auth()
        .sign_up(SignUpCredentials::email(&email, PASSWORD))
        .await
        .map_err(err)?;
    let user = signed_up.user.clone().ok_or("sign-up returned no user")?;
    println!("   signed up {email} (user id {})", user.id);
    if signed_up.session.is_none() {
        return Err("the project requires email confirmation: turn it off to run the tour".into());
    }
    client.auth().sign_out().await.map_err(err)?;
    let session = client
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(&email, PASSWORD))
        .await
        .map_err(err)?
        .session
        .ok_or("sign-in returned no session")?;
    println!(
        "   signed in: access token for role `{}`, expires in {}s",
        session.user.role.as_deref().unwrap_or("?"),
        session.expires_in
    );

    // owner_id defaults to auth.uid(): the insert names only the body.
    let inserted = client
        .from::<Note>()
        .insert(NoteInsert::new("Hello from the tour"))
        .await
        .map_err(err)?;
    let note = inserted.first().ok_or("the insert returned no row")?;
    println!("   inserted note #{} owned by {}", note.id, note.owner_id);
    expect(note.owner_id == user.id, "the note belongs to the user")?;

    let mine = client
        .from::<Note>()
        .select()
        .order(note::id.desc())
        .await
        .map_err(err)?;
    println!(
        "   the user reads {} note(s): {:?}",
        mine.len(),
        mine[0].body
    );
    expect(mine.len() == 1, "the user sees exactly their note")?;

    let anon = create_client(url, key).map_err(err)?;
    let seen = anon.from::<Note>().select().await.map_err(err)?;
    println!(
        "   anon reads {} note(s) (RLS: notes are private)",
        seen.len()
    );
    expect(seen.is_empty(), "anon sees no notes")?;
    Ok(Signed {
        client,
        user_id: user.id,
        sign_up: signed_up,
        session,
    })
}

async fn storage(user: &Signed) -> Result<String, String> {
    let files = user.client.storage().from_("notes");
    let path = format!("{}/hello.txt", user.user_id);
    let content = format!("hello from the tour, {}\n", unique_suffix());
    files
        .upload_with(
            &path,
            content.clone().into_bytes(),
            FileOptions::new().content_type("text/plain"),
        )
        .await
        .map_err(err)?;
    println!("   uploaded notes/{path} ({} bytes)", content.len());

    let url = files.create_signed_url(&path, 60).await.map_err(err)?;
    let shown = url.split_once("?token=").map_or(url.as_str(), |(u, _)| u);
    println!("   signed URL (60 s): {shown}?token=...");
    let resp = reqwest::get(&url).await.map_err(err)?;
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(err)?;
    println!(
        "   GET signed URL, no key -> {status}, {} bytes",
        bytes.len()
    );
    expect(status.is_success(), "the signed URL serves the file")?;
    expect(
        bytes.as_ref() == content.as_bytes(),
        "the downloaded bytes are the uploaded bytes",
    )?;
    Ok(url)
}

async fn functions(client: &Client) -> Result<(), String> {
    let answer: Value = client
        .functions()
        .invoke(
            "hello-world",
            InvokeOptions::new().body(&json!({ "name": "Tour" })),
        )
        .await
        .map_err(err)?
        .json()
        .await
        .map_err(err)?;
    println!("   invoke hello-world {{\"name\":\"Tour\"}} -> {answer}");
    expect(
        answer == json!({ "message": "Hello Tour!" }),
        "the function greets the tour",
    )
}

async fn realtime(user: &Signed) -> Result<RealtimeChannel, String> {
    let client = &user.client;
    let channel = client.channel(format!("tour-notes-{}", unique_suffix()));
    let mut inserts =
        channel.postgres_changes_stream(PostgresChangeEvent::Insert, TableChanges::<Note>::new());
    let subscribed = Instant::now();
    channel.subscribe().await.map_err(err)?;
    println!(
        "   subscribed to INSERT on public.notes as the user ({})",
        short(subscribed.elapsed())
    );

    let body = format!("realtime note {}", unique_suffix());
    let inserted_at = Instant::now();
    client
        .from::<Note>()
        .insert(NoteInsert::new(body.as_str()))
        .await
        .map_err(err)?;
    println!("   inserted {body:?} through PostgREST");
    let deadline = Duration::from_secs(10);
    let change = loop {
        let next = tokio::time::timeout(deadline, inserts.next())
            .await
            .map_err(|_| format!("no change within {}s", deadline.as_secs()))?
            .ok_or("the change stream ended")?
            .map_err(err)?;
        if next.new.as_ref().is_some_and(|n| n.body == body) {
            break next;
        }
    };
    let new = change.new.ok_or("the change has no new row")?;
    println!(
        "   received {:?} on {}.{}: note #{} {:?} after {}",
        change.event_type,
        change.schema,
        change.table,
        new.id,
        new.body,
        short(inserted_at.elapsed())
    );
    client.remove_channel(&channel).await.map_err(err)?;
    Ok(channel)
}

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("expected: {what}"))
    }
}
