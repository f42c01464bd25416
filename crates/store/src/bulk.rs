//! Multi-row inserts for seeding and imports: one statement per batch of rows, the
//! same SQL on both engines.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::Error;
use uuid::Uuid;

use sqlx::sqlite::SqliteArguments;
use sqlx::Arguments;

use crate::{db_err, on_tx, Engine, Tx};

/// A value to bind.
#[derive(Debug, Clone)]
pub enum V {
    Uuid(Uuid),
    OptUuid(Option<Uuid>),
    Text(String),
    OptText(Option<String>),
    Date(NaiveDate),
    OptDate(Option<NaiveDate>),
    Ts(DateTime<Utc>),
    OptTs(Option<DateTime<Utc>>),
    Bool(bool),
    I16(i16),
    OptI16(Option<i16>),
    I32(i32),
    I64(i64),
    F64(f64),
    OptF64(Option<f64>),
}

/// The most parameters one statement binds. With anonymous placeholders (below) a
/// parameter binds at no extra cost, so each statement's fixed cost is what counts:
/// 4,000 parameters per statement seed the 1M benchmark twice as fast as 120 did
/// (200k participants: 44.9 s → 20.8 s). Well under SQLite's 32,766 and PostgreSQL's
/// 65,535.
const MAX_PARAMS: usize = 4000;
/// Rows per statement: a fixed size keeps the statement text the same from batch to
/// batch, so that the driver prepares it once and reuses it.
const MAX_ROWS: usize = 500;

/// `$1, $2, …` → `?, ?, …` (in order). The SQLite driver resolves each numbered
/// parameter by name with a walk over all of them, which makes a statement's cost grow
/// with the square of its parameters; anonymous ones bind in order at no cost. Only
/// the bulk path needs this: its statements carry thousands of parameters.
fn anonymous_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// Inserts `rows` into `table`, in as few statements as the parameter limit allows.
pub async fn insert(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: &[Vec<V>],
) -> Result<(), Error> {
    insert_with(tx, table, columns, rows, "").await
}

/// Like `insert`, leaving out the rows that would break the unique key `key` (a list
/// of columns).
pub async fn insert_or_skip(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: &[Vec<V>],
    key: &str,
) -> Result<(), Error> {
    insert_with(
        tx,
        table,
        columns,
        rows,
        &format!(" ON CONFLICT ({key}) DO NOTHING"),
    )
    .await
}

async fn insert_with(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: &[Vec<V>],
    tail: &str,
) -> Result<(), Error> {
    if rows.is_empty() {
        return Ok(());
    }
    if let Some(bad) = rows.iter().find(|r| r.len() != columns.len()) {
        return Err(Error::Internal(format!(
            "bulk insert into {table}: row of {} values",
            bad.len()
        )));
    }
    if tail.is_empty() && rows.len() >= COPY_FROM_ROWS {
        if let Tx::Postgres(c) = tx {
            return copy_in(c, table, columns, rows).await;
        }
    }
    let per = rows_per_statement(columns.len());
    let engine = tx.engine();
    let mut sql = String::new();
    for chunk in rows.chunks(per) {
        // The statement's text is the same for every full chunk: built once.
        if sql.is_empty() || chunk.len() != per {
            sql = statement(engine, table, columns, chunk.len(), tail);
        }
        on_tx!(tx, c => {
            let q = bind_all!(sqlx::query(&sql), chunk);
            q.execute(c).await.map(|r| r.rows_affected()).map_err(db_err)
        })?;
    }
    Ok(())
}

/// Binds the values of `rows` (`&[Vec<V>]`), in order, to the query `q` (a macro: the
/// same text for either engine's query type).
macro_rules! bind_all {
    ($q:expr, $rows:expr) => {{
        let mut q = $q;
        for row in $rows {
            for v in row {
                q = match v {
                    $crate::bulk::V::Uuid(x) => q.bind(*x),
                    $crate::bulk::V::OptUuid(x) => q.bind(*x),
                    $crate::bulk::V::Text(x) => q.bind(x.as_str()),
                    $crate::bulk::V::OptText(x) => q.bind(x.as_deref()),
                    $crate::bulk::V::Date(x) => q.bind(*x),
                    $crate::bulk::V::OptDate(x) => q.bind(*x),
                    $crate::bulk::V::Ts(x) => q.bind(*x),
                    $crate::bulk::V::OptTs(x) => q.bind(*x),
                    $crate::bulk::V::Bool(x) => q.bind(*x),
                    $crate::bulk::V::I16(x) => q.bind(*x),
                    $crate::bulk::V::OptI16(x) => q.bind(*x),
                    $crate::bulk::V::I32(x) => q.bind(*x),
                    $crate::bulk::V::I64(x) => q.bind(*x),
                    $crate::bulk::V::F64(x) => q.bind(*x),
                    $crate::bulk::V::OptF64(x) => q.bind(*x),
                };
            }
        }
        q
    }};
}
pub(crate) use bind_all;

/// How many rows one statement carries.
fn rows_per_statement(columns: usize) -> usize {
    (MAX_PARAMS / columns.max(1)).clamp(1, MAX_ROWS)
}

/// `INSERT INTO table (columns) VALUES (…), (…)` for `rows` rows, then `tail`; with
/// anonymous placeholders on SQLite (see `anonymous_placeholders`).
fn statement(engine: Engine, table: &str, columns: &[&str], rows: usize, tail: &str) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push('(');
        for j in 0..columns.len() {
            n += 1;
            if j > 0 {
                sql.push(',');
            }
            sql.push('$');
            sql.push_str(&n.to_string());
        }
        sql.push(')');
    }
    sql.push_str(tail);
    if engine == Engine::Sqlite {
        sql = anonymous_placeholders(&sql);
    }
    sql
}

/// Rows made ready to insert ahead of the transaction that inserts them. An import
/// prepares its inserts before it takes SQLite's one writer, so that the writer only
/// binds and runs them: the statements' text and their values, owned (the driver has
/// nothing left to copy on its side), are built outside it. On PostgreSQL the rows
/// wait as they are and go by `COPY` (see `insert`) when run: no writer to spare there.
pub struct Prepared {
    table: String,
    columns: Vec<String>,
    tail: String,
    body: Body,
}

enum Body {
    Sqlite(Vec<(std::sync::Arc<str>, SqliteArguments<'static>)>),
    Rows(Vec<Vec<V>>),
}

impl Prepared {
    /// `rows` for `table`, to insert on `engine`; with `skip_key`, leaving out the rows
    /// that would break that unique key (as `insert_or_skip`).
    pub fn new(
        engine: Engine,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<V>>,
        skip_key: Option<&str>,
    ) -> Result<Prepared, Error> {
        if let Some(bad) = rows.iter().find(|r| r.len() != columns.len()) {
            return Err(Error::Internal(format!(
                "bulk insert into {table}: row of {} values",
                bad.len()
            )));
        }
        let tail = skip_key.map_or(String::new(), |k| format!(" ON CONFLICT ({k}) DO NOTHING"));
        let body = match engine {
            Engine::Postgres => Body::Rows(rows),
            Engine::Sqlite => {
                let per = rows_per_statement(columns.len());
                let mut statements = Vec::with_capacity(rows.len().div_ceil(per));
                let mut full: Option<std::sync::Arc<str>> = None;
                let mut rows = rows.into_iter().peekable();
                while rows.peek().is_some() {
                    let chunk: Vec<Vec<V>> = rows.by_ref().take(per).collect();
                    let sql = match &full {
                        Some(s) if chunk.len() == per => s.clone(),
                        _ => {
                            let s: std::sync::Arc<str> =
                                statement(engine, table, columns, chunk.len(), &tail).into();
                            if chunk.len() == per {
                                full = Some(s.clone());
                            }
                            s
                        }
                    };
                    let mut args = SqliteArguments::default();
                    for v in chunk.into_iter().flatten() {
                        add_owned(&mut args, v).map_err(|e| {
                            Error::Internal(format!("bulk insert into {table}: {e}"))
                        })?;
                    }
                    statements.push((sql, args));
                }
                Body::Sqlite(statements)
            }
        };
        Ok(Prepared {
            table: table.to_string(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            tail,
            body,
        })
    }

    /// Inserts the rows in `tx` (of the engine they were prepared for).
    pub async fn run(self, tx: &mut Tx) -> Result<(), Error> {
        match (self.body, tx) {
            (Body::Sqlite(statements), Tx::Sqlite(t)) => {
                let c = t.conn()?;
                for (sql, args) in statements {
                    sqlx::query_with(&sql, args)
                        .execute(&mut *c)
                        .await
                        .map_err(db_err)?;
                }
                Ok(())
            }
            (Body::Rows(rows), tx) => {
                let columns: Vec<&str> = self.columns.iter().map(String::as_str).collect();
                insert_with(tx, &self.table, &columns, &rows, &self.tail).await
            }
            (Body::Sqlite(_), _) => Err(Error::Internal(format!(
                "bulk insert into {}: prepared for SQLite, run on PostgreSQL",
                self.table
            ))),
        }
    }
}

/// Adds `v` to `args`, moving what it owns.
fn add_owned(args: &mut SqliteArguments<'static>, v: V) -> Result<(), sqlx::error::BoxDynError> {
    match v {
        V::Uuid(x) => args.add(x),
        V::OptUuid(x) => args.add(x),
        V::Text(x) => args.add(x),
        V::OptText(x) => args.add(x),
        V::Date(x) => args.add(x),
        V::OptDate(x) => args.add(x),
        V::Ts(x) => args.add(x),
        V::OptTs(x) => args.add(x),
        V::Bool(x) => args.add(x),
        V::I16(x) => args.add(x),
        V::OptI16(x) => args.add(x),
        V::I32(x) => args.add(x),
        V::I64(x) => args.add(x),
        V::F64(x) => args.add(x),
        V::OptF64(x) => args.add(x),
    }
}

/// From how many rows PostgreSQL is given them with `COPY` instead of `INSERT`s (a
/// registration's one row stays a prepared statement).
const COPY_FROM_ROWS: usize = 50;
/// How much `COPY` text is sent to PostgreSQL at a time.
const COPY_CHUNK: usize = 1 << 20;

/// PostgreSQL: the rows as `COPY … FROM STDIN` in its text format, a megabyte at a
/// time, instead of multi-row `INSERT`s (no statement to parse and plan per 500 rows, no
/// binary parameters to build). Inside the caller's transaction like any insert: a
/// refused row (a unique key, a check) refuses them all, with the same error.
async fn copy_in(
    c: &mut sqlx::PgConnection,
    table: &str,
    columns: &[&str],
    rows: &[Vec<V>],
) -> Result<(), Error> {
    let mut copy = c
        .copy_in_raw(&format!("COPY {table} ({}) FROM STDIN", columns.join(", ")))
        .await
        .map_err(db_err)?;
    let mut buf = String::with_capacity(COPY_CHUNK + 4096);
    for row in rows {
        for (j, v) in row.iter().enumerate() {
            if j > 0 {
                buf.push('\t');
            }
            copy_value(&mut buf, v);
        }
        buf.push('\n');
        if buf.len() >= COPY_CHUNK {
            copy.send(buf.as_bytes()).await.map_err(db_err)?;
            buf.clear();
        }
    }
    if !buf.is_empty() {
        copy.send(buf.as_bytes()).await.map_err(db_err)?;
    }
    copy.finish().await.map_err(db_err)?;
    Ok(())
}

/// One value in `COPY`'s text format: `\N` for null, text with its backslashes, tabs
/// and line ends escaped, times in UTC with microseconds.
fn copy_value(buf: &mut String, v: &V) {
    use std::fmt::Write;
    const NULL: &str = "\\N";
    let text = |buf: &mut String, t: &str| {
        for ch in t.chars() {
            match ch {
                '\\' => buf.push_str("\\\\"),
                '\t' => buf.push_str("\\t"),
                '\n' => buf.push_str("\\n"),
                '\r' => buf.push_str("\\r"),
                c => buf.push(c),
            }
        }
    };
    let ts = |buf: &mut String, t: &DateTime<Utc>| {
        buf.push_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
    };
    // Writing to a `String` cannot fail.
    let _ = match v {
        V::Uuid(x) => write!(buf, "{}", x.hyphenated()),
        V::OptUuid(Some(x)) => write!(buf, "{}", x.hyphenated()),
        V::Text(x) | V::OptText(Some(x)) => {
            text(buf, x);
            Ok(())
        }
        V::Date(x) | V::OptDate(Some(x)) => write!(buf, "{}", x.format("%Y-%m-%d")),
        V::Ts(x) | V::OptTs(Some(x)) => {
            ts(buf, x);
            Ok(())
        }
        V::Bool(x) => buf.write_str(if *x { "t" } else { "f" }),
        V::I16(x) | V::OptI16(Some(x)) => write!(buf, "{x}"),
        V::I32(x) => write!(buf, "{x}"),
        V::I64(x) => write!(buf, "{x}"),
        V::F64(x) | V::OptF64(Some(x)) => write!(buf, "{x}"),
        V::OptUuid(None)
        | V::OptText(None)
        | V::OptDate(None)
        | V::OptTs(None)
        | V::OptI16(None)
        | V::OptF64(None) => buf.write_str(NULL),
    };
}

/// The secondary indexes of `tables`, as the statements that create them.
async fn index_ddl(tx: &mut Tx, tables: &[&str]) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    for t in tables {
        let sql = match tx.engine() {
            Engine::Sqlite => "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL ORDER BY name",
            Engine::Postgres => "SELECT i.indexname::text, i.indexdef::text FROM pg_indexes i \
                 WHERE i.schemaname = current_schema() AND i.tablename = $1 \
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname) ORDER BY 1",
        };
        let rows: Vec<(String, String)> =
            on_tx!(tx, c => sqlx::query_as(sql).bind(*t).fetch_all(c).await.map_err(db_err))?;
        out.extend(rows);
    }
    Ok(out)
}

/// For a load into empty tables: drops their secondary indexes and returns the
/// statements that rebuild them (a sorted build after the load is much faster than
/// keeping every index up to date row by row). Give the result to `restore_indexes`.
///
/// On PostgreSQL their foreign keys go too and come back last, each checked once over
/// the whole table (what `pg_restore` does): row by row, every foreign key costs a
/// trigger and an index probe per inserted row, most of a bulk load's time. On SQLite
/// the foreign keys stay; its bulk loads skip the row-by-row checks instead
/// (`Store::bulk_write`), and the tests check the loaded database whole.
pub async fn suspend_indexes(tx: &mut Tx, tables: &[&str]) -> Result<Vec<String>, Error> {
    let ddl = index_ddl(tx, tables).await?;
    for (name, _) in &ddl {
        on_tx!(tx, c => sqlx::query(&format!("DROP INDEX {name}")).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    }
    let mut restore: Vec<String> = ddl.into_iter().map(|(_, sql)| sql).collect();
    if let Tx::Postgres(c) | Tx::PostgresRead(c, _) = tx {
        for t in tables {
            let keys: Vec<(String, String)> = sqlx::query_as(
                "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
                 WHERE contype = 'f' AND conrelid = to_regclass($1) ORDER BY 1",
            )
            .bind(*t)
            .fetch_all(&mut **c)
            .await
            .map_err(db_err)?;
            for (name, def) in keys {
                sqlx::query(&format!("ALTER TABLE {t} DROP CONSTRAINT {name}"))
                    .execute(&mut **c)
                    .await
                    .map_err(db_err)?;
                restore.push(format!("ALTER TABLE {t} ADD CONSTRAINT {name} {def}"));
            }
        }
    }
    Ok(restore)
}

/// Builds the suspended indexes again.
pub async fn restore_indexes(tx: &mut Tx, ddl: &[String]) -> Result<(), Error> {
    if let Tx::Sqlite(c) = tx {
        // A pooled connection may still hold the schema as it was before another
        // connection dropped these indexes, and SQLite checks an index's name against
        // that copy when it prepares `CREATE INDEX` ("already exists"). Reading the
        // schema inside this transaction brings the copy up to date first.
        let _: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master")
            .fetch_one(c.conn()?)
            .await
            .map_err(db_err)?;
    }
    for sql in ddl {
        on_tx!(tx, c => sqlx::query(sql).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{copy_value, V};

    #[test]
    fn copy_text_escapes_what_the_format_reads_as_syntax() {
        let one = |v: V| {
            let mut s = String::new();
            copy_value(&mut s, &v);
            s
        };
        assert_eq!(one(V::Text("a\\b\tc\nd\re".into())), "a\\\\b\\tc\\nd\\re");
        assert_eq!(
            one(V::Text("\\N".into())),
            "\\\\N",
            "a text \\N is not a null"
        );
        assert_eq!(one(V::OptText(None)), "\\N");
        assert_eq!(one(V::OptUuid(None)), "\\N");
        assert_eq!(one(V::Bool(true)) + &one(V::Bool(false)), "tf");
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-04T20:33:08.000123Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(one(V::Ts(at)), "2026-12-04T20:33:08.000123Z");
        assert_eq!(
            one(V::Date(chrono::NaiveDate::from_ymd_opt(987, 1, 2).unwrap())),
            "0987-01-02"
        );
        assert_eq!(
            one(V::Uuid(uuid::Uuid::from_u128(1))),
            "00000000-0000-0000-0000-000000000001"
        );
    }

    #[test]
    fn numbered_placeholders_become_anonymous_in_order() {
        assert_eq!(
            super::anonymous_placeholders("INSERT INTO t (a, b) VALUES ($1,$2),($3,$4)"),
            "INSERT INTO t (a, b) VALUES (?,?),(?,?)"
        );
    }
}
