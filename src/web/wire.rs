//! The GraphQL-over-HTTP wire format: decoding request bodies and GET parameters into
//! requests (a body without a string `query`, or with parameters of the wrong JSON
//! type, is a 400 `BAD_REQUEST` whatever the client accepts), and writing response
//! bodies (a request error — parse, validation, variables — has no `data` key, as
//! the GraphQL spec asks).

use async_graphql::{BatchRequest, BatchResponse, Request, Response};
use serde::Serialize;
use serde_json::{Map, Value};

/// Why a request is refused before any GraphQL runs (always HTTP 400).
#[derive(Debug)]
pub struct Refusal {
    /// `extensions.code`.
    pub code: &'static str,
    /// Message for the client.
    pub message: String,
}

fn bad(message: impl Into<String>) -> Refusal {
    Refusal { code: "BAD_REQUEST", message: message.into() }
}

/// A POST body: one request object or a JSON array of them.
pub fn decode_body(body: &[u8]) -> Result<BatchRequest, Refusal> {
    let value: Value = serde_json::from_slice(body).map_err(|_| bad("the body is not a GraphQL request in JSON"))?;
    match value {
        Value::Array(items) => {
            let requests = items.into_iter().map(decode_object).collect::<Result<_, _>>()?;
            Ok(BatchRequest::Batch(requests))
        }
        item => Ok(BatchRequest::Single(decode_object(item)?)),
    }
}

/// GET parameters (`query`, `operationName`, and `variables` / `extensions` as JSON text).
pub fn decode_get(raw_query: &str) -> Result<Request, Refusal> {
    let uri: axum::http::Uri = format!("/?{raw_query}").parse().map_err(|_| bad("the URL query does not parse"))?;
    let axum::extract::Query(params) =
        axum::extract::Query::<std::collections::HashMap<String, String>>::try_from_uri(&uri)
            .map_err(|_| bad("the URL query does not parse"))?;
    let mut object = Map::new();
    for (key, text) in params {
        let value = match key.as_str() {
            "variables" | "extensions" => {
                serde_json::from_str(&text).map_err(|_| bad(format!("the {key} parameter is not JSON")))?
            }
            _ => Value::String(text),
        };
        object.insert(key, value);
    }
    decode_object(Value::Object(object))
}

/// One request object. `query` may be absent only for a persisted-query hash
/// (`extensions.persistedQuery`), which `persisted` resolves.
fn decode_object(value: Value) -> Result<Request, Refusal> {
    let Value::Object(mut object) = value else { return Err(bad("a GraphQL request is a JSON object")) };
    let persisted = object.get("extensions").and_then(|e| e.get("persistedQuery")).is_some();
    match object.get("query") {
        Some(Value::String(_)) => {}
        None | Some(Value::Null) if persisted => {
            object.insert("query".into(), Value::String(String::new()));
        }
        None | Some(Value::Null) => return Err(bad("the request has no query")),
        Some(_) => return Err(bad("query must be a string")),
    }
    for (key, ok) in [
        ("operationName", object.get("operationName").is_none_or(|v| v.is_string() || v.is_null())),
        ("variables", object.get("variables").is_none_or(|v| v.is_object() || v.is_null())),
        ("extensions", object.get("extensions").is_none_or(|v| v.is_object() || v.is_null())),
    ] {
        if !ok {
            let kind = if key == "operationName" { "a string" } else { "an object" };
            return Err(bad(format!("{key} must be {kind} or null")));
        }
    }
    for key in ["variables", "extensions", "operationName"] {
        if object.get(key).is_some_and(Value::is_null) {
            object.remove(key);
        }
    }
    serde_json::from_value(Value::Object(object)).map_err(|_| bad("the body is not a GraphQL request"))
}

/// Request error codes: the document never ran, so the response has no `data`.
const REQUEST_ERROR_CODES: [&str; 9] = [
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "QUERY_TOO_DEEP",
    "QUERY_TOO_COMPLEX",
    "TOO_MANY_DIRECTIVES",
    "BAD_REQUEST",
    "PERSISTED_QUERY_NOT_FOUND",
    "PERSISTED_QUERY_NOT_SUPPORTED",
    "PERSISTED_QUERY_HASH_MISMATCH",
];

fn first_code(resp: &Response) -> Option<&str> {
    let code = resp.errors.first()?.extensions.as_ref()?.get("code")?;
    match code {
        async_graphql::Value::String(c) => Some(c.as_str()),
        _ => None,
    }
}

/// The HTTP status of a single response. A request error is 400 when the client
/// accepts `application/graphql-response+json` (`strict`), else 200; a malformed
/// request or persisted-query hash is always 400; an unknown persisted query is always
/// 200 (Apollo's link then sends the query).
pub fn status(resp: &Response, strict: bool) -> axum::http::StatusCode {
    use axum::http::StatusCode;
    if !is_request_error(resp) {
        return StatusCode::OK;
    }
    match first_code(resp) {
        Some("BAD_REQUEST" | "PERSISTED_QUERY_HASH_MISMATCH") => StatusCode::BAD_REQUEST,
        Some("PERSISTED_QUERY_NOT_FOUND" | "PERSISTED_QUERY_NOT_SUPPORTED") => StatusCode::OK,
        _ if strict => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    }
}

/// A request error: every error has no path and a request-error code (not a timeout
/// or a resolver error raised at the root).
pub fn is_request_error(resp: &Response) -> bool {
    resp.data == async_graphql::Value::Null
        && !resp.errors.is_empty()
        && resp.errors.iter().all(|e| {
            let code = e.extensions.as_ref().and_then(|x| x.get("code"));
            e.path.is_empty()
                && matches!(code, Some(async_graphql::Value::String(c)) if REQUEST_ERROR_CODES.contains(&c.as_str()))
        })
}

/// One response on the wire: `data` left out on a request error.
#[derive(Serialize)]
struct Wire<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a async_graphql::Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [async_graphql::ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
}

impl<'a> From<&'a Response> for Wire<'a> {
    fn from(r: &'a Response) -> Self {
        let data = (!is_request_error(r)).then_some(&r.data);
        Wire { data, errors: &r.errors, extensions: &r.extensions }
    }
}

/// The JSON body of a single or batched response.
pub fn body(batch: &BatchResponse) -> serde_json::Result<String> {
    match batch {
        BatchResponse::Single(r) => serde_json::to_string(&Wire::from(r)),
        BatchResponse::Batch(rs) => serde_json::to_string(&rs.iter().map(Wire::from).collect::<Vec<_>>()),
    }
}
