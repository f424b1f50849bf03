//! The data generation: one counter that every committed write to data the GraphQL
//! API reads moves forward, in the same transaction as the write, so a cached response
//! is served only while the generation it was computed at is still the current one, on
//! every instance sharing the database.
//!
//! Triggers keep it, so no write path can forget it. On PostgreSQL they are deferred
//! constraint triggers: the counter row is locked only at commit, after every other
//! lock the transaction takes, so two writers cannot deadlock on it. SQLite has one
//! writer at a time and takes plain triggers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0007_data_generation"
    }
}

/// The tables whose rows a GraphQL query can show.
const READ_TABLES: [&str; 7] =
    ["clients", "invitations", "senders", "wabas", "projects", "events", "webhook_registrations"];

const BUMP: &str = "UPDATE data_generation SET value = value + 1 WHERE id = 1";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared(
            "CREATE TABLE IF NOT EXISTS data_generation (id INTEGER PRIMARY KEY, value BIGINT NOT NULL)",
        )
        .await?;
        db.execute_unprepared("INSERT INTO data_generation (id, value) VALUES (1, 0) ON CONFLICT (id) DO NOTHING")
            .await?;
        match m.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE OR REPLACE FUNCTION bump_data_generation() RETURNS trigger AS $$ \
                     BEGIN {BUMP}; RETURN NULL; END $$ LANGUAGE plpgsql"
                ))
                .await?;
                for t in READ_TABLES {
                    db.execute_unprepared(&format!(
                        "CREATE CONSTRAINT TRIGGER data_generation_{t} AFTER INSERT OR UPDATE OR DELETE ON {t} \
                         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_data_generation()"
                    ))
                    .await?;
                }
            }
            _ => {
                for t in READ_TABLES {
                    for op in ["INSERT", "UPDATE", "DELETE"] {
                        let name = format!("data_generation_{t}_{}", op.to_ascii_lowercase());
                        db.execute_unprepared(&format!(
                            "CREATE TRIGGER IF NOT EXISTS {name} AFTER {op} ON {t} BEGIN {BUMP}; END"
                        ))
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for t in READ_TABLES {
            match m.get_database_backend() {
                DbBackend::Postgres => {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS data_generation_{t} ON {t}")).await?;
                }
                _ => {
                    for op in ["insert", "update", "delete"] {
                        db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS data_generation_{t}_{op}")).await?;
                    }
                }
            }
        }
        if m.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS bump_data_generation()").await?;
        }
        db.execute_unprepared("DROP TABLE IF EXISTS data_generation").await?;
        Ok(())
    }
}
