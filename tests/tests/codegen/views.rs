//! A view that takes some writes, not all: the rich fixture's `post_titles`, a join written
//! through INSTEAD OF INSERT and UPDATE triggers, is generated with `writes(insert, update)`.
//! Its `Insert` and `Update` types write through the triggers, and the delete it leaves out
//! is one the database refuses. (That the typed delete does not compile is the ui test
//! `fail/write/partial_writes_reject_what_the_table_does_not_take.rs`.)

use supabase_core::create_client;

use crate::fixture_stack;
use crate::rich_generated::public::{
    AuthorCells, AuthorGrids, AuthorNames, AuthorNamesInsert, Authors, AuthorsInsert, PostTitles,
    PostTitlesInsert, PostTitlesUpdate, Posts, author_cells, author_grids, author_names,
    post_titles, posts,
};

#[tokio::test]
async fn a_view_written_through_triggers_takes_the_writes_it_was_generated_with() {
    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.service_role_key()).expect("client");
    let tag = supabase_tests::unique_id();
    let author = client
        .from::<Authors>()
        .insert(AuthorsInsert::new(format!("titles-{tag}")))
        .single()
        .await
        .expect("insert an author");

    let inserted = client
        .from::<PostTitles>()
        .insert(
            PostTitlesInsert::new()
                .title(format!("first-{tag}"))
                .author(author.name.clone()),
        )
        .single()
        .await
        .expect("insert through the view's trigger");
    let id = inserted.id.expect("the trigger returns the new post's id");
    assert_eq!(inserted.title.as_deref(), Some(&*format!("first-{tag}")));

    let updated = client
        .from::<PostTitles>()
        .update(PostTitlesUpdate::default().title(Some(format!("second-{tag}"))))
        .eq(post_titles::id, id)
        .await
        .expect("update through the view's trigger");
    assert_eq!(updated.len(), 1);

    let post = client
        .from::<Posts>()
        .select()
        .eq(posts::id, id)
        .single()
        .await
        .expect("the post the view wrote");
    assert_eq!(
        (post.author_id, post.title.as_str()),
        (author.id, &*format!("second-{tag}"))
    );

    // Nor an upsert, though `writes(insert, update)` lets one compile: a view has no unique
    // index for Postgres's ON CONFLICT (42P10).
    let upsert = client
        .from::<PostTitles>()
        .upsert(
            PostTitlesInsert::new()
                .id(id)
                .title(format!("third-{tag}"))
                .author(author.name.clone()),
        )
        .await
        .expect_err("no upsert through triggers");
    assert!(upsert.to_string().contains("code 42P10"), "{upsert}");

    // Nothing takes a delete: Postgres refuses it, and the row stays.
    let refused = client
        .table("post_titles")
        .delete()
        .eq("id", id)
        .await
        .expect_err("the view takes no deletes");
    assert!(
        refused.to_string().contains("cannot delete from view"),
        "{refused}"
    );
    let still_there = client
        .from::<PostTitles>()
        .select()
        .eq(post_titles::id, id)
        .await
        .expect("read the view");
    assert_eq!(still_there.len(), 1);
}

/// A view's columns are typed from the table columns they show, through views over views:
/// `authors.grid` (`int4[][]`) is `Vec<Vec<i32>>` in `author_names` and in `author_grids`
/// over it, though a view's own columns record no dimensions; and `authors.id`, an identity
/// `ALWAYS`, is `generated` in them, so no `Insert` sets it.
#[tokio::test]
async fn views_show_their_tables_array_dimensions_and_generated_columns() {
    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.service_role_key()).expect("client");
    let name = format!("grid-{}", supabase_tests::unique_id());
    let grid = vec![vec![1, 2], vec![3, 4]];
    let inserted = client
        .from::<AuthorNames>()
        .insert(
            AuthorNamesInsert::new()
                .name(name.clone())
                .grid(grid.clone()),
        )
        .single()
        .await
        .expect("insert through the updatable view");
    assert_eq!(inserted.grid.as_ref(), Some(&grid));
    let id = inserted.id.expect("the identity the table gave");

    let through_names = client
        .from::<AuthorNames>()
        .select()
        .eq(author_names::id, id)
        .single()
        .await
        .expect("read through author_names");
    assert_eq!(
        (through_names.name.as_deref(), through_names.grid.as_ref()),
        (Some(name.as_str()), Some(&grid))
    );
    let through_grids = client
        .from::<AuthorGrids>()
        .select()
        .eq(author_grids::id, id)
        .single()
        .await
        .expect("read through author_grids, a view over a view");
    assert_eq!(through_grids.grid.as_ref(), Some(&grid));
    let through_another_schema = client
        .from::<AuthorCells>()
        .select()
        .eq(author_cells::id, id)
        .single()
        .await
        .expect("read through author_cells, a view over a view in a schema not generated");
    assert_eq!(through_another_schema.grid, Some(grid));
}

/// PostgREST follows keys through views of its schemas and of `db-extra-search-path` only:
/// `author_grids`, over a view in `public`, relates to `posts`; `author_cells`, over a view in
/// `private_views`, does not (PGRST200), so it is generated without relations.
#[tokio::test]
async fn keys_are_followed_through_views_of_the_exposed_schemas_only() {
    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.service_role_key()).expect("client");
    client
        .from_("posts")
        .select("id,author_grids!author_id(id)")
        .limit(1)
        .await
        .expect("author_grids embeds");
    match client
        .from_("posts")
        .select("id,author_cells!author_id(id)")
        .limit(1)
        .await
    {
        Err(supabase_core::Error::Postgrest(e)) => {
            assert_eq!(e.code.as_deref(), Some("PGRST200"), "{e:?}");
        }
        other => panic!("expected PGRST200, got {other:?}"),
    }
}

/// A view column of a NOT NULL domain is an `Option`: the view reads it without the domain's
/// check, and `contact_handles`' outer join gives it a null.
#[tokio::test]
async fn a_view_column_of_a_not_null_domain_may_be_null() {
    use crate::rich_generated::public::{ContactHandles, contact_handles};

    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.service_role_key()).expect("client");
    let id = i32::try_from(supabase_tests::unique_id()).expect("small ids");
    client
        .from_("handles")
        .insert(serde_json::json!({"id": id, "email": "someone@example.com"}))
        .await
        .expect("insert a handle without a contact");
    let row = client
        .from::<ContactHandles>()
        .select()
        .eq(contact_handles::id, id)
        .single()
        .await
        .expect("a null email decodes");
    assert_eq!((row.id, row.email), (Some(id), None));
}
