//! `itinera link`: record linkage on CSV files, for integrators cleaning data before
//! go-live and for the benchmark. The engine is `itinera-linkage`; this file only reads
//! the files, maps their columns and writes the pairs.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use itinera_linkage::{Dataset, Kind, Linkage, Options, Table};
use itinera_tabular::text;

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
        LinkCommand::Registry { .. } => {
            bail!("`link registry` runs on the database and is dispatched by main")
        }
        LinkCommand::Synth { rows, seed, out } => {
            let file =
                File::create(&out).with_context(|| format!("cannot create {}", out.display()))?;
            let mut w = BufWriter::new(file);
            let persons = crate::synth::write(&mut w, rows, seed)?;
            w.flush()?;
            eprintln!(
                "wrote {rows} records of {persons} people to {}",
                out.display()
            );
            Ok(())
        }
        LinkCommand::Dedupe { input, common } => {
            let fields = parse_map(&common.map)?;
            let started = Instant::now();
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
            let started = Instant::now();
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
            bail!("--map takes COL=KIND, got `{m}`");
        };
        let kind = if kind == "ignore" {
            None
        } else {
            Some(kind.parse::<Kind>().map_err(|e| {
                let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                anyhow::anyhow!("{e}; the kinds are {}, ignore", kinds.join(", "))
            })?)
        };
        if out.iter().any(|(c, _)| c == col) {
            bail!("column `{col}` is mapped twice");
        }
        out.push((col.to_string(), kind));
    }
    if out.iter().all(|(_, k)| k.is_none()) {
        bail!("no column is mapped to a kind other than `ignore`");
    }
    Ok(out)
}

/// Reads a CSV file (`,` or `;` or tab, quoted fields, UTF-8 with or without BOM, or
/// Windows-1252) into a table of the mapped columns.
fn read_table(path: &Path, id: &str, map: &[(String, Option<Kind>)], quiet: bool) -> Result<Table> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let head = reader.fill_buf()?;
    let bom = head.starts_with(&[0xEF, 0xBB, 0xBF]);
    let first_line = head.split(|b| *b == b'\n').next().unwrap_or(head);
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| first_line.iter().filter(|b| *b == d).count())
        .unwrap_or(b',');
    if bom {
        reader.consume(3);
    }
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(reader.by_ref());
    let header: Vec<String> = csv
        .byte_headers()
        .with_context(|| format!("{}: cannot read the header line", path.display()))?
        .iter()
        .map(|h| text(h).trim().to_string())
        .collect();
    let position = |col: &str| -> Result<usize> {
        header.iter().position(|h| h == col).with_context(|| {
            format!(
                "{}: column `{col}` is not in the header (columns: {})",
                path.display(),
                header.join(", ")
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
    let mut table = Table::new(fields)?;
    let mut record = csv::ByteRecord::new();
    let mut values: Vec<String> = Vec::with_capacity(at.len());
    let mut line = 1u64;
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let l = e.position().map_or(line + 1, |p| p.line());
                bail!("{}: line {l}: {e}", path.display());
            }
        }
        line = record.position().map_or(line + 1, |p| p.line());
        let id_value = text(record.get(id_at).unwrap_or_default())
            .trim()
            .to_string();
        if id_value.is_empty() {
            bail!(
                "{}: line {line}: the id column `{id}` is empty",
                path.display()
            );
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
        table.push(&id_value, &refs)?;
        if !quiet && table.len() % 500_000 == 0 {
            eprintln!("{}: {} rows read", path.display(), table.len());
        }
    }
    Ok(table)
}

fn finish(ds: &Dataset, common: &Common, started: Instant) -> Result<()> {
    if !(0.0..=1.0).contains(&common.threshold) {
        bail!("--threshold must be between 0 and 1");
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
    let linkage = itinera_linkage::run(ds, &opts)?;
    let matches = linkage.matches(ds, 50);
    let out = File::create(&common.out)
        .with_context(|| format!("cannot create {}", common.out.display()))?;
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

fn summary(ds: &Dataset, l: &Linkage, matches: usize, read_s: f64, started: Instant) {
    let persons = {
        let mut c = l.clusters.clone();
        c.sort_unstable();
        c.dedup();
        c.len()
    };
    eprintln!(
        "{} records, {} candidate pairs, {} matching pairs, {} persons",
        ds.len(),
        l.candidates,
        matches,
        persons
    );
    for r in &l.rules {
        eprintln!(
            "  blocking {:<45} {:>10} pairs{}",
            r.rule,
            r.pairs,
            if r.skipped_blocks > 0 {
                format!(" ({} blocks over the size limit skipped)", r.skipped_blocks)
            } else {
                String::new()
            }
        );
    }
    eprintln!(
        "  prior {:.3e} ({} EM iterations)",
        l.model.prior, l.model.em_iterations
    );
    for f in &l.model.fields {
        let weights: Vec<String> = (0..f.m.len())
            .map(|k| format!("{} {:+.1}", f.levels[k], f.weight(k)))
            .collect();
        eprintln!("  {:<14} {}", f.name, weights.join(", "));
    }
    let t = &l.timings;
    eprintln!(
        "  seconds: read+prepare {read_s:.2}, blocking {:.2}, u {:.2}, compare {:.2}, EM {:.2}, score {:.2}, cluster {:.2}, total {:.2}",
        t.blocking_s,
        t.estimating_u_s,
        t.comparing_s,
        t.em_s,
        t.scoring_s,
        t.clustering_s,
        started.elapsed().as_secs_f64()
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
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    serde_json::to_writer_pretty(BufWriter::new(file), &report)?;
    Ok(())
}
