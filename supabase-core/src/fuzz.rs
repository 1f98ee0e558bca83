//! Entry points for the fuzz targets (the `fuzz/` crate) and their corpus replay test: thin
//! wrappers over decoders that are not public API. Not public API: no stability guarantees.
//!
//! Everything a server (or a stored session) can send the client is reachable from here without
//! a network: PostgREST, auth and storage error bodies, PostgREST success bodies with their
//! `Content-Range`, the streaming array splitter, Phoenix frames and the realtime payloads routed
//! from them, JWTs and stored sessions. The value encoder and storage paths are fuzzed through
//! the public API (`Builder::build`, `FileApi::get_public_url`).

use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

use crate::auth::{AuthError, Session};
use crate::error::{PostgrestError, Result};
use crate::postgrest::Response;
use crate::realtime::{PostgresChangesPayload, PresenceEvent, PresenceState};
use crate::storage::StorageError;

/// A PostgREST answer decoded as the builder decodes it: `maybe_one` for `maybe_single()`,
/// otherwise a plain (`Many`) read.
pub fn postgrest_response(
    status: StatusCode,
    headers: HeaderMap,
    body: &[u8],
    maybe_one: bool,
) -> Result<Response<Value>> {
    use crate::postgrest::request::Cardinality;
    let raw = crate::http::RawResponse {
        status,
        headers,
        body: bytes::Bytes::copy_from_slice(body),
    };
    let cardinality = if maybe_one {
        Cardinality::MaybeOne
    } else {
        Cardinality::Many
    };
    crate::postgrest::response::decode(raw, None, cardinality, None)
}

/// A PostgREST error body.
pub fn postgrest_error(status: StatusCode, body: &[u8]) -> PostgrestError {
    PostgrestError::from_body(status, body)
}

/// A storage-api error body; `tus` for the resumable endpoint's plain-text errors.
pub fn storage_error(status: StatusCode, body: &[u8], tus: bool) -> StorageError {
    if tus {
        StorageError::from_tus(status, body)
    } else {
        StorageError::from_body(status, body)
    }
}

/// A GoTrue error answer (the headers carry `X-Supabase-Api-Version`).
pub fn auth_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> AuthError {
    AuthError::from_response(status, headers, body)
}

/// The streaming splitter of `Builder::stream`: the top-level elements of a JSON array arriving
/// in chunks.
#[derive(Debug, Default)]
pub struct ArraySplitter(crate::postgrest::stream::ArraySplitter);

impl ArraySplitter {
    /// Appends the next network chunk.
    pub fn push(&mut self, chunk: &[u8]) {
        self.0.push(chunk);
    }

    /// The next complete element, if the bytes so far hold one.
    pub fn next_element(&mut self) -> std::result::Result<Option<Vec<u8>>, String> {
        Ok(self.0.next_element()?.map(|e| e.to_vec()))
    }

    /// Checks that the array ended properly once the body is complete.
    pub fn finish(&self) -> std::result::Result<(), String> {
        self.0.finish()
    }
}

/// A decoded Phoenix message: `(join_ref, ref, topic, event, payload)`.
pub type Frame = (Option<String>, Option<String>, String, String, Value);

/// Decodes one realtime text frame (`vsn` 1.0.0 object or 2.0.0 array).
pub fn realtime_decode(text: &str) -> std::result::Result<Frame, String> {
    let m = crate::realtime::protocol::Message::decode(text).map_err(|e| e.to_string())?;
    Ok((m.join_ref, m.ref_, m.topic, m.event, m.payload))
}

/// Decodes one realtime binary frame (vsn 2.0.0 user broadcast): the message and, for a binary
/// payload, its bytes.
pub fn realtime_decode_binary(
    frame: &[u8],
) -> std::result::Result<(Frame, Option<Vec<u8>>), String> {
    let m = crate::realtime::protocol::Message::decode_binary(frame).map_err(|e| e.to_string())?;
    let binary = m.binary.map(|b| b.to_vec());
    Ok(((m.join_ref, m.ref_, m.topic, m.event, m.payload), binary))
}

/// Encodes a Phoenix message as the socket sends it (`v2`: the array form).
pub fn realtime_encode(frame: Frame, v2: bool) -> String {
    let (join_ref, ref_, topic, event, payload) = frame;
    let message = crate::realtime::protocol::Message::new(join_ref, ref_, topic, event, payload);
    message.encode(if v2 {
        crate::realtime::Vsn::V2
    } else {
        crate::realtime::Vsn::V1
    })
}

/// A `postgres_changes` payload as a channel parses it before calling listeners.
pub fn realtime_change(payload: &Value) -> Option<(Vec<u64>, PostgresChangesPayload)> {
    crate::realtime::changes::RawChange::parse(payload, Some(&payload.to_string()))
        .map(|raw| (raw.ids, raw.payload))
}

/// A text frame's `postgres_changes` change as a channel parses it, with the text of its new and
/// old records that typed listeners decode (`None` for another frame or a malformed change).
pub fn realtime_change_text(text: &str) -> Option<(PostgresChangesPayload, String, String)> {
    let m = crate::realtime::protocol::Message::decode(text).ok()?;
    let raw = crate::realtime::changes::RawChange::parse(&m.payload, m.raw_payload.as_deref())?;
    let (new, old) = raw.record_texts();
    let (new, old) = (new.to_owned(), old.to_owned());
    Some((raw.payload, new, old))
}

/// Feeds presence payloads to a fresh tracker as a channel does: each `(event, payload, join_ref)`
/// is a `presence_state` (when `event` is `true`) or a `presence_diff`. Returns every event
/// emitted and the final state.
pub fn realtime_presence(
    messages: &[(bool, Value, Option<String>)],
) -> (Vec<PresenceEvent>, PresenceState) {
    let mut tracker = crate::realtime::presence::PresenceTracker::default();
    let mut events = Vec::new();
    for (is_state, payload, join_ref) in messages {
        let emitted = if *is_state {
            tracker.sync_state(payload, join_ref.clone())
        } else {
            tracker.sync_diff_or_queue(payload, join_ref.clone())
        };
        events.extend(emitted);
    }
    (events, tracker.state)
}

/// A JWT's header and payload, unverified (the parsing `get_claims` does before verifying).
pub fn jwt_parts(jwt: &str) -> std::result::Result<crate::auth::claims::Parts, AuthError> {
    crate::auth::claims::parts(jwt)
}

/// The payload as `set_session` and the MFA assurance level read it.
pub fn jwt_unverified(jwt: &str) -> std::result::Result<Map<String, Value>, AuthError> {
    crate::auth::claims::decode_unverified(jwt)
}

/// `get_claims` with a JWT secret: parsing, expiry, then HS256 verification, all local.
/// Tokens that need the JWKS or the server (RS256/ES256) are refused before any request.
pub fn jwt_claims_hs256(jwt: &str, secret: &str) -> Result<crate::auth::Claims> {
    crate::auth::claims::verify_local(jwt, secret)
}

/// A stored session as `initialize` loads it, then its expiry bookkeeping:
/// `(expires_at, seconds left, refresh margin, seconds until the refresh task refreshes)`.
pub fn stored_session(text: &str) -> Option<(Option<i64>, i64, i64, u64)> {
    let session = serde_json::from_str::<Session>(text).ok()?.with_expiry();
    Some((
        session.expires_at,
        session.expires_in_secs(),
        crate::auth::session::margin(&session),
        crate::auth::refresh::wait_secs(&session),
    ))
}
