//! Who is joined to which topic, presence per topic, and fan-out.
//!
//! Public and private channels of the same name are different topics, as in Realtime
//! (`Tenants.tenant_topic(tenant, sub_topic, public?)`). Presence follows Phoenix.Presence:
//! `presence_state` is `{key: {metas: [{phx_ref, ...}]}}` and `presence_diff` is
//! `{joins, leaves}` in that shape, sent to every member including the tracker.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use super::auth::Policies;
use super::changes::Binding;
use crate::services::Caller;

/// A message to (or from) one client connection.
#[derive(Debug, Clone)]
pub(super) struct Out {
    pub(super) join_ref: Option<String>,
    pub(super) ref_: Option<String>,
    pub(super) topic: String,
    pub(super) event: String,
    pub(super) payload: Value,
    /// A broadcast that came as a binary "user broadcast push" frame; `payload` is unused.
    pub(super) user_broadcast: Option<Arc<UserBroadcast>>,
    /// A payload sent as this text, verbatim (a change, whose records are Postgres's text);
    /// `payload` is unused.
    pub(super) payload_text: Option<Box<RawValue>>,
}

impl Out {
    /// A message with a JSON payload, its parts in the 2.0.0 array's order.
    pub(super) fn new(
        join_ref: Option<String>,
        ref_: Option<String>,
        topic: String,
        event: String,
        payload: Value,
    ) -> Out {
        Out {
            join_ref,
            ref_,
            topic,
            event,
            payload,
            user_broadcast: None,
            payload_text: None,
        }
    }
}

/// A broadcast sent as a binary frame (supabase/realtime `RealtimeWeb.Socket.UserBroadcast`):
/// fanned out as binary "user broadcast" frames to 2.0.0 sockets, as JSON to 1.0.0 ones when
/// the payload is JSON, and not at all to 1.0.0 ones when it is bytes
/// (`MessageDispatcher`: `convert_to_json_broadcast`).
#[derive(Debug)]
pub(super) struct UserBroadcast {
    pub(super) user_event: String,
    /// Payload encoding: JSON (`true`) or bytes.
    pub(super) json: bool,
    pub(super) payload: bytes::Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct TopicKey {
    name: String,
    private: bool,
}

impl TopicKey {
    pub(super) fn new(name: &str, private: bool) -> Self {
        TopicKey {
            name: name.to_owned(),
            private,
        }
    }
}

/// One joined channel of one connection.
#[derive(Debug, Clone)]
pub(super) struct Member {
    pub(super) out: mpsc::UnboundedSender<Out>,
    pub(super) topic: String,
    pub(super) join_ref: String,
    pub(super) self_broadcast: bool,
    pub(super) caller: Caller,
    pub(super) bindings: Vec<Binding>,
    /// A private channel's policies, `None` on a public one. What reaches the member follows
    /// their reads, as Realtime's fastlane metadata carries `broadcast.read` and
    /// `presence.read` (realtime_channel.ex `fastlane_metadata/2`): broadcasts only with
    /// broadcast read, `presence_diff` only with presence read.
    pub(super) policies: Option<Policies>,
    /// Ids of the messages replayed at the join: not delivered again live (Realtime keeps
    /// them in the fastlane metadata and `message_dispatcher.ex` skips them).
    pub(super) replayed: Arc<HashSet<String>>,
}

impl Member {
    fn reads_broadcast(&self) -> bool {
        self.policies.is_none_or(|p| p.broadcast_read)
    }

    fn reads_presence(&self) -> bool {
        self.policies.is_none_or(|p| p.presence_read)
    }

    /// Sends a fanned-out event (broadcast, `presence_diff`, `postgres_changes`). These go
    /// through Phoenix's fastlane in Realtime, whose frames carry no join ref (`[null, null,
    /// topic, event, payload]`); only the channel's own pushes do.
    pub(super) fn send(&self, event: &str, payload: Value) {
        self.send_out(event, payload, None);
    }

    /// Sends a fanned-out event whose payload is already JSON text, sent as it is.
    pub(super) fn send_text(&self, event: &str, payload: Box<RawValue>) {
        self.send_out(event, Value::Null, Some(payload));
    }

    fn send_out(&self, event: &str, payload: Value, payload_text: Option<Box<RawValue>>) {
        let _ = self.out.send(Out {
            payload_text,
            ..Out::new(None, None, self.topic.clone(), event.to_owned(), payload)
        });
    }

    fn send_user_broadcast(&self, broadcast: &Arc<UserBroadcast>) {
        // Phoenix fastlane: broadcasts carry no refs.
        let _ = self.out.send(Out {
            user_broadcast: Some(Arc::clone(broadcast)),
            ..Out::new(
                None,
                None,
                self.topic.clone(),
                "broadcast".into(),
                Value::Null,
            )
        });
    }
}

#[derive(Default)]
struct Inner {
    topics: HashMap<TopicKey, HashMap<u64, Member>>,
    /// Per topic, per connection: (presence key, meta with `phx_ref`).
    presence: HashMap<TopicKey, BTreeMap<u64, (String, Value)>>,
}

#[derive(Default)]
pub(super) struct Hub {
    inner: Mutex<Inner>,
    next_ref: AtomicU64,
}

impl Hub {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn join(&self, key: &TopicKey, conn: u64, member: Member) {
        self.lock()
            .topics
            .entry(key.clone())
            .or_default()
            .insert(conn, member);
    }

    /// Removes a member (leave, close, disconnect) and tells the others its presence left.
    pub(super) fn leave(&self, key: &TopicKey, conn: u64) {
        let removed = {
            let mut inner = self.lock();
            if let Some(members) = inner.topics.get_mut(key) {
                members.remove(&conn);
                if members.is_empty() {
                    inner.topics.remove(key);
                }
            }
            inner.presence.get_mut(key).and_then(|p| p.remove(&conn))
        };
        if let Some((presence_key, meta)) = removed {
            self.presence_diff(key, json!({}), entry(&presence_key, &meta));
        }
    }

    /// Sends a `UserBroadcast` (a binary frame in 2.0.0) to every member but `from` (unless it
    /// asked for its own).
    pub(super) fn user_broadcast(
        &self,
        key: &TopicKey,
        from: Option<u64>,
        broadcast: &Arc<UserBroadcast>,
    ) {
        for member in self.recipients(key, from) {
            member.send_user_broadcast(broadcast);
        }
    }

    fn recipients(&self, key: &TopicKey, from: Option<u64>) -> Vec<Member> {
        self.lock()
            .topics
            .get(key)
            .map(|m| {
                m.iter()
                    .filter(|(conn, member)| Some(**conn) != from || member.self_broadcast)
                    .filter(|(_, member)| member.reads_broadcast())
                    .map(|(_, member)| member.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Sends a broadcast to every member but `from` (unless it asked for its own).
    pub(super) fn broadcast(&self, key: &TopicKey, from: Option<u64>, payload: &Value) {
        let id = payload["meta"]["id"].as_str();
        for member in self.recipients(key, from) {
            if id.is_some_and(|id| member.replayed.contains(id)) {
                continue;
            }
            member.send("broadcast", payload.clone());
        }
    }

    pub(super) fn presence_state(&self, key: &TopicKey) -> Value {
        let inner = self.lock();
        let mut state: Map<String, Value> = Map::new();
        for (presence_key, meta) in inner.presence.get(key).into_iter().flat_map(|p| p.values()) {
            let entry = state
                .entry(presence_key.clone())
                .or_insert_with(|| json!({"metas": []}));
            if let Some(metas) = entry["metas"].as_array_mut() {
                metas.push(meta.clone());
            }
        }
        Value::Object(state)
    }

    /// Tracks (or re-tracks) a connection's presence; everyone gets the diff.
    pub(super) fn track(&self, key: &TopicKey, conn: u64, presence_key: &str, payload: &Value) {
        let mut meta = match payload {
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        let phx_ref = format!("F{}", self.next_ref.fetch_add(1, Ordering::Relaxed));
        meta.insert("phx_ref".into(), json!(phx_ref));
        let meta = Value::Object(meta);
        let previous = self
            .lock()
            .presence
            .entry(key.clone())
            .or_default()
            .insert(conn, (presence_key.to_owned(), meta.clone()));
        let leaves = previous.map_or(json!({}), |(k, m)| entry(&k, &m));
        self.presence_diff(key, entry(presence_key, &meta), leaves);
    }

    pub(super) fn untrack(&self, key: &TopicKey, conn: u64) {
        let removed = self
            .lock()
            .presence
            .get_mut(key)
            .and_then(|p| p.remove(&conn));
        if let Some((presence_key, meta)) = removed {
            self.presence_diff(key, json!({}), entry(&presence_key, &meta));
        }
    }

    fn presence_diff(&self, key: &TopicKey, joins: Value, leaves: Value) {
        let members: Vec<Member> = self
            .lock()
            .topics
            .get(key)
            .map(|m| m.values().filter(|m| m.reads_presence()).cloned().collect())
            .unwrap_or_default();
        for member in members {
            member.send(
                "presence_diff",
                json!({"joins": joins.clone(), "leaves": leaves.clone()}),
            );
        }
    }

    /// Gives a member of join `join_ref` its postgres-changes bindings, once they are
    /// subscribed (after the join reply, as Realtime does).
    pub(super) fn set_bindings(
        &self,
        key: &TopicKey,
        conn: u64,
        join_ref: &str,
        bindings: Vec<Binding>,
    ) {
        if let Some(member) = self
            .lock()
            .topics
            .get_mut(key)
            .and_then(|m| m.get_mut(&conn))
            .filter(|m| m.join_ref == join_ref)
        {
            member.bindings = bindings;
        }
    }

    /// Replaces a member's policies (presence turned on by a track).
    pub(super) fn set_policies(&self, key: &TopicKey, conn: u64, policies: Option<Policies>) {
        if let Some(member) = self
            .lock()
            .topics
            .get_mut(key)
            .and_then(|m| m.get_mut(&conn))
        {
            member.policies = policies;
        }
    }

    /// Replaces the caller of a member, and its policies, after an `access_token` message.
    pub(super) fn set_caller(
        &self,
        key: &TopicKey,
        conn: u64,
        caller: Caller,
        policies: Option<Policies>,
    ) {
        if let Some(member) = self
            .lock()
            .topics
            .get_mut(key)
            .and_then(|m| m.get_mut(&conn))
        {
            member.caller = caller;
            member.policies = policies;
        }
    }

    /// Every member with postgres-changes bindings.
    pub(super) fn change_listeners(&self) -> Vec<Member> {
        self.lock()
            .topics
            .values()
            .flat_map(|m| m.values())
            .filter(|m| !m.bindings.is_empty())
            .cloned()
            .collect()
    }
}

fn entry(presence_key: &str, meta: &Value) -> Value {
    json!({ presence_key: {"metas": [meta]} })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_replayed_at_the_join_is_not_delivered_again_live() {
        let hub = Hub::default();
        let key = TopicKey::new("room", true);
        let (out, mut rx) = mpsc::unbounded_channel();
        let member = Member {
            out,
            topic: "realtime:room".into(),
            join_ref: "1".into(),
            self_broadcast: false,
            caller: Caller {
                role: "authenticated".into(),
                claims: Value::Null,
            },
            bindings: Vec::new(),
            policies: Some(Policies {
                broadcast_read: true,
                ..Policies::default()
            }),
            replayed: Arc::new(HashSet::from(["old".to_owned()])),
        };
        hub.join(&key, 7, member);
        for id in ["old", "new"] {
            hub.broadcast(&key, None, &json!({"event": "e", "meta": {"id": id}}));
        }
        let got = rx.try_recv().expect("one delivery");
        assert_eq!(got.payload["meta"]["id"], "new");
        assert!(rx.try_recv().is_err(), "the replayed one was skipped");
    }
}
