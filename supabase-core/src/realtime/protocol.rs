//! The Phoenix channels wire format: one [`Message`] per WebSocket text frame.
//!
//! Two serialisations exist (Phoenix's `vsn` query parameter):
//! - `1.0.0`: a JSON object `{"join_ref", "ref", "topic", "event", "payload"}`
//!   (realtime-js `src/lib/serializer.ts` before 2.x of the socket),
//! - `2.0.0`: a JSON array `[join_ref, ref, topic, event, payload]`, the default of current
//!   realtime-js (`src/lib/constants.ts`: `DEFAULT_VSN = VSN_2_0_0`).
//!
//! Event names follow realtime-js `src/lib/constants.ts` (`CHANNEL_EVENTS`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Message {
    #[serde(default)]
    pub(crate) join_ref: Option<String>,
    #[serde(rename = "ref", default)]
    pub(crate) ref_: Option<String>,
    pub(crate) topic: String,
    pub(crate) event: String,
    #[serde(default)]
    pub(crate) payload: Value,
}

/// Why a frame is not a Phoenix message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed Phoenix frame: {0}")]
pub(crate) struct FrameError(pub(crate) String);

impl Message {
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
        let value: Value = serde_json::from_str(text).map_err(|e| FrameError(e.to_string()))?;
        match value {
            Value::Array(items) => {
                let [join_ref, ref_, topic, event, payload]: [Value; 5] = items
                    .try_into()
                    .map_err(|_| FrameError("expected an array of 5 elements".into()))?;
                Ok(Message {
                    join_ref: opt_ref(join_ref, "join_ref")?,
                    ref_: opt_ref(ref_, "ref")?,
                    topic: string(topic, "topic")?,
                    event: string(event, "event")?,
                    payload,
                })
            }
            Value::Object(_) => {
                serde_json::from_value(value).map_err(|e| FrameError(e.to_string()))
            }
            _ => Err(FrameError("expected a JSON array or object".into())),
        }
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
        Message {
            join_ref: Some("1".into()),
            ref_: Some("2".into()),
            topic: "realtime:room".into(),
            event: "broadcast".into(),
            payload: json!({"type": "broadcast", "event": "e", "payload": {"x": 1}}),
        }
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
    fn floats_decode_exactly() {
        // Found by the `realtime_frame` fuzz target: without serde_json's `float_roundtrip`,
        // `302770e55` decoded one ULP off, so a float8 column's value changed on the way.
        let m = Message::decode(r#"[null,null,"t","e",{"x":302770e55}]"#).unwrap();
        assert_eq!(m.payload["x"].as_f64(), Some(3.0277e60));
        assert_eq!(Message::decode(&m.encode(Vsn::V2)).unwrap(), m);
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
}
