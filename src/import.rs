//! `itinera import`: a file from an existing system (CSV or XLSX) into the registry,
//! through the same service as the web page — a dry run first, then the real run —
//! with progress on standard error and every rejected row named with its line and
//! column, in the language asked for.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{bail, Context, Result};
use clap::Args;
use itinera_domain::import::{ColumnMap, Mapping};
use itinera_i18n::{t, tf, Lang};
use itinera_service::imports::{ImportReport, ImportRequest};
use itinera_service::Services;

use crate::text::{err, msg};

#[derive(Args)]
pub struct ImportArgs {
    /// The file (CSV with `,` `;` or tab, UTF-8, UTF-16 or Windows-1252; or XLSX).
    pub file: PathBuf,
    #[command(flatten)]
    pub db: crate::DbArg,
    /// The source's name: its saved mapping, and the scope of its record ids.
    #[arg(long)]
    pub source: String,
    /// The user the import is done as (their organisation registers the people).
    #[arg(long)]
    pub username: String,
    /// The organisation, when the user belongs to several.
    #[arg(long)]
    pub organisation: Option<String>,
    /// A mapping as JSON ({"columns": [{"column", "target"}], "default_labour_status", "m_means"}).
    #[arg(long, conflicts_with = "map")]
    pub mapping: Option<PathBuf>,
    /// COLUMN=FIELD, FIELD one of given_name, surname1, surname2, surnames, sex,
    /// birth_date, document, document_kind, nationality, address, postcode,
    /// municipality, phone, email, labour_status, labour_status_since, isced_level,
    /// disability, external_id, ignore. Without --mapping or --map, the mapping saved
    /// for the source is used.
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub map: Vec<String>,
    /// The labour status of everyone when no column holds it.
    #[arg(long)]
    pub default_labour_status: Option<String>,
    /// What a lone "M" means in the sex column: female (the default) or male.
    #[arg(long)]
    pub m_means: Option<String>,
    /// Save the mapping under the source's name once the file is imported.
    #[arg(long)]
    pub save_mapping: bool,
    /// Report what would happen, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import the valid rows even when some are rejected.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Write the row-by-row report as JSON.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Language of the messages: es, ca, it, en.
    #[arg(long, env = "ITINERA_LANG", default_value = "es")]
    pub lang: String,
}

fn mapping(args: &ImportArgs) -> Result<Option<Mapping>> {
    let mut m = if let Some(path) = &args.mapping {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .with_context(|| msg("cli.cannot_read", &[("path", &name)]))?;
        serde_json::from_str::<Mapping>(&text)
            .with_context(|| msg("cli.import.bad_mapping_file", &[("path", &name)]))?
    } else if !args.map.is_empty() {
        let mut columns = Vec::new();
        for pair in &args.map {
            let Some((column, target)) = pair.rsplit_once('=') else {
                return Err(err("cli.import.map_format", &[("given", pair)]));
            };
            columns.push(ColumnMap {
                column: column.to_string(),
                target: target.to_string(),
            });
        }
        Mapping {
            columns,
            ..Mapping::default()
        }
    } else {
        return Ok(None);
    };
    if let Some(d) = &args.default_labour_status {
        m.default_labour_status = d.clone();
    }
    if let Some(x) = &args.m_means {
        m.m_means = x.clone();
    }
    Ok(Some(m))
}

/// Prints the report: the figures, then each rejected row with its problems.
fn print(report: &ImportReport, lang: Lang) {
    if let Some(b) = &report.already_imported {
        eprintln!(
            "{}",
            tf(
                lang,
                "import.already",
                &[
                    ("file", &b.file_name),
                    ("date", &b.created_at.format("%d/%m/%Y %H:%M").to_string()),
                    ("user", &b.created_by_name)
                ]
            )
        );
        return;
    }
    for l in report.lines.iter().filter(|l| l.outcome == "rejected") {
        for p in &l.problems {
            let column = if p.column.is_empty() {
                "—".to_string()
            } else {
                p.column.clone()
            };
            eprintln!(
                "{}",
                tf(
                    lang,
                    "import.cli.problem",
                    &[
                        ("line", &l.line.to_string()),
                        ("column", &column),
                        ("message", t(lang, &p.code))
                    ]
                )
            );
        }
    }
    let n = |x: usize| x.to_string();
    eprintln!(
        "{}",
        tf(
            lang,
            "import.cli.summary",
            &[
                ("file", &report.file_name),
                ("rows", &n(report.rows)),
                ("created", &n(report.created)),
                ("linked", &n(report.linked)),
                ("review", &n(report.review)),
                ("existing", &n(report.existing)),
                ("rejected", &n(report.rejected)),
            ]
        )
    );
    let key = if report.applied {
        "import.cli.applied"
    } else if report.dry_run {
        "import.cli.dry_run"
    } else {
        "import.cli.blocked"
    };
    eprintln!("{}", t(lang, key));
}

pub async fn run(services: &Services, args: ImportArgs) -> Result<()> {
    let lang = Lang::parse(&args.lang).unwrap_or(Lang::Es);
    crate::text::set_lang(lang);
    let bytes = std::fs::read(&args.file).with_context(|| {
        msg(
            "cli.cannot_read",
            &[("path", &args.file.display().to_string())],
        )
    })?;
    let org = match &args.organisation {
        Some(o) => Some(crate::find_org(services, o).await?),
        None => None,
    };
    let actor = services
        .cli_actor(&args.username, org)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {}", args.username, t(lang, e.message_key())))?;
    let file_name = args
        .file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let req = ImportRequest {
        file_name: &file_name,
        bytes: &bytes,
        source: &args.source,
        mapping: mapping(&args)?,
        save_mapping: args.save_mapping,
        dry_run: args.dry_run,
        skip_invalid: args.skip_invalid,
    };
    let last = AtomicUsize::new(usize::MAX);
    let progress = |done: usize, total: usize| {
        // At most a hundred updates, whatever the length of the file.
        let pct = (done * 100).checked_div(total).unwrap_or(100);
        if last.swap(pct, Ordering::Relaxed) != pct {
            eprint!(
                "\r{}",
                tf(
                    lang,
                    "import.progress",
                    &[("done", &done.to_string()), ("total", &total.to_string())]
                )
            );
            if done == total {
                eprintln!();
            }
        }
    };
    let ctx = services.cli_ctx();
    let report = match services
        .import_participants(&actor, &ctx, &req, &progress)
        .await
    {
        Ok(r) => r,
        Err(itinera_domain::Error::Invalid(fields)) => {
            for f in &fields {
                eprintln!("{}: {}", f.field, itinera_web::http::field_message(lang, f));
            }
            bail!("{}", t(lang, "error.invalid"));
        }
        Err(e) => bail!("{}", t(lang, e.message_key())),
    };
    if let Some(path) = &args.report {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| msg("cli.cannot_write", &[("path", &path.display().to_string())]))?;
    }
    print(&report, lang);
    if report.blocked_by_rejections {
        bail!("{}", t(lang, "import.cli.blocked"));
    }
    Ok(())
}
