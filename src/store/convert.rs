//! Table rows to domain values. A stored enum text that names no variant is a
//! corrupt row, reported as [`StoreError::Corrupt`], never a panic.

use std::str::FromStr;

use super::tables::{clients, events, invitations, projects, senders, wabas};
use super::StoreError;
use crate::domain::{Client, Event, Invitation, Project, Sender, Waba};

fn parse<T: FromStr>(text: &str, what: &str) -> Result<T, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt(format!("{what} = {text:?}")))
}

fn required(value: Option<String>, what: &str) -> Result<String, StoreError> {
    value.ok_or_else(|| StoreError::Corrupt(format!("{what} is missing")))
}

impl From<clients::Model> for Client {
    fn from(m: clients::Model) -> Self {
        Self {
            id: m.id,
            external_id: m.external_id,
            name: m.name,
            email: m.email,
            phone: m.phone,
            labels: m.labels,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

impl TryFrom<projects::Model> for Project {
    type Error = StoreError;
    fn try_from(m: projects::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: m.id,
            client_id: m.client_id,
            provider: parse(&m.provider, "projects.provider")?,
            provider_id: required(m.provider_id, "projects.provider_id")?,
            name: m.name,
            has_credentials: m.credentials.is_some(),
            raw: m.raw,
            synced_at: m.synced_at,
        })
    }
}

impl TryFrom<invitations::Model> for Invitation {
    type Error = StoreError;
    fn try_from(m: invitations::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: m.id,
            client_id: m.client_id,
            project_id: m.project_id,
            provider: parse(&m.provider, "invitations.provider")?,
            provider_id: m.provider_id,
            flow: parse(&m.flow, "invitations.flow")?,
            url: m.url,
            status: parse(&m.status, "invitations.status")?,
            provider_status: m.provider_status,
            failure_reason: m.failure_reason,
            expires_at: m.expires_at,
            viewed_at: m.viewed_at,
            started_at: m.started_at,
            completed_at: m.completed_at,
            sender_id: m.sender_id,
            waba_id: m.waba_id,
            raw: m.raw,
            synced_at: m.synced_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

impl TryFrom<senders::Model> for Sender {
    type Error = StoreError;
    fn try_from(m: senders::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: m.id,
            client_id: m.client_id,
            project_id: m.project_id,
            waba_id: m.waba_id,
            provider: parse(&m.provider, "senders.provider")?,
            provider_id: required(m.provider_id, "senders.provider_id")?,
            phone_number: m.phone_number,
            phone_number_id: m.phone_number_id,
            display_name: m.display_name,
            status: parse(&m.status, "senders.status")?,
            provider_status: m.provider_status,
            status_reason: m.status_reason,
            region: m.region,
            quality_rating: m.quality_rating,
            raw: m.raw,
            synced_at: m.synced_at,
        })
    }
}

impl TryFrom<wabas::Model> for Waba {
    type Error = StoreError;
    fn try_from(m: wabas::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: m.id,
            client_id: m.client_id,
            project_id: m.project_id,
            provider: parse(&m.provider, "wabas.provider")?,
            waba_id: m.waba_id,
            name: m.name,
            status: parse(&m.status, "wabas.status")?,
            raw: m.raw,
            synced_at: m.synced_at,
        })
    }
}

impl TryFrom<events::Model> for Event {
    type Error = StoreError;
    fn try_from(m: events::Model) -> Result<Self, StoreError> {
        Ok(Self {
            seq: m.seq,
            at: m.at,
            provider: parse(&m.provider, "events.provider")?,
            node_type: parse(&m.node_type, "events.node_type")?,
            node_id: m.node_id,
            client_id: m.client_id,
            field: m.field,
            previous_value: m.previous_value,
            new_value: m.new_value,
            source: parse(&m.source, "events.source")?,
        })
    }
}

/// Convert a list of rows, failing on the first corrupt one.
pub(crate) fn all<M, T>(rows: Vec<M>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<M, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}
