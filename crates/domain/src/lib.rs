//! Itinera's domain: the nouns of the field, their validation and the rules that govern
//! them. This crate does no I/O and never reads the clock: callers pass the time in.

pub mod access;
pub mod assessment;
pub mod benefit;
pub mod boards;
pub mod calendar;
pub mod case;
pub mod compliance;
pub mod consent;
pub mod contact;
pub mod coordination;
pub mod coordination_report;
pub mod disclosure;
pub mod documents;
pub mod error;
pub mod esf;
pub mod holidays;
pub mod household;
pub mod ids;
pub mod import;
pub mod incident;
pub mod input;
pub mod itinerary;
pub mod linkage;
pub mod network;
pub mod objectives;
pub mod org;
pub mod participant;
pub mod placement;
pub mod privacy;
pub mod protocols;
pub mod referral;
pub mod resource;
pub mod signin;
pub mod text;
pub mod time;
pub mod training;

pub use error::{Error, Errors, FieldError, Result};

/// A page request: 1-based page number and page size, both bounded.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl PageRequest {
    pub const MAX_PER_PAGE: u32 = 100;

    pub fn new(page: Option<u32>, per_page: Option<u32>) -> Self {
        Self {
            page: page.unwrap_or(1).max(1),
            per_page: per_page.unwrap_or(20).clamp(1, Self::MAX_PER_PAGE),
        }
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::new(None, None)
    }
}

/// One page of results. `has_more` is computed by fetching one row more than asked.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub has_more: bool,
}

impl<T> Page<T> {
    /// Builds a page from rows fetched with `limit + 1`.
    pub fn from_overfetch(mut items: Vec<T>, req: PageRequest) -> Self {
        let has_more = items.len() > req.per_page as usize;
        items.truncate(req.per_page as usize);
        Self {
            items,
            page: req.page,
            per_page: req.per_page,
            has_more,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            page: self.page,
            per_page: self.per_page,
            has_more: self.has_more,
        }
    }
}
