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
    itinera_seed::demo::coordination::seed(&app.services, crate::helpers::start_time())
        .await
        .expect("coordination");
    assert!(app.store.integrity_check().await.expect("check"));
}
