//! Expansion snapshots of `#[derive(Table)]`: the derive's output for representative inputs,
//! formatted with prettyplease and compared with `src/snapshots/*.snap` by insta. Review a
//! change with `cargo insta review` (or `INSTA_UPDATE=always`, then read the diff).

use proc_macro2::TokenStream;
use quote::quote;

use crate::table;

/// The derive's output for `input`, formatted; the snapshot's description is the input.
fn assert_expansion(name: &str, input: TokenStream) {
    assert_derive(name, input, table::derive);
}

fn assert_derive(name: &str, input: TokenStream, derive: fn(TokenStream) -> TokenStream) {
    let pretty = |tokens: TokenStream| {
        let file: syn::File = syn::parse2(tokens).expect("the tokens parse as items");
        prettyplease::unparse(&file)
    };
    let source = pretty(input.clone());
    let expanded = pretty(derive(input));
    insta::with_settings!({ description => source, omit_expression => true }, {
        insta::assert_snapshot!(name, expanded);
    });
}

#[test]
fn plain_table() {
    assert_expansion(
        "plain_table",
        quote! {
            #[derive(Table, Deserialize)]
            #[supabase(table = "planets")]
            pub struct Planet {
                #[supabase(primary_key)]
                pub id: i64,
                pub name: String,
                pub moons: i32,
            }
        },
    );
}

#[test]
fn column_attributes() {
    assert_expansion(
        "column_attributes",
        quote! {
            #[derive(Table, Deserialize)]
            #[supabase(table = "users")]
            struct User {
                #[supabase(primary_key, generated)]
                id: i64,
                handle: Option<String>,
                #[supabase(default)]
                status: String,
                #[supabase(default)]
                tags: Option<Vec<String>>,
                #[serde(rename = "display_name")]
                display: Option<String>,
                #[serde(rename = "kind")]
                #[supabase(rename = "kind")]
                r#type: String,
                #[serde(rename = "Moon Count")]
                moon_count: std::option::Option<i32>,
                #[supabase(sql_type = "timestamptz")]
                seen_at: Option<String>,
                #[serde(skip)]
                #[supabase(skip)]
                cache: Vec<u8>,
            }
        },
    );
}

#[test]
fn read_only_view() {
    assert_expansion(
        "read_only_view",
        quote! {
            #[derive(Table, Deserialize)]
            #[supabase(table = "planet_stats", read_only)]
            pub(crate) struct PlanetStat {
                pub(crate) name: String,
                pub(crate) moons: Option<i64>,
            }
        },
    );
}

#[test]
fn view_taking_some_writes() {
    assert_expansion(
        "view_taking_some_writes",
        quote! {
            #[derive(Table, Deserialize)]
            #[supabase(table = "post_authors", writes(insert, update))]
            pub struct PostAuthor {
                pub id: i64,
                pub title: String,
                pub author: Option<String>,
            }
        },
    );
}

#[test]
fn custom_schema_and_crate_path() {
    assert_expansion(
        "custom_schema_and_crate_path",
        quote! {
            #[derive(Table, Deserialize)]
            #[supabase(table = "mytable", schema = "myschema", crate = "::my_sdk::supabase")]
            pub struct MyTable {
                #[supabase(primary_key)]
                pub id: i64,
                pub name: String,
            }
        },
    );
}

#[test]
fn attribute_error_expands_the_model_and_the_error() {
    assert_expansion(
        "attribute_error_expands_the_model_and_the_error",
        quote! {
            #[derive(Table, Deserialize)]
            #[supabase(table = "planets", tabel = "planets")]
            struct Planet {
                id: i64,
                #[supabase(primary)]
                name: String,
            }
        },
    );
}

#[test]
fn relations() {
    assert_expansion(
        "relations",
        quote! {
            #[derive(Table, Deserialize)]
            #[supabase(
                table = "instruments",
                read_only,
                belongs_to(Section, foreign_key = "section_id"),
                many_to_many(Player, through = "instrument_players")
            )]
            pub struct Instrument {
                pub id: i64,
                pub section_id: Option<i64>,
            }
        },
    );
}

#[test]
fn select_every_field_kind() {
    assert_derive(
        "select_every_field_kind",
        quote! {
            #[derive(Select, Deserialize)]
            #[supabase(from = models::Section)]
            pub struct SectionView {
                pub name: String,
                #[supabase(column = name)]
                pub title: String,
                #[supabase(column = id, cast = "text")]
                pub id_text: String,
                #[supabase(json = "meta->>colour")]
                pub colour: Option<String>,
                #[supabase(embed, inner)]
                #[serde(rename = "players")]
                pub instruments: Vec<InstrumentName>,
                #[supabase(embed)]
                pub conductor: Option<Conductor>,
            }
        },
        crate::select::derive,
    );
}

#[test]
fn named_relations() {
    assert_expansion(
        "named_relations",
        quote! {
            #[derive(Table, Deserialize)]
            #[supabase(
                table = "messages",
                belongs_to(User, foreign_key = "sender_id", name = sender),
                belongs_to(User, name = receiver, foreign_key = "messages_receiver_id_fkey"),
                has_many(Attachment)
            )]
            pub struct Message {
                pub id: i64,
                pub sender_id: i64,
                pub receiver_id: i64,
            }
        },
    );
}

#[test]
fn select_counts_and_named_relations() {
    assert_derive(
        "select_counts_and_named_relations",
        quote! {
            #[derive(Select, Deserialize)]
            #[supabase(from = Message)]
            pub struct MessageView {
                pub content: String,
                #[supabase(embed, via = sender)]
                pub sender: UserName,
                #[supabase(embed, inner, via = receiver)]
                #[serde(rename = "to")]
                pub receiver: Option<UserName>,
                #[supabase(count = Attachment)]
                pub attachments: EmbeddedCount,
                #[supabase(count = Reaction, via = reactions_on)]
                #[serde(rename = "likes")]
                pub like_count: EmbeddedCount,
            }
        },
        crate::select::derive,
    );
}

/// Whether the derive generates `Table::decode_rows` for `input`.
fn has_row_decoder(input: TokenStream) -> bool {
    table::derive(input).to_string().contains("fn decode_rows")
}

#[test]
fn the_row_decoder_is_generated_only_where_it_decodes_as_serde_does() {
    // Keys that leave serde's decoding of a present key as it is.
    assert!(has_row_decoder(quote! {
        #[derive(Table, Deserialize)]
        #[supabase(table = "t")]
        #[serde(deny_unknown_fields, default)]
        struct T {
            #[serde(rename = "b", default, skip_serializing_if = "Option::is_none")]
            a: Option<i64>,
        }
    }));
    // Keys that change it, a skipped field, a hand-written `Deserialize`, and a column name
    // JSON would escape: serde decodes every row.
    for input in [
        quote! {
            #[supabase(table = "t")]
            #[serde(from = "Other")]
            struct T { a: i64 }
        },
        quote! {
            #[supabase(table = "t")]
            struct T { #[serde(deserialize_with = "f")] a: i64 }
        },
        quote! {
            #[supabase(table = "t")]
            struct T { #[serde(with = "m")] a: i64 }
        },
        quote! {
            #[supabase(table = "t")]
            struct T { #[serde(skip_deserializing)] a: i64 }
        },
        quote! {
            #[supabase(table = "t")]
            struct T { a: i64, #[serde(skip)] #[supabase(skip)] b: u8 }
        },
        quote! {
            #[supabase(table = "t", custom_deserialize)]
            struct T { a: i64 }
        },
        // serde gives a key to the first field naming it, alias or not.
        quote! {
            #[supabase(table = "t")]
            struct T { #[serde(alias = "b")] a: i64, b: i64 }
        },
        quote! {
            #[supabase(table = "t")]
            struct T { #[serde(rename = "say \"hi\"")] a: i64 }
        },
    ] {
        let text = input.to_string();
        assert!(!has_row_decoder(input), "{text}");
    }
}

#[test]
fn two_fields_reading_one_column_are_an_error() {
    let out = table::derive(quote! {
        #[supabase(table = "t")]
        struct T { #[serde(rename = "b")] a: i64, b: i64 }
    })
    .to_string();
    assert!(out.contains("a second field reads the column `b`"), "{out}");
}

#[test]
fn a_select_decodes_its_plain_columns_first_then_what_it_embeds() {
    let out = crate::select::derive(quote! {
        #[supabase(from = Section)]
        struct S {
            #[supabase(embed)]
            instruments: Vec<InstrumentName>,
            name: String,
            #[supabase(count = Instrument)]
            n: EmbeddedCount,
            #[supabase(json = "meta->>a")]
            a: Option<String>,
        }
    })
    .to_string();
    let at = |key: &str| {
        out.find(&format!("reader . key ({key}"))
            .unwrap_or_else(|| panic!("no key {key}: {out}"))
    };
    let order = [
        "true , \"name\"",
        "false , \"a\"",
        "false , \"instruments\"",
        "false , \"n\"",
    ];
    assert!(order.windows(2).all(|w| at(w[0]) < at(w[1])), "{out}");
}

#[test]
fn a_select_has_a_row_decoder_only_where_it_decodes_as_serde_does() {
    let has = |input: TokenStream| {
        crate::select::derive(input)
            .to_string()
            .contains("fn decode_page")
    };
    assert!(has(quote! {
        #[supabase(from = T)]
        #[serde(deny_unknown_fields)]
        struct S { #[serde(rename = "b", default)] a: Option<i64> }
    }));
    for input in [
        quote! {
            #[supabase(from = T, custom_deserialize)]
            struct S { a: i64 }
        },
        quote! {
            #[supabase(from = T)]
            #[serde(from = "Other")]
            struct S { a: i64 }
        },
        quote! {
            #[supabase(from = T)]
            struct S { #[serde(deserialize_with = "f")] a: i64 }
        },
        quote! {
            #[supabase(from = T)]
            struct S { #[serde(alias = "b")] a: i64, b: i64 }
        },
        quote! {
            #[supabase(from = T)]
            struct S { #[serde(rename = "a\\b")] a: i64 }
        },
    ] {
        let text = input.to_string();
        assert!(!has(input), "{text}");
    }
}

#[test]
fn select_keys_serde_would_read_differently_are_errors() {
    for (input, message) in [
        (
            quote! {
                #[supabase(from = T)]
                #[serde(rename_all = "camelCase")]
                struct S { first_name: String }
            },
            "`#[serde(rename_all)]` is not supported on a `Select`",
        ),
        (
            quote! {
                #[supabase(from = T)]
                struct S { #[serde(rename(deserialize = "b"))] a: i64 }
            },
            "gives a column two names",
        ),
        (
            quote! {
                #[supabase(from = T)]
                struct S { #[serde(rename = "b")] a: i64, b: i64 }
            },
            "a second field reads the key `b`",
        ),
    ] {
        let out = crate::select::derive(input).to_string();
        assert!(out.contains(message), "{out}");
    }
}
