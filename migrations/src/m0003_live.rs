//! Live status: lease columns so several instances share the poller's rows and the
//! webhook inbox without doing the same work twice. Leases are epoch milliseconds
//! (`BIGINT`), compared the same way on SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

/// Adds `poll_lease_until` to invitations and senders, `lease_until` to the inbox.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Invitations {
    Table,
    PollLeaseUntil,
}

#[derive(DeriveIden)]
enum Senders {
    Table,
    PollLeaseUntil,
}

#[derive(DeriveIden)]
enum WebhookInbox {
    Table,
    LeaseUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let add = |table: DynIden, column: DynIden| {
            Table::alter().table(table).add_column(ColumnDef::new(column).big_integer().null()).to_owned()
        };
        m.alter_table(add(Invitations::Table.into_iden(), Invitations::PollLeaseUntil.into_iden())).await?;
        m.alter_table(add(Senders::Table.into_iden(), Senders::PollLeaseUntil.into_iden())).await?;
        m.alter_table(add(WebhookInbox::Table.into_iden(), WebhookInbox::LeaseUntil.into_iden())).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let drop = |table: DynIden, column: DynIden| Table::alter().table(table).drop_column(column).to_owned();
        m.alter_table(drop(Invitations::Table.into_iden(), Invitations::PollLeaseUntil.into_iden())).await?;
        m.alter_table(drop(Senders::Table.into_iden(), Senders::PollLeaseUntil.into_iden())).await?;
        m.alter_table(drop(WebhookInbox::Table.into_iden(), WebhookInbox::LeaseUntil.into_iden())).await
    }
}
