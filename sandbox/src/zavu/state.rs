//! The Zavu simulator's state and its invitation state machine, plus the wire
//! rendering of each object (camelCase, ISO timestamps).

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::ZavuSimConfig;
use crate::sign;
use crate::{iso, random_digits, random_id, SimAction, SimError};

/// The simulated partner project.
pub const PROJECT_ID: &str = "prj_sandbox";

/// Which signatures `X-Zavu-Signature` carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureScheme {
    /// `v1` = HMAC(body).
    V1,
    /// `v2` = HMAC("{t}.{body}") (Zavu's default for new webhooks).
    V2,
    /// Both, one shared `t` (migration mode).
    V1V2,
}

impl SignatureScheme {
    /// The header value for `body` signed at unix second `t`.
    pub fn header(self, secret: &str, t: i64, body: &str) -> String {
        let v1 = || hex::encode(sign(secret.as_bytes(), &[body.as_bytes()]));
        let v2 = || hex::encode(sign(secret.as_bytes(), &[t.to_string().as_bytes(), b".", body.as_bytes()]));
        match self {
            Self::V1 => format!("t={t},v1={}", v1()),
            Self::V2 => format!("t={t},v2={}", v2()),
            Self::V1V2 => format!("t={t},v1={},v2={}", v1(), v2()),
        }
    }
}

/// A stored invitation; `status` is the stored one (expiry is applied on read).
#[derive(Debug, Clone)]
pub struct Invitation {
    pub id: String,
    pub token: String,
    pub status: &'static str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub client_name: Option<String>,
    pub client_email: Option<String>,
    pub client_phone: Option<String>,
    pub phone_number_id: Option<String>,
    pub connection_type: &'static str,
    pub sender_id: Option<String>,
    pub waba_id: Option<String>,
    pub connected_account: Value,
    pub failure_reason: Option<String>,
    pub viewed_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
}

impl Invitation {
    /// A new pending WhatsApp invitation with no client details.
    pub fn pending(now: DateTime<Utc>, days: i64) -> Self {
        Self {
            id: format!("inv_{}", random_id(16)),
            token: random_id(24),
            status: "pending",
            created_at: now,
            updated_at: now,
            expires_at: now + Duration::days(days),
            client_name: None,
            client_email: None,
            client_phone: None,
            phone_number_id: None,
            connection_type: "whatsapp_waba",
            sender_id: None,
            waba_id: None,
            connected_account: Value::Null,
            failure_reason: None,
            viewed_at: None,
            started_at: None,
            completed_at: None,
            failed_at: None,
        }
    }

    /// The status a reader sees at `now`.
    pub fn status_at(&self, now: DateTime<Utc>) -> &'static str {
        match self.status {
            "pending" | "in_progress" if now >= self.expires_at => "expired",
            s => s,
        }
    }

    /// The wire `Invitation` object.
    pub fn wire(&self, link_base: &str, now: DateTime<Utc>) -> Value {
        let ts = |t: &Option<DateTime<Utc>>| t.map(iso);
        json!({
            "id": self.id, "token": self.token, "url": format!("{link_base}{}", self.token),
            "status": self.status_at(now),
            "createdAt": iso(self.created_at), "updatedAt": iso(self.updated_at), "expiresAt": iso(self.expires_at),
            "clientName": self.client_name, "clientEmail": self.client_email, "clientPhone": self.client_phone,
            "phoneNumberId": self.phone_number_id, "senderId": self.sender_id,
            "connectionType": self.connection_type, "connectedAccount": self.connected_account,
            "failureReason": self.failure_reason,
            "viewedAt": ts(&self.viewed_at), "startedAt": ts(&self.started_at),
            "completedAt": ts(&self.completed_at), "failedAt": ts(&self.failed_at),
        })
    }
}

/// An owned phone number.
#[derive(Debug, Clone)]
pub struct PhoneNumber {
    pub id: String,
    pub number: String,
    pub sender_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl PhoneNumber {
    pub fn wire(&self) -> Value {
        json!({
            "id": self.id, "phoneNumber": self.number, "capabilities": ["sms", "voice", "whatsapp"],
            "createdAt": iso(self.created_at), "status": "active", "senderId": self.sender_id,
            "pricing": { "isFreeNumber": false, "monthlyCost": 100, "monthlyPrice": 1.0, "upfrontCost": 0 },
        })
    }
}

/// The project invitation webhook.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
}

/// Everything the simulator remembers.
pub struct State {
    pub invitations: Vec<Invitation>,
    /// Senders as wire objects (a Zavu sender is returned bare).
    pub senders: Vec<Value>,
    pub phone_numbers: Vec<PhoneNumber>,
    pub webhook: Option<WebhookConfig>,
}

impl State {
    pub fn new(_config: &ZavuSimConfig) -> Self {
        let now = Utc::now();
        let phone_numbers = (0..2)
            .map(|i| PhoneNumber {
                id: format!("pn_sandbox{i}"),
                number: format!("+1555010{i:04}"),
                sender_id: None,
                created_at: now,
            })
            .collect();
        Self { invitations: Vec::new(), senders: Vec::new(), phone_numbers, webhook: None }
    }

    pub fn invitation_mut(&mut self, id: &str) -> Result<&mut Invitation, SimError> {
        self.invitations.iter_mut().find(|i| i.id == id).ok_or(SimError::NotFound)
    }

    /// Apply a control action; returns the (previous status, invitation) pairs to announce.
    pub fn simulate(
        &mut self,
        id: &str,
        action: SimAction,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, Invitation)>, SimError> {
        let inv = self.invitation_mut(id)?;
        let current = inv.status_at(now);
        let mut changes = Vec::new();
        let step = |inv: &mut Invitation, to: &'static str| {
            let previous = inv.status_at(now).to_owned();
            inv.status = to;
            inv.updated_at = now;
            (previous, to)
        };
        match (action, current) {
            (SimAction::Expire, "pending" | "in_progress") => {
                inv.expires_at = now - Duration::seconds(1);
                return Ok(changes);
            }
            (SimAction::Start, "pending" | "failed") => {
                inv.viewed_at.get_or_insert(now);
                inv.started_at = Some(now);
                let (p, _) = step(inv, "in_progress");
                changes.push((p, inv.clone()));
            }
            (SimAction::Complete | SimAction::Fail, "pending" | "in_progress" | "failed") => {
                if current != "in_progress" {
                    inv.viewed_at.get_or_insert(now);
                    inv.started_at = Some(now);
                    let (p, _) = step(inv, "in_progress");
                    changes.push((p, inv.clone()));
                }
                if action == SimAction::Fail {
                    inv.failure_reason = Some("fb_cancelled".into());
                    inv.failed_at = Some(now);
                    let (p, _) = step(inv, "failed");
                    changes.push((p, inv.clone()));
                } else {
                    let inv_id = inv.id.clone();
                    self.complete(&inv_id, now, &mut changes)?;
                }
            }
            (SimAction::Start | SimAction::Complete | SimAction::Fail | SimAction::Expire, s) => {
                return Err(SimError::NotAllowed(format!("invitation is {s}")));
            }
            (a, _) => return Err(SimError::NotAllowed(format!("{a:?} is not a Zavu step"))),
        }
        Ok(changes)
    }

    /// Complete invitation `id`: a WhatsApp invitation connects a Meta phone number (a
    /// sender with a `whatsapp` block and a WABA); a `messenger` one connects a Facebook
    /// Page (`connectedAccount.channel: messenger`, its id a Page id, no WABA), and its
    /// sender sends on `messenger` only.
    fn complete(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
        changes: &mut Vec<(String, Invitation)>,
    ) -> Result<(), SimError> {
        let sender_id = format!("snd_{}", random_id(10));
        let meta_id = random_digits(15);
        let inv = self.invitation_mut(id)?;
        let messenger = inv.connection_type == "messenger";
        let number = inv.phone_number_id.clone().unwrap_or_default();
        let name = inv.client_name.clone().unwrap_or_else(|| "Sandbox customer".into());
        let channel = if messenger { "messenger" } else { "whatsapp" };
        inv.sender_id = Some(sender_id.clone());
        inv.waba_id = (!messenger).then(|| random_digits(15));
        inv.connected_account = json!({ "id": meta_id, "channel": channel, "name": name });
        inv.completed_at = Some(now);
        inv.failure_reason = None;
        inv.status = "completed";
        inv.updated_at = now;
        changes.push(("in_progress".into(), inv.clone()));
        let phone = match self.phone_numbers.iter_mut().find(|p| p.id == number) {
            Some(p) => {
                p.sender_id = Some(sender_id.clone());
                p.number.clone()
            }
            None => format!("+1555{}", random_digits(7)),
        };
        let mut sender = json!({
            "id": sender_id, "name": name, "phoneNumber": phone,
            "channels": ["sms", channel], "isDefault": false,
            "createdAt": iso(now), "updatedAt": iso(now),
        });
        if !messenger {
            sender["whatsapp"] = json!({ "phoneNumberId": meta_id, "displayPhoneNumber": phone,
                "paymentStatus": { "setupStatus": "complete", "methodStatus": "valid", "canSendTemplates": true } });
        }
        self.senders.push(sender);
        Ok(())
    }
}
