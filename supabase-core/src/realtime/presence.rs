//! Presence: the state of who is in a channel, kept in sync from `presence_state` and
//! `presence_diff` messages as realtime-js `src/RealtimePresence.ts` does (`syncState`,
//! `syncDiff`, diffs held back until the state of the current join has arrived).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// One presence of a key: what the client passed to `track`, and the server's `presence_ref`.
#[derive(Debug, Clone, PartialEq)]
pub struct Presence {
    /// The server's reference of this presence (`phx_ref` on the wire).
    pub presence_ref: String,
    /// The tracked payload.
    pub payload: Map<String, Value>,
}

/// Every key with its presences (a key has several when the same user tracks from several
/// places).
pub type PresenceState = BTreeMap<String, Vec<Presence>>;

/// A presence change, as the `on_presence_*` callbacks and [`presence_stream`] see it.
///
/// [`presence_stream`]: super::RealtimeChannel::presence_stream
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PresenceEvent {
    /// The state is in sync after a change.
    Sync,
    /// Presences joined under `key`.
    Join {
        /// The presence key.
        key: String,
        /// The key's presences before the join.
        current: Vec<Presence>,
        /// The presences that joined.
        joined: Vec<Presence>,
    },
    /// Presences left `key`.
    Leave {
        /// The presence key.
        key: String,
        /// The key's presences after the leave.
        current: Vec<Presence>,
        /// The presences that left.
        left: Vec<Presence>,
    },
}

#[derive(Debug, Default)]
pub(crate) struct PresenceTracker {
    pub(crate) state: PresenceState,
    /// The join whose `presence_state` has been applied.
    synced_join: Option<String>,
    /// Diffs (join ref, joins, leaves) waiting for the state of their join.
    pending: std::collections::VecDeque<(Option<String>, PresenceState, PresenceState)>,
}

/// How many diffs wait for a join's state, at most: the server sends the state right after
/// the join, but sends diffs to every member of a topic, so a channel that never turns
/// presence on (no state ever comes) would otherwise keep every diff of a busy topic. The
/// oldest go first (realtime-js bounds its pre-join push buffer the same way, at 100).
const MAX_PENDING_DIFFS: usize = 100;

/// `{key: {metas: [{phx_ref, ...payload}]}}` → `{key: [Presence]}`; malformed entries skipped.
fn parse(value: &Value) -> PresenceState {
    let mut out = BTreeMap::new();
    let Some(object) = value.as_object() else {
        return out;
    };
    for (key, entry) in object {
        let Some(metas) = entry["metas"].as_array() else {
            continue;
        };
        let presences = metas
            .iter()
            .filter_map(|meta| {
                let mut payload = meta.as_object()?.clone();
                let presence_ref = match payload.remove("phx_ref")? {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                payload.remove("phx_ref_prev");
                Some(Presence {
                    presence_ref,
                    payload,
                })
            })
            .collect();
        out.insert(key.clone(), presences);
    }
    out
}

fn refs(presences: &[Presence]) -> Vec<&str> {
    presences.iter().map(|p| p.presence_ref.as_str()).collect()
}

impl PresenceTracker {
    /// Applies a full `presence_state`, then any diffs that waited for it.
    pub(crate) fn sync_state(
        &mut self,
        payload: &Value,
        join_ref: Option<String>,
    ) -> Vec<PresenceEvent> {
        let new_state = parse(payload);
        let mut joins = BTreeMap::new();
        let mut leaves = BTreeMap::new();
        for (key, presences) in &self.state {
            if !new_state.contains_key(key) {
                leaves.insert(key.clone(), presences.clone());
            }
        }
        for (key, new_presences) in &new_state {
            match self.state.get(key) {
                Some(current) => {
                    let new_refs = refs(new_presences);
                    let cur_refs = refs(current);
                    let joined: Vec<_> = new_presences
                        .iter()
                        .filter(|p| !cur_refs.contains(&p.presence_ref.as_str()))
                        .cloned()
                        .collect();
                    let left: Vec<_> = current
                        .iter()
                        .filter(|p| !new_refs.contains(&p.presence_ref.as_str()))
                        .cloned()
                        .collect();
                    if !joined.is_empty() {
                        joins.insert(key.clone(), joined);
                    }
                    if !left.is_empty() {
                        leaves.insert(key.clone(), left);
                    }
                }
                None => {
                    joins.insert(key.clone(), new_presences.clone());
                }
            }
        }
        let mut events = self.apply(joins, leaves);
        self.synced_join = join_ref;
        // Diffs of an earlier join are stale: this state already says what they said.
        for (diff_join, joins, leaves) in std::mem::take(&mut self.pending) {
            if diff_join == self.synced_join {
                events.extend(self.apply(joins, leaves));
            }
        }
        events.push(PresenceEvent::Sync);
        events
    }

    /// Applies a `presence_diff`, or keeps it until the state of this join arrives.
    pub(crate) fn sync_diff_or_queue(
        &mut self,
        payload: &Value,
        join_ref: Option<String>,
    ) -> Vec<PresenceEvent> {
        let joins = parse(&payload["joins"]);
        let leaves = parse(&payload["leaves"]);
        if self.synced_join.is_none() || self.synced_join != join_ref {
            if self.pending.len() == MAX_PENDING_DIFFS {
                self.pending.pop_front();
            }
            self.pending.push_back((join_ref, joins, leaves));
            return Vec::new();
        }
        let mut events = self.apply(joins, leaves);
        events.push(PresenceEvent::Sync);
        events
    }

    fn apply(&mut self, joins: PresenceState, leaves: PresenceState) -> Vec<PresenceEvent> {
        let mut events = Vec::new();
        for (key, joined) in joins {
            let current = self.state.get(&key).cloned().unwrap_or_default();
            let joined_refs = refs(&joined);
            let mut merged: Vec<Presence> = current
                .iter()
                .filter(|p| !joined_refs.contains(&p.presence_ref.as_str()))
                .cloned()
                .collect();
            merged.extend(joined.iter().cloned());
            self.state.insert(key.clone(), merged);
            events.push(PresenceEvent::Join {
                key,
                current,
                joined,
            });
        }
        for (key, left) in leaves {
            let Some(current) = self.state.get(&key) else {
                continue;
            };
            let left_refs = refs(&left);
            let remaining: Vec<Presence> = current
                .iter()
                .filter(|p| !left_refs.contains(&p.presence_ref.as_str()))
                .cloned()
                .collect();
            if remaining.is_empty() {
                self.state.remove(&key);
            } else {
                self.state.insert(key.clone(), remaining.clone());
            }
            events.push(PresenceEvent::Leave {
                key,
                current: remaining,
                left,
            });
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn metas(refs: &[&str]) -> Value {
        json!({"metas": refs.iter().map(|r| json!({"phx_ref": r, "user": "u"})).collect::<Vec<_>>()})
    }

    #[test]
    fn only_the_joins_own_diffs_wait_and_only_so_many() {
        let mut t = PresenceTracker::default();
        let (old, new) = (Some("1".to_owned()), Some("2".to_owned()));
        let diff = |key: &str| json!({"joins": {key: metas(&[key])}, "leaves": {}});
        // A diff heard under an earlier join (presence was off: no state came for it).
        t.sync_diff_or_queue(&diff("stale"), old);
        for i in 0..1000 {
            t.sync_diff_or_queue(&diff(&format!("k{i}")), new.clone());
        }
        assert_eq!(t.pending.len(), MAX_PENDING_DIFFS);
        let events = t.sync_state(&json!({}), new);
        assert!(!t.state.contains_key("stale"), "a stale diff was replayed");
        assert!(!t.state.contains_key("k0"), "the oldest diffs are dropped");
        assert!(t.state.contains_key("k999"));
        assert_eq!(
            events.len(),
            MAX_PENDING_DIFFS + 1,
            "the kept joins and one sync"
        );
    }

    #[test]
    fn state_then_diffs() {
        let mut t = PresenceTracker::default();
        let j = Some("1".to_owned());
        // A diff before the state waits for it.
        assert!(
            t.sync_diff_or_queue(
                &json!({"joins": {"b": metas(&["r2"])}, "leaves": {}}),
                j.clone()
            )
            .is_empty()
        );
        let events = t.sync_state(&json!({"a": metas(&["r1"])}), j.clone());
        assert_eq!(t.state.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert!(matches!(events.last(), Some(PresenceEvent::Sync)));
        assert_eq!(t.state["a"][0].payload["user"], "u");
        assert!(!t.state["a"][0].payload.contains_key("phx_ref"));
        let events = t.sync_diff_or_queue(
            &json!({"joins": {}, "leaves": {"a": metas(&["r1"])}}),
            j.clone(),
        );
        assert!(
            matches!(&events[0], PresenceEvent::Leave { key, current, left } if key == "a" && current.is_empty() && left.len() == 1)
        );
        assert_eq!(t.state.keys().collect::<Vec<_>>(), ["b"]);
        // A full state drops keys that are gone.
        let events = t.sync_state(&json!({}), j);
        assert!(t.state.is_empty());
        assert!(matches!(&events[0], PresenceEvent::Leave { key, .. } if key == "b"));
    }

    #[test]
    fn malformed_presence_is_ignored() {
        let mut t = PresenceTracker::default();
        t.sync_state(&json!({"a": {"metas": [42, {"no_ref": 1}]}, "b": 7}), None);
        assert_eq!(t.state.get("a").map(Vec::len), Some(0));
        t.sync_state(&json!("nope"), None);
        assert!(t.state.is_empty());
    }
}
