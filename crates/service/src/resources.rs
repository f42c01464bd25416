//! The network's resource catalogue (`domain::resource`): searched by every signed-in
//! professional (it holds no person data), kept by administrators, coordinators,
//! programme managers and case managers, exchanged in Open Referral HSDS 3.0
//! (`itinera-hsds`): an import is checked whole — schema, references, Itinera's rules —
//! and applied in one transaction or not at all, with a dry run; the export writes the
//! JSON or the tabular form. A resource whose provider is one of the network's
//! organisations can be referred to (`referrals`).

use chrono::{DateTime, Utc};
use itinera_domain::access::{Actor, Capability, Role};
use itinera_domain::resource::{Category, Provider, ResourceInput, ResourceKind};
use itinera_domain::{Error, Page, PageRequest};
use itinera_hsds::{Catalogue, Organisation, Resource};
use itinera_store::resources::{self as store, Filter, ProviderRow};
use itinera_store::{admin, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::{Ctx, Services};

// ---- What leaves the server -------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResourceView {
    pub id: Uuid,
    pub provider_id: Uuid,
    pub provider_name: String,
    /// The network organisation that provides it: a referral can be sent to it.
    pub provider_organisation_id: Option<Uuid>,
    /// For a provider outside the network, the organisation that entered it and keeps it.
    pub owner_organisation_id: Option<Uuid>,
    pub name: String,
    /// `service`, `course`, `programme` or `insertion_company`.
    pub kind: String,
    pub category: String,
    /// `active`, `inactive`, `defunct` or `temporarily_closed`.
    pub status: String,
    pub description: Option<String>,
    pub eligibility: Option<String>,
    pub minimum_age: Option<i32>,
    pub maximum_age: Option<i32>,
    pub territory: Vec<String>,
    pub schedule: Option<String>,
    pub capacity: Option<i32>,
    pub places_available: Option<i32>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub url: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub province: Option<String>,
    pub country: Option<String>,
    pub languages: Vec<String>,
    pub fees: Option<String>,
    /// In cents of euro.
    pub cost_cents: Option<i64>,
    pub application_process: Option<String>,
    /// Active, and provided by an organisation of the network.
    pub referable: bool,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<store::Row> for ResourceView {
    fn from(r: store::Row) -> Self {
        let d = r.data();
        ResourceView {
            referable: r.provider_organisation_id.is_some() && r.status == "active",
            id: r.id,
            provider_id: r.provider_id,
            owner_organisation_id: r.owner_organisation_id,
            provider_name: r.provider_name,
            provider_organisation_id: r.provider_organisation_id,
            name: d.name,
            kind: r.kind,
            category: r.category,
            status: r.status,
            description: d.description,
            eligibility: d.eligibility,
            minimum_age: d.minimum_age,
            maximum_age: d.maximum_age,
            territory: d.territory,
            schedule: d.schedule,
            capacity: d.capacity,
            places_available: d.places_available,
            phone: d.phone,
            email: d.email,
            url: d.url,
            address: d.address,
            city: d.city,
            postal_code: d.postal_code,
            province: d.province,
            country: d.country,
            languages: d.languages,
            fees: d.fees,
            cost_cents: d.cost_cents,
            application_process: d.application_process,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// A search of the catalogue, as a query string carries it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ResourceQuery {
    /// Words of the name, provider, description, eligibility or territory.
    pub q: String,
    pub category: String,
    pub kind: String,
    /// A place served.
    pub territory: String,
    /// Words of who may use it.
    pub eligibility: String,
    /// An age the resource takes.
    pub age: String,
    /// `true`: defunct ones too.
    pub all: String,
    /// `true`: only those a referral can be sent to.
    pub referable: String,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl ResourceQuery {
    fn filter(&self) -> Result<Filter, Error> {
        fn choice<T>(
            raw: &str,
            field: &str,
            parse: fn(&str) -> Option<T>,
        ) -> Result<Option<T>, Error> {
            match raw.trim() {
                "" => Ok(None),
                s => parse(s)
                    .map(Some)
                    .ok_or_else(|| Error::field(field, "validation.choice")),
            }
        }
        let category: Option<Category> = choice(&self.category, "category", Category::parse)?;
        let kind: Option<ResourceKind> = choice(&self.kind, "kind", ResourceKind::parse)?;
        let age = match self.age.trim() {
            "" => None,
            a => Some(
                a.parse::<i32>()
                    .ok()
                    .filter(|a| (0..=120).contains(a))
                    .ok_or_else(|| Error::field("age", "validation.number.range"))?,
            ),
        };
        Ok(Filter {
            text: self.q.clone(),
            category,
            kind,
            territory: self.territory.clone(),
            eligibility: self.eligibility.clone(),
            age,
            all_statuses: self.all == "true",
            referable: self.referable == "true",
        })
    }

    pub fn page(&self) -> PageRequest {
        PageRequest::new(self.page, self.per_page)
    }
}

/// One problem of an imported file, for a person to find and fix.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsProblem {
    pub file: String,
    pub line: Option<usize>,
    /// A JSON pointer (JSON form) or a column (tabular form).
    pub field: String,
    /// The message's translation key.
    pub code: String,
    /// The message in the request's language (filled by the web layer).
    pub message: String,
    /// The schema validator's own words, when it found the problem.
    pub detail: String,
}

/// What an import did, or would do (dry run), or why it was refused.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsImportReport {
    pub file_name: String,
    /// `json` or `tabular`.
    pub format: String,
    pub dry_run: bool,
    /// Saved (false for a dry run and for a refused file).
    pub applied: bool,
    pub organisations: usize,
    /// Of which are organisations of the network.
    pub network_organisations: usize,
    pub created: usize,
    pub updated: usize,
    /// Every problem; the file is refused whole when there is one.
    pub problems: Vec<HsdsProblem>,
}

/// Who keeps the catalogue: the network's keepers (administrators and coordinators)
/// all of it; case managers and programme managers their own organisation's services
/// and those of providers outside the network their organisation entered.
fn require_keeper(actor: &Actor) -> Result<(), Error> {
    if actor.can(Capability::Administer) || actor.can(Capability::ConveneBodies) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// Whether the actor keeps the whole catalogue (and may import a catalogue file).
fn keeps_all(actor: &Actor) -> bool {
    actor.can(Capability::Administer) || actor.roles.contains(&Role::Coordinator)
}

/// Whether the actor may keep the catalogue (some of it).
pub fn can_keep(actor: &Actor) -> bool {
    require_keeper(actor).is_ok()
}

/// Whether the actor may import a catalogue file.
pub fn can_import(actor: &Actor) -> bool {
    keeps_all(actor)
}

/// Whether the actor may change this resource: a keeper of the whole catalogue, or of
/// the organisation that provides it (or, for a provider outside the network, entered
/// it).
pub fn can_edit(actor: &Actor, r: &ResourceView) -> bool {
    can_keep(actor)
        && (keeps_all(actor)
            || match r.provider_organisation_id {
                Some(org) => org == actor.organisation_id,
                None => r.owner_organisation_id == Some(actor.organisation_id),
            })
}

/// Saves a provider for `p`: the network's organisation (same id), or one outside it by
/// name (found, or made). Returns (id, name).
async fn provider_for(tx: &mut Tx, ctx: &Ctx, p: &Provider) -> Result<(Uuid, String), Error> {
    match p {
        Provider::Network(org) => {
            let o = admin::organisation(tx, *org)
                .await?
                .filter(|o| o.active)
                .ok_or_else(|| Error::field("organisation_id", "validation.choice"))?;
            store::ensure_network_provider(tx, o.id, &o.name, ctx.now).await?;
            Ok((o.id, o.name))
        }
        Provider::Named(name) => {
            if let Some(id) = store::named_provider(tx, name).await? {
                return Ok((id, name.clone()));
            }
            let id = ctx.new_id();
            store::upsert_provider(
                tx,
                &ProviderRow {
                    id,
                    organisation_id: None,
                    name,
                    description: name,
                    email: None,
                    website: None,
                    now: ctx.now,
                },
            )
            .await?;
            Ok((id, name.clone()))
        }
    }
}

impl Services {
    /// A page of the catalogue.
    pub async fn resources(
        &self,
        _actor: &Actor,
        query: &ResourceQuery,
    ) -> Result<Page<ResourceView>, Error> {
        let filter = query.filter()?;
        let mut tx = self.store.read().await?;
        let page = store::search(&mut tx, &filter, query.page()).await?;
        tx.rollback().await?;
        Ok(page.map(Into::into))
    }

    pub async fn resource(&self, _actor: &Actor, id: Uuid) -> Result<ResourceView, Error> {
        let mut tx = self.store.read().await?;
        let r = store::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        tx.rollback().await?;
        Ok(r.into())
    }

    /// Creates (`id` None) or changes a resource, at the version read.
    pub async fn save_resource(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Option<Uuid>,
        input: &ResourceInput,
    ) -> Result<Uuid, Error> {
        require_keeper(actor)?;
        let data = input.validate()?;
        let mut tx = self.store.write().await?;
        let expected = match id {
            None => None,
            Some(id) => {
                let current: ResourceView = store::get(&mut tx, id)
                    .await?
                    .ok_or(Error::NotFound)?
                    .into();
                if !can_edit(actor, &current) {
                    return Err(Error::Forbidden);
                }
                Some(
                    itinera_domain::input::version_or(&input.version, current.version)
                        .map_err(|c| Error::field("version", c))?,
                )
            }
        };
        // A resource is given only to the keeper's own organisation, or to a provider
        // outside the network.
        if let Provider::Network(org) = &data.provider {
            if !keeps_all(actor) && *org != actor.organisation_id {
                return Err(Error::field(
                    "organisation_id",
                    "resource.provider.not_yours",
                ));
            }
        }
        let (provider, provider_name) = provider_for(&mut tx, ctx, &data.provider).await?;
        let rid = id.unwrap_or_else(|| ctx.new_id());
        if !store::save(
            &mut tx,
            rid,
            Some(actor.organisation_id),
            provider,
            &provider_name,
            &data,
            expected,
            ctx.now,
        )
        .await?
        {
            return Err(Error::Conflict("error.stale_version"));
        }
        finish(
            tx,
            actor,
            ctx,
            Action::ResourceSave,
            Some(rid),
            json!({"name": data.name, "new": id.is_none()}),
        )
        .await?;
        Ok(rid)
    }

    /// Imports an HSDS file (JSON, or the tabular form's ZIP: told apart by its first
    /// bytes): all of it or nothing; `dry_run` checks and counts, saving nothing.
    pub async fn import_hsds(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        file_name: &str,
        bytes: &[u8],
        dry_run: bool,
    ) -> Result<HsdsImportReport, Error> {
        // A catalogue file can touch any organisation's services: the network's keepers.
        if !keeps_all(actor) {
            return Err(Error::Forbidden);
        }
        let tabular = bytes.starts_with(b"PK\x03\x04");
        let name = if file_name.trim().is_empty() {
            if tabular {
                "catalogue.zip"
            } else {
                "catalogue.json"
            }
        } else {
            file_name.trim()
        };
        let mut report = HsdsImportReport {
            file_name: name.to_string(),
            format: if tabular { "tabular" } else { "json" }.into(),
            dry_run,
            applied: false,
            organisations: 0,
            network_organisations: 0,
            created: 0,
            updated: 0,
            problems: Vec::new(),
        };
        let read = if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            Err(vec![itinera_hsds::Problem {
                file: name.to_string(),
                line: None,
                field: String::new(),
                code: "hsds.empty",
                detail: String::new(),
            }])
        } else if tabular {
            itinera_hsds::read_tabular(name, bytes)
        } else {
            match std::str::from_utf8(bytes) {
                Ok(text) => itinera_hsds::read_json(name, text.trim_start_matches('\u{feff}')),
                Err(_) => Err(vec![itinera_hsds::Problem {
                    file: name.to_string(),
                    line: None,
                    field: String::new(),
                    code: "hsds.encoding",
                    detail: String::new(),
                }]),
            }
        };
        let catalogue = match read {
            Ok(c) => c,
            Err(problems) => {
                report.problems = problems
                    .into_iter()
                    .map(|p| HsdsProblem {
                        file: p.file,
                        line: p.line,
                        field: p.field,
                        code: p.code.to_string(),
                        message: String::new(),
                        detail: p.detail,
                    })
                    .collect();
                return Ok(report);
            }
        };
        let mut tx = self.store.write().await?;
        report.organisations = catalogue.organisations.len();
        let mut names = std::collections::HashMap::new();
        for o in &catalogue.organisations {
            // A network organisation keeps its own name: a file does not rename it.
            let network = admin::organisation(&mut tx, o.id).await?;
            if network.is_some() {
                report.network_organisations += 1;
            }
            let name = network
                .as_ref()
                .map_or(o.name.as_str(), |n| n.name.as_str());
            store::upsert_provider(
                &mut tx,
                &ProviderRow {
                    id: o.id,
                    organisation_id: network.as_ref().map(|n| n.id),
                    name,
                    description: &o.description,
                    email: o.email.as_deref(),
                    website: o.website.as_deref(),
                    now: ctx.now,
                },
            )
            .await?;
            names.insert(o.id, name.to_string());
        }
        let mut touched = Vec::with_capacity(catalogue.resources.len());
        for r in &catalogue.resources {
            let current = store::version(&mut tx, r.id).await?;
            let provider_name = names.get(&r.organisation_id).cloned().unwrap_or_default();
            touched.push(r.id);
            if !store::save(
                &mut tx,
                r.id,
                None,
                r.organisation_id,
                &provider_name,
                &r.data,
                current,
                ctx.now,
            )
            .await?
            {
                return Err(Error::Conflict("error.stale_version"));
            }
            match current {
                None => report.created += 1,
                Some(_) => report.updated += 1,
            }
        }
        if dry_run {
            tx.rollback().await?;
            return Ok(report);
        }
        finish(
            tx,
            actor,
            ctx,
            Action::ResourceImport,
            None,
            json!({"file": report.file_name, "format": report.format, "created": report.created,
                   "updated": report.updated, "organisations": report.organisations,
                   "resources": touched}),
        )
        .await?;
        report.applied = true;
        Ok(report)
    }

    /// The whole catalogue, for an HSDS export.
    pub async fn hsds_catalogue(&self, _actor: &Actor) -> Result<Catalogue, Error> {
        let mut tx = self.store.read().await?;
        let rows = store::all(&mut tx).await?;
        tx.rollback().await?;
        let mut c = Catalogue::default();
        for r in rows {
            if !c.organisations.iter().any(|o| o.id == r.provider_id) {
                c.organisations.push(Organisation {
                    id: r.provider_id,
                    name: r.provider_name.clone(),
                    description: r.provider_description.clone(),
                    email: r.provider_email.clone(),
                    website: r.provider_website.clone(),
                });
            }
            let mut data = r.data();
            data.provider = Provider::Named(r.provider_name.clone());
            c.resources.push(Resource {
                id: r.id,
                organisation_id: r.provider_id,
                data,
            });
        }
        Ok(c)
    }
}
