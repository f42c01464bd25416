//! Protocol compliance of a programme (`domain::compliance`): per rule, met, late and
//! overdue in a period, broken down by the organisation that opened the case, by
//! territory or by case manager, month by month; small groups suppressed
//! (`disclosure`). Those who may read people (coordinators) also get the cases out of
//! protocol they may see, by name, linking to the case; programme managers the figures
//! only. The rules' limits are the programme's, changed by `ReadAggregates` holders.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::compliance::{
    chain, outcome, Instance, Outcome, ProtocolRule, RulesInput, Tally,
};
use itinera_domain::disclosure::{self, Line};
use itinera_domain::Error;
use itinera_store::admin;
use itinera_store::compliance as store;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::esf::period_or_year;
use crate::{Ctx, Services};

/// The period and the breakdown asked for.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ComplianceParams {
    pub from: String,
    pub to: String,
    /// `organisation` (default), `territory` or `manager`.
    pub by: String,
}

// ---- What leaves the server -------------------------------------------------------

/// A group's (or a month's) figures; absent when too small to show.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupRate {
    pub group: String,
    /// The instances that counted.
    pub instances: Option<u64>,
    /// Met, in whole per cent (absent when it would give away a small number of cases
    /// met or not met).
    pub rate: Option<u64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleCompliance {
    pub rule: String,
    pub days: i64,
    pub instances: Option<u64>,
    pub met: Option<u64>,
    pub late: Option<u64>,
    pub overdue: Option<u64>,
    pub rate: Option<u64>,
    pub groups: Vec<GroupRate>,
    /// By month of the deadline (`YYYY-MM`).
    pub trend: Vec<GroupRate>,
}

/// A case out of protocol the reader may see.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutOfProtocol {
    pub case_id: Uuid,
    pub participant_name: String,
    pub rule: String,
    pub deadline: NaiveDate,
    /// `late` or `overdue`.
    pub outcome: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplianceView {
    pub programme_id: Uuid,
    pub programme_code: String,
    pub programme_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: String,
    pub threshold: u32,
    pub rules: Vec<RuleCompliance>,
    /// Whether the reader may see cases (and so the list below).
    pub lists_cases: bool,
    pub out_of_protocol: Vec<OutOfProtocol>,
}

/// A rule's limits as set.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleLimit {
    pub rule: String,
    pub days: i64,
}

/// A rate, unless it would give away a small number of cases met or not met.
fn safe_rate(t: &Tally, k: u32) -> Option<u64> {
    let met = t.met;
    let not_met = t.total() - met;
    if disclosure::is_small(met, k) || disclosure::is_small(not_met, k) {
        None
    } else {
        t.rate()
    }
}

/// Each group's cases and rate. The groups' cases, their met and their not-met counts
/// are each suppressed as a line whose total is published (the rule's cases and its
/// met count), with the complementary cells hidden too, so that no group's met count
/// comes out of the rule's total minus the others; a rate is shown only when its
/// group's cases, met and not met all are.
fn group_rates(groups: &BTreeMap<String, Tally>, k: u32) -> Vec<GroupRate> {
    let shown = |count: &dyn Fn(&Tally) -> u64| -> Vec<Option<u64>> {
        let line = Line {
            parts: groups.values().map(count).collect(),
            total: groups.values().map(count).sum(),
            within: None,
        };
        disclosure::suppress(std::slice::from_ref(&line), k)
            .into_iter()
            .next()
            .map(|s| s.parts)
            .unwrap_or_default()
    };
    let instances = shown(&Tally::total);
    let met = shown(&|t: &Tally| t.met);
    let not_met = shown(&|t: &Tally| t.total() - t.met);
    groups
        .iter()
        .enumerate()
        .map(|(i, (g, t))| {
            let n = instances.get(i).copied().flatten();
            let visible = n.is_some()
                && met.get(i).copied().flatten().is_some()
                && not_met.get(i).copied().flatten().is_some();
            GroupRate {
                group: g.clone(),
                instances: n,
                rate: if visible { safe_rate(t, k) } else { None },
            }
        })
        .collect()
}

impl Services {
    async fn limits_of(
        &self,
        tx: &mut itinera_store::Tx,
        programme: Uuid,
    ) -> Result<Vec<(ProtocolRule, i64)>, Error> {
        let (set, incident, referral) = store::limits(tx, programme).await?;
        Ok(ProtocolRule::ALL
            .iter()
            .map(|r| {
                let days = match r {
                    ProtocolRule::IncidentResponse => i64::from(incident),
                    ProtocolRule::ReferralAnswer => i64::from(referral),
                    _ => set
                        .iter()
                        .find(|(c, _)| c == r.code())
                        .map(|(_, d)| i64::from(*d))
                        .unwrap_or_else(|| r.default_days()),
                };
                (*r, days)
            })
            .collect())
    }

    pub async fn compliance_limits(
        &self,
        actor: &Actor,
        programme: Uuid,
    ) -> Result<Vec<RuleLimit>, Error> {
        actor.require(Capability::ReadAggregates)?;
        let mut tx = self.store.read().await?;
        admin::programme(&mut tx, programme)
            .await?
            .ok_or(Error::NotFound)?;
        let l = self.limits_of(&mut tx, programme).await?;
        tx.rollback().await?;
        Ok(l.into_iter()
            .map(|(r, days)| RuleLimit {
                rule: r.code().into(),
                days,
            })
            .collect())
    }

    pub async fn set_compliance_limits(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        programme: Uuid,
        input: &RulesInput,
    ) -> Result<(), Error> {
        actor.require(Capability::ReadAggregates)?;
        let limits = input.validate()?;
        let mut tx = self.store.write().await?;
        admin::programme(&mut tx, programme)
            .await?
            .ok_or(Error::NotFound)?;
        for (r, d) in &limits {
            store::set_limit(
                &mut tx,
                programme,
                r.code(),
                i16::try_from(*d).unwrap_or(i16::MAX),
                actor.user_id,
                ctx.now,
            )
            .await?;
        }
        finish(
            tx,
            actor,
            ctx,
            Action::ComplianceRulesSave,
            Some(programme),
            json!(limits
                .iter()
                .map(|(r, d)| (r.code(), d))
                .collect::<BTreeMap<_, _>>()),
        )
        .await
    }

    pub async fn compliance(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        programme: Uuid,
        p: &ComplianceParams,
    ) -> Result<ComplianceView, Error> {
        actor.require(Capability::ReadAggregates)?;
        let period = period_or_year(&p.from, &p.to, ctx.today())?;
        let by = match p.by.trim() {
            "" | "organisation" => "organisation",
            "territory" => "territory",
            "manager" => "manager",
            _ => return Err(Error::field("by", "validation.choice")),
        };
        let today = ctx.today();
        let mut tx = self.store.audited_read().await?;
        let prog = admin::programme(&mut tx, programme)
            .await?
            .ok_or(Error::NotFound)?;
        let limits = self.limits_of(&mut tx, programme).await?;
        let cases = store::cases(&mut tx, programme).await?;
        let by_id: std::collections::HashMap<Uuid, &store::CaseRow> =
            cases.iter().map(|c| (c.id, c)).collect();
        let case_of = |id: Uuid| by_id.get(&id).copied();
        let first = |rows: Vec<store::Day>| -> BTreeMap<Uuid, NaiveDate> {
            let mut m = BTreeMap::new();
            for r in rows {
                let e = m.entry(r.case_id).or_insert(r.at_day);
                if r.at_day < *e {
                    *e = r.at_day;
                }
            }
            m
        };
        let interviews = first(store::days(&mut tx, programme, "interview").await?);
        let assessments = first(store::days(&mut tx, programme, "assessment").await?);
        let signatures_all = store::days(&mut tx, programme, "signature").await?;
        let per_case = |rows: Vec<store::Day>| {
            let mut m: std::collections::HashMap<Uuid, Vec<NaiveDate>> =
                std::collections::HashMap::new();
            for r in rows {
                m.entry(r.case_id).or_default().push(r.at_day);
            }
            m
        };
        let reviews = per_case(store::days(&mut tx, programme, "review").await?);
        let contacts = per_case(store::days(&mut tx, programme, "contact").await?);
        let contracts = store::contracts(&mut tx, programme).await?;
        let incidents = store::answers(&mut tx, programme, "incident").await?;
        let referrals = store::answers(&mut tx, programme, "referral").await?;
        let signatures = first(signatures_all);

        let mut instances: Vec<(ProtocolRule, Instance)> = Vec::new();
        for c in &cases {
            for (rule, done) in [
                (ProtocolRule::FirstInterview, interviews.get(&c.id)),
                (ProtocolRule::Diagnosis, assessments.get(&c.id)),
                (ProtocolRule::Itinerary, signatures.get(&c.id)),
            ] {
                instances.push((
                    rule,
                    Instance {
                        case_id: c.id,
                        start: c.opened_on,
                        done: done.copied(),
                        moot_after: c.closed_on,
                    },
                ));
            }
            if let Some(signed) = signatures.get(&c.id) {
                let mut events = vec![*signed];
                events.extend(reviews.get(&c.id).into_iter().flatten().copied());
                instances.extend(
                    chain(c.id, events, c.closed_on)
                        .into_iter()
                        .map(|i| (ProtocolRule::Review, i)),
                );
            }
        }
        for (case_id, start, end) in &contracts {
            let closed = case_of(*case_id).and_then(|c| c.closed_on);
            let moot = match (end, closed) {
                (Some(e), Some(c)) => Some((*e).min(c)),
                (e, c) => e.or(c),
            };
            let mut events = vec![*start];
            events.extend(
                contacts
                    .get(case_id)
                    .into_iter()
                    .flatten()
                    .filter(|d| **d > *start && moot.is_none_or(|m| **d <= m))
                    .copied(),
            );
            instances.extend(
                chain(*case_id, events, moot)
                    .into_iter()
                    .map(|i| (ProtocolRule::PlacementFollowup, i)),
            );
        }
        for (rule, rows) in [
            (ProtocolRule::IncidentResponse, &incidents),
            (ProtocolRule::ReferralAnswer, &referrals),
        ] {
            for (case_id, at, answered) in rows.iter() {
                instances.push((
                    rule,
                    Instance {
                        case_id: *case_id,
                        start: self.settings.zone.local(*at).date(),
                        done: answered.map(|a| self.settings.zone.local(a).date()),
                        moot_after: None,
                    },
                ));
            }
        }

        let k = self.settings.small_counts;
        let mut out_list: Vec<(Uuid, ProtocolRule, NaiveDate, Outcome)> = Vec::new();
        let mut rules = Vec::new();
        for (rule, days) in &limits {
            let mut total = Tally::default();
            let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
            let mut months: BTreeMap<String, Tally> = BTreeMap::new();
            for (_, i) in instances.iter().filter(|(r, _)| r == rule) {
                let Some((deadline, o)) = outcome(i, *days, today) else {
                    continue;
                };
                if !(period.from <= deadline && deadline <= period.to) {
                    continue;
                }
                total.add(o);
                let group = case_of(i.case_id)
                    .map(|c| match by {
                        "territory" => c.territory_name.clone().unwrap_or_else(|| "—".into()),
                        "manager" => c.manager_name.clone(),
                        _ => c.organisation_name.clone(),
                    })
                    .unwrap_or_else(|| "—".into());
                groups.entry(group).or_default().add(o);
                months
                    .entry(format!("{:04}-{:02}", deadline.year(), deadline.month()))
                    .or_default()
                    .add(o);
                if o != Outcome::Met {
                    out_list.push((i.case_id, *rule, deadline, o));
                }
            }
            let shown_total = disclosure::single(total.total(), k);
            let line = Line {
                parts: vec![total.met, total.late, total.overdue],
                total: total.total(),
                within: None,
            };
            let split = disclosure::suppress(std::slice::from_ref(&line), k);
            let part = |n: usize| {
                split
                    .first()
                    .and_then(|s| s.parts.get(n).copied().flatten())
            };
            rules.push(RuleCompliance {
                rule: rule.code().into(),
                days: *days,
                instances: shown_total,
                met: part(0),
                late: part(1),
                overdue: part(2),
                rate: shown_total.and_then(|_| safe_rate(&total, k)),
                groups: group_rates(&groups, k),
                trend: group_rates(&months, k),
            });
        }
        let lists_cases = actor.can(Capability::ReadPersonData);
        let mut out_of_protocol = Vec::new();
        if lists_cases {
            out_list.sort_by_key(|x| x.2);
            out_list.truncate(500);
            let mut ids: Vec<Uuid> = out_list.iter().map(|x| x.0).collect();
            ids.sort_unstable();
            ids.dedup();
            let names = store::visible_names(
                &mut tx,
                &ids,
                actor.organisation(),
                actor.organisation_kind.code(),
                today,
            )
            .await?;
            for (case_id, rule, deadline, o) in out_list {
                if let Some((_, name)) = names.iter().find(|(id, _)| *id == case_id) {
                    out_of_protocol.push(OutOfProtocol {
                        case_id,
                        participant_name: name.clone(),
                        rule: rule.code().into(),
                        deadline,
                        outcome: o.code().into(),
                    });
                }
            }
        }
        finish(
            tx,
            actor,
            ctx,
            Action::ComplianceRead,
            Some(programme),
            json!({"from": period.from, "to": period.to, "by": by, "cases_listed": out_of_protocol.len()}),
        )
        .await?;
        Ok(ComplianceView {
            programme_id: prog.id,
            programme_code: prog.code,
            programme_name: prog.name,
            from: period.from,
            to: period.to,
            by: by.into(),
            threshold: k,
            rules,
            lists_cases,
            out_of_protocol,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(met: u64, late: u64) -> Tally {
        Tally {
            met,
            late,
            overdue: 0,
        }
    }

    #[test]
    fn no_group_rate_comes_out_of_the_rules_met_count_minus_the_others() {
        // B met 2 of 12: its rate is hidden, and so is another group's met count, so
        // that the rule's met (27) minus the rates shown does not give B's 2.
        let groups: BTreeMap<String, Tally> = [
            ("A".to_string(), tally(10, 10)),
            ("B".to_string(), tally(2, 10)),
            ("C".to_string(), tally(15, 15)),
        ]
        .into_iter()
        .collect();
        let rates = group_rates(&groups, 5);
        let hidden: Vec<&str> = rates
            .iter()
            .filter(|r| r.rate.is_none())
            .map(|r| r.group.as_str())
            .collect();
        assert!(hidden.contains(&"B"), "{rates:?}");
        assert!(hidden.len() >= 2, "a second rate hides B's: {rates:?}");
        assert!(rates.iter().all(|r| r.instances.is_some()), "{rates:?}");
        // Nothing small: every rate shown.
        let groups: BTreeMap<String, Tally> = [
            ("A".to_string(), tally(10, 10)),
            ("B".to_string(), tally(6, 10)),
        ]
        .into_iter()
        .collect();
        assert!(group_rates(&groups, 5).iter().all(|r| r.rate.is_some()));
    }
}
