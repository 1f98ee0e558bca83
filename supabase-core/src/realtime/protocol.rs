//! The Phoenix channels wire format: one [`Message`] per WebSocket text frame.
//!
//! Two serialisations exist (Phoenix's `vsn` query parameter):
//! - `1.0.0`: a JSON object `{"join_ref", "ref", "topic", "event", "payload"}`
//!   (realtime-js `src/lib/serializer.ts` before 2.x of the socket),
//! - `2.0.0`: a JSON array `[join_ref, ref, topic, event, payload]`, the default of current
//!   realtime-js (`src/lib/constants.ts`: `DEFAULT_VSN = VSN_2_0_0`).
//!
//! Event names follow realtime-js `src/lib/constants.ts` (`CHANNEL_EVENTS`).
//!
//! With 2.0.0, broadcasts may also travel as binary frames (realtime-js
//! `src/lib/serializer.ts`, supabase/realtime `lib/realtime_web/socket/v2_serializer.ex`):
//! - client → server, kind 3 "user broadcast push": `[3, join_ref_len, ref_len, topic_len,
//!   event_len, meta_len, encoding]` then those five strings and the payload bytes,
//! - server → client, kind 4 "user broadcast": `[4, topic_len, event_len, meta_len,
//!   encoding]` then topic, user event, metadata and the payload bytes,
//!
//! where lengths are single bytes (so each string is at most 255 bytes), `encoding` is 0 for a
//! binary payload and 1 for JSON, and the metadata (optional) is JSON.

use bytes::Bytes;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::changes::POSTGRES_CHANGES;

/// `phx_join`: join a topic.
pub(crate) const JOIN: &str = "phx_join";
/// `phx_reply`: the server's answer to a push with a `ref`.
pub(crate) const REPLY: &str = "phx_reply";
/// `phx_leave`: leave a topic.
pub(crate) const LEAVE: &str = "phx_leave";
/// `phx_close`: the server closed the channel.
pub(crate) const CLOSE: &str = "phx_close";
/// `phx_error`: the channel crashed on the server.
pub(crate) const ERROR: &str = "phx_error";
/// `access_token`: a refreshed JWT for a joined channel.
pub(crate) const ACCESS_TOKEN: &str = "access_token";
/// The socket-level topic heartbeats use.
pub(crate) const PHOENIX_TOPIC: &str = "phoenix";
/// `heartbeat` on [`PHOENIX_TOPIC`].
pub(crate) const HEARTBEAT: &str = "heartbeat";

/// The Phoenix serializer version, sent as the `vsn` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Vsn {
    /// `1.0.0`: messages are JSON objects.
    V1,
    /// `2.0.0`: messages are JSON arrays (realtime-js's default).
    #[default]
    V2,
}

impl Vsn {
    /// The value of the `vsn` query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Vsn::V1 => "1.0.0",
            Vsn::V2 => "2.0.0",
        }
    }
}

/// One Phoenix message.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Message {
    #[serde(default)]
    pub(crate) join_ref: Option<String>,
    #[serde(rename = "ref", default)]
    pub(crate) ref_: Option<String>,
    pub(crate) topic: String,
    pub(crate) event: String,
    #[serde(default)]
    pub(crate) payload: Value,
    /// The raw payload of a binary broadcast: then `payload` is `{type, event, payload: null}`.
    #[serde(skip)]
    pub(crate) binary: Option<Bytes>,
    /// A `postgres_changes` payload's text as the server wrote it, which its records are
    /// decoded from: Realtime relays each record as Postgres wrote it
    /// (`replication_poller.ex`: `record: Jason.Fragment.new(record)`), so a `numeric` keeps
    /// the digits that `payload`'s `f64` loses. `None` for every other event.
    #[serde(skip)]
    pub(crate) raw_payload: Option<Box<str>>,
}

/// The payload redacted: a join's and an `access_token` push's token, a broadcast's
/// secret-named values.
impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("join_ref", &self.join_ref)
            .field("ref", &self.ref_)
            .field("topic", &self.topic)
            .field("event", &self.event)
            .field(
                "payload",
                &format_args!("{}", crate::secret::redact_text(&self.payload.to_string())),
            )
            .field("binary", &self.binary.as_ref().map(Bytes::len))
            .finish_non_exhaustive()
    }
}

/// Why a frame is not a Phoenix message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed Phoenix frame: {0}")]
pub(crate) struct FrameError(pub(crate) String);

impl Message {
    /// A message with a JSON payload, its parts in the 2.0.0 array's order.
    pub(crate) fn new(
        join_ref: Option<String>,
        ref_: Option<String>,
        topic: String,
        event: String,
        payload: Value,
    ) -> Message {
        Message {
            join_ref,
            ref_,
            topic,
            event,
            payload,
            binary: None,
            raw_payload: None,
        }
    }

    pub(crate) fn encode(&self, vsn: Vsn) -> String {
        let value = match vsn {
            Vsn::V1 => serde_json::to_value(self).unwrap_or(Value::Null),
            Vsn::V2 => Value::Array(vec![
                self.join_ref.clone().map_or(Value::Null, Value::String),
                self.ref_.clone().map_or(Value::Null, Value::String),
                Value::String(self.topic.clone()),
                Value::String(self.event.clone()),
                self.payload.clone(),
            ]),
        };
        value.to_string()
    }

    /// Decodes a text frame in either form (servers answer in the form the client asked for,
    /// but accepting both costs nothing).
    pub(crate) fn decode(text: &str) -> Result<Message, FrameError> {
        let mut message = Message::decode_value(text)?;
        if message.event == POSTGRES_CHANGES {
            message.raw_payload = raw_payload(text).map(|raw| raw.get().into());
        }
        Ok(message)
    }

    fn decode_value(text: &str) -> Result<Message, FrameError> {
        let value: Value = serde_json::from_str(text).map_err(|e| FrameError(e.to_string()))?;
        match value {
            Value::Array(items) => {
                let [join_ref, ref_, topic, event, payload]: [Value; 5] = items
                    .try_into()
                    .map_err(|_| FrameError("expected an array of 5 elements".into()))?;
                Ok(Message::new(
                    opt_ref(join_ref, "join_ref")?,
                    opt_ref(ref_, "ref")?,
                    string(topic, "topic")?,
                    string(event, "event")?,
                    payload,
                ))
            }
            Value::Object(_) => {
                serde_json::from_value(value).map_err(|e| FrameError(e.to_string()))
            }
            _ => Err(FrameError("expected a JSON array or object".into())),
        }
    }
}

const USER_BROADCAST_PUSH: u8 = 3;
const USER_BROADCAST: u8 = 4;
const BINARY_ENCODING: u8 = 0;
const JSON_ENCODING: u8 = 1;

impl Message {
    /// A `broadcast` push whose user payload is `bytes`.
    pub(crate) fn binary_broadcast(
        join_ref: Option<String>,
        topic: String,
        event: &str,
        bytes: Bytes,
    ) -> Message {
        let payload = serde_json::json!({"type": "broadcast", "event": event, "payload": null});
        Message {
            binary: Some(bytes),
            ..Message::new(join_ref, None, topic, "broadcast".into(), payload)
        }
    }

    /// Encodes a binary broadcast push as a kind-3 frame (the server's `decode_binary`).
    pub(crate) fn encode_binary(&self) -> Result<Vec<u8>, FrameError> {
        let bytes = self
            .binary
            .as_ref()
            .ok_or_else(|| FrameError("not a binary broadcast".into()))?;
        let join_ref = self.join_ref.as_deref().unwrap_or("");
        let ref_ = self.ref_.as_deref().unwrap_or("");
        let event = self.payload["event"].as_str().unwrap_or("");
        let parts = [
            ("join_ref", join_ref),
            ("ref", ref_),
            ("topic", self.topic.as_str()),
            ("event", event),
        ];
        let mut out =
            Vec::with_capacity(7 + parts.iter().map(|p| p.1.len()).sum::<usize>() + bytes.len());
        out.push(USER_BROADCAST_PUSH);
        for (what, part) in parts {
            let len = u8::try_from(part.len()).map_err(|_| {
                FrameError(format!(
                    "`{what}` is {} bytes, at most 255 fit a binary frame",
                    part.len()
                ))
            })?;
            out.push(len);
        }
        out.push(0); // no metadata
        out.push(BINARY_ENCODING);
        for (_, part) in parts {
            out.extend_from_slice(part.as_bytes());
        }
        out.extend_from_slice(bytes);
        Ok(out)
    }

    /// Decodes a binary frame: a kind-4 user broadcast, with a binary or JSON payload.
    pub(crate) fn decode_binary(frame: &[u8]) -> Result<Message, FrameError> {
        let short = || FrameError("binary frame too short".into());
        let (&kind, rest) = frame.split_first().ok_or_else(short)?;
        if kind != USER_BROADCAST {
            return Err(FrameError(format!("unsupported binary frame kind {kind}")));
        }
        let &[topic_len, event_len, meta_len, encoding] = rest.get(..4).ok_or_else(short)? else {
            return Err(short());
        };
        let mut cursor = &rest[4..];
        let mut take = |len: u8, what: &str| -> Result<String, FrameError> {
            let len = usize::from(len);
            let part = cursor.get(..len).ok_or_else(short)?;
            cursor = &cursor[len..];
            String::from_utf8(part.to_vec())
                .map_err(|_| FrameError(format!("`{what}` is not UTF-8")))
        };
        let topic = take(topic_len, "topic")?;
        let user_event = take(event_len, "event")?;
        let meta = take(meta_len, "metadata")?;
        let data = cursor;
        let mut payload = serde_json::json!({"type": "broadcast", "event": user_event});
        let mut binary = None;
        match encoding {
            JSON_ENCODING => {
                payload["payload"] = serde_json::from_slice(data)
                    .map_err(|e| FrameError(format!("JSON payload: {e}")))?;
            }
            BINARY_ENCODING => {
                payload["payload"] = Value::Null;
                binary = Some(Bytes::copy_from_slice(data));
            }
            other => return Err(FrameError(format!("unknown payload encoding {other}"))),
        }
        if !meta.is_empty() {
            payload["meta"] =
                serde_json::from_str(&meta).map_err(|e| FrameError(format!("metadata: {e}")))?;
        }
        Ok(Message {
            binary,
            ..Message::new(None, None, topic, "broadcast".into(), payload)
        })
    }
}

/// The payload of a text frame already decoded as a message, borrowed from the frame's text.
fn raw_payload(text: &str) -> Option<&RawValue> {
    #[derive(Deserialize)]
    struct Object<'a> {
        #[serde(borrow)]
        payload: Option<&'a RawValue>,
    }
    if text.trim_start().starts_with('[') {
        let (_, _, _, _, payload): (IgnoredAny, IgnoredAny, IgnoredAny, IgnoredAny, &RawValue) =
            serde_json::from_str(text).ok()?;
        Some(payload)
    } else {
        serde_json::from_str::<Object<'_>>(text).ok()?.payload
    }
}

fn string(value: Value, what: &str) -> Result<String, FrameError> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(FrameError(format!("`{what}` is not a string: {other}"))),
    }
}

/// Refs are strings in realtime-js; some servers send numbers, which we accept.
fn opt_ref(value: Value, what: &str) -> Result<Option<String>, FrameError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(FrameError(format!("`{what}` is not a string: {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msg() -> Message {
        Message::new(
            Some("1".into()),
            Some("2".into()),
            "realtime:room".into(),
            "broadcast".into(),
            json!({"type": "broadcast", "event": "e", "payload": {"x": 1}}),
        )
    }

    #[test]
    fn both_versions_round_trip() {
        for vsn in [Vsn::V1, Vsn::V2] {
            let text = msg().encode(vsn);
            assert_eq!(Message::decode(&text).unwrap(), msg(), "{text}");
        }
        assert!(
            msg()
                .encode(Vsn::V2)
                .starts_with(r#"["1","2","realtime:room","broadcast""#)
        );
        assert!(msg().encode(Vsn::V1).contains(r#""ref":"2""#));
    }

    #[test]
    fn debug_redacts_the_access_token() {
        let join = Message::new(
            Some("1".into()),
            Some("1".into()),
            "realtime:room".into(),
            "phx_join".into(),
            json!({"config": {"private": true}, "access_token": "my-opaque-session-token"}),
        );
        let shown = format!("{join:?}");
        assert!(!shown.contains("my-opaque-session-token"), "{shown}");
        assert!(
            shown.contains("phx_join") && shown.contains("private"),
            "{shown}"
        );
    }

    #[test]
    fn floats_decode_exactly() {
        // Found by the `realtime_frame` fuzz target: without serde_json's `float_roundtrip`,
        // `302770e55` decoded one ULP off, so a float8 column's value changed on the way.
        let m = Message::decode(r#"[null,null,"t","e",{"x":302770e55}]"#).unwrap();
        assert_eq!(m.payload["x"].as_f64(), Some(3.0277e60));
        assert_eq!(Message::decode(&m.encode(Vsn::V2)).unwrap(), m);
    }

    #[test]
    fn a_changes_payload_keeps_its_text() {
        let payload = r#"{"ids":[1],"data":{"record":{"n":0.12345678901234567890}}}"#;
        for frame in [
            format!(r#"[null, null, "realtime:t", "postgres_changes", {payload}]"#),
            format!(r#"{{"topic":"realtime:t","event":"postgres_changes","payload":{payload}}}"#),
        ] {
            let m = Message::decode(&frame).unwrap();
            assert_eq!(m.raw_payload.as_deref(), Some(payload), "{frame}");
        }
        let other = format!(r#"[null, null, "realtime:t", "broadcast", {payload}]"#);
        assert_eq!(Message::decode(&other).unwrap().raw_payload, None);
    }

    #[test]
    fn malformed_frames_are_errors() {
        for bad in [
            "",
            "nope",
            "42",
            "[1,2,3]",
            r#"[null,null,5,"e",{}]"#,
            r#"{"event":"x"}"#,
            r#"[null,{},"t","e",{}]"#,
        ] {
            assert!(Message::decode(bad).is_err(), "{bad}");
        }
        let m = Message::decode(r#"[null,7,"phoenix","phx_reply",{}]"#).unwrap();
        assert_eq!(m.ref_.as_deref(), Some("7"));
    }

    #[test]
    fn binary_push_layout_is_the_servers() {
        let m = Message {
            ref_: Some("12".into()),
            ..Message::binary_broadcast(
                Some("1".into()),
                "realtime:r".into(),
                "ev",
                Bytes::from_static(&[0, 255, 7]),
            )
        };
        let frame = m.encode_binary().unwrap();
        let mut expected = vec![3, 1, 2, 10, 2, 0, 0];
        expected.extend_from_slice(b"112realtime:rev");
        expected.extend_from_slice(&[0, 255, 7]);
        assert_eq!(frame, expected);
        let long = Message::binary_broadcast(None, "t".repeat(256), "e", Bytes::new());
        assert!(long.encode_binary().unwrap_err().0.contains("topic"));
    }

    #[test]
    fn user_broadcasts_decode_with_either_encoding() {
        let mut frame = vec![4, 10, 2, 0, 0];
        frame.extend_from_slice(b"realtime:rev");
        frame.extend_from_slice(&[9, 8]);
        let m = Message::decode_binary(&frame).unwrap();
        assert_eq!(m.topic, "realtime:r");
        assert_eq!(m.payload["event"], "ev");
        assert_eq!(m.binary.as_deref(), Some(&[9u8, 8][..]));

        let mut frame = vec![4, 1, 1, 8, 1];
        frame.extend_from_slice(b"te{\"id\":1}{\"a\":[1]}");
        let m = Message::decode_binary(&frame).unwrap();
        assert_eq!(m.payload["payload"], json!({"a": [1]}));
        assert_eq!(m.payload["meta"], json!({"id": 1}));
        assert!(m.binary.is_none());

        for bad in [
            &[][..],
            &[4, 5, 0, 0, 0, b'a'][..],
            &[4, 0, 0, 0, 7][..],
            &[4, 0, 0, 0, 1, b'{'][..],
            &[2, 0, 0][..],
            &[4, 1, 0, 0, 0, 0xff][..],
        ] {
            assert!(Message::decode_binary(bad).is_err(), "{bad:?}");
        }
    }
}
