//! Retries, timeouts and transport failures against a server that misbehaves on purpose.
//! GET/HEAD are retried on 503/520–524 and connection failures; writes are sent exactly once.

use std::time::{Duration, Instant};

use serde_json::json;
use supabase_core::storage::{FileOptions, ResumableOptions, UploadBody};
use supabase_core::{ClientOptions, Error, RetryPolicy, create_client};
use supabase_tests::fault::{Fault, FaultServer};

fn client(server: &FaultServer) -> supabase_core::Client {
    let retry = RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_secs(2),
    };
    supabase_core::Client::new(server.url(), "key", ClientOptions::default().retry(retry)).unwrap()
}

#[tokio::test]
async fn get_is_retried_after_503_and_520_and_succeeds() {
    let server = FaultServer::start(vec![
        Fault::status(503),
        Fault::status(520),
        Fault::ok(r#"[{"id":1}]"#),
    ])
    .await;
    let data = client(&server).from_("t").select("*").await.unwrap().data;
    assert_eq!(data, json!([{"id": 1}]));
    assert_eq!(server.requests(), ["GET", "GET", "GET"]);
}

/// `retry(false)` sends one read once (postgrest-js and postgrest-py `retry(enabled)`), streamed
/// or not; the next read on the same client is retried as before.
#[tokio::test]
async fn a_read_can_opt_out_of_retries() {
    let server = FaultServer::start(vec![
        Fault::status(503),
        Fault::status(503),
        Fault::status(503),
        Fault::ok(r#"[{"id":1}]"#),
    ])
    .await;
    let c = client(&server);
    assert!(
        !c.from_("t")
            .select("*")
            .retry(false)
            .build()
            .unwrap()
            .retry()
    );
    let err = c.from_("t").select("*").retry(false).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests(), ["GET"]);
    let rows: Vec<_> = futures_util::StreamExt::collect(
        c.from_("t")
            .select("*")
            .retry(false)
            .returns::<Vec<serde_json::Value>>()
            .stream(),
    )
    .await;
    let err = rows.into_iter().next().unwrap().unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests(), ["GET", "GET"]);
    let data = c.from_("t").select("*").await.unwrap().data;
    assert_eq!(data, json!([{"id": 1}]));
    assert_eq!(server.requests(), ["GET", "GET", "GET", "GET"]);
}

/// Cloudflare's 521–524 mean the edge got no usable answer from the origin: a read is sent
/// again (postgrest-js `retry.test.ts`); 525 (a TLS failure) is not. Each retry says which it
/// is in `X-Retry-Count`, as postgrest-js and postgrest-py send it.
#[tokio::test]
async fn cloudflare_origin_errors_are_retried_and_retries_are_counted() {
    for status in [521, 522, 523, 524] {
        let server = FaultServer::start(vec![
            Fault::status(status),
            Fault::status(503),
            Fault::ok("[]"),
        ])
        .await;
        client(&server).from_("t").select("*").await.unwrap();
        assert_eq!(server.requests(), ["GET", "GET", "GET"], "{status}");
        assert_eq!(
            server.header_of_each("x-retry-count"),
            [None, Some("1".into()), Some("2".into())],
            "{status}"
        );
    }
    let server = FaultServer::start(vec![Fault::status(525), Fault::ok("[]")]).await;
    let err = client(&server).from_("t").select("*").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(525));
    assert_eq!(server.requests(), ["GET"]);
}

/// A streamed read is retried by the same rule, with the same count.
#[tokio::test]
async fn streamed_reads_count_their_retries() {
    use futures_util::StreamExt;
    let server = FaultServer::start(vec![Fault::status(522), Fault::ok(r#"[{"id":1}]"#)]).await;
    let rows: Vec<_> = client(&server)
        .from_("t")
        .select("*")
        .returns::<Vec<serde_json::Value>>()
        .stream()
        .collect()
        .await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        server.header_of_each("x-retry-count"),
        [None, Some("1".into())]
    );
}

/// A stream's timeout bounds the wait for its head and then each wait for more: rows that keep
/// coming are read however long they take in all, and a body that stalls is a timeout.
#[tokio::test]
async fn a_stream_times_out_when_it_stalls_not_while_rows_keep_coming() {
    use futures_util::StreamExt;
    let server = FaultServer::start(vec![Fault::Drip {
        rows: 20,
        every: Duration::from_millis(50),
    }])
    .await;
    let rows: Vec<_> = client(&server)
        .from_("t")
        .select("*")
        .timeout(Duration::from_millis(500))
        .returns::<Vec<serde_json::Value>>()
        .stream()
        .collect()
        .await;
    assert_eq!(rows.len(), 20, "{:?}", rows.last());
    assert!(rows.iter().all(Result::is_ok), "{:?}", rows.last());

    let server = FaultServer::start(vec![Fault::Stall {
        status: 200,
        start: r#"[{"id":1},"#.into(),
        close: false,
    }])
    .await;
    let mut rows = Box::pin(
        client(&server)
            .from_("t")
            .select("*")
            .timeout(Duration::from_millis(300))
            .returns::<Vec<serde_json::Value>>()
            .stream(),
    );
    assert_eq!(rows.next().await.unwrap().unwrap(), json!({"id": 1}));
    let err = rows.next().await.unwrap().unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(rows.next().await.is_none());
}

/// A failed `HEAD` (a count) has no body: its code comes from PostgREST 13's `Proxy-Status`
/// header (`PostgREST; error=<code>`), as postgrest-js reads it; another proxy's member is
/// not PostgREST's code.
#[tokio::test]
async fn a_bodiless_error_takes_its_code_from_proxy_status() {
    for (header, code) in [
        ("PostgREST; error=57014", Some("57014")),
        (
            "cdn; error=http_protocol, PostgREST; error=XX000",
            Some("XX000"),
        ),
        ("cdn; error=http_protocol", None),
    ] {
        let server = FaultServer::start(vec![Fault::Respond {
            status: 500,
            headers: vec![("Proxy-Status".into(), header.into())],
            body: String::new(),
        }])
        .await;
        let err = client(&server)
            .from_("t")
            .select("*")
            .count(supabase_core::postgrest::Count::Exact)
            .head()
            .await
            .unwrap_err();
        let supabase_core::Error::Postgrest(e) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(e.code.as_deref(), code, "{header}");
        assert_eq!(e.message, "no response body");
    }
}

#[tokio::test]
async fn get_is_retried_after_a_reset_and_a_truncated_body() {
    let server = FaultServer::start(vec![
        Fault::Reset,
        Fault::Truncate(r#"[{"id":1},{"id":2}]"#.into()),
        Fault::ok("[]"),
    ])
    .await;
    let data = client(&server).from_("t").select("*").await.unwrap().data;
    assert_eq!(data, json!([]));
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn head_is_retried() {
    let server = FaultServer::start(vec![Fault::status(503), Fault::ok("")]).await;
    let resp = client(&server).from_("t").select("*").head().await.unwrap();
    assert_eq!(resp.status.as_u16(), 200);
    assert_eq!(server.requests(), ["HEAD", "HEAD"]);
}

#[tokio::test]
async fn retries_stop_after_the_policy_and_return_the_typed_error() {
    let server = FaultServer::start(vec![Fault::status(503)]).await;
    let err = client(&server).from_("t").select("*").await.unwrap_err();
    assert!(
        matches!(err, Error::Postgrest(ref e) if e.status.as_u16() == 503),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 4, "one try and three retries");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = FaultServer::start(vec![Fault::retry_after(503, 1), Fault::ok("[]")]).await;
    let started = Instant::now();
    client(&server).from_("t").select("*").await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited as asked"
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_retry_after_longer_than_the_policy_allows_is_not_waited_for() {
    let server = FaultServer::start(vec![Fault::retry_after(503, 3600), Fault::ok("[]")]).await;
    let err = client(&server).from_("t").select("*").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn writes_are_never_retried() {
    for fault in [
        Fault::status(503),
        Fault::status(520),
        Fault::Reset,
        Fault::Truncate("[{}]".into()),
    ] {
        let server = FaultServer::start(vec![fault.clone(), Fault::ok("[]")]).await;
        let c = client(&server);
        let results = [
            c.from_("t").insert(json!({"id": 1})).await.map(drop),
            c.from_("t")
                .update(json!({"id": 1}))
                .eq("id", 1)
                .await
                .map(drop),
            c.from_("t").delete().eq("id", 1).await.map(drop),
            c.rpc("f", ()).await.map(drop),
        ];
        // The first write met the fault and was not sent again; the others got the 200.
        assert!(results[0].is_err(), "{fault:?}: {:?}", results[0]);
        assert_eq!(
            server.requests(),
            ["POST", "PATCH", "DELETE", "POST"],
            "{fault:?}"
        );
    }
}

#[tokio::test]
async fn timeouts_are_typed() {
    let server = FaultServer::start(vec![Fault::Delay(Duration::from_secs(5))]).await;
    let err = client(&server)
        .from_("t")
        .select("*")
        .timeout(Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Timeout(Some(d)) if d == Duration::from_millis(100)),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1, "a timeout is not retried");

    let server = FaultServer::start(vec![Fault::Delay(Duration::from_secs(5))]).await;
    let c = supabase_core::Client::new(
        server.url(),
        "key",
        ClientOptions::default().postgrest_client_timeout(Duration::from_millis(100)),
    )
    .unwrap();
    assert!(c.from_("t").select("*").await.unwrap_err().is_timeout());
}

/// `storage_client_timeout` bounds every storage request (reads and uploads) with its own
/// duration, and a timed-out upload is not sent again. The server answers after 5 s, well
/// within the 20 s default, so only the option can make these time out.
#[tokio::test]
async fn storage_client_timeout_is_a_typed_timeout() {
    let limit = Duration::from_millis(100);
    let server = FaultServer::start(vec![Fault::Delay(Duration::from_secs(5))]).await;
    let c = supabase_core::Client::new(
        server.url(),
        "key",
        ClientOptions::default().storage_client_timeout(limit),
    )
    .unwrap();
    let timed_out = |err: Error| {
        assert!(
            matches!(err, Error::Timeout(Some(d)) if d == limit),
            "{err:?}"
        );
    };
    let err = c.storage().list_buckets().await.unwrap_err();
    timed_out(err);
    let err = c
        .storage()
        .from_("avatars")
        .upload("a.txt", b"hello")
        .await
        .unwrap_err();
    timed_out(err);
    let err = c
        .storage()
        .from_("avatars")
        .download("a.txt")
        .await
        .unwrap_err();
    timed_out(err);
    assert_eq!(
        server.requests(),
        ["GET", "POST", "GET"],
        "timeouts are not retried"
    );
}

#[tokio::test]
async fn malformed_bodies_are_decode_errors() {
    for body in ["[{", "not json", r#"{"a":1} trailing"#] {
        let server = FaultServer::start(vec![Fault::ok(body)]).await;
        let err = client(&server).from_("t").select("*").await.unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{body}: {err:?}");
    }
}

#[tokio::test]
async fn a_transport_error_shows_the_url_without_its_query() {
    // A signed upload carries its token in the query, and reqwest's errors name the URL.
    let server = FaultServer::start(vec![Fault::Reset, Fault::Reset]).await;
    let c = client(&server);
    let err = c
        .storage()
        .from_("avatars")
        .upload_to_signed_url("a.txt", "s3cret-token", b"hello")
        .await
        .unwrap_err();
    let shown = format!("{err} / {err:?}");
    assert!(matches!(err, Error::Http(_)), "{shown}");
    assert!(!shown.contains("s3cret-token"), "{shown}");
    assert!(
        shown.contains("/object/upload/sign/avatars/a.txt"),
        "{shown}"
    );
    // The same for every request: a filter's value in the query is not shown either.
    let err = c
        .from_("t")
        .update(json!({"a": 1}))
        .eq("name", "hidden-value")
        .await
        .unwrap_err();
    let shown = format!("{err} / {err:?}");
    assert!(!shown.contains("hidden-value"), "{shown}");
}

fn redirect(location: &str) -> Fault {
    Fault::Respond {
        status: 302,
        headers: vec![("Location".into(), location.into())],
        body: String::new(),
    }
}

#[tokio::test]
async fn redirects_are_followed_within_the_origin_only() {
    // Within the origin: followed, as any HTTP client would.
    let server = FaultServer::start(vec![redirect("/rest/v1/moved"), Fault::ok("[1]")]).await;
    let data = client(&server).from_("t").select("*").await.unwrap().data;
    assert_eq!(data, json!([1]));
    assert_eq!(server.requests(), ["GET", "GET"]);

    // To another origin (another port is one): not followed, since every request carries the
    // project's key. The 3xx comes back to the caller; the other server sees nothing.
    let elsewhere = FaultServer::start(vec![Fault::ok("[]")]).await;
    let server = FaultServer::start(vec![redirect(&format!("{}/steal", elsewhere.url()))]).await;
    let c = client(&server);
    let err = c.from_("t").select("*").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(302), "{err:?}");
    let err = c
        .functions()
        .invoke("hello", Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(302), "{err:?}");
    assert_eq!(server.requests(), ["GET", "POST"]);
    assert!(
        elsewhere.requests().is_empty(),
        "{:?}",
        elsewhere.requests()
    );

    // Within the origin, at most 10 hops: the 11th redirect is an error, not followed.
    let server = FaultServer::start(vec![redirect("/rest/v1/again"); 11]).await;
    let err = client(&server).from_("t").select("*").await.unwrap_err();
    assert!(matches!(err, Error::Http(_)), "{err:?}");
    assert_eq!(server.requests().len(), 11);
}

#[tokio::test]
async fn reauthenticate_is_not_retried() {
    // `GET /reauthenticate` sends a new code and voids the last one: a retry after a lost
    // answer would void the code the user already has.
    let server = FaultServer::start(vec![
        Fault::ok(r#"{"id":"u1","aud":"authenticated"}"#),
        Fault::status(503),
        Fault::ok("{}"),
    ])
    .await;
    let auth = client(&server).auth();
    // A JWT expiring in 2100 (the signature is not checked client-side).
    let access = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\
                  eyJzdWIiOiJ1MSIsImV4cCI6NDEwMjQ0NDgwMCwicm9sZSI6ImF1dGhlbnRpY2F0ZWQifQ.c2ln";
    auth.set_session(access, "refresh").await.unwrap();
    let err = auth.reauthenticate().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503), "{err:?}");
    assert_eq!(server.requests(), ["GET", "GET"], "GET /user, then one try");
}

/// A TUS answer: `status` with `Upload-Offset: offset`.
fn tus(status: u16, offset: u64) -> Fault {
    Fault::Respond {
        status,
        headers: vec![
            ("Tus-Resumable".into(), "1.0.0".into()),
            ("Upload-Offset".into(), offset.to_string()),
        ],
        body: String::new(),
    }
}

#[tokio::test]
async fn a_resumable_upload_refuses_offsets_that_make_no_progress_or_pass_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ten.bin");
    std::fs::write(&file, b"0123456789").unwrap();
    let at = |server: &FaultServer| {
        client(server)
            .storage()
            .from_("videos")
            .resumable_upload_at(
                &format!("{}/storage/v1/upload/resumable/x", server.url()),
                "ten.bin",
                10,
            )
            .unwrap()
    };

    // The server says it has more than the file: not "done".
    let server = FaultServer::start(vec![tus(200, 20)]).await;
    let err = at(&server)
        .upload_file(&file, &ResumableOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(server.requests(), ["HEAD"]);

    // Every PATCH is "accepted" without progress: resumed up to `max_resumes`, then an error
    // (it once sent the same chunk forever).
    let server = FaultServer::start(vec![tus(200, 0), tus(204, 0), tus(200, 0), tus(204, 0)]).await;
    let err = at(&server)
        .upload_file(&file, &ResumableOptions::new().max_resumes(1))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(server.requests(), ["HEAD", "PATCH", "HEAD", "PATCH"]);

    // A PATCH claiming more bytes than were sent.
    let server = FaultServer::start(vec![tus(204, 11)]).await;
    let err = at(&server)
        .upload_chunk(0, UploadBody::from(b"0123456789".to_vec()), 10)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");

    // An upload the server already has whole needs no PATCH.
    let server = FaultServer::start(vec![tus(200, 10)]).await;
    at(&server)
        .upload_file(&file, &ResumableOptions::new())
        .await
        .unwrap();
    assert_eq!(server.requests(), ["HEAD"]);

    // The honest answer completes the upload.
    let server = FaultServer::start(vec![tus(200, 4), tus(204, 10)]).await;
    at(&server)
        .upload_file(&file, &ResumableOptions::new())
        .await
        .unwrap();
    assert_eq!(server.requests(), ["HEAD", "PATCH"]);
}

#[tokio::test]
async fn a_refused_connection_is_an_http_error_after_retries() {
    let c = create_client("http://127.0.0.1:1", "key").unwrap();
    let err = c.from_("t").select("*").await.unwrap_err();
    assert!(matches!(err, Error::Http(_)), "{err:?}");
    let err = c.from_("t").insert(json!({})).await.unwrap_err();
    assert!(matches!(err, Error::Http(_)), "{err:?}");
}

/// `auth_client_timeout` bounds every auth request (it was a fixed 30 s, found by a user
/// trial); a timed-out sign-in is not sent again.
#[tokio::test]
async fn auth_client_timeout_is_a_typed_timeout() {
    let server = FaultServer::start(vec![Fault::Delay(Duration::from_secs(5))]).await;
    let c = supabase_core::Client::new(
        server.url(),
        "key",
        ClientOptions::default().auth_client_timeout(Duration::from_millis(100)),
    )
    .unwrap();
    let err = c
        .auth()
        .sign_in_with_password(supabase_core::auth::SignInWithPasswordCredentials::email(
            "a@example.com",
            "password",
        ))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(server.requests().len(), 1, "not sent again");
}

/// The upload URL a TUS server answers with gets the API key and the caller's token on every
/// later request, so one on another origin is refused before anything is sent to it.
#[tokio::test]
async fn a_resumable_upload_on_another_origin_is_refused() {
    let created = |location: &str| Fault::Respond {
        status: 201,
        headers: vec![("Location".into(), location.into())],
        body: String::new(),
    };
    let server = FaultServer::start(vec![created("http://127.0.0.2:9/upload/resumable/x")]).await;
    let err = client(&server)
        .storage()
        .from_("videos")
        .create_resumable_upload("a.bin", 10, FileOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("http://127.0.0.2:9"), "{err}");
    assert_eq!(server.requests(), ["POST"]);

    // A path on the server's own origin is followed.
    let server = FaultServer::start(vec![created("/storage/v1/upload/resumable/x")]).await;
    client(&server)
        .storage()
        .from_("videos")
        .create_resumable_upload("a.bin", 10, FileOptions::new())
        .await
        .unwrap();
}

/// A 200 whose body is neither JSON nor the text asked for (an HTML page from a proxy, a
/// captive portal or a wrong project URL) is an error, not data; CSV asked for is data.
#[tokio::test]
async fn a_body_of_a_type_not_asked_for_is_an_error() {
    let typed = |media: &str, body: &str| Fault::Respond {
        status: 200,
        headers: vec![("Content-Type".into(), media.into())],
        body: body.into(),
    };
    let server = FaultServer::start(vec![
        typed(
            "text/html; charset=utf-8",
            "<html>sign in to the wifi</html>",
        ),
        typed("text/csv; charset=utf-8", "id\n1\n"),
    ])
    .await;
    let c = client(&server);
    match c.from_("t").select("*").await {
        Err(Error::Decode { message, .. }) => {
            assert!(message.contains("text/html"), "{message}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    let csv = c.from_("t").select("*").csv().await.unwrap().data;
    assert_eq!(csv, "id\n1\n");
}
