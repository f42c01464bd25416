//! One logical schema: the same migration runs on both engines; this test compares what
//! each engine reports, table by table and column by column.

use itinera_store::schema::describe;
use itinera_store::Store;

use crate::helpers::*;

#[tokio::test]
async fn both_engines_have_the_same_schema() {
    if std::env::var("ITINERA_TEST_PG").is_err() {
        // Needs both engines: the README's test command provides PostgreSQL.
        eprintln!("skipped: ITINERA_TEST_PG is not set");
        return;
    }
    let sqlite_dir =
        std::env::temp_dir().join(format!("itinera-schema-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&sqlite_dir).expect("dir");
    let sqlite = Store::connect(&format!("sqlite://{}", sqlite_dir.join("s.db").display()))
        .await
        .expect("sqlite");
    sqlite.migrate().await.expect("migrate sqlite");
    let pg_url = fresh_database_url_for("postgres").await;
    let pg = Store::connect(&pg_url).await.expect("pg");
    pg.migrate().await.expect("migrate pg");
    let a = describe(&sqlite).await.expect("describe sqlite");
    let b = describe(&pg).await.expect("describe pg");
    assert!(a.len() > 100, "{} columns", a.len());
    assert_eq!(a, b);
}

#[tokio::test]
async fn migrations_are_idempotent_and_integrity_holds() {
    let url = fresh_database_url().await;
    let store = Store::connect(&url).await.expect("connect");
    assert_eq!(
        store.migrate().await.expect("first"),
        itinera_store::schema::MIGRATIONS.len()
    );
    assert_eq!(store.migrate().await.expect("second"), 0);
    assert!(store.integrity_check().await.expect("check"));
}

#[tokio::test]
async fn the_seeded_demo_keeps_every_reference() {
    // The demo is loaded without row-by-row foreign-key checks (`Store::bulk_write`):
    // the whole database is checked afterwards instead.
    let app = crate::helpers::spawn_app().await;
    assert!(app.store.integrity_check().await.expect("check"));
    itinera_service::demo_coordination::seed(&app.services, crate::helpers::start_time())
        .await
        .expect("coordination");
    assert!(app.store.integrity_check().await.expect("check"));
}
