//! `spawn_app()`: the real application on a fresh database (SQLite file, or a new
//! PostgreSQL database when `ITINERA_TEST_DB=postgres`), seeded with a small demo, on a
//! random port, with a fixed clock. Tests talk HTTP to it.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use itinera_domain::documents::dni_letter;
use itinera_seed::demo::{self, DemoOptions};
use itinera_service::{Caller, Ctx, FixedClock, Services, Settings};
use itinera_store::Store;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const PASSWORD: &str = demo::DEMO_PASSWORD;

/// Users of the demo, by what they are in the tests.
pub const SOCIAL_BADAJOZ: &str = "ts.badajoz";
pub const SEXPE_BADAJOZ: &str = "orienta.badajoz";
pub const NGO_BADAJOZ: &str = "tecnico.badajoz";
pub const SOCIAL_MERIDA: &str = "ts.merida";
pub const SEXPE_MERIDA: &str = "orienta.merida";
pub const CASE_MANAGER: &str = "gestora.badajoz";
pub const COORDINATOR: &str = "coordina.crisol";
pub const PROGRAMME_MANAGER: &str = "programa.junta";
pub const AUDITOR: &str = "auditoria";
pub const ADMIN: &str = "admin";
/// The second administrator (four eyes).
pub const ADMIN2: &str = "admin.segunda";
/// The trainer of the Badajoz NGO (Puentes de Inclusión), named on its demo course.
pub const TRAINER: &str = "formador.badajoz";
/// The workplace tutor of Reciclajes Guadiana.
pub const TUTOR: &str = "tutor.1";

pub const ALL_USERS: &[&str] = &[
    SOCIAL_BADAJOZ,
    SEXPE_BADAJOZ,
    NGO_BADAJOZ,
    SOCIAL_MERIDA,
    SEXPE_MERIDA,
    CASE_MANAGER,
    COORDINATOR,
    PROGRAMME_MANAGER,
    AUDITOR,
    ADMIN,
    ADMIN2,
    TRAINER,
    TUTOR,
];

pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0)
        .single()
        .expect("time")
}

pub use crate::common::{fresh_database_url, fresh_database_url_for};

pub struct TestApp {
    pub base: String,
    /// The database, for a second server over it.
    pub db_url: String,
    pub services: Services,
    pub clock: Arc<FixedClock>,
    pub store: Store,
    pub client: reqwest::Client,
    pub tokens: HashMap<String, String>,
}

/// The scoped roles of the tests (the full demo has them too): a trainer at the
/// Badajoz and the Mérida NGOs, a workplace tutor at Reciclajes Guadiana.
async fn scoped_users(services: &Services) {
    use itinera_service::admin::{MembershipInput, UserInput};
    let orgs = services.organisations().await.expect("organisations");
    let ctx = Ctx::cli(start_time());
    for (username, org, role) in [
        (TRAINER, "Asociación Puentes de Inclusión", "trainer"),
        ("formador.merida", "Asociación Emerita Solidaria", "trainer"),
        (TUTOR, "Reciclajes Guadiana", "workplace_tutor"),
    ] {
        let org = orgs
            .iter()
            .find(|o| o.name.starts_with(org))
            .unwrap_or_else(|| panic!("no organisation {org}"));
        let user = services
            .create_user(
                Caller::CommandLine,
                &ctx,
                &UserInput {
                    username: username.into(),
                    display_name: format!("Prueba {username} · {}", org.name),
                    password: PASSWORD.into(),
                    locale: "es".into(),
                    active: true,
                    ..Default::default()
                },
            )
            .await
            .expect("user");
        services
            .add_membership(
                Caller::CommandLine,
                &ctx,
                user,
                &MembershipInput {
                    organisation_id: org.id.to_string(),
                    role: role.into(),
                },
            )
            .await
            .expect("membership");
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(40).await
}

pub async fn spawn_app_with(participants: usize) -> TestApp {
    spawn(participants, None, false).await
}

/// The application keeping computed aggregates for five minutes, as a deployment does
/// (the others compute every read, so that a test reads what it just wrote).
pub async fn spawn_app_keeping_aggregates() -> TestApp {
    spawn(40, None, true).await
}

/// The application sending e-mail through `smtp_url` (its sender running).
pub async fn spawn_app_with_mail(smtp_url: &str) -> TestApp {
    spawn(
        40,
        Some(itinera_service::mail::MailSettings {
            smtp_url: smtp_url.into(),
            from: "Itinera <no-reply@itinera.test>".into(),
            public_url: "https://itinera.test".into(),
        }),
        false,
    )
    .await
}

async fn spawn(
    participants: usize,
    mail: Option<itinera_service::mail::MailSettings>,
    keep_aggregates: bool,
) -> TestApp {
    let db_url = fresh_database_url().await;
    let store = Store::connect(&db_url).await.expect("connect");
    store.migrate(start_time()).await.expect("migrate");
    let clock = Arc::new(FixedClock::new(start_time()));
    let mut settings = Settings::of_deployment(&store, start_time())
        .await
        .expect("settings");
    settings.aggregate_cache = if keep_aggregates {
        chrono::Duration::minutes(5)
    } else {
        chrono::Duration::zero()
    };
    let mut services = Services::new(store.clone(), clock.clone(), settings);
    if let Some(m) = &mail {
        services = services.with_mail(m).expect("mail settings");
        tokio::spawn(itinera_service::mail::run(
            services.clone(),
            std::future::pending(),
        ));
    }
    demo::seed(
        &store,
        start_time(),
        &DemoOptions {
            seed: 99,
            participants,
            contacts: None,
        },
        |_, _| {},
    )
    .await
    .expect("seed");
    scoped_users(&services).await;
    let mut tokens = HashMap::new();
    let ctx = Ctx::cli(start_time());
    for itinera_service::admin::UserView { user, memberships } in
        services.users_for_cli().await.expect("users")
    {
        let Some(m) = memberships.first() else {
            continue;
        };
        let token = services
            .create_token(
                Caller::CommandLine,
                &ctx,
                &itinera_service::admin::TokenInput {
                    user_id: user.id.to_string(),
                    organisation_id: m.organisation_id.to_string(),
                    name: "test".into(),
                    expires_in_days: String::new(),
                    roles: Vec::new(),
                },
            )
            .await
            .expect("token");
        tokens.insert(user.username.clone(), token);
    }
    let state = itinera_web::AppState::new(services.clone(), false);
    let app = itinera_web::app(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = itinera_web::server::serve(
            listener,
            app,
            itinera_web::server::Limits::default(),
            std::future::pending(),
        )
        .await;
    });
    TestApp {
        db_url: db_url.clone(),
        base: format!("http://{addr}"),
        services,
        clock,
        store,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        tokens,
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl TestApp {
    /// Another server process's worth of state (its own store connections and
    /// services) over the same database, on its own port: what a deployment with two
    /// servers behind a balancer looks like. Returns its base URL.
    pub async fn second_server(&self) -> String {
        let store = Store::connect(&self.db_url).await.expect("connect");
        let settings = Settings::of_deployment(&store, start_time())
            .await
            .expect("settings");
        let services = Services::new(store, self.clock.clone(), settings);
        let app = itinera_web::app(itinera_web::AppState::new(services, false));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = itinera_web::server::serve(
                listener,
                app,
                itinera_web::server::Limits::default(),
                std::future::pending(),
            )
            .await;
        });
        format!("http://{addr}")
    }

    pub fn token(&self, user: &str) -> &str {
        self.tokens.get(user).map(String::as_str).unwrap_or("none")
    }

    /// Sends an API request; the answer is checked against the OpenAPI document.
    async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let req = req.build().expect("request");
        let method = req.method().to_string();
        let path = req.url().path().to_string();
        let r = self.client.execute(req).await.expect("request");
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        if let Some(api_path) = path.strip_prefix("/api/v1") {
            let ctype = headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            crate::conformance::check(&method, api_path, status.as_u16(), ctype, &text);
        }
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Resp {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, user: &str, path: &str) -> Resp {
        self.send(
            self.client
                .get(format!("{}/api/v1{path}", self.base))
                .bearer_auth(self.token(user)),
        )
        .await
    }

    /// A GET in a language (`Accept-Language`).
    pub async fn get_lang(&self, user: &str, path: &str, lang: &str) -> Resp {
        self.send(
            self.client
                .get(format!("{}/api/v1{path}", self.base))
                .bearer_auth(self.token(user))
                .header("accept-language", lang),
        )
        .await
    }

    pub async fn post(&self, user: &str, path: &str, body: &Value) -> Resp {
        self.send(
            self.client
                .post(format!("{}/api/v1{path}", self.base))
                .bearer_auth(self.token(user))
                .json(body),
        )
        .await
    }

    pub async fn post_lang(&self, user: &str, path: &str, body: &Value, lang: &str) -> Resp {
        self.send(
            self.client
                .post(format!("{}/api/v1{path}", self.base))
                .bearer_auth(self.token(user))
                .header("accept-language", lang)
                .json(body),
        )
        .await
    }

    pub async fn put(&self, user: &str, path: &str, body: &Value) -> Resp {
        self.send(
            self.client
                .put(format!("{}/api/v1{path}", self.base))
                .bearer_auth(self.token(user))
                .json(body),
        )
        .await
    }

    pub async fn delete(&self, user: &str, path: &str) -> Resp {
        self.send(
            self.client
                .delete(format!("{}/api/v1{path}", self.base))
                .bearer_auth(self.token(user)),
        )
        .await
    }

    /// The id of a demo organisation by (part of) its name.
    pub async fn org(&self, name_part: &str) -> String {
        let r = self.get(ADMIN, "/organisations").await;
        r.body
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|o| o["name"].as_str().is_some_and(|n| n.contains(name_part)))
            })
            .and_then(|o| o["id"].as_str())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no organisation like {name_part}"))
    }

    pub async fn programme(&self, code: &str) -> String {
        let r = self.get(ADMIN, "/programmes").await;
        r.body
            .as_array()
            .and_then(|a| a.iter().find(|p| p["code"] == code))
            .and_then(|p| p["id"].as_str())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no programme {code}"))
    }

    /// Grants `role` at `org` to user `uid` as a deployment does: one administrator asks,
    /// the second approves (four eyes).
    pub async fn grant_role(&self, uid: &str, org: &str, role: &str) {
        let r = self
            .post(
                ADMIN,
                &format!("/users/{uid}/memberships"),
                &json!({"organisation_id": org, "role": role}),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
        let grant = r.body["grant_id"].as_str().unwrap_or("").to_string();
        let r = self
            .post(
                ADMIN2,
                &format!("/role-grants/{grant}/decision"),
                &json!({"approve": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }

    /// `USER_ID@ORG_ID` of a demo professional (their first organisation).
    pub async fn professional(&self, username: &str) -> String {
        let r = self
            .get(ADMIN, &format!("/users?q={username}&per_page=100"))
            .await;
        let entry = r.body["items"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["user"]["username"] == username))
            .unwrap_or_else(|| panic!("no user {username}: {:?}", r.body))
            .clone();
        format!(
            "{}@{}",
            entry["user"]["id"].as_str().unwrap_or(""),
            entry["memberships"][0]["organisation_id"]
                .as_str()
                .unwrap_or("")
        )
    }

    /// Registers a participant as `user`; returns the id.
    pub async fn register(&self, user: &str, body: &Value) -> String {
        let r = self.post(user, "/participants", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "register: {:?}", r.body);
        r.body["id"].as_str().expect("id").to_string()
    }

    /// Opens a CRISOL case for `pid` managed by `manager`; returns the case id.
    pub async fn open_case(&self, user: &str, pid: &str, manager: &str) -> String {
        let programme = self.programme("CRISOL").await;
        let manager = self.professional(manager).await;
        let r = self
            .post(
                user,
                &format!("/participants/{pid}/cases"),
                &json!({"programme_id": programme, "case_manager": manager}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "open case: {:?}", r.body);
        r.body["id"].as_str().expect("id").to_string()
    }

    /// The person consents (recorded by `by`) to sharing with the employment service,
    /// and `by` adds `counsellor` of it to the case's team as its employment reference.
    pub async fn share_with_employment(&self, by: &str, pid: &str, case: &str, counsellor: &str) {
        let r = self
            .post(
                by,
                &format!("/participants/{pid}/consents"),
                &json!({"purpose": "sharing", "given_on": "2026-11-01", "evidence": "Firma",
                        "organisation_kinds": ["employment_service"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "consent: {:?}", r.body);
        let professional = self.professional(counsellor).await;
        let r = self
            .post(
                by,
                &format!("/cases/{case}/team-members"),
                &json!({"professional": professional, "role": "employment_reference"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "team member: {:?}", r.body);
    }
}

/// A valid DNI for a number.
pub fn dni(n: u32) -> String {
    format!("{n:08}{}", dni_letter(n))
}

/// A participant's JSON as a professional would send it.
/// A test person. Different numbers give different persons to the master index: the
/// birth date and the phone follow the number, scattered (two test people with the same
/// name, birthday and phone, or one digit apart, would rightly look like one).
pub fn person(given: &str, surname1: &str, surname2: &str, dni_number: u32) -> Value {
    let n = u64::from(dni_number);
    let birth = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default()
        + chrono::Duration::days((n * 7_919 % 18_000) as i64);
    let phone = n * 104_729 % 100_000_000;
    json!({
        "given_name": given,
        "surname1": surname1,
        "surname2": surname2,
        "sex": "female",
        "birth_date": birth.to_string(),
        "nationality": "ES",
        "labour_status": "unemployed",
        "labour_status_since": "2025-09-01",
        "phone": format!("+34 6{phone:08}"),
        "documents": [{"kind": "dni", "number": dni(dni_number)}],
    })
}

/// A browser: cookies, forms with the CSRF token read from the page.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: base.to_string(),
        }
    }

    pub async fn login(&self, user: &str) -> reqwest::Response {
        self.login_with(user, PASSWORD).await
    }

    /// Signs in with a password of one's choosing (an account a test made).
    pub async fn login_with(&self, user: &str, password: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/login", self.base))
            .form(&[("username", user), ("password", password)])
            .send()
            .await
            .expect("login")
    }

    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("get");
        (r.status(), r.text().await.unwrap_or_default())
    }

    pub async fn csrf(&self) -> String {
        let (_, html) = self.page("/").await;
        html.split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("")
            .to_string()
    }

    pub async fn post_form(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, Option<String>) {
        let csrf = self.csrf().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .form(&all)
            .send()
            .await
            .expect("post");
        let status = r.status();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (status, r.text().await.unwrap_or_default(), location)
    }
}

/// (user id, organisation id) of a demo professional.
pub async fn who(app: &TestApp, username: &str) -> (String, String) {
    let p = app.professional(username).await;
    let (u, o) = p.split_once('@').unwrap_or_default();
    (u.to_string(), o.to_string())
}

/// The (field, code) pairs of a problem document's errors.
pub fn codes(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or("").to_string(),
                        e["code"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The number a counting query gives, read straight from the database.
pub async fn count(app: &TestApp, sql: &str) -> i64 {
    let mut tx = app.store.read().await.expect("tx");
    let n: i64 = itinera_store::on_tx!(&mut tx, c => sqlx::query_scalar(sql).fetch_one(c).await.map_err(itinera_store::db_err))
        .expect("count");
    tx.rollback().await.expect("rollback");
    n
}

/// Runs a statement straight on the database (to date records in the past), with the
/// id `id` bound as `$1`.
pub async fn exec(app: &TestApp, sql: &str, id: &str) {
    let id = uuid::Uuid::parse_str(id).expect("uuid");
    let mut tx = app.store.write().await.expect("tx");
    itinera_store::on_tx!(&mut tx, c => sqlx::query(sql).bind(id).execute(c).await.map(|_| ()).map_err(itinera_store::db_err))
        .expect("exec");
    tx.commit().await.expect("commit");
}

/// Runs a statement without parameters straight on the database.
pub async fn exec_plain(app: &TestApp, sql: &str) {
    let mut tx = app.store.write().await.expect("tx");
    itinera_store::on_tx!(&mut tx, c => sqlx::query(sql).execute(c).await.map(|_| ()).map_err(itinera_store::db_err))
        .expect("exec");
    tx.commit().await.expect("commit");
}

/// The number a counting query gives with the id `id` bound as `$1`.
pub async fn count_id(app: &TestApp, sql: &str, id: &str) -> i64 {
    let id = uuid::Uuid::parse_str(id).expect("uuid");
    let mut tx = app.store.read().await.expect("tx");
    let n: i64 = itinera_store::on_tx!(&mut tx, c => sqlx::query_scalar(sql).bind(id).fetch_one(c).await.map_err(itinera_store::db_err))
        .expect("count");
    tx.rollback().await.expect("rollback");
    n
}
