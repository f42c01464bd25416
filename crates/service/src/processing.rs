//! The record of processing activities (GDPR Art. 30), generated from the deployment's
//! configuration as it is now: the controllers (the network's organisations by kind),
//! one activity per programme, the purposes consents are asked for, the categories of
//! people and of data (special categories marked), the instruments of the diagnosis,
//! the recipients, transfers, retention and the security measures in force (with their
//! settings). For the data-protection office and administrators; no person's data.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::consent::Purpose;
use itinera_domain::Error;
use itinera_store::{admin, assessments};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{Ctx, Services};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProcessingRecord {
    pub produced_at: DateTime<Utc>,
    /// The organisations that decide on the records they register, by kind.
    pub controllers: Vec<ControllerGroup>,
    pub activities: Vec<Activity>,
    /// The purposes a consent is given for (codes: `purpose.*`).
    pub purposes: Vec<String>,
    /// Categories of people (codes: `processing.subjects.*`).
    pub data_subjects: Vec<String>,
    pub data_categories: Vec<DataCategory>,
    /// The published instruments of the vulnerability diagnosis (code and version).
    pub instruments: Vec<String>,
    /// Who receives data: the kinds of organisation of the network (codes:
    /// `org_kind.*`), under the access rule and the person's consent.
    pub recipients: Vec<String>,
    pub measures: Vec<Measure>,
    /// How long each kind of record is kept, and what happens then (the retention
    /// rules in force).
    pub retention: Vec<crate::privacy::RetentionRule>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ControllerGroup {
    pub kind: String,
    pub organisations: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Activity {
    pub programme_code: String,
    pub programme_name: String,
    pub description: String,
    pub active: bool,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DataCategory {
    /// Code: `processing.data.*`.
    pub code: String,
    /// A special category (GDPR Art. 9): health, ethnic origin.
    pub special: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Measure {
    /// Code: `processing.measure.*`.
    pub code: String,
    /// The setting in force, when the measure has one.
    pub setting: Option<String>,
}

impl Services {
    pub async fn processing_record(
        &self,
        actor: &Actor,
        ctx: &Ctx,
    ) -> Result<ProcessingRecord, Error> {
        if !actor.can(Capability::AnswerSubjectRequests) && !actor.can(Capability::Administer) {
            return Err(Error::Forbidden);
        }
        let mut tx = self.store.read().await?;
        let orgs = admin::organisations(&mut tx).await?;
        let programmes = admin::programmes(&mut tx).await?;
        let instruments = assessments::current_instruments(&mut tx).await?;
        let second_factor = crate::second_factor::required(&mut tx).await?;
        tx.rollback().await?;
        let retention = self.retention_rules(actor).await?;
        let mut controllers: Vec<ControllerGroup> = Vec::new();
        for o in orgs.iter().filter(|o| o.active) {
            match controllers.iter_mut().find(|g| g.kind == o.kind) {
                Some(g) => g.organisations.push(o.name.clone()),
                None => controllers.push(ControllerGroup {
                    kind: o.kind.clone(),
                    organisations: vec![o.name.clone()],
                }),
            }
        }
        controllers.sort_by(|a, b| a.kind.cmp(&b.kind));
        let recipients = controllers.iter().map(|g| g.kind.clone()).collect();
        let data = |code: &str, special: bool| DataCategory {
            code: code.into(),
            special,
        };
        let m = |code: &str, setting: Option<String>| Measure {
            code: code.into(),
            setting,
        };
        Ok(ProcessingRecord {
            produced_at: ctx.now,
            controllers,
            activities: programmes
                .into_iter()
                .map(|p| Activity {
                    programme_code: p.code,
                    programme_name: p.name,
                    description: p.description,
                    active: p.active,
                    start_date: p.start_date,
                    end_date: p.end_date,
                })
                .collect(),
            purposes: Purpose::ALL.iter().map(|p| p.code().to_string()).collect(),
            data_subjects: ["participants", "household", "professionals"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            data_categories: vec![
                data("identity", false),
                data("contact", false),
                data("socio_demographic", false),
                data("education_employment", false),
                data("social_situation", false),
                data("casework", false),
                data("training_placements", false),
                data("benefits", false),
                data("health", true),
                data("ethnic_origin", true),
            ],
            instruments: instruments
                .into_iter()
                .map(|i| format!("{} v{}", i.code, i.version))
                .collect(),
            recipients,
            measures: vec![
                m("access_rule", None),
                m(
                    "second_factor",
                    Some(
                        if second_factor {
                            "required"
                        } else {
                            "optional"
                        }
                        .into(),
                    ),
                ),
                m(
                    "sessions",
                    Some(format!(
                        "{} min / {} h",
                        self.settings.session_idle.num_minutes(),
                        self.settings.session_absolute.num_hours()
                    )),
                ),
                m("audit_chain", None),
                m("segregation", None),
                m("small_counts", Some(self.settings.small_counts.to_string())),
                m("transport", None),
                m("no_transfers", None),
                m("retention", None),
            ],
            retention,
        })
    }
}
