//! CORS on `/graphql` (`BSPGRAPH_CORS_ORIGINS`): preflights from listed origins get the
//! allowed methods and headers, other origins get no CORS headers, answers (refusals
//! included) carry the origin, credentials are never allowed, and `*` is refused in
//! production.

use bspgraph::config::Settings;
use bspgraph::modes::Mode;
use bspgraph::web::App;
use reqwest::{Method, StatusCode};

use crate::helpers::{spawn_app_with, TestApp};

const ALLOWED: &str = "https://customer.example";

async fn with_cors(mode: Mode) -> TestApp {
    spawn_app_with(|s| {
        s.security.mode = mode;
        s.cors_origins = vec![ALLOWED.to_owned(), "http://localhost:3000".to_owned()];
    })
    .await
}

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.http
        .request(Method::OPTIONS, app.url("/graphql"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type")
        .send()
        .await
        .unwrap()
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn a_preflight_from_a_listed_origin_gets_methods_and_headers() {
    let app = with_cors(Mode::Production).await;
    let resp = preflight(&app, ALLOWED).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, "access-control-allow-origin"), Some(ALLOWED));
    assert_eq!(header(&resp, "access-control-allow-methods"), Some("GET,POST,OPTIONS"));
    assert_eq!(header(&resp, "access-control-allow-headers"), Some("authorization,content-type"));
    assert_eq!(header(&resp, "access-control-allow-credentials"), None);
    assert!(header(&resp, "vary").unwrap_or_default().contains("origin"));

    // The actual request: a refusal (no token in production) is readable by the app too.
    let resp = app
        .http
        .post(app.url("/graphql"))
        .header("origin", ALLOWED)
        .json(&serde_json::json!({ "query": "{ providers { provider } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(header(&resp, "access-control-allow-origin"), Some(ALLOWED));
    assert!(header(&resp, "access-control-expose-headers").unwrap_or_default().contains("retry-after"));
}

#[tokio::test]
async fn other_origins_and_unset_settings_get_no_cors_headers() {
    let app = with_cors(Mode::Dev).await;
    let resp = preflight(&app, "https://evil.example").await;
    assert_eq!(header(&resp, "access-control-allow-origin"), None);
    let resp = preflight(&app, "https://customer.example.evil.test").await;
    assert_eq!(header(&resp, "access-control-allow-origin"), None);

    let plain = spawn_app_with(|_| {}).await;
    let resp = preflight(&plain, ALLOWED).await;
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&resp, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn any_origin_is_allowed_in_dev_and_refused_in_production() {
    let dev = spawn_app_with(|s| s.cors_origins = vec!["*".to_owned()]).await;
    let resp = preflight(&dev, "http://localhost:5173").await;
    assert_eq!(header(&resp, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&resp, "access-control-allow-credentials"), None);

    let mut settings = Settings::defaults();
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.security.mode = Mode::Production;
    settings.cors_origins = vec!["*".to_owned()];
    let dir = tempfile::tempdir().unwrap();
    settings.database_url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let err = App::build(settings).await.err().expect("production must refuse CORS from any origin").to_string();
    assert!(err.contains("BSPGRAPH_CORS_ORIGINS=*"), "{err}");
}
