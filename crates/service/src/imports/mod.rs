//! Imports from existing systems: a file (CSV or XLSX) and a column mapping become
//! registrations, each looked up in the master index like one typed by hand. Rows with
//! problems are reported with their line and column; the real run refuses to apply a
//! file with rejected rows unless told to leave them out.
//!
//! A file is read by `itinera-tabular` (CSV or XLSX, told apart by their bytes), mapped
//! by `domain::import::Mapping` (one per source, saved by name), and each row becomes the
//! same `ParticipantInput` a professional types, so the form's rules apply.
//!
//! An import runs in two halves so that it never holds the writer for long:
//! - **the plan** (`plan_import`, `plan.rs`, `run.rs`) reads every row and looks it up —
//!   its source id, the master index's candidates, its identity numbers — on a snapshot
//!   of the registry (`Store::snapshot`), compares it with the rows above it in the file
//!   (two rows of one person are one record), and gives each row its fate. A dry run ends
//!   here and writes only the audit entry of its lookups;
//! - **the apply** (`apply_import`) is one short write: it catches up with what was
//!   written since the snapshot (the audit log names every write of a record: the rows a
//!   change may touch are read again; a change to the registry as a whole plans again),
//!   then inserts the records, links, review pairs, source ids and audit entries in bulk.
//!
//! **Invariants:** an import is applied whole or not at all; an applied file is recorded
//! with its SHA-256, so the same file again changes nothing, and rows carrying a source id
//! are matched by it next time; what the report says of a row never depends on records
//! the actor has no basis to see.

use chrono::{DateTime, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::import::{CellProblem, Mapping};
use itinera_domain::{Error, Page, PageRequest};
use itinera_store::imports::{self as store, Figures, NewBatch};
use itinera_tabular::{Encoding, Format};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{audit, finish, Action};
use crate::{Ctx, Services};

mod plan;
mod run;

use itinera_clock::Stopwatch;
use run::{apply, disclose, fill, hide_unmade, prepare, rejected, CatchUp, Plan, MAX_PLANS};

/// What to import and how.
pub struct ImportRequest<'a> {
    pub file_name: &'a str,
    pub bytes: &'a [u8],
    /// The source ("Servicios sociales — SIUSS", "SEXPE demandantes"…): the name its
    /// mapping is saved under, and the scope of its record ids.
    pub source: &'a str,
    /// The mapping; `None` uses the one saved for `source`.
    pub mapping: Option<Mapping>,
    /// Save the mapping under the source's name when the import is applied.
    pub save_mapping: bool,
    pub dry_run: bool,
    /// Apply the valid rows even if some are rejected (they are reported, not imported).
    pub skip_invalid: bool,
}

// ---- What leaves the server -------------------------------------------------------

/// A batch without its report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Batch {
    pub id: Uuid,
    pub source: String,
    pub file_name: String,
    pub rows_read: i32,
    pub created: i32,
    pub linked: i32,
    pub queued: i32,
    pub existing: i32,
    pub rejected: i32,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
}

impl From<itinera_store::imports::Batch> for Batch {
    fn from(r: itinera_store::imports::Batch) -> Self {
        Batch {
            id: r.id,
            source: r.source,
            file_name: r.file_name,
            rows_read: r.rows_read,
            created: r.created,
            linked: r.linked,
            queued: r.queued,
            existing: r.existing,
            rejected: r.rejected,
            created_by_name: r.created_by_name,
            created_at: r.created_at,
        }
    }
}

/// A source's saved column mapping.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SavedMappingView {
    /// The source's name.
    pub source: String,
    pub updated_at: DateTime<Utc>,
    pub mapping: Mapping,
}

/// A batch with its row-by-row report, as it was recorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchReport {
    pub batch: Batch,
    pub lines: Vec<LineReport>,
}

/// How a file was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "format", rename_all = "snake_case")]
pub enum FileFormat {
    Csv {
        /// `,`, `;` or a tab.
        delimiter: char,
        /// utf8, utf8_bom, utf16 or windows1252.
        #[schema(value_type = String)]
        encoding: std::borrow::Cow<'static, str>,
    },
    Xlsx {
        sheet: String,
    },
}

impl From<Format> for FileFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Csv {
                delimiter,
                encoding,
            } => FileFormat::Csv {
                delimiter,
                encoding: match encoding {
                    Encoding::Utf8 => "utf8",
                    Encoding::Utf8Bom => "utf8_bom",
                    Encoding::Utf16 => "utf16",
                    Encoding::Windows1252 => "windows1252",
                }
                .into(),
            },
            Format::Xlsx { sheet } => FileFormat::Xlsx { sheet },
        }
    }
}

/// One row's fate.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LineReport {
    pub line: usize,
    /// The row's id in the source system (the column mapped to `external_id`).
    #[serde(default)]
    pub source_id: Option<String>,
    /// The person's name as the file writes it: in the report given to whoever
    /// imports the file, never kept with the batch (a kept report names rows by
    /// line and source id, and links the records the reader may open).
    #[serde(default)]
    pub name: Option<String>,
    /// `created` (a new person), `linked` (joined to a person another organisation
    /// registered), `review` (created, with a doubtful pair queued), `existing` (already
    /// this organisation's record: nothing created) or `rejected`.
    #[schema(value_type = String)]
    pub outcome: std::borrow::Cow<'static, str>,
    pub participant_id: Option<Uuid>,
    pub probability: Option<f64>,
    /// For `existing`: the line of this file that created that record.
    pub same_as_line: Option<usize>,
    pub problems: Vec<CellProblem>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    pub batch_id: Option<Uuid>,
    pub file_name: String,
    pub source: String,
    pub format: Option<FileFormat>,
    pub columns: Vec<String>,
    pub rows: usize,
    pub created: usize,
    pub linked: usize,
    pub review: usize,
    pub existing: usize,
    pub rejected: usize,
    pub dry_run: bool,
    /// Whether the rows were written.
    pub applied: bool,
    /// Not applied because rows were rejected and `skip_invalid` was not asked.
    pub blocked_by_rejections: bool,
    /// This very file was imported before: nothing was done.
    pub already_imported: Option<Batch>,
    pub lines: Vec<LineReport>,
}

/// A first look at a file: its columns, a few rows, and a guessed (or the saved)
/// mapping.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preview {
    pub format: FileFormat,
    pub columns: Vec<String>,
    pub sample: Vec<Vec<String>>,
    pub rows: usize,
    pub mapping: Mapping,
}

fn file_error(e: itinera_tabular::TabularError) -> Error {
    Error::Invalid(vec![itinera_domain::FieldError::on_line(
        "file",
        e.code(),
        e.line(),
    )])
}

/// Reads the file, or names what is wrong with it.
pub fn read_file(bytes: &[u8]) -> Result<itinera_tabular::Sheet, Error> {
    itinera_tabular::read(bytes).map_err(file_error)
}

/// The name of the file's source (the system it came from): required, 100 characters
/// at most.
pub fn check_source(source: &str) -> Result<&str, Error> {
    let s = source.trim();
    if s.is_empty() {
        Err(Error::field("source", "validation.required"))
    } else if s.chars().count() > 100 {
        Err(Error::field("source", "validation.too_long"))
    } else {
        Ok(s)
    }
}

impl Services {
    /// The organisation's saved mappings.
    pub async fn import_mappings(&self, actor: &Actor) -> Result<Vec<SavedMappingView>, Error> {
        actor.require(Capability::WritePersonData)?;
        let mut tx = self.store.read().await?;
        let rows = store::mappings(&mut tx, actor.organisation_id).await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|m| SavedMappingView {
                mapping: serde_json::from_str(&m.mapping).unwrap_or_default(),
                source: m.name,
                updated_at: m.updated_at,
            })
            .collect())
    }

    /// Saves a mapping under a source's name (it is checked when a file is imported).
    pub async fn save_import_mapping(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        source: &str,
        mapping: &Mapping,
    ) -> Result<(), Error> {
        actor.require(Capability::WritePersonData)?;
        let source = check_source(source)?;
        let json = serde_json::to_string(mapping).map_err(|e| Error::Internal(e.to_string()))?;
        let mut tx = self.store.write().await?;
        store::save_mapping(
            &mut tx,
            actor.organisation_id,
            source,
            &json,
            actor.user_id,
            ctx.now,
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::ImportMappingSave,
            None,
            json!({"source": source}),
        )
        .await
    }

    /// The columns of a file, its first rows and the mapping to start from: the one
    /// saved for `source`, or one guessed from the headers.
    pub async fn preview_import(
        &self,
        actor: &Actor,
        bytes: &[u8],
        source: &str,
    ) -> Result<Preview, Error> {
        actor.require(Capability::WritePersonData)?;
        let sheet = read_file(bytes)?;
        let saved = if source.trim().is_empty() {
            None
        } else {
            let mut tx = self.store.read().await?;
            let m = store::mapping(&mut tx, actor.organisation_id, source.trim()).await?;
            tx.commit().await?;
            m.and_then(|m| serde_json::from_str::<Mapping>(&m.mapping).ok())
        };
        let mapping = match saved {
            Some(mut m) => {
                // Columns the file no longer has are dropped (a field they filled is
                // then asked for again); columns it does not know are shown too.
                m.columns
                    .retain(|c| sheet.header.iter().any(|h| h.trim() == c.column.trim()));
                for h in &sheet.header {
                    if !m.columns.iter().any(|c| c.column == *h) {
                        m.columns.push(itinera_domain::import::ColumnMap {
                            column: h.clone(),
                            target: "ignore".into(),
                        });
                    }
                }
                m
            }
            None => {
                let mut used = Vec::new();
                Mapping {
                    columns: sheet
                        .header
                        .iter()
                        .map(|h| {
                            let mut t = itinera_domain::import::guess_target(h);
                            if used.contains(&t) {
                                t = itinera_domain::import::Target::Ignore;
                            }
                            used.push(t);
                            itinera_domain::import::ColumnMap {
                                column: h.clone(),
                                target: t.code().to_string(),
                            }
                        })
                        .collect(),
                    default_labour_status: String::new(),
                    m_means: String::new(),
                }
            }
        };
        Ok(Preview {
            format: sheet.format.clone().into(),
            sample: sheet.rows.iter().take(5).map(|r| r.cells.clone()).collect(),
            rows: sheet.rows.len(),
            columns: sheet.header,
            mapping,
        })
    }

    /// Imports a file (see the module's documentation): plans it, then applies the plan.
    /// `progress(done, total)` is called as rows are planned.
    pub async fn import_participants(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        req: &ImportRequest<'_>,
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<ImportReport, Error> {
        let planned = self.plan_import(actor, ctx, req, progress).await?;
        self.apply_import(actor, ctx, planned, progress).await
    }

    /// The first half of an import: reads the file and plans every row on a snapshot
    /// of the registry — without the writer. A dry run (or a file with rejected rows
    /// and no `skip_invalid`, or one imported before) ends here with its report.
    pub async fn plan_import(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        req: &ImportRequest<'_>,
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<PlannedImport, Error> {
        actor.require(Capability::WritePersonData)?;
        let source = check_source(req.source)?;
        let sheet = read_file(req.bytes)?;
        let sha256 = hex::encode(Sha256::digest(req.bytes));
        let org = actor.organisation_id;
        let mut report = ImportReport {
            batch_id: None,
            file_name: req.file_name.to_string(),
            source: source.to_string(),
            format: Some(sheet.format.clone().into()),
            columns: sheet.header.clone(),
            rows: sheet.rows.len(),
            created: 0,
            linked: 0,
            review: 0,
            existing: 0,
            rejected: 0,
            dry_run: req.dry_run,
            applied: false,
            blocked_by_rejections: false,
            already_imported: None,
            lines: Vec::new(),
        };
        let mut snap = self.store.snapshot().await?;
        let mapping = match &req.mapping {
            Some(m) => m.clone(),
            None => store::mapping(&mut snap, org, source)
                .await?
                .and_then(|m| serde_json::from_str(&m.mapping).ok())
                .ok_or_else(|| Error::field("source", "import.mapping.none"))?,
        };
        let resolved = mapping.resolve(&sheet.header)?;
        if let Some(b) = store::batch_by_hash(&mut snap, org, &sha256).await? {
            snap.rollback().await?;
            report.already_imported = Some(b.into());
            return Ok(PlannedImport {
                report,
                pending: None,
            });
        }
        let planning = Stopwatch::start();
        let plan = Plan::make(
            &mut snap,
            Some(&self.store),
            actor,
            ctx,
            source,
            &sheet,
            &resolved,
            progress,
        )
        .await?;
        let document_column = resolved.column_of("documents");
        let fates = plan.decide(org, &document_column, ctx);
        if req.dry_run || (rejected(&fates) > 0 && !req.skip_invalid) {
            let blocked = !req.dry_run;
            self.not_applied(
                actor,
                ctx,
                snap,
                &mut report,
                &plan,
                &fates,
                &sha256,
                blocked,
            )
            .await?;
            return Ok(PlannedImport {
                report,
                pending: None,
            });
        }
        snap.rollback().await?;
        Ok(PlannedImport {
            report,
            pending: Some(Pending {
                plan,
                fates,
                sheet,
                mapping,
                sha256,
                document_column,
                save_mapping: req.save_mapping,
                skip_invalid: req.skip_invalid,
                plan_ms: planning.elapsed().as_millis(),
            }),
        })
    }

    /// The second half of an import: one short write. What was written since the plan
    /// was read is caught up first (the rows it may touch are read again; a change to
    /// the registry as a whole plans again, without the writer, up to `MAX_PLANS`
    /// times, the last one holding it).
    pub async fn apply_import(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        planned: PlannedImport,
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<ImportReport, Error> {
        actor.require(Capability::WritePersonData)?;
        let PlannedImport {
            mut report,
            pending,
        } = planned;
        let Some(Pending {
            mut plan,
            mut fates,
            sheet,
            mapping,
            sha256,
            document_column,
            save_mapping,
            skip_invalid,
            plan_ms,
        }) = pending
        else {
            return Ok(report);
        };
        let org = actor.organisation_id;
        let source = report.source.clone();
        let source = source.as_str();
        let resolved = mapping.resolve(&sheet.header)?;
        let batch_id = ctx.new_id();
        let engine = self.store.engine();
        let mut attempt = 0;
        let (mut tx, holding, catch_up_ms, ready) = loop {
            attempt += 1;
            // Catch up on a snapshot first, so that the writer has only the last
            // moments to read again.
            let mut snap = self.store.snapshot().await?;
            let before = plan.catch_up(&mut snap, source).await?;
            snap.rollback().await?;
            match before {
                CatchUp::Unchanged => {}
                CatchUp::Refreshed => fates = plan.decide(org, &document_column, ctx),
                CatchUp::Stale if attempt < MAX_PLANS => {
                    // The registry changed as a whole (a merge undone, new thresholds…):
                    // plan again on a new snapshot, without the writer.
                    plan = self
                        .replan(actor, ctx, source, &sheet, &resolved, progress)
                        .await?;
                    fates = plan.decide(org, &document_column, ctx);
                    continue;
                }
                CatchUp::Stale => {}
            }
            // The bulk writes, made ready before the writer is taken.
            let mut ready = prepare(engine, actor, ctx, &plan.rows, &fates, batch_id, source)?;
            let mut tx = self.store.write().await?;
            let holding = Stopwatch::start();
            // First, so that on PostgreSQL every other writer of the registry either
            // committed before (and is seen below) or waits for this import.
            audit(
                &mut tx,
                actor,
                ctx,
                Action::MasterIndexLookup,
                Some(batch_id),
                lookup_detail(&report, &sha256, true),
            )
            .await?;
            if let Some(b) = store::batch_by_hash(&mut tx, org, &sha256).await? {
                tx.rollback().await?;
                report.already_imported = Some(b.into());
                return Ok(report);
            }
            match plan.catch_up(&mut tx, source).await? {
                CatchUp::Unchanged => {}
                CatchUp::Refreshed => {
                    fates = plan.decide(org, &document_column, ctx);
                    ready = prepare(engine, actor, ctx, &plan.rows, &fates, batch_id, source)?;
                }
                CatchUp::Stale if attempt < MAX_PLANS => {
                    tx.rollback().await?;
                    plan = self
                        .replan(actor, ctx, source, &sheet, &resolved, progress)
                        .await?;
                    fates = plan.decide(org, &document_column, ctx);
                    continue;
                }
                CatchUp::Stale => {
                    // Still changing: the last plan is made holding the writer.
                    plan = Plan::make(
                        &mut tx, None, actor, ctx, source, &sheet, &resolved, progress,
                    )
                    .await?;
                    fates = plan.decide(org, &document_column, ctx);
                    ready = prepare(engine, actor, ctx, &plan.rows, &fates, batch_id, source)?;
                }
            }
            let catch_up_ms = holding.elapsed().as_millis();
            break (tx, holding, catch_up_ms, ready);
        };
        if rejected(&fates) > 0 && !skip_invalid {
            // Rows the registry now refuses (a number registered since the plan).
            self.not_applied(actor, ctx, tx, &mut report, &plan, &fates, &sha256, true)
                .await?;
            return Ok(report);
        }
        store::insert_batch(
            &mut tx,
            &NewBatch {
                id: batch_id,
                org,
                source,
                file_name: &report.file_name,
                sha256: &sha256,
                by: actor.user_id,
                now: ctx.now,
            },
        )
        .await?;
        let phases = apply(&mut tx, actor, ctx, &plan.rows, &fates, ready).await?;
        let apply_ms = holding.elapsed().as_millis() - catch_up_ms;
        let told = disclose(&mut tx, actor, ctx, &fates).await?;
        fill(&mut report, &plan.rows, &fates, &told);
        let figures = Figures {
            rows_read: count(report.rows),
            created: count(report.created),
            linked: count(report.linked),
            queued: count(report.review),
            existing: count(report.existing),
            rejected: count(report.rejected),
        };
        let lines_json = kept_report(&report.lines)?;
        store::finish_batch(&mut tx, batch_id, &figures, &lines_json).await?;
        if save_mapping {
            let json =
                serde_json::to_string(&mapping).map_err(|e| Error::Internal(e.to_string()))?;
            store::save_mapping(&mut tx, org, source, &json, actor.user_id, ctx.now).await?;
        }
        let writer_ms = holding.elapsed().as_millis();
        finish(tx, actor, ctx, Action::ImportRun, Some(batch_id),
            json!({"file": report.file_name, "source": source, "rows": report.rows, "created": report.created,
                   "linked": report.linked, "review": report.review, "existing": report.existing, "rejected": report.rejected,
                   "plan_ms": plan_ms, "writer_ms": writer_ms, "catch_up_ms": catch_up_ms, "apply_ms": apply_ms,
                   "apply_steps_ms": phases.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
                   "plans": attempt})).await?;
        tracing::info!(
            rows = report.rows,
            writer_ms = holding.elapsed().as_millis(),
            "import applied (writer time includes the commit)"
        );
        report.batch_id = Some(batch_id);
        report.applied = true;
        progress(report.rows, report.rows);
        Ok(report)
    }

    /// Ends a run that writes nothing (a dry run, or rows rejected): the report as the
    /// actor may see it, read in `tx` (then ended), and the one thing kept — the audit
    /// entry saying that the master index was asked.
    #[allow(clippy::too_many_arguments)]
    async fn not_applied(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        mut tx: itinera_store::Tx,
        report: &mut ImportReport,
        plan: &Plan,
        fates: &[plan::Fate],
        sha256: &str,
        blocked: bool,
    ) -> Result<(), Error> {
        let told = disclose(&mut tx, actor, ctx, fates).await?;
        tx.rollback().await?;
        fill(report, &plan.rows, fates, &told);
        report.blocked_by_rejections = blocked;
        hide_unmade(report);
        let tx = self.store.write().await?;
        finish(
            tx,
            actor,
            ctx,
            Action::MasterIndexLookup,
            None,
            lookup_detail(report, sha256, false),
        )
        .await
    }

    /// Plans a file again on new snapshots (the registry changed as a whole).
    async fn replan(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        source: &str,
        sheet: &itinera_tabular::Sheet,
        resolved: &itinera_domain::import::Resolved,
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<Plan, Error> {
        let mut snap = self.store.snapshot().await?;
        let plan = Plan::make(
            &mut snap,
            Some(&self.store),
            actor,
            ctx,
            source,
            sheet,
            resolved,
            progress,
        )
        .await?;
        snap.rollback().await?;
        Ok(plan)
    }

    /// The organisation's import batches, latest first.
    pub async fn import_batches(
        &self,
        actor: &Actor,
        page: PageRequest,
    ) -> Result<Page<Batch>, Error> {
        actor.require(Capability::WritePersonData)?;
        let mut tx = self.store.read().await?;
        let p = store::batches(&mut tx, actor.organisation_id, page).await?;
        tx.commit().await?;
        Ok(p.map(Into::into))
    }

    /// One batch of the organisation with its row-by-row report.
    /// (An audited read: its lines name the organisation's records.)
    pub async fn import_batch(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<BatchReport, Error> {
        actor.require(Capability::WritePersonData)?;
        let mut tx = self.store.audited_read().await?;
        let (b, report) = store::batch(&mut tx, actor.organisation_id, id)
            .await?
            .ok_or(Error::NotFound)?;
        let lines = read_kept_report(&report)?;
        let participants: Vec<Uuid> = lines.iter().filter_map(|l| l.participant_id).collect();
        finish(
            tx,
            actor,
            ctx,
            Action::ImportRead,
            Some(id),
            json!({"participants": participants}),
        )
        .await?;
        Ok(BatchReport {
            batch: b.into(),
            lines,
        })
    }
}

/// Erasure: the kept reports forget which line was the record and its id in the source
/// system (the source id would name the person again), and the import jobs whose
/// report names it go with their files. How many reports and jobs changed.
pub(crate) async fn forget_record_in_imports(
    tx: &mut itinera_store::Tx,
    record: Uuid,
) -> Result<u64, Error> {
    let mut changed = 0;
    for (batch, report) in store::batches_naming(tx, record).await? {
        let mut lines = read_kept_report(&report)?;
        let mut touched = false;
        for l in lines
            .iter_mut()
            .filter(|l| l.participant_id == Some(record))
        {
            l.participant_id = None;
            l.source_id = None;
            touched = true;
        }
        if touched {
            store::set_batch_report(tx, batch, &kept_report(&lines)?).await?;
            changed += 1;
        }
    }
    Ok(changed + store::forget_jobs_naming(tx, record).await?)
}

/// A line of a report kept with its batch, as stored: an array of the line's values
/// (the line, its source id, outcome, record, probability, the line it repeats and its
/// problems), not an object naming them. No name: a kept report never names a
/// person. A 100,000-line report is written while the import holds the writer, and in
/// this form it is less than half the size (18 MB as objects).
#[derive(Serialize)]
struct KeptLine<'a>(
    usize,
    &'a Option<String>,
    &'a str,
    Option<Uuid>,
    Option<f64>,
    Option<usize>,
    &'a [CellProblem],
);

/// A stored line read back: an array (`KeptLine`), or an object as reports were kept
/// before (a `LineReport` without a name).
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredLine {
    Values(
        usize,
        Option<String>,
        String,
        Option<Uuid>,
        Option<f64>,
        Option<usize>,
        Vec<CellProblem>,
    ),
    Object(LineReport),
}

/// The report to keep with a batch (see `KeptLine`).
fn kept_report(lines: &[LineReport]) -> Result<String, Error> {
    let kept: Vec<KeptLine<'_>> = lines
        .iter()
        .map(|l| {
            KeptLine(
                l.line,
                &l.source_id,
                &l.outcome,
                l.participant_id,
                l.probability,
                l.same_as_line,
                &l.problems,
            )
        })
        .collect();
    serde_json::to_string(&kept).map_err(|e| Error::Internal(e.to_string()))
}

/// A kept report read back, in either of its stored forms.
fn read_kept_report(json: &str) -> Result<Vec<LineReport>, Error> {
    let stored: Vec<StoredLine> =
        serde_json::from_str(json).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(stored
        .into_iter()
        .map(|s| match s {
            StoredLine::Values(
                line,
                source_id,
                outcome,
                participant_id,
                probability,
                same_as_line,
                problems,
            ) => LineReport {
                line,
                source_id,
                name: None,
                outcome: outcome.into(),
                participant_id,
                probability,
                same_as_line,
                problems,
            },
            StoredLine::Object(mut l) => {
                l.name = None;
                l
            }
        })
        .collect())
}

/// An import planned and not yet applied (`Services::apply_import`), or finished
/// already (a dry run, a file with rejected rows, a file imported before).
pub struct PlannedImport {
    /// The report as planned: a dry run's is final.
    pub report: ImportReport,
    pending: Option<Pending>,
}

struct Pending {
    plan: Plan,
    fates: Vec<plan::Fate>,
    sheet: itinera_tabular::Sheet,
    mapping: Mapping,
    sha256: String,
    document_column: String,
    save_mapping: bool,
    skip_invalid: bool,
    plan_ms: u128,
}

/// The detail of the audit entry that records a master-index lookup by file.
fn lookup_detail(report: &ImportReport, sha256: &str, applied: bool) -> serde_json::Value {
    json!({"file": report.file_name, "sha256": sha256, "source": report.source, "rows": report.rows,
           "dry_run": report.dry_run, "applied": applied})
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl Services {
    /// Checks a file and a mapping before a (long) import starts: the file can be read
    /// and the mapping fits its header. The errors are those the import would give.
    pub fn check_import(
        &self,
        actor: &Actor,
        bytes: &[u8],
        source: &str,
        mapping: &Mapping,
    ) -> Result<(), Error> {
        actor.require(Capability::WritePersonData)?;
        check_source(source)?;
        let sheet = read_file(bytes)?;
        mapping.resolve(&sheet.header).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize, outcome: &'static str) -> LineReport {
        LineReport {
            line: n,
            source_id: Some(format!("R-{n}")),
            name: Some("Ana Pérez".into()),
            outcome: outcome.into(),
            participant_id: (outcome != "rejected").then(|| Uuid::from_u128(n as u128)),
            probability: (outcome == "linked").then_some(0.97),
            same_as_line: (outcome == "existing").then_some(2),
            problems: if outcome == "rejected" {
                vec![CellProblem {
                    column: "birth_date".into(),
                    code: "import.cell.date".into(),
                }]
            } else {
                Vec::new()
            },
        }
    }

    #[test]
    fn a_kept_report_reads_back_the_same_without_names() {
        let lines = vec![
            line(2, "created"),
            line(3, "linked"),
            line(4, "existing"),
            line(5, "rejected"),
        ];
        let json = kept_report(&lines).unwrap();
        assert!(
            !json.contains("Pérez"),
            "a kept report names no one: {json}"
        );
        assert!(json.starts_with("[[2,\"R-2\",\"created\""), "{json}");
        let back = read_kept_report(&json).unwrap();
        assert_eq!(back.len(), 4);
        for (a, b) in lines.iter().zip(&back) {
            assert_eq!(b.name, None);
            assert_eq!(
                (
                    a.line,
                    &a.source_id,
                    &a.outcome,
                    a.participant_id,
                    a.probability,
                    a.same_as_line,
                    &a.problems
                ),
                (
                    b.line,
                    &b.source_id,
                    &b.outcome,
                    b.participant_id,
                    b.probability,
                    b.same_as_line,
                    &b.problems
                )
            );
        }
    }

    #[test]
    fn a_report_kept_as_objects_before_still_reads() {
        let old = r#"[{"line":7,"source_id":"R-7","name":null,"outcome":"existing","participant_id":"00000000-0000-0000-0000-000000000007","probability":null,"same_as_line":3,"problems":[]},
                      {"line":8,"outcome":"rejected","participant_id":null,"probability":null,"same_as_line":null,"problems":[{"column":"sex","code":"import.cell.sex"}]}]"#;
        let back = read_kept_report(old).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].same_as_line, Some(3));
        assert_eq!(back[0].participant_id, Some(Uuid::from_u128(7)));
        assert_eq!(back[1].source_id, None);
        assert_eq!(back[1].problems[0].code, "import.cell.sex");
    }
}
