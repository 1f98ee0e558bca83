//! Functions of the rich fixture called through their generated `Rpc` types, against
//! PostgREST: what each kind of signature sends, and what PostgREST answers.

use supabase_core::create_client;

use crate::fixture_stack;

/// A function whose one argument is unnamed takes it as the whole body, and PostgREST picks it
/// by the body's `Content-Type`: `text`, `xml` and `bytea` (NUL and non-UTF-8 bytes included),
/// overloads by type (one without arguments does not take a body; one whose arguments all have
/// defaults does), a set of table rows with typed filters, and `jsonb`, which gets the JSON
/// object. A query string has no unnamed argument, so `get()` and `head()` are errors.
#[tokio::test]
async fn an_unnamed_argument_is_the_body() {
    use crate::rich_generated::public::{
        Authors, AuthorsInsert, ByteCount, EitherWithText, KindOfNoArgs, KindOfWithBytea,
        KindOfWithText, Posts, PostsInsert, PostsTitled, RootName, Shout, Webhook, posts,
    };

    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.service_role_key()).expect("client");
    assert_eq!(
        client.call(Shout("hello".into())).await.expect("text"),
        Some("HELLO".into())
    );
    let bytes = client.call(ByteCount(vec![0, 1, 0xff, 0xfe])).await;
    assert_eq!(bytes.expect("bytea"), Some(4));
    let root = client.call(RootName("<note><to/></note>".into())).await;
    assert_eq!(root.expect("xml").as_deref(), Some("note"));
    let payload = serde_json::json!({ "event": "signup", "user": 7 });
    let payload = payload.as_object().cloned().expect("an object");
    assert_eq!(
        client.call(Webhook(payload)).await.expect("jsonb"),
        Some("signup".into())
    );
    let text = client.call(KindOfWithText("x".into())).await;
    assert_eq!(text.expect("the text overload").as_deref(), Some("text"));
    let bytea = client.call(KindOfWithBytea(b"x".to_vec())).await;
    assert_eq!(bytea.expect("the bytea overload").as_deref(), Some("bytea"));
    let none = client.call(KindOfNoArgs {}).await;
    assert_eq!(
        none.expect("the overload without arguments").as_deref(),
        Some("none")
    );
    // As codegen's warning says: an overload whose arguments all have defaults takes the body.
    let either = client.call(EitherWithText("x".into())).await;
    assert_eq!(either.expect("a text body").as_deref(), Some("defaults"));

    let tag = format!("titled-{}", supabase_tests::unique_id());
    let author = client
        .from::<Authors>()
        .insert(AuthorsInsert::new(tag.clone()))
        .single()
        .await
        .expect("insert an author");
    client
        .from::<Posts>()
        .insert_many(["a", "b"].map(|n| PostsInsert::new(author.id, format!("{n} {tag}"))))
        .await
        .expect("insert posts");
    let rows = client
        .call_rows(PostsTitled(tag.clone()))
        .eq(posts::author_id, author.id)
        .like(posts::title, "b %")
        .await
        .expect("rows of a set-returning function");
    let titles: Vec<&str> = rows.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(titles, [format!("b {tag}")]);

    for refused in [
        client.call(Shout("x".into())).get().build(),
        client.call(Webhook(serde_json::Map::new())).get().build(),
        client.call_rows(PostsTitled(tag)).head().build(),
    ] {
        match refused {
            Err(supabase_core::Error::Config(message)) => {
                assert!(message.contains("unnamed argument"), "{message}");
            }
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }
}

/// Functions with one OUT or INOUT parameter answer a row, as their generated types say.
#[tokio::test]
async fn single_out_parameters_decode_as_rows() {
    use crate::rich_generated::public::{
        IdsOut, IdsOutRow, Increment, IncrementRow, NextId, NextIdRow,
    };

    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.anon_key()).expect("client");
    assert_eq!(
        client.call(NextId { seed: 1 }).await.expect("next_id"),
        NextIdRow { next: Some(2) }
    );
    assert_eq!(
        client.call(Increment { n: 41 }).await.expect("increment"),
        IncrementRow { n: Some(42) }
    );
    assert_eq!(
        client.call(IdsOut {}).await.expect("ids_out"),
        [IdsOutRow { id: Some(1) }, IdsOutRow { id: Some(2) }]
    );
}

/// Overloads told apart only by types, or by an optional argument left out: PostgREST refuses
/// the call (PGRST203), as codegen's warnings say; setting the optional argument picks one.
#[tokio::test]
async fn overloads_postgrest_cannot_tell_apart() {
    use crate::rich_generated::public::{PickWithA, ScaledWithX, ScaledWithXFactor};

    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.anon_key()).expect("client");
    let ambiguous = |result: Result<Option<i32>, supabase_core::Error>| match result {
        Err(supabase_core::Error::Postgrest(e)) => {
            assert_eq!(e.code.as_deref(), Some("PGRST203"), "{e:?}");
        }
        other => panic!("expected PGRST203, got {other:?}"),
    };
    ambiguous(client.call(PickWithA { a: 1 }).await);
    ambiguous(client.call(ScaledWithX { x: 2 }).await);
    ambiguous(client.call(ScaledWithXFactor { x: 2, factor: None }).await);
    let six = client
        .call(ScaledWithXFactor {
            x: 2,
            factor: Some(3),
        })
        .await
        .expect("the factor picks the overload");
    assert_eq!(six, Some(6));
}

/// Any function may return NULL: a scalar result is an `Option` (PostgREST sends `null`), and
/// so is a row (PostgREST sends an object of nulls, which `RETURNS_ROW` reads as `null`).
#[tokio::test]
async fn a_null_result_is_none() {
    use crate::rich_generated::public::{AuthorById, Authors, AuthorsInsert, MaybeText};

    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.service_role_key()).expect("client");
    let yes = client.call(MaybeText { give: true }).await.expect("text");
    assert_eq!(yes.as_deref(), Some("yes"));
    let no = client.call(MaybeText { give: false }).await.expect("null");
    assert_eq!(no, None);

    let name = format!("by-id-{}", supabase_tests::unique_id());
    let author: Authors = client
        .from::<Authors>()
        .insert(AuthorsInsert::new(name.clone()))
        .single()
        .await
        .expect("insert");
    let found = client.call(AuthorById { want: author.id }).await;
    assert_eq!(found.expect("a row").map(|a| a.name), Some(name));
    let missing = client.call(AuthorById { want: -1 }).await;
    assert_eq!(missing.expect("an object of nulls"), None);
}

/// An `oid` comes as a JSON string, read into `Pg<u32>`; a domain over a NOT NULL domain is
/// NOT NULL too, so its column is a plain field and a required insert argument.
#[tokio::test]
async fn an_oid_and_a_domain_over_a_not_null_domain() {
    use crate::rich_generated::public::{Handles, HandlesInsert, handles};
    use supabase_core::types::Pg;

    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.service_role_key()).expect("client");
    let id = i32::try_from(supabase_tests::unique_id() % 1_000_000_000).expect("an int4");
    let stored: Handles = client
        .from::<Handles>()
        .insert(HandlesInsert::new(id, "a@b.example".to_owned()).obj(Pg(16384)))
        .single()
        .await
        .expect("insert");
    assert_eq!(stored.obj, Some(Pg(16384)));
    assert_eq!(stored.email, "a@b.example");
    let found: Vec<Handles> = client
        .from::<Handles>()
        .select()
        .eq(handles::obj, Pg(16384))
        .eq(handles::id, id)
        .await
        .expect("filtered on the oid");
    assert_eq!(found.len(), 1);
}

/// A function returning a domain over a composite type answers a row, as one returning the
/// composite does: an object, or an object of nulls for NULL.
#[tokio::test]
async fn a_domain_over_a_composite_is_a_row() {
    use crate::rich_generated::public::{Address, AddressOf};

    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.anon_key()).expect("client");
    let home: Option<Address> = client.call(AddressOf { give: true }).await.expect("a row");
    assert_eq!(home.and_then(|a| a.city).as_deref(), Some("Springfield"));
    let none = client.call(AddressOf { give: false }).await;
    assert_eq!(none.expect("an object of nulls"), None);
}

/// An OUT parameter before an input: PostgREST knows the input by the OUT's name, so a call
/// by the real name finds no function (PGRST202) and one by the OUT's name fails in Postgres.
/// Codegen skips it, saying why.
#[tokio::test]
async fn an_out_parameter_before_an_input_is_skipped() {
    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.anon_key()).expect("client");
    let by_name = client.rpc("out_first", serde_json::json!({ "n": 2 })).await;
    match by_name {
        Err(supabase_core::Error::Postgrest(e)) => {
            assert_eq!(e.code.as_deref(), Some("PGRST202"), "{e:?}");
        }
        other => panic!("expected PGRST202, got {other:?}"),
    }
    let by_position = client
        .rpc("out_first", serde_json::json!({ "doubled": 2 }))
        .await;
    assert!(
        matches!(&by_position, Err(supabase_core::Error::Postgrest(_))),
        "{by_position:?}"
    );
    let generated = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/codegen/rich_generated.rs"),
    )
    .expect("the generated file");
    assert!(!generated.contains("OutFirst"));
}
