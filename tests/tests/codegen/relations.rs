//! Relations codegen names because a table relates to another in several ways: the rich
//! fixture's self-referencing `categories.parent_id`, queried through the generated module.

use supabase_core::create_client;
use supabase_core::prelude::*;

use crate::fixture_stack;
use crate::rich_generated::public::{Categories, CategoriesInsert, categories};

#[derive(Select, Debug, PartialEq, serde::Deserialize)]
#[supabase(from = Categories)]
struct CategoryName {
    name: String,
}

/// Up the tree (to-one, through the FK column) and down (to-many), and a count of children.
#[derive(Select, Debug, PartialEq, serde::Deserialize)]
#[supabase(from = Categories)]
struct CategoryTree {
    name: String,
    #[supabase(embed, via = parent)]
    parent: Option<CategoryName>,
    #[supabase(embed, via = categories_by_parent)]
    categories_by_parent: Vec<CategoryName>,
    #[supabase(count = Categories, via = categories_by_parent)]
    children: EmbeddedCount,
}

#[tokio::test]
async fn a_self_reference_embeds_both_ways() {
    assert_eq!(
        CategoryTree::select(),
        "name,parent:parent_id(name),categories_by_parent:categories!parent_id(name),\
         children:categories!parent_id(count)"
    );
    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.service_role_key()).expect("client");
    let tag = supabase_tests::unique_id();
    let root = client
        .from::<Categories>()
        .insert(CategoriesInsert::new(format!("root-{tag}")))
        .single()
        .await
        .expect("insert the root");
    client
        .from::<Categories>()
        .insert_many(
            ["a", "b"].map(|n| CategoriesInsert::new(format!("{n}-{tag}")).parent_id(root.id)),
        )
        .await
        .expect("insert the children");
    let rows = client
        .from::<Categories>()
        .select_as::<CategoryTree>()
        .like(categories::name, &format!("%-{tag}"))
        .order(categories::name.asc())
        .order_embedded_via(categories::categories_by_parent, categories::name.asc())
        .await
        .expect("select the tree");
    let name = |n: &str| CategoryName {
        name: format!("{n}-{tag}"),
    };
    assert_eq!(
        rows,
        [
            CategoryTree {
                name: format!("a-{tag}"),
                parent: Some(name("root")),
                categories_by_parent: vec![],
                children: EmbeddedCount(0),
            },
            CategoryTree {
                name: format!("b-{tag}"),
                parent: Some(name("root")),
                categories_by_parent: vec![],
                children: EmbeddedCount(0),
            },
            CategoryTree {
                name: format!("root-{tag}"),
                parent: None,
                categories_by_parent: vec![name("a"), name("b")],
                children: EmbeddedCount(2),
            },
        ]
    );
}

/// Why codegen gives `inventory.items.owner_id → public.authors` no relation: PostgREST embeds
/// only within the request's schema, from either end.
#[tokio::test]
async fn a_foreign_key_to_another_schema_cannot_be_embedded() {
    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.service_role_key()).expect("client");
    let from_items = client
        .schema("inventory")
        .from_("items")
        .select("id,authors(id)")
        .await;
    let from_authors = client.from_("authors").select("id,items(id)").await;
    for result in [from_items, from_authors] {
        match result {
            Err(supabase_core::Error::Postgrest(e)) => {
                assert_eq!(e.code.as_deref(), Some("PGRST200"), "{e:?}");
            }
            other => panic!("expected PGRST200, got {other:?}"),
        }
    }
}

/// A unique index that is not a constraint makes no one-to-one relation for PostgREST: the
/// generated `has_many` decodes what it answers (codegen's `has_one` from the index had asked
/// for one row where PostgREST sends an array).
#[tokio::test]
async fn a_unique_index_is_not_a_one_to_one_relation() {
    use crate::rich_generated::public::{AccountProfiles, Accounts, account_profiles, accounts};

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = AccountProfiles)]
    struct Bio {
        bio: Option<String>,
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = Accounts)]
    struct WithProfiles {
        name: String,
        #[supabase(embed)]
        account_profiles: Vec<Bio>,
    }

    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.service_role_key()).expect("client");
    let id = supabase_tests::unique_id() as i64;
    client
        .from_("accounts")
        .insert(serde_json::json!({ "id": id, "name": "acme" }))
        .await
        .expect("insert the account");
    client
        .from_("account_profiles")
        .insert(serde_json::json!({ "id": id, "account_id": id, "bio": "hi" }))
        .await
        .expect("insert the profile");
    let rows = client
        .from::<Accounts>()
        .select_as::<WithProfiles>()
        .eq(accounts::id, id)
        .await
        .expect("embed the profiles");
    assert_eq!(
        rows,
        [WithProfiles {
            name: "acme".into(),
            account_profiles: vec![Bio {
                bio: Some("hi".into())
            }],
        }]
    );
}

/// The relations fixture, generated with PostgREST's relationship rules: each relation embeds,
/// none is ambiguous (PGRST201), and what PostgREST cannot embed is not generated.
mod postgrest_rules {
    use supabase_core::prelude::*;
    use supabase_core::{Client, create_client};

    use crate::fixture_stack;
    use crate::relations_generated::public::*;

    async fn client() -> Client {
        let stack = fixture_stack("relations").await;
        create_client(stack.url(), stack.service_role_key()).expect("client")
    }

    /// Inserts untyped rows into `table`.
    async fn insert(client: &Client, table: &str, rows: serde_json::Value) {
        client
            .from_(table)
            .insert(rows)
            .await
            .unwrap_or_else(|e| panic!("insert into {table}: {e}"));
    }

    fn id() -> i32 {
        i32::try_from(supabase_tests::unique_id()).expect("small ids")
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = Courses)]
    struct Title {
        title: String,
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = Students)]
    struct StudentCourses {
        name: String,
        #[supabase(embed)]
        courses: Vec<Title>,
    }

    /// `enrollments`' primary key has `term` besides its two keys: still a join table.
    #[tokio::test]
    async fn a_join_table_whose_key_has_another_column() {
        let client = client().await;
        let (student, course) = (id(), id());
        insert(
            &client,
            "students",
            serde_json::json!({"id": student, "name": "Ada"}),
        )
        .await;
        insert(
            &client,
            "courses",
            serde_json::json!({"id": course, "title": "Logic"}),
        )
        .await;
        insert(
            &client,
            "enrollments",
            serde_json::json!({"student_id": student, "course_id": course, "term": "fall"}),
        )
        .await;
        let rows = client
            .from::<Students>()
            .select_as::<StudentCourses>()
            .eq(students::id, student)
            .await
            .expect("embed through enrollments");
        assert_eq!(
            rows,
            [StudentCourses {
                name: "Ada".into(),
                courses: vec![Title {
                    title: "Logic".into()
                }],
            }]
        );
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = Writers)]
    struct WriterName {
        name: String,
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = Articles)]
    struct ArticleWriters {
        title: String,
        #[supabase(embed, via = writer)]
        writer: Option<WriterName>,
        #[supabase(embed, via = writers_via_co_writers)]
        co_writers: Vec<WriterName>,
    }

    /// `articles.writer_id` and the join table `co_writers` (not generated) both relate articles
    /// to writers: each embedding carries its hint, so neither is ambiguous.
    #[tokio::test]
    async fn a_key_beside_a_join_table_that_is_not_generated() {
        let client = client().await;
        let (ada, bob, article) = (id(), id(), id());
        insert(
            &client,
            "writers",
            serde_json::json!([{"id": ada, "name": "Ada"}, {"id": bob, "name": "Bob"}]),
        )
        .await;
        insert(
            &client,
            "articles",
            serde_json::json!({"id": article, "title": "On relations", "writer_id": ada}),
        )
        .await;
        insert(
            &client,
            "co_writers",
            serde_json::json!({"article_id": article, "writer_id": bob, "role": "editor"}),
        )
        .await;
        let rows = client
            .from::<Articles>()
            .select_as::<ArticleWriters>()
            .eq(articles::id, article)
            .await
            .expect("embed both relations");
        assert_eq!(
            rows,
            [ArticleWriters {
                title: "On relations".into(),
                writer: Some(WriterName { name: "Ada".into() }),
                co_writers: vec![WriterName { name: "Bob".into() }],
            }]
        );
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = Labels)]
    struct LabelName {
        name: String,
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = Docs)]
    struct DocLabelNames {
        title: String,
        #[supabase(embed)]
        labels: Vec<LabelName>,
    }

    /// Multi-tenant keys sharing `tenant_id`: PostgREST's join table needs the keys' columns in
    /// its primary key, not disjoint.
    #[tokio::test]
    async fn a_join_table_whose_keys_share_a_column() {
        let client = client().await;
        let (tenant, doc, label) = (id(), id(), id());
        insert(
            &client,
            "docs",
            serde_json::json!({"tenant_id": tenant, "id": doc, "title": "Plan"}),
        )
        .await;
        insert(
            &client,
            "labels",
            serde_json::json!({"tenant_id": tenant, "id": label, "name": "urgent"}),
        )
        .await;
        insert(
            &client,
            "doc_labels",
            serde_json::json!({"tenant_id": tenant, "doc_id": doc, "label_id": label}),
        )
        .await;
        let rows = client
            .from::<Docs>()
            .select_as::<DocLabelNames>()
            .eq(docs::id, doc)
            .await
            .expect("embed through doc_labels");
        assert_eq!(
            rows,
            [DocLabelNames {
                title: "Plan".into(),
                labels: vec![LabelName {
                    name: "urgent".into()
                }],
            }]
        );
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = Reviewers)]
    struct ReviewerName {
        name: String,
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = Reviews)]
    struct ReviewBy {
        id: i32,
        #[supabase(embed, via = checked_by)]
        checked_by: Option<ReviewerName>,
        #[supabase(embed, via = written_by)]
        written_by: Option<ReviewerName>,
    }

    /// Two constraints on `reviews.reviewer_id`: the column matches both (PGRST201), so the
    /// hints are the constraints' names, and so are the relations' (`reviews_checked_by` →
    /// `checked_by`). Both keys are the same column, so the rows cannot tell the relations
    /// apart: what this shows is that PostgREST resolves each embedding.
    #[tokio::test]
    async fn two_keys_on_one_column_are_told_apart_by_name() {
        let client = client().await;
        let (reviewer, review) = (id(), id());
        insert(
            &client,
            "reviewers",
            serde_json::json!({"id": reviewer, "name": "Cy"}),
        )
        .await;
        insert(
            &client,
            "reviews",
            serde_json::json!({"id": review, "reviewer_id": reviewer}),
        )
        .await;
        let rows = client
            .from::<Reviews>()
            .select_as::<ReviewBy>()
            .eq(reviews::id, review)
            .await
            .expect("embed through each constraint");
        let cy = || Some(ReviewerName { name: "Cy".into() });
        assert_eq!(
            rows,
            [ReviewBy {
                id: review,
                checked_by: cy(),
                written_by: cy(),
            }]
        );
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = PairNotes)]
    struct Note {
        note: String,
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = Pairs)]
    struct PairWithNotes {
        a: i32,
        #[supabase(embed)]
        pair_notes: Vec<Note>,
    }

    /// `foreign key (a, b)` against `unique (a, b)` on columns declared `b, a`: PostgREST 12
    /// compares the key's columns in key order with the constraint's in table order, so it is
    /// one-to-many there, and answers an array.
    #[tokio::test]
    async fn a_unique_key_in_another_column_order_is_one_to_many() {
        let client = client().await;
        let (a, b) = (id(), id());
        insert(&client, "pairs", serde_json::json!({"a": a, "b": b})).await;
        insert(
            &client,
            "pair_notes",
            serde_json::json!({"id": a, "a": a, "b": b, "note": "only one"}),
        )
        .await;
        let rows = client
            .from::<Pairs>()
            .select_as::<PairWithNotes>()
            .eq(pairs::a, a)
            .await
            .expect("embed the note");
        assert_eq!(
            rows,
            [PairWithNotes {
                a,
                pair_notes: vec![Note {
                    note: "only one".into()
                }],
            }]
        );
    }

    /// What codegen leaves out (its warnings say so) is what PostgREST refuses: a self
    /// one-to-one in either direction, and a self many-to-many.
    #[tokio::test]
    async fn self_one_to_one_and_many_to_many_are_not_embeddable() {
        let client = client().await;
        for select in [
            "id,mentor:mentor_id(name)",
            "id,mentees:people!mentor_id(name)",
            "id,friends:people!friendships(name)",
        ] {
            match client.from_("people").select(select).await {
                Err(supabase_core::Error::Postgrest(e)) => {
                    assert_eq!(e.code.as_deref(), Some("PGRST200"), "{select}: {e:?}");
                }
                other => panic!("{select}: expected PGRST200, got {other:?}"),
            }
        }
    }
}

/// Relationships PostgREST infers for views from the keys they show (`author_names` shows
/// `authors.id`, `post_counts` shows `posts.author_id`): table to view, view to table, view to
/// view, one-to-one through a view, a materialized view; each generated relation embeds and
/// decodes what PostgREST answers.
mod views {
    use supabase_core::create_client;
    use supabase_core::prelude::*;

    use crate::fixture_stack;
    use crate::rich_generated::public::{
        AuthorNames, Authors, PostCounts, Posts, Profiles, TagUsage, Tags, author_names, authors,
        post_counts, posts, profiles, tag_usage, tags,
    };

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = AuthorNames)]
    struct ShownName {
        name: Option<String>,
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = Posts)]
    struct PostWithViews {
        title: String,
        #[supabase(embed, via = author_names_by_author)]
        writer: Option<ShownName>,
        #[supabase(embed, via = author_names_by_editor)]
        reviewer: Option<ShownName>,
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = Posts)]
    struct Title {
        title: String,
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = Profiles)]
    struct Bio {
        bio: Option<String>,
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = PostCounts)]
    struct Count {
        n: Option<i64>,
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = AuthorNames)]
    struct NameWithEverything {
        name: Option<String>,
        #[supabase(embed, via = posts_by_editor)]
        edited: Vec<Title>,
        #[supabase(embed)]
        profiles: Option<Bio>,
        #[supabase(embed)]
        post_counts: Vec<Count>,
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = Authors)]
    struct AuthorName {
        name: String,
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = PostCounts)]
    struct CountWithAuthor {
        n: Option<i64>,
        #[supabase(embed)]
        authors: Option<AuthorName>,
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = TagUsage)]
    struct Usage {
        n: Option<i64>,
    }

    #[derive(Select, Debug, PartialEq, serde::Deserialize)]
    #[supabase(from = Tags)]
    struct TagWithUsage {
        label: String,
        #[supabase(embed)]
        tag_usage: Vec<Usage>,
    }

    #[tokio::test]
    async fn views_embed_through_the_keys_they_show() {
        let stack = fixture_stack("rich").await;
        let client = create_client(stack.url(), stack.service_role_key()).expect("client");
        let tag = supabase_tests::unique_id();
        let name = |who: &str| format!("{who}-{tag}");
        let insert = |table: &'static str, row: serde_json::Value| {
            let client = client.clone();
            async move {
                let rows: Vec<serde_json::Value> = client
                    .from_(table)
                    .insert(row)
                    .returns()
                    .await
                    .unwrap_or_else(|e| panic!("insert into {table}: {e}"))
                    .data;
                rows[0]["id"].as_i64().unwrap_or_default()
            }
        };
        let writer = insert("authors", serde_json::json!({ "name": name("writer") })).await;
        let editor = insert("authors", serde_json::json!({ "name": name("editor") })).await;
        insert(
            "profiles",
            serde_json::json!({ "author_id": editor, "bio": "edits" }),
        )
        .await;
        for title in ["one", "two"] {
            let row = serde_json::json!({
                "title": name(title), "author_id": writer, "editor_id": editor,
            });
            insert("posts", row).await;
        }

        // Table to view, through each of two keys.
        let rows = client
            .from::<Posts>()
            .select_as::<PostWithViews>()
            .eq(posts::author_id, writer)
            .order(posts::title.asc())
            .await
            .expect("posts with their authors' view rows");
        let shown = |who: &str| {
            Some(ShownName {
                name: Some(name(who)),
            })
        };
        let expected = ["one", "two"].map(|t| PostWithViews {
            title: name(t),
            writer: shown("writer"),
            reviewer: shown("editor"),
        });
        assert_eq!(rows, expected);

        // View to table (one-to-many and one-to-one) and view to view.
        let rows = client
            .from::<AuthorNames>()
            .select_as::<NameWithEverything>()
            .eq(author_names::id, editor)
            .await
            .expect("a view row with its tables and views");
        assert_eq!(
            rows,
            [NameWithEverything {
                name: Some(name("editor")),
                edited: vec![Title { title: name("one") }, Title { title: name("two") }],
                profiles: Some(Bio {
                    bio: Some("edits".into())
                }),
                post_counts: vec![],
            }]
        );
        let rows = client
            .from::<PostCounts>()
            .select_as::<CountWithAuthor>()
            .eq(post_counts::author_id, writer)
            .await
            .expect("an aggregate view with its author");
        assert_eq!(
            rows,
            [CountWithAuthor {
                n: Some(2),
                authors: Some(AuthorName {
                    name: name("writer")
                }),
            }]
        );
        let rows = client
            .from::<AuthorNames>()
            .select_as::<NameWithEverything>()
            .eq(author_names::id, writer)
            .await
            .expect("view to view");
        assert_eq!(rows[0].post_counts, [Count { n: Some(2) }]);

        // A materialized view (not refreshed here: PostgREST resolves the relation, no rows).
        let rows = client
            .from::<Tags>()
            .select_as::<TagWithUsage>()
            .eq(tags::label, name("none"))
            .await
            .expect("a table with its materialized view");
        assert_eq!(rows, []);
    }

    /// Views over tables of a schema that is not introspected (nor exposed) relate through those tables'
    /// keys: one view to another, and through each of two columns showing one key.
    #[tokio::test]
    async fn views_over_private_tables_relate() {
        use crate::relations_generated::public::{
            PlayersTwice, PlayersV, TeamsV, players_twice, players_v, teams_v,
        };

        #[derive(Select, Debug, PartialEq, serde::Deserialize)]
        #[supabase(from = TeamsV)]
        struct TeamName {
            name: Option<String>,
        }

        #[derive(Select, Debug, PartialEq, serde::Deserialize)]
        #[supabase(from = PlayersV)]
        struct Player {
            name: Option<String>,
            #[supabase(embed)]
            teams_v: Option<TeamName>,
        }

        #[derive(Select, Debug, PartialEq, serde::Deserialize)]
        #[supabase(from = PlayersTwice)]
        struct PlayerId {
            id: Option<i32>,
        }

        #[derive(Select, Debug, PartialEq, serde::Deserialize)]
        #[supabase(from = PlayersV)]
        struct PlayerName {
            name: Option<String>,
        }

        #[derive(Select, Debug, PartialEq, serde::Deserialize)]
        #[supabase(from = TeamsV)]
        struct Team {
            name: Option<String>,
            #[supabase(embed)]
            players_v: Vec<PlayerName>,
            #[supabase(embed, via = players_twice_by_home_team)]
            at_home: Vec<PlayerId>,
        }

        #[derive(Select, Debug, PartialEq, serde::Deserialize)]
        #[supabase(from = PlayersTwice)]
        struct Twice {
            #[supabase(embed, via = teams_v_by_team)]
            team: Option<TeamName>,
            #[supabase(embed, via = teams_v_by_home_team)]
            home: Option<TeamName>,
        }

        let stack = fixture_stack("relations").await;
        let client = create_client(stack.url(), stack.service_role_key()).expect("client");
        let id = supabase_tests::unique_id() as i32;
        let team = format!("team-{id}");
        // Simple views are updatable: the rows go through them into the private tables.
        for (view, row) in [
            ("teams_v", serde_json::json!({ "id": id, "name": team })),
            (
                "players_v",
                serde_json::json!({ "id": id, "team_id": id, "name": "ada" }),
            ),
        ] {
            client
                .from_(view)
                .insert(row)
                .await
                .unwrap_or_else(|e| panic!("insert into {view}: {e}"));
        }

        let players = client
            .from::<PlayersV>()
            .select_as::<Player>()
            .eq(players_v::id, id)
            .await
            .expect("a view with the view of its key's table");
        let team_name = || {
            Some(TeamName {
                name: Some(team.clone()),
            })
        };
        assert_eq!(
            players,
            [Player {
                name: Some("ada".into()),
                teams_v: team_name(),
            }]
        );
        let teams = client
            .from::<TeamsV>()
            .select_as::<Team>()
            .eq(teams_v::id, id)
            .await
            .expect("a view with the views showing its key");
        assert_eq!(
            teams,
            [Team {
                name: Some(team.clone()),
                players_v: vec![PlayerName {
                    name: Some("ada".into())
                }],
                at_home: vec![PlayerId { id: Some(id) }],
            }]
        );
        let twice = client
            .from::<PlayersTwice>()
            .select_as::<Twice>()
            .eq(players_twice::id, id)
            .await
            .expect("one key shown by two columns");
        assert_eq!(
            twice,
            [Twice {
                team: team_name(),
                home: team_name(),
            }]
        );
    }
}
