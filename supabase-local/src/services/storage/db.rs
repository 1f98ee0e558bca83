//! Running SQL as the caller: a block in a transaction started by
//! [`begin_as`](crate::services::begin_as), committed when the block returns `Ok`.

/// `as_caller!(state, caller, |tx| { …; Ok(value) })`: runs the block in a transaction as
/// the caller and commits when it returns `Ok`. Evaluates to `Result<T, DbError>`.
macro_rules! as_caller {
    ($state:expr, $who:expr, |$tx:ident| $body:block) => {
        async {
            let mut conn = $state.db().get().await?;
            let $tx = $crate::services::begin_as(&mut conn, $who).await?;
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
