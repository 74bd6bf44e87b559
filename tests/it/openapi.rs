//! The OpenAPI document against the running app: every documented operation
//! is routed, every method a documented path does not list is refused, every
//! error is the `ApiError` the server writes, and the parameters' bounds and
//! the bodies' required fields are the ones the server enforces.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use garake::web::qa::schema::ApiError;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::helpers::*;

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

async fn document(app: &TestApp) -> Value {
    let r = app.api("/api/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.header("content-type").starts_with("application/json"));
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    doc
}

/// Every (method, path) of the document, the path as the document writes it.
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method).is_some() {
                ops.push((method.to_string(), path.clone()));
            }
        }
    }
    ops
}

/// A request for a documented path: its parameters filled with real values
/// (waits last a second at most).
fn request(method: &str, path: &str, token: bool) -> Request<Body> {
    let mut uri = path.replace("{msisdn}", TARO).replace("{id}", "1");
    if uri.ends_with("/wait") {
        uri.push_str("?timeout=1");
    }
    let mut req = Request::builder()
        .method(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap())
        .uri(uri)
        .header(header::HOST, HOST);
    if token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
    }
    req.body(Body::empty()).unwrap()
}

/// The status of an answer and, if it is JSON, its body (an event stream is
/// not read: it never ends).
async fn answer(app: &TestApp, req: Request<Body>) -> (StatusCode, Option<Value>) {
    let response = app.router().oneshot(req).await.unwrap();
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !json {
        return (status, None);
    }
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, Some(serde_json::from_slice(&bytes).unwrap()))
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_no_other_method_is() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let ops = operations(&doc);
    assert!(ops.len() >= 24, "{ops:?}");
    for (method, path) in &ops {
        let (status, body) = answer(&app, request(method, path, true)).await;
        let unrouted = status == StatusCode::METHOD_NOT_ALLOWED
            || (status == StatusCode::NOT_FOUND
                && body.as_ref().is_some_and(|b| b["error"] == "not found"));
        assert!(
            !unrouted,
            "{method} {path} is documented but not routed: {status} {body:?}"
        );
        let documented = &doc["paths"][path][method]["responses"][status.as_str()];
        assert!(
            documented.is_object(),
            "{method} {path} answered {status}, which its description does not list"
        );
    }
    // A method a documented path does not list is refused as the router
    // refuses what it does not have: nothing is routed there undocumented.
    for path in doc["paths"].as_object().unwrap().keys() {
        for method in METHODS {
            if doc["paths"][path].get(method).is_none() {
                let (status, _) = answer(&app, request(method, path, true)).await;
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is routed but not documented"
                );
            }
        }
    }
    // And a path next to the documented ones is not routed.
    let (status, body) = answer(&app, request("get", "/api/not-a-route", true)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body.unwrap()["error"], "not found");
}

#[tokio::test]
async fn every_operation_describes_its_errors_as_api_error() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let api_error = &doc["components"]["schemas"]["ApiError"];
    assert_eq!(api_error["required"], json!(["error"]), "{api_error}");
    assert_eq!(api_error["additionalProperties"], false);
    for (method, path) in operations(&doc) {
        let op = &doc["paths"][&path][&method];
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{method} {path} has no summary"
        );
        let responses = op["responses"].as_object().unwrap();
        for status in ["400", "401", "413", "429", "500"] {
            assert!(
                responses.contains_key(status),
                "{method} {path}: no {status}"
            );
        }
        assert!(op["responses"]["429"]["headers"]["Retry-After"].is_object());
        if op.get("requestBody").is_some() {
            assert!(responses.contains_key("408"), "{method} {path}: no 408");
        }
        for (status, response) in responses {
            if status.starts_with('2') {
                continue;
            }
            assert_eq!(
                response["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ApiError",
                "{method} {path} {status}"
            );
            if status == "503" {
                assert!(
                    response["headers"]["Retry-After"].is_object(),
                    "{method} {path}"
                );
            }
        }
    }
    // Every schema the document refers to exists.
    let text = doc.to_string();
    for part in text.split("#/components/schemas/").skip(1) {
        let name = &part[..part.find('"').unwrap()];
        assert!(doc["components"]["schemas"][name].is_object(), "{name}");
    }
}

#[tokio::test]
async fn errors_are_api_error_as_the_document_says() {
    let app = TestApp::new().await;
    let token = format!("Bearer {TOKEN}");
    let cases = [
        // No token: 401 (not counted as a guess).
        Request::get("/api/clock").body(Body::empty()).unwrap(),
        // Bad query, bad path, no such line.
        Request::get("/api/lines?limit=1001")
            .header(header::AUTHORIZATION, &token)
            .body(Body::empty())
            .unwrap(),
        Request::get("/api/lines/123")
            .header(header::AUTHORIZATION, &token)
            .body(Body::empty())
            .unwrap(),
        Request::get("/api/lines/09099999999")
            .header(header::AUTHORIZATION, &token)
            .body(Body::empty())
            .unwrap(),
        // A refused new line (written by the handler, not by the error pages).
        Request::post("/api/lines")
            .header(header::AUTHORIZATION, &token)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({ "msisdn": TARO, "name": "x", "network_pin": "1234" }).to_string(),
            ))
            .unwrap(),
        // Too large, before the body is read.
        Request::post("/api/mail")
            .header(header::AUTHORIZATION, &token)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, "100000")
            .body(Body::empty())
            .unwrap(),
    ];
    let mut statuses = Vec::new();
    for req in cases {
        let (status, body) = answer(&app, req).await;
        let body = body.unwrap_or_else(|| panic!("{status}: not JSON"));
        let error: ApiError = serde_json::from_value(body.clone())
            .unwrap_or_else(|e| panic!("{status}: {body} is not an ApiError: {e}"));
        assert!(!error.error.is_empty(), "{status}");
        statuses.push(status.as_u16());
    }
    assert_eq!(statuses, [401, 400, 400, 404, 409, 413]);
    assert_eq!(
        app.wrong_tokens(),
        0,
        "a request without a token guesses nothing"
    );
}

/// Every integer query parameter with bounds in the document: the server
/// takes its bounds and refuses one past each, and a non-number.
#[tokio::test]
async fn query_bounds_in_the_document_are_the_servers() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let mut probed = 0;
    for (method, path) in operations(&doc) {
        if method != "get" || path.contains('{') || path.ends_with("/events") {
            continue;
        }
        let params = doc["paths"][&path][&method]["parameters"].clone();
        for param in params.as_array().into_iter().flatten() {
            let schema = &param["schema"];
            if schema["type"] != "integer" {
                continue;
            }
            let name = param["name"].as_str().unwrap();
            let (min, max) = (
                schema["minimum"].as_i64().unwrap(),
                schema["maximum"].as_i64().unwrap(),
            );
            let mut refused = vec![min as i128 - 1, max as i128 + 1]
                .into_iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>();
            refused.push("ten".into());
            for value in refused {
                let r = app.api(&format!("{path}?{name}={value}&timeout=1")).await;
                assert_eq!(
                    r.status,
                    StatusCode::BAD_REQUEST,
                    "{path}?{name}={value}: {}",
                    r.text
                );
                let _: ApiError = serde_json::from_str(&r.text).unwrap();
            }
            // A wait at its longest would last a minute: its bounds are
            // refused above, and taken only where it answers at once.
            if !path.ends_with("/wait") {
                for value in [min, max] {
                    let r = app.api(&format!("{path}?{name}={value}")).await;
                    assert_eq!(
                        r.status,
                        StatusCode::OK,
                        "{path}?{name}={value}: {}",
                        r.text
                    );
                }
            }
            probed += 1;
        }
    }
    assert!(probed >= 10, "{probed} parameters probed");
}

#[tokio::test]
async fn bodies_require_what_the_server_requires_and_nothing_else() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let schemas = &doc["components"]["schemas"];
    let body_schema = |path: &str| {
        let r = &doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
            ["$ref"];
        let name = r.as_str().unwrap().rsplit('/').next().unwrap().to_string();
        schemas[&name].clone()
    };
    let new_line = body_schema("/api/lines");
    assert_eq!(
        new_line["required"],
        json!(["msisdn", "name", "network_pin"])
    );
    assert_eq!(new_line["additionalProperties"], false);
    let new_mail = body_schema("/api/mail");
    assert_eq!(new_mail["required"], json!(["from", "to"]));
    assert_eq!(new_mail["additionalProperties"], false);
    let advance = body_schema("/api/clock/advance");
    assert_eq!(advance["required"], json!(["seconds"]));
    assert_eq!(advance["properties"]["seconds"]["minimum"], 1);
    assert_eq!(
        advance["properties"]["seconds"]["maximum"],
        garake::clock::MAX_STEP
    );
    let post = |path: &'static str, body: Value| {
        let req = Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        app.request(req)
    };
    // Only the required fields: accepted.
    let r = post(
        "/api/mail",
        json!({ "from": "shop@example.com", "to": "taro-demo@docomo.ne.jp" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = post(
        "/api/lines",
        json!({ "msisdn": "070-0000-0042", "name": " 山田 ", "network_pin": "１２３４" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // Each required field missing, or one more: refused.
    for (path, whole) in [
        (
            "/api/mail",
            json!({ "from": "shop@example.com", "to": "taro-demo@docomo.ne.jp" }),
        ),
        (
            "/api/lines",
            json!({ "msisdn": "070-0000-0043", "name": "x", "network_pin": "1234" }),
        ),
        ("/api/clock/advance", json!({ "seconds": 60 })),
    ] {
        for field in whole.as_object().unwrap().keys() {
            let mut less = whole.clone();
            less.as_object_mut().unwrap().remove(field);
            let r = post(path, less).await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{path} without {field}: {}",
                r.text
            );
        }
        let mut more = whole.clone();
        more["unknown"] = json!(1);
        let r = post(path, more).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{path} with an unknown field: {}",
            r.text
        );
    }
}

/// JSON Schema's `integer` is any number without a fraction: `60.0` is one.
#[tokio::test]
async fn the_clock_moves_by_a_whole_number_written_with_a_fraction() {
    let app = TestApp::new().await;
    let advance = |seconds: &str| {
        Request::post("/api/clock/advance")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(format!(r#"{{"seconds":{seconds}}}"#)))
            .unwrap()
    };
    let before = app.state.clock.offset();
    let r = app.request(advance("60.0")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["offset_seconds"].as_i64().unwrap() - before, 60);
    let r = app.request(advance("1e2")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for refused in ["1.5", "-0.5", "1e300", "\"60\"", "9223372036854775808"] {
        let r = app.request(advance(refused)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{refused}: {}", r.text);
    }
    assert_eq!(app.state.clock.offset() - before, 160);
}

/// An identity document's number is counted in characters, as every other
/// field is (and as the document's `pattern` counts).
#[tokio::test]
async fn an_identity_document_number_is_counted_in_characters() {
    let app = TestApp::new().await;
    let create = |msisdn: &str, number: String| {
        let body = json!({
            "msisdn": msisdn, "name": "x", "network_pin": "1234",
            "id_doc_type": "passport", "id_doc_number": number,
        });
        Request::post("/api/lines")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let r = app.request(create("07000000050", "旅".repeat(40))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app.request(create("07000000051", "旅".repeat(41))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
}
