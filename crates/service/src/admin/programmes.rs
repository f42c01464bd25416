//! Programmes: their workflow (phases), funding shares and projects.

use chrono::NaiveDate;
use itinera_domain::access::{Actor, Capability};
use itinera_domain::case::{validate_workflow, DEFAULT_PHASES};
use itinera_domain::input::{lenient_bool, lenient_string, optional_id, parse_date, required_text};
use itinera_domain::org::{check_funding, validate_code, FundingShare};
use itinera_domain::text::clean;
use itinera_domain::{Error, Errors};
use itinera_store::admin;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::{Ctx, Services};

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ProgrammeInput {
    pub code: String,
    pub name: String,
    pub description: String,
    pub feeds_programme_id: String,
    #[serde(deserialize_with = "lenient_string")]
    pub start_date: String,
    #[serde(deserialize_with = "lenient_string")]
    pub end_date: String,
    #[serde(deserialize_with = "lenient_bool")]
    pub active: bool,
    /// Phase codes in order, one per line (or a JSON list joined by the API).
    pub phases: String,
    /// Funding shares, one `FUND=PERCENT` per line, e.g. `FSE=80`.
    pub funding: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ProjectInput {
    pub code: String,
    pub name: String,
    pub territory_id: String,
    pub organisation_id: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgrammeView {
    #[serde(flatten)]
    pub programme: Programme,
    pub phases: Vec<Phase>,
    pub funding: Vec<Funding>,
    pub projects: Vec<Project>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Programme {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub description: String,
    pub feeds_programme_id: Option<Uuid>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub active: bool,
}

impl From<itinera_store::admin::Programme> for Programme {
    fn from(r: itinera_store::admin::Programme) -> Self {
        Programme {
            id: r.id,
            code: r.code,
            name: r.name,
            description: r.description,
            feeds_programme_id: r.feeds_programme_id,
            start_date: r.start_date,
            end_date: r.end_date,
            active: r.active,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Phase {
    pub position: i32,
    pub code: String,
    pub label: String,
}

impl From<itinera_store::admin::Phase> for Phase {
    fn from(r: itinera_store::admin::Phase) -> Self {
        Phase {
            position: r.position,
            code: r.code,
            label: r.label,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Funding {
    pub id: Uuid,
    pub fund: String,
    pub share_bp: i32,
}

impl From<itinera_store::admin::Funding> for Funding {
    fn from(r: itinera_store::admin::Funding) -> Self {
        Funding {
            id: r.id,
            fund: r.fund,
            share_bp: r.share_bp,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Project {
    pub id: Uuid,
    pub programme_id: Uuid,
    pub code: String,
    pub name: String,
    pub territory_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
}

impl From<itinera_store::admin::Project> for Project {
    fn from(r: itinera_store::admin::Project) -> Self {
        Project {
            id: r.id,
            programme_id: r.programme_id,
            code: r.code,
            name: r.name,
            territory_id: r.territory_id,
            organisation_id: r.organisation_id,
        }
    }
}

/// Parses `FUND=PERCENT` lines into shares in basis points.
pub fn parse_funding(raw: &str) -> Result<Vec<FundingShare>, &'static str> {
    let mut out = Vec::new();
    for line in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (fund, pct) = line.split_once('=').ok_or("validation.funding.format")?;
        let pct: f64 = pct
            .trim()
            .replace(',', ".")
            .trim_end_matches('%')
            .trim()
            .parse()
            .map_err(|_| "validation.funding.format")?;
        out.push(FundingShare {
            fund: fund.trim().to_string(),
            share_bp: (pct * 100.0).round() as i32,
        });
    }
    check_funding(&out)?;
    Ok(out)
}

impl Services {
    pub async fn programmes(&self) -> Result<Vec<Programme>, Error> {
        let mut tx = self.store.read().await?;
        let p = admin::programmes(&mut tx).await?;
        tx.rollback().await?;
        Ok(p.into_iter().map(Into::into).collect())
    }

    pub async fn programme(&self, id: Uuid) -> Result<ProgrammeView, Error> {
        let mut tx = self.store.read().await?;
        let programme = admin::programme(&mut tx, id)
            .await?
            .ok_or(Error::NotFound)?;
        let phases = admin::phases(&mut tx, id).await?;
        let funding = admin::funding(&mut tx, id).await?;
        let projects = admin::projects(&mut tx, id).await?;
        tx.rollback().await?;
        Ok(ProgrammeView {
            programme: programme.into(),
            phases: phases.into_iter().map(Into::into).collect(),
            funding: funding.into_iter().map(Into::into).collect(),
            projects: projects.into_iter().map(Into::into).collect(),
        })
    }

    pub async fn save_programme(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Option<Uuid>,
        input: &ProgrammeInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::Administer)?;
        let mut e = Errors::new();
        let code = e.take("code", validate_code(&input.code));
        let name = e.take("name", required_text(&input.name, 160));
        let feeds = e
            .take("feeds_programme_id", optional_id(&input.feeds_programme_id))
            .flatten();
        let start = if input.start_date.trim().is_empty() {
            None
        } else {
            e.take("start_date", parse_date(&input.start_date))
        };
        let end = if input.end_date.trim().is_empty() {
            None
        } else {
            e.take("end_date", parse_date(&input.end_date))
        };
        if let (Some(s), Some(x)) = (start, end) {
            if x < s {
                e.add("end_date", "validation.date.end_before_start");
            }
        }
        let phase_list: Vec<String> = if input.phases.trim().is_empty() {
            DEFAULT_PHASES.iter().map(|s| s.to_string()).collect()
        } else {
            input
                .phases
                .split(['\n', ','])
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let phases = e.take("phases", validate_workflow(&phase_list));
        let funding = e.take("funding", parse_funding(&input.funding));
        e.finish()?;
        let mut tx = self.store.write().await?;
        if let Some(id) = id {
            admin::programme(&mut tx, id)
                .await?
                .ok_or(Error::NotFound)?;
        }
        let id = id.unwrap_or_else(|| ctx.new_id());
        if let Some(f) = feeds {
            if f == id || admin::programme(&mut tx, f).await?.is_none() {
                return Err(Error::field("feeds_programme_id", "validation.choice"));
            }
        }
        let p = admin::Programme {
            id,
            code: code.unwrap_or_default(),
            name: name.unwrap_or_default(),
            description: clean(&input.description).unwrap_or_default(),
            feeds_programme_id: feeds,
            start_date: start,
            end_date: end,
            active: input.active,
        };
        admin::upsert_programme(&mut tx, &p, ctx.now)
            .await
            .map_err(|e| match e {
                // The unique index (both engines): said on the field.
                Error::Conflict(_) => Error::field("code", "validation.code_taken"),
                e => e,
            })?;
        let phases: Vec<(String, String)> = phases
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c.clone(), c))
            .collect();
        admin::set_phases(&mut tx, id, &phases).await?;
        let shares: Vec<(String, i32)> = funding
            .unwrap_or_default()
            .into_iter()
            .map(|f| (f.fund, f.share_bp))
            .collect();
        admin::set_funding(&mut tx, id, &shares, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::ProgrammeSave,
            Some(id),
            json!({"code": p.code}),
        )
        .await?;
        Ok(id)
    }

    pub async fn add_project(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        programme_id: Uuid,
        input: &ProjectInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::Administer)?;
        let mut e = Errors::new();
        let code = e.take("code", validate_code(&input.code));
        let name = e.take("name", required_text(&input.name, 160));
        let territory = e
            .take("territory_id", optional_id(&input.territory_id))
            .flatten();
        let org = e
            .take("organisation_id", optional_id(&input.organisation_id))
            .flatten();
        e.finish()?;
        let mut tx = self.store.write().await?;
        admin::programme(&mut tx, programme_id)
            .await?
            .ok_or(Error::NotFound)?;
        if let Some(t) = territory {
            admin::territory(&mut tx, t)
                .await?
                .ok_or(Error::field("territory_id", "validation.choice"))?;
        }
        if let Some(o) = org {
            admin::organisation(&mut tx, o)
                .await?
                .ok_or(Error::field("organisation_id", "validation.choice"))?;
        }
        let id = ctx.new_id();
        admin::insert_project(
            &mut tx,
            &admin::Project {
                id,
                programme_id,
                code: code.unwrap_or_default(),
                name: name.unwrap_or_default(),
                territory_id: territory,
                organisation_id: org,
            },
            ctx.now,
        )
        .await
        .map_err(|e| match e {
            // The unique index (both engines): said on the field.
            Error::Conflict(_) => Error::field("code", "validation.code_taken"),
            e => e,
        })?;
        finish(
            tx,
            actor,
            ctx,
            Action::ProjectCreate,
            Some(programme_id),
            json!({"project": id}),
        )
        .await?;
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn funding_lines() {
        let f = parse_funding("FSE=80\nJunta de Extremadura = 20 %").unwrap();
        assert_eq!(f[0].share_bp, 8000);
        assert_eq!(f[1].fund, "Junta de Extremadura");
        assert_eq!(
            parse_funding("FSE=80\nX=30"),
            Err("validation.funding.total")
        );
        assert_eq!(parse_funding("FSE"), Err("validation.funding.format"));
        assert!(parse_funding("").unwrap().is_empty());
    }
}
