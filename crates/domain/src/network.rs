//! Network agreements (accordi di rete, protocolos de colaboración): collaboration
//! agreements and protocols between organisations, with their parties, validity and the
//! programmes and bodies they serve. The rules here; storage and access elsewhere.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Errors, Result};
use crate::input::{optional_text, parse_date, required_text};

crate::coded_enum!(NetworkAgreementKind {
    Collaboration = "collaboration",
    Protocol = "protocol",
});

/// A collaboration agreement or protocol between organisations (accordo di rete,
/// protocolo de colaboración), as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct NetworkAgreementInput {
    pub subject: String,
    pub kind: String,
    #[serde(deserialize_with = "crate::input::lenient_list")]
    pub parties: Vec<String>,
    pub signed_on: String,
    pub valid_until: String,
    pub document_ref: String,
    #[serde(deserialize_with = "crate::input::lenient_list")]
    pub programmes: Vec<String>,
    /// The coordination bodies it serves.
    #[serde(deserialize_with = "crate::input::lenient_list")]
    pub bodies: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NetworkAgreementData {
    pub subject: String,
    pub kind: NetworkAgreementKind,
    pub parties: Vec<uuid::Uuid>,
    pub signed_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub document_ref: Option<String>,
    pub programmes: Vec<uuid::Uuid>,
    pub bodies: Vec<uuid::Uuid>,
}

impl NetworkAgreementInput {
    /// Two parties at least, a signature date, a validity that ends after it.
    pub fn validate(&self) -> Result<NetworkAgreementData> {
        let mut e = Errors::new();
        let subject = e.take("subject", required_text(&self.subject, 300));
        let kind = e.take(
            "kind",
            NetworkAgreementKind::parse(self.kind.trim()).ok_or("validation.choice"),
        );
        let mut parties = Vec::new();
        for p in self.parties.iter().filter(|p| !p.trim().is_empty()) {
            match p.trim().parse::<uuid::Uuid>() {
                Ok(id) if !parties.contains(&id) => parties.push(id),
                Ok(_) => {}
                Err(_) => e.add("parties", "validation.choice"),
            }
        }
        if parties.len() < 2 {
            e.add("parties", "coordination.network.two_parties");
        }
        let signed_on = e.take("signed_on", parse_date(&self.signed_on));
        let valid_until = e.take("valid_until", {
            let t = self.valid_until.trim();
            if t.is_empty() {
                Ok(None)
            } else {
                parse_date(t).map(Some)
            }
        });
        if let (Some(s), Some(Some(u))) = (signed_on, valid_until) {
            if u < s {
                e.add("valid_until", "coordination.network.valid_until");
            }
        }
        let document_ref = e.take("document_ref", optional_text(&self.document_ref, 300));
        let mut programmes = Vec::new();
        for p in self.programmes.iter().filter(|p| !p.trim().is_empty()) {
            match p.trim().parse::<uuid::Uuid>() {
                Ok(id) if !programmes.contains(&id) => programmes.push(id),
                Ok(_) => {}
                Err(_) => e.add("programmes", "validation.choice"),
            }
        }
        let mut bodies = Vec::new();
        for b in self.bodies.iter().filter(|b| !b.trim().is_empty()) {
            match b.trim().parse::<uuid::Uuid>() {
                Ok(id) if !bodies.contains(&id) => bodies.push(id),
                Ok(_) => {}
                Err(_) => e.add("bodies", "validation.choice"),
            }
        }
        e.finish()?;
        Ok(NetworkAgreementData {
            subject: subject.unwrap_or_default(),
            kind: kind.unwrap_or(NetworkAgreementKind::Collaboration),
            parties,
            signed_on: signed_on.unwrap_or_default(),
            valid_until: valid_until.flatten(),
            document_ref: document_ref.flatten(),
            programmes,
            bodies,
        })
    }
}

/// Whether a network agreement is in force on `today`.
pub fn in_force(signed_on: NaiveDate, valid_until: Option<NaiveDate>, today: NaiveDate) -> bool {
    signed_on <= today && valid_until.is_none_or(|u| u >= today)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::Error;

    #[test]
    fn a_network_agreement_has_two_parties_and_a_sane_validity() {
        let a = uuid::Uuid::new_v4().to_string();
        let b = uuid::Uuid::new_v4().to_string();
        let input = NetworkAgreementInput {
            subject: "Protocolo con las empresas de inserción".into(),
            kind: "protocol".into(),
            parties: vec![a.clone(), a.clone()],
            signed_on: "2025-03-01".into(),
            valid_until: "2024-12-31".into(),
            ..Default::default()
        };
        let Err(Error::Invalid(e)) = input.validate() else {
            panic!()
        };
        let codes: Vec<_> = e.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            [
                "coordination.network.two_parties",
                "coordination.network.valid_until"
            ]
        );
        let ok = NetworkAgreementInput {
            parties: vec![a, b],
            valid_until: "2027-02-28".into(),
            ..input
        }
        .validate()
        .unwrap();
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert!(in_force(ok.signed_on, ok.valid_until, d(2026, 11, 30)));
        assert!(!in_force(ok.signed_on, ok.valid_until, d(2027, 3, 1)));
        assert!(!in_force(ok.signed_on, None, d(2025, 2, 1)));
    }
}
