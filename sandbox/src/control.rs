//! The control surface: one [`Sandbox`] holding the three simulators, the router that
//! mounts them, and [`Sandbox::simulate`], which moves a simulated customer through a
//! provider's real flow (behind the control API, and called directly by tests).
//! Fault injection and the request recorder are on each simulator's `core`.

use std::sync::Arc;

use axum::Router;

use super::sendzen::{SendzenSim, SendzenSimConfig};
use super::sinch::{SinchSim, SinchSimConfig};
use super::zavu::{ZavuSim, ZavuSimConfig};

/// Which simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimProvider {
    /// Zavu.
    Zavu,
    /// Sinch.
    Sinch,
    /// SendZen.
    Sendzen,
}

impl SimProvider {
    /// All three, in a fixed order.
    pub const ALL: [Self; 3] = [Self::Zavu, Self::Sinch, Self::Sendzen];

    /// The provider a control path names (`zavu`, `sinch`, `sendzen`).
    pub fn from_path(name: &str) -> Option<Self> {
        match name {
            "zavu" => Some(Self::Zavu),
            "sinch" => Some(Self::Sinch),
            "sendzen" => Some(Self::Sendzen),
            _ => None,
        }
    }
}

/// A step of a simulated customer or of Meta (the control API's `action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimAction {
    /// The customer opens the link / starts signup; Sinch: account or sender moves on.
    Start,
    /// The customer finishes (Zavu, SendZen); Sinch: sender becomes ACTIVE.
    Complete,
    /// The customer abandons or errors.
    Fail,
    /// The link expires (Zavu: silently, no webhook).
    Expire,
    /// The provider rejects (Sinch account or sender).
    Reject,
    /// Meta approves the on-behalf-of request (Sinch account -> ONBOARDED).
    Approve,
    /// The sender becomes ACTIVE (Sinch).
    Activate,
    /// The sender is suspended (Sinch).
    Suspend,
}

/// Why a control action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// No such object in the simulator.
    #[error("no such object in the sandbox")]
    NotFound,
    /// The object's state does not allow the action.
    #[error("not allowed: {0}")]
    NotAllowed(String),
}

/// What an applied control action left behind.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulated {
    /// The object as the provider's API now shows it (a Zavu invitation, a Sinch sender
    /// or account; SendZen, which has no read API: the result, else null).
    pub state: serde_json::Value,
    /// What the customer's browser is shown, where the provider shows it something
    /// (SendZen's iframe result, relayed by the partner's page), else null.
    pub customer_sees: serde_json::Value,
}

/// Credentials and webhook targets of the three simulators.
#[derive(Debug, Clone, Default)]
pub struct SandboxConfig {
    /// Zavu simulator settings.
    pub zavu: ZavuSimConfig,
    /// Sinch simulator settings.
    pub sinch: SinchSimConfig,
    /// SendZen simulator settings.
    pub sendzen: SendzenSimConfig,
}

/// The three simulators.
#[derive(Clone)]
pub struct Sandbox {
    /// Zavu.
    pub zavu: Arc<ZavuSim>,
    /// Sinch.
    pub sinch: Arc<SinchSim>,
    /// SendZen.
    pub sendzen: Arc<SendzenSim>,
}

impl Sandbox {
    /// Fresh simulators.
    pub fn new(config: SandboxConfig) -> Self {
        Self {
            zavu: ZavuSim::new(config.zavu),
            sinch: SinchSim::new(config.sinch),
            sendzen: SendzenSim::new(config.sendzen),
        }
    }

    /// `/sandbox/zavu`, `/sandbox/sinch` and `/sandbox/sendzen`, and the control API
    /// under `/sandbox/control` (see `control_api`), ready to merge into the app or to
    /// serve alone (`bspgraph sandbox`).
    pub fn router(&self) -> Router {
        Router::new()
            .nest("/sandbox/zavu", self.zavu.router())
            .nest("/sandbox/sinch", self.sinch.router())
            .nest("/sandbox/sendzen", self.sendzen.router())
            .merge(super::control_api::router(self.clone()))
    }

    /// Apply `action` to the object `id` at `provider`: a Zavu invitation id; a Sinch
    /// sender id or (sub)project id (for the account); a SendZen client identifier or
    /// project id.
    pub fn simulate(&self, provider: SimProvider, id: &str, action: SimAction) -> Result<Simulated, SimError> {
        let null = serde_json::Value::Null;
        Ok(match provider {
            SimProvider::Zavu => Simulated { state: self.zavu.simulate(id, action)?, customer_sees: null },
            SimProvider::Sinch => Simulated { state: self.sinch.simulate(id, action)?, customer_sees: null },
            // SendZen has no read API: its state is the result its iframe shows.
            SimProvider::Sendzen => {
                let shown = self.sendzen.simulate(id, action)?;
                Simulated { state: shown.clone(), customer_sees: shown }
            }
        })
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sandbox")
    }
}
