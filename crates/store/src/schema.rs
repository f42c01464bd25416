//! Migrations: one SQL file per step, shared by both engines, with the single dialect
//! token `{collate_c}`. Applied in order, each in its own transaction, recorded with a
//! checksum so that an edited migration is refused rather than silently skipped.

use chrono::Utc;
use itinera_domain::Error;
use sha2::{Digest, Sha256};

use crate::{db_err, on_tx, Engine, Store};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("../migrations/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "diagnosis_itinerary",
        sql: include_str!("../migrations/0002_diagnosis_itinerary.sql"),
    },
    Migration {
        version: 3,
        name: "linkage",
        sql: include_str!("../migrations/0003_linkage.sql"),
    },
    Migration {
        version: 4,
        name: "imports",
        sql: include_str!("../migrations/0004_imports.sql"),
    },
    Migration {
        version: 5,
        name: "coordination",
        sql: include_str!("../migrations/0005_coordination.sql"),
    },
    Migration {
        version: 6,
        name: "calendar",
        sql: include_str!("../migrations/0006_calendar.sql"),
    },
    Migration {
        version: 7,
        name: "network_agreements",
        sql: include_str!("../migrations/0007_network_agreements.sql"),
    },
    Migration {
        version: 8,
        name: "notifications",
        sql: include_str!("../migrations/0008_notifications.sql"),
    },
    Migration {
        version: 9,
        name: "boards_protocols",
        sql: include_str!("../migrations/0009_boards_protocols.sql"),
    },
    Migration {
        version: 10,
        name: "meeting_invitees",
        sql: include_str!("../migrations/0010_meeting_invitees.sql"),
    },
    Migration {
        version: 11,
        name: "network_agreement_bodies",
        sql: include_str!("../migrations/0011_network_agreement_bodies.sql"),
    },
    Migration {
        version: 12,
        name: "meeting_invites_all",
        sql: include_str!("../migrations/0012_meeting_invites_all.sql"),
    },
    Migration {
        version: 13,
        name: "team_caseload_index",
        sql: include_str!("../migrations/0013_team_caseload_index.sql"),
    },
];

/// Every table of the schema, in creation order.
pub const TABLES: &[&str] = &[
    "territories",
    "organisations",
    "users",
    "memberships",
    "api_tokens",
    "sessions",
    "programmes",
    "programme_phases",
    "funding_sources",
    "projects",
    "participants",
    "participant_documents",
    "consents",
    "consent_scopes",
    "cases",
    "case_team_members",
    "case_events",
    "audit_head",
    "audit_log",
    "instruments",
    "assessments",
    "itineraries",
    "itinerary_goals",
    "itinerary_actions",
    "itinerary_versions",
    "itinerary_reviews",
    "contacts",
    "contact_participants",
    "linkage_settings",
    "link_reviews",
    "merges",
    "merge_members",
    "import_mappings",
    "import_batches",
    "participant_sources",
    "coordination_bodies",
    "body_members",
    "meetings",
    "meeting_items",
    "meeting_attendance",
    "agreements",
    "calendar_feeds",
    "network_agreements",
    "network_agreement_parties",
    "network_agreement_programmes",
    "notifications",
    "protocols",
    "protocol_versions",
    "protocol_reads",
    "protocol_changes",
    "boards",
    "board_columns",
    "board_groups",
    "board_cards",
    "board_votes",
    "meeting_invitees",
    "network_agreement_bodies",
];

/// The migration's SQL for one engine.
pub fn render(sql: &str, engine: Engine) -> String {
    let collate = match engine {
        Engine::Sqlite => "",
        Engine::Postgres => "COLLATE \"C\"",
    };
    sql.replace("{collate_c}", collate)
}

fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

// When a migration was applied is the machine's time, not the application's clock.
#[allow(clippy::disallowed_methods)]
pub async fn migrate(store: &Store) -> Result<usize, Error> {
    let mut tx = store.write().await?;
    on_tx!(&mut tx, c => sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    ).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    let applied: Vec<(i64, String)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT version, checksum FROM schema_migrations ORDER BY version"
    ).fetch_all(c).await.map_err(db_err))?;
    tx.commit().await?;

    let mut count = 0;
    for m in MIGRATIONS {
        let sum = checksum(m.sql);
        if let Some((_, existing)) = applied.iter().find(|(v, _)| *v == m.version) {
            if *existing != sum {
                return Err(Error::Internal(format!(
                    "migration {} ({}) was changed after it was applied",
                    m.version, m.name
                )));
            }
            continue;
        }
        let mut tx = store.write().await?;
        let sql = render(m.sql, tx.engine());
        on_tx!(&mut tx, c => sqlx::raw_sql(&sql).execute(&mut *c).await.map(|r| r.rows_affected()).map_err(db_err))?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)"
        ).bind(m.version).bind(m.name).bind(&sum).bind(Utc::now()).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "migration applied");
        count += 1;
    }
    install_default_instrument(store).await?;
    Ok(count)
}

/// Publishes the built-in assessment instrument (version by version) if it is missing.
#[allow(clippy::disallowed_methods)]
async fn install_default_instrument(store: &Store) -> Result<(), Error> {
    let i = itinera_domain::assessment::Instrument::from_json(
        itinera_domain::assessment::DEFAULT_INSTRUMENT_JSON,
    )?;
    let mut tx = store.write().await?;
    let present: Option<uuid::Uuid> = on_tx!(&mut tx, c => sqlx::query_scalar(
        "SELECT id FROM instruments WHERE code = $1 AND version = $2"
    ).bind(&i.code).bind(i.version).fetch_optional(c).await.map_err(db_err))?;
    if present.is_none() {
        crate::assessments::insert_instrument(
            &mut tx,
            uuid::Uuid::now_v7(),
            &i.code,
            i.version,
            itinera_domain::assessment::DEFAULT_INSTRUMENT_JSON,
            None,
            Utc::now(),
        )
        .await?;
    }
    tx.commit().await
}

/// A column as both engines describe it, reduced to the logical type, for the test that
/// proves the two schemas are the same.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnInfo {
    pub table: String,
    pub column: String,
    pub logical_type: String,
    pub not_null: bool,
}

fn logical(t: &str) -> String {
    let t = t.to_lowercase();
    match t.as_str() {
        "uuid" => "uuid",
        "text" => "text",
        "date" => "date",
        "timestamptz" | "timestamp with time zone" => "timestamptz",
        "boolean" => "boolean",
        "bigint" => "bigint",
        "integer" => "integer",
        "smallint" => "smallint",
        other => return other.to_string(),
    }
    .to_string()
}

/// The columns of every table, as the engine reports them.
pub async fn describe(store: &Store) -> Result<Vec<ColumnInfo>, Error> {
    let mut tx = store.read().await?;
    let mut out = Vec::new();
    for table in TABLES {
        let rows: Vec<(String, String, bool)> = match &mut tx {
            crate::Tx::Sqlite(t) => {
                let rows: Vec<(String, String, i64, i64)> =
                    sqlx::query_as("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1)")
                        .bind(table)
                        .fetch_all(t.conn()?)
                        .await
                        .map_err(db_err)?;
                rows.into_iter()
                    // A primary key is NOT NULL on PostgreSQL; SQLite reports it as nullable.
                    .map(|(n, ty, nn, pk)| (n, ty, nn != 0 || pk != 0))
                    .collect()
            }
            crate::Tx::Postgres(t) => {
                let rows: Vec<(String, String, String)> = sqlx::query_as(
                    "SELECT column_name::text, data_type::text, is_nullable::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                )
                .bind(table)
                .fetch_all(&mut **t)
                .await
                .map_err(db_err)?;
                rows.into_iter()
                    .map(|(n, ty, nullable)| (n, ty, nullable == "NO"))
                    .collect()
            }
        };
        for (column, ty, not_null) in rows {
            out.push(ColumnInfo {
                table: table.to_string(),
                column,
                logical_type: logical(&ty),
                not_null,
            });
        }
    }
    tx.rollback().await?;
    out.sort();
    Ok(out)
}
