//! Sinch simulator control: moves accounts and senders through their state machines
//! and sends the matching callbacks.
//!
//! Account (id = project id): START -> `changes.status` PENDING_FACEBOOK_VERIFICATION;
//! APPROVE / COMPLETE -> `state` ONBOARDED with a `wabaId`; REJECT -> `changes.status` REJECTED.
//! Sender (id = sender id): START -> PENDING_VERIFICATION (OBO, customer number);
//! ACTIVATE / COMPLETE -> ACTIVE with a `bearerToken`; REJECT -> `changes.status`
//! REJECTED; FAIL -> `changes.status` ERROR; SUSPEND -> `state` SUSPENDED (no callback:
//! no SUSPENDED trigger is documented).

use serde_json::{json, Value};

use super::provisioning::now;
use super::{SenderRec, SinchSim};
use crate::{lock, random_digits, random_id, SimAction, SimError};

/// Make a sender ACTIVE: settle a pending `changes.details` into `details` (a sender
/// already PENDING_VERIFICATION has its details settled and keeps them), issue a
/// bearer token.
pub(super) fn activate(s: &mut SenderRec) {
    let w = &mut s.wire;
    let pending = w["changes"]["details"].clone();
    if let Some(o) = w.as_object_mut() {
        o.remove("changes");
    }
    w["state"] = json!("ACTIVE");
    if !pending.is_null() {
        w["details"] = pending;
    }
    if w["details"].is_null() {
        w["details"] = json!({ "displayName": "Sandbox sender", "vertical": "OTHER" });
    }
    w["bearerToken"] = json!(random_id(48));
    w["qualityRating"] = json!("GREEN");
    w["maxTps"] = json!(80);
    w["metadata"] = json!({ "displayName": { "value": w["details"]["displayName"], "status": "APPROVED" } });
    if w.get("phoneNumber").is_none() {
        w["countryCode"] = json!("1");
        w["phoneNumber"] = json!(random_digits(10));
    }
    w["modified"] = json!(now());
}

fn set_change(w: &mut Value, status: &str) {
    if let Some(o) = w.as_object_mut() {
        o.remove("state");
    }
    let details = w["changes"]["details"].clone();
    w["changes"] = json!({ "status": status, "details": details });
    w["modified"] = json!(now());
}

impl SinchSim {
    /// Apply a control action to a sender (by id) or an account (by project id);
    /// returns the sender or account as the provisioning API now shows it.
    pub fn simulate(&self, id: &str, action: SimAction) -> Result<Value, SimError> {
        if let Some((project, trigger, payload)) = self.simulate_sender(id, action)? {
            if let Some(t) = trigger {
                self.emit(&project, t, payload.clone());
            }
            return Ok(payload);
        }
        let (trigger, payload) = self.simulate_account(id, action)?;
        self.emit(id, trigger, payload.clone());
        Ok(payload)
    }

    #[allow(clippy::type_complexity)]
    fn simulate_sender(
        &self,
        id: &str,
        action: SimAction,
    ) -> Result<Option<(String, Option<&'static str>, Value)>, SimError> {
        let mut st = lock(&self.state);
        let Some(s) = st.senders.iter_mut().find(|s| s.wire["id"] == id) else { return Ok(None) };
        let state = s.wire["state"].as_str().unwrap_or("").to_owned();
        let change = s.wire["changes"]["status"].as_str().unwrap_or("").to_owned();
        let pending = state.is_empty() && change == "IN_PROGRESS";
        let trigger = match action {
            SimAction::Start if pending && s.wire["numberProvider"] == "CUSTOMER" && s.phone_number_id.is_none() => {
                let details = s.wire["changes"]["details"].clone();
                if let Some(o) = s.wire.as_object_mut() {
                    o.remove("changes");
                }
                s.wire["state"] = json!("PENDING_VERIFICATION");
                s.wire["details"] = details;
                Some("WHATSAPP_SENDER_PENDING_VERIFICATION")
            }
            SimAction::Activate | SimAction::Complete
                if pending || state == "PENDING_VERIFICATION" || state == "INACTIVE" || state == "SUSPENDED" =>
            {
                activate(s);
                Some("WHATSAPP_SENDER_ACTIVE")
            }
            SimAction::Reject if pending => {
                set_change(&mut s.wire, "REJECTED");
                Some("WHATSAPP_SENDER_REJECTED")
            }
            SimAction::Fail if pending => {
                set_change(&mut s.wire, "ERROR");
                s.wire["changes"]["errorCode"] = json!("UNKNOWN_ERROR");
                s.wire["changes"]["errorReason"] = json!("Simulated provisioning failure");
                Some("WHATSAPP_SENDER_ERROR")
            }
            SimAction::Suspend if state == "ACTIVE" => {
                s.wire["state"] = json!("SUSPENDED");
                None
            }
            a => {
                return Err(SimError::NotAllowed(format!(
                    "{a:?} not allowed for a sender in {}",
                    if state.is_empty() { &change } else { &state }
                )))
            }
        };
        let s = st.senders.iter().find(|s| s.wire["id"] == id).ok_or(SimError::NotFound)?;
        Ok(Some((s.project_id.clone(), trigger, s.wire.clone())))
    }

    fn simulate_account(&self, project: &str, action: SimAction) -> Result<(&'static str, Value), SimError> {
        let mut st = lock(&self.state);
        let acc = st.accounts.get_mut(project).ok_or(SimError::NotFound)?;
        let change = acc["changes"]["status"].as_str().unwrap_or("").to_owned();
        let trigger = match action {
            SimAction::Start if change == "IN_PROGRESS" => {
                acc["changes"] = json!({ "status": "PENDING_FACEBOOK_VERIFICATION" });
                "WHATSAPP_ACCOUNT_PENDING_VERIFICATION"
            }
            SimAction::Approve | SimAction::Complete
                if change == "IN_PROGRESS" || change == "PENDING_FACEBOOK_VERIFICATION" =>
            {
                if let Some(o) = acc.as_object_mut() {
                    o.remove("changes");
                }
                acc["state"] = json!("ONBOARDED");
                acc["wabaId"] = json!(random_digits(15));
                "WHATSAPP_ACCOUNT_ONBOARDED"
            }
            SimAction::Reject if !change.is_empty() => {
                acc["changes"] = json!({ "status": "REJECTED" });
                "WHATSAPP_ACCOUNT_REJECTED"
            }
            a => {
                return Err(SimError::NotAllowed(format!(
                    "{a:?} not allowed for an account with changes.status {change:?}"
                )))
            }
        };
        Ok((trigger, acc.clone()))
    }
}
