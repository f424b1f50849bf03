//! The GraphQL-over-HTTP handler: `POST /graphql` (JSON, batches capped) and
//! `GET /graphql` (queries only). It checks content type, body size, batch size and
//! `Accept`, passes each operation through `graphql::admit` (size, nesting, cost and
//! input checks), runs it with fresh DataLoaders under a timeout, counts
//! errors by code and picks the status code the GraphQL-over-HTTP spec asks for.
//! A single query is first looked up in the response cache (`response_cache.rs`).

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, Request as GqlRequest, Response as GqlResponse};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::json;

use super::wire;
use crate::auth::Caller;
use crate::graphql::{add_missing_codes, current_request_id, Access, Loaders, Shape};
use crate::response_cache::{NoStore, ResponseCache, Ticket};
use crate::web::state::AppState;

const JSON: &str = "application/json";
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// A request refused before any GraphQL runs, as a GraphQL-shaped error body.
fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code, "requestId": current_request_id() } }] });
    (status, [(header::CONTENT_TYPE, JSON)], body.to_string()).into_response()
}

/// Which media type the client accepts for the response; a 406 refusal when neither.
#[allow(clippy::result_large_err)] // the error is the response itself, returned at once
fn negotiate(headers: &HeaderMap) -> Result<&'static str, Response> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(JSON);
    };
    let types: Vec<&str> = accept.split(',').map(|t| t.split(';').next().unwrap_or("").trim()).collect();
    if types.contains(&GRAPHQL_RESPONSE) {
        Ok(GRAPHQL_RESPONSE)
    } else if types.iter().any(|t| matches!(*t, JSON | "*/*" | "application/*")) {
        Ok(JSON)
    } else {
        let message = "accept application/json or application/graphql-response+json";
        Err(refuse(StatusCode::NOT_ACCEPTABLE, "NOT_ACCEPTABLE", message))
    }
}

async fn execute(state: &AppState, access: &Access, request: GqlRequest) -> GqlResponse {
    execute_noting(state, access, request, None).await.0
}

/// Execute, and say whether the response may be cached: a document of queries only,
/// answered without errors, that read the store at a generation `ticket` holds, and
/// that no resolver marked [`NoStore`].
async fn execute_noting(
    state: &AppState,
    access: &Access,
    mut request: GqlRequest,
    ticket: Option<Ticket>,
) -> (GqlResponse, bool) {
    // Size, nesting, parse, cost, input and enum-literal checks (the schema reuses the
    // parsed document).
    if let Err(errors) = crate::graphql::admit(&state.schema, &mut request) {
        return (counted(state, GqlResponse::from_errors(errors)), false);
    }
    let queries_only =
        request.parsed_query().is_ok_and(|doc| doc.operations.iter().all(|(_, op)| op.node.ty == OperationType::Query));
    let mut shape = Shape::of(&request);
    // The load cache needs the generation too: its resolvers pin it in a ticket.
    let ticket = ticket.or_else(|| state.load_cache.as_ref().map(|_| Ticket::default()));
    let loaders = match (&state.load_cache, &ticket) {
        (Some(cache), Some(ticket)) => Loaders::cached(state.store.clone(), cache.clone(), ticket.clone()),
        _ => Loaders::new(state.store.clone()),
    };
    let no_store = NoStore::default();
    let mut request = request.data(loaders.clone()).data(access.clone()).data(no_store.clone());
    if let Some(ticket) = &ticket {
        request = request.data(ticket.clone());
    }
    let mut response = match tokio::time::timeout(
        state.settings.request_timeout(),
        loaders.drive(state.schema.execute(request)),
    )
    .await
    {
        Ok(response) => response,
        Err(_) => {
            let err = async_graphql::ServerError::new("the request took too long and was stopped", None);
            let mut resp = GqlResponse::from_errors(vec![err]);
            if let Some(e) = resp.errors.first_mut() {
                e.extensions.get_or_insert_with(Default::default).set("code", "TIMEOUT");
            }
            resp
        }
    };
    add_missing_codes(&mut response);
    shape.apply(&mut response);
    let cacheable = queries_only && response.errors.is_empty() && !no_store.marked();
    (counted(state, response), cacheable)
}

/// One operation (not a batch), answered from the response cache while the data
/// generation its entry was computed at is current, else executed and, when
/// cacheable, kept. Only a document that passed admission and validation reaches the
/// store: a key in the cache passed both when its entry was made (they depend only on
/// what the key holds), and any other request reads the generation from its first
/// reading resolver (`Ticket`), which runs only after validation.
async fn single(state: &AppState, access: &Access, media: &'static str, request: GqlRequest) -> Response {
    let Some(cache) = &state.response_cache else {
        return respond(media, BatchResponse::Single(execute(state, access, request).await));
    };
    let key = ResponseCache::key(&request, &access.cache_scope());
    let ticket = if cache.contains(&key) {
        match state.store.data_generation().await {
            Ok(generation) => match cache.get(&key, generation) {
                Some(body) => return (StatusCode::OK, [(header::CONTENT_TYPE, media)], body).into_response(),
                None => Ticket::at(generation),
            },
            Err(e) => {
                tracing::warn!(error = %e, "data generation unreadable; response not cached");
                return respond(media, BatchResponse::Single(execute(state, access, request).await));
            }
        }
    } else {
        Ticket::default()
    };
    let (response, cacheable) = execute_noting(state, access, request, Some(ticket.clone())).await;
    let Some(generation) = ticket.generation().filter(|_| cacheable) else {
        return respond(media, BatchResponse::Single(response));
    };
    match wire::body(&BatchResponse::Single(response)) {
        Ok(body) => {
            let body = Bytes::from(body);
            cache.put(key, generation, body.clone());
            (StatusCode::OK, [(header::CONTENT_TYPE, media)], body).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "response serialization failed");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "internal error")
        }
    }
}

/// `response`, its errors counted by code.
fn counted(state: &AppState, response: GqlResponse) -> GqlResponse {
    for err in &response.errors {
        let code =
            err.extensions.as_ref().and_then(|e| e.get("code")).map(|c| c.to_string().trim_matches('"').to_owned());
        state.metrics.graphql_error(code.as_deref().unwrap_or("UNKNOWN"));
    }
    response
}

/// Resolve a persisted-query hash (APQ); a miss is answered without running anything.
#[allow(clippy::result_large_err)] // the error is the response itself, returned at once
fn persisted(state: &AppState, mut request: GqlRequest) -> Result<GqlRequest, GqlResponse> {
    match state.persisted.resolve(&mut request) {
        Ok(()) => Ok(request),
        Err(miss) => {
            let (message, code) = miss.describe();
            state.metrics.graphql_error(code);
            let mut err = async_graphql::ServerError::new(message, None);
            err.extensions.get_or_insert_with(Default::default).set("code", code);
            Err(GqlResponse::from_errors(vec![err]))
        }
    }
}

/// Resolve the persisted query, then execute.
async fn run(state: &AppState, access: &Access, request: GqlRequest) -> GqlResponse {
    match persisted(state, request) {
        Ok(request) => execute(state, access, request).await,
        Err(miss) => miss,
    }
}

fn respond(media: &'static str, batch: BatchResponse) -> Response {
    let status = match &batch {
        BatchResponse::Single(r) => wire::status(r, media == GRAPHQL_RESPONSE),
        BatchResponse::Batch(_) => StatusCode::OK,
    };
    match wire::body(&batch) {
        Ok(body) => (status, [(header::CONTENT_TYPE, media)], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "response serialization failed");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "internal error")
        }
    }
}

/// The caller the auth middleware admitted (anonymous when the layer is absent).
fn access(state: &AppState, caller: Option<Extension<Caller>>) -> Access {
    Access {
        caller: caller.map_or(Caller::Anonymous, |Extension(c)| c),
        dev: state.settings.security.dev(),
        signer: state.gate.authenticator.signer().clone(),
    }
}

/// `POST /graphql`.
pub async fn post_graphql(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let access = access(&state, caller);
    let media = match negotiate(&headers) {
        Ok(media) => media,
        Err(refusal) => return refusal,
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.split(';').next().map(str::trim) != Some(JSON) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the request as application/json",
        );
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let message = format!("the request body is larger than {} bytes", state.settings.max_body_bytes);
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", &message);
        }
        Err(_) => return refuse(StatusCode::BAD_REQUEST, "BAD_REQUEST", "the request body could not be read"),
    };
    let batch = match wire::decode_body(&body) {
        Ok(batch) => batch,
        Err(refusal) => return refuse(StatusCode::BAD_REQUEST, refusal.code, &refusal.message),
    };
    match batch {
        BatchRequest::Single(request) => match persisted(&state, request) {
            Ok(request) => single(&state, &access, media, request).await,
            Err(miss) => respond(media, BatchResponse::Single(miss)),
        },
        BatchRequest::Batch(requests) => {
            if requests.is_empty() || requests.len() > state.settings.max_batch {
                let message = format!("a batch holds 1 to {} operations", state.settings.max_batch);
                return refuse(StatusCode::BAD_REQUEST, "BATCH_LIMIT_EXCEEDED", &message);
            }
            let mut responses = Vec::with_capacity(requests.len());
            for request in requests {
                responses.push(run(&state, &access, request).await);
            }
            respond(media, BatchResponse::Batch(responses))
        }
    }
}

/// Whether every operation in the document is a query. GET refuses a document that
/// holds any mutation or subscription, whichever operation it names: safe whatever
/// the client sends as the operation name.
fn only_queries(state: &AppState, request: &GqlRequest) -> bool {
    let Ok(doc) = crate::graphql::guarded_parse(&state.schema, &request.query) else {
        return true; // execution reports the refusal
    };
    doc.operations.iter().all(|(_, op)| op.node.ty == OperationType::Query)
}

/// `GET /graphql?query=...`.
pub async fn get_graphql(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let access = access(&state, caller);
    let media = match negotiate(&headers) {
        Ok(media) => media,
        Err(refusal) => return refusal,
    };
    let request = match wire::decode_get(query.as_deref().unwrap_or("")) {
        Ok(request) => request,
        Err(refusal) => return refuse(StatusCode::BAD_REQUEST, refusal.code, &refusal.message),
    };
    let request = match persisted(&state, request) {
        Ok(request) => request,
        Err(miss) => return respond(media, BatchResponse::Single(miss)),
    };
    if !only_queries(&state, &request) {
        let mut response =
            refuse(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "only queries may be sent with GET; use POST");
        response.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return response;
    }
    single(&state, &access, media, request).await
}
