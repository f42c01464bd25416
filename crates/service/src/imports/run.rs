//! The I/O of an import: the plan's reads (on a snapshot), catching up with what changed
//! before the apply, what the actor is told of each row, and the apply's bulk writes.

use std::collections::HashSet;

use itinera_domain::access::Actor;
use itinera_domain::import::Resolved;
use itinera_domain::linkage::Thresholds;
use itinera_domain::text::fold;
use itinera_domain::Error;
use itinera_linkage::Lookup;
use itinera_store::bulk::Prepared;
use itinera_store::imports as store;
use itinera_store::linkage as link_store;
use itinera_store::participants::{self, NewParticipant};
use itinera_store::{admin, Engine, Tx};
use serde_json::json;
use uuid::Uuid;

use super::plan::{
    decide_rows, prune, read_rows, score, Fate, FileIndex, Found, Row, Scores, Valid,
};
use super::{ImportReport, LineReport};
use crate::audit::{audit_many_rendered, render, Action};
use crate::linkage::{model_of, probe, thresholds, CANDIDATE_LIMIT};
use crate::Ctx;

/// Rows planned on one snapshot.
const CHUNK: usize = 2000;

/// Plans made before giving up and planning while holding the writer.
pub(super) const MAX_PLANS: usize = 3;

/// Entries of the audit log after which a plan is stale as a whole.
const WHOLE: [&str; 5] = [
    "linkage.decide",
    "linkage.unmerge",
    "linkage.registry",
    "linkage.settings.update",
    "import.run",
];
/// Entries that name one record that changed (created, edited, linked).
const RECORD: [&str; 3] = [
    "participant.create",
    "participant.update",
    "participant.link",
];

/// A planned import: the rows, what the registry held for each, their scores.
pub(super) struct Plan {
    /// The audit log's last entry when the plan was read.
    tip: i64,
    pub rows: Vec<Row>,
    found: Vec<Found>,
    scores: Vec<Scores>,
    thresholds: Thresholds,
    lookup: Lookup,
    org: Uuid,
}

/// What changed since the plan.
pub(super) enum CatchUp {
    Unchanged,
    /// Some records changed: the rows they may touch were read again.
    Refreshed,
    /// The registry changed as a whole: plan again.
    Stale,
}

async fn fetch(tx: &mut Tx, org: Uuid, source: &str, v: &Valid) -> Result<Found, Error> {
    let source_record = match &v.external_id {
        Some(ext) => store::source_record(tx, org, source, ext).await?,
        None => None,
    };
    if let Some((_, true)) = source_record {
        // Its record is restricted: the row is refused, without the record's id.
        return Ok(Found {
            restricted: true,
            ..Found::default()
        });
    }
    let source_record = source_record.map(|(id, _)| id);
    if source_record.is_some() {
        return Ok(Found {
            source_record,
            ..Found::default()
        });
    }
    Ok(Found {
        source_record,
        candidates: link_store::candidates(tx, &probe(&v.data, None), CANDIDATE_LIMIT).await?,
        document_taken: participants::document_taken(tx, org, &v.data.documents).await?,
        restricted: false,
    })
}

impl Plan {
    /// Reads the file's rows and what the registry holds for each, in `tx` (a snapshot,
    /// or the writer), and scores them.
    /// `renew`: the store to take a fresh snapshot from every `CHUNK` rows (a long
    /// snapshot would keep SQLite's WAL from being checkpointed for the whole plan).
    /// The plan's tip is the first snapshot's, so a change seen by a later snapshot is
    /// caught up again at the apply: harmless. `None` plans in `tx` throughout (the
    /// writer).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn make(
        tx: &mut Tx,
        renew: Option<&itinera_store::Store>,
        actor: &Actor,
        ctx: &Ctx,
        source: &str,
        sheet: &itinera_tabular::Sheet,
        resolved: &Resolved,
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<Plan, Error> {
        let org = actor.organisation_id;
        let tip = itinera_store::audit::tip(tx).await?;
        let settings = link_store::settings(tx).await?;
        let territories: Vec<(Uuid, String)> = admin::territories(tx)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
        let rows = read_rows(sheet, resolved, &territories, ctx.today())?;
        let t = thresholds(&settings);
        let lookup = Lookup::new(model_of(&settings));
        let total = rows.len();
        let mut index = FileIndex::default();
        let mut found = Vec::with_capacity(total);
        let mut scores = Vec::with_capacity(total);
        for (j, row) in rows.iter().enumerate() {
            if j % 256 == 0 {
                progress(j, total);
            }
            if let Some(store) = renew.filter(|_| j > 0 && j % CHUNK == 0) {
                let old = std::mem::replace(tx, store.snapshot().await?);
                old.rollback().await?;
            }
            let (f, s) = match &row.valid {
                Some(v) => {
                    let mut f = fetch(tx, org, source, v).await?;
                    let mut s = score(&lookup, &rows, j, &f, &index.candidates(v))?;
                    prune(&mut f, &mut s, t.review);
                    index.add(j, v);
                    (f, s)
                }
                None => (Found::default(), Scores::default()),
            };
            found.push(f);
            scores.push(s);
        }
        Ok(Plan {
            tip,
            rows,
            found,
            scores,
            thresholds: t,
            lookup,
            org,
        })
    }

    /// Each row's fate (new records get new ids).
    pub(super) fn decide(&self, org: Uuid, document_column: &str, ctx: &Ctx) -> Vec<Fate> {
        decide_rows(
            &self.rows,
            &self.found,
            &self.scores,
            org,
            self.thresholds,
            document_column,
            &mut || ctx.new_id(),
        )
    }

    /// In the writer: finds what was written since the plan was read (the audit log
    /// names every write of a record) and reads again the rows it may touch — those
    /// that had a changed record as a candidate, or share an identity number, a birth
    /// date or a given name with one.
    pub(super) async fn catch_up(&mut self, tx: &mut Tx, source: &str) -> Result<CatchUp, Error> {
        let actions: Vec<&str> = WHOLE.iter().chain(RECORD.iter()).copied().collect();
        // The tip first: a change committed after it is read below too (harmless).
        let tip = itinera_store::audit::tip(tx).await?;
        let changes = itinera_store::audit::since(tx, self.tip, &actions).await?;
        if changes.is_empty() {
            self.tip = self.tip.max(tip);
            return Ok(CatchUp::Unchanged);
        }
        if changes.iter().any(|(a, _)| WHOLE.contains(&a.as_str())) {
            return Ok(CatchUp::Stale);
        }
        self.tip = self.tip.max(tip);
        let changed: HashSet<Uuid> = changes.iter().filter_map(|(_, id)| *id).collect();
        let mut documents = HashSet::new();
        let mut births = HashSet::new();
        let mut given = HashSet::new();
        for id in &changed {
            if let Some(r) = link_store::record(tx, *id).await? {
                births.insert(r.birth_date);
                given.insert(fold(&r.given_name));
            }
            documents.extend(link_store::documents_of(tx, *id).await?);
        }
        let mut touched = Vec::new();
        for (j, row) in self.rows.iter().enumerate() {
            let Some(v) = &row.valid else { continue };
            let p = probe(&v.data, None);
            let had = self
                .found
                .get(j)
                .is_some_and(|f| f.candidates.iter().any(|c| changed.contains(&c.id)));
            if had
                || p.documents.iter().any(|d| documents.contains(d))
                || p.birth_dates.iter().any(|b| births.contains(b))
                || given.contains(&p.given_key)
            {
                touched.push(j);
            }
        }
        for j in touched {
            let Some(v) = self.rows.get(j).and_then(|r| r.valid.as_ref()) else {
                continue;
            };
            // The registry's part again; the rows above are as they were.
            let mut f = fetch(tx, self.org, source, v).await?;
            let mut s = score(&self.lookup, &self.rows, j, &f, &[])?;
            prune(&mut f, &mut s, self.thresholds.review);
            if let (Some(fj), Some(sj)) = (self.found.get_mut(j), self.scores.get_mut(j)) {
                *fj = f;
                sj.registry = s.registry;
            }
        }
        Ok(CatchUp::Refreshed)
    }
}

pub(super) fn rejected(fates: &[Fate]) -> usize {
    fates
        .iter()
        .filter(|f| matches!(f, Fate::Rejected(_)))
        .count()
}

/// What the actor is told of each row: `created`, `linked` or `review`, and the
/// probability — only what involves records it has a basis for (the master index is
/// not an oracle). Records of this file are the actor's organisation's.
pub(super) async fn disclose(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    fates: &[Fate],
) -> Result<Vec<(&'static str, Option<f64>)>, Error> {
    let mine: HashSet<Uuid> = fates
        .iter()
        .filter_map(|f| match f {
            Fate::Created { record, .. } => Some(*record),
            _ => None,
        })
        .collect();
    let mut out = Vec::with_capacity(fates.len());
    for f in fates {
        let Fate::Created { link, reviews, .. } = f else {
            out.push(("", None));
            continue;
        };
        let mut sees = async |record: Uuid| -> Result<bool, Error> {
            Ok(mine.contains(&record)
                || crate::linkage::sees(tx, actor.into(), ctx, record).await?)
        };
        let link_seen = match link {
            Some(top) => sees(top.record).await?,
            None => false,
        };
        let mut review_seen = false;
        for c in reviews {
            if sees(c.record).await? {
                review_seen = true;
                break;
            }
        }
        out.push(if link_seen {
            ("linked", link.map(|t| t.probability))
        } else if review_seen {
            ("review", None)
        } else {
            ("created", None)
        });
    }
    Ok(out)
}

/// The report's lines and figures from the rows' fates.
pub(super) fn fill(
    report: &mut ImportReport,
    rows: &[Row],
    fates: &[Fate],
    told: &[(&'static str, Option<f64>)],
) {
    report.lines = rows
        .iter()
        .zip(fates)
        .zip(told)
        .map(|((row, fate), &(outcome, probability))| {
            let mut l = LineReport {
                line: row.line,
                source_id: row.source_id.clone(),
                name: row.name.clone(),
                outcome: "rejected".into(),
                participant_id: None,
                probability: None,
                same_as_line: None,
                problems: Vec::new(),
            };
            match fate {
                Fate::Rejected(p) => l.problems = p.clone(),
                Fate::Existing {
                    record,
                    probability,
                    same_as,
                } => {
                    l.outcome = "existing".into();
                    l.participant_id = Some(*record);
                    l.probability = *probability;
                    l.same_as_line = *same_as;
                }
                Fate::Created { record, .. } => {
                    l.outcome = outcome.into();
                    l.participant_id = Some(*record);
                    l.probability = probability;
                }
            }
            l
        })
        .collect();
    let (mut c, mut k, mut r, mut e, mut x) = (0, 0, 0, 0, 0);
    for l in &report.lines {
        match l.outcome.as_ref() {
            "created" => c += 1,
            "linked" => k += 1,
            "review" => r += 1,
            "existing" => e += 1,
            _ => x += 1,
        }
    }
    (
        report.created,
        report.linked,
        report.review,
        report.existing,
        report.rejected,
    ) = (c, k, r, e, x);
}

/// Nothing was kept: ids of records the run would have created mean nothing.
pub(super) fn hide_unmade(report: &mut ImportReport) {
    for l in &mut report.lines {
        if l.outcome != "existing" || l.same_as_line.is_some() {
            l.participant_id = None;
        }
    }
}

/// The bulk part of an import's writes, made ready before the writer is taken (see
/// `bulk::Prepared`): the new records with their documents, the links they join, and
/// the source ids. `apply` writes them.
pub(super) struct Ready {
    inserts: [Prepared; 2],
    sources: Prepared,
    links: Vec<(Uuid, Uuid, f64)>,
    /// The detail of each new record's audit entry, rendered (`audit::render`).
    created: Vec<String>,
}

/// Prepares the writes of the plan's `rows` and their `fates` (no I/O).
pub(super) fn prepare(
    engine: Engine,
    actor: &Actor,
    ctx: &Ctx,
    rows: &[Row],
    fates: &[Fate],
    batch: Uuid,
    source: &str,
) -> Result<Ready, Error> {
    let mut people = Vec::new();
    let mut links = Vec::new();
    let mut sources = Vec::new();
    let mut seen_sources = HashSet::new();
    let mut created = Vec::new();
    for (row, fate) in rows.iter().zip(fates) {
        let Some(v) = &row.valid else { continue };
        let record = match fate {
            Fate::Rejected(_) => continue,
            Fate::Existing { record, .. } => *record,
            Fate::Created { record, link, .. } => {
                created.push(render(actor, json!({"batch": batch, "line": row.line})));
                people.push(NewParticipant {
                    id: *record,
                    person_id: link.map_or(*record, |l| l.person),
                    data: &v.data,
                });
                if let Some(l) = link {
                    links.push((*record, l.person, l.probability));
                }
                *record
            }
        };
        if let Some(ext) = &v.external_id {
            if seen_sources.insert(ext.as_str()) {
                sources.push((record, ext.clone()));
            }
        }
    }
    let org = actor.organisation_id;
    Ok(Ready {
        inserts: participants::prepare_many(engine, org, &people, actor.user_id, ctx.now)?,
        sources: store::prepare_sources(engine, org, source, &sources, batch, ctx.now)?,
        links,
        created,
    })
}

/// Writes the plan (made `ready` from `rows` and `fates`): the new records (with the
/// persons they join), the pairs to review, the source ids, and an audit entry for
/// each, in bulk. Returns when each step ended (ms from the start).
pub(super) async fn apply(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    rows: &[Row],
    fates: &[Fate],
    ready: Ready,
) -> Result<Vec<(&'static str, u128)>, Error> {
    let Ready {
        inserts,
        sources,
        links,
        created,
    } = ready;
    let mut created = created.into_iter();
    let clock = itinera_clock::Stopwatch::start();
    let mut phases = Vec::new();
    for insert in inserts {
        insert.run(tx).await?;
    }
    phases.push(("participants", clock.elapsed().as_millis()));
    let merges = link_store::record_auto_links(tx, &links, Some(actor.user_id), ctx.now).await?;
    let mut merge_of = links.iter().map(|l| l.0).zip(merges);
    let mut entries = Vec::new();
    for (row, fate) in rows.iter().zip(fates) {
        // The rows `prepare` made records of, in its order.
        let (
            Some(_),
            Fate::Created {
                record,
                link,
                reviews,
            },
        ) = (&row.valid, fate)
        else {
            continue;
        };
        let Some(detail) = created.next() else {
            return Err(Error::Internal(
                "import: a new record without its audit entry".into(),
            ));
        };
        entries.push((Action::ParticipantCreate, Some(*record), detail));
        if let Some(top) = link {
            let merge = merge_of.next().map(|(_, m)| m);
            entries.push((Action::ParticipantLink, Some(*record),
                render(actor, json!({"merge": merge, "person": top.person, "with": top.record, "probability": top.probability, "source": "import"}))));
        }
        for c in reviews {
            if link_store::queue(tx, *record, c.record, c.probability, "import", ctx.now).await? {
                entries.push((
                    Action::LinkageQueue,
                    Some(*record),
                    render(
                        actor,
                        json!({"with": c.record, "probability": c.probability, "source": "import"}),
                    ),
                ));
            }
        }
    }
    phases.push(("links_and_reviews", clock.elapsed().as_millis()));
    audit_many_rendered(tx, actor, ctx, entries).await?;
    phases.push(("audit", clock.elapsed().as_millis()));
    sources.run(tx).await?;
    phases.push(("sources", clock.elapsed().as_millis()));
    Ok(phases)
}
