//! Relay and network failures, against a scripted server: typed errors, nothing sent twice.

use std::time::Duration;

use supabase_core::functions::{FunctionsError, InvokeOptions};
use supabase_core::{Error, create_client};
use supabase_tests::fault::{Fault, FaultServer};

#[tokio::test]
async fn the_relay_header_makes_a_relay_error() {
    let server = FaultServer::start(vec![Fault::Respond {
        status: 502,
        headers: vec![("x-relay-error".into(), "true".into())],
        body: r#"{"error":"relay could not reach the function"}"#.into(),
    }])
    .await;
    let client = create_client(server.url(), "anon-key").unwrap();
    let err = client
        .functions()
        .invoke("hello-world", InvokeOptions::new().text("x"))
        .await
        .unwrap_err();
    let Error::Functions(FunctionsError::Relay(resp)) = &err else {
        panic!("{err:?}");
    };
    assert_eq!(resp.status().as_u16(), 502);
    assert!(resp.text().contains("relay could not reach"));
    // The reference's `exception.to_dict()`.
    let Error::Functions(e) = &err else {
        unreachable!()
    };
    let dict = e.to_dict();
    assert_eq!(
        (dict.name, dict.message.as_str(), dict.status),
        (
            "FunctionsRelayError",
            "relay could not reach the function",
            Some(502)
        )
    );
    assert_eq!(server.requests(), vec!["POST".to_owned()], "sent once");

    // Even a 2xx carrying the header is a relay error, as in functions-js.
    let server = FaultServer::start(vec![Fault::Respond {
        status: 200,
        headers: vec![("x-relay-error".into(), "true".into())],
        body: "{}".into(),
    }])
    .await;
    let client = create_client(server.url(), "anon-key").unwrap();
    let err = client
        .functions()
        .invoke("hello-world", InvokeOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Functions(FunctionsError::Relay(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_fetch_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = create_client(format!("http://127.0.0.1:{port}"), "anon-key").unwrap();
    let err = client
        .functions()
        .invoke("hello-world", InvokeOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Functions(FunctionsError::Fetch(_))),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("Failed to send a request to the Edge Function")
    );
    let Error::Functions(e) = &err else {
        unreachable!()
    };
    let dict = e.to_dict();
    assert_eq!((dict.name, dict.status), ("FunctionsFetchError", None));
    assert_eq!(dict.message, e.to_string());
}

#[tokio::test]
async fn failures_are_never_retried() {
    // A reset connection: one request, a fetch error (even for GET).
    let server = FaultServer::start(vec![Fault::Reset, Fault::ok("{}")]).await;
    let client = create_client(server.url(), "anon-key").unwrap();
    let err = client
        .functions()
        .invoke(
            "hello-world",
            InvokeOptions::new().method(supabase_core::functions::HttpMethod::Get),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Functions(FunctionsError::Fetch(_))),
        "{err:?}"
    );
    assert_eq!(server.requests(), vec!["GET".to_owned()]);

    // A 503 is returned as it is.
    let server = FaultServer::start(vec![Fault::status(503), Fault::ok("{}")]).await;
    let client = create_client(server.url(), "anon-key").unwrap();
    let err = client
        .functions()
        .invoke("hello-world", InvokeOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests().len(), 1);

    // A timeout: one request.
    let server = FaultServer::start(vec![Fault::Delay(Duration::from_secs(3))]).await;
    let client = create_client(server.url(), "anon-key").unwrap();
    let err = client
        .functions()
        .invoke(
            "hello-world",
            InvokeOptions::new().timeout(Duration::from_millis(100)),
        )
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(server.requests().len(), 1);

    // `Duration::MAX`, a common way to say "no timeout", is none (it once overflowed the clock).
    let server = FaultServer::start(vec![Fault::ok(r#"{"ok":true}"#)]).await;
    let client = create_client(server.url(), "anon-key").unwrap();
    let resp = client
        .functions()
        .invoke("hello-world", InvokeOptions::new().timeout(Duration::MAX))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test]
async fn bad_names_and_bodies_send_nothing() {
    let server = FaultServer::start(vec![Fault::ok("{}")]).await;
    let client = create_client(server.url(), "anon-key").unwrap();
    for name in [
        "../admin",
        "a/../b",
        "a/%2E%2e/b",
        "..",
        "",
        "hello world",
        "1x?y=1",
        "x#y",
    ] {
        let err = client
            .functions()
            .invoke(name, InvokeOptions::new())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{name}: {err:?}");
    }
    let mut bad = std::collections::BTreeMap::new();
    bad.insert(vec![1u8], 1); // a map with non-string keys is not JSON
    let err = client
        .functions()
        .invoke("hello-world", InvokeOptions::new().body(&bad))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Encode(_)), "{err:?}");
    let err = client
        .functions()
        .invoke(
            "hello-world",
            InvokeOptions::new().header("bad header", "x"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn an_error_body_past_the_response_limit_is_not_read_whole() {
    // The caller did not ask for an error's body: it counts against `max_response_body`.
    let server = FaultServer::start(vec![Fault::Respond {
        status: 500,
        headers: vec![],
        body: format!(r#"{{"error":"{}"}}"#, "x".repeat(4096)),
    }])
    .await;
    let url = server.url();
    let invoke_with_limit = |limit| async move {
        let client = supabase_core::Client::new(
            url,
            "anon-key",
            supabase_core::ClientOptions::default().max_response_body(Some(limit)),
        )
        .unwrap();
        client
            .functions()
            .invoke("hello-world", InvokeOptions::new())
            .await
            .unwrap_err()
    };
    let err = invoke_with_limit(1024).await;
    assert!(
        matches!(err, Error::ResponseTooLarge { status, limit: 1024, .. } if status == 500),
        "{err:?}"
    );

    // Within the limit, the body is there.
    let err = invoke_with_limit(8192).await;
    let Error::Functions(supabase_core::functions::FunctionsError::Http(resp)) = err else {
        panic!("{err:?}");
    };
    assert_eq!(resp.body().len(), 4096 + 12);
}

/// The status is the answer: an error whose body stalls or breaks off is still the function's
/// 429 (functions-js rejects with the response before reading it), not a timeout or a network
/// failure; the body is left empty.
#[tokio::test]
async fn an_error_whose_body_stalls_or_breaks_keeps_its_status() {
    for close in [false, true] {
        let server = FaultServer::start(vec![Fault::Stall {
            status: 429,
            start: r#"{"error":"#.into(),
            close,
        }])
        .await;
        let client = create_client(server.url(), "anon-key").unwrap();
        let err = client
            .functions()
            .invoke(
                "hello-world",
                InvokeOptions::new().timeout(Duration::from_millis(300)),
            )
            .await
            .unwrap_err();
        let Error::Functions(FunctionsError::Http(response)) = &err else {
            panic!("closed: {close}: {err:?}")
        };
        assert_eq!(response.status().as_u16(), 429);
        assert!(response.body().is_empty());
    }
}
