//! Database migrations for bspgraph, one file per migration.
//!
//! Every migration runs on SQLite (the embedded default) and PostgreSQL. Migrations
//! only create or alter tables, indexes and triggers (and seed the one counter row of
//! `data_generation`); they never touch application data.

pub use sea_orm_migration;
use sea_orm_migration::prelude::*;

mod m0001_initial;
mod m0002_onboarding;
mod m0003_live;
mod m0004_api_keys;
mod m0005_webhook_registrations;
mod m0006_step_claims;
mod m0007_data_generation;

/// The ordered list of migrations bspgraph applies on start and with `bspgraph migrate`.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial::Migration),
            Box::new(m0002_onboarding::Migration),
            Box::new(m0003_live::Migration),
            Box::new(m0004_api_keys::Migration),
            Box::new(m0005_webhook_registrations::Migration),
            Box::new(m0006_step_claims::Migration),
            Box::new(m0007_data_generation::Migration),
        ]
    }
}
