//! One error taxonomy for all three providers, and the one function that turns it
//! into GraphQL `extensions`. Nothing here carries a credential, a token or a URL:
//! transport errors are reduced to their kind before they become a `ProviderError`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::domain::Provider;

/// What went wrong talking to a provider.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// The provider refused our credentials (401/403), or there are none.
    #[error("{provider}: authentication failed (HTTP {status})")]
    Authentication {
        /// Provider.
        provider: Provider,
        /// HTTP status (401 or 403).
        status: u16,
        /// The provider's error code, when it sent one.
        code: Option<String>,
    },
    /// The object does not exist at the provider.
    #[error("{provider}: not found: {message}")]
    NotFound {
        /// Provider.
        provider: Provider,
        /// The provider's error code.
        code: Option<String>,
        /// The provider's message.
        message: String,
    },
    /// The provider rejected the input (4xx other than auth/404/409/429).
    #[error("{provider}: invalid request ({code}): {message}")]
    InvalidRequest {
        /// Provider.
        provider: Provider,
        /// HTTP status.
        status: u16,
        /// The provider's error code, kept verbatim.
        code: String,
        /// The provider's message.
        message: String,
    },
    /// The object is in a state that forbids the operation (409 and friends).
    #[error("{provider}: conflict ({code}): {message}")]
    Conflict {
        /// Provider.
        provider: Provider,
        /// HTTP status.
        status: u16,
        /// The provider's error code, kept verbatim.
        code: String,
        /// The provider's message.
        message: String,
    },
    /// The provider (or our own limiter) said slow down.
    #[error("{provider}: rate limited")]
    RateLimited {
        /// Provider.
        provider: Provider,
        /// How long the provider asked us to wait.
        retry_after: Option<Duration>,
        /// The provider's error code.
        code: Option<String>,
    },
    /// 5xx answers or transport failures (connection refused, reset, TLS).
    #[error("{provider}: unavailable: {message}")]
    Unavailable {
        /// Provider.
        provider: Provider,
        /// HTTP status, when there was an answer.
        status: Option<u16>,
        /// What happened, without URLs.
        message: String,
    },
    /// No answer within the timeout on a read or an idempotent write.
    #[error("{provider}: timed out")]
    Timeout {
        /// Provider.
        provider: Provider,
    },
    /// A create timed out or lost its connection after being sent: it may or may not
    /// exist at the provider. Look it up before creating again.
    #[error("{provider}: outcome of {operation} unknown after a timeout")]
    UncertainCreate {
        /// Provider.
        provider: Provider,
        /// The create operation (`create_invitation`, ...).
        operation: &'static str,
    },
    /// The provider answered 2xx with a body we cannot read.
    #[error("{provider}: unreadable response: {message}")]
    Decode {
        /// Provider.
        provider: Provider,
        /// What did not parse.
        message: String,
    },
    /// The provider is not configured in production mode (no credentials): nothing
    /// is sent to it and nothing it sends is accepted.
    #[error("{provider} is disabled (no credentials configured)")]
    Disabled {
        /// Provider.
        provider: Provider,
    },
    /// The provider has no such operation.
    #[error("{provider} does not support {operation}")]
    Unsupported {
        /// Provider.
        provider: Provider,
        /// The operation asked for.
        operation: &'static str,
    },
}

impl ProviderError {
    /// The provider the error came from.
    pub fn provider(&self) -> Provider {
        match self {
            Self::Authentication { provider, .. }
            | Self::NotFound { provider, .. }
            | Self::InvalidRequest { provider, .. }
            | Self::Conflict { provider, .. }
            | Self::RateLimited { provider, .. }
            | Self::Unavailable { provider, .. }
            | Self::Timeout { provider }
            | Self::UncertainCreate { provider, .. }
            | Self::Decode { provider, .. }
            | Self::Disabled { provider }
            | Self::Unsupported { provider, .. } => *provider,
        }
    }

    /// The stable `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Authentication { .. } => "PROVIDER_AUTHENTICATION",
            Self::NotFound { .. } => "PROVIDER_NOT_FOUND",
            Self::InvalidRequest { .. } => "PROVIDER_INVALID_REQUEST",
            Self::Conflict { .. } => "PROVIDER_CONFLICT",
            Self::RateLimited { .. } => "PROVIDER_RATE_LIMITED",
            Self::Unavailable { .. } => "PROVIDER_UNAVAILABLE",
            Self::Timeout { .. } => "PROVIDER_TIMEOUT",
            Self::UncertainCreate { .. } => "PROVIDER_UNCERTAIN_CREATE",
            Self::Decode { .. } => "PROVIDER_DECODE",
            Self::Disabled { .. } => "PROVIDER_DISABLED",
            Self::Unsupported { .. } => "UNSUPPORTED",
        }
    }

    /// The provider's HTTP status, where there was one.
    pub fn provider_status(&self) -> Option<u16> {
        match self {
            Self::Authentication { status, .. }
            | Self::InvalidRequest { status, .. }
            | Self::Conflict { status, .. } => Some(*status),
            Self::NotFound { .. } => Some(404),
            Self::RateLimited { .. } => Some(429),
            Self::Unavailable { status, .. } => *status,
            _ => None,
        }
    }

    /// The provider's own error code, where it sent one.
    pub fn provider_code(&self) -> Option<&str> {
        match self {
            Self::Authentication { code, .. } | Self::NotFound { code, .. } | Self::RateLimited { code, .. } => {
                code.as_deref()
            }
            Self::InvalidRequest { code, .. } | Self::Conflict { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether the error says the provider itself is in trouble (drives `healthy`).
    /// Answers about our input (404, 400, 409) mean the provider is fine.
    pub fn is_outage(&self) -> bool {
        matches!(
            self,
            Self::Authentication { .. }
                | Self::RateLimited { .. }
                | Self::Unavailable { .. }
                | Self::Timeout { .. }
                | Self::UncertainCreate { .. }
                | Self::Decode { .. }
        )
    }

    /// GraphQL `extensions` for this error: `code`, `provider`, and where known
    /// `providerStatus`, `providerCode`, `retryAfterSeconds`, `operation`.
    /// The one place the mapping lives; it never includes credentials or URLs.
    pub fn extensions(&self) -> Vec<(&'static str, Value)> {
        let mut ext = vec![("code", json!(self.code())), ("provider", json!(self.provider().as_str()))];
        if let Some(status) = self.provider_status() {
            ext.push(("providerStatus", json!(status)));
        }
        if let Some(code) = self.provider_code() {
            ext.push(("providerCode", json!(code)));
        }
        match self {
            Self::RateLimited { retry_after: Some(d), .. } => {
                ext.push(("retryAfterSeconds", json!(d.as_secs_f64().ceil() as u64)))
            }
            Self::UncertainCreate { operation, .. } | Self::Unsupported { operation, .. } => {
                ext.push(("operation", json!(operation)));
            }
            _ => {}
        }
        ext
    }
}

/// Why a webhook delivery was refused. Every variant means "answer 401, store nothing"
/// except [`WebhookError::Payload`], which is a signed but unreadable body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// No secret is configured, or it is empty: nothing can verify.
    #[error("no webhook secret configured")]
    NoSecret,
    /// The signature header is missing or empty.
    #[error("missing signature")]
    MissingSignature,
    /// The signature header cannot be parsed, or a signature is not 32 bytes.
    #[error("malformed signature header")]
    MalformedSignature,
    /// The header carries more signatures than are ever read (refused before any HMAC).
    #[error("too many signatures in the header")]
    TooManySignatures,
    /// The timestamp is outside the accepted window.
    #[error("timestamp outside the accepted window")]
    Stale,
    /// No signature matches.
    #[error("signature mismatch")]
    BadSignature,
    /// Verified, but the body is not a payload we understand.
    #[error("unreadable payload: {0}")]
    Payload(String),
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn extensions_carry_provider_code_and_status_but_no_message() {
        let err = ProviderError::Conflict {
            provider: Provider::Zavu,
            status: 409,
            code: "already_completed".into(),
            message: "secret-looking text".into(),
        };
        let ext = err.extensions();
        let text = serde_json::to_string(&ext).unwrap_or_default();
        assert!(text.contains("PROVIDER_CONFLICT") && text.contains("already_completed"));
        assert!(text.contains("409") && text.contains("ZAVU"));
        assert!(!text.contains("secret-looking"));
    }
}
