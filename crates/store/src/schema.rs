//! Migrations: one SQL file per step, shared by both engines, with the single dialect
//! token `{collate_c}`. Applied in order, each in its own transaction, recorded with a
//! checksum so that an edited migration is refused rather than silently skipped.

use chrono::{DateTime, Utc};
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
    Migration {
        version: 14,
        name: "import_jobs",
        sql: include_str!("../migrations/0014_import_jobs.sql"),
    },
    Migration {
        version: 15,
        name: "deployment_secrets",
        sql: include_str!("../migrations/0015_deployment_secrets.sql"),
    },
    Migration {
        version: 16,
        name: "segregation",
        sql: include_str!("../migrations/0016_segregation.sql"),
    },
    Migration {
        version: 17,
        name: "login_throttle",
        sql: include_str!("../migrations/0017_login_throttle.sql"),
    },
    Migration {
        version: 18,
        name: "placements_incidents",
        sql: include_str!("../migrations/0018_placements_incidents.sql"),
    },
    Migration {
        version: 19,
        name: "training",
        sql: include_str!("../migrations/0019_training.sql"),
    },
    Migration {
        version: 20,
        name: "trainers_mail",
        sql: include_str!("../migrations/0020_trainers_mail.sql"),
    },
    Migration {
        version: 21,
        name: "referrals",
        sql: include_str!("../migrations/0021_referrals.sql"),
    },
    Migration {
        version: 22,
        name: "benefits",
        sql: include_str!("../migrations/0022_benefits.sql"),
    },
    Migration {
        version: 23,
        name: "households",
        sql: include_str!("../migrations/0023_households.sql"),
    },
    Migration {
        version: 24,
        name: "resources",
        sql: include_str!("../migrations/0024_resources.sql"),
    },
    Migration {
        version: 25,
        name: "indicators",
        sql: include_str!("../migrations/0025_indicators.sql"),
    },
    Migration {
        version: 26,
        name: "declined_answers",
        sql: include_str!("../migrations/0026_declined_answers.sql"),
    },
    Migration {
        version: 27,
        name: "daily_work",
        sql: include_str!("../migrations/0027_daily_work.sql"),
    },
    Migration {
        version: 28,
        name: "public_holidays",
        sql: include_str!("../migrations/0028_public_holidays.sql"),
    },
    Migration {
        version: 29,
        name: "second_factor",
        sql: include_str!("../migrations/0029_second_factor.sql"),
    },
    Migration {
        version: 30,
        name: "privacy_operations",
        sql: include_str!("../migrations/0030_privacy_operations.sql"),
    },
    Migration {
        version: 31,
        name: "several_servers",
        sql: include_str!("../migrations/0031_several_servers.sql"),
    },
    Migration {
        version: 32,
        name: "documents_one_index",
        sql: include_str!("../migrations/0032_documents_one_index.sql"),
    },
    Migration {
        version: 33,
        name: "course_counts",
        sql: include_str!("../migrations/0033_course_counts.sql"),
    },
    Migration {
        version: 34,
        name: "attendance_by_status",
        sql: include_str!("../migrations/0034_attendance_by_status.sql"),
    },
    Migration {
        version: 35,
        name: "user_creator",
        sql: include_str!("../migrations/0035_user_creator.sql"),
    },
    Migration {
        version: 36,
        name: "resource_owner",
        sql: include_str!("../migrations/0036_resource_owner.sql"),
    },
    Migration {
        version: 37,
        name: "referrals_one_open",
        sql: include_str!("../migrations/0037_referrals_one_open.sql"),
    },
    Migration {
        version: 38,
        name: "goal_action_versions",
        sql: include_str!("../migrations/0038_goal_action_versions.sql"),
    },
    Migration {
        version: 39,
        name: "scale_indexes",
        sql: include_str!("../migrations/0039_scale_indexes.sql"),
    },
    Migration {
        version: 40,
        name: "replay_location_member_once",
        sql: include_str!("../migrations/0040_replay_location_member_once.sql"),
    },
    Migration {
        version: 41,
        name: "audit_read_log",
        sql: include_str!("../migrations/0041_audit_read_log.sql"),
    },
    Migration {
        version: 42,
        name: "calendar_feed_token",
        sql: include_str!("../migrations/0042_calendar_feed_token.sql"),
    },
    Migration {
        version: 43,
        name: "course_candidates_status",
        sql: include_str!("../migrations/0043_course_candidates_status.sql"),
    },
    Migration {
        version: 44,
        name: "name_keys",
        sql: include_str!("../migrations/0044_name_keys.sql"),
    },
    Migration {
        version: 45,
        name: "team_person",
        sql: include_str!("../migrations/0045_team_person.sql"),
    },
    Migration {
        version: 46,
        name: "team_person_index",
        sql: include_str!("../migrations/0046_team_person_index.sql"),
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
    "audit_read_head",
    "audit_read_log",
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
    "uploads",
    "import_jobs",
    "deployment_secrets",
    "role_grants",
    "login_throttle",
    "contract_types",
    "contracts",
    "retention_checks",
    "incidents",
    "notifications",
    "courses",
    "course_sessions",
    "course_candidates",
    "attendance",
    "course_trainers",
    "mail_outbox",
    "referrals",
    "referral_steps",
    "benefit_types",
    "benefits",
    "households",
    "household_members",
    "household_changes",
    "resource_providers",
    "resources",
    "esf_entries",
    "esf_exits",
    "esf_followups",
    "objectives",
    "protocol_rules",
    "public_holidays",
    "second_factors",
    "recovery_codes",
    "signin_challenges",
    "second_factor_resets",
    "restrictions",
    "legal_holds",
    "retention_rules",
    "retention_runs",
    "erasures",
    "idempotency_keys",
    "login_attempts",
    "leases",
];

/// The migration's SQL for one engine.
pub fn render(sql: &str, engine: Engine) -> String {
    let collate = match engine {
        Engine::Sqlite => "",
        Engine::Postgres => "COLLATE \"C\"",
    };
    // The log of audited reads: on SQLite in its own file, attached as `reads` (see
    // `read_audit`); on PostgreSQL in the one database.
    let reads = match engine {
        Engine::Sqlite => "reads.",
        Engine::Postgres => "",
    };
    sql.replace("{collate_c}", collate)
        .replace("{reads}", reads)
}

fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

/// Runs the migrations that have not run yet; `now` is when (from the caller's clock).
pub async fn migrate(store: &Store, now: DateTime<Utc>) -> Result<usize, Error> {
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
        ).bind(m.version).bind(m.name).bind(&sum).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "migration applied");
        count += 1;
    }
    install_default_instrument(store, now).await?;
    fill_name_keys(store).await?;
    crate::cases::fill_team_persons(store).await?;
    Ok(count)
}

/// Folds the names of the users and organisations that have no search key yet (rows
/// made before migration 44): the key is computed in Rust (`text::fold`), which SQL on
/// either engine cannot do alike. Nothing to do once they all have one.
async fn fill_name_keys(store: &Store) -> Result<(), Error> {
    let mut tx = store.write().await?;
    let users: Vec<(uuid::Uuid, String, String)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT id, username, display_name FROM users WHERE name_key IS NULL"
    ).fetch_all(c).await.map_err(db_err))?;
    for (id, username, name) in &users {
        let key = crate::admin::user_key(username, name);
        on_tx!(&mut tx, c => sqlx::query("UPDATE users SET name_key = $2 WHERE id = $1")
            .bind(id).bind(&key).execute(c).await.map(|_| ()).map_err(db_err))?;
    }
    let orgs: Vec<(uuid::Uuid, String)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT id, name FROM organisations WHERE name_key IS NULL"
    ).fetch_all(c).await.map_err(db_err))?;
    for (id, name) in &orgs {
        let key = itinera_domain::text::fold(name);
        on_tx!(&mut tx, c => sqlx::query("UPDATE organisations SET name_key = $2 WHERE id = $1")
            .bind(id).bind(&key).execute(c).await.map(|_| ()).map_err(db_err))?;
    }
    tx.commit().await?;
    if !users.is_empty() || !orgs.is_empty() {
        tracing::info!(
            users = users.len(),
            organisations = orgs.len(),
            "search keys of names filled"
        );
    }
    Ok(())
}

/// Publishes the built-in assessment instrument (version by version) if it is missing.
async fn install_default_instrument(store: &Store, now: DateTime<Utc>) -> Result<(), Error> {
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
            itinera_clock::new_id(now),
            &i.code,
            i.version,
            itinera_domain::assessment::DEFAULT_INSTRUMENT_JSON,
            None,
            now,
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

/// An index as both engines describe it. `kind` is `pk` (the primary key), `unique` (a
/// UNIQUE constraint) or `index` (a `CREATE INDEX`); only the last has a name both
/// engines keep (the others are named by each engine its own way).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct IndexInfo {
    pub table: String,
    pub kind: &'static str,
    pub name: String,
    pub columns: String,
    pub unique: bool,
    pub partial: bool,
}

/// A foreign key: its columns, the table and columns it refers to, and what a delete of
/// the referred row does.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ForeignKeyInfo {
    pub table: String,
    pub columns: String,
    pub references: String,
    pub referenced_columns: String,
    pub on_delete: String,
}

/// The whole logical schema: columns, indexes and constraints, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaInfo {
    pub columns: Vec<ColumnInfo>,
    pub indexes: Vec<IndexInfo>,
    pub foreign_keys: Vec<ForeignKeyInfo>,
    /// (table, number of CHECK constraints).
    pub checks: Vec<(String, i64)>,
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

fn on_delete_name(code: &str) -> String {
    match code {
        "a" | "NO ACTION" => "no action",
        "r" | "RESTRICT" => "restrict",
        "c" | "CASCADE" => "cascade",
        "n" | "SET NULL" => "set null",
        "d" | "SET DEFAULT" => "set default",
        other => return other.to_lowercase(),
    }
    .to_string()
}

/// The schema of every table, as the engine reports it.
pub async fn describe(store: &Store) -> Result<SchemaInfo, Error> {
    let mut tx = store.read().await?;
    let mut out = SchemaInfo {
        columns: Vec::new(),
        indexes: Vec::new(),
        foreign_keys: Vec::new(),
        checks: Vec::new(),
    };
    for table in TABLES {
        match &mut tx {
            crate::Tx::Sqlite(t) => describe_sqlite(t.conn()?, table, &mut out).await?,
            crate::Tx::Postgres(t) | crate::Tx::PostgresRead(t, _) => {
                describe_postgres(t, table, &mut out).await?
            }
            crate::Tx::PostgresSingle(c) => describe_postgres(c, table, &mut out).await?,
        }
    }
    tx.rollback().await?;
    out.columns.sort();
    out.indexes.sort();
    out.foreign_keys.sort();
    out.checks.sort();
    Ok(out)
}

async fn describe_sqlite(
    c: &mut sqlx::SqliteConnection,
    table: &str,
    out: &mut SchemaInfo,
) -> Result<(), Error> {
    let cols: Vec<(String, String, i64, i64)> =
        sqlx::query_as("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1)")
            .bind(table)
            .fetch_all(&mut *c)
            .await
            .map_err(db_err)?;
    let pk: Vec<String> = {
        let mut k: Vec<(i64, String)> = cols
            .iter()
            .filter(|x| x.3 > 0)
            .map(|x| (x.3, x.0.clone()))
            .collect();
        k.sort();
        k.into_iter().map(|x| x.1).collect()
    };
    for (column, ty, nn, pk) in &cols {
        out.columns.push(ColumnInfo {
            table: table.to_string(),
            column: column.clone(),
            logical_type: logical(ty),
            // A primary key is NOT NULL on PostgreSQL; SQLite reports it as nullable.
            not_null: *nn != 0 || *pk != 0,
        });
    }
    let indexes: Vec<(String, i64, String, i64)> =
        sqlx::query_as("SELECT name, \"unique\", origin, partial FROM pragma_index_list($1)")
            .bind(table)
            .fetch_all(&mut *c)
            .await
            .map_err(db_err)?;
    for (name, unique, origin, partial) in indexes {
        let columns: Vec<(String,)> =
            sqlx::query_as("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                .bind(&name)
                .fetch_all(&mut *c)
                .await
                .map_err(db_err)?;
        let kind = match origin.as_str() {
            "pk" => "pk",
            "u" => "unique",
            _ => "index",
        };
        out.indexes.push(IndexInfo {
            table: table.to_string(),
            kind,
            name: if kind == "index" { name } else { String::new() },
            columns: columns
                .into_iter()
                .map(|x| x.0)
                .collect::<Vec<_>>()
                .join(","),
            unique: unique != 0,
            partial: partial != 0,
        });
    }
    // An INTEGER PRIMARY KEY is the rowid and has no index of its own.
    if !pk.is_empty()
        && !out
            .indexes
            .iter()
            .any(|i| i.table == table && i.kind == "pk")
    {
        out.indexes.push(IndexInfo {
            table: table.to_string(),
            kind: "pk",
            name: String::new(),
            columns: pk.join(","),
            unique: true,
            partial: false,
        });
    }
    let fks: Vec<(i64, i64, String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT id, seq, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list($1) ORDER BY id, seq",
    )
    .bind(table)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    let mut grouped: Vec<ForeignKeyInfo> = Vec::new();
    let mut last = -1;
    for (id, _, references, from, to, on_delete) in fks {
        let to = match to {
            Some(t) => t,
            None => "id".to_string(),
        };
        match grouped.last_mut() {
            Some(f) if id == last => {
                f.columns.push(',');
                f.columns.push_str(&from);
                f.referenced_columns.push(',');
                f.referenced_columns.push_str(&to);
            }
            _ => grouped.push(ForeignKeyInfo {
                table: table.to_string(),
                columns: from,
                references,
                referenced_columns: to,
                on_delete: on_delete_name(&on_delete),
            }),
        }
        last = id;
    }
    out.foreign_keys.extend(grouped);
    let sql: Option<String> =
        sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1")
            .bind(table)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err)?;
    let checks = count_checks(&sql.unwrap_or_default());
    out.checks.push((table.to_string(), checks));
    Ok(())
}

/// The CHECK constraints in a table's SQL (SQLite keeps them only there).
fn count_checks(sql: &str) -> i64 {
    let upper = sql.to_uppercase();
    let mut n = 0;
    let mut rest = upper.as_str();
    while let Some(at) = rest.find("CHECK") {
        rest = rest.get(at + 5..).unwrap_or_default();
        if rest.trim_start().starts_with('(') {
            n += 1;
        }
    }
    n
}

async fn describe_postgres(
    c: &mut sqlx::PgConnection,
    table: &str,
    out: &mut SchemaInfo,
) -> Result<(), Error> {
    let cols: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text, is_nullable::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    for (column, ty, nullable) in cols {
        out.columns.push(ColumnInfo {
            table: table.to_string(),
            column,
            logical_type: logical(&ty),
            not_null: nullable == "NO",
        });
    }
    let indexes: Vec<(String, bool, bool, bool, Option<String>, String)> = sqlx::query_as(
        "SELECT i.relname::text, ix.indisunique, ix.indisprimary, ix.indpred IS NOT NULL, \
         (SELECT k.contype::text FROM pg_constraint k WHERE k.conindid = ix.indexrelid AND k.conrelid = ix.indrelid LIMIT 1), \
         (SELECT string_agg(a.attname::text, ',' ORDER BY x.ord) FROM unnest(ix.indkey) WITH ORDINALITY x(attnum, ord) \
            JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = x.attnum) \
         FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND t.relname = $1",
    )
    .bind(table)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    for (name, unique, primary, partial, constraint, columns) in indexes {
        let kind = if primary {
            "pk"
        } else if constraint.as_deref() == Some("u") {
            "unique"
        } else {
            "index"
        };
        out.indexes.push(IndexInfo {
            table: table.to_string(),
            kind,
            name: if kind == "index" { name } else { String::new() },
            columns,
            unique,
            partial,
        });
    }
    let fks: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT r.relname::text, \
         (SELECT string_agg(a.attname::text, ',' ORDER BY x.ord) FROM unnest(k.conkey) WITH ORDINALITY x(n, ord) \
            JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.n), \
         (SELECT string_agg(a.attname::text, ',' ORDER BY x.ord) FROM unnest(k.confkey) WITH ORDINALITY x(n, ord) \
            JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = x.n), \
         k.confdeltype::text \
         FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE k.contype = 'f' AND n.nspname = current_schema() AND t.relname = $1",
    )
    .bind(table)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    for (references, columns, referenced_columns, on_delete) in fks {
        out.foreign_keys.push(ForeignKeyInfo {
            table: table.to_string(),
            columns,
            references,
            referenced_columns,
            on_delete: on_delete_name(&on_delete),
        });
    }
    let checks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE k.contype = 'c' AND n.nspname = current_schema() AND t.relname = $1",
    )
    .bind(table)
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    out.checks.push((table.to_string(), checks));
    Ok(())
}

/// Drops every table of the current schema of a PostgreSQL database (the benchmark's
/// fresh start on a database it is given). Does nothing on SQLite.
pub async fn empty_postgres(store: &Store) -> Result<(), Error> {
    let mut tx = store.write().await?;
    if let crate::Tx::Postgres(t) = &mut tx {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
        )
        .fetch_all(&mut **t)
        .await
        .map_err(db_err)?;
        for table in tables {
            sqlx::query(&format!("DROP TABLE IF EXISTS \"{table}\" CASCADE"))
                .execute(&mut **t)
                .await
                .map_err(db_err)?;
        }
    }
    tx.commit().await
}
