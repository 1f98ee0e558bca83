//! Column types are exactly as visible as their struct (`pub(super)`, `pub(in path)` included),
//! and columns whose names clash with methods of the generated types (`default`, `clone`, …)
//! leave those methods working (they are set through the public field).

#![deny(warnings)]
#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

mod outer {
    pub(crate) mod inner {
        use serde::Deserialize;
        use supabase_core::prelude::*;

        #[derive(Table, Deserialize)]
        #[supabase(table = "planets")]
        pub(super) struct Planet {
            pub(super) id: i64,
        }

        #[derive(Table, Deserialize)]
        #[supabase(table = "moons")]
        pub(in crate::outer) struct Moon {
            pub(in crate::outer) id: i64,
        }
    }

    use supabase_core::prelude::ColumnExt;

    pub(crate) fn filters() {
        let _ = inner::planet::id.eq(1);
        let _ = inner::moon::id.eq(1);
    }
}

#[derive(Table, Debug, Clone, Deserialize)]
#[supabase(table = "settings")]
struct Setting {
    id: i64,
    #[supabase(default)]
    default: Option<String>,
    clone: Option<i32>,
    new: Option<bool>,
}

fn main() {
    outer::filters();
    let update = SettingUpdate::default();
    let copy = update.clone();
    let mut insert = SettingInsert::new(1).clone();
    insert.default = Some("x".into());
    insert.clone = Some(2);
    assert!(copy.clone.is_keep());
    let _ = setting::default.is_null();
}
