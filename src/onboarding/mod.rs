//! Onboarding orchestration: the steps that take a customer from invitation to active
//! sender on every provider. One file per provider flow, plus [`advance`] (move a
//! flow forward from what the provider reports now; called by `refresh`,
//! `sandboxSimulate` and the poller), [`observed`] (the steps webhooks and the poller
//! take), [`registration`] (webhook URLs registered with the providers),
//! [`idempotency`] and [`sync`].
//!
//! This module calls providers and the store; it knows nothing of GraphQL. Input
//! problems come back as [`FieldError`]s (field path + stable code), provider outages as
//! [`ProviderError`]s. A failed provider call leaves no rows behind: a client created
//! for the call is deleted again, and rows are written only after the provider answered.

pub mod advance;
mod dispatch;
pub mod idempotency;
mod input;
pub mod observed;
pub mod ownership;
pub mod registration;
pub mod sendzen;
pub mod simulate;
pub mod sinch_es;
pub mod sinch_obo;
pub mod sync;
pub mod zavu;

pub use dispatch::Completion;

use std::sync::Arc;

use crate::domain::{Client, ClientDraft, FieldError, Invitation, InvitationStatus, Provider};
use crate::providers::{ProviderError, Registry};
use crate::secrets::SecretBox;
use crate::store::{Store, StoreError};

pub use input::{ClientRef, PhoneNumberProvider, SinchParams, SinchRegion, StartRequest};
pub use ownership::OWNED_ELSEWHERE;

/// Everything the flows need. Cheap to clone.
#[derive(Clone)]
pub struct Onboarding {
    /// The database.
    pub store: Store,
    /// The provider adapters.
    pub registry: Registry,
    /// The simulators' control API, when a provider is sandboxed: what
    /// `sandboxSimulate` calls over HTTP.
    pub sandbox_control: Option<SandboxControl>,
    /// Seals provider secrets at rest.
    pub secrets: Arc<SecretBox>,
    /// This server's public base URL (for per-client webhook URLs).
    pub public_url: String,
    /// `BSPGRAPH_PUBLIC_URL` when the operator set it: only then are webhook URLs
    /// registered with providers (never a loopback address guessed from the bind).
    pub registered_base: Option<String>,
}

/// Where the simulators' control API answers (`{base}/sandbox/control`), and one HTTP
/// client (with its connection pool) for every call to it.
#[derive(Clone, Debug)]
pub struct SandboxControl {
    /// Base URL of the control API.
    pub url: String,
    /// The client the calls share.
    pub client: reqwest::Client,
}

impl std::fmt::Debug for Onboarding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Onboarding").field("public_url", &self.public_url).finish()
    }
}

/// Why a flow step did not happen.
#[derive(Debug)]
pub enum Failure {
    /// The input or the object's state does not allow it.
    Refused(Vec<FieldError>),
    /// The provider failed (outage, timeout, auth).
    Provider(ProviderError),
    /// The database failed.
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<ProviderError> for Failure {
    /// Provider rejections of the input keep the provider's code; the rest are outages.
    fn from(e: ProviderError) -> Self {
        match e {
            ProviderError::InvalidRequest { code, message, .. } | ProviderError::Conflict { code, message, .. } => {
                let code = if code == "already_completed" { "ALREADY_COMPLETED".to_owned() } else { code };
                Self::Refused(vec![FieldError { field: vec!["input".into()], code, message }])
            }
            other => Self::Provider(other),
        }
    }
}

impl From<FieldError> for Failure {
    fn from(r: FieldError) -> Self {
        Self::Refused(vec![r])
    }
}

/// Result of a flow step.
pub type Outcome<T> = Result<T, Failure>;

/// Run `fut` with its provider calls queued as `client`'s, so one client's burst cannot
/// hold back another's calls (fair turns at each provider's rate limit, see
/// [`crate::providers::fair`]); calls for no client share one queue of their own.
/// Boxed, so the flows' (large) futures are moved once, not copied up every caller's stack.
pub(crate) fn as_client<'a, T>(
    client: Option<i64>,
    fut: impl std::future::Future<Output = T> + Send + 'a,
) -> futures_util::future::BoxFuture<'a, T> {
    match client {
        Some(id) => Box::pin(crate::providers::fair::for_client(id, fut)),
        None => Box::pin(fut),
    }
}

/// `WRONG_STATE` for `field`.
pub(crate) fn wrong_state(field: &[&str], message: impl Into<String>) -> Failure {
    FieldError::at(field, "WRONG_STATE", message).into()
}

/// Refuse changing a finished invitation (`ALREADY_COMPLETED` / `WRONG_STATE`).
pub(crate) fn ensure_open(inv: &Invitation, field: &[&str]) -> Outcome<()> {
    match inv.status {
        InvitationStatus::Completed => {
            Err(FieldError::at(field, "ALREADY_COMPLETED", "the invitation is already completed").into())
        }
        s if s.is_terminal() => Err(wrong_state(field, format!("the invitation is {}", s.as_str()))),
        _ => Ok(()),
    }
}

impl Onboarding {
    /// The client the request names: by id, or created/reused by `externalId`.
    /// Returns whether this call created it (so a failed provider call can undo it).
    pub async fn resolve_client(&self, client: &ClientRef) -> Outcome<(Client, bool)> {
        match client {
            ClientRef::Id(id) => match self.store.clients_by_ids(&[*id]).await?.into_iter().next() {
                Some(c) => Ok((c, false)),
                None => Err(FieldError::at(&["input", "clientId"], "CLIENT_NOT_FOUND", "no client has this id").into()),
            },
            ClientRef::Draft(draft) => self.client_from_draft(draft).await,
        }
    }

    async fn client_from_draft(&self, draft: &ClientDraft) -> Outcome<(Client, bool)> {
        if let Some(ext) = draft.external_id.as_deref() {
            if let Some(found) = self.store.client_by_external_id(ext).await? {
                return Ok((found, false));
            }
        }
        match self.store.create_client(draft.clone()).await {
            Ok(c) => Ok((c, true)),
            // A concurrent call created it first: reuse it.
            Err(StoreError::Duplicate(_)) => {
                let ext = draft.external_id.as_deref().unwrap_or_default();
                let found = self.store.client_by_external_id(ext).await?;
                found.map(|c| (c, false)).ok_or(Failure::Store(StoreError::NotFound("client")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Undo a client this call created when the provider step failed.
    pub async fn undo_client(&self, client: &Client, created: bool) {
        if created {
            if let Err(e) = self.store.delete_new_client(client.id).await {
                tracing::warn!(client_id = client.id, error = %e, "could not remove the client after a failed start");
            }
        }
    }

    /// Start an onboarding (validated request; idempotency is handled by the caller).
    #[tracing::instrument(skip_all, fields(provider = %req.provider))]
    pub async fn start(&self, req: &StartRequest) -> Outcome<Invitation> {
        let (client, created) = self.resolve_client(&req.client).await?;
        let result = as_client(Some(client.id), async {
            match req.provider {
                Provider::Zavu => zavu::start(self, &client, req).await,
                Provider::Sendzen => sendzen::start(self, &client).await,
                Provider::Sinch => match req.sinch.as_ref() {
                    Some(p) if p.is_on_behalf_of() => sinch_obo::start(self, &client, p).await,
                    Some(p) => sinch_es::start(self, &client, p).await,
                    None => Err(FieldError::at(&["input", "sinch"], "REQUIRED", "sinch is required for SINCH").into()),
                },
            }
        })
        .await;
        if result.is_err() {
            self.undo_client(&client, created).await;
        }
        result
    }

    /// The invitation with this row id, or `NOT_FOUND` on `field`.
    pub async fn invitation(&self, id: i64, field: &[&str]) -> Outcome<Invitation> {
        match self.store.invitation(id).await {
            Ok(inv) => Ok(inv),
            Err(StoreError::NotFound(_)) => Err(FieldError::at(field, "NOT_FOUND", "no invitation has this id").into()),
            Err(e) => Err(e.into()),
        }
    }
}
