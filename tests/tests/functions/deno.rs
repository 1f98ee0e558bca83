//! Functions running in Deno: bodies, responses, headers, methods, regions, JWTs, errors.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{Value, json};
use supabase_core::functions::{
    FunctionData, FunctionRegion, FunctionsError, HttpMethod, InvokeOptions,
};
use supabase_core::{ClientOptions, Error, create_client};

use crate::{anon, deno_stack, echo, hex};

#[tokio::test]
async fn reference_basic_invocation() {
    let client = anon().await;
    let data: Value = client
        .functions()
        .invoke(
            "hello-world",
            InvokeOptions::new().body(&json!({ "name": "Functions" })),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(data, json!({ "message": "Hello Functions!" }));
}

#[tokio::test]
async fn reference_custom_headers() {
    let client = anon().await;
    let seen = echo(
        &client,
        InvokeOptions::new()
            .header("my-custom-header", "my-custom-header-value")
            .body(&json!({ "foo": "bar" })),
    )
    .await;
    assert_eq!(
        seen["headers"]["my-custom-header"],
        "my-custom-header-value"
    );
    assert_eq!(seen["headers"]["content-type"], "application/json");
    assert_eq!(seen["bodyHex"], hex(br#"{"foo":"bar"}"#));
}

#[tokio::test]
async fn reference_error_handling_gives_status_and_body() {
    let client = anon().await;
    let err = client
        .functions()
        .invoke(
            "kinds",
            InvokeOptions::new()
                .header("x-kind", "error")
                .header("x-status", "418")
                .header("x-detail", "short and stout"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(418));
    let Error::Functions(e @ FunctionsError::Http(resp)) = &err else {
        panic!("expected an HTTP error, got {err:?}");
    };
    let body: Value = resp.json().unwrap();
    assert_eq!(
        body,
        json!({ "error": "teapot", "detail": "short and stout" })
    );
    // The reference's `exception.to_dict()`, as JSON too.
    assert_eq!(
        serde_json::to_value(e.to_dict()).unwrap(),
        json!({"name": "FunctionsHttpError", "message": "teapot", "status": 418})
    );
}

#[tokio::test]
async fn every_body_kind_sets_its_content_type() {
    let client = anon().await;

    let seen = echo(&client, InvokeOptions::new().text("plain words")).await;
    assert_eq!(seen["headers"]["content-type"], "text/plain");
    assert_eq!(seen["bodyHex"], hex(b"plain words"));

    let raw = [0u8, 159, 146, 150, 255];
    let seen = echo(&client, InvokeOptions::new().bytes(raw.to_vec())).await;
    assert_eq!(seen["headers"]["content-type"], "application/octet-stream");
    assert_eq!(seen["bodyHex"], hex(&raw));

    let seen = echo(&client, InvokeOptions::new()).await;
    assert!(seen["headers"].get("content-type").is_none(), "{seen}");
    assert_eq!(seen["bodyHex"], "");
}

#[tokio::test]
async fn a_callers_content_type_wins() {
    let client = anon().await;
    let seen = echo(
        &client,
        InvokeOptions::new()
            .header("Content-Type", "application/vnd.planet+json")
            .body(&json!({ "name": "Earth" })),
    )
    .await;
    assert_eq!(
        seen["headers"]["content-type"],
        "application/vnd.planet+json"
    );
    assert_eq!(seen["bodyHex"], hex(br#"{"name":"Earth"}"#));
}

#[tokio::test]
async fn multipart_forms_reach_the_function() {
    let client = anon().await;
    let fields: Value = client
        .functions()
        .invoke(
            "form",
            InvokeOptions::new().form(
                supabase_core::functions::Form::new()
                    .text("name", "Ada")
                    .file("notes", "notes.txt", "text/plain", "first line\n"),
            ),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        fields,
        json!({
            "name": "Ada",
            "notes": { "fileName": "notes.txt", "type": "text/plain", "text": "first line\n" }
        })
    );
}

#[tokio::test]
async fn a_streamed_body_arrives_whole() {
    let client = anon().await;
    let chunks: Vec<Result<Bytes, std::io::Error>> = (0..5)
        .map(|i| Ok(Bytes::from(format!("row {i}\n"))))
        .collect();
    let seen = echo(
        &client,
        InvokeOptions::new()
            .header("content-type", "text/csv")
            .stream(futures_util::stream::iter(chunks)),
    )
    .await;
    assert_eq!(seen["headers"]["content-type"], "text/csv");
    let expected: String = (0..5).map(|i| format!("row {i}\n")).collect();
    assert_eq!(seen["bodyHex"], hex(expected.as_bytes()));
}

#[tokio::test]
async fn headers_of_one_call_do_not_leak_into_the_next() {
    let client = anon().await;
    let first = echo(&client, InvokeOptions::new().header("x-only-once", "1")).await;
    assert_eq!(first["headers"]["x-only-once"], "1");
    let second = echo(&client, InvokeOptions::new()).await;
    assert!(second["headers"].get("x-only-once").is_none(), "{second}");
    // The client's own headers are on every call.
    let stack = deno_stack().await;
    assert_eq!(second["headers"]["apikey"], stack.anon_key());
    assert_eq!(
        second["headers"]["authorization"],
        format!("Bearer {}", stack.anon_key())
    );
}

#[tokio::test]
async fn the_method_can_be_overridden() {
    let client = anon().await;
    for (method, name) in [
        (HttpMethod::Get, "GET"),
        (HttpMethod::Post, "POST"),
        (HttpMethod::Put, "PUT"),
        (HttpMethod::Patch, "PATCH"),
        (HttpMethod::Delete, "DELETE"),
    ] {
        let seen = echo(&client, InvokeOptions::new().method(method)).await;
        assert_eq!(seen["method"], name);
    }
    let seen = echo(&client, InvokeOptions::new()).await;
    assert_eq!(seen["method"], "POST", "POST is the default");
    let err = client
        .functions()
        .invoke(
            "echo",
            InvokeOptions::new().method(HttpMethod::Get).text("x"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn regions_send_the_header_and_the_query_parameter() {
    let client = anon().await;
    let seen = echo(
        &client,
        InvokeOptions::new().region(FunctionRegion::EuWest1),
    )
    .await;
    assert_eq!(seen["headers"]["x-region"], "eu-west-1");
    assert_eq!(seen["search"], "?forceFunctionRegion=eu-west-1");

    // A client-wide region, overridden per call, and `Any` sending nothing.
    let functions = client.functions().region(FunctionRegion::UsEast1);
    let echo_in_us_east = |options| async {
        let seen: Value = functions
            .invoke("echo", options)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen
    };
    let seen = echo_in_us_east(InvokeOptions::new()).await;
    assert_eq!(seen["headers"]["x-region"], "us-east-1");
    let seen = echo_in_us_east(InvokeOptions::new().region(FunctionRegion::Any)).await;
    assert!(seen["headers"].get("x-region").is_none(), "{seen}");
    assert_eq!(seen["search"], "");
    // An empty identifier is no region: the client's is used (functions-js and supabase-py
    // skip a falsy one, `if (!region) region = this.region`), given as a value or in the
    // reference's dict; with none on the client, nothing is sent.
    let empty = || {
        let from_dict: InvokeOptions = serde_json::from_value(json!({ "region": "" })).unwrap();
        [
            InvokeOptions::new().region(FunctionRegion::Other(String::new())),
            from_dict,
        ]
    };
    for options in empty() {
        let seen = echo_in_us_east(options).await;
        assert_eq!(seen["headers"]["x-region"], "us-east-1", "{seen}");
        assert_eq!(seen["search"], "?forceFunctionRegion=us-east-1");
    }
    for options in empty() {
        let seen = echo(&client, options).await;
        assert!(seen["headers"].get("x-region").is_none(), "{seen}");
        assert_eq!(seen["search"], "");
    }
    // The region replaces a `forceFunctionRegion` the target carried (`searchParams.set`);
    // the target's other parameters stay as written.
    let seen: Value = client
        .functions()
        .invoke(
            "echo?forceFunctionRegion=us-east-1&a=b%20c",
            InvokeOptions::new().region(FunctionRegion::EuWest1),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["search"], "?a=b%20c&forceFunctionRegion=eu-west-1");
    assert_eq!(seen["headers"]["x-region"], "eu-west-1");
}

/// `set_auth` (functions-js, supabase-py) sends its token on every later invocation, over the
/// client's; a call's own header still wins.
#[tokio::test]
async fn set_auth_sends_its_token_on_every_invocation() {
    let client = anon().await;
    let token = deno_stack()
        .await
        .mint_jwt(&json!({"sub": "u1", "role": "authenticated", "exp": 4_000_000_000u64}))
        .unwrap();
    let functions = client.functions().set_auth(&token);
    for _ in 0..2 {
        let seen: Value = functions
            .invoke("echo", InvokeOptions::new())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(seen["headers"]["authorization"], format!("Bearer {token}"));
    }
    let key = deno_stack().await.anon_key().to_owned();
    let seen: Value = functions
        .invoke(
            "echo",
            InvokeOptions::new().header("Authorization", format!("Bearer {key}")),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["headers"]["authorization"], format!("Bearer {key}"));
    assert!(!format!("{functions:?}").contains(&token));
}

#[tokio::test]
async fn responses_are_read_by_kind() {
    let client = anon().await;
    let kind = |k: &str| InvokeOptions::new().header("x-kind", k);
    let f = client.functions();

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Planets {
        planets: Vec<String>,
        count: u32,
    }
    let typed: Planets = f
        .invoke("kinds", kind("json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        typed,
        Planets {
            planets: vec!["Mercury".into(), "Venus".into()],
            count: 2
        }
    );

    let resp = f.invoke("kinds", kind("text")).await.unwrap();
    assert_eq!(resp.content_type(), "text/plain");
    assert_eq!(resp.text().await.unwrap(), "plain text");

    let bytes = f
        .invoke("kinds", kind("bytes"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], &[0, 1, 2, 253, 254, 255]);

    let chunks: Vec<Bytes> = f
        .invoke("kinds", kind("bytes"))
        .await
        .unwrap()
        .stream()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(chunks.concat(), vec![0, 1, 2, 253, 254, 255]);

    // Decoded by Content-Type, as functions-js does.
    match f
        .invoke("kinds", kind("json"))
        .await
        .unwrap()
        .data()
        .await
        .unwrap()
    {
        FunctionData::Json(v) => assert_eq!(v["count"], 2),
        other => panic!("{other:?}"),
    }
    match f
        .invoke("kinds", kind("bytes"))
        .await
        .unwrap()
        .data()
        .await
        .unwrap()
    {
        FunctionData::Bytes(b) => assert_eq!(b.len(), 6),
        other => panic!("{other:?}"),
    }
    match f
        .invoke("kinds", kind("text"))
        .await
        .unwrap()
        .data()
        .await
        .unwrap()
    {
        FunctionData::Text(t) => assert_eq!(t, "plain text"),
        other => panic!("{other:?}"),
    }
    match f
        .invoke("kinds", kind("none"))
        .await
        .unwrap()
        .data()
        .await
        .unwrap()
    {
        FunctionData::Text(t) => assert_eq!(t, "", "204 without a body"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn non_utf8_text_is_a_decode_error_and_data_keeps_its_bytes() {
    let functions = anon().await.functions();
    let latin1 = || functions.invoke("kinds", InvokeOptions::new().header("x-kind", "latin1"));
    let err = latin1().await.unwrap().text().await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    // `data()` does not fail on it (functions-js would replace the byte): the bytes as sent.
    match latin1().await.unwrap().data().await.unwrap() {
        FunctionData::Bytes(b) => assert_eq!(&b[..], [0x63, 0x61, 0x66, 0xe9]),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn server_sent_events_stream_as_parsed_events() {
    let client = anon().await;
    let resp = client
        .functions()
        .invoke(
            "kinds",
            InvokeOptions::new()
                .header("x-kind", "sse")
                .header("x-count", "4"),
        )
        .await
        .unwrap();
    assert_eq!(resp.content_type(), "text/event-stream");
    let FunctionData::EventStream(mut events) = resp.data().await.unwrap() else {
        panic!("expected an event stream");
    };
    let mut seen = Vec::new();
    while let Some(event) = events.next().await {
        let event = event.unwrap();
        assert_eq!(event.event, "tick");
        let data: Value = event.json().unwrap();
        seen.push((event.id.clone(), data["n"].as_i64().unwrap()));
    }
    assert_eq!(
        seen,
        vec![
            ("1".to_owned(), 1),
            ("2".to_owned(), 2),
            ("3".to_owned(), 3),
            ("4".to_owned(), 4)
        ]
    );
}

#[tokio::test]
async fn a_function_past_its_timeout_is_a_timeout_error() {
    let client = anon().await;
    let err = client
        .functions()
        .invoke(
            "slow",
            InvokeOptions::new()
                .header("x-ms", "5000")
                .timeout(Duration::from_millis(200)),
        )
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");

    // The default comes from ClientOptions::function_client_timeout.
    let stack = deno_stack().await;
    let client = create_client(stack.url(), stack.anon_key()).unwrap();
    let short = supabase_core::Client::new(
        stack.url(),
        stack.anon_key(),
        ClientOptions::default().function_client_timeout(Duration::from_millis(200)),
    )
    .unwrap();
    let err = short
        .functions()
        .invoke("slow", InvokeOptions::new().header("x-ms", "5000"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(Some(d)) if d == Duration::from_millis(200)));
    // Within the timeout, the same function answers.
    let text = client
        .functions()
        .invoke("slow", InvokeOptions::new().header("x-ms", "10"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "Slow Response");
}

#[tokio::test]
async fn jwt_verification_is_on_by_default_and_off_per_function() {
    let stack = deno_stack().await;
    let forged =
        supabase_local::api_key("another-secret-that-is-at-least-32-chars!", "anon").unwrap();
    let client = create_client(stack.url(), &forged).unwrap();

    let err = client
        .functions()
        .invoke("echo", InvokeOptions::new())
        .await
        .unwrap_err();
    let Error::Functions(FunctionsError::Http(resp)) = err else {
        panic!("{err:?}");
    };
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(
        resp.json::<Value>().unwrap(),
        json!({ "msg": "Invalid JWT" })
    );

    // `open` has verify_jwt = false.
    let seen: Value = client
        .functions()
        .invoke("open", InvokeOptions::new())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["method"], "POST");
    // `public-echo` has `verify_jwt = false` in the project's config.toml.
    let seen: Value = client
        .functions()
        .invoke("public-echo", InvokeOptions::new())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["path"], "/public-echo");
    // `custom-entry` is served from the `entrypoint` its config.toml table names.
    let text = client
        .functions()
        .invoke("custom-entry", InvokeOptions::new())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "from main.ts");

    // A user's token is accepted.
    let user = stack
        .mint_jwt(&json!({ "role": "authenticated", "sub": "u-1", "exp": 4_000_000_000u64 }))
        .unwrap();
    let seen = crate::echo(
        &create_client(stack.url(), stack.anon_key()).unwrap(),
        InvokeOptions::new().header("Authorization", format!("Bearer {user}")),
    )
    .await;
    assert_eq!(seen["headers"]["authorization"], format!("Bearer {user}"));

    // Without any credentials, and with a non-Bearer scheme: main.ts's messages.
    let http = reqwest::Client::new();
    let url = format!("{}/functions/v1/echo", stack.url());
    let resp = http.post(&url).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        crate::read_json(resp).await,
        json!({ "msg": "Error: Missing authorization header" })
    );
    let resp = http
        .post(&url)
        .header("Authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        crate::read_json(resp).await,
        json!({ "msg": "Error: Auth header is not 'Bearer {token}'" })
    );
    // CORS preflights are not checked.
    let resp = http
        .request(reqwest::Method::OPTIONS, &url)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn tokens_are_checked_as_the_edge_runtime_checks_them() {
    // main.ts's `verifyHybridJWT` with jose's `jwtVerify`.
    let stack = deno_stack().await;
    let http = reqwest::Client::new();
    let url = format!("{}/functions/v1/echo", stack.url());
    let call = |authorization: String| {
        http.post(&url)
            .header("Authorization", authorization)
            .send()
    };
    let hs256 = |claims: Value, kid: Option<&str>| {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(stack.jwt_secret().as_bytes()),
        )
        .unwrap()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // HS256 is checked with the secret whatever its `kid`.
    let with_kid = hs256(
        json!({ "role": "authenticated", "exp": now + 600 }),
        Some("any"),
    );
    assert_eq!(
        call(format!("Bearer {with_kid}")).await.unwrap().status(),
        200
    );
    // `exp` and `nbf` are checked.
    for claims in [
        json!({ "role": "authenticated", "exp": now - 10 }),
        json!({ "role": "authenticated", "nbf": now + 600 }),
    ] {
        let resp = call(format!("Bearer {}", hs256(claims.clone(), None)))
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{claims}");
        assert_eq!(
            crate::read_json(resp).await,
            json!({ "msg": "Invalid JWT" })
        );
    }
    // A header that is not a token's: jose's `decodeProtectedHeader` throws.
    let resp = call("Bearer not-a-token".into()).await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        crate::read_json(resp).await,
        json!({ "msg": "TypeError: Invalid Token or Protected Header formatting" })
    );
    // An empty header is a missing one (`!authHeader`).
    let resp = call(String::new()).await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        crate::read_json(resp).await,
        json!({ "msg": "Error: Missing authorization header" })
    );
}

#[tokio::test]
async fn functions_see_the_signed_in_users_token() {
    let stack = deno_stack().await;
    let client = anon().await;
    let email = format!("fn-{}@example.com", supabase_tests::unique_id());
    let session = client
        .auth()
        .sign_up(supabase_core::auth::SignUpCredentials::email(
            &email,
            "password-123",
        ))
        .await
        .unwrap()
        .session
        .expect("the stack confirms sign-ups at once");
    let seen = crate::echo(&client, InvokeOptions::new()).await;
    assert_eq!(
        seen["headers"]["authorization"],
        format!("Bearer {}", session.access_token.expose())
    );
    assert_eq!(seen["headers"]["apikey"], stack.anon_key());

    // After a refresh, the new token (a second later: `iat` is in seconds, so a refresh within
    // the same second signs the same claims into the same token, on GoTrue too).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let refreshed = client
        .auth()
        .refresh_session()
        .await
        .unwrap()
        .session
        .unwrap();
    assert_ne!(
        refreshed.access_token.expose(),
        session.access_token.expose()
    );
    let seen = crate::echo(&client, InvokeOptions::new()).await;
    assert_eq!(
        seen["headers"]["authorization"],
        format!("Bearer {}", refreshed.access_token.expose())
    );
}

#[tokio::test]
async fn a_missing_function_answers_like_the_edge_runtime() {
    let client = anon().await;
    let err = client
        .functions()
        .invoke("no-such-function", InvokeOptions::new())
        .await
        .unwrap_err();
    let Error::Functions(FunctionsError::Http(resp)) = err else {
        panic!("{err:?}");
    };
    assert_eq!(resp.status().as_u16(), 404);
    assert_eq!(resp.text(), "Function not found");
    // Not JSON: `to_dict()`'s message is the error's own text.
    let dict = FunctionsError::Http(resp).to_dict();
    assert_eq!(
        dict.message,
        "Edge Function returned a non-2xx status code (HTTP 404 Not Found)"
    );
}

#[tokio::test]
async fn crashing_and_unbootable_functions_give_the_runtime_errors() {
    let client = anon().await;
    let failure = |name: &'static str| {
        let client = client.clone();
        async move {
            let err = client
                .functions()
                .invoke(name, InvokeOptions::new())
                .await
                .unwrap_err();
            match err {
                Error::Functions(FunctionsError::Http(resp)) => resp,
                other => panic!("{name}: {other:?}"),
            }
        }
    };

    // A handler that throws: the edge runtime's `Deno.serve` logs it and answers a bare 500
    // (edge-runtime `http.js`), unless the function has its own `onError`.
    let resp = failure("boom").await;
    assert_eq!(resp.status().as_u16(), 500);
    assert_eq!(resp.text(), "Internal Server Error");
    assert_eq!(resp.headers().get("content-type"), None);
    let resp = failure("own-on-error").await;
    assert_eq!(resp.status().as_u16(), 418);
    assert_eq!(resp.text(), "handled: boom");

    // A throw at the top level: main.ts's InvalidWorkerResponse.
    let resp = failure("broken").await;
    assert_eq!(resp.status().as_u16(), 500);
    assert_eq!(
        resp.json::<Value>().unwrap(),
        json!({ "code": "WORKER_ERROR", "message": "Function exited due to an error (please check logs)" })
    );

    // Modules that cannot be loaded: InvalidWorkerCreation.
    for name in ["unparsable", "missing-import"] {
        let resp = failure(name).await;
        assert_eq!(resp.status().as_u16(), 503, "{name}");
        assert_eq!(
            resp.json::<Value>().unwrap(),
            json!({ "code": "BOOT_ERROR", "message": "Worker failed to boot (please check logs)" }),
            "{name}"
        );
    }
    let err = Error::Functions(FunctionsError::Http(failure("unparsable").await));
    let Error::Functions(e) = &err else {
        unreachable!()
    };
    assert_eq!(
        e.to_dict().message,
        "Worker failed to boot (please check logs)"
    );
}

/// What the edge runtime gives a user worker beyond Deno: `EdgeRuntime.waitUntil` for work
/// after the response, and a module whose default export is `{ fetch }` served without
/// `Deno.serve` (edge-runtime `namespaces.js`, `bootstrap.js`).
#[tokio::test]
async fn edge_runtime_wait_until_and_a_default_fetch_export() {
    let client = anon().await;
    let f = client.functions();
    let resp = f.invoke("background", InvokeOptions::new()).await.unwrap();
    assert_eq!(resp.status().as_u16(), 202);
    let mut finished = Value::Null;
    for _ in 0..40 {
        finished = f
            .invoke("background/count", InvokeOptions::new())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if finished["finished"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        finished["finished"], 1,
        "the awaited work ran after the response"
    );

    let text = f
        .invoke("declarative/a", InvokeOptions::new())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "declared /declarative/a");
}

#[tokio::test]
async fn the_path_after_the_name_and_the_query_pass_through() {
    let stack = deno_stack().await;
    let resp = reqwest::Client::new()
        .put(format!(
            "{}/functions/v1/echo/planets/earth?moons=1",
            stack.url()
        ))
        .header("apikey", stack.anon_key())
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let seen: Value = crate::read_json(resp).await;
    assert_eq!(seen["method"], "PUT");
    assert_eq!(seen["path"], "/echo/planets/earth");
    assert_eq!(seen["search"], "?moons=1");
    assert_eq!(seen["bodyHex"], hex(b"abc"));
    // Kong's default: `Authorization` from the apikey.
    assert_eq!(
        seen["headers"]["authorization"],
        format!("Bearer {}", stack.anon_key())
    );
}

#[tokio::test]
async fn invoke_reaches_a_sub_path_with_a_query_as_functions_js_does() {
    let client = anon().await;
    let seen: Value = client
        .functions()
        .invoke(
            "echo/planets/earth?moons=1&name=a b",
            InvokeOptions::new()
                .method(HttpMethod::Put)
                .text("abc")
                .region(FunctionRegion::EuWest1),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["method"], "PUT");
    assert_eq!(seen["path"], "/echo/planets/earth");
    assert_eq!(
        seen["search"],
        "?moons=1&name=a%20b&forceFunctionRegion=eu-west-1"
    );
    assert_eq!(seen["bodyHex"], hex(b"abc"));

    // A path that could reach another function is refused before anything is sent.
    let err = client
        .functions()
        .invoke("echo/%2e%2e/env", InvokeOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn functions_get_the_stack_environment_and_keep_their_worker() {
    let stack = deno_stack().await;
    let client = anon().await;
    let env = |c: supabase_core::Client| async move {
        c.functions()
            .invoke("env", InvokeOptions::new())
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let first = env(client.clone()).await;
    // `SUPABASE_URL=…` in `supabase/functions/.env` is skipped, as the CLI skips it.
    assert_eq!(first["supabaseUrl"], stack.url());
    assert_eq!(first["anonKeySet"], true);
    assert_eq!(first["serviceRoleKeySet"], true);
    assert_eq!(first["dbUrlIsPostgres"], true);
    // The builder's secret wins over the env file's value of the same name.
    assert_eq!(first["secretLength"], "s3cr3t-value".len());
    assert_eq!(first["fromEnvFile"], "from the file");
    // Nothing of this process's environment: no `HOME`, and none of its `PATH` (Deno sets a
    // `PATH` of its own, for its Node compatibility).
    assert!(std::env::var_os("HOME").is_some());
    assert_eq!(first["home"], Value::Null);
    let path = first["path"].as_str().unwrap_or_default();
    let host_path = std::env::var("PATH").unwrap();
    assert!(
        host_path
            .split(':')
            .all(|dir| dir.is_empty() || !path.split(':').any(|seen| seen == dir)),
        "the function saw the host's PATH: {path}"
    );
    assert_eq!(first["internal"], Value::Null);
    let second = env(client).await;
    assert_eq!(first["pid"], second["pid"], "the worker is reused");
}

#[tokio::test]
async fn secrets_stay_out_of_debug_output() {
    let stack = deno_stack().await;
    let dbg = format!("{stack:?}");
    assert!(!dbg.contains("s3cr3t-value"), "{dbg}");
    let config = supabase_local::FunctionsConfig::new().secret("API_TOKEN", "tok-123456");
    let dbg = format!("{config:?}");
    assert!(
        dbg.contains("API_TOKEN") && !dbg.contains("tok-123456"),
        "{dbg}"
    );

    let client = anon().await;
    let resp = client
        .functions()
        .invoke("echo", InvokeOptions::new())
        .await
        .unwrap();
    let dbg = format!("{resp:?} {client:?}");
    assert!(!dbg.contains(stack.anon_key()), "{dbg}");
    let err = create_client(stack.url(), stack.anon_key())
        .unwrap()
        .functions()
        .invoke("no-such-function", InvokeOptions::new())
        .await
        .unwrap_err();
    assert!(!format!("{err:?}").contains(stack.anon_key()));
}

/// The reference's `invoke_options` dicts, deserialized, reach the function as sent.
#[tokio::test]
async fn reference_invoke_options_as_json() {
    let client = crate::anon().await;
    let options: InvokeOptions = serde_json::from_value(serde_json::json!({
        "body": {"foo": "bar"},
        "headers": {"my-custom-header": "my-custom-header-value"},
    }))
    .unwrap();
    let seen = crate::echo(&client, options).await;
    assert_eq!(seen["method"], "POST");
    assert_eq!(
        seen["headers"]["my-custom-header"],
        "my-custom-header-value"
    );
    assert_eq!(seen["headers"]["content-type"], "application/json");
    assert_eq!(seen["bodyHex"], crate::hex(br#"{"foo":"bar"}"#));

    let options: InvokeOptions = serde_json::from_value(
        serde_json::json!({"body": "plain words", "method": "PUT", "region": "eu-west-1"}),
    )
    .unwrap();
    let seen = crate::echo(&client, options).await;
    assert_eq!(seen["method"], "PUT");
    assert_eq!(seen["headers"]["content-type"], "text/plain");
    assert_eq!(seen["headers"]["x-region"], "eu-west-1");
    assert_eq!(seen["search"], "?forceFunctionRegion=eu-west-1");
    assert_eq!(seen["bodyHex"], crate::hex(b"plain words"));
}

/// Third-party auth: each invocation carries the token the provider gives at that moment, and
/// the runtime verifies it; a provider that fails stops the invocation.
#[tokio::test]
async fn invocations_carry_the_access_token_providers_token() {
    let stack = crate::deno_stack().await;
    let tokens: Vec<String> = ["u-1", "u-2"]
        .iter()
        .map(|sub| {
            stack
                .mint_jwt(&json!({ "role": "authenticated", "sub": sub, "exp": 4_000_000_000u64 }))
                .unwrap()
        })
        .collect();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let given = tokens.clone();
    let options = ClientOptions::default().access_token(move || {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let token = given.get(i).cloned();
        async move {
            token
                .map(Some)
                .ok_or_else(|| std::io::Error::other("no more tokens"))
        }
    });
    let client = supabase_core::Client::new(stack.url(), stack.anon_key(), options).unwrap();
    for token in &tokens {
        let seen = crate::echo(&client, InvokeOptions::new()).await;
        assert_eq!(seen["headers"]["authorization"], format!("Bearer {token}"));
    }
    let Err(Error::AccessToken(e)) = client
        .functions()
        .invoke("echo", InvokeOptions::new())
        .await
    else {
        panic!("invoked without a token")
    };
    assert!(e.to_string().contains("no more tokens"), "{e}");
}
