//! Referrals that close the loop (`domain::referral`). A writer on a case's team sends
//! it to another organisation; the receiving organisation sees it in its inbox (work
//! list and notices), accepts it — one of its professionals joins the case's team, in
//! the same transaction — or rejects it with a reason, works it and closes it with an
//! outcome. The sender sees each step with its time and who took it; one left
//! unanswered past the programme's limit is told to the sender and the coordinators of
//! the sender's organisation (`overdue_notices`, run by the background sweep).
//!
//! **A referral never widens access by itself.** It is sent only if the person's
//! sharing consent covers the receiver (the form says which consent is missing); while
//! it waits for its answer the receiver sees the person's name (and contact details,
//! when shared) only as long as that consent covers it; accepted, the ordinary rule
//! (team and consent) applies; rejected or cancelled before acceptance, the receiver
//! keeps the referral's dates and statuses, not the person.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability, Role};
use itinera_domain::disclosure::{is_small, suppress_related, Line, Relations, Shown, Split};
use itinera_domain::ids::ParticipantId;
use itinera_domain::org::OrganisationKind;
use itinera_domain::referral::{
    answer_due, answer_overdue, check_cancel, check_close, default_team_role, median_hours, Answer,
    AnswerInput, CloseInput, ReferralInput, ReferralStatus, Step,
};
use itinera_domain::Error;
use itinera_store::referrals::{self as store, Change, InboxLine, NewReferral, NewStep, Side};
use itinera_store::{access, admin, participants, Tx};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::guard::{load_case, require_team_writer};
use crate::{Ctx, Services};

/// A referral reached the receiving organisation.
pub const NOTICE_RECEIVED: &str = "referral_received";
/// The receiver accepted or rejected it (told to the sender).
pub const NOTICE_ANSWERED: &str = "referral_answered";
/// The receiver named a professional for it (told to them).
pub const NOTICE_ASSIGNED: &str = "referral_assigned";
/// It was closed with an outcome (told to the sender).
pub const NOTICE_CLOSED: &str = "referral_closed";
/// The sender cancelled it (told to the receiver's professional).
pub const NOTICE_CANCELLED: &str = "referral_cancelled";
/// It waits for its answer past the programme's limit (sender and coordinators).
pub const NOTICE_OVERDUE: &str = "referral_overdue";

/// The roles that answer a referral for the receiving organisation (they manage cases).
const ANSWERING_ROLES: &[&str] = &[
    "social_worker",
    "employment_counsellor",
    "case_manager",
    "coordinator",
];
/// The roles a receiving organisation's professional joining the team may hold.
const JOINING_ROLES: &[&str] = &[
    "social_worker",
    "employment_counsellor",
    "technician",
    "case_manager",
    "coordinator",
];

// ---- What leaves the server -------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReferralStepView {
    /// The status this step led to.
    pub status: String,
    pub at: DateTime<Utc>,
    pub by_name: String,
    pub organisation_name: String,
    /// The reason of a rejection or cancellation, the note of a closing; absent for a
    /// reader who may not see the person.
    pub note: Option<String>,
}

/// A professional of the receiving organisation who may join the case's team.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfessionalOption {
    pub user_id: Uuid,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReferralView {
    pub id: Uuid,
    /// The case, for a reader who may open it.
    pub case_id: Option<Uuid>,
    pub programme_code: String,
    /// The person, for a reader who may see them (see the module's rule).
    pub participant_name: Option<String>,
    /// The person's contact details, when the sender shared them.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub from_organisation_id: Uuid,
    pub from_organisation_name: String,
    pub sent_by_name: String,
    pub to_organisation_id: Uuid,
    pub to_organisation_name: String,
    pub to_organisation_kind: String,
    /// The catalogue's resource it is to.
    pub resource_id: Option<Uuid>,
    pub resource_name: Option<String>,
    /// Why the person is referred; absent for a reader who may not see the person.
    pub reason: Option<String>,
    pub urgency: String,
    /// What the sender shares besides the name.
    pub shared: Vec<String>,
    pub status: String,
    pub sent_at: DateTime<Utc>,
    /// When the answer is due (the programme's limit).
    pub answer_due_at: DateTime<Utc>,
    /// Unanswered past its limit.
    pub overdue: bool,
    pub answered_at: Option<DateTime<Utc>>,
    pub answer_hours: Option<i64>,
    pub rejection_reason: Option<String>,
    pub assignee_name: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    pub outcome_note: Option<String>,
    pub steps: Vec<ReferralStepView>,
    /// The reader may accept or reject it (the receiver, waiting).
    pub can_answer: bool,
    /// The reader may mark it in progress or close it with an outcome (the receiver,
    /// on the case's team, accepted).
    pub can_work: bool,
    /// The reader may cancel it (the sender, on the case's team, still open).
    pub can_cancel: bool,
    /// Who may join the case's team on acceptance (for the one answering).
    pub assignees: Vec<ProfessionalOption>,
    /// The team role taken when none is chosen.
    pub default_team_role: String,
}

/// A line of an inbox or of a case's referrals.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReferralSummary {
    pub id: Uuid,
    /// Absent, as the name is, for a reader who may not see the person.
    pub case_id: Option<Uuid>,
    pub programme_code: String,
    /// Absent for a reader who may not see the person.
    pub participant_name: Option<String>,
    pub from_organisation_name: String,
    pub sent_by_name: String,
    pub to_organisation_name: String,
    pub urgency: String,
    pub status: String,
    pub sent_at: DateTime<Utc>,
    pub answer_due_at: DateTime<Utc>,
    pub overdue: bool,
    pub answered_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
}

fn summary(r: InboxLine, now: DateTime<Utc>) -> ReferralSummary {
    let days = i64::from(r.answer_days);
    ReferralSummary {
        overdue: r.status == "sent" && answer_overdue(r.sent_at, days, now),
        answer_due_at: answer_due(r.sent_at, days),
        id: r.id,
        case_id: r.participant_name.as_ref().map(|_| r.case_id),
        programme_code: r.programme_code,
        participant_name: r.participant_name,
        from_organisation_name: r.from_organisation_name,
        sent_by_name: r.sent_by_name,
        to_organisation_name: r.to_organisation_name,
        urgency: r.urgency,
        status: r.status,
        sent_at: r.sent_at,
        answered_at: r.answered_at,
        closed_at: r.closed_at,
        outcome: r.outcome,
    }
}

/// A referral of a case as a line of a list, with the name its reader sees.
fn line_of(r: store::Referral, participant_name: Option<String>) -> InboxLine {
    InboxLine {
        id: r.id,
        case_id: r.case_id,
        programme_code: r.programme_code,
        answer_days: r.answer_days,
        from_organisation_name: r.from_organisation_name,
        sent_by: r.sent_by,
        sent_by_name: r.sent_by_name,
        to_organisation_name: r.to_organisation_name,
        urgency: r.urgency,
        status: r.status,
        sent_at: r.sent_at,
        answered_at: r.answered_at,
        closed_at: r.closed_at,
        outcome: r.outcome,
        participant_name,
    }
}

/// An organisation a case may be referred to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceiverOption {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub territory_name: Option<String>,
}

/// Whether the person's sharing consent covers a receiver.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsentCheck {
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub organisation_kind: String,
    /// An active sharing consent covers it (by the organisation or its kind), or it
    /// registered the person.
    pub covered: bool,
    /// The person, to record the missing consent on their record.
    pub participant_id: Uuid,
}

/// A case's referrals, and what the form to send one needs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseReferrals {
    pub case: crate::cases::Case,
    pub participant_name: String,
    pub referrals: Vec<ReferralSummary>,
    /// The reader may send one (a writer on the team of an open case).
    pub can_refer: bool,
    pub receivers: Vec<ReceiverOption>,
    /// The consent check for the receiver asked (`?to=`), if any.
    pub check: Option<ConsentCheck>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReferralInbox {
    /// `received` or `sent`.
    pub side: String,
    pub open_only: bool,
    pub referrals: Vec<ReferralSummary>,
}

/// Referral figures of an organisation, or of a pair of organisations. A figure is
/// absent when it is of fewer people than the threshold (or would give one such away,
/// by difference with the others: `domain::disclosure`).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct FlowFigures {
    pub sent: Option<usize>,
    /// Taken on by the receiver: accepted or in progress, or completed.
    pub accepted: Option<usize>,
    pub rejected: Option<usize>,
    pub completed: Option<usize>,
    pub cancelled: Option<usize>,
    /// Still waiting for an answer.
    pub waiting: Option<usize>,
    /// Shown over at least the threshold's number of answers.
    pub median_answer_hours: Option<i64>,
    /// Shown over at least the threshold's number of completions.
    pub median_complete_hours: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganisationFlow {
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub organisation_kind: String,
    /// As sender.
    pub sent: FlowFigures,
    /// As receiver.
    pub received: FlowFigures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PairFlow {
    pub from_organisation_name: String,
    pub to_organisation_name: String,
    pub figures: FlowFigures,
}

/// How many referrals went from organisations of one kind to those of another.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KindFlow {
    pub from_kind: String,
    pub to_kind: String,
    pub sent: Option<usize>,
    pub completed: Option<usize>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReferralStats {
    pub from: NaiveDate,
    /// The last day counted.
    pub to: NaiveDate,
    /// Figures of fewer people than this are not shown.
    pub threshold: u32,
    pub total: FlowFigures,
    pub organisations: Vec<OrganisationFlow>,
    pub pairs: Vec<PairFlow>,
    pub kinds: Vec<KindFlow>,
}

// ---- Figures (no I/O) -----------------------------------------------------------------

/// The parts a referral's status falls in, in the order of a line's cells: waiting,
/// taken on (accepted or in progress), completed, rejected, cancelled.
const PARTS: usize = 5;

fn part_of(status: &str) -> usize {
    match status {
        "sent" => 0,
        "completed" => 2,
        "rejected" => 3,
        "cancelled" => 4,
        _ => 1,
    }
}

/// A line of the figures: the referrals in each part, the people they are of, and the
/// medians' values.
struct FlowLine {
    counts: [u64; PARTS],
    people: [Vec<Uuid>; PARTS],
    answer: Vec<i64>,
    complete: Vec<i64>,
}

impl FlowLine {
    fn of<'a>(rows: impl Iterator<Item = &'a store::FlowRow>) -> FlowLine {
        let mut l = FlowLine {
            counts: [0; PARTS],
            people: Default::default(),
            answer: Vec::new(),
            complete: Vec::new(),
        };
        for r in rows {
            let p = part_of(&r.status);
            if let Some(n) = l.counts.get_mut(p) {
                *n += 1;
            }
            if let Some(people) = l.people.get_mut(p) {
                if !people.contains(&r.participant_id) {
                    people.push(r.participant_id);
                }
            }
            if let Some(a) = r.answered_at {
                l.answer.push((a - r.sent_at).num_hours());
            }
            if let (Some(c), "completed") = (r.closed_at, r.status.as_str()) {
                l.complete.push((c - r.sent_at).num_hours());
            }
        }
        l
    }

    fn all_people(&self) -> u64 {
        let mut all: Vec<Uuid> = self.people.iter().flatten().copied().collect();
        all.sort_unstable();
        all.dedup();
        all.len() as u64
    }

    fn line(&self, within: Option<usize>) -> Line {
        Line {
            parts: self.counts.to_vec(),
            total: self.counts.iter().sum(),
            within,
        }
    }

    fn published(&self, shown: &Shown, threshold: u32) -> FlowFigures {
        let part = |i: usize| shown.parts.get(i).copied().flatten().map(|v| v as usize);
        let median = |values: &[i64]| {
            (shown.total.is_some() && values.len() >= threshold as usize)
                .then(|| median_hours(values.to_vec()))
                .flatten()
        };
        FlowFigures {
            sent: shown.total.map(|v| v as usize),
            accepted: part(1).zip(part(2)).map(|(a, b)| a + b),
            waiting: part(0),
            completed: part(2),
            rejected: part(3),
            cancelled: part(4),
            median_answer_hours: median(&self.answer),
            median_complete_hours: median(&self.complete),
        }
    }
}

/// The referral figures of a period, each published as `domain::disclosure` allows:
/// the total, each organisation as sender and as receiver (each side splits the total),
/// each pair (within its sender's and its receiver's lines, and splitting them) and
/// each pair of kinds (splitting the total) — lines of referrals (events), with the
/// people they are of: a cell of fewer people than the threshold is hidden however
/// many referrals it counts.
fn stats_of(
    rows: &[store::FlowRow],
    from: NaiveDate,
    to: NaiveDate,
    threshold: u32,
) -> ReferralStats {
    let mut orgs: Vec<(Uuid, String, String)> = Vec::new();
    let mut pairs: Vec<(Uuid, Uuid, String, String)> = Vec::new();
    let mut kinds: Vec<(String, String)> = Vec::new();
    for r in rows {
        for (id, name, kind) in [
            (
                r.from_organisation_id,
                &r.from_organisation_name,
                &r.from_organisation_kind,
            ),
            (
                r.to_organisation_id,
                &r.to_organisation_name,
                &r.to_organisation_kind,
            ),
        ] {
            if !orgs.iter().any(|o| o.0 == id) {
                orgs.push((id, name.clone(), kind.clone()));
            }
        }
        if !pairs
            .iter()
            .any(|p| p.0 == r.from_organisation_id && p.1 == r.to_organisation_id)
        {
            pairs.push((
                r.from_organisation_id,
                r.to_organisation_id,
                r.from_organisation_name.clone(),
                r.to_organisation_name.clone(),
            ));
        }
        let k = (
            r.from_organisation_kind.clone(),
            r.to_organisation_kind.clone(),
        );
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    orgs.sort_by(|a, b| a.1.cmp(&b.1));
    pairs.sort_by(|a, b| (&a.2, &a.3).cmp(&(&b.2, &b.3)));
    kinds.sort();

    // The lines: 0 the total; then each organisation sent (1 + 2i) and received
    // (2 + 2i); then the pairs; then the kinds.
    let whole = FlowLine::of(rows.iter());
    let mut lines = vec![whole.line(None)];
    let mut flow: Vec<FlowLine> = vec![whole];
    let mut rel = Relations::default();
    let (mut sent_lines, mut received_lines) = (Vec::new(), Vec::new());
    for (id, _, _) in &orgs {
        for sent in [true, false] {
            let l = FlowLine::of(rows.iter().filter(|r| {
                if sent {
                    r.from_organisation_id == *id
                } else {
                    r.to_organisation_id == *id
                }
            }));
            lines.push(l.line(Some(0)));
            if sent {
                sent_lines.push(lines.len() - 1);
            } else {
                received_lines.push(lines.len() - 1);
            }
            flow.push(l);
        }
    }
    let line_of_org = |id: Uuid, sent: bool| {
        orgs.iter().position(|o| o.0 == id).and_then(|i| {
            if sent {
                sent_lines.get(i).copied()
            } else {
                received_lines.get(i).copied()
            }
        })
    };
    let first_pair = lines.len();
    for (f, t, _, _) in &pairs {
        let l = FlowLine::of(
            rows.iter()
                .filter(|r| r.from_organisation_id == *f && r.to_organisation_id == *t),
        );
        let (sender, receiver) = (line_of_org(*f, true), line_of_org(*t, false));
        lines.push(l.line(sender));
        if let Some(receiver) = receiver {
            rel.within.push((lines.len() - 1, receiver));
        }
        flow.push(l);
    }
    let first_kind = lines.len();
    for (fk, tk) in &kinds {
        let l = FlowLine::of(
            rows.iter()
                .filter(|r| &r.from_organisation_kind == fk && &r.to_organisation_kind == tk),
        );
        lines.push(l.line(Some(0)));
        flow.push(l);
    }
    // Each side of the organisations, and the kinds, split the total; each
    // organisation's pairs split its line.
    rel.splits.push(Split {
        whole: 0,
        parts: sent_lines.clone(),
    });
    rel.splits.push(Split {
        whole: 0,
        parts: received_lines.clone(),
    });
    rel.splits.push(Split {
        whole: 0,
        parts: (first_kind..lines.len()).collect(),
    });
    for (((id, _, _), sent), received) in orgs.iter().zip(&sent_lines).zip(&received_lines) {
        let of = |side: fn(&(Uuid, Uuid, String, String)) -> Uuid| -> Vec<usize> {
            pairs
                .iter()
                .enumerate()
                .filter(|(_, p)| side(p) == *id)
                .map(|(k, _)| first_pair + k)
                .collect()
        };
        rel.splits.push(Split {
            whole: *sent,
            parts: of(|p| p.0),
        });
        rel.splits.push(Split {
            whole: *received,
            parts: of(|p| p.1),
        });
    }
    // Referrals are events: a cell is judged by the people they are of.
    for (i, l) in flow.iter().enumerate() {
        let people: Vec<u64> = l.people.iter().map(|p| p.len() as u64).collect();
        for (c, (&n, &count)) in people.iter().zip(&l.counts).enumerate() {
            if count > 0 && is_small(n, threshold) {
                rel.few_people.push((i, c));
            }
        }
        let everyone = l.all_people();
        if l.counts.iter().sum::<u64>() > 0 && is_small(everyone, threshold) {
            rel.few_people.push((i, PARTS));
        }
        let mut with_total = people;
        with_total.push(everyone);
        rel.people.push((i, with_total));
    }
    let shown = suppress_related(&lines, &rel, threshold);
    let published = |i: usize| {
        flow.get(i)
            .zip(shown.get(i))
            .map(|(f, s)| f.published(s, threshold))
            .unwrap_or_default()
    };
    ReferralStats {
        from,
        to,
        threshold,
        total: published(0),
        organisations: orgs
            .into_iter()
            .enumerate()
            .zip(sent_lines.iter().zip(&received_lines))
            .map(
                |((_, (id, name, kind)), (sent, received))| OrganisationFlow {
                    sent: published(*sent),
                    received: published(*received),
                    organisation_id: id,
                    organisation_name: name,
                    organisation_kind: kind,
                },
            )
            .collect(),
        pairs: pairs
            .into_iter()
            .enumerate()
            .map(|(k, (_, _, fname, tname))| PairFlow {
                figures: published(first_pair + k),
                from_organisation_name: fname,
                to_organisation_name: tname,
            })
            .collect(),
        kinds: kinds
            .into_iter()
            .enumerate()
            .map(|(k, (fk, tk))| {
                let f = published(first_kind + k);
                KindFlow {
                    sent: f.sent,
                    completed: f.completed,
                    from_kind: fk,
                    to_kind: tk,
                }
            })
            .collect(),
    }
}

fn status_of(r: &store::Referral) -> Result<ReferralStatus, Error> {
    ReferralStatus::parse(&r.status).ok_or_else(|| Error::Internal("referral status".into()))
}

impl Services {
    /// A case's referrals and, with `to`, whether the person's consent covers that
    /// receiver (audited read).
    pub async fn case_referrals(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
        to: Option<Uuid>,
    ) -> Result<CaseReferrals, Error> {
        let mut tx = self.store.audited_read().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, case_id).await?;
        let p = participants::get(&mut tx, case.participant_id)
            .await?
            .ok_or(Error::NotFound)?;
        let rows = store::of_case(&mut tx, case_id).await?;
        let can_refer = case.status != "closed"
            && actor.can(Capability::WritePersonData)
            && crate::guard::on_team(&mut tx, actor, &case).await?;
        let receivers: Vec<ReceiverOption> = admin::organisations(&mut tx)
            .await?
            .into_iter()
            .filter(|o| o.active && o.id != actor.organisation_id)
            .map(|o| ReceiverOption {
                id: o.id,
                name: o.name,
                kind: o.kind,
                territory_name: o.territory_name,
            })
            .collect();
        let check = match to.and_then(|t| receivers.iter().find(|o| o.id == t)) {
            Some(o) => Some(ConsentCheck {
                covered: access::consented(
                    &mut tx,
                    case.participant_id,
                    o.id,
                    &o.kind,
                    ctx.today(),
                )
                .await?,
                organisation_id: o.id,
                organisation_name: o.name.clone(),
                organisation_kind: o.kind.clone(),
                participant_id: case.participant_id,
            }),
            None => None,
        };
        // The names of the case's referrals are the person's, whom the reader sees.
        let name = p.data.full_name();
        finish(
            tx,
            actor,
            ctx,
            Action::ReferralList,
            Some(case_id),
            json!({"count": rows.len(), "checked": check.as_ref().map(|c| c.organisation_id)}),
        )
        .await?;
        let now = ctx.now;
        Ok(CaseReferrals {
            case: case.into(),
            participant_name: name.clone(),
            referrals: rows
                .into_iter()
                .map(|r| summary(line_of(r, Some(name.clone())), now))
                .collect(),
            can_refer,
            receivers,
            check,
        })
    }

    /// Sends a referral: refused unless the person's sharing consent covers the
    /// receiver. The referral, its first step, the receiver's notices and the audit
    /// entry are one transaction.
    pub async fn refer(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
        input: &ReferralInput,
    ) -> Result<Uuid, Error> {
        let mut tx = self.store.write().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, case_id).await?;
        require_team_writer(&mut tx, actor, &case).await?;
        if case.status == "closed" {
            return Err(Error::Rule("case.closed"));
        }
        // A referral to a resource of the catalogue goes to its provider.
        let mut input = input.clone();
        if let Ok(Some(rid)) = itinera_domain::input::optional_id(&input.resource_id) {
            let r = itinera_store::resources::get(&mut tx, rid)
                .await?
                .filter(|r| r.status == "active")
                .ok_or_else(|| Error::field("resource_id", "referral.resource_unknown"))?;
            let provider = r
                .provider_organisation_id
                .ok_or_else(|| Error::field("resource_id", "referral.resource_outside"))?;
            match Uuid::parse_str(input.to_organisation_id.trim()) {
                Err(_) if input.to_organisation_id.trim().is_empty() => {
                    input.to_organisation_id = provider.to_string();
                }
                Ok(to) if to == provider => {}
                _ => {
                    return Err(Error::field(
                        "to_organisation_id",
                        "referral.resource_other_organisation",
                    ))
                }
            }
        }
        let data = input.validate()?;
        let to = admin::organisation(&mut tx, data.to_organisation_id)
            .await?
            .filter(|o| o.active)
            .ok_or_else(|| Error::field("to_organisation_id", "validation.choice"))?;
        if to.id == actor.organisation_id {
            return Err(Error::field(
                "to_organisation_id",
                "referral.same_organisation",
            ));
        }
        if !access::consented(&mut tx, case.participant_id, to.id, &to.kind, ctx.today()).await? {
            return Err(Error::Rule("referral.consent_missing"));
        }
        if store::open_to(&mut tx, case_id, to.id).await? {
            return Err(Error::Conflict("referral.already_open"));
        }
        let id = ctx.new_id();
        store::insert(
            &mut tx,
            &NewReferral {
                id,
                case_id,
                home_organisation_id: case.home_organisation_id,
                from_organisation_id: actor.organisation_id,
                sent_by: actor.user_id,
                data: &data,
                now: ctx.now,
            },
        )
        .await?;
        step(&mut tx, id, &case, actor, ctx, ReferralStatus::Sent, None).await?;
        let receivers = store::holders(&mut tx, to.id, ANSWERING_ROLES).await?;
        let link = format!("/referrals/{id}");
        for u in &receivers {
            store::notify(&mut tx, *u, to.id, NOTICE_RECEIVED, id, case_id, ctx.now).await?;
            crate::mail::enqueue(&mut tx, self.mail_on(), *u, NOTICE_RECEIVED, &link, ctx).await?;
        }
        finish(
            tx,
            actor,
            ctx,
            Action::ReferralSend,
            Some(id),
            json!({"case": case_id, "to": to.id, "urgency": data.urgency.code(),
                   "shared": data.shared.iter().map(|s| s.code()).collect::<Vec<_>>(),
                   "notified": receivers.len()}),
        )
        .await?;
        self.wake_mail();
        Ok(id)
    }

    /// One referral, as its reader may see it (audited read when it shows the person).
    pub async fn referral(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<ReferralView, Error> {
        actor.require_person(Capability::ReadPersonData)?;
        let mut tx = self.store.audited_read().await?;
        let r = store::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        let sender = actor.organisation_id == r.from_organisation_id;
        let receiver = actor.organisation_id == r.to_organisation_id;
        if !sender && !receiver {
            return Err(Error::NotFound);
        }
        let status = status_of(&r)?;
        let today = ctx.today();
        let basis = access::basis(
            &mut tx,
            ParticipantId(r.participant_id),
            actor.organisation(),
            actor.organisation_kind,
            today,
        )
        .await?;
        let name = if basis.is_some() {
            participants::get(&mut tx, r.participant_id)
                .await?
                .map(|p| p.data.full_name())
        } else if receiver {
            store::name_for_receiver(
                &mut tx,
                id,
                actor.organisation_id,
                actor.organisation_kind.code(),
                today,
            )
            .await?
        } else {
            None
        };
        let sees = name.is_some();
        let shared: Vec<String> = r
            .shared
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let (phone, email) = if sees && shared.iter().any(|s| s == "contact_details") {
            store::contact_details(&mut tx, r.participant_id)
                .await?
                .unwrap_or((None, None))
        } else {
            (None, None)
        };
        let steps = store::steps(&mut tx, id).await?;
        let team = itinera_store::cases::team(&mut tx, r.case_id).await?;
        let on_team = crate::guard::in_team(&team, actor);
        let can_answer = receiver
            && status == ReferralStatus::Sent
            && sees
            && actor.can(Capability::ManageCases);
        let can_work = receiver
            && matches!(
                status,
                ReferralStatus::Accepted | ReferralStatus::InProgress
            )
            && on_team
            && actor.can(Capability::WritePersonData);
        let can_cancel =
            sender && status.open() && on_team && actor.can(Capability::WritePersonData);
        let assignees = if can_answer {
            store::professionals(&mut tx, actor.organisation_id, JOINING_ROLES)
                .await?
                .into_iter()
                .map(|p| ProfessionalOption {
                    user_id: p.user_id,
                    display_name: p.display_name,
                })
                .collect()
        } else {
            Vec::new()
        };
        let to_kind = OrganisationKind::parse(&r.to_organisation_kind);
        let action = if sees {
            Action::ReferralRead
        } else {
            Action::ReferralReadUnnamed
        };
        finish(
            tx,
            actor,
            ctx,
            action,
            Some(id),
            json!({"case": r.case_id, "status": r.status, "named": sees}),
        )
        .await?;
        let days = i64::from(r.answer_days);
        Ok(ReferralView {
            id,
            case_id: basis.is_some().then_some(r.case_id),
            programme_code: r.programme_code,
            participant_name: name,
            phone,
            email,
            from_organisation_id: r.from_organisation_id,
            from_organisation_name: r.from_organisation_name,
            sent_by_name: r.sent_by_name,
            to_organisation_id: r.to_organisation_id,
            to_organisation_name: r.to_organisation_name,
            resource_id: r.resource_id,
            resource_name: r.resource_name.clone(),
            to_organisation_kind: r.to_organisation_kind,
            reason: sees.then_some(r.reason),
            urgency: r.urgency,
            shared,
            status: r.status.clone(),
            sent_at: r.sent_at,
            answer_due_at: answer_due(r.sent_at, days),
            overdue: status == ReferralStatus::Sent && answer_overdue(r.sent_at, days, ctx.now),
            answered_at: r.answered_at,
            answer_hours: r.answered_at.map(|a| (a - r.sent_at).num_hours()),
            // Text about the person: for who may see them (the receiver that rejected
            // no longer does).
            rejection_reason: if sees { r.rejection_reason } else { None },
            assignee_name: r.assignee_name,
            started_at: r.started_at,
            closed_at: r.closed_at,
            outcome: r.outcome,
            outcome_note: if sees { r.outcome_note } else { None },
            steps: steps
                .into_iter()
                .map(|s| ReferralStepView {
                    status: s.status,
                    at: s.at,
                    by_name: s.user_name,
                    organisation_name: s.organisation_name,
                    note: if sees { s.note } else { None },
                })
                .collect(),
            can_answer,
            can_work,
            can_cancel,
            assignees,
            default_team_role: to_kind
                .map(default_team_role)
                .unwrap_or(itinera_domain::case::TeamRole::Other)
                .code()
                .into(),
        })
    }

    /// The actor's organisation's referrals, received or sent (audited read: they name
    /// people where the organisation may see them).
    pub async fn referral_inbox(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        sent: bool,
        open_only: bool,
    ) -> Result<ReferralInbox, Error> {
        actor.require(Capability::ReadPersonData)?;
        let side = if sent { Side::Sent } else { Side::Received };
        let mut tx = self.store.audited_read().await?;
        let rows = store::inbox(
            &mut tx,
            side,
            actor.organisation_id,
            actor.organisation_kind.code(),
            ctx.today(),
            open_only,
            500,
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::ReferralInbox,
            Some(actor.organisation_id),
            json!({"side": if sent {"sent"} else {"received"}, "count": rows.len(),
                   "named": rows.iter().filter(|r| r.participant_name.is_some()).count()}),
        )
        .await?;
        Ok(ReferralInbox {
            side: if sent { "sent" } else { "received" }.into(),
            open_only,
            referrals: rows.into_iter().map(|r| summary(r, ctx.now)).collect(),
        })
    }

    /// The receiver accepts (its professional joins the case's team, same transaction)
    /// or rejects (with a reason) a referral waiting for its answer.
    pub async fn answer_referral(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        input: &AnswerInput,
    ) -> Result<(), Error> {
        actor.require_person(Capability::ReadPersonData)?;
        let mut tx = self.store.write().await?;
        let r = store::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        if r.to_organisation_id != actor.organisation_id {
            return Err(Error::NotFound);
        }
        actor.require(Capability::ManageCases)?;
        let answer = input.validate()?;
        // Accepted only while the person's consent covers the receiver; a referral
        // whose consent was withdrawn can still be rejected.
        if matches!(answer, Answer::Accept { .. })
            && r.status == "sent"
            && store::name_for_receiver(
                &mut tx,
                id,
                actor.organisation_id,
                actor.organisation_kind.code(),
                ctx.today(),
            )
            .await?
            .is_none()
        {
            return Err(Error::Rule("referral.consent_missing"));
        }
        let case = itinera_store::cases::get(&mut tx, r.case_id)
            .await?
            .ok_or(Error::NotFound)?;
        // A restricted record is processed by no one (it is gone from every list);
        // an anonymised one is never written again, an answer's reason included.
        if itinera_store::access::restricted(&mut tx, case.participant_id).await? {
            return Err(Error::NotFound);
        }
        crate::guard::require_not_anonymised(&mut tx, case.participant_id).await?;
        let (to, change_note) = match &answer {
            Answer::Accept { .. } => (status_of(&r)?.after(Step::Accept)?, None),
            Answer::Reject { reason } => {
                (status_of(&r)?.after(Step::Reject)?, Some(reason.as_str()))
            }
        };
        let mut assigned = None;
        if let Answer::Accept {
            assignee,
            team_role,
        } = &answer
        {
            if case.status == "closed" {
                return Err(Error::Rule("case.closed"));
            }
            let who = assignee.unwrap_or(actor.user_id);
            let role = team_role.unwrap_or_else(|| default_team_role(actor.organisation_kind));
            let allowed = store::holders(&mut tx, actor.organisation_id, JOINING_ROLES)
                .await?
                .contains(&who);
            if !allowed {
                return Err(Error::field(
                    "assignee_id",
                    "validation.case.not_a_professional",
                ));
            }
            crate::cases::join_team(&mut tx, &case, actor, ctx, who, actor.organisation_id, role)
                .await?;
            assigned = Some(who);
        }
        let changed = store::change(
            &mut tx,
            &Change {
                id,
                from: &r.status,
                to: to.code(),
                answered_at: Some(ctx.now),
                rejection_reason: change_note,
                assignee_id: assigned,
                started_at: None,
                closed_at: (to == ReferralStatus::Rejected).then_some(ctx.now),
                outcome: None,
                outcome_note: None,
            },
        )
        .await?;
        if !changed {
            return Err(Error::Conflict("referral.already_answered"));
        }
        step(&mut tx, id, &case, actor, ctx, to, change_note).await?;
        let link = format!("/referrals/{id}");
        store::notify(
            &mut tx,
            r.sent_by,
            r.from_organisation_id,
            NOTICE_ANSWERED,
            id,
            r.case_id,
            ctx.now,
        )
        .await?;
        crate::mail::enqueue(
            &mut tx,
            self.mail_on(),
            r.sent_by,
            NOTICE_ANSWERED,
            &link,
            ctx,
        )
        .await?;
        if let Some(who) = assigned.filter(|w| *w != actor.user_id) {
            store::notify(
                &mut tx,
                who,
                actor.organisation_id,
                NOTICE_ASSIGNED,
                id,
                r.case_id,
                ctx.now,
            )
            .await?;
            crate::mail::enqueue(&mut tx, self.mail_on(), who, NOTICE_ASSIGNED, &link, ctx).await?;
        }
        finish(
            tx,
            actor,
            ctx,
            Action::ReferralAnswer,
            Some(id),
            json!({"case": r.case_id, "status": to.code(), "assignee": assigned,
                   "answer_hours": (ctx.now - r.sent_at).num_hours()}),
        )
        .await?;
        self.wake_mail();
        Ok(())
    }

    /// The receiver starts working an accepted referral.
    pub async fn start_referral(&self, actor: &Actor, ctx: &Ctx, id: Uuid) -> Result<(), Error> {
        let (mut tx, r, case) = self.receiver_work(actor, ctx, id).await?;
        let to = status_of(&r)?.after(Step::Start)?;
        if !store::change(
            &mut tx,
            &Change {
                id,
                from: &r.status,
                to: to.code(),
                answered_at: None,
                rejection_reason: None,
                assignee_id: None,
                started_at: Some(ctx.now),
                closed_at: None,
                outcome: None,
                outcome_note: None,
            },
        )
        .await?
        {
            return Err(Error::Conflict("error.stale_version"));
        }
        step(&mut tx, id, &case, actor, ctx, to, None).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::ReferralStart,
            Some(id),
            json!({"case": r.case_id}),
        )
        .await
    }

    /// The receiver closes a referral with its outcome; the sender is told.
    pub async fn close_referral(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        input: &CloseInput,
    ) -> Result<(), Error> {
        let (mut tx, r, case) = self.receiver_work(actor, ctx, id).await?;
        let to = status_of(&r)?.after(Step::Complete)?;
        let (outcome, note) = check_close(input)?;
        if !store::change(
            &mut tx,
            &Change {
                id,
                from: &r.status,
                to: to.code(),
                answered_at: None,
                rejection_reason: None,
                assignee_id: None,
                started_at: None,
                closed_at: Some(ctx.now),
                outcome: Some(outcome.code()),
                outcome_note: note.as_deref(),
            },
        )
        .await?
        {
            return Err(Error::Conflict("error.stale_version"));
        }
        step(&mut tx, id, &case, actor, ctx, to, note.as_deref()).await?;
        let link = format!("/referrals/{id}");
        store::notify(
            &mut tx,
            r.sent_by,
            r.from_organisation_id,
            NOTICE_CLOSED,
            id,
            r.case_id,
            ctx.now,
        )
        .await?;
        crate::mail::enqueue(
            &mut tx,
            self.mail_on(),
            r.sent_by,
            NOTICE_CLOSED,
            &link,
            ctx,
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::ReferralClose,
            Some(id),
            json!({"case": r.case_id, "outcome": outcome.code(),
                   "complete_hours": (ctx.now - r.sent_at).num_hours()}),
        )
        .await?;
        self.wake_mail();
        Ok(())
    }

    /// The sender cancels an open referral, with a reason; the receiver's professional
    /// is told.
    pub async fn cancel_referral(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        input: &CloseInput,
    ) -> Result<(), Error> {
        actor.require_person(Capability::ReadPersonData)?;
        let mut tx = self.store.write().await?;
        let r = store::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        if r.from_organisation_id != actor.organisation_id {
            return Err(Error::NotFound);
        }
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, r.case_id).await?;
        require_team_writer(&mut tx, actor, &case).await?;
        let to = status_of(&r)?.after(Step::Cancel)?;
        let reason = check_cancel(input)?;
        if !store::change(
            &mut tx,
            &Change {
                id,
                from: &r.status,
                to: to.code(),
                answered_at: None,
                rejection_reason: None,
                assignee_id: None,
                started_at: None,
                closed_at: Some(ctx.now),
                outcome: None,
                outcome_note: Some(&reason),
            },
        )
        .await?
        {
            return Err(Error::Conflict("error.stale_version"));
        }
        step(&mut tx, id, &case, actor, ctx, to, Some(&reason)).await?;
        if let Some(a) = r.assignee_id {
            store::notify(
                &mut tx,
                a,
                r.to_organisation_id,
                NOTICE_CANCELLED,
                id,
                r.case_id,
                ctx.now,
            )
            .await?;
        }
        finish(
            tx,
            actor,
            ctx,
            Action::ReferralCancel,
            Some(id),
            json!({"case": r.case_id, "from_status": r.status}),
        )
        .await
    }

    /// The referral figures of the network for the days `[from, to]`: per organisation
    /// (as sender and receiver), per pair and per pair of kinds. No person is named.
    pub async fn referral_stats(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        from: &str,
        to: &str,
    ) -> Result<ReferralStats, Error> {
        actor.require(Capability::ReadAggregates)?;
        let mut e = itinera_domain::Errors::new();
        let from = e.take("from", itinera_domain::input::optional_date(from));
        let to = e.take("to", itinera_domain::input::optional_date(to));
        e.finish()?;
        let (from, to) = (from.flatten(), to.flatten());
        let to = to.unwrap_or(ctx.today());
        let from = from.unwrap_or(to - chrono::Duration::days(365));
        if from > to {
            return Err(Error::field("to", "validation.date.end_before_start"));
        }
        let start = from.and_time(chrono::NaiveTime::MIN).and_utc();
        let end = (to + chrono::Duration::days(1))
            .and_time(chrono::NaiveTime::MIN)
            .and_utc();
        let mut tx = self.store.read().await?;
        let rows = store::flow(&mut tx, start, end).await?;
        tx.rollback().await?;
        Ok(stats_of(&rows, from, to, self.settings.small_counts))
    }

    /// The receiver's side of working a referral: its organisation, a writer on the
    /// case's team (which its acceptance made it).
    async fn receiver_work(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<(Tx, store::Referral, itinera_store::cases::Case), Error> {
        actor.require_person(Capability::ReadPersonData)?;
        let mut tx = self.store.write().await?;
        let r = store::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        if r.to_organisation_id != actor.organisation_id {
            return Err(Error::NotFound);
        }
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, r.case_id).await?;
        require_team_writer(&mut tx, actor, &case).await?;
        Ok((tx, r, case))
    }
}

/// Records a step of referral `id`, by the actor, now.
async fn step(
    tx: &mut Tx,
    id: Uuid,
    case: &itinera_store::cases::Case,
    actor: &Actor,
    ctx: &Ctx,
    status: ReferralStatus,
    note: Option<&str>,
) -> Result<(), Error> {
    store::add_step(
        tx,
        &NewStep {
            referral_id: id,
            home_organisation_id: case.home_organisation_id,
            status: status.code(),
            user_id: actor.user_id,
            organisation_id: actor.organisation_id,
            note,
            now: ctx.now,
        },
    )
    .await
}

/// Tells the sender and the coordinators of the sender's organisation, once, of each
/// referral unanswered past its programme's limit (in the caller's write).
pub(crate) async fn overdue_notices(tx: &mut Tx, ctx: &Ctx) -> Result<usize, Error> {
    let shortest = chrono::Duration::days(1);
    let mut told = 0;
    for r in store::all_unanswered(tx, ctx.now - shortest, NOTICE_OVERDUE, 5000).await? {
        if !answer_overdue(r.sent_at, i64::from(r.answer_days), ctx.now) {
            continue;
        }
        let mut who = vec![r.sent_by];
        for c in store::holders(tx, r.from_organisation_id, &[Role::Coordinator.code()]).await? {
            if !who.contains(&c) {
                who.push(c);
            }
        }
        for u in who {
            if store::notify(
                tx,
                u,
                r.from_organisation_id,
                NOTICE_OVERDUE,
                r.id,
                r.case_id,
                ctx.now,
            )
            .await?
            {
                told += 1;
            }
        }
    }
    Ok(told)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// A referral of a person of its own.
    fn row(
        from: u128,
        to: u128,
        status: &str,
        answer_h: Option<i64>,
        close_h: Option<i64>,
    ) -> store::FlowRow {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let person = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        row_of(u128::from(person), from, to, status, answer_h, close_h)
    }

    fn row_of(
        person: u128,
        from: u128,
        to: u128,
        status: &str,
        answer_h: Option<i64>,
        close_h: Option<i64>,
    ) -> store::FlowRow {
        let sent = Utc
            .with_ymd_and_hms(2026, 5, 4, 9, 0, 0)
            .single()
            .expect("t");
        store::FlowRow {
            from_organisation_id: Uuid::from_u128(from),
            from_organisation_name: format!("org {from}"),
            from_organisation_kind: if from == 1 { "social_services" } else { "ngo" }.into(),
            to_organisation_id: Uuid::from_u128(to),
            to_organisation_name: format!("org {to}"),
            to_organisation_kind: "employment_service".into(),
            status: status.into(),
            sent_at: sent,
            answered_at: answer_h.map(|h| sent + chrono::Duration::hours(h)),
            closed_at: close_h.map(|h| sent + chrono::Duration::hours(h)),
            participant_id: Uuid::from_u128(1 << 64 | person),
        }
    }

    #[test]
    fn figures_count_each_fate_and_time_the_answers() {
        let rows = vec![
            row(1, 2, "completed", Some(10), Some(100)),
            row(1, 2, "rejected", Some(30), Some(30)),
            row(1, 2, "sent", None, None),
            row(3, 2, "in_progress", Some(50), None),
            row(3, 2, "cancelled", None, Some(5)),
        ];
        let d = NaiveDate::from_ymd_opt(2026, 5, 1).expect("d");
        // Threshold 1: everything is published.
        let s = stats_of(&rows, d, d, 1);
        assert_eq!(
            (
                s.total.sent,
                s.total.accepted,
                s.total.rejected,
                s.total.completed,
                s.total.cancelled,
                s.total.waiting
            ),
            (Some(5), Some(2), Some(1), Some(1), Some(1), Some(1))
        );
        assert_eq!(s.total.median_answer_hours, Some(30));
        assert_eq!(s.total.median_complete_hours, Some(100));
        assert_eq!(s.pairs.len(), 2);
        let receiver = s
            .organisations
            .iter()
            .find(|o| o.organisation_id == Uuid::from_u128(2))
            .expect("receiver");
        assert_eq!(
            (receiver.received.sent, receiver.sent.sent),
            (Some(5), Some(0))
        );
        let social = s
            .kinds
            .iter()
            .find(|k| k.from_kind == "social_services")
            .expect("kind");
        assert_eq!((social.sent, social.completed), (Some(3), Some(1)));
    }

    /// Every published whole minus its published parts is nobody or at least the
    /// threshold's people's referrals.
    fn check_no_small_difference(whole: Option<usize>, parts: &[(Option<usize>, usize)]) {
        if let Some(w) = whole {
            let shown: usize = parts.iter().filter_map(|(p, _)| *p).sum();
            let hidden = w - shown;
            assert!(hidden == 0 || hidden >= 5, "whole {w}, parts {parts:?}");
        }
    }

    fn cells(f: &FlowFigures) -> [Option<usize>; 4] {
        [f.waiting, f.completed, f.rejected, f.cancelled]
    }

    #[test]
    fn small_figures_are_hidden_and_not_given_away_by_the_others() {
        // Twelve people sent from 1 to 2 (six completed, six waiting); one from 1 to 3,
        // rejected; one person referred seven times from 4 to 2, all rejected.
        let mut rows = Vec::new();
        for _ in 0..6 {
            rows.push(row(1, 2, "completed", Some(2), Some(40)));
            rows.push(row(1, 2, "sent", None, None));
        }
        rows.push(row(1, 3, "rejected", Some(5), Some(5)));
        for _ in 0..7 {
            rows.push(row_of(999, 4, 2, "rejected", Some(1), Some(1)));
        }
        let d = NaiveDate::from_ymd_opt(2026, 5, 1).expect("d");
        let s = stats_of(&rows, d, d, 5);
        let every = std::iter::once(&s.total)
            .chain(s.organisations.iter().flat_map(|o| [&o.sent, &o.received]))
            .chain(s.pairs.iter().map(|p| &p.figures));
        for f in every {
            for v in cells(f).into_iter().chain([f.sent, f.accepted]).flatten() {
                assert!(v == 0 || v >= 5, "a small figure shown: {f:?}");
            }
            // Within a line: its total and its cells.
            let c = cells(f);
            let accepted_open = f.accepted.zip(f.completed).map(|(a, b)| a - b);
            check_no_small_difference(
                f.sent,
                &[
                    (c[0], 0),
                    (accepted_open, 0),
                    (c[1], 0),
                    (c[2], 0),
                    (c[3], 0),
                ],
            );
        }
        // The seven rejections of one person: many referrals, one person: hidden.
        let pair = |a: &str, b: &str| {
            s.pairs
                .iter()
                .find(|p| p.from_organisation_name == a && p.to_organisation_name == b)
                .expect("pair")
        };
        assert_eq!(pair("org 4", "org 2").figures.sent, None);
        assert_eq!(pair("org 4", "org 2").figures.rejected, None);
        assert_eq!(pair("org 1", "org 3").figures.sent, None);
        // Across lines: the senders split the total, the pairs split each sender.
        let sent_by: Vec<(Option<usize>, usize)> =
            s.organisations.iter().map(|o| (o.sent.sent, 0)).collect();
        check_no_small_difference(s.total.sent, &sent_by);
        let received_by: Vec<(Option<usize>, usize)> = s
            .organisations
            .iter()
            .map(|o| (o.received.sent, 0))
            .collect();
        check_no_small_difference(s.total.sent, &received_by);
        let one = s
            .organisations
            .iter()
            .find(|o| o.organisation_name == "org 1")
            .expect("org 1");
        check_no_small_difference(
            one.sent.sent,
            &[
                (pair("org 1", "org 2").figures.sent, 0),
                (pair("org 1", "org 3").figures.sent, 0),
            ],
        );
        for k in 0..4 {
            let by_org: Vec<(Option<usize>, usize)> = s
                .organisations
                .iter()
                .map(|o| (cells(&o.sent)[k], 0))
                .collect();
            check_no_small_difference(cells(&s.total)[k], &by_org);
        }
        // A median over fewer answers than the threshold is not given.
        assert_eq!(pair("org 1", "org 3").figures.median_answer_hours, None);
        assert_eq!(s.threshold, 5);
        assert_eq!(s.total.sent, Some(20), "the whole is shown: {s:?}");
    }
}
