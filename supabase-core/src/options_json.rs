//! The untyped route to [`ClientOptions`]: it deserializes from the keyword arguments of
//! supabase-py's `ClientOptions(...)` (`supabase/lib/client_options.py`), as the storage and
//! auth options deserialize from the reference's dicts. Timeouts are seconds (an integer or a
//! float, as supabase-py takes them); `flow_type` is `"pkce"` or `"implicit"`. `storage` and
//! `httpx_client` hold Python objects, and `realtime`'s settings are Rust's
//! [`RealtimeOptions`](crate::realtime::RealtimeOptions): these have builders instead
//! ([`ClientOptions::session_store`], [`ClientOptions::realtime`]) and are refused here, as is
//! any unknown key.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Deserializer, de};

use crate::auth::FlowType;
use crate::client::ClientOptions;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientOptionsJson {
    schema: Option<String>,
    headers: Option<BTreeMap<String, String>>,
    auto_refresh_token: Option<bool>,
    persist_session: Option<bool>,
    #[serde(default, deserialize_with = "seconds")]
    postgrest_client_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "seconds")]
    storage_client_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "seconds")]
    function_client_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "flow")]
    flow_type: Option<FlowType>,
}

/// A timeout in seconds: a non-negative, finite number.
fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    match Option::<f64>::deserialize(d)? {
        None => Ok(None),
        Some(s) => Duration::try_from_secs_f64(s).map(Some).map_err(|_| {
            de::Error::custom(format!(
                "a timeout must be a non-negative number of seconds, not {s}"
            ))
        }),
    }
}

fn flow<'de, D: Deserializer<'de>>(d: D) -> Result<Option<FlowType>, D::Error> {
    match Option::<String>::deserialize(d)?.as_deref() {
        None => Ok(None),
        Some("pkce") => Ok(Some(FlowType::Pkce)),
        Some("implicit") => Ok(Some(FlowType::Implicit)),
        Some(other) => Err(de::Error::custom(format!(
            "`flow_type` must be \"pkce\" or \"implicit\", not {other:?}"
        ))),
    }
}

impl<'de> Deserialize<'de> for ClientOptions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let j = ClientOptionsJson::deserialize(d)?;
        let mut options = ClientOptions::default();
        if let Some(schema) = j.schema {
            options = options.schema(schema);
        }
        for (name, value) in j.headers.unwrap_or_default() {
            options = options.header(name, value);
        }
        if let Some(e) = options.header_error.take() {
            return Err(de::Error::custom(e));
        }
        if let Some(yes) = j.auto_refresh_token {
            options = options.auto_refresh_token(yes);
        }
        if let Some(yes) = j.persist_session {
            options = options.persist_session(yes);
        }
        if let Some(t) = j.postgrest_client_timeout {
            options = options.postgrest_client_timeout(t);
        }
        if let Some(t) = j.storage_client_timeout {
            options = options.storage_client_timeout(t);
        }
        if let Some(t) = j.function_client_timeout {
            options = options.function_client_timeout(t);
        }
        if let Some(flow) = j.flow_type {
            options = options.flow_type(flow);
        }
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use crate::ClientOptions;
    use crate::auth::FlowType;

    #[test]
    fn the_references_keyword_arguments_deserialize() {
        // The reference's "With timeout option" example.
        let o: ClientOptions = serde_json::from_value(json!({
            "postgrest_client_timeout": 10, "storage_client_timeout": 10, "schema": "public"
        }))
        .unwrap();
        assert_eq!(o.postgrest_client_timeout, Some(Duration::from_secs(10)));
        assert_eq!(o.storage_client_timeout, Some(Duration::from_secs(10)));
        assert_eq!(o.schema, "public");
        let o: ClientOptions = serde_json::from_value(json!({
            "schema": "private", "headers": {"x-my-custom-header": "my-app-name"},
            "auto_refresh_token": false, "persist_session": false,
            "function_client_timeout": 2.5, "flow_type": "implicit"
        }))
        .unwrap();
        assert_eq!(o.schema, "private");
        assert_eq!(o.headers["x-my-custom-header"], "my-app-name");
        assert!(!o.auto_refresh_token && !o.persist_session);
        assert_eq!(o.function_client_timeout, Some(Duration::from_millis(2500)));
        assert_eq!(o.auth.flow_type, FlowType::Implicit);
        // Untouched keys keep supabase-py's defaults.
        assert_eq!(o.postgrest_client_timeout, Some(Duration::from_secs(120)));
    }

    #[test]
    fn what_cannot_be_an_option_is_refused_by_name() {
        for (bad, says) in [
            (json!({"httpx_client": null}), "httpx_client"),
            (json!({"schema": "public", "shema": "x"}), "shema"),
            (json!({"storage_client_timeout": -1}), "non-negative"),
            (json!({"flow_type": "magic"}), "flow_type"),
            (json!({"headers": {"bad header": "x"}}), "bad header"),
        ] {
            let e = serde_json::from_value::<ClientOptions>(bad).err().unwrap();
            assert!(e.to_string().contains(says), "{e}");
        }
    }
}
