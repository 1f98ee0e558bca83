//! What the database tells the service, over one LISTEN connection: row changes queued by the
//! capture trigger (`supabase_realtime_changes`, delivered by [`changes`](super::changes)) and
//! committed rows of `realtime.messages` (`supabase_realtime_messages`): Broadcast from
//! Database, sent by `realtime.send` and `realtime.broadcast_changes` (see `realtime.sql`).

use std::sync::Arc;

use serde_json::{Value, json};

use super::Realtime;
use super::changes;
use super::hub::TopicKey;

const CHANGES: &str = "supabase_realtime_changes";
const MESSAGES: &str = "supabase_realtime_messages";

/// Opens the LISTEN connection and starts delivering what it hears, in commit order.
pub(super) async fn start_listener(rt: Arc<Realtime>) -> Result<(), String> {
    let port: String = {
        let conn = rt.env.db.get().await.map_err(|e| e.to_string())?;
        conn.query_one("select current_setting('port')", &[])
            .await
            .map_err(|e| e.to_string())?
            .get(0)
    };
    let port: u16 = port.parse().map_err(|_| "bad port setting".to_owned())?;
    let conn_str = crate::pg::conn_str(port, crate::pg::SUPERUSER, crate::pg::PASSWORD);
    let (client, mut connection) = tokio_postgres::connect(&conn_str, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("realtime listener: {e}"))?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(bool, String)>();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = futures_util::StreamExt::next(&mut messages).await {
            if let tokio_postgres::AsyncMessage::Notification(n) = message
                && tx
                    .send((n.channel() == MESSAGES, n.payload().to_owned()))
                    .is_err()
            {
                break;
            }
        }
    });
    client
        .batch_execute(&format!("listen {CHANGES}; listen {MESSAGES}"))
        .await
        .map_err(|e| format!("realtime listener: {e}"))?;
    tokio::spawn(async move {
        let _client = client; // keeps the LISTEN connection open
        while let Some((is_message, id)) = rx.recv().await {
            let delivered = if is_message {
                deliver_message(&rt, &id).await
            } else {
                match id.parse() {
                    Ok(id) => changes::deliver(&rt, id).await,
                    Err(_) => Err("not a change id".to_owned()),
                }
            };
            if let Err(e) = delivered {
                tracing::warn!("realtime stand-in: {id} not delivered: {e}");
            }
        }
    });
    Ok(())
}

/// Broadcasts a committed `realtime.messages` row to its topic's subscribers, as
/// `ReplicationConnection` hands it to `BatchBroadcast` as the super user: no policy check at
/// send time (subscribers of a private topic were authorised at their join), and the message
/// carries `meta.id`. A row without an event, a payload or `private`, or with a payload over
/// the size limit, is not sent (Realtime logs `UnableToBroadcastChanges`).
async fn deliver_message(rt: &Realtime, id: &str) -> Result<(), String> {
    let conn = rt.env.db.get().await.map_err(|e| e.to_string())?;
    let row = conn
        .query_opt(
            "select topic, event, payload::text, private \
             from realtime.messages where id = $1::text::uuid",
            &[&id],
        )
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the message is gone")?;
    let (topic, event, payload, private): (String, Option<String>, Option<String>, Option<bool>) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    let (Some(event), Some(payload), Some(private)) = (event, payload, private) else {
        return Err("a message needs an event, a payload and `private`".to_owned());
    };
    let payload: Value = serde_json::from_str(&payload).map_err(|e| e.to_string())?;
    if super::payload_size::exceeds(&payload) {
        return Err("UnableToBroadcastChanges: Payload size exceeds tenant limit".to_owned());
    }
    let message =
        json!({"type": "broadcast", "event": event, "payload": payload, "meta": {"id": id}});
    rt.hub
        .broadcast(&TopicKey::new(&topic, private), None, &message);
    Ok(())
}
