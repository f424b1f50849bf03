//! Onboarding support: the per-client webhook token (SendZen sends each customer's
//! webhooks to `/webhooks/sendzen/{token}`), the flow input an invitation needs later
//! (`invitations.params`), and the idempotency keys of `startOnboarding`.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_onboarding"
    }
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    WebhookToken,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Params,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Key,
    RequestHash,
    InvitationId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one ADD COLUMN per statement.
        m.alter_table(
            Table::alter()
                .table(Clients::Table)
                .add_column(ColumnDef::new(Clients::WebhookToken).string_len(64).null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Invitations::Table)
                .add_column(ColumnDef::new(Invitations::Params).json_binary().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_clients_webhook_token")
                .table(Clients::Table)
                .col(Clients::WebhookToken)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .if_not_exists()
                .col(ColumnDef::new(IdempotencyKeys::Key).string_len(255).not_null().primary_key())
                .col(ColumnDef::new(IdempotencyKeys::RequestHash).string_len(64).not_null())
                .col(ColumnDef::new(IdempotencyKeys::InvitationId).big_integer().null())
                .col(ColumnDef::new(IdempotencyKeys::CreatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(IdempotencyKeys::Table).if_exists().to_owned()).await?;
        m.drop_index(Index::drop().name("ux_clients_webhook_token").table(Clients::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Invitations::Table).drop_column(Invitations::Params).to_owned()).await?;
        m.alter_table(Table::alter().table(Clients::Table).drop_column(Clients::WebhookToken).to_owned()).await
    }
}
