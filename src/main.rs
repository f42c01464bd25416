//! `itinera`: the one binary. Serves the web application and the API, migrates and
//! backs up the database, seeds the demo, manages users and tokens, verifies the audit
//! log and runs the benchmark.

mod import;
mod link;
mod text;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use itinera_seed::demo::{self, DemoOptions};
use itinera_service::admin::{InitInput, MembershipInput, TokenInput, UserInput};
use itinera_service::{Caller, Services, Settings, SystemClock};
use itinera_store::Store;

#[derive(Parser)]
#[command(
    name = "itinera",
    version,
    about = "Integrated social and employment inclusion pathways"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
pub(crate) struct DbArg {
    /// sqlite://PATH (default) or postgres://USER@HOST/DB
    #[arg(
        long = "db",
        env = "ITINERA_DATABASE_URL",
        default_value = "sqlite://itinera.db"
    )]
    url: String,
}

#[derive(Args, Clone)]
struct ServeArgs {
    #[arg(long, env = "ITINERA_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Serve over plain HTTP: session cookies without `Secure`, no HSTS. Only for a
    /// machine of one's own; by default `serve` expects TLS in front (a reverse proxy)
    /// and `demo` (a trial on one's machine) runs over plain HTTP.
    #[arg(long, env = "ITINERA_INSECURE_HTTP")]
    insecure_http: bool,
    /// The bearer token a metrics scraper sends to `/metrics` (off without one).
    #[arg(long, env = "ITINERA_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (comma-separated).
    #[arg(
        long = "trusted-proxy",
        env = "ITINERA_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Open connections served at once (more wait their turn).
    #[arg(long, env = "ITINERA_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// Send notices that need someone at once (a new incident) also by e-mail, through
    /// this SMTP server: `smtp://host:25` (plain, a relay of one's own),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://user:pass@host:465`.
    /// Off without it. The e-mails name no person: a kind of notice and a link.
    #[arg(long, env = "ITINERA_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of those e-mails.
    #[arg(
        long,
        env = "ITINERA_MAIL_FROM",
        default_value = "Itinera <no-reply@localhost>"
    )]
    mail_from: String,
    /// The address people reach Itinera at, for the e-mails' links (by default the
    /// address it listens on).
    #[arg(long, env = "ITINERA_PUBLIC_URL")]
    public_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application and the API (runs pending migrations first).
    Serve {
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Set up a new deployment on an empty database: its first territory (a region),
    /// organisation and administrator. The password comes from ITINERA_PASSWORD, or is
    /// made and printed once.
    Init {
        #[command(flatten)]
        db: DbArg,
        /// The region (e.g. "Extremadura").
        #[arg(long)]
        territory: String,
        /// The first organisation (e.g. the regional IT service).
        #[arg(long)]
        organisation: String,
        /// Its kind: social_services, employment_service, third_sector,
        /// insertion_company, training_provider, employer, authority.
        #[arg(long, default_value = "authority")]
        kind: String,
        /// The administrator's user name.
        #[arg(long, default_value = "admin")]
        admin: String,
        /// The administrator's name as shown.
        #[arg(long = "admin-name", default_value = "Administración")]
        admin_name: String,
    },
    /// Run pending database migrations.
    Migrate {
        #[command(flatten)]
        db: DbArg,
    },
    /// Seed the demo data (seven CRISOL cities), then serve it.
    Demo {
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        serve: ServeArgs,
        /// Only seed; do not serve.
        #[arg(long)]
        no_serve: bool,
        #[arg(long, default_value_t = 1200)]
        participants: usize,
        #[arg(long, default_value_t = 2017)]
        seed: u64,
        /// Run the demo as if today were this day (YYYY-MM-DD); its clock moves on from
        /// there at the real pace. To rehearse the day a retention check or a review
        /// falls due on a copy of the demo. `serve` always keeps the real time.
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
    /// Users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Online backup of a SQLite database into a new file.
    Backup {
        #[command(flatten)]
        db: DbArg,
        /// The file to write (must not exist).
        #[arg(long)]
        to: String,
    },
    /// Restore a SQLite backup: copies it into place (the server must be stopped).
    Restore {
        /// The backup file.
        #[arg(long)]
        from: String,
        /// The database file to replace.
        #[arg(long)]
        to: String,
    },
    /// Generate data and measure search, pages and throughput; prints the figures.
    Bench(itinera_bench::BenchArgs),
    /// Import participants from an existing system's file (CSV or XLSX): dry run, then
    /// the real run; every row goes through the master index.
    Import(import::ImportArgs),
    /// Record linkage on CSV files: find the records that are the same person.
    Link {
        #[command(subcommand)]
        command: link::LinkCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user with a role in an organisation (by name).
    Add {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// The password (or ITINERA_PASSWORD).
        #[arg(long, env = "ITINERA_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long)]
        organisation: String,
        #[arg(long)]
        role: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user acting for an organisation; prints it on one line.
    Create {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        username: String,
        /// Organisation name (default: the user's first).
        #[arg(long)]
        organisation: Option<String>,
        #[arg(long, default_value = "cli")]
        name: String,
        #[arg(long)]
        days: Option<u32>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain; exits non-zero when it is broken.
    Verify {
        #[command(flatten)]
        db: DbArg,
    },
}

fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ITINERA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn open(db: &DbArg) -> Result<Services> {
    open_with_clock(db, Arc::new(SystemClock)).await
}

async fn open_with_clock(db: &DbArg, clock: Arc<dyn itinera_service::Clock>) -> Result<Services> {
    let store = Store::connect(&db.url)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context(text::msg("cli.db_open", &[]))?;
    store
        .migrate(clock.now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context(text::msg("cli.migrate_failed", &[]))?;
    let settings = Settings::of_deployment(&store, clock.now())
        .await
        .map_err(anyerr)?;
    Ok(Services::new(store, clock, settings))
}

async fn serve(services: Services, args: &ServeArgs, secure: bool) -> Result<()> {
    let services = match &args.smtp_url {
        Some(url) => services
            .with_mail(&itinera_service::mail::MailSettings {
                smtp_url: url.clone(),
                from: args.mail_from.clone(),
                public_url: args
                    .public_url
                    .clone()
                    .unwrap_or_else(|| format!("http://{}", args.listen)),
            })
            .map_err(anyerr)?,
        None => services,
    };
    let sender = tokio::spawn(itinera_service::background::run(
        services.clone(),
        std::future::pending(),
    ));
    let state = itinera_web::AppState::new(services.clone(), secure)
        .with_metrics_token(args.metrics_token.clone())
        .with_trusted_proxies(args.trusted_proxies.clone());
    let app = itinera_web::app(state);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| text::msg("cli.bind", &[("addr", &args.listen.to_string())]))?;
    eprintln!("Itinera: http://{}", listener.local_addr()?);
    let limits = itinera_web::server::Limits {
        max_connections: args.max_connections,
        ..Default::default()
    };
    itinera_web::server::serve(listener, app, limits, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    sender.abort();
    services.store.close().await;
    Ok(())
}

/// A domain error for a person at a terminal: translated (`ITINERA_LANG`, Spanish by
/// default), with the field of each bad value.
fn anyerr(e: itinera_domain::Error) -> anyhow::Error {
    let lang = text::lang();
    match e {
        itinera_domain::Error::Internal(detail) => anyhow::anyhow!("{detail}"),
        itinera_domain::Error::Invalid(fields) => anyhow::anyhow!(
            "{}",
            fields
                .iter()
                .map(|f| format!("{}: {}", f.field, itinera_web::http::field_message(lang, f)))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!("{}", itinera_i18n::t(lang, other.message_key())),
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    init_logs();
    match cli.command {
        Command::Serve { db, serve: s } => {
            let secure = !s.insecure_http;
            serve(open(&db).await?, &s, secure).await
        }
        Command::Init {
            db,
            territory,
            organisation,
            kind,
            admin,
            admin_name,
        } => {
            init(
                &db,
                InitInput {
                    territory,
                    organisation,
                    kind,
                    username: admin,
                    display_name: admin_name,
                    password: String::new(),
                },
            )
            .await
        }
        Command::Migrate { db } => migrate(&db).await,
        Command::Demo {
            db,
            serve: s,
            no_serve,
            participants,
            seed,
            today,
        } => demo(&db, &s, no_serve, participants, seed, today).await,
        Command::User {
            command:
                UserCommand::Add {
                    db,
                    username,
                    name,
                    password,
                    organisation,
                    role,
                },
        } => user_add(&db, username, name, password, &organisation, role).await,
        Command::Token {
            command:
                TokenCommand::Create {
                    db,
                    username,
                    organisation,
                    name,
                    days,
                },
        } => token_create(&db, &username, organisation.as_deref(), name, days).await,
        Command::Audit {
            command: AuditCommand::Verify { db },
        } => audit_verify(&db).await,
        Command::Backup { db, to } => backup(&db, &to).await,
        Command::Restore { from, to } => restore(&from, &to).await,
        Command::Bench(args) => itinera_bench::run(args)
            .await
            .map_err(|e| anyhow::anyhow!("{e}")),
        Command::Link {
            command: link::LinkCommand::Registry { db, apply, report },
        } => link_registry(&db, apply, report).await,
        Command::Link { command } => link::run(command),
        Command::Import(args) => {
            let services = open(&args.db).await?;
            import::run(&services, args).await
        }
    }
}

/// `itinera migrate`.
async fn migrate(db: &DbArg) -> Result<()> {
    let store = Store::connect(&db.url).await.map_err(anyerr)?;
    let n = store
        .migrate(itinera_service::Clock::now(&SystemClock))
        .await
        .map_err(anyerr)?;
    println!(
        "{}",
        text::msg("cli.migrations_applied", &[("n", &n.to_string())])
    );
    Ok(())
}

/// `itinera demo`: seeds the demo into an empty database (or finds it there), prints
/// the logins, then serves unless told not to.
async fn demo(
    db: &DbArg,
    s: &ServeArgs,
    no_serve: bool,
    participants: usize,
    seed: u64,
    today: Option<chrono::NaiveDate>,
) -> Result<()> {
    let services = match today {
        Some(day) => {
            open_with_clock(db, Arc::new(itinera_service::ShiftedClock::to_day(day))).await?
        }
        None => open(db).await?,
    };
    let started = itinera_clock::Stopwatch::start();
    let report = demo::seed(
        &services.store,
        services.now(),
        &DemoOptions {
            seed,
            participants,
            contacts: None,
        },
        |done, total| {
            if total >= 10_000 && done % 50_000 < 2_000 {
                eprintln!(
                    "{}",
                    text::msg(
                        "cli.demo_progress",
                        &[("done", &done.to_string()), ("total", &total.to_string())]
                    )
                );
            }
        },
    )
    .await
    .map_err(anyerr)?;
    if report.seeded {
        itinera_seed::demo::coordination::seed(&services, services.now())
            .await
            .map_err(anyerr)?;
        itinera_seed::demo::placements::seed(&services, services.now())
            .await
            .map_err(anyerr)?;
        itinera_seed::demo::resources::seed(&services, services.now())
            .await
            .map_err(anyerr)?;
        itinera_seed::demo::referrals::seed(&services, services.now())
            .await
            .map_err(anyerr)?;
        itinera_seed::demo::benefits::seed(&services, services.now())
            .await
            .map_err(anyerr)?;
        itinera_seed::demo::households::seed(&services, services.now())
            .await
            .map_err(anyerr)?;
    }
    if report.seeded {
        eprintln!(
            "{}",
            text::msg(
                "cli.demo_seeded",
                &[
                    ("participants", &report.participants.to_string()),
                    ("cases", &report.cases.to_string()),
                    (
                        "seconds",
                        &format!("{:.1}", started.elapsed().as_secs_f64())
                    ),
                ]
            )
        );
    } else {
        eprintln!("{}", text::msg("cli.demo_present", &[]));
    }
    eprintln!(
        "{}",
        text::msg("cli.demo_logins", &[("password", demo::DEMO_PASSWORD)])
    );
    for l in &report.logins {
        eprintln!("  {:<18} {:<22} {}", l.username, l.role, l.organisation);
    }
    if no_serve {
        Ok(())
    } else {
        // A trial on one's own machine, over plain HTTP.
        serve(services, s, false).await
    }
}

/// `itinera user add`.
async fn user_add(
    db: &DbArg,
    username: String,
    name: String,
    password: String,
    organisation: &str,
    role: String,
) -> Result<()> {
    let services = open(db).await?;
    let ctx = services.cli_ctx();
    let org = find_org(&services, organisation).await?;
    let id = services
        .create_user(
            Caller::CommandLine,
            &ctx,
            &UserInput {
                username,
                display_name: name,
                password,
                locale: "es".into(),
                active: true,
                ..Default::default()
            },
        )
        .await
        .map_err(anyerr)?;
    services
        .add_membership(
            Caller::CommandLine,
            &ctx,
            id,
            &MembershipInput {
                organisation_id: org.to_string(),
                role,
            },
        )
        .await
        .map_err(anyerr)?;
    println!("{id}");
    Ok(())
}

/// `itinera init`: the first territory, organisation and administrator; what next.
async fn init(db: &DbArg, mut input: InitInput) -> Result<()> {
    let services = open(db).await?;
    let ctx = services.cli_ctx();
    let made = match std::env::var("ITINERA_PASSWORD") {
        Ok(p) if !p.is_empty() => {
            input.password = p;
            false
        }
        _ => {
            input.password = itinera_service::auth::random_secret(15);
            true
        }
    };
    let done = services.initialise(&ctx, &input).await.map_err(anyerr)?;
    println!(
        "{}",
        text::msg(
            "cli.init.done",
            &[
                ("user", &input.username),
                ("organisation", &input.organisation),
                ("territory", &input.territory),
            ]
        )
    );
    if made {
        println!(
            "{}",
            text::msg("cli.init.password", &[("password", &input.password)])
        );
    }
    let org = done.organisation_id.to_string();
    for key in [
        "cli.init.next",
        "cli.init.step1",
        "cli.init.step2",
        "cli.init.step3",
        "cli.init.step4",
    ] {
        println!("{}", text::msg(key, &[("organisation", &org)]));
    }
    Ok(())
}

/// `itinera token create`: prints the token on one line.
async fn token_create(
    db: &DbArg,
    username: &str,
    organisation: Option<&str>,
    name: String,
    days: Option<u32>,
) -> Result<()> {
    let services = open(db).await?;
    let ctx = services.cli_ctx();
    let users = services.users_for_cli().await.map_err(anyerr)?;
    let Some(found) = users.into_iter().find(|u| u.user.username == username) else {
        return Err(text::err("cli.no_user", &[("user", username)]));
    };
    let (user, memberships) = (found.user, found.memberships);
    let org = match organisation {
        Some(o) => find_org(&services, o).await?,
        None => match memberships.first() {
            Some(m) => m.organisation_id,
            None => return Err(text::err("cli.no_organisation", &[("user", username)])),
        },
    };
    let token = services
        .create_token(
            Caller::CommandLine,
            &ctx,
            &TokenInput {
                user_id: user.id.to_string(),
                organisation_id: org.to_string(),
                name,
                expires_in_days: days.map(|d| d.to_string()).unwrap_or_default(),
                roles: Vec::new(),
            },
        )
        .await
        .map_err(anyerr)?;
    println!("{token}");
    Ok(())
}

/// `itinera audit verify`: non-zero exit when the chain is broken.
async fn audit_verify(db: &DbArg) -> Result<()> {
    let services = open(db).await?;
    let v = services
        .verify_audit(Caller::CommandLine)
        .await
        .map_err(anyerr)?;
    println!("{}", serde_json::to_string(&v)?);
    if !v.intact {
        return Err(text::err(
            "cli.audit_broken",
            &[
                (
                    "entry",
                    &v.broken_at.map(|n| n.to_string()).unwrap_or_default(),
                ),
                (
                    "problem",
                    &text::msg(
                        &format!("audit.problem.{}", v.problem.as_deref().unwrap_or("")),
                        &[],
                    ),
                ),
            ],
        ));
    }
    Ok(())
}

/// `itinera backup` (SQLite, online).
async fn backup(db: &DbArg, to: &str) -> Result<()> {
    for path in [to.to_string(), itinera_store::read_audit::path_of(to)] {
        if std::path::Path::new(&path).exists() {
            return Err(text::err("cli.file_exists", &[("path", &path)]));
        }
    }
    let store = Store::connect(&db.url).await.map_err(anyerr)?;
    store.backup_sqlite(to).await.map_err(anyerr)?;
    println!("{}", text::msg("cli.backup_written", &[("path", to)]));
    Ok(())
}

/// `itinera restore`: checks the backup, then copies it into place.
async fn restore(from: &str, to: &str) -> Result<()> {
    let check = Store::connect(&format!("sqlite://{from}"))
        .await
        .map_err(anyerr)?;
    if !check.integrity_check().await.map_err(anyerr)? {
        return Err(text::err("cli.integrity_failed", &[("path", from)]));
    }
    let reads_complete = check.read_audit_present().await.map_err(anyerr)?;
    check.close().await;
    if !reads_complete {
        let path = itinera_store::read_audit::path_of(from);
        return Err(text::err("cli.read_audit_missing", &[("path", &path)]));
    }
    // The database file and its log of audited reads, both.
    let pairs = [
        (from.to_string(), to.to_string()),
        (
            itinera_store::read_audit::path_of(from),
            itinera_store::read_audit::path_of(to),
        ),
    ];
    for (_, dest) in &pairs {
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{dest}{suffix}"));
        }
    }
    for (src, dest) in &pairs {
        std::fs::copy(src, dest).with_context(|| {
            text::msg(
                "cli.copy_failed",
                &[("from", src.as_str()), ("to", dest.as_str())],
            )
        })?;
    }
    println!(
        "{}",
        text::msg("cli.restored", &[("from", from), ("to", to)])
    );
    Ok(())
}

/// `itinera link registry`: deduplicates the whole registry.
async fn link_registry(db: &DbArg, apply: bool, report: Option<std::path::PathBuf>) -> Result<()> {
    let services = open(db).await?;
    let ctx = services.cli_ctx();
    let r = services
        .dedupe_registry(&ctx, apply)
        .await
        .map_err(anyerr)?;
    if let Some(path) = report {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&r)?).with_context(|| {
            text::msg("cli.cannot_write", &[("path", &tmp.display().to_string())])
        })?;
        std::fs::rename(&tmp, &path).with_context(|| {
            text::msg("cli.cannot_write", &[("path", &path.display().to_string())])
        })?;
    }
    println!(
        "{}",
        serde_json::json!({
            "records": r.records,
            "persons_before": r.persons_before,
            "clusters": r.clusters.len(),
            "to_link": r.to_link.len(),
            "uncertain": r.uncertain.len(),
            "applied": r.applied,
            "merges": r.merges,
            "queued": r.queued,
        })
    );
    Ok(())
}

async fn find_org(services: &Services, name_or_id: &str) -> Result<uuid::Uuid> {
    let orgs = services.organisations().await.map_err(anyerr)?;
    orgs.iter()
        .find(|o| o.name == name_or_id || o.id.to_string() == name_or_id)
        .map(|o| o.id)
        .with_context(|| text::msg("cli.no_org_named", &[("name", name_or_id)]))
}
