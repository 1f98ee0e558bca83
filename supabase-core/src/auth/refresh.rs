//! The background refresh task (auth-js `_startAutoRefresh` / `_autoRefreshTokenTick`): it
//! sleeps until the session is about to expire, at most a 30 s tick at a time, refreshes it
//! through the single-flight path, and wakes early whenever the session changes. It holds only a weak reference to the client's auth
//! state, so it ends when the last clone of the client is dropped.

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::AuthShared;
use super::session::margin;
use super::types::Session;

/// Wait after a failed refresh before the next try (doubled up to [`MAX_BACKOFF`]).
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The longest sleep before the task reads the session's expiry again (auth-js
/// `AUTO_REFRESH_TICK_DURATION_MS`). Expiry is wall-clock time, and tokio's timers run on a
/// monotonic clock that stands still while the machine is suspended: one sleep until the
/// margin would wake up to an hour late after a laptop's lid was closed, with realtime
/// channels holding an expired token meanwhile.
const TICK: Duration = Duration::from_secs(30);

impl AuthShared {
    /// Starts the refresh task if `auto_refresh_token` is on, none runs yet, and we are inside a
    /// tokio runtime.
    pub(crate) fn start_ticker(self: &Arc<Self>) {
        if !self.auto_refresh {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let mut ticker = self.ticker.lock().unwrap_or_else(|e| e.into_inner());
        if ticker.as_ref().is_some_and(|h| !h.is_finished()) {
            return;
        }
        let task = runtime.spawn(run(Arc::downgrade(self)));
        *ticker = Some(task.abort_handle());
    }
}

/// Seconds until `session` is due for a refresh (0: now).
pub(crate) fn wait_secs(session: &Session) -> u64 {
    // Saturating: the expiry comes from the server or a stored session.
    let wait = session.expires_in_secs().saturating_sub(margin(session));
    u64::try_from(wait).unwrap_or(0)
}

/// How long to sleep before looking at `session` again: until it is due, and at most a
/// [`TICK`].
fn nap(session: &Session) -> Duration {
    Duration::from_secs(wait_secs(session)).min(TICK)
}

/// The pause after renewing a session that is due at once: half its lifetime, from 1 s up to
/// auth-js's 30 s tick.
fn skew_pause(session: &Session) -> Duration {
    Duration::from_secs(
        u64::try_from(session.expires_in / 2)
            .unwrap_or(0)
            .clamp(1, 30),
    )
}

async fn run(weak: Weak<AuthShared>) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let Some(shared) = weak.upgrade() else { return };
        let mut changed = shared.changed.subscribe();
        let due = shared.current().map(|s| {
            let nap = nap(&s);
            (s, nap)
        });
        drop(shared);
        match due {
            // Signed out: wait for a session (or for the client to go away).
            None => {
                if changed.changed().await.is_err() {
                    return;
                }
            }
            Some((_, nap)) if !nap.is_zero() => {
                tokio::select! {
                    () = tokio::time::sleep(nap) => {}
                    res = changed.changed() => if res.is_err() { return },
                }
            }
            Some((session, _)) => {
                let Some(shared) = weak.upgrade() else { return };
                match shared.refresh(&session.refresh_token, false).await {
                    Ok(renewed) => {
                        backoff = FIRST_BACKOFF;
                        if wait_secs(&renewed) == 0 {
                            // Due as soon as renewed: the local clock is ahead of the server's
                            // (expiry is the server's time), or tokens live only seconds. Pause,
                            // as auth-js refreshes at most once per 30 s tick, rather than
                            // refresh back to back until the server rate-limits the client.
                            tracing::warn!(
                                "the refreshed session is already due: is the clock ahead of \
                                 the auth server's?"
                            );
                            drop(shared);
                            tokio::time::sleep(skew_pause(&renewed)).await;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "background token refresh failed");
                        drop(shared);
                        // A refusal of a token that still works keeps the session (see
                        // `refresh_locked`) and will be refused again: asked again once per
                        // cooldown, as auth-js's next ticks take the cached failure, until
                        // the token expires and a refusal ends the session.
                        let refused =
                            matches!(&e, crate::Error::Auth(a) if a.is_fatal_for_session());
                        let pause = if refused {
                            super::session::REFRESH_FAILURE_COOLDOWN
                        } else {
                            backoff
                        };
                        tokio::time::sleep(pause).await;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::types::now;

    /// An hour's session with `left` seconds to go.
    fn session(left: i64) -> Session {
        serde_json::from_value(serde_json::json!({
            "access_token": "a", "refresh_token": "r", "token_type": "bearer",
            "expires_in": 3600, "expires_at": now() + left,
            "user": {"id": "u", "aud": "authenticated", "created_at": "2026-01-01T00:00:00Z"},
        }))
        .unwrap()
    }

    #[test]
    fn the_task_reads_the_expiry_again_at_least_every_tick() {
        assert_eq!(nap(&session(3600)), TICK, "an hour's session: one tick");
        // Due in 10 s (100 s left, 90 s margin): the nap ends then.
        let due_soon = nap(&session(100));
        assert!(due_soon <= Duration::from_secs(10) && due_soon >= Duration::from_secs(9));
        assert_eq!(nap(&session(60)), Duration::ZERO, "inside the margin: now");
    }
}
