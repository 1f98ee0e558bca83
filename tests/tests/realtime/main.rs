//! Realtime end to end: the client against the stack's Realtime stand-in, with postgres
//! changes coming from the real Postgres.

mod auth_events;
mod binary;
mod broadcast;
mod changes;
mod changes_by_role;
mod connection;
mod from_database;
mod heartbeats;
mod http_send;
mod lifecycle;
mod limits;
mod presence;
mod private_presence;
mod proxy;
mod replay;
mod statuses;
mod third_party;
mod wsproxy;

use std::time::Duration;

use futures_util::StreamExt;
use supabase_core::realtime::{EventStream, RealtimeOptions};
use supabase_core::{Client, ClientOptions};
use supabase_local::Stack;
use tokio::sync::OnceCell;

/// The stack, with the realtime test tables created once.
pub(crate) async fn stack() -> &'static Stack {
    static READY: OnceCell<()> = OnceCell::const_new();
    let stack = supabase_tests::reference_stack().await;
    READY
        .get_or_init(|| async {
            stack
                .execute_sql(include_str!("schema.sql"))
                .await
                .expect("realtime test schema");
            stack.reload_schema().await.expect("reload");
        })
        .await;
    stack
}

/// Short timings so reconnections happen quickly in tests.
pub(crate) fn options() -> ClientOptions {
    ClientOptions::default().realtime(
        RealtimeOptions::default()
            .timeout(Duration::from_secs(5))
            .heartbeat_interval(Duration::from_secs(2))
            .reconnect_delays([20, 40, 80, 200].map(Duration::from_millis)),
    )
}

pub(crate) async fn client_with(key: &str) -> Client {
    let stack = stack().await;
    Client::new(stack.url(), key, options()).expect("client")
}

pub(crate) async fn anon() -> Client {
    client_with(stack().await.anon_key()).await
}

pub(crate) async fn service() -> Client {
    client_with(stack().await.service_role_key()).await
}

/// A token for user `sub` (role `authenticated`).
pub(crate) async fn user_token(sub: &str) -> String {
    stack()
        .await
        .mint_jwt(
            &serde_json::json!({"role": "authenticated", "sub": sub, "exp": 4_000_000_000u64}),
        )
        .expect("jwt")
}

/// A unique channel name.
pub(crate) fn room() -> String {
    format!("room-{}", supabase_tests::unique_id())
}

/// The next event, failing the test if none comes within 10 s (a stall, not a timing claim).
pub(crate) async fn next<T>(stream: &mut EventStream<T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("no event within 10 s")
        .expect("stream ended")
}

/// Waits until `done` holds, looking every 20 ms for at most `within`; whether it holds.
pub(crate) async fn eventually(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while !done() {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// A client speaking the 1.0.0 serializer.
pub(crate) fn v1_client(url: &str, key: &str) -> Client {
    Client::new(
        url,
        key,
        ClientOptions::default()
            .realtime(RealtimeOptions::default().vsn(supabase_core::realtime::Vsn::V1)),
    )
    .unwrap()
}

/// An anon client subscribed to `name`, hearing every broadcast (keep the client: its
/// channel holds the socket, but REST and tokens go through the client).
pub(crate) async fn listener(
    name: &str,
) -> (
    Client,
    EventStream<supabase_core::realtime::BroadcastMessage>,
) {
    let client = anon().await;
    let channel = client.channel(name);
    let heard = channel.broadcast_stream("*");
    channel.subscribe().await.expect("the listener joins");
    (client, heard)
}

/// A fresh uuid from Postgres.
pub(crate) async fn uuid() -> String {
    let v = stack()
        .await
        .query_json("select gen_random_uuid()::text as u")
        .await
        .expect("uuid");
    v[0]["u"].as_str().expect("uuid").to_owned()
}

/// A raw WebSocket (serializer 2.0.0) to the stack's Realtime with the anon key, for frames
/// the client does not show.
pub(crate) type RawSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) async fn raw_socket() -> RawSocket {
    let stack = stack().await;
    let url = format!(
        "{}/realtime/v1/websocket?apikey={}&vsn=2.0.0",
        stack.url().replace("http://", "ws://"),
        stack.anon_key()
    );
    tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket")
        .0
}

/// Sends one JSON frame on a raw socket.
pub(crate) async fn send_frame(ws: &mut RawSocket, frame: serde_json::Value) {
    use futures_util::SinkExt;
    ws.send(tokio_tungstenite::tungstenite::Message::text(
        frame.to_string(),
    ))
    .await
    .expect("sent");
}

/// The next text frame of a raw socket, as JSON (binary frames are skipped).
pub(crate) async fn next_text<S>(ws: &mut S) -> serde_json::Value
where
    S: futures_util::Stream<
            Item = Result<
                tokio_tungstenite::tungstenite::Message,
                tokio_tungstenite::tungstenite::Error,
            >,
        > + Unpin,
{
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("no frame within 10 s")
            .expect("socket open")
            .expect("frame");
        if let tokio_tungstenite::tungstenite::Message::Text(text) = frame {
            return serde_json::from_str(text.as_str()).expect("JSON frame");
        }
    }
}

/// `POST /realtime/v1/api/broadcast` with `body`, as the anon key.
pub(crate) async fn rest_broadcast(body: serde_json::Value) -> reqwest::Response {
    let stack = stack().await;
    reqwest::Client::new()
        .post(format!("{}/realtime/v1/api/broadcast", stack.url()))
        .header("apikey", stack.anon_key())
        .header("Authorization", format!("Bearer {}", stack.anon_key()))
        .json(&body)
        .send()
        .await
        .expect("the REST endpoint answers")
}

/// Asserts that `err` is Realtime's refusal of a read on a private channel.
pub(crate) fn assert_read_refused(err: impl std::fmt::Display) {
    let err = err.to_string();
    assert!(
        err.contains("You do not have permissions to read from this Channel topic"),
        "{err}"
    );
}
