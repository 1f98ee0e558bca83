//! English singulars for table names (`singular = true`): `planets` → `planet`,
//! `countries` → `country`, `people` → `person`, `orchestral_sections` → `orchestral_section`.
//!
//! A small, documented rule set applied to the last `_`-separated word, in order:
//!
//! 1. words that are their own singular or that the rules would spoil stay as they are
//!    (`series`, `species`, `news`, `status`, `data`, `metadata`, `address`, …);
//! 2. irregular plurals (`people` → `person`, `children` → `child`, `men` → `man`,
//!    `statuses` → `status`, `analyses` → `analysis`, `wolves` → `wolf`, …);
//! 3. `-ies` → `-y` (`cities` → `city`); `-sses`, `-xes`, `-ches`, `-shes`, `-zzes` drop `-es`
//!    (`classes` → `class`, `boxes` → `box`, `matches` → `match`);
//! 4. words ending in `ss`, `us` or `is` stay (`class`, `campus`, `analysis`);
//! 5. any other final `s` is dropped (`users` → `user`, `messages` → `message`).
//!
//! Anything else (no final `s`, non-English names) is left alone. A wrong guess is fixed with
//! `[names]` in the config, which always wins.

const UNCHANGED: &[&str] = &[
    "series",
    "species",
    "news",
    "status",
    "data",
    "metadata",
    "media",
    "info",
    "information",
    "equipment",
    "address",
    "access",
    "bus",
    "gas",
    "alias",
    "canvas",
    "lens",
    "chaos",
    "ethos",
    "kudos",
    "physics",
    "mathematics",
    "economics",
    "analytics",
    "logistics",
    "statistics",
    "thanks",
];

const IRREGULAR: &[(&str, &str)] = &[
    ("people", "person"),
    ("persons", "person"),
    ("children", "child"),
    ("men", "man"),
    ("women", "woman"),
    ("mice", "mouse"),
    ("geese", "goose"),
    ("feet", "foot"),
    ("teeth", "tooth"),
    ("oxen", "ox"),
    ("statuses", "status"),
    ("buses", "bus"),
    ("aliases", "alias"),
    ("addresses", "address"),
    ("analyses", "analysis"),
    ("bases", "base"),
    ("crises", "crisis"),
    ("theses", "thesis"),
    ("indices", "index"),
    ("vertices", "vertex"),
    ("matrices", "matrix"),
    ("criteria", "criterion"),
    ("phenomena", "phenomenon"),
    ("lives", "life"),
    ("wives", "wife"),
    ("knives", "knife"),
    ("leaves", "leaf"),
    ("halves", "half"),
    ("shelves", "shelf"),
    ("wolves", "wolf"),
    ("heroes", "hero"),
    ("potatoes", "potato"),
    ("tomatoes", "tomato"),
    ("quizzes", "quiz"),
    ("movies", "movie"),
    ("cookies", "cookie"),
    ("pies", "pie"),
    ("ties", "tie"),
];

/// The singular of one lowercase word, by the rules above.
fn word(w: &str) -> String {
    if UNCHANGED.contains(&w) {
        return w.to_owned();
    }
    if let Some((_, s)) = IRREGULAR.iter().find(|(p, _)| *p == w) {
        return (*s).to_owned();
    }
    if let Some(stem) = w.strip_suffix("ies").filter(|s| s.len() >= 2) {
        return format!("{stem}y");
    }
    for suffix in ["sses", "xes", "ches", "shes", "zzes"] {
        if w.ends_with(suffix) {
            return w[..w.len() - 2].to_owned();
        }
    }
    if w.ends_with("ss") || w.ends_with("us") || w.ends_with("is") || w.len() <= 2 {
        return w.to_owned();
    }
    match w.strip_suffix('s') {
        Some(stem) => stem.to_owned(),
        None => w.to_owned(),
    }
}

/// The singular of a table name: its last `_`-separated word made singular, case kept for
/// the rest (`orchestral_sections` → `orchestral_section`, `People` → `Person`).
pub(crate) fn singular(name: &str) -> String {
    let start = name.rfind('_').map_or(0, |i| i + 1);
    let (head, last) = name.split_at(start);
    let lower = last.to_lowercase();
    let single = word(&lower);
    if single == lower {
        return name.to_owned();
    }
    // Keep a capitalised last word capitalised (`People` → `Person`).
    let single = if last.chars().next().is_some_and(char::is_uppercase) {
        let mut c = single.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    } else {
        single
    };
    format!("{head}{single}")
}

#[cfg(test)]
mod tests {
    use super::singular;

    #[test]
    fn singulars_follow_the_documented_rules() {
        for (plural, single) in [
            ("planets", "planet"),
            ("countries", "country"),
            ("cities", "city"),
            ("people", "person"),
            ("orchestral_sections", "orchestral_section"),
            ("users", "user"),
            ("messages", "message"),
            ("classes", "class"),
            ("boxes", "box"),
            ("matches", "match"),
            ("statuses", "status"),
            ("status", "status"),
            ("series", "series"),
            ("news", "news"),
            ("addresses", "address"),
            ("campus", "campus"),
            ("analysis", "analysis"),
            ("film_actors", "film_actor"),
            ("user_data", "user_data"),
            ("movies", "movie"),
            ("People", "Person"),
            ("myschema_mytable", "myschema_mytable"),
            ("wolves", "wolf"),
            ("quizzes", "quiz"),
        ] {
            assert_eq!(singular(plural), single, "{plural}");
        }
    }
}
