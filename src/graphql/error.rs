//! The one place internal errors become client-facing GraphQL errors.
//!
//! Every error carries a stable `extensions.code`. Internal errors are masked: the
//! client sees a request id and nothing else (no SQL, paths or secrets), and the
//! cause chain is logged under the same request id. `ApiError` deliberately does not
//! implement `Display`, so async-graphql's blanket "any Display becomes an error
//! message" conversion can never leak one verbatim.

use async_graphql::ErrorExtensions;

use crate::domain::IdError;
use crate::providers::ProviderError;
use crate::store::StoreError;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Run `fut` with `id` as the request id that masked errors report.
pub async fn with_request_id<F: std::future::Future>(id: String, fut: F) -> F::Output {
    REQUEST_ID.scope(id, fut).await
}

/// The request id of the request being served, or `-` outside one.
pub fn current_request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_else(|_| "-".to_owned())
}

/// Largest page any list returns.
pub const MAX_PAGE_SIZE: i32 = 100;

/// Errors a resolver returns.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// An argument is invalid (`BAD_USER_INPUT`).
    BadInput(String),
    /// An id is not one bspgraph issued, or names another type (`INVALID_ID`).
    BadId(IdError),
    /// The object does not exist, or the caller may not see it (`NOT_FOUND`).
    NotFound,
    /// A pagination cursor is not one bspgraph issued (`BAD_CURSOR`).
    BadCursor,
    /// `first` is above the cap (`PAGE_SIZE_EXCEEDED`).
    PageSize(i32),
    /// A provider call failed: an outage, a refusal or a timeout. The code and the
    /// extensions come from [`ProviderError::extensions`] (never credentials or URLs).
    Provider(std::sync::Arc<ProviderError>),
    /// Anything else: masked, logged with its cause (`INTERNAL`).
    Internal(std::sync::Arc<anyhow::Error>),
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        Self::Internal(std::sync::Arc::new(err.into()))
    }
}

impl From<ProviderError> for ApiError {
    fn from(err: ProviderError) -> Self {
        Self::Provider(std::sync::Arc::new(err))
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(std::sync::Arc::new(err))
    }
}

impl From<std::sync::Arc<StoreError>> for ApiError {
    fn from(err: std::sync::Arc<StoreError>) -> Self {
        Self::Internal(std::sync::Arc::new(anyhow::anyhow!("{err:#}")))
    }
}

impl ApiError {
    /// The stable `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadInput(_) => "BAD_USER_INPUT",
            Self::BadId(_) => "INVALID_ID",
            Self::NotFound => "NOT_FOUND",
            Self::BadCursor => "BAD_CURSOR",
            Self::PageSize(_) => "PAGE_SIZE_EXCEEDED",
            Self::Provider(e) => e.code(),
            Self::Internal(_) => "INTERNAL",
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        let code = err.code();
        let message = match err {
            ApiError::BadInput(msg) => msg,
            ApiError::BadId(e) => format!("invalid id: {e}"),
            ApiError::NotFound => "not found".to_owned(),
            ApiError::BadCursor => "invalid cursor: pass a cursor returned by this API".to_owned(),
            ApiError::PageSize(n) => {
                format!("first must be between 0 and {MAX_PAGE_SIZE}, got {n}")
            }
            ApiError::Provider(e) => {
                tracing::warn!(request_id = %current_request_id(), error = %e, "provider call failed");
                let message = format!("{} call failed ({})", e.provider(), e.code());
                return async_graphql::Error::new(message).extend_with(|_, ext| {
                    for (key, value) in e.extensions() {
                        if let Ok(value) = async_graphql::Value::from_json(value) {
                            ext.set(key, value);
                        }
                    }
                    ext.set("requestId", current_request_id());
                });
            }
            ApiError::Internal(cause) => {
                let request_id = current_request_id();
                tracing::error!(%request_id, error = format!("{cause:#}"), "internal error");
                let message = format!("internal error (request id {request_id})");
                return async_graphql::Error::new(message).extend_with(|_, ext| {
                    ext.set("code", code);
                    ext.set("requestId", request_id.clone());
                });
            }
        };
        async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", code))
    }
}

/// Resolver result.
pub type ApiResult<T> = Result<T, ApiError>;
