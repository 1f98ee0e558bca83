//! Running SQL as the caller. Same contract as [`Db::as_caller`](crate::services::Db::as_caller)
//! (role and `request.jwt.claims` set for the transaction, as PostgREST does), written as a
//! macro over an inline block: the future of a generic `AsyncFnOnce` cannot be proven `Send`,
//! which axum handlers must be.

use crate::services::{Caller, DbError};

/// Starts a transaction on `conn` as `caller`'s role with its claims.
pub(crate) async fn begin<'c>(
    conn: &'c mut deadpool_postgres::Object,
    caller: &Caller,
) -> Result<deadpool_postgres::Transaction<'c>, DbError> {
    let tx = conn.transaction().await.map_err(DbError::from)?;
    let claims = caller.claims.to_string();
    let sub = caller.claims["sub"].as_str().unwrap_or("");
    tx.execute(
        "select set_config('role', $1, true), \
                set_config('request.jwt.claims', $2, true), \
                set_config('request.jwt.claim.sub', $3, true), \
                set_config('request.jwt.claim.role', $1, true)",
        &[&caller.role, &claims, &sub],
    )
    .await
    .map_err(DbError::from)?;
    Ok(tx)
}

/// `as_caller!(state, caller, |tx| { …; Ok(value) })`: runs the block in a transaction as
/// the caller and commits when it returns `Ok`. Evaluates to `Result<T, DbError>`.
macro_rules! as_caller {
    ($state:expr, $who:expr, |$tx:ident| $body:block) => {
        async {
            let mut conn = $state.db().get().await?;
            let $tx = $crate::services::storage::db::begin(&mut conn, $who).await?;
            let out: Result<_, $crate::services::DbError> = async { $body }.await;
            let out = out?;
            $tx.commit()
                .await
                .map_err($crate::services::DbError::from)?;
            Ok::<_, $crate::services::DbError>(out)
        }
        .await
    };
}
pub(crate) use as_caller;
