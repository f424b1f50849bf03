//! Who a sender or WABA belongs to. Each such row belongs to at most one client.
//! Filing a row under an owner never moves it away from another client: a row owned by
//! nobody (imported by a sync) is claimed with a guarded update, a row another client
//! owns comes back as [`Filed::Elsewhere`], untouched, for the flow to refuse or leave
//! alone. `senders.rs` and `wabas.rs` apply this rule to their tables.

/// Who a new sender or WABA belongs to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Owner {
    /// Client row.
    pub client_id: Option<i64>,
    /// Project row.
    pub project_id: Option<i64>,
    /// WABA row (senders only).
    pub waba_id: Option<i64>,
}

/// Where a sender or WABA ended up when a flow filed it under an [`Owner`].
#[derive(Debug)]
pub enum Filed<T> {
    /// The owner's: found (already its own, or owned by no client and now claimed; or
    /// any row when the owner names no client) or created (`true`).
    Ours(T, bool),
    /// Another client owns it; nothing was changed.
    Elsewhere(T),
}

/// What filing an existing row does.
pub(super) enum Settle {
    /// Leave it as it is: it is the owner's (or the owner names no client).
    Keep,
    /// Nobody owns it: claim it for this client with a guarded update.
    Claim(i64),
    /// Another client owns it.
    Elsewhere,
}

/// What filing a row owned by `current` under `wanted` does.
pub(super) fn settle(current: Option<i64>, wanted: Option<i64>) -> Settle {
    match (current, wanted) {
        (_, None) => Settle::Keep,
        (Some(c), Some(w)) if c == w => Settle::Keep,
        (None, Some(w)) => Settle::Claim(w),
        (Some(_), Some(_)) => Settle::Elsewhere,
    }
}

/// The outcome once a guarded claim ran: whoever won it owns the row now.
pub(super) fn after_claim<T>(row: T, owner: Option<i64>, wanted: Option<i64>) -> Filed<T> {
    if owner == wanted {
        Filed::Ours(row, false)
    } else {
        Filed::Elsewhere(row)
    }
}

/// Give row `id` of `E` to `client` if no client owns it yet (the guarded update a
/// [`Settle::Claim`] runs; a concurrent claim by another client wins or loses whole).
pub(super) async fn claim<E: sea_orm::EntityTrait>(
    store: &super::Store,
    [id_col, client_col, updated_col]: [E::Column; 3],
    id: i64,
    client: i64,
) -> Result<(), super::StoreError> {
    use sea_orm::{sea_query::Expr, ColumnTrait, QueryFilter};
    E::update_many()
        .col_expr(client_col, Expr::value(client))
        .col_expr(updated_col, Expr::value(chrono::Utc::now()))
        .filter(id_col.eq(id))
        .filter(client_col.is_null())
        .exec(store.db())
        .await?;
    Ok(())
}
