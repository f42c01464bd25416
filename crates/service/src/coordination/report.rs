//! A body's coordination report for a period (see
//! `itinera_domain::coordination_report`).

use chrono::Duration;
use itinera_domain::access::{Actor, Capability};
use itinera_domain::coordination::{AgreementStatus, Attendance, Frequency};
use itinera_domain::Error;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::guard::visible_body;
use crate::{Ctx, Services};

/// A body's coordination report for a period, with the body it is about.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BodyReport {
    pub body: super::Body,
    #[serde(flatten)]
    pub report: itinera_domain::coordination_report::Report,
}

impl Services {
    /// The coordination report of a body the actor is a member of: counts only (no
    /// person is named in it), those about people hidden when fewer than the
    /// small-count threshold are behind them, so any member may read it.
    pub async fn coordination_report(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        body: Uuid,
        from: &str,
        to: &str,
    ) -> Result<BodyReport, Error> {
        use itinera_domain::coordination_report::{
            build, AgreementFact, AttendanceFact, MeetingFact, PeopleCount, Period, Schedule,
        };
        use itinera_store::coordination_report as facts;
        actor.require(Capability::Coordinate)?;
        let today = ctx.today();
        let period = Period::parse(from, to, today)?;
        let mut tx = self.store.audited_read().await?;
        let b = visible_body(&mut tx, actor, body).await?;
        let meetings = facts::meetings(&mut tx, body, period.from, period.to).await?;
        let attendance = facts::attendance(&mut tx, body, period.from, period.to).await?;
        let start = period.from.and_time(chrono::NaiveTime::MIN).and_utc();
        let end = (period.to + Duration::days(1))
            .and_time(chrono::NaiveTime::MIN)
            .and_utc();
        let agreements = facts::agreements(&mut tx, body, start, end).await?;
        let cases = facts::cases_reviewed(&mut tx, body, period.from, period.to).await?;
        // Joint interviews about the cases the table works on: its programme's, its
        // project's, or (a case table) those on its agendas.
        let scope = match (b.level, b.programme_id, b.project_id) {
            (2, _, Some(p)) => facts::Scope::Project(p),
            (1 | 2, Some(p), _) => facts::Scope::Programme(p),
            _ => facts::Scope::Agenda,
        };
        let (joint, joint_total) =
            facts::joint_interviews(&mut tx, body, scope, period.from, period.to).await?;
        crate::audit::finish(
            tx,
            actor,
            ctx,
            crate::audit::Action::BodyRead,
            Some(body),
            serde_json::json!({"report": {"from": period.from, "to": period.to}}),
        )
        .await?;
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        let people = |(n, p): (i64, i64)| PeopleCount {
            count: count(n),
            people: count(p),
        };
        let schedule = Schedule {
            anchor: b
                .first_meeting_on
                .unwrap_or(self.settings.zone.local(b.created_at).date()),
            frequency: Frequency::parse(&b.frequency).unwrap_or(Frequency::Monthly),
            custom_days: b.custom_days.map(|d| d.max(1) as u16),
        };
        let report = build(
            period,
            today,
            schedule,
            &meetings
                .into_iter()
                .map(|(date, present)| MeetingFact {
                    date,
                    present: count(present),
                })
                .collect::<Vec<_>>(),
            &attendance
                .into_iter()
                .filter_map(|(meeting_date, organisation_id, organisation, a)| {
                    Some(AttendanceFact {
                        meeting_date,
                        organisation_id,
                        organisation,
                        attendance: Attendance::parse(&a)?,
                    })
                })
                .collect::<Vec<_>>(),
            &agreements
                .into_iter()
                .map(|(made, status, due_on, done_on)| AgreementFact {
                    made_on: self.settings.zone.local(made).date(),
                    status: AgreementStatus::parse(&status).unwrap_or(AgreementStatus::Open),
                    due_on,
                    done_on,
                })
                .collect::<Vec<_>>(),
            people(cases),
            joint
                .into_iter()
                .map(|(organisation, n, p)| (organisation, people((n, p))))
                .collect(),
            people(joint_total),
            self.settings.small_counts,
        );
        Ok(BodyReport {
            body: b.into(),
            report,
        })
    }
}
