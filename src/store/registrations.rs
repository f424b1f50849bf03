//! Webhook registrations: what bspgraph registered with each provider, the sealed secret
//! the provider issued for it, and how the last attempt went.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::tables::webhook_registrations as regs;
use super::{Store, StoreError};
use crate::domain::Provider;

/// One provider's registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The provider.
    pub provider: Provider,
    /// The URL registered (or attempted).
    pub target: String,
    /// The issued signing secret, sealed (`secrets::SecretBox`); never in clear.
    pub sealed_secret: Option<Vec<u8>>,
    /// When the registration last succeeded.
    pub registered_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed; `None` when it succeeded.
    pub last_error: Option<String>,
}

impl Store {
    /// Record an attempt: on success `error` is `None`; a failure keeps the time of the
    /// last success. A sealed secret given (issued, or made by bspgraph) replaces the
    /// stored one either way.
    pub async fn record_registration(
        &self,
        provider: Provider,
        target: &str,
        sealed_secret: Option<Vec<u8>>,
        error: Option<String>,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        let ok = error.is_none();
        let row = regs::ActiveModel {
            provider: Set(provider.as_str().to_owned()),
            target: Set(target.to_owned()),
            secret: Set(sealed_secret.clone()),
            registered_at: Set(ok.then_some(now)),
            last_error: Set(error.map(|e| e.chars().take(500).collect())),
            updated_at: Set(now),
        };
        let mut update = vec![regs::Column::Target, regs::Column::LastError, regs::Column::UpdatedAt];
        if ok {
            update.push(regs::Column::RegisteredAt);
        }
        if sealed_secret.is_some() {
            update.push(regs::Column::Secret);
        }
        regs::Entity::insert(row)
            .on_conflict(OnConflict::column(regs::Column::Provider).update_columns(update).to_owned())
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Replace a provider's sealed secret only if it is still `old` (rotation).
    pub async fn replace_registration_secret(
        &self,
        provider: Provider,
        old: &[u8],
        new: Vec<u8>,
    ) -> Result<bool, StoreError> {
        let result = regs::Entity::update_many()
            .col_expr(regs::Column::Secret, sea_orm::sea_query::Expr::value(new))
            .filter(regs::Column::Provider.eq(provider.as_str()))
            .filter(regs::Column::Secret.eq(old.to_vec()))
            .exec(self.db())
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Every provider's registration, by provider.
    pub async fn registrations(&self) -> Result<Vec<Registration>, StoreError> {
        let rows = regs::Entity::find().order_by_asc(regs::Column::Provider).all(self.db()).await?;
        Ok(rows
            .into_iter()
            .filter_map(|m| {
                Some(Registration {
                    provider: m.provider.parse().ok()?,
                    target: m.target,
                    sealed_secret: m.secret,
                    registered_at: m.registered_at,
                    last_error: m.last_error,
                })
            })
            .collect())
    }
}
