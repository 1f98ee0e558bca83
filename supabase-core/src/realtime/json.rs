//! The untyped route to a channel's options: [`ChannelConfig`] deserializes from the dict the
//! Python client takes as `channel(name, params)`, realtime-py's `RealtimeChannelOptions`
//! (`src/realtime/src/realtime/types.py` in supabase/supabase-py):
//! `{"config": {"broadcast": {"self", "ack", "replay": {"since", "limit"}}, "presence": {"key",
//! "enabled"}, "private"}}`, and realtime-js's `postgres_changes_options: {"wait", "timeout"}`
//! (milliseconds, 15000 by default, as the server's). Unknown keys are refused, naming the key; the value is built
//! through the builder methods, so the JSON and typed forms make equal values.

use std::time::Duration;

use serde::Deserialize;

use super::channel::{ChannelConfig, Replay};

/// `RealtimeChannelOptions`: everything sits under `config`, which may be absent.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChannelOptionsJson {
    #[serde(default)]
    config: ConfigJson,
}

/// `RealtimeChannelConfig`. realtime-py allows `null` for `broadcast` and `presence`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigJson {
    broadcast: Option<BroadcastJson>,
    presence: Option<PresenceJson>,
    private: Option<bool>,
    postgres_changes_options: Option<PostgresChangesOptionsJson>,
}

/// realtime-js `postgres_changes_options`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PostgresChangesOptionsJson {
    wait: Option<bool>,
    timeout: Option<u64>,
}

/// `RealtimeChannelBroadcastConfig`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BroadcastJson {
    #[serde(rename = "self")]
    self_: Option<bool>,
    ack: Option<bool>,
    replay: Option<ReplayJson>,
}

/// `ReplayOption`: `since` in Unix milliseconds, `limit` optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayJson {
    since: i64,
    limit: Option<u32>,
}

/// `RealtimeChannelPresenceConfig`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PresenceJson {
    key: Option<String>,
    enabled: Option<bool>,
}

impl From<ChannelOptionsJson> for ChannelConfig {
    fn from(json: ChannelOptionsJson) -> Self {
        let ConfigJson {
            broadcast,
            presence,
            private,
            postgres_changes_options,
        } = json.config;
        let mut config = ChannelConfig::default();
        if let Some(PostgresChangesOptionsJson {
            wait: Some(true),
            timeout,
        }) = postgres_changes_options
        {
            config = config.postgres_changes_wait(Duration::from_millis(timeout.unwrap_or(15_000)));
        }
        if let Some(b) = broadcast {
            config = config
                .broadcast_self(b.self_.unwrap_or_default())
                .broadcast_ack(b.ack.unwrap_or_default());
            if let Some(r) = b.replay {
                let replay = Replay::since_millis(r.since);
                config = config.broadcast_replay(match r.limit {
                    Some(limit) => replay.limit(limit),
                    None => replay,
                });
            }
        }
        if let Some(p) = presence {
            config = config.presence_enabled(p.enabled.unwrap_or_default());
            if let Some(key) = p.key {
                config = config.presence_key(key);
            }
        }
        config.private(private.unwrap_or_default())
    }
}
