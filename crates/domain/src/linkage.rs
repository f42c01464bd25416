//! The master participant index's rules: the deployment's thresholds and what a lookup
//! does with the persons it found. Scoring itself is the `itinera-linkage` crate's.

use serde::Serialize;
use uuid::Uuid;

use crate::error::{Error, FieldError};

/// Match probabilities: at or above `auto_link` a record is the same person; from
/// `review` up to it, a person decides; below, a new person.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Thresholds {
    pub auto_link: f64,
    pub review: f64,
}

impl Thresholds {
    /// Checks thresholds typed as text (a form) or given as numbers (the API): both
    /// between 0 and 1, the review threshold not above the auto-link one.
    pub fn parse(auto_link: &str, review: &str) -> Result<Thresholds, Error> {
        let mut errors = Vec::new();
        let mut read = |field: &str, v: &str| match v.trim().replace(',', ".").parse::<f64>() {
            Ok(x) if (0.0..=1.0).contains(&x) && x > 0.0 => Some(x),
            Ok(_) => {
                errors.push(FieldError::new(field, "linkage.threshold.range"));
                None
            }
            Err(_) => {
                errors.push(FieldError::new(field, "linkage.threshold.number"));
                None
            }
        };
        let a = read("auto_link", auto_link);
        let r = read("review", review);
        match (a, r) {
            (Some(a), Some(r)) if r > a => Err(Error::field("review", "linkage.threshold.order")),
            (Some(auto_link), Some(review)) => Ok(Thresholds { auto_link, review }),
            _ => Err(Error::Invalid(errors)),
        }
    }
}

/// A record a lookup scored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub record: Uuid,
    pub person: Uuid,
    pub home_organisation: Uuid,
    pub probability: f64,
}

/// What to do with a record looked up.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub enum Outcome {
    /// The organisation already has this person's record: use it, create nothing.
    Existing(Candidate),
    /// Create the record and make it part of this (best) candidate's person; queue the
    /// other persons between the thresholds.
    Link(Candidate, Vec<Candidate>),
    /// Create the record as a new person; queue these for review.
    New(Vec<Candidate>),
}

impl Outcome {
    pub fn code(&self) -> &'static str {
        match self {
            Outcome::Existing(_) => "existing",
            Outcome::Link(..) => "linked",
            Outcome::New(r) if r.is_empty() => "new",
            Outcome::New(_) => "review",
        }
    }
}

/// At most this many persons are queued for review from one lookup.
pub const MAX_REVIEWS: usize = 5;

/// Decides a lookup's outcome for organisation `org`. Each person counts once, by their
/// best-scoring record. If the best person is at or above the auto-link threshold, the
/// organisation's own record of that person is used when it has one (scoring at least
/// the review threshold); otherwise the new record joins that person. Every other
/// person from the review threshold up is queued. `excluded` persons (decided
/// "different" before) are left out.
pub fn decide(candidates: &[Candidate], t: Thresholds, org: Uuid, excluded: &[Uuid]) -> Outcome {
    let mut best: Vec<Candidate> = Vec::new();
    for c in candidates.iter().filter(|c| !excluded.contains(&c.person)) {
        match best.iter_mut().find(|b| b.person == c.person) {
            Some(b) if better(c, b) => *b = *c,
            Some(_) => {}
            None => best.push(*c),
        }
    }
    best.sort_by(|a, b| {
        b.probability
            .total_cmp(&a.probability)
            .then(a.person.cmp(&b.person))
    });
    let reviews = |skip: Option<Uuid>| -> Vec<Candidate> {
        best.iter()
            .filter(|c| Some(c.person) != skip && c.probability >= t.review)
            .take(MAX_REVIEWS)
            .copied()
            .collect()
    };
    match best.first() {
        Some(top) if top.probability >= t.auto_link => {
            let own = candidates
                .iter()
                .filter(|c| {
                    c.person == top.person
                        && c.home_organisation == org
                        && c.probability >= t.review
                })
                .fold(None::<Candidate>, |acc, c| match acc {
                    Some(a) if !better(c, &a) => Some(a),
                    _ => Some(*c),
                });
            match own {
                Some(o) => Outcome::Existing(o),
                None => Outcome::Link(*top, reviews(Some(top.person))),
            }
        }
        _ => Outcome::New(reviews(None)),
    }
}

fn better(c: &Candidate, than: &Candidate) -> bool {
    c.probability > than.probability
        || (c.probability == than.probability && c.record < than.record)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn cand(record: u128, person: u128, org: u128, p: f64) -> Candidate {
        Candidate {
            record: id(record),
            person: id(person),
            home_organisation: id(org),
            probability: p,
        }
    }

    const T: Thresholds = Thresholds {
        auto_link: 0.9,
        review: 0.5,
    };

    #[test]
    fn thresholds_are_checked_field_by_field() {
        assert_eq!(
            Thresholds::parse("0,95", "0.6").unwrap(),
            Thresholds {
                auto_link: 0.95,
                review: 0.6
            }
        );
        let Err(Error::Invalid(e)) = Thresholds::parse("1.5", "x") else {
            panic!()
        };
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].code, "linkage.threshold.range");
        assert_eq!(e[1].code, "linkage.threshold.number");
        let Err(Error::Invalid(e)) = Thresholds::parse("0.6", "0.8") else {
            panic!()
        };
        assert_eq!(e[0].field, "review");
        assert!(Thresholds::parse("0", "0").is_err());
    }

    #[test]
    fn a_sure_match_of_another_organisation_links_and_the_doubtful_ones_are_queued() {
        let me = 1;
        let cs = [
            cand(10, 10, 2, 0.97),
            cand(11, 10, 3, 0.40),
            cand(20, 20, 3, 0.7),
            cand(30, 30, 2, 0.3),
        ];
        let Outcome::Link(top, review) = decide(&cs, T, id(me), &[]) else {
            panic!()
        };
        assert_eq!(top.record, id(10));
        assert_eq!(
            review.iter().map(|c| c.record).collect::<Vec<_>>(),
            [id(20)]
        );
    }

    #[test]
    fn the_organisations_own_record_of_the_person_is_used() {
        let cs = [cand(10, 10, 2, 0.99), cand(11, 10, 1, 0.8)];
        assert_eq!(decide(&cs, T, id(1), &[]), Outcome::Existing(cs[1]));
        // …but not a weak record of its own that merely belongs to the person.
        let cs = [cand(10, 10, 2, 0.99), cand(11, 10, 1, 0.2)];
        assert!(matches!(decide(&cs, T, id(1), &[]), Outcome::Link(..)));
    }

    #[test]
    fn below_the_auto_link_threshold_a_new_person_with_reviews() {
        let cs = [
            cand(10, 10, 2, 0.8),
            cand(20, 20, 1, 0.6),
            cand(30, 30, 1, 0.1),
        ];
        let o = decide(&cs, T, id(1), &[]);
        assert_eq!(o.code(), "review");
        let Outcome::New(r) = o else { panic!() };
        assert_eq!(r.len(), 2);
        assert_eq!(decide(&cs, T, id(1), &[id(10), id(20)]).code(), "new");
        assert_eq!(decide(&[], T, id(1), &[]).code(), "new");
    }

    #[test]
    fn two_sure_persons_link_to_the_best_and_queue_the_other() {
        let cs = [cand(10, 10, 2, 0.95), cand(20, 20, 3, 0.99)];
        let Outcome::Link(top, r) = decide(&cs, T, id(1), &[]) else {
            panic!()
        };
        assert_eq!(top.person, id(20));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].person, id(10));
    }
}
