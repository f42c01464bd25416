//! The network's resource catalogue (SPEC §2 Resource): the services, courses,
//! programmes and insertion companies people are referred to — with their organisation,
//! description, category, eligibility, territory served, schedule, places, contact,
//! languages and cost. Exchanged with other systems in Open Referral's Human Services
//! Data Specification (`itinera-hsds`); the same checks apply to a form and to a file.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::coded_enum;
use crate::error::{Error, Errors};
use crate::input::{lenient_string, optional_id, optional_text, required_text};

coded_enum!(
    /// What kind of resource it is.
    ResourceKind {
        Service = "service",
        Course = "course",
        Programme = "programme",
        InsertionCompany = "insertion_company",
    }
);

coded_enum!(
    /// What it helps with.
    Category {
        EmploymentGuidance = "employment_guidance",
        Training = "training",
        JobPlacement = "job_placement",
        SocialCare = "social_care",
        Housing = "housing",
        Health = "health",
        LegalAdvice = "legal_advice",
        Childcare = "childcare",
        FoodMaterial = "food_material",
        LanguageLearning = "language_learning",
        DigitalSkills = "digital_skills",
        Other = "other",
    }
);

coded_enum!(
    /// Whether it takes people now (HSDS's service status; `temporarily_closed` is
    /// HSDS's "temporarily closed").
    ResourceStatus {
        Active = "active",
        Inactive = "inactive",
        Defunct = "defunct",
        TemporarilyClosed = "temporarily_closed",
    }
);

impl ResourceStatus {
    /// The HSDS spelling.
    pub fn hsds(self) -> &'static str {
        match self {
            ResourceStatus::TemporarilyClosed => "temporarily closed",
            other => other.code(),
        }
    }

    pub fn from_hsds(s: &str) -> Option<Self> {
        match s {
            "temporarily closed" => Some(ResourceStatus::TemporarilyClosed),
            other => ResourceStatus::parse(other),
        }
    }
}

/// A resource as a form (and a file row, once read) gives it: text as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ResourceInput {
    /// An organisation of the network that provides it…
    pub organisation_id: String,
    /// …or the name of one outside the network.
    pub organisation_name: String,
    pub name: String,
    /// `service`, `course`, `programme` or `insertion_company`.
    pub kind: String,
    /// `employment_guidance`, `training`, `job_placement`, `social_care`, `housing`, …
    pub category: String,
    /// `active` (empty), `inactive`, `defunct` or `temporarily_closed`.
    pub status: String,
    pub description: String,
    /// Who may use it, in words.
    pub eligibility: String,
    #[serde(deserialize_with = "lenient_string")]
    pub minimum_age: String,
    #[serde(deserialize_with = "lenient_string")]
    pub maximum_age: String,
    /// The territories served, separated by `;`.
    pub territory: String,
    /// When it is open or runs, in words.
    pub schedule: String,
    /// Places in all.
    #[serde(deserialize_with = "lenient_string")]
    pub capacity: String,
    /// Places free now.
    #[serde(deserialize_with = "lenient_string")]
    pub places_available: String,
    pub phone: String,
    pub email: String,
    pub url: String,
    /// Street address, city and postal code of where it is given.
    pub address: String,
    pub city: String,
    pub postal_code: String,
    pub province: String,
    /// ISO 3166 alpha-2 (`ES`, `IT`).
    pub country: String,
    /// Language codes (ISO 639-1, e.g. `es, ar, en`).
    pub languages: String,
    /// What it costs, in words (empty: free).
    pub fees: String,
    /// A price in euros, when there is one.
    #[serde(deserialize_with = "lenient_string")]
    pub cost: String,
    pub application_process: String,
    /// The version edited; empty for the current one.
    #[serde(deserialize_with = "lenient_string")]
    pub version: String,
}

/// Who provides a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provider {
    /// An organisation of the network (its id is the provider's).
    Network(Uuid),
    /// One outside it, by name.
    Named(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceData {
    pub provider: Provider,
    pub name: String,
    pub kind: ResourceKind,
    pub category: Category,
    pub status: ResourceStatus,
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
    pub cost_cents: Option<i64>,
    pub application_process: Option<String>,
}

fn choice<T>(raw: &str, parse: fn(&str) -> Option<T>) -> Result<T, &'static str> {
    match raw.trim() {
        "" => Err("validation.required"),
        s => parse(s).ok_or("validation.choice"),
    }
}

fn whole(raw: &str, max: i32) -> Result<Option<i32>, &'static str> {
    match raw.trim() {
        "" => Ok(None),
        s => {
            // HSDS numbers may come as `12.0`.
            let s = s.strip_suffix(".0").unwrap_or(s);
            let n: i32 = s.parse().map_err(|_| "validation.number.format")?;
            if (0..=max).contains(&n) {
                Ok(Some(n))
            } else {
                Err("validation.number.range")
            }
        }
    }
}

fn list(
    raw: &str,
    separators: &[char],
    max_items: usize,
    max_len: usize,
) -> Result<Vec<String>, &'static str> {
    let mut out: Vec<String> = Vec::new();
    for part in raw.split(separators) {
        if let Some(p) = optional_text(part, max_len)? {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    if out.len() > max_items {
        return Err("validation.too_long");
    }
    Ok(out)
}

fn url(raw: &str) -> Result<Option<String>, &'static str> {
    match optional_text(raw, 500)? {
        None => Ok(None),
        Some(u)
            if (u.starts_with("https://") || u.starts_with("http://"))
                && !u.contains(' ')
                && u.len() > 10 =>
        {
            Ok(Some(u))
        }
        Some(_) => Err("validation.url"),
    }
}

impl ResourceInput {
    /// Checks a resource. Field names are the input's, so that a file's reader can
    /// point at its own column.
    pub fn validate(&self) -> Result<ResourceData, Error> {
        let mut e = Errors::new();
        let provider = match (self.organisation_id.trim(), self.organisation_name.trim()) {
            ("", "") => {
                e.add("organisation_id", "validation.resource.provider");
                None
            }
            (id, "") => e
                .take("organisation_id", optional_id(id))
                .flatten()
                .map(Provider::Network),
            ("", _) => e
                .take(
                    "organisation_name",
                    required_text(&self.organisation_name, 200),
                )
                .map(Provider::Named),
            _ => {
                e.add("organisation_name", "validation.resource.provider_both");
                None
            }
        };
        let name = e.take("name", required_text(&self.name, 200));
        let kind = e.take("kind", choice(&self.kind, ResourceKind::parse));
        let category = e.take("category", choice(&self.category, Category::parse));
        let status = e.take(
            "status",
            match self.status.trim() {
                "" => Ok(ResourceStatus::Active),
                s => ResourceStatus::from_hsds(s).ok_or("validation.choice"),
            },
        );
        let description = e.take("description", optional_text(&self.description, 4000));
        let eligibility = e.take("eligibility", optional_text(&self.eligibility, 2000));
        let minimum_age = e.take("minimum_age", whole(&self.minimum_age, 120));
        let maximum_age = e.take("maximum_age", whole(&self.maximum_age, 120));
        if let (Some(Some(a)), Some(Some(b))) = (minimum_age, maximum_age) {
            if a > b {
                e.add("maximum_age", "validation.resource.ages");
            }
        }
        let territory = e.take("territory", list(&self.territory, &[';', '\n'], 50, 120));
        let schedule = e.take("schedule", optional_text(&self.schedule, 1000));
        let capacity = e.take("capacity", whole(&self.capacity, 100_000));
        let places_available = e.take("places_available", whole(&self.places_available, 100_000));
        if let (Some(Some(c)), Some(Some(p))) = (capacity, places_available) {
            if p > c {
                e.add("places_available", "validation.resource.places");
            }
        }
        let phone = e.take("phone", optional_text(&self.phone, 40));
        let email = e.take("email", crate::participant::validate_email(&self.email));
        let url = e.take("url", url(&self.url));
        let address = e.take("address", optional_text(&self.address, 200));
        let city = e.take("city", optional_text(&self.city, 120));
        let postal_code = e.take("postal_code", optional_text(&self.postal_code, 20));
        let province = e.take("province", optional_text(&self.province, 120));
        let country = e.take(
            "country",
            optional_text(&self.country, 2).and_then(|c| match c {
                Some(c) if c.len() == 2 && c.chars().all(|x| x.is_ascii_alphabetic()) => {
                    Ok(Some(c.to_uppercase()))
                }
                Some(_) => Err("validation.resource.country"),
                None => Ok(None),
            }),
        );
        // An address is whole or absent (HSDS requires every part of one).
        let parts = [
            ("address", address.as_ref().is_some_and(Option::is_some)),
            ("city", city.as_ref().is_some_and(Option::is_some)),
            (
                "postal_code",
                postal_code.as_ref().is_some_and(Option::is_some),
            ),
            ("province", province.as_ref().is_some_and(Option::is_some)),
            ("country", country.as_ref().is_some_and(Option::is_some)),
        ];
        if parts.iter().any(|(_, given)| *given) {
            for (field, given) in parts {
                if !given && !e.has(field) {
                    e.add(field, "validation.resource.address_part");
                }
            }
        }
        let languages = e.take(
            "languages",
            list(&self.languages, &[',', ';', ' '], 30, 3).and_then(|l| {
                let l: Vec<String> = l.into_iter().map(|c| c.to_lowercase()).collect();
                if l.iter().all(|c| {
                    (2..=3).contains(&c.len()) && c.chars().all(|x| x.is_ascii_lowercase())
                }) {
                    Ok(l)
                } else {
                    Err("validation.resource.language")
                }
            }),
        );
        let fees = e.take("fees", optional_text(&self.fees, 500));
        let cost_cents = e.take("cost", crate::benefit::parse_amount(&self.cost));
        let application_process = e.take(
            "application_process",
            optional_text(&self.application_process, 2000),
        );
        e.finish()?;
        let data = (|| {
            Some(ResourceData {
                provider: provider?,
                name: name?,
                kind: kind?,
                category: category?,
                status: status?,
                description: description?,
                eligibility: eligibility?,
                minimum_age: minimum_age?,
                maximum_age: maximum_age?,
                territory: territory?,
                schedule: schedule?,
                capacity: capacity?,
                places_available: places_available?,
                phone: phone?,
                email: email?,
                url: url?,
                address: address?,
                city: city?,
                postal_code: postal_code?,
                province: province?,
                country: country?,
                languages: languages?,
                fees: fees?,
                cost_cents: cost_cents?,
                application_process: application_process?,
            })
        })();
        data.ok_or_else(|| Error::Internal("resource check".into()))
    }
}

impl ResourceData {
    /// The folded text a search matches: name, provider, description, eligibility,
    /// territory.
    pub fn search_text(&self, provider_name: &str) -> String {
        crate::text::fold(&format!(
            "{} {} {} {} {}",
            self.name,
            provider_name,
            self.description.as_deref().unwrap_or(""),
            self.eligibility.as_deref().unwrap_or(""),
            self.territory.join(" ")
        ))
    }

    /// Whether it takes someone of `age` (no limits: everyone).
    pub fn takes_age(&self, age: i32) -> bool {
        self.minimum_age.is_none_or(|m| age >= m) && self.maximum_age.is_none_or(|m| age <= m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: Error) -> Vec<String> {
        match e {
            Error::Invalid(f) => f.into_iter().map(|f| f.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    fn taller() -> ResourceInput {
        ResourceInput {
            organisation_name: "Asociación Puentes".into(),
            name: "Taller prelaboral de hostelería".into(),
            kind: "course".into(),
            category: "training".into(),
            minimum_age: "18".into(),
            maximum_age: "64".into(),
            territory: "Badajoz; San Roque;Badajoz".into(),
            capacity: "12".into(),
            places_available: "3".into(),
            languages: "ES, ar".into(),
            cost: "0".into(),
            url: "https://puentes.example/taller".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_resource_is_checked_as_typed() {
        let d = taller().validate().unwrap();
        assert_eq!(d.provider, Provider::Named("Asociación Puentes".into()));
        assert_eq!(d.territory, ["Badajoz", "San Roque"]);
        assert_eq!(d.languages, ["es", "ar"]);
        assert_eq!(d.status, ResourceStatus::Active);
        assert!(d.takes_age(30) && !d.takes_age(16));
        assert!(d.search_text("Asociación Puentes").contains("hosteleria"));
        let bad = ResourceInput {
            organisation_id: Uuid::nil().to_string(),
            kind: "shop".into(),
            minimum_age: "70".into(),
            maximum_age: "20".into(),
            places_available: "13".into(),
            languages: "español".into(),
            url: "puentes.example".into(),
            email: "no-at-sign".into(),
            ..taller()
        };
        assert_eq!(
            fields(bad.validate().unwrap_err()),
            [
                "organisation_name",
                "kind",
                "maximum_age",
                "places_available",
                "email",
                "url",
                "languages"
            ]
        );
    }

    #[test]
    fn statuses_read_and_write_the_hsds_spelling() {
        for s in ResourceStatus::ALL {
            assert_eq!(ResourceStatus::from_hsds(s.hsds()), Some(*s));
        }
        assert_eq!(
            ResourceStatus::TemporarilyClosed.hsds(),
            "temporarily closed"
        );
    }
}
