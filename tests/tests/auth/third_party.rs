//! Third-party auth (`ClientOptions::access_token`): every request carries the provider's
//! token of the moment, RLS sees its user, a provider that fails stops the request, and the
//! client's own auth API is closed, as supabase-js's `accessToken` option does.
//!
//! The provider here hands out tokens the stack signs, standing in for Clerk or Auth0: which
//! issuers a project trusts is the server's configuration, not the client's.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt;
use serde_json::{Value, json};
use supabase_core::auth::{
    GetClaimsOptions, SignInWithOAuthCredentials, SignInWithPasswordCredentials,
};
use supabase_core::postgrest::Order;
use supabase_core::{Client, ClientOptions, Error};

use crate::{service, stack};

/// A provider whose next answer the test sets, counting its calls.
#[derive(Clone)]
struct Provider {
    answer: Arc<Mutex<Result<Option<String>, String>>>,
    calls: Arc<AtomicUsize>,
}

impl Default for Provider {
    fn default() -> Self {
        Provider {
            answer: Arc::new(Mutex::new(Ok(None))),
            calls: Arc::default(),
        }
    }
}

impl Provider {
    fn set(&self, answer: Result<Option<String>, &str>) {
        *self.answer.lock().unwrap() = answer.map_err(str::to_owned);
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    async fn client(&self) -> Client {
        let provider = self.clone();
        let options = ClientOptions::default().access_token(move || {
            let provider = provider.clone();
            async move {
                provider.calls.fetch_add(1, Ordering::SeqCst);
                let answer = provider.answer.lock().unwrap().clone();
                answer.map_err(std::io::Error::other)
            }
        });
        Client::new(stack().await.url(), stack().await.anon_key(), options).unwrap()
    }
}

/// A new user id and a token for it.
async fn user() -> (String, String) {
    let stack = stack().await;
    let id = stack
        .query_json("select gen_random_uuid()::text as u")
        .await
        .unwrap()[0]["u"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = stack
        .mint_jwt(&json!({"role": "authenticated", "sub": id, "exp": 4_000_000_000u64}))
        .unwrap();
    (id, token)
}

/// The tasks of `owners` the client sees, by select and by stream.
async fn tasks(client: &Client, owners: &[&str]) -> (Vec<String>, Vec<String>) {
    let query = || {
        client
            .table("todos")
            .select("task")
            .in_("user_id", owners)
            .order("task", Order::default())
            .returns::<Vec<Value>>()
    };
    let selected = query().await.unwrap().data;
    let streamed: Vec<Value> = query().stream().try_collect().await.unwrap();
    let names = |rows: Vec<Value>| -> Vec<String> {
        rows.iter()
            .map(|r| r["task"].as_str().unwrap().to_owned())
            .collect()
    };
    (names(selected), names(streamed))
}

#[tokio::test]
async fn every_request_carries_the_providers_token_of_the_moment() {
    let ((alice, alice_token), (bob, bob_token)) = (user().await, user().await);
    service()
        .await
        .table("todos")
        .insert(json!([
            {"user_id": alice, "task": "alice's"},
            {"user_id": bob, "task": "bob's"},
        ]))
        .await
        .unwrap();
    let provider = Provider::default();
    let client = provider.client().await;
    let owners = [alice.as_str(), bob.as_str()];
    let just = |task: &str| (vec![task.to_owned()], vec![task.to_owned()]);

    provider.set(Ok(Some(alice_token)));
    assert_eq!(tasks(&client, &owners).await, just("alice's"));
    provider.set(Ok(Some(bob_token.clone())));
    assert_eq!(
        tasks(&client, &owners).await,
        just("bob's"),
        "the next token, at once"
    );
    assert_eq!(provider.calls(), 4, "asked before each request");

    // A write is bob's: the row's owner comes from the token (`default auth.uid()`).
    client
        .table("todos")
        .insert(json!({"task": "bob's second"}))
        .await
        .unwrap();
    let owner = stack()
        .await
        .query_json("select user_id::text from todos where task = 'bob''s second'")
        .await
        .unwrap();
    assert_eq!(owner[0]["user_id"], bob.as_str());

    // No token: the API key's role, anon, which no policy lets read todos.
    provider.set(Ok(None));
    assert_eq!(tasks(&client, &owners).await, (vec![], vec![]));
}

#[tokio::test]
async fn a_failing_provider_stops_the_request() {
    // A server that records nothing but connections: had any request been sent, its
    // connection would be waiting in the listener's backlog.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let provider = Provider::default();
    provider.set(Err("signed out of the identity provider"));
    let options = ClientOptions::default().access_token({
        let provider = provider.clone();
        move || {
            let answer = provider.answer.lock().unwrap().clone();
            async move { answer.map_err(std::io::Error::other) }
        }
    });
    let client = Client::new(&url, stack().await.anon_key(), options).unwrap();
    let Err(Error::AccessToken(e)) = client.table("todos").insert(json!({"task": "x"})).await
    else {
        panic!("the insert went ahead without a token")
    };
    assert!(
        e.to_string()
            .contains("signed out of the identity provider"),
        "{e}"
    );
    let Err(Error::AccessToken(_)) = client.storage().list_buckets().await else {
        panic!("storage went ahead without a token")
    };
    let Err(Error::AccessToken(_)) = client
        .functions()
        .invoke("echo", supabase_core::functions::InvokeOptions::new())
        .await
    else {
        panic!("the function was invoked without a token")
    };
    assert_eq!(
        listener.accept().map_err(|e| e.kind()).err(),
        Some(std::io::ErrorKind::WouldBlock),
        "nothing reached the server"
    );

    // A token again, a request again.
    let (_, token) = user().await;
    provider.set(Ok(Some(token)));
    let client = provider.client().await;
    client
        .table("todos")
        .select("id")
        .limit(1)
        .await
        .expect("sent with the token");
}

#[tokio::test]
async fn storage_writes_as_the_providers_user() {
    let (id, token) = user().await;
    let bucket = format!("tp{}", supabase_tests::unique_id());
    service()
        .await
        .storage()
        .create_bucket(&bucket)
        .await
        .unwrap();
    stack()
        .await
        .execute_sql(&format!(
            "create policy \"own folder {bucket}\" on storage.objects for insert to authenticated \
               with check (bucket_id = '{bucket}' \
               and (storage.foldername(name))[1] = auth.uid()::text);"
        ))
        .await
        .unwrap();
    let provider = Provider::default();
    provider.set(Ok(Some(token)));
    let files = provider.client().await.storage().from_(bucket.clone());
    files
        .upload(&format!("{id}/note.txt"), b"mine")
        .await
        .expect("the policy admits the provider's user");
    let owner = stack()
        .await
        .query_json(&format!(
            "select owner_id from storage.objects where bucket_id = '{bucket}'"
        ))
        .await
        .unwrap();
    assert_eq!(owner[0]["owner_id"], id.as_str());
    provider.set(Ok(None));
    let Err(Error::Storage(e)) = files.upload(&format!("{id}/other.txt"), b"anon's").await else {
        panic!("anon wrote into the user's folder")
    };
    assert_eq!(e.status.as_u16(), 403, "{e:?}");
}

#[tokio::test]
async fn the_clients_own_auth_api_is_closed() {
    let (alice, token) = user().await;
    let provider = Provider::default();
    provider.set(Ok(Some(token.clone())));
    let client = provider.client().await;
    let auth = client.auth();
    let closed = |result: Result<(), Error>, what: &str| match result {
        Err(Error::Config(m)) => assert!(m.contains("access_token"), "{what}: {m}"),
        other => panic!("{what}: {other:?}"),
    };
    closed(auth.get_user().await.map(drop), "get_user");
    closed(auth.get_session().await.map(drop), "get_session");
    closed(
        auth.sign_in_with_password(SignInWithPasswordCredentials::email("a@b.c", "pw"))
            .await
            .map(drop),
        "sign_in_with_password",
    );
    closed(
        auth.sign_in_with_oauth(SignInWithOAuthCredentials::new("github"))
            .await
            .map(drop),
        "sign_in_with_oauth",
    );
    closed(
        auth.get_claims(Some(&token), GetClaimsOptions::new())
            .await
            .map(drop),
        "get_claims",
    );
    closed(
        auth.set_session(&token, "refresh").await.map(drop),
        "set_session",
    );
    closed(auth.sign_out().await, "sign_out");
    closed(auth.refresh_session().await.map(drop), "refresh_session");
    closed(auth.admin().list_users(None, None).await.map(drop), "admin");

    // None of it touched the provider's identity.
    service()
        .await
        .table("todos")
        .insert(json!({"user_id": alice, "task": "still alice's"}))
        .await
        .unwrap();
    assert_eq!(
        tasks(&client, &[alice.as_str()]).await.0,
        vec!["still alice's".to_owned()]
    );
}
