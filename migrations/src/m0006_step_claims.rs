//! Step claims: which server is taking an invitation's once-only step (Sinch's
//! Conversation API app, then `COMPLETED`) right now. One row per invitation being
//! stepped, keyed by the invitation id so two instances cannot both hold it; `until`
//! (Unix milliseconds) lets a claim left by a killed process be taken over.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0006_step_claims"
    }
}

#[derive(DeriveIden)]
enum StepClaims {
    Table,
    InvitationId,
    Holder,
    Until,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(StepClaims::Table)
                .if_not_exists()
                .col(ColumnDef::new(StepClaims::InvitationId).big_integer().not_null().primary_key())
                .col(ColumnDef::new(StepClaims::Holder).string_len(36).not_null())
                .col(ColumnDef::new(StepClaims::Until).big_integer().not_null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(StepClaims::Table).if_exists().to_owned()).await
    }
}
