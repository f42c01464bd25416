//! The network's resource catalogue in Open Referral's Human Services Data
//! Specification 3.0 (HSDS): read from, and written to, its JSON form (a page of
//! services, each with its organization and everything else nested, as the HSDS API's
//! `/services` gives it) and its tabular form (the CSV files of the specification's
//! tables, in a ZIP).
//!
//! Reading checks every object against the **published** JSON Schema (`schema`, the
//! specification's files embedded), then the cross references, then Itinera's own
//! rules (`domain::resource::ResourceInput::validate`, the same as the form's); every
//! problem carries its file, line and field, and one problem anywhere rejects the whole
//! file. What Itinera keeps of a service (`Resource`) is written back the same way, with
//! the ids of nested objects derived from the service's id, so that a catalogue written,
//! read into an empty database and written again is the same document.
//!
//! Itinera's kind, category and places travel as HSDS `attributes` whose taxonomy terms
//! are in the taxonomies `itinera-kind`, `itinera-category` and `itinera-places`.

pub mod locate;
mod read;
pub mod schema;
mod write;

use itinera_domain::resource::ResourceData;
use uuid::Uuid;

pub use read::{read_json, read_tabular};
pub use write::{write_json, write_tabular};

/// The taxonomies Itinera's attributes use.
pub const KIND_TAXONOMY: &str = "itinera-kind";
pub const CATEGORY_TAXONOMY: &str = "itinera-category";
pub const PLACES_TAXONOMY: &str = "itinera-places";

/// An organisation that provides resources (HSDS `organization`).
#[derive(Debug, Clone, PartialEq)]
pub struct Organisation {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub email: Option<String>,
    pub website: Option<String>,
}

/// A resource (HSDS `service`), as Itinera keeps it. Read from a file, its provider is
/// `Provider::Named` with the organisation's name; the caller knows whether the
/// organisation's id is one of the network's.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub data: ResourceData,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalogue {
    pub organisations: Vec<Organisation>,
    pub resources: Vec<Resource>,
}

/// One problem of a file: where, and what (a translation key and, for the schema's
/// findings, the validator's own words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// 1-based; absent for a problem of the whole file.
    pub line: Option<usize>,
    /// A JSON pointer (JSON form) or a column (tabular form).
    pub field: String,
    pub code: &'static str,
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum HsdsError {
    #[error("the embedded HSDS schema cannot be used: {0}")]
    Schema(String),
    #[error("the file cannot be written: {0}")]
    Write(String),
}

/// How many problems are reported at most (the file is rejected either way).
pub const MAX_PROBLEMS: usize = 500;

/// An id derived from a service's id and what it names (a phone, an area…), stable
/// from one export to the next.
pub(crate) fn derived(parent: Uuid, what: &str) -> Uuid {
    Uuid::new_v5(&parent, what.as_bytes())
}

/// The id of an Itinera taxonomy term.
pub(crate) fn term_id(taxonomy: &str, code: &str) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("urn:itinera:{taxonomy}:{code}").as_bytes(),
    )
}

#[cfg(test)]
mod tests;
