//! Leases, shared by the inbox, the poller's rows and the step claims: epoch
//! milliseconds, and the condition a lease column meets when it is free.

use chrono::Utc;
use sea_orm::sea_query::{Expr, Func, SimpleExpr};

/// Current time in epoch milliseconds.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// `COALESCE(lease, 0) < now`: no lease, or one that has run out.
pub(super) fn lapsed(lease: impl sea_orm::sea_query::IntoColumnRef, now: i64) -> SimpleExpr {
    Expr::expr(Func::coalesce([Expr::col(lease).into(), Expr::val(0i64).into()])).lt(now)
}
