//! Restriction, legal holds, anonymisation and retention (the rules are in
//! `itinera_domain::privacy`). Nothing here checks who acts: the services do.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::privacy::{ErasureFacts, LegalHoldData, PrivacyRequest};
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

/// The record as the data-protection office sees it on its privacy page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecordState {
    pub id: Uuid,
    pub home_organisation_id: Uuid,
    pub home_organisation_name: String,
    pub restricted_at: Option<DateTime<Utc>>,
    pub anonymised_at: Option<DateTime<Utc>>,
}

pub async fn record(tx: &mut Tx, pid: Uuid) -> Result<Option<RecordState>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT p.id, p.home_organisation_id, o.name AS home_organisation_name, \
         p.restricted_at, p.anonymised_at FROM participants p JOIN organisations o ON o.id = p.home_organisation_id WHERE p.id = $1"
    ).bind(pid).fetch_optional(c).await.map_err(db_err))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Restriction {
    pub id: Uuid,
    pub reference: String,
    pub reason: String,
    pub placed_at: DateTime<Utc>,
    pub placed_by_name: String,
    pub lifted_at: Option<DateTime<Utc>>,
    pub lifted_by_name: Option<String>,
    pub lift_reference: Option<String>,
    pub lift_reason: Option<String>,
}

pub async fn restrictions(tx: &mut Tx, pid: Uuid) -> Result<Vec<Restriction>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT r.id, r.reference, r.reason, r.placed_at, pu.display_name AS placed_by_name, r.lifted_at, \
         lu.display_name AS lifted_by_name, r.lift_reference, r.lift_reason FROM restrictions r \
         JOIN users pu ON pu.id = r.placed_by LEFT JOIN users lu ON lu.id = r.lifted_by \
         WHERE r.participant_id = $1 ORDER BY r.placed_at DESC, r.id DESC"
    ).bind(pid).fetch_all(c).await.map_err(db_err))
}

/// Freezes the record; `false` when it was frozen already.
pub async fn restrict(
    tx: &mut Tx,
    id: Uuid,
    pid: Uuid,
    req: &PrivacyRequest,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE participants SET restricted_at = $2 WHERE id = $1 AND restricted_at IS NULL"
    ).bind(pid).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    if n == 0 {
        return Ok(false);
    }
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO restrictions (id, participant_id, reference, reason, placed_at, placed_by) VALUES ($1,$2,$3,$4,$5,$6)"
    ).bind(id).bind(pid).bind(&req.reference).bind(&req.reason).bind(now).bind(by)
    .execute(c).await.map(|_| true).map_err(db_err))
}

/// Lifts the record's restriction; `false` when it was not frozen.
pub async fn lift(
    tx: &mut Tx,
    pid: Uuid,
    req: &PrivacyRequest,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE participants SET restricted_at = NULL WHERE id = $1 AND restricted_at IS NOT NULL"
    ).bind(pid).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    if n == 0 {
        return Ok(false);
    }
    on_tx!(tx, c => sqlx::query(
        "UPDATE restrictions SET lifted_at = $2, lifted_by = $3, lift_reference = $4, lift_reason = $5 \
         WHERE participant_id = $1 AND lifted_at IS NULL"
    ).bind(pid).bind(now).bind(by).bind(&req.reference).bind(&req.reason)
    .execute(c).await.map(|_| true).map_err(db_err))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LegalHold {
    pub id: Uuid,
    pub participant_id: Uuid,
    pub reference: String,
    pub reason: String,
    pub until: Option<NaiveDate>,
    pub placed_at: DateTime<Utc>,
    pub placed_by_name: String,
    pub released_at: Option<DateTime<Utc>>,
    pub released_by_name: Option<String>,
}

const HOLDS: &str = "SELECT h.id, h.participant_id, h.reference, h.reason, h.until, h.placed_at, pu.display_name AS placed_by_name, \
     h.released_at, ru.display_name AS released_by_name FROM legal_holds h \
     JOIN users pu ON pu.id = h.placed_by LEFT JOIN users ru ON ru.id = h.released_by";

pub async fn legal_holds(tx: &mut Tx, pid: Uuid) -> Result<Vec<LegalHold>, Error> {
    let sql = format!("{HOLDS} WHERE h.participant_id = $1 ORDER BY h.placed_at DESC, h.id DESC");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(pid).fetch_all(c).await.map_err(db_err))
}

pub async fn legal_hold(tx: &mut Tx, id: Uuid) -> Result<Option<LegalHold>, Error> {
    let sql = format!("{HOLDS} WHERE h.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

pub async fn place_hold(
    tx: &mut Tx,
    id: Uuid,
    pid: Uuid,
    h: &LegalHoldData,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO legal_holds (id, participant_id, reference, reason, until, placed_at, placed_by) VALUES ($1,$2,$3,$4,$5,$6,$7)"
    ).bind(id).bind(pid).bind(&h.reference).bind(&h.reason).bind(h.until).bind(now).bind(by)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// Releases a hold; `false` when it was released already.
pub async fn release_hold(
    tx: &mut Tx,
    id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE legal_holds SET released_at = $2, released_by = $3 WHERE id = $1 AND released_at IS NULL"
    ).bind(id).bind(now).bind(by).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n > 0)
}

/// What the legal-hold rule needs about one record.
pub async fn erasure_facts(tx: &mut Tx, pid: Uuid) -> Result<ErasureFacts, Error> {
    let (open, last_closed): (i64, Option<NaiveDate>) = on_tx!(tx, c => sqlx::query_as(
        "SELECT COUNT(*) FILTER (WHERE status <> 'closed'), MAX(closed_on) FROM cases WHERE participant_id = $1"
    ).bind(pid).fetch_one(c).await.map_err(db_err))?;
    let running: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM contracts k JOIN cases c ON c.id = k.case_id WHERE c.participant_id = $1 AND k.ended_on IS NULL"
    ).bind(pid).fetch_one(c).await.map_err(db_err))?;
    let holds: Vec<Option<NaiveDate>> = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT until FROM legal_holds WHERE participant_id = $1 AND released_at IS NULL"
    ).bind(pid).fetch_all(c).await.map_err(db_err))?;
    Ok(ErasureFacts {
        open_cases: u32::try_from(open).unwrap_or(u32::MAX),
        running_contracts: u32::try_from(running).unwrap_or(u32::MAX),
        last_closed_on: last_closed,
        legal_holds: holds,
    })
}

/// The days on which indicators count the person's age: case openings and ESF entries.
pub async fn counted_days(tx: &mut Tx, pid: Uuid) -> Result<Vec<NaiveDate>, Error> {
    on_tx!(tx, c => sqlx::query_scalar(
        "SELECT opened_on FROM cases WHERE participant_id = $1 UNION SELECT entered_on FROM esf_entries WHERE participant_id = $1"
    ).bind(pid).fetch_all(c).await.map_err(db_err))
}

pub async fn birth_date(tx: &mut Tx, pid: Uuid) -> Result<Option<NaiveDate>, Error> {
    on_tx!(tx, c => sqlx::query_scalar("SELECT birth_date FROM participants WHERE id = $1")
        .bind(pid).fetch_optional(c).await.map_err(db_err))
}

/// How many rows of each kind an anonymisation clears.
#[derive(Debug, Clone, Default)]
pub struct Cleared {
    pub counts: Vec<(&'static str, u64)>,
}

/// The statements of an anonymisation, each with the kind of what it clears. `$1` is
/// the participant; the person's cases are `CASES`.
const CASES: &str = "(SELECT id FROM cases WHERE participant_id = $1)";

fn statements() -> Vec<(&'static str, String)> {
    let c = CASES;
    vec![
        ("documents", "DELETE FROM participant_documents WHERE participant_id = $1".into()),
        ("sources", "DELETE FROM participant_sources WHERE participant_id = $1".into()),
        ("consents", "UPDATE consents SET withdrawal_note = NULL, evidence = '' WHERE participant_id = $1".into()),
        ("case_events", format!("UPDATE case_events SET reason = NULL WHERE case_id IN {c} AND reason IS NOT NULL")),
        ("assessments", format!("UPDATE assessments SET note = NULL WHERE case_id IN {c}")),
        ("itineraries", format!("UPDATE itineraries SET commitments = '' WHERE case_id IN {c}")),
        ("itinerary_goals", format!("UPDATE itinerary_goals SET description = '' WHERE itinerary_id IN (SELECT id FROM itineraries WHERE case_id IN {c})")),
        ("itinerary_actions", format!("UPDATE itinerary_actions SET description = '', status_reason = NULL WHERE itinerary_id IN (SELECT id FROM itineraries WHERE case_id IN {c})")),
        ("itinerary_versions", format!("UPDATE itinerary_versions SET signatories = '[]' WHERE itinerary_id IN (SELECT id FROM itineraries WHERE case_id IN {c})")),
        ("itinerary_reviews", format!("UPDATE itinerary_reviews SET progress = '' WHERE itinerary_id IN (SELECT id FROM itineraries WHERE case_id IN {c}) AND progress <> ''")),
        ("contacts", format!("UPDATE contacts SET summary = '', next_step = NULL WHERE case_id IN {c}")),
        ("meeting_items", format!("UPDATE meeting_items SET title = '', minutes = NULL WHERE case_id IN {c}")),
        ("agreements", format!("UPDATE agreements SET text = '', status_reason = NULL WHERE case_id IN {c}")),
        ("contracts", format!("UPDATE contracts SET end_reason = NULL WHERE case_id IN {c} AND end_reason IS NOT NULL")),
        ("retention_checks", format!("UPDATE retention_checks SET note = NULL WHERE case_id IN {c}")),
        ("incidents", format!("UPDATE incidents SET description = '', actions_agreed = NULL, resolution = NULL WHERE case_id IN {c}")),
        ("course_candidates", format!("UPDATE course_candidates SET social_reason = NULL, employment_reason = NULL, status_reason = NULL WHERE case_id IN {c}")),
        ("attendance", format!("UPDATE attendance SET reason = NULL WHERE candidate_id IN (SELECT id FROM course_candidates WHERE case_id IN {c}) AND reason IS NOT NULL")),
        ("referrals", format!("UPDATE referrals SET reason = '', shared = '', rejection_reason = NULL, outcome_note = NULL WHERE case_id IN {c}")),
        ("referral_steps", format!("UPDATE referral_steps SET note = NULL WHERE referral_id IN (SELECT id FROM referrals WHERE case_id IN {c})")),
        ("esf_followups", format!("UPDATE esf_followups SET note = NULL WHERE case_id IN {c}")),
        ("benefits", "UPDATE benefits SET conditions = NULL WHERE participant_id = $1".into()),
        // What the office's own records of the person's requests say of them: the
        // references stay (they account for what was done), the reasons go.
        ("restrictions", "UPDATE restrictions SET reason = '', lift_reason = NULL WHERE participant_id = $1".into()),
        ("legal_holds", "UPDATE legal_holds SET reason = '' WHERE participant_id = $1".into()),
        // The person's own line in a household and the changes about it, whoever else
        // keeps their identity in it.
        ("household_own_notes", "UPDATE household_members SET left_note = NULL WHERE participant_id = $1 AND left_note IS NOT NULL".into()),
        ("household_own_changes", "UPDATE household_changes SET note = NULL WHERE note IS NOT NULL AND member_id IN \
           (SELECT id FROM household_members WHERE participant_id = $1)".into()),
        // The person's household, when no other person of the network who keeps their
        // identity belongs to it: its notes and the names of its other members.
        ("households", "UPDATE households SET notes = NULL WHERE id IN (SELECT household_id FROM household_members WHERE participant_id = $1) \
           AND NOT EXISTS (SELECT 1 FROM household_members o JOIN participants op ON op.id = o.participant_id \
             WHERE o.household_id = households.id AND op.id <> $1 AND op.anonymised_at IS NULL)".into()),
        ("household_members", "UPDATE household_members SET name = NULL, left_note = NULL WHERE household_id IN \
           (SELECT household_id FROM household_members WHERE participant_id = $1) \
           AND NOT EXISTS (SELECT 1 FROM household_members o JOIN participants op ON op.id = o.participant_id \
             WHERE o.household_id = household_members.household_id AND op.id <> $1 AND op.anonymised_at IS NULL) \
           AND (participant_id IS NULL OR participant_id = $1)".into()),
        // What tied the record to the person's other records: its place in merges and
        // the reviews that paired it (a merge keeps its decision, not the pair).
        ("merge_members", "DELETE FROM merge_members WHERE participant_id = $1".into()),
        ("merge_reviews", "UPDATE merges SET review_id = NULL WHERE review_id IN \
           (SELECT id FROM link_reviews WHERE left_id = $1 OR right_id = $1)".into()),
        ("link_reviews", "DELETE FROM link_reviews WHERE left_id = $1 OR right_id = $1".into()),
        ("household_changes", "UPDATE household_changes SET note = NULL WHERE household_id IN \
           (SELECT household_id FROM household_members WHERE participant_id = $1) \
           AND NOT EXISTS (SELECT 1 FROM household_members o JOIN participants op ON op.id = o.participant_id \
             WHERE o.household_id = household_changes.household_id AND op.id <> $1 AND op.anonymised_at IS NULL)".into()),
    ]
}

/// Anonymises the record: identifying data removed, free text about the person cleared,
/// the birth date replaced by `birth` (the generalised one), what indicators count
/// kept, and the record taken out of its person (`alone`, a person id of its own: the
/// person's other records keep theirs and no longer lead to it). The person's itinerary
/// versions' snapshots are the caller's (they are JSON).
pub async fn anonymise(
    tx: &mut Tx,
    pid: Uuid,
    birth: NaiveDate,
    alone: Uuid,
    now: DateTime<Utc>,
) -> Result<Cleared, Error> {
    // The courses the person is a candidate on first, as every change of a course's
    // candidates and marks takes them (`training::lock_course`): the candidacies and
    // then the marks cleared below are taken in the order a sheet being saved takes
    // them, not the other way round (a deadlock on PostgreSQL).
    let lock = format!(
        "UPDATE courses SET places = places WHERE id IN (SELECT course_id FROM course_candidates WHERE case_id IN {CASES})"
    );
    on_tx!(tx, c => sqlx::query(&lock).bind(pid).execute(c).await.map(|_| ()).map_err(db_err))?;
    let mut cleared = Cleared::default();
    for (kind, sql) in statements() {
        let n = on_tx!(tx, c => sqlx::query(&sql).bind(pid).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
        if n > 0 {
            cleared.counts.push((kind, n));
        }
    }
    on_tx!(tx, c => sqlx::query(
        "UPDATE esf_entries SET birth_date = $2 WHERE participant_id = $1"
    ).bind(pid).bind(birth).execute(c).await.map(|_| ()).map_err(db_err))?;
    on_tx!(tx, c => sqlx::query(
        "UPDATE participants SET given_name = '', surname1 = '', surname2 = NULL, birth_date = $2, address = NULL, \
         postcode = NULL, phone = NULL, email = NULL, surname_key = '', given_key = '', anonymised_at = $3, \
         updated_at = $3, version = version + 1, person_id = $4 WHERE id = $1"
    ).bind(pid).bind(birth).bind(now).bind(alone).execute(c).await.map(|_| ()).map_err(db_err))?;
    Ok(cleared)
}

/// The scores of the person's assessments (id, scores JSON).
pub async fn assessment_scores(tx: &mut Tx, pid: Uuid) -> Result<Vec<(Uuid, String)>, Error> {
    let sql = format!("SELECT id, scores FROM assessments WHERE case_id IN {CASES}");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(pid).fetch_all(c).await.map_err(db_err))
}

pub async fn set_scores(tx: &mut Tx, id: Uuid, scores: &str) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE assessments SET scores = $2 WHERE id = $1")
        .bind(id).bind(scores).execute(c).await.map(|_| ()).map_err(db_err))
}

/// The signed itinerary versions of the person's cases (id, snapshot JSON).
pub async fn version_snapshots(tx: &mut Tx, pid: Uuid) -> Result<Vec<(Uuid, String)>, Error> {
    let sql = format!(
        "SELECT v.id, v.snapshot FROM itinerary_versions v JOIN itineraries i ON i.id = v.itinerary_id WHERE i.case_id IN {CASES}"
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(pid).fetch_all(c).await.map_err(db_err))
}

pub async fn set_snapshot(tx: &mut Tx, id: Uuid, snapshot: &str) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE itinerary_versions SET snapshot = $2 WHERE id = $1")
        .bind(id).bind(snapshot).execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn record_erasure(
    tx: &mut Tx,
    id: Uuid,
    pid: Uuid,
    reference: Option<&str>,
    run: Option<Uuid>,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO erasures (id, participant_id, reference, run_id, erased_at, erased_by) VALUES ($1,$2,$3,$4,$5,$6)"
    ).bind(id).bind(pid).bind(reference).bind(run).bind(now).bind(by)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

// ---- Retention -------------------------------------------------------------------

/// The rules set by administrators: kind and period (none: kept).
pub async fn rules(tx: &mut Tx) -> Result<Vec<(String, Option<i32>)>, Error> {
    on_tx!(tx, c => sqlx::query_as("SELECT kind, period FROM retention_rules ORDER BY kind")
        .fetch_all(c).await.map_err(db_err))
}

pub async fn set_rule(
    tx: &mut Tx,
    kind: &str,
    period: Option<i32>,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO retention_rules (kind, period, updated_at, updated_by) VALUES ($1,$2,$3,$4) \
         ON CONFLICT (kind) DO UPDATE SET period = excluded.period, updated_at = excluded.updated_at, updated_by = excluded.updated_by"
    ).bind(kind).bind(period).bind(now).bind(by).execute(c).await.map(|_| ()).map_err(db_err))
}

/// A person held back from automatic anonymisation: frozen, under a legal hold, or
/// with a contract still running.
const HELD: &str = "(p.restricted_at IS NOT NULL \
     OR EXISTS (SELECT 1 FROM legal_holds h WHERE h.participant_id = p.id AND h.released_at IS NULL AND (h.until IS NULL OR h.until > $2)) \
     OR EXISTS (SELECT 1 FROM contracts k JOIN cases kc ON kc.id = k.case_id WHERE kc.participant_id = p.id AND k.ended_on IS NULL))";

fn due_sql(kind: itinera_domain::privacy::RecordKind) -> Option<String> {
    use itinera_domain::privacy::RecordKind as K;
    match kind {
        // Every case closed, the last before the cutoff.
        K::ClosedCases => Some(
            "FROM participants p WHERE p.anonymised_at IS NULL \
             AND EXISTS (SELECT 1 FROM cases c WHERE c.participant_id = p.id) \
             AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.participant_id = p.id AND (c.status <> 'closed' OR c.closed_on IS NULL OR c.closed_on > $1))"
                .into(),
        ),
        K::WithoutCase => Some(
            "FROM participants p WHERE p.anonymised_at IS NULL AND p.updated_at < $3 \
             AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.participant_id = p.id)"
                .into(),
        ),
        _ => None,
    }
}

/// How many people of a kind are past their period on `today` (cutoff day `cutoff`),
/// and how many of them are held back.
pub async fn count_due(
    tx: &mut Tx,
    kind: itinera_domain::privacy::RecordKind,
    cutoff: NaiveDate,
    today: NaiveDate,
) -> Result<(u64, u64), Error> {
    let Some(from) = due_sql(kind) else {
        return Ok((0, 0));
    };
    let at = cutoff_instant(cutoff);
    let sql = format!("SELECT COUNT(*), COUNT(*) FILTER (WHERE {HELD}) {from}");
    let (n, held): (i64, i64) = on_tx!(tx, c => sqlx::query_as(&sql)
        .bind(cutoff).bind(today).bind(at).fetch_one(c).await.map_err(db_err))?;
    Ok((
        u64::try_from(n).unwrap_or(0),
        u64::try_from(held).unwrap_or(0),
    ))
}

/// The next people of a kind past their period and not held back.
pub async fn due(
    tx: &mut Tx,
    kind: itinera_domain::privacy::RecordKind,
    cutoff: NaiveDate,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<Uuid>, Error> {
    let Some(from) = due_sql(kind) else {
        return Ok(Vec::new());
    };
    let at = cutoff_instant(cutoff);
    let sql = format!("SELECT p.id {from} AND NOT {HELD} ORDER BY p.id LIMIT $4");
    on_tx!(tx, c => sqlx::query_scalar(&sql)
        .bind(cutoff).bind(today).bind(at).bind(limit).fetch_all(c).await.map_err(db_err))
}

fn cutoff_instant(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The technical records of a kind past their period: counted, or deleted.
pub async fn technical(
    tx: &mut Tx,
    kind: itinera_domain::privacy::RecordKind,
    cutoff: NaiveDate,
    delete: bool,
) -> Result<u64, Error> {
    use itinera_domain::privacy::RecordKind as K;
    let at = cutoff_instant(cutoff);
    let filter = match kind {
        K::ImportReports => {
            "FROM import_jobs WHERE status IN ('done', 'failed') AND updated_at < $1"
        }
        // Sent, or never sent (given up on) and as old: either way a staff address
        // kept no longer than the rule says.
        K::SentMail => "FROM mail_outbox WHERE (sent_at IS NOT NULL AND sent_at < $1) OR (sent_at IS NULL AND created_at < $1)",
        K::ReadNotifications => "FROM notifications WHERE read_at IS NOT NULL AND read_at < $1",
        _ => return Ok(0),
    };
    if delete {
        let sql = format!("DELETE {filter}");
        on_tx!(tx, c => sqlx::query(&sql).bind(at).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))
    } else {
        let sql = format!("SELECT COUNT(*) {filter}");
        let n: i64 =
            on_tx!(tx, c => sqlx::query_scalar(&sql).bind(at).fetch_one(c).await.map_err(db_err))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Run {
    pub id: Uuid,
    pub scheduled_on: Option<NaiveDate>,
    pub dry_run: bool,
    pub run_by_name: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub report: Option<String>,
}

const RUNS: &str = "SELECT r.id, r.scheduled_on, r.dry_run, u.display_name AS run_by_name, r.started_at, r.finished_at, r.report \
     FROM retention_runs r LEFT JOIN users u ON u.id = r.run_by";

/// Starts a run; a scheduled one only once per day (`false`: another server has it).
pub async fn start_run(
    tx: &mut Tx,
    id: Uuid,
    scheduled_on: Option<NaiveDate>,
    dry_run: bool,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "INSERT INTO retention_runs (id, scheduled_on, dry_run, run_by, started_at) VALUES ($1,$2,$3,$4,$5) \
         ON CONFLICT (scheduled_on) DO NOTHING"
    ).bind(id).bind(scheduled_on).bind(dry_run).bind(by).bind(now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n > 0)
}

/// Claims the scheduled run of `day`: a new run (`id`), or the day's run left
/// unfinished since before `stale_before` (it failed, or its server stopped), taken up
/// again under its own id. `None` when the day's run is finished or still running.
pub async fn claim_scheduled_run(
    tx: &mut Tx,
    id: Uuid,
    day: NaiveDate,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> Result<Option<Uuid>, Error> {
    on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO retention_runs (id, scheduled_on, dry_run, run_by, started_at) VALUES ($1, $2, FALSE, NULL, $3) \
         ON CONFLICT (scheduled_on) DO UPDATE SET started_at = $3 \
         WHERE retention_runs.finished_at IS NULL AND retention_runs.started_at < $4 \
         RETURNING id"
    ).bind(id).bind(day).bind(now).bind(stale_before).fetch_optional(c).await.map_err(db_err))
}

pub async fn finish_run(
    tx: &mut Tx,
    id: Uuid,
    report: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE retention_runs SET report = $2, finished_at = $3 WHERE id = $1")
        .bind(id).bind(report).bind(now).execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn runs(tx: &mut Tx, limit: i64) -> Result<Vec<Run>, Error> {
    let sql = format!("{RUNS} ORDER BY r.started_at DESC, r.id DESC LIMIT $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(limit).fetch_all(c).await.map_err(db_err))
}

pub async fn run(tx: &mut Tx, id: Uuid) -> Result<Option<Run>, Error> {
    let sql = format!("{RUNS} WHERE r.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}
