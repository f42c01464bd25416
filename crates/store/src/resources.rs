//! The resource catalogue: providers (HSDS organizations, some of them the network's
//! organisations) and resources (HSDS services), searched by folded text, category,
//! kind, territory, eligibility and age.

use chrono::{DateTime, Utc};
use itinera_domain::resource::{Category, ResourceData, ResourceKind, ResourceStatus};
use itinera_domain::text::fold;
use itinera_domain::{Error, Page, PageRequest};
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

/// A provider row to write.
pub struct ProviderRow<'a> {
    pub id: Uuid,
    pub organisation_id: Option<Uuid>,
    pub name: &'a str,
    pub description: &'a str,
    pub email: Option<&'a str>,
    pub website: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// Creates or replaces a provider.
pub async fn upsert_provider(tx: &mut Tx, p: &ProviderRow<'_>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO resource_providers (id, organisation_id, name, name_key, description, email, website, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (id) DO UPDATE SET organisation_id = excluded.organisation_id, \
         name = excluded.name, name_key = excluded.name_key, description = excluded.description, email = excluded.email, \
         website = excluded.website, updated_at = excluded.updated_at"
    ).bind(p.id).bind(p.organisation_id).bind(p.name).bind(fold(p.name)).bind(p.description).bind(p.email).bind(p.website).bind(p.now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// Makes sure a network organisation is a provider, under its own name, keeping the
/// description, e-mail and website it has (from a catalogue file, perhaps).
pub async fn ensure_network_provider(
    tx: &mut Tx,
    org: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO resource_providers (id, organisation_id, name, name_key, description, email, website, updated_at) \
         VALUES ($1,$1,$2,$3,$2,NULL,NULL,$4) ON CONFLICT (id) DO UPDATE SET organisation_id = excluded.organisation_id, \
         name = excluded.name, name_key = excluded.name_key, updated_at = excluded.updated_at"
    ).bind(org).bind(name).bind(fold(name)).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// A provider outside the network with this name (accents and case aside).
pub async fn named_provider(tx: &mut Tx, name: &str) -> Result<Option<Uuid>, Error> {
    on_tx!(tx, c => sqlx::query_scalar(
        "SELECT id FROM resource_providers WHERE name_key = $1 AND organisation_id IS NULL ORDER BY id LIMIT 1"
    ).bind(fold(name)).fetch_optional(c).await.map_err(db_err))
}

/// Whether a provider exists.
pub async fn provider_exists(tx: &mut Tx, id: Uuid) -> Result<bool, Error> {
    let n: i64 = on_tx!(tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM resource_providers WHERE id = $1")
        .bind(id).fetch_one(c).await.map_err(db_err))?;
    Ok(n > 0)
}

/// The version of a resource, if it exists.
pub async fn version(tx: &mut Tx, id: Uuid) -> Result<Option<i32>, Error> {
    on_tx!(tx, c => sqlx::query_scalar("SELECT version FROM resources WHERE id = $1")
        .bind(id).fetch_optional(c).await.map_err(db_err))
}

fn keys(d: &ResourceData, provider_name: &str) -> (String, String, String) {
    (
        d.search_text(provider_name),
        fold(&d.territory.join(" ")),
        fold(d.eligibility.as_deref().unwrap_or("")),
    )
}

/// Inserts a resource (`expected`: None) kept by `owner`, or replaces it at version
/// `expected` (false when it changed meanwhile; its keeper stays).
#[allow(clippy::too_many_arguments)]
pub async fn save(
    tx: &mut Tx,
    id: Uuid,
    owner: Option<Uuid>,
    provider_id: Uuid,
    provider_name: &str,
    d: &ResourceData,
    expected: Option<i32>,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let (search, territory_key, eligibility_key) = keys(d, provider_name);
    let territory = d.territory.join("; ");
    let languages = d.languages.join(",");
    let sql = match expected {
        None => "INSERT INTO resources (id, provider_id, name, kind, category, status, description, eligibility, minimum_age, maximum_age, \
                 territory, schedule, capacity, places_available, phone, email, url, address, city, postal_code, province, country, languages, \
                 fees, cost_cents, application_process, search_key, territory_key, eligibility_key, created_at, updated_at, version, owner_organisation_id) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29,$30,$30,1,$32)",
        Some(_) => "UPDATE resources SET provider_id = $2, name = $3, kind = $4, category = $5, status = $6, description = $7, eligibility = $8, \
                 minimum_age = $9, maximum_age = $10, territory = $11, schedule = $12, capacity = $13, places_available = $14, phone = $15, \
                 email = $16, url = $17, address = $18, city = $19, postal_code = $20, province = $21, country = $22, languages = $23, fees = $24, \
                 cost_cents = $25, application_process = $26, search_key = $27, territory_key = $28, eligibility_key = $29, updated_at = $30, \
                 version = version + 1 WHERE id = $1 AND version = $31",
    };
    let n = on_tx!(tx, c => sqlx::query(sql)
        .bind(id).bind(provider_id).bind(&d.name).bind(d.kind.code()).bind(d.category.code()).bind(d.status.code())
        .bind(d.description.as_deref()).bind(d.eligibility.as_deref()).bind(d.minimum_age).bind(d.maximum_age)
        .bind(&territory).bind(d.schedule.as_deref()).bind(d.capacity).bind(d.places_available).bind(d.phone.as_deref())
        .bind(d.email.as_deref()).bind(d.url.as_deref()).bind(d.address.as_deref()).bind(d.city.as_deref())
        .bind(d.postal_code.as_deref()).bind(d.province.as_deref()).bind(d.country.as_deref()).bind(&languages)
        .bind(d.fees.as_deref()).bind(d.cost_cents).bind(d.application_process.as_deref())
        .bind(&search).bind(&territory_key).bind(&eligibility_key).bind(now).bind(expected.unwrap_or(0)).bind(owner)
        .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub id: Uuid,
    pub provider_id: Uuid,
    pub provider_organisation_id: Option<Uuid>,
    pub owner_organisation_id: Option<Uuid>,
    pub provider_name: String,
    pub provider_description: String,
    pub provider_email: Option<String>,
    pub provider_website: Option<String>,
    pub name: String,
    pub kind: String,
    pub category: String,
    pub status: String,
    pub description: Option<String>,
    pub eligibility: Option<String>,
    pub minimum_age: Option<i32>,
    pub maximum_age: Option<i32>,
    pub territory: String,
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
    pub languages: String,
    pub fees: Option<String>,
    pub cost_cents: Option<i64>,
    pub application_process: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Row {
    /// The resource's data as the domain has it (the provider by its network
    /// organisation, or by name).
    pub fn data(&self) -> ResourceData {
        let split = |s: &str, sep: char| -> Vec<String> {
            s.split(sep)
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        };
        ResourceData {
            provider: match self.provider_organisation_id {
                Some(o) => itinera_domain::resource::Provider::Network(o),
                None => itinera_domain::resource::Provider::Named(self.provider_name.clone()),
            },
            name: self.name.clone(),
            kind: ResourceKind::parse(&self.kind).unwrap_or(ResourceKind::Service),
            category: Category::parse(&self.category).unwrap_or(Category::Other),
            status: ResourceStatus::parse(&self.status).unwrap_or(ResourceStatus::Active),
            description: self.description.clone(),
            eligibility: self.eligibility.clone(),
            minimum_age: self.minimum_age,
            maximum_age: self.maximum_age,
            territory: split(&self.territory, ';'),
            schedule: self.schedule.clone(),
            capacity: self.capacity,
            places_available: self.places_available,
            phone: self.phone.clone(),
            email: self.email.clone(),
            url: self.url.clone(),
            address: self.address.clone(),
            city: self.city.clone(),
            postal_code: self.postal_code.clone(),
            province: self.province.clone(),
            country: self.country.clone(),
            languages: split(&self.languages, ','),
            fees: self.fees.clone(),
            cost_cents: self.cost_cents,
            application_process: self.application_process.clone(),
        }
    }
}

const SELECT: &str = "SELECT r.id, r.provider_id, p.organisation_id AS provider_organisation_id, r.owner_organisation_id, p.name AS provider_name, \
    p.description AS provider_description, p.email AS provider_email, p.website AS provider_website, r.name, r.kind, r.category, r.status, \
    r.description, r.eligibility, r.minimum_age, r.maximum_age, r.territory, r.schedule, r.capacity, r.places_available, r.phone, r.email, \
    r.url, r.address, r.city, r.postal_code, r.province, r.country, r.languages, r.fees, r.cost_cents, r.application_process, r.updated_at, r.version \
    FROM resources r JOIN resource_providers p ON p.id = r.provider_id";

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<Option<Row>, Error> {
    let sql = format!("{SELECT} WHERE r.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

/// Every resource, by id (the export).
pub async fn all(tx: &mut Tx) -> Result<Vec<Row>, Error> {
    let sql = format!("{SELECT} ORDER BY r.id");
    on_tx!(tx, c => sqlx::query_as(&sql).fetch_all(c).await.map_err(db_err))
}

pub async fn count(tx: &mut Tx) -> Result<i64, Error> {
    on_tx!(tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM resources").fetch_one(c).await.map_err(db_err))
}

/// What a search asks for; empty parts do not filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub text: String,
    pub category: Option<Category>,
    pub kind: Option<ResourceKind>,
    pub territory: String,
    pub eligibility: String,
    pub age: Option<i32>,
    /// Defunct ones too.
    pub all_statuses: bool,
    /// Only those a referral can be sent to (their provider is of the network).
    pub referable: bool,
}

/// A page of resources matching the filter: active first, then by name.
pub async fn search(tx: &mut Tx, f: &Filter, page: PageRequest) -> Result<Page<Row>, Error> {
    let mut conds: Vec<String> = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    let mut like = |col: &str, text: &str, conds: &mut Vec<String>| {
        for term in fold(text).split(' ').filter(|t| !t.is_empty()).take(8) {
            binds.push(format!("%{term}%"));
            conds.push(format!("{col} LIKE ${}", binds.len()));
        }
    };
    like("r.search_key", &f.text, &mut conds);
    like("r.territory_key", &f.territory, &mut conds);
    like("r.eligibility_key", &f.eligibility, &mut conds);
    let n = binds.len();
    if let Some(c) = f.category {
        conds.push(format!("r.category = '{}'", c.code()));
    }
    if let Some(k) = f.kind {
        conds.push(format!("r.kind = '{}'", k.code()));
    }
    if let Some(age) = f.age {
        conds.push(format!(
            "(r.minimum_age IS NULL OR r.minimum_age <= {age}) AND (r.maximum_age IS NULL OR r.maximum_age >= {age})"
        ));
    }
    if !f.all_statuses {
        conds.push("r.status <> 'defunct'".into());
    }
    if f.referable {
        conds.push("p.organisation_id IS NOT NULL AND r.status = 'active'".into());
    }
    let sql = format!(
        "{SELECT} WHERE {} ORDER BY CASE WHEN r.status = 'active' THEN 0 ELSE 1 END, r.name, r.id LIMIT ${} OFFSET ${}",
        if conds.is_empty() { "1 = 1".to_string() } else { conds.join(" AND ") },
        n + 1,
        n + 2
    );
    let rows: Vec<Row> = on_tx!(tx, c => {
        let mut q = sqlx::query_as(&sql);
        for b in &binds {
            q = q.bind(b);
        }
        q.bind(page.limit() + 1).bind(page.offset()).fetch_all(c).await.map_err(db_err)
    })?;
    Ok(Page::from_overfetch(rows, page))
}
