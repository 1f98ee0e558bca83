//! Capturing log output to check that no secret reaches it: a `tracing` layer that keeps every
//! event and span (the client's own, and every `log` record of the dependencies through
//! `tracing-log`), and a search for secrets in the text, verbatim or hex-encoded.

use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record as SpanRecord};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// One captured event or span, with its real target (`log` records normalised).
#[derive(Debug)]
pub struct Record {
    /// The event's or span's level.
    pub level: Level,
    /// Its target: the module path, or the `log` record's target.
    pub target: String,
    /// The span's name and fields, or the event's fields (its message among them).
    pub text: String,
}

impl Record {
    /// tungstenite's TRACE lines print whole WebSocket frames (in hex): the realtime protocol
    /// carries the access token in `phx_join` / `access_token` frames, so those lines hold it by
    /// design. No library can redact a dependency's log lines; see `docs/reliability.md`. (The
    /// client's opening handshake, whose URL carries the API key, is not tungstenite's.)
    pub fn is_tungstenite_trace(&self) -> bool {
        self.level == Level::TRACE
            && (self.target.starts_with("tungstenite")
                || self.target.starts_with("tokio_tungstenite"))
    }
}

/// A `tracing` layer keeping every event and span (name and fields) as text.
#[derive(Debug, Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<Record>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push_str(&format!(" {}={value}", field.name()));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        let mut fields = Fields(format!("span {}", attrs.metadata().name()));
        attrs.record(&mut fields);
        self.push(attrs.metadata(), fields.0);
    }

    fn on_record(&self, id: &Id, values: &SpanRecord<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields(String::from("span fields"));
        values.record(&mut fields);
        if let Some(meta) = ctx.metadata(id) {
            self.push(meta, fields.0);
        }
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.push(meta, fields.0);
    }
}

impl Capture {
    /// Everything captured so far (emptying the capture).
    pub fn take(&self) -> Vec<Record> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    fn push(&self, meta: &Metadata<'_>, text: String) {
        self.0.lock().unwrap().push(Record {
            level: *meta.level(),
            target: meta.target().to_owned(),
            text,
        });
    }
}

/// A secret and the forms it must not appear in.
pub fn forms(secret: &str) -> Vec<String> {
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    let mut out = vec![secret.to_owned(), hex];
    // A JWT's signature alone is as good as the token to whoever holds the header and claims.
    if let Some(signature) = secret.split('.').nth(2).filter(|s| s.len() >= 16) {
        out.push(signature.to_owned());
    }
    out
}

/// Where any of `secrets` (`(what it is, value)`) appears in any of `texts` (`(where, text)`), in
/// any of its [`forms`], with 200 characters of context either side.
pub fn leaks(texts: &[(&str, &str)], secrets: &[(&str, String)]) -> Vec<String> {
    let mut leaks = Vec::new();
    for (name, text) in texts {
        for (what, secret) in secrets {
            assert!(secret.len() >= 6, "{what} is too short to search for");
            for form in forms(secret) {
                if let Some(at) = text.find(&form) {
                    let from = text[..at]
                        .char_indices()
                        .rev()
                        .nth(200)
                        .map_or(0, |(i, _)| i);
                    let to = text[at..]
                        .char_indices()
                        .nth(form.len() + 200)
                        .map_or(text.len(), |(i, _)| at + i);
                    leaks.push(format!("{what} in {name}: ...{}...", &text[from..to]));
                }
            }
        }
    }
    leaks
}

/// The captured records as text, one per line, without tungstenite's TRACE lines (see
/// [`Record::is_tungstenite_trace`]).
pub fn log_text(records: &[Record]) -> String {
    records
        .iter()
        .filter(|r| !r.is_tungstenite_trace())
        .map(|r| format!("{} {}: {}\n", r.level, r.target, r.text))
        .collect()
}
