//! The unified store: clients, projects, invitations, senders, wabas, the event log
//! and the webhook inbox, with an index for every filter the GraphQL API offers.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_initial"
    }
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    ExternalId,
    Name,
    Email,
    Phone,
    Labels,
    CreatedAt,
    UpdatedAt,
}

/// Columns every provider-backed table shares.
#[derive(DeriveIden)]
enum Common {
    Id,
    ClientId,
    ProjectId,
    Provider,
    ProviderId,
    Status,
    ProviderStatus,
    Raw,
    SyncedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Name,
    Credentials,
}

#[derive(DeriveIden)]
enum Wabas {
    Table,
    WabaId,
    Name,
}

#[derive(DeriveIden)]
enum Senders {
    Table,
    WabaId,
    PhoneNumber,
    PhoneNumberId,
    DisplayName,
    StatusReason,
    Region,
    QualityRating,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Flow,
    Url,
    FailureReason,
    ExpiresAt,
    ViewedAt,
    StartedAt,
    CompletedAt,
    SenderId,
    WabaId,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Seq,
    At,
    Provider,
    NodeType,
    NodeId,
    ClientId,
    Field,
    PreviousValue,
    NewValue,
    Source,
}

#[derive(DeriveIden)]
enum WebhookInbox {
    Table,
    Id,
    Provider,
    DeliveryId,
    ReceivedAt,
    Payload,
    State,
    Attempts,
    LastError,
    ProcessedAt,
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().to_owned()
}

/// The columns of a provider-backed row: owner, provider ids, statuses, raw payload, times.
fn provider_backed(table: impl IntoIden + 'static, client_required: bool) -> TableCreateStatement {
    let mut client_id = ColumnDef::new(Common::ClientId);
    client_id.big_integer();
    if client_required {
        client_id.not_null();
    } else {
        client_id.null();
    }
    Table::create()
        .table(table)
        .if_not_exists()
        .col(ColumnDef::new(Common::Id).big_integer().not_null().auto_increment().primary_key())
        .col(client_id)
        .col(ColumnDef::new(Common::ProjectId).big_integer().null())
        .col(ColumnDef::new(Common::Provider).string_len(16).not_null())
        .col(ColumnDef::new(Common::ProviderId).string_len(255).null())
        .col(ColumnDef::new(Common::Status).string_len(32).not_null())
        .col(ColumnDef::new(Common::ProviderStatus).string_len(64).null())
        .col(ColumnDef::new(Common::Raw).json_binary().null())
        .col(ts(Common::SyncedAt).null())
        .col(ts(Common::CreatedAt).not_null())
        .col(ts(Common::UpdatedAt).not_null())
        .to_owned()
}

fn fk(
    from_table: impl IntoIden + 'static,
    from_col: impl IntoIden + 'static,
    to_table: impl IntoIden + 'static,
    to_col: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from_table, from_col).to(to_table, to_col).on_delete(ForeignKeyAction::SetNull).to_owned()
}

fn index(table: impl IntoIden + 'static, name: &str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table).if_not_exists();
    for col in cols {
        idx.col(Alias::new(*col));
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Clients::Table)
                .if_not_exists()
                .col(ColumnDef::new(Clients::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(Clients::ExternalId).string_len(128).null().unique_key())
                .col(ColumnDef::new(Clients::Name).string_len(200).not_null())
                .col(ColumnDef::new(Clients::Email).string_len(254).null())
                .col(ColumnDef::new(Clients::Phone).string_len(16).null())
                .col(ColumnDef::new(Clients::Labels).json_binary().null())
                .col(ts(Clients::CreatedAt).not_null())
                .col(ts(Clients::UpdatedAt).not_null())
                .to_owned(),
        )
        .await?;

        let mut projects = provider_backed(Projects::Table, false);
        projects
            .col(ColumnDef::new(Projects::Name).string_len(255).null())
            .col(ColumnDef::new(Projects::Credentials).binary().null())
            .foreign_key(&mut fk(Projects::Table, Common::ClientId, Clients::Table, Clients::Id));
        m.create_table(projects).await?;

        let mut wabas = provider_backed(Wabas::Table, false);
        wabas
            .col(ColumnDef::new(Wabas::WabaId).string_len(64).not_null())
            .col(ColumnDef::new(Wabas::Name).string_len(255).null())
            .foreign_key(&mut fk(Wabas::Table, Common::ClientId, Clients::Table, Clients::Id))
            .foreign_key(&mut fk(Wabas::Table, Common::ProjectId, Projects::Table, Common::Id));
        m.create_table(wabas).await?;

        let mut senders = provider_backed(Senders::Table, false);
        senders
            .col(ColumnDef::new(Senders::WabaId).big_integer().null())
            .col(ColumnDef::new(Senders::PhoneNumber).string_len(16).null())
            .col(ColumnDef::new(Senders::PhoneNumberId).string_len(64).null())
            .col(ColumnDef::new(Senders::DisplayName).string_len(255).null())
            .col(ColumnDef::new(Senders::StatusReason).text().null())
            .col(ColumnDef::new(Senders::Region).string_len(16).null())
            .col(ColumnDef::new(Senders::QualityRating).string_len(16).null())
            .foreign_key(&mut fk(Senders::Table, Common::ClientId, Clients::Table, Clients::Id))
            .foreign_key(&mut fk(Senders::Table, Common::ProjectId, Projects::Table, Common::Id))
            .foreign_key(&mut fk(Senders::Table, Senders::WabaId, Wabas::Table, Common::Id));
        m.create_table(senders).await?;

        let mut invitations = provider_backed(Invitations::Table, true);
        invitations
            .col(ColumnDef::new(Invitations::Flow).string_len(32).not_null())
            .col(ColumnDef::new(Invitations::Url).text().null())
            .col(ColumnDef::new(Invitations::FailureReason).text().null())
            .col(ts(Invitations::ExpiresAt).null())
            .col(ts(Invitations::ViewedAt).null())
            .col(ts(Invitations::StartedAt).null())
            .col(ts(Invitations::CompletedAt).null())
            .col(ColumnDef::new(Invitations::SenderId).big_integer().null())
            .col(ColumnDef::new(Invitations::WabaId).big_integer().null())
            .foreign_key(
                fk(Invitations::Table, Common::ClientId, Clients::Table, Clients::Id)
                    .on_delete(ForeignKeyAction::Restrict),
            )
            .foreign_key(&mut fk(Invitations::Table, Common::ProjectId, Projects::Table, Common::Id))
            .foreign_key(&mut fk(Invitations::Table, Invitations::SenderId, Senders::Table, Common::Id))
            .foreign_key(&mut fk(Invitations::Table, Invitations::WabaId, Wabas::Table, Common::Id));
        m.create_table(invitations).await?;

        m.create_table(
            Table::create()
                .table(Events::Table)
                .if_not_exists()
                .col(ColumnDef::new(Events::Seq).big_integer().not_null().auto_increment().primary_key())
                .col(ts(Events::At).not_null())
                .col(ColumnDef::new(Events::Provider).string_len(16).not_null())
                .col(ColumnDef::new(Events::NodeType).string_len(16).not_null())
                .col(ColumnDef::new(Events::NodeId).big_integer().not_null())
                .col(ColumnDef::new(Events::ClientId).big_integer().null())
                .col(ColumnDef::new(Events::Field).string_len(64).not_null())
                .col(ColumnDef::new(Events::PreviousValue).string_len(64).null())
                .col(ColumnDef::new(Events::NewValue).string_len(64).not_null())
                .col(ColumnDef::new(Events::Source).string_len(16).not_null())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(WebhookInbox::Table)
                .if_not_exists()
                .col(ColumnDef::new(WebhookInbox::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(WebhookInbox::Provider).string_len(16).not_null())
                .col(ColumnDef::new(WebhookInbox::DeliveryId).string_len(255).not_null())
                .col(ts(WebhookInbox::ReceivedAt).not_null())
                .col(ColumnDef::new(WebhookInbox::Payload).text().not_null())
                .col(ColumnDef::new(WebhookInbox::State).string_len(16).not_null())
                .col(ColumnDef::new(WebhookInbox::Attempts).integer().not_null().default(0))
                .col(ColumnDef::new(WebhookInbox::LastError).text().null())
                .col(ts(WebhookInbox::ProcessedAt).null())
                .to_owned(),
        )
        .await?;

        for idx in [
            // Natural keys: one row per provider object; webhook dedupe.
            index(Projects::Table, "ux_projects_provider_id", &["provider", "provider_id"]).unique().to_owned(),
            index(Wabas::Table, "ux_wabas_provider_waba", &["provider", "waba_id"]).unique().to_owned(),
            index(Senders::Table, "ux_senders_provider_id", &["provider", "provider_id"]).unique().to_owned(),
            index(Invitations::Table, "ux_invitations_provider_id", &["provider", "provider_id"]).unique().to_owned(),
            index(WebhookInbox::Table, "ux_webhook_inbox_delivery", &["provider", "delivery_id"]).unique().to_owned(),
            // Relations (DataLoaders) and filters (provider, status, client).
            index(Projects::Table, "ix_projects_client", &["client_id", "id"]),
            index(Wabas::Table, "ix_wabas_client", &["client_id", "id"]),
            index(Wabas::Table, "ix_wabas_project", &["project_id", "id"]),
            index(Senders::Table, "ix_senders_client", &["client_id", "id"]),
            index(Senders::Table, "ix_senders_project", &["project_id", "id"]),
            index(Senders::Table, "ix_senders_waba", &["waba_id", "id"]),
            index(Senders::Table, "ix_senders_status", &["status", "id"]),
            index(Senders::Table, "ix_senders_phone_number_id", &["phone_number_id"]),
            index(Invitations::Table, "ix_invitations_client", &["client_id", "id"]),
            index(Invitations::Table, "ix_invitations_status", &["status", "id"]),
            index(Invitations::Table, "ix_invitations_provider_status", &["provider", "status", "id"]),
            index(Invitations::Table, "ix_invitations_project", &["project_id"]),
            index(Invitations::Table, "ix_invitations_sender", &["sender_id"]),
            index(Invitations::Table, "ix_invitations_waba", &["waba_id"]),
            index(Events::Table, "ix_events_client", &["client_id", "seq"]),
            index(Events::Table, "ix_events_node", &["node_type", "node_id", "seq"]),
            index(Events::Table, "ix_events_provider", &["provider", "seq"]),
            index(WebhookInbox::Table, "ix_webhook_inbox_state", &["state", "id"]),
        ] {
            m.create_index(idx).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Alias::new("webhook_inbox"),
            Alias::new("events"),
            Alias::new("invitations"),
            Alias::new("senders"),
            Alias::new("wabas"),
            Alias::new("projects"),
            Alias::new("clients"),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
