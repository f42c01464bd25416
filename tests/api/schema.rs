//! One logical schema: the same migration runs on both engines; this test compares what
//! each engine reports: every table's columns, indexes, keys and constraints.

use itinera_store::schema::describe;
use itinera_store::Store;

use crate::helpers::*;

#[tokio::test]
async fn both_engines_have_the_same_schema() {
    if std::env::var("ITINERA_TEST_PG").is_err() {
        // Needs both engines: the README's test command provides PostgreSQL and sets
        // ITINERA_REQUIRE_PG, so that there this test cannot pass without comparing.
        assert!(
            std::env::var("ITINERA_REQUIRE_PG").is_err(),
            "ITINERA_REQUIRE_PG is set but ITINERA_TEST_PG is not: no PostgreSQL to compare with"
        );
        eprintln!("schema comparison skipped: ITINERA_TEST_PG is not set");
        return;
    }
    let sqlite_dir =
        std::env::temp_dir().join(format!("itinera-schema-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&sqlite_dir).expect("dir");
    let sqlite = Store::connect(&format!("sqlite://{}", sqlite_dir.join("s.db").display()))
        .await
        .expect("sqlite");
    sqlite.migrate(start_time()).await.expect("migrate sqlite");
    let pg_url = fresh_database_url_for("postgres").await;
    let pg = Store::connect(&pg_url).await.expect("pg");
    pg.migrate(start_time()).await.expect("migrate pg");
    let a = describe(&sqlite).await.expect("describe sqlite");
    let b = describe(&pg).await.expect("describe pg");
    assert!(a.columns.len() > 100, "{} columns", a.columns.len());
    assert!(a.indexes.len() > 80, "{} indexes", a.indexes.len());
    assert!(
        a.foreign_keys.len() > 80,
        "{} foreign keys",
        a.foreign_keys.len()
    );
    assert_eq!(a.columns, b.columns);
    assert_eq!(a.indexes, b.indexes);
    assert_eq!(a.foreign_keys, b.foreign_keys);
    assert_eq!(a.checks, b.checks);
    eprintln!(
        "schema: both engines have {} columns, {} indexes, {} foreign keys",
        a.columns.len(),
        a.indexes.len(),
        a.foreign_keys.len()
    );
}

#[tokio::test]
async fn migrations_are_idempotent_and_integrity_holds() {
    let url = fresh_database_url().await;
    let store = Store::connect(&url).await.expect("connect");
    assert_eq!(
        store.migrate(start_time()).await.expect("first"),
        itinera_store::schema::MIGRATIONS.len()
    );
    assert_eq!(store.migrate(start_time()).await.expect("second"), 0);
    assert!(store.integrity_check().await.expect("check"));
}

#[tokio::test]
async fn the_seeded_demo_keeps_every_reference() {
    // The demo is loaded without row-by-row foreign-key checks (`Store::bulk_write`):
    // the whole database is checked afterwards instead.
    let app = crate::helpers::spawn_app().await;
    assert!(app.store.integrity_check().await.expect("check"));
    // The indexes and (on PostgreSQL) foreign keys suspended for the load are all back,
    // as the migration made them.
    let fresh = Store::connect(&fresh_database_url().await)
        .await
        .expect("fresh");
    fresh.migrate(start_time()).await.expect("migrate");
    let (seeded, made) = (
        describe(&app.store).await.expect("describe seeded"),
        describe(&fresh).await.expect("describe fresh"),
    );
    assert_eq!(seeded.indexes, made.indexes);
    assert_eq!(seeded.foreign_keys, made.foreign_keys);
    itinera_seed::demo::coordination::seed(&app.services, crate::helpers::start_time())
        .await
        .expect("coordination");
    assert!(app.store.integrity_check().await.expect("check"));
}

/// Tables that hold or point at a person's data without carrying the distribution key
/// `home_organisation_id`, and why: each is small, or spans organisations by nature.
/// Under a sharded engine (Citus) they are reference tables or stay on the coordinator
/// (ARCHITECTURE.md, "Scale").
const NOT_DISTRIBUTED: &[(&str, &str)] = &[
    (
        "merges",
        "the master index: one person's records across organisations",
    ),
    (
        "merge_members",
        "the master index: one person's records across organisations",
    ),
    (
        "link_reviews",
        "the master index: pairs of records of different organisations",
    ),
    (
        "notifications",
        "a professional's notices, read by user, few",
    ),
    ("agreements", "coordination bodies span organisations"),
    ("meeting_items", "coordination bodies span organisations"),
    ("board_cards", "coordination boards span organisations"),
    ("board_votes", "coordination boards span organisations"),
    (
        "restrictions",
        "the data-protection office's register, few rows",
    ),
    (
        "legal_holds",
        "the data-protection office's register, few rows",
    ),
    (
        "erasures",
        "the data-protection office's register, few rows",
    ),
];

#[tokio::test]
async fn the_distribution_key_is_carried_where_it_must() {
    let app = crate::helpers::spawn_app().await;
    itinera_seed::demo::coordination::seed(&app.services, crate::helpers::start_time())
        .await
        .expect("coordination");
    let schema = describe(&app.store).await.expect("describe");
    let keyed: std::collections::BTreeSet<&str> = schema
        .columns
        .iter()
        .filter(|c| c.column == "home_organisation_id")
        .map(|c| {
            // NOT NULL: the engine refuses an insert that does not carry the key.
            assert!(c.not_null, "{}.home_organisation_id may be null", c.table);
            c.table.as_str()
        })
        .collect();
    // Every table whose rows lead to a person (a chain of foreign keys to participants).
    let mut person: std::collections::BTreeSet<&str> = ["participants"].into();
    loop {
        let before = person.len();
        for fk in &schema.foreign_keys {
            if person.contains(fk.references.as_str()) {
                person.insert(fk.table.as_str());
            }
        }
        if person.len() == before {
            break;
        }
    }
    for t in &person {
        assert!(
            keyed.contains(t) || NOT_DISTRIBUTED.iter().any(|(n, _)| n == t),
            "{t} holds a person's data but carries no home_organisation_id (add it, or say in NOT_DISTRIBUTED why not)"
        );
    }
    for (t, _) in NOT_DISTRIBUTED {
        assert!(
            person.contains(t),
            "{t} is listed but holds no person's data"
        );
        assert!(!keyed.contains(t), "{t} is listed but carries the key");
    }
    // Co-location: a row carries the key of the row it belongs to, so that under
    // sharding a person's records and their joins stay on one shard.
    let mut checked = 0;
    for fk in &schema.foreign_keys {
        if !keyed.contains(fk.table.as_str())
            || !keyed.contains(fk.references.as_str())
            || fk.columns.contains(',')
        {
            continue;
        }
        let sql = format!(
            "SELECT count(*) FROM {t} x JOIN {r} y ON y.{rc} = x.{c} WHERE x.home_organisation_id <> y.home_organisation_id",
            t = fk.table,
            r = fk.references,
            rc = fk.referenced_columns,
            c = fk.columns
        );
        let n = count(&app, &sql).await;
        assert_eq!(
            n, 0,
            "{}.{} → {}: {n} rows of another organisation",
            fk.table, fk.columns, fk.references
        );
        checked += 1;
    }
    assert!(checked > 20, "{checked} links checked");
    eprintln!(
        "distribution key: {} tables keyed, {} not distributed, {checked} links co-located",
        keyed.len(),
        NOT_DISTRIBUTED.len()
    );
}

/// The bulk path (multi-row `INSERT`s on SQLite, `COPY` on PostgreSQL from 50 rows)
/// gives back exactly what it was given: text with backslashes, tabs and line ends,
/// nulls, days, instants to the microsecond, flags and numbers.
#[tokio::test]
async fn bulk_rows_come_back_as_given() {
    use itinera_store::bulk::{insert, V};
    let app = spawn_app().await;
    let mut tx = app.store.write().await.expect("tx");
    itinera_store::on_tx!(&mut tx, c => sqlx::query(
        "CREATE TEMP TABLE bulk_probe (id UUID NOT NULL, note TEXT, day DATE, at TIMESTAMPTZ, flag BOOLEAN, n SMALLINT, x DOUBLE PRECISION)"
    ).execute(c).await.map(|_| ()).map_err(itinera_store::db_err))
    .expect("create");
    let at = start_time() + chrono::Duration::microseconds(123_457);
    let day = chrono::NaiveDate::from_ymd_opt(2026, 2, 28).expect("day");
    let notes = [
        "plain",
        "back\\slash \\N and \\t",
        "tab\there",
        "line\nend\r\nand CR",
        "àccénts · ñ — «»",
        "",
    ];
    let rows: Vec<Vec<V>> = (0..60)
        .map(|i| {
            let note = notes.get(i % notes.len()).map(|s| s.to_string());
            vec![
                V::Uuid(uuid::Uuid::from_u128(i as u128 + 1)),
                if i % 7 == 6 {
                    V::OptText(None)
                } else {
                    V::OptText(note)
                },
                if i % 5 == 4 {
                    V::OptDate(None)
                } else {
                    V::OptDate(Some(day))
                },
                if i % 4 == 3 {
                    V::OptTs(None)
                } else {
                    V::OptTs(Some(at))
                },
                V::Bool(i % 2 == 0),
                V::I16(i as i16 - 30),
                V::OptF64(if i % 3 == 2 {
                    None
                } else {
                    Some(i as f64 / 8.0)
                }),
            ]
        })
        .collect();
    insert(
        &mut tx,
        "bulk_probe",
        &["id", "note", "day", "at", "flag", "n", "x"],
        &rows,
    )
    .await
    .expect("bulk insert");
    type Back = (
        uuid::Uuid,
        Option<String>,
        Option<chrono::NaiveDate>,
        Option<chrono::DateTime<chrono::Utc>>,
        bool,
        i16,
        Option<f64>,
    );
    let back: Vec<Back> = itinera_store::on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT id, note, day, at, flag, n, x FROM bulk_probe ORDER BY n"
    ).fetch_all(c).await.map_err(itinera_store::db_err))
    .expect("read back");
    assert_eq!(back.len(), 60);
    for (i, (id, note, d, t, flag, n, x)) in back.into_iter().enumerate() {
        assert_eq!(id, uuid::Uuid::from_u128(i as u128 + 1));
        let want = (i % 7 != 6).then(|| notes[i % notes.len()].to_string());
        assert_eq!(note, want, "row {i}");
        assert_eq!(d, (i % 5 != 4).then_some(day), "row {i}");
        assert_eq!(t, (i % 4 != 3).then_some(at), "row {i}");
        assert_eq!(flag, i % 2 == 0);
        assert_eq!(n, i as i16 - 30);
        assert_eq!(x, (i % 3 != 2).then_some(i as f64 / 8.0), "row {i}");
    }
    tx.rollback().await.expect("rollback");
}
