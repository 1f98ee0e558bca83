//! Project SQL: migrations (sorted by file name) and the seed file, applied as the superuser.

use std::path::{Path, PathBuf};

use tokio_postgres::error::ErrorPosition;

use crate::error::StackError;

/// The `.sql` files of a migrations directory, sorted by file name.
pub(crate) fn list_migrations(dir: &Path) -> Result<Vec<PathBuf>, StackError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| StackError::io("reading migrations directory", dir, e))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// Runs each file with `batch_execute`; the first failure names the file and line.
pub(crate) async fn apply(
    client: &tokio_postgres::Client,
    files: &[PathBuf],
) -> Result<(), StackError> {
    for file in files {
        let sql = std::fs::read_to_string(file)
            .map_err(|e| StackError::io("reading SQL file", file, e))?;
        tracing::debug!(file = %file.display(), "applying");
        client
            .batch_execute(&sql)
            .await
            .map_err(|e| StackError::Migration {
                path: file.clone(),
                line: error_line(&sql, &e),
                message: describe(&e),
            })?;
    }
    Ok(())
}

/// The 1-based line of the error, from Postgres's error position (a 1-based character offset
/// into the query string).
pub(crate) fn error_line(sql: &str, error: &tokio_postgres::Error) -> Option<usize> {
    match error.as_db_error()?.position()? {
        ErrorPosition::Original(pos) => Some(line_of(sql, *pos as usize)),
        ErrorPosition::Internal { .. } => None,
    }
}

fn line_of(sql: &str, char_pos: usize) -> usize {
    1 + sql
        .chars()
        .take(char_pos.saturating_sub(1))
        .filter(|c| *c == '\n')
        .count()
}

/// Postgres's message with SQLSTATE, detail and hint.
pub(crate) fn describe(error: &tokio_postgres::Error) -> String {
    let Some(db) = error.as_db_error() else {
        return error.to_string();
    };
    let mut text = format!(
        "{}: {} (SQLSTATE {})",
        db.severity(),
        db.message(),
        db.code().code()
    );
    if let Some(detail) = db.detail() {
        text.push_str(&format!("\nDETAIL: {detail}"));
    }
    if let Some(hint) = db.hint() {
        text.push_str(&format!("\nHINT: {hint}"));
    }
    if let Some(context) = db.where_() {
        text.push_str(&format!("\nCONTEXT: {context}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_from_character_position() {
        let sql = "select 1;\nselect é;\nselect nope;";
        assert_eq!(line_of(sql, 1), 1);
        assert_eq!(line_of(sql, 10), 1); // the first newline itself
        assert_eq!(line_of(sql, 11), 2);
        // Positions count characters, not bytes: `é` is one.
        assert_eq!(line_of(sql, 20), 2);
        assert_eq!(line_of(sql, 21), 3);
    }

    #[test]
    fn migrations_sorted_by_name_sql_only() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["20240102_b.sql", "20240101_a.sql", "notes.txt", "10_c.sql"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let names: Vec<String> = list_migrations(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["10_c.sql", "20240101_a.sql", "20240102_b.sql"]);
    }
}
