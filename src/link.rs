//! `itinera link`: record linkage on CSV files, for integrators cleaning data before
//! go-live and for the benchmark. The engine is `itinera-linkage`; this file only reads
//! the files, maps their columns and writes the pairs.

use itinera_clock::Stopwatch;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use itinera_linkage::{Dataset, Kind, Linkage, Options, Table};
use itinera_tabular::text;

use crate::text::{err, link_err, msg};

#[derive(Subcommand)]
pub enum LinkCommand {
    /// Find the records of one file that are the same person.
    Dedupe {
        input: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Find the records of LEFT that are the same person as a record of RIGHT.
    Pair {
        left: PathBuf,
        right: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Deduplicate Itinera's own registry: fit the model lookups use, report the
    /// clusters and the uncertain pairs; with --apply, link the sure pairs and queue the
    /// uncertain ones for review (one transaction, audited).
    Registry {
        #[command(flatten)]
        db: crate::DbArg,
        /// Link and queue, not only report.
        #[arg(long)]
        apply: bool,
        /// Where to write the report (JSON): clusters, sizes, pairs to link, uncertain pairs.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Write a synthetic registry with known duplicates (for the benchmark).
    Synth {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Args)]
pub struct Common {
    /// The column holding each record's identifier.
    #[arg(long)]
    id: String,
    /// COL=KIND, KIND one of given_name, surname, full_name, birth_date, sex, document,
    /// postcode, municipality, address, street_number, region, phone, email, text, ignore.
    #[arg(long = "map", value_name = "COL=KIND", num_args = 1.., required = true)]
    map: Vec<String>,
    /// Where to write the pairs (header left_id,right_id,match_probability).
    #[arg(long)]
    out: PathBuf,
    /// Match probability from which a pair is the same person.
    #[arg(long, default_value_t = itinera_linkage::DEFAULT_THRESHOLD)]
    threshold: f64,
    /// Also write the model, the blocking figures and the uncertain pairs as JSON.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Seed of the random pairs that estimate u.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print less.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(cmd: LinkCommand) -> Result<()> {
    match cmd {
        LinkCommand::Registry { .. } => Err(crate::text::err("error.internal", &[])),
        LinkCommand::Synth { rows, seed, out } => {
            let file = File::create(&out).with_context(|| {
                msg("cli.cannot_create", &[("path", &out.display().to_string())])
            })?;
            let mut w = BufWriter::new(file);
            let persons = itinera_seed::synth::write(&mut w, rows, seed)?;
            w.flush()?;
            eprintln!(
                "{}",
                msg(
                    "cli.link.synth_written",
                    &[
                        ("rows", &rows.to_string()),
                        ("persons", &persons.to_string()),
                        ("path", &out.display().to_string())
                    ]
                )
            );
            Ok(())
        }
        LinkCommand::Dedupe { input, common } => {
            let fields = parse_map(&common.map)?;
            let started = Stopwatch::start();
            let table = read_table(&input, &common.id, &fields, common.quiet)?;
            let ds = Dataset::dedupe(table);
            finish(&ds, &common, started)
        }
        LinkCommand::Pair {
            left,
            right,
            common,
        } => {
            let fields = parse_map(&common.map)?;
            let started = Stopwatch::start();
            let l = read_table(&left, &common.id, &fields, common.quiet)?;
            let r = read_table(&right, &common.id, &fields, common.quiet)?;
            let ds = Dataset::link(l, r)?;
            finish(&ds, &common, started)
        }
    }
}

fn parse_map(map: &[String]) -> Result<Vec<(String, Option<Kind>)>> {
    let mut out: Vec<(String, Option<Kind>)> = Vec::new();
    for m in map {
        let Some((col, kind)) = m.split_once('=') else {
            return Err(err("cli.link.map_format", &[("given", m)]));
        };
        let kind = if kind == "ignore" {
            None
        } else {
            Some(kind.parse::<Kind>().map_err(|_| {
                let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                err(
                    "cli.link.unknown_kind",
                    &[
                        ("kind", kind),
                        ("kinds", &format!("{}, ignore", kinds.join(", "))),
                    ],
                )
            })?)
        };
        if out.iter().any(|(c, _)| c == col) {
            return Err(err("cli.link.mapped_twice", &[("column", col)]));
        }
        out.push((col.to_string(), kind));
    }
    if out.iter().all(|(_, k)| k.is_none()) {
        return Err(err("cli.link.nothing_mapped", &[]));
    }
    Ok(out)
}

/// Reads a CSV file (`,` or `;` or tab, quoted fields, UTF-8 with or without BOM, or
/// Windows-1252) into a table of the mapped columns.
fn read_table(path: &Path, id: &str, map: &[(String, Option<Kind>)], quiet: bool) -> Result<Table> {
    let name = path.display().to_string();
    let file = File::open(path).with_context(|| msg("cli.cannot_open", &[("path", &name)]))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let head = reader.fill_buf()?;
    let bom = head.starts_with(&[0xEF, 0xBB, 0xBF]);
    let first_line = head.split(|b| *b == b'\n').next().unwrap_or(head);
    let delimiter = itinera_tabular::sniff_delimiter(&text(first_line));
    if bom {
        reader.consume(3);
    }
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(reader.by_ref());
    let header: Vec<String> = csv
        .byte_headers()
        .with_context(|| msg("cli.link.no_header", &[("path", &name)]))?
        .iter()
        .map(|h| text(h).trim().to_string())
        .collect();
    let position = |col: &str| -> Result<usize> {
        header.iter().position(|h| h == col).with_context(|| {
            msg(
                "cli.link.unknown_column",
                &[
                    ("path", &name),
                    ("column", col),
                    ("columns", &header.join(", ")),
                ],
            )
        })
    };
    let id_at = position(id)?;
    let mut fields = Vec::new();
    let mut at = Vec::new();
    for (col, kind) in map {
        let p = position(col)?;
        if let Some(k) = kind {
            fields.push((col.clone(), *k));
            at.push(p);
        }
    }
    let mut table = Table::new(fields).map_err(link_err)?;
    let mut record = csv::ByteRecord::new();
    let mut values: Vec<String> = Vec::with_capacity(at.len());
    let mut line = 1u64;
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let l = e.position().map_or(line + 1, |p| p.line());
                return Err(err(
                    "cli.link.bad_line",
                    &[
                        ("path", &name),
                        ("line", &l.to_string()),
                        ("detail", &e.to_string()),
                    ],
                ));
            }
        }
        line = record.position().map_or(line + 1, |p| p.line());
        let id_value = text(record.get(id_at).unwrap_or_default())
            .trim()
            .to_string();
        if id_value.is_empty() {
            return Err(err(
                "cli.link.empty_id",
                &[("path", &name), ("line", &line.to_string()), ("column", id)],
            ));
        }
        values.clear();
        for p in &at {
            let v = text(record.get(*p).unwrap_or_default());
            // pandas writes missing values as NaN.
            values.push(if v == "NaN" || v == "nan" {
                String::new()
            } else {
                v.into_owned()
            });
        }
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        table.push(&id_value, &refs).map_err(link_err)?;
        if !quiet && table.len() % 500_000 == 0 {
            eprintln!(
                "{}",
                msg(
                    "cli.link.rows_read",
                    &[("path", &name), ("rows", &table.len().to_string())]
                )
            );
        }
    }
    Ok(table)
}

fn finish(ds: &Dataset, common: &Common, started: Stopwatch) -> Result<()> {
    if !(0.0..=1.0).contains(&common.threshold) {
        return Err(err("cli.link.threshold", &[]));
    }
    let read_s = started.elapsed().as_secs_f64();
    let opts = Options {
        threshold: common.threshold,
        // Uncertain pairs are kept only for the report.
        keep_above: if common.report.is_some() {
            common.threshold.min(0.3)
        } else {
            common.threshold
        },
        seed: common.seed,
        ..Options::default()
    };
    let linkage = itinera_linkage::run(ds, &opts).map_err(link_err)?;
    let matches = linkage.matches(ds, 50);
    let out = File::create(&common.out).with_context(|| {
        msg(
            "cli.cannot_create",
            &[("path", &common.out.display().to_string())],
        )
    })?;
    let mut w = csv::Writer::from_writer(BufWriter::new(out));
    w.write_record(["left_id", "right_id", "match_probability"])?;
    for p in &matches {
        w.write_record([
            ds.id(p.left as usize),
            ds.id(p.right as usize),
            &format!("{:.6}", p.match_probability),
        ])?;
    }
    w.flush()?;
    if let Some(path) = &common.report {
        write_report(path, ds, &linkage, &matches)?;
    }
    if !common.quiet {
        summary(ds, &linkage, matches.len(), read_s, started);
    }
    Ok(())
}

fn summary(ds: &Dataset, l: &Linkage, matches: usize, read_s: f64, started: Stopwatch) {
    let persons = {
        let mut c = l.clusters.clone();
        c.sort_unstable();
        c.dedup();
        c.len()
    };
    eprintln!(
        "{}",
        msg(
            "cli.link.summary",
            &[
                ("records", &ds.len().to_string()),
                ("candidates", &l.candidates.to_string()),
                ("matches", &matches.to_string()),
                ("persons", &persons.to_string()),
            ]
        )
    );
    for r in &l.rules {
        let skipped = if r.skipped_blocks > 0 {
            msg(
                "cli.link.skipped",
                &[("blocks", &r.skipped_blocks.to_string())],
            )
        } else {
            String::new()
        };
        eprintln!(
            "  {}",
            msg(
                "cli.link.blocking",
                &[
                    ("rule", &format!("{:<45}", r.rule)),
                    ("pairs", &format!("{:>10}", r.pairs)),
                    ("skipped", &skipped),
                ]
            )
        );
    }
    eprintln!(
        "  {}",
        msg(
            "cli.link.prior",
            &[
                ("prior", &format!("{:.3e}", l.model.prior)),
                ("iterations", &l.model.em_iterations.to_string()),
            ]
        )
    );
    for f in &l.model.fields {
        let weights: Vec<String> = f
            .levels
            .iter()
            .take(f.m.len())
            .enumerate()
            .map(|(k, level)| format!("{level} {:+.1}", f.weight(k)))
            .collect();
        eprintln!("  {:<14} {}", f.name, weights.join(", "));
    }
    let t = &l.timings;
    let f = |x: f64| format!("{x:.2}");
    eprintln!(
        "  {}",
        msg(
            "cli.link.seconds",
            &[
                ("read", &f(read_s)),
                ("blocking", &f(t.blocking_s)),
                ("u", &f(t.estimating_u_s)),
                ("compare", &f(t.comparing_s)),
                ("em", &f(t.em_s)),
                ("score", &f(t.scoring_s)),
                ("cluster", &f(t.clustering_s)),
                ("total", &f(started.elapsed().as_secs_f64())),
            ]
        )
    );
}

fn write_report(
    path: &Path,
    ds: &Dataset,
    l: &Linkage,
    matches: &[itinera_linkage::ScoredPair],
) -> Result<()> {
    let mut sizes: std::collections::BTreeMap<usize, usize> = Default::default();
    let mut count: std::collections::HashMap<u32, usize> = Default::default();
    for c in &l.clusters {
        *count.entry(*c).or_default() += 1;
    }
    for n in count.values() {
        *sizes.entry(*n).or_default() += 1;
    }
    let uncertain: Vec<_> = l
        .pairs
        .iter()
        .filter(|p| p.match_probability < l.threshold)
        .take(10_000)
        .map(|p| {
            serde_json::json!({
                "left_id": ds.id(p.left as usize),
                "right_id": ds.id(p.right as usize),
                "match_probability": p.match_probability,
                "explanation": l.explain(ds, p.left as usize, p.right as usize),
            })
        })
        .collect();
    let report = serde_json::json!({
        "records": ds.len(),
        "candidates": l.candidates,
        "matching_pairs": matches.len(),
        "persons": count.len(),
        "cluster_sizes": sizes,
        "threshold": l.threshold,
        "model": l.model,
        "blocking": l.rules,
        "timings": l.timings,
        "uncertain_pairs": uncertain,
    });
    let file = File::create(path).with_context(|| {
        msg(
            "cli.cannot_create",
            &[("path", &path.display().to_string())],
        )
    })?;
    serde_json::to_writer_pretty(BufWriter::new(file), &report)?;
    Ok(())
}
