//! The participant (persona participante / utente): the input a professional types, its
//! validation, and the validated record.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::coded_enum;
use crate::documents::{self, DocumentKind};

/// A person has a few identity documents (DNI, NIE, passport…), never hundreds.
pub const MAX_DOCUMENTS: usize = 10;
use crate::error::{Errors, Result};
use crate::input::{lenient_bool, lenient_string, optional_text, parse_date, required_text};

coded_enum!(Sex {
    Female = "female",
    Male = "male",
    NonBinary = "non_binary",
});

coded_enum!(LabourStatus {
    Unemployed = "unemployed",
    LongTermUnemployed = "long_term_unemployed",
    Inactive = "inactive",
    Employed = "employed",
});

/// Nationalities offered in forms (ISO 3166-1 alpha-2); any other valid code is
/// accepted through the API.
pub const COMMON_NATIONALITIES: &[&str] = &[
    "ES", "IT", "PT", "FR", "RO", "BG", "UA", "MA", "DZ", "SN", "ML", "NG", "CO", "EC", "VE", "PE",
    "BO", "HN", "AR", "CN", "PK", "GE", "SY", "LT",
];

/// What a professional typed, as text: forms and the JSON API both arrive here, so that a
/// bad value is reported next to its field instead of failing the whole request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ParticipantInput {
    pub given_name: String,
    pub surname1: String,
    pub surname2: String,
    pub sex: String,
    #[serde(deserialize_with = "lenient_string")]
    pub birth_date: String,
    pub nationality: String,
    pub address: String,
    pub postcode: String,
    pub territory_id: String,
    pub phone: String,
    pub email: String,
    #[serde(deserialize_with = "lenient_string")]
    pub isced_level: String,
    pub labour_status: String,
    #[serde(deserialize_with = "lenient_string")]
    pub labour_status_since: String,
    #[serde(deserialize_with = "lenient_bool")]
    pub disability: bool,
    /// The person declined to say whether they have a disability (special-category
    /// data: ESF+ counts them apart, never as "no").
    #[serde(deserialize_with = "lenient_bool")]
    pub disability_declined: bool,
    #[serde(deserialize_with = "lenient_string")]
    pub disability_degree: String,
    #[serde(deserialize_with = "lenient_string")]
    pub dependants: String,
    #[serde(deserialize_with = "lenient_bool")]
    pub single_parent: bool,
    #[serde(deserialize_with = "lenient_bool")]
    pub homeless: bool,
    #[serde(deserialize_with = "lenient_bool")]
    pub migrant: bool,
    #[serde(deserialize_with = "lenient_bool")]
    pub minority: bool,
    /// The person declined to say whether they belong to a minority.
    #[serde(deserialize_with = "lenient_bool")]
    pub minority_declined: bool,
    #[serde(deserialize_with = "lenient_bool")]
    pub rural: bool,
    pub documents: Vec<DocumentInput>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DocumentInput {
    pub kind: String,
    pub number: String,
    /// The DNI or NIE came without its control letter and it was computed from the
    /// number (an import, see `documents::with_computed_letter`); the edit form carries
    /// it on, so that saving the record keeps it.
    #[serde(deserialize_with = "lenient_bool")]
    pub letter_computed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Document {
    pub kind: DocumentKind,
    pub number: String,
    /// The control letter was computed from the number, not given.
    #[serde(default)]
    pub letter_computed: bool,
}

/// A participant's validated data. Existing means valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ParticipantData {
    pub given_name: String,
    pub surname1: String,
    pub surname2: Option<String>,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub nationality: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub territory_id: Option<Uuid>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub isced_level: Option<i16>,
    pub labour_status: LabourStatus,
    pub labour_status_since: Option<NaiveDate>,
    pub disability: bool,
    #[serde(default)]
    pub disability_declined: bool,
    pub disability_degree: Option<i16>,
    pub dependants: i16,
    pub single_parent: bool,
    pub homeless: bool,
    pub migrant: bool,
    pub minority: bool,
    #[serde(default)]
    pub minority_declined: bool,
    pub rural: bool,
    pub documents: Vec<Document>,
}

/// Whole years between `birth` and `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

fn optional_int(s: &str, min: i16, max: i16) -> Result<Option<i16>, &'static str> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let v: i16 = t.parse().map_err(|_| "validation.number.format")?;
    if v < min || v > max {
        return Err("validation.number.range");
    }
    Ok(Some(v))
}

pub(crate) fn validate_email(s: &str) -> Result<Option<String>, &'static str> {
    let Some(v) = optional_text(s, 254)? else {
        return Ok(None);
    };
    let ok = match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !v.contains(' ')
        }
        None => false,
    };
    if ok {
        Ok(Some(v.to_lowercase()))
    } else {
        Err("validation.email.format")
    }
}

fn validate_phone(s: &str) -> Result<Option<String>, &'static str> {
    let Some(v) = optional_text(s, 32)? else {
        return Ok(None);
    };
    let digits: String = v
        .chars()
        .enumerate()
        .filter(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '+'))
        .map(|(_, c)| c)
        .collect();
    let count = digits.chars().filter(char::is_ascii_digit).count();
    let allowed = v
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !allowed || !(6..=15).contains(&count) {
        return Err("validation.phone.format");
    }
    Ok(Some(digits))
}

impl ParticipantInput {
    /// Validates every field at once against `today`, returning all the field errors.
    pub fn validate(&self, today: NaiveDate) -> Result<ParticipantData> {
        let mut e = Errors::new();
        let given_name = e.take("given_name", required_text(&self.given_name, 100));
        let surname1 = e.take("surname1", required_text(&self.surname1, 100));
        let surname2 = e.take("surname2", optional_text(&self.surname2, 100));
        let sex = e.take(
            "sex",
            Sex::parse(self.sex.trim()).ok_or(if self.sex.trim().is_empty() {
                "validation.required"
            } else {
                "validation.choice"
            }),
        );
        let birth_date = e.take(
            "birth_date",
            if self.birth_date.trim().is_empty() {
                Err("validation.required")
            } else {
                parse_date(&self.birth_date).and_then(|d| {
                    if d > today {
                        Err("validation.date.future")
                    } else if age_on(d, today) > 120 {
                        Err("validation.birth_date.too_old")
                    } else {
                        Ok(d)
                    }
                })
            },
        );
        let nationality = e.take("nationality", {
            let n = self.nationality.trim().to_uppercase();
            if n.is_empty() {
                Ok(None)
            } else if n.len() == 2 && n.chars().all(|c| c.is_ascii_uppercase()) {
                Ok(Some(n))
            } else {
                Err("validation.nationality.format")
            }
        });
        let address = e.take("address", optional_text(&self.address, 200));
        let postcode = e.take("postcode", {
            match optional_text(&self.postcode, 10) {
                Ok(Some(p)) if !p.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ') => {
                    Err("validation.postcode.format")
                }
                other => other,
            }
        });
        let territory_id = e.take("territory_id", {
            let t = self.territory_id.trim();
            if t.is_empty() {
                Ok(None)
            } else {
                Uuid::parse_str(t)
                    .map(Some)
                    .map_err(|_| "validation.choice")
            }
        });
        let phone = e.take("phone", validate_phone(&self.phone));
        let email = e.take("email", validate_email(&self.email));
        let isced_level = e.take("isced_level", optional_int(&self.isced_level, 0, 8));
        let labour_status = e.take(
            "labour_status",
            LabourStatus::parse(self.labour_status.trim()).ok_or(
                if self.labour_status.trim().is_empty() {
                    "validation.required"
                } else {
                    "validation.choice"
                },
            ),
        );
        let labour_status_since = e.take("labour_status_since", {
            if self.labour_status_since.trim().is_empty() {
                Ok(None)
            } else {
                parse_date(&self.labour_status_since).and_then(|d| {
                    if d > today {
                        Err("validation.date.future")
                    } else {
                        Ok(Some(d))
                    }
                })
            }
        });
        let disability_degree = e.take(
            "disability_degree",
            optional_int(&self.disability_degree, 0, 100),
        );
        let dependants = e.take("dependants", optional_int(&self.dependants, 0, 30));

        if self.documents.len() > MAX_DOCUMENTS {
            e.add("documents", "validation.too_many");
        }
        let mut documents = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, d) in self.documents.iter().take(MAX_DOCUMENTS).enumerate() {
            if d.kind.trim().is_empty() && d.number.trim().is_empty() {
                continue;
            }
            let Some(kind) = DocumentKind::parse(d.kind.trim()) else {
                e.add(format!("documents.{i}.kind"), "validation.choice");
                continue;
            };
            match documents::validate(kind, &d.number) {
                Ok(number) => {
                    if !seen.insert((kind, number.clone())) {
                        e.add(
                            format!("documents.{i}.number"),
                            "validation.document.repeated",
                        );
                    }
                    documents.push(Document {
                        kind,
                        number,
                        letter_computed: d.letter_computed
                            && matches!(kind, DocumentKind::Dni | DocumentKind::Nie),
                    });
                }
                Err(code) => e.add(format!("documents.{i}.number"), code),
            }
        }

        // Rules across fields.
        if let (Some(birth), Some(Some(since))) = (birth_date, labour_status_since) {
            if since < birth {
                e.add(
                    "labour_status_since",
                    "validation.labour_since.before_birth",
                );
            }
        }
        if let (Some(LabourStatus::LongTermUnemployed), Some(Some(since)), Some(birth)) =
            (labour_status, labour_status_since, birth_date)
        {
            // ESF+: long-term unemployed means more than 12 months (6 under 25).
            let months = if age_on(birth, today) < 25 { 6 } else { 12 };
            if since > today - chrono::Months::new(months) {
                e.add("labour_status_since", "validation.long_term.too_recent");
            }
        }
        if !self.disability && matches!(disability_degree, Some(Some(d)) if d > 0) {
            e.add(
                "disability_degree",
                "validation.disability_degree.without_disability",
            );
        }
        if self.disability_declined && self.disability {
            e.add("disability_declined", "validation.declined.with_answer");
        }
        if self.minority_declined && self.minority {
            e.add("minority_declined", "validation.declined.with_answer");
        }

        e.finish()?;
        // Every `take` above succeeded when `finish` is Ok, so these are all Some.
        match (
            given_name,
            surname1,
            surname2,
            sex,
            birth_date,
            nationality,
            address,
            postcode,
            territory_id,
            phone,
            email,
            isced_level,
            labour_status,
            labour_status_since,
            disability_degree,
            dependants,
        ) {
            (
                Some(given_name),
                Some(surname1),
                Some(surname2),
                Some(sex),
                Some(birth_date),
                Some(nationality),
                Some(address),
                Some(postcode),
                Some(territory_id),
                Some(phone),
                Some(email),
                Some(isced_level),
                Some(labour_status),
                Some(labour_status_since),
                Some(disability_degree),
                Some(dependants),
            ) => Ok(ParticipantData {
                given_name,
                surname1,
                surname2,
                sex,
                birth_date,
                nationality,
                address,
                postcode,
                territory_id,
                phone,
                email,
                isced_level,
                labour_status,
                labour_status_since,
                disability: self.disability,
                disability_declined: self.disability_declined,
                disability_degree,
                dependants: dependants.unwrap_or(0),
                single_parent: self.single_parent,
                homeless: self.homeless,
                migrant: self.migrant,
                minority: self.minority,
                minority_declined: self.minority_declined,
                rural: self.rural,
                documents,
            }),
            _ => Err(crate::Error::Internal("validation state".into())),
        }
    }
}

impl ParticipantData {
    /// The input that would produce this data: used to fill an edit form.
    pub fn to_input(&self) -> ParticipantInput {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        ParticipantInput {
            given_name: self.given_name.clone(),
            surname1: self.surname1.clone(),
            surname2: s(&self.surname2),
            sex: self.sex.code().into(),
            birth_date: self.birth_date.to_string(),
            nationality: s(&self.nationality),
            address: s(&self.address),
            postcode: s(&self.postcode),
            territory_id: self.territory_id.map(|t| t.to_string()).unwrap_or_default(),
            phone: s(&self.phone),
            email: s(&self.email),
            isced_level: self.isced_level.map(|v| v.to_string()).unwrap_or_default(),
            labour_status: self.labour_status.code().into(),
            labour_status_since: self
                .labour_status_since
                .map(|d| d.to_string())
                .unwrap_or_default(),
            disability: self.disability,
            disability_declined: self.disability_declined,
            disability_degree: self
                .disability_degree
                .map(|v| v.to_string())
                .unwrap_or_default(),
            dependants: self.dependants.to_string(),
            single_parent: self.single_parent,
            homeless: self.homeless,
            migrant: self.migrant,
            minority: self.minority,
            minority_declined: self.minority_declined,
            rural: self.rural,
            documents: self
                .documents
                .iter()
                .map(|d| DocumentInput {
                    kind: d.kind.code().into(),
                    number: d.number.clone(),
                    letter_computed: d.letter_computed,
                })
                .collect(),
        }
    }

    /// The full name as shown: given name and both surnames.
    pub fn full_name(&self) -> String {
        match &self.surname2 {
            Some(s2) => format!("{} {} {}", self.given_name, self.surname1, s2),
            None => format!("{} {}", self.given_name, self.surname1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn valid() -> ParticipantInput {
        ParticipantInput {
            given_name: " María  José ".into(),
            surname1: "García".into(),
            surname2: "Núñez".into(),
            sex: "female".into(),
            birth_date: "1985-03-14".into(),
            nationality: "es".into(),
            labour_status: "long_term_unemployed".into(),
            labour_status_since: "2024-01-10".into(),
            phone: "+34 600 11 22 33".into(),
            email: "Maria@Example.org".into(),
            isced_level: "2".into(),
            documents: vec![DocumentInput {
                kind: "dni".into(),
                number: "12345678z".into(),
                letter_computed: false,
            }],
            ..Default::default()
        }
    }

    fn fields(r: Result<ParticipantData>) -> Vec<(String, &'static str)> {
        match r {
            Err(Error::Invalid(v)) => v.into_iter().map(|f| (f.field, f.code)).collect(),
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_input_is_normalised() {
        let d = valid().validate(today()).unwrap();
        assert_eq!(d.given_name, "María José");
        assert_eq!(d.nationality.as_deref(), Some("ES"));
        assert_eq!(d.phone.as_deref(), Some("+34600112233"));
        assert_eq!(d.email.as_deref(), Some("maria@example.org"));
        assert_eq!(d.documents[0].number, "12345678Z");
        assert_eq!(d.full_name(), "María José García Núñez");
        // And the edit form shows what was stored.
        assert_eq!(d.to_input().validate(today()).unwrap(), d);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut i = valid();
        i.given_name = "".into();
        i.birth_date = "31/02/1990".into();
        i.documents[0].number = "12345678A".into();
        i.email = "nope".into();
        i.isced_level = "9".into();
        let f = fields(i.validate(today()));
        assert!(f.contains(&("given_name".into(), "validation.required")));
        assert!(f.contains(&("birth_date".into(), "validation.date.format")));
        assert!(f.contains(&("documents.0.number".into(), "validation.dni.letter")));
        assert!(f.contains(&("email".into(), "validation.email.format")));
        assert!(f.contains(&("isced_level".into(), "validation.number.range")));
    }

    #[test]
    fn dates_in_the_future_and_long_term_rule() {
        let mut i = valid();
        i.birth_date = "2030-01-01".into();
        assert!(
            fields(i.validate(today())).contains(&("birth_date".into(), "validation.date.future"))
        );

        let mut i = valid();
        i.labour_status_since = "2026-06-01".into();
        assert!(fields(i.validate(today())).contains(&(
            "labour_status_since".into(),
            "validation.long_term.too_recent"
        )));

        // Under 25: six months suffice.
        let mut i = valid();
        i.birth_date = "2005-01-01".into();
        i.labour_status_since = "2026-05-01".into();
        assert!(i.validate(today()).is_ok());
    }

    #[test]
    fn repeated_documents_and_blank_rows() {
        let mut i = valid();
        i.documents.push(DocumentInput {
            kind: "dni".into(),
            number: "12.345.678-Z".into(),
            letter_computed: false,
        });
        i.documents.push(DocumentInput::default());
        assert!(fields(i.validate(today()))
            .contains(&("documents.1.number".into(), "validation.document.repeated")));
    }

    #[test]
    fn lenient_json_values() {
        let i: ParticipantInput = serde_json::from_str(
            r#"{"given_name":"A","isced_level":3,"homeless":true,"migrant":"on","dependants":null}"#,
        )
        .unwrap();
        assert_eq!(i.isced_level, "3");
        assert!(i.homeless && i.migrant);
        assert_eq!(i.dependants, "");
    }

    #[test]
    fn ages() {
        let b = NaiveDate::from_ymd_opt(2000, 11, 24).unwrap();
        assert_eq!(age_on(b, today()), 25);
        let b = NaiveDate::from_ymd_opt(2000, 11, 23).unwrap();
        assert_eq!(age_on(b, today()), 26);
    }
}
