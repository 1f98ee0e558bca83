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
