//! The one error type of Itinera. Every layer returns it; the API renders it as
//! RFC 9457 problem+json and the HTML views as a page or a message next to a field.
//! Messages are translation keys, never prose.

use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A problem with one input field: the field's path (`given_name`, `documents.0.number`)
/// and the translation key of the message; for a file, the line the problem is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    /// The line of the uploaded file the problem is on (1 is the first), when it is
    /// on one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str) -> Self {
        Self {
            field: field.into(),
            code,
            line: None,
        }
    }

    /// A problem on one line of a file given in `field`.
    pub fn on_line(field: impl Into<String>, code: &'static str, line: Option<usize>) -> Self {
        Self {
            field: field.into(),
            code,
            line,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input was not valid; one entry per bad field.
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    /// A business rule refused the operation (translation key).
    #[error("rule violated: {0}")]
    Rule(&'static str),
    /// The record does not exist *or* the actor may not see it: the two look the same.
    #[error("not found")]
    NotFound,
    /// The actor is known but their role does not allow the operation (never used to
    /// refuse access to a person's data, which answers `NotFound`).
    #[error("forbidden")]
    Forbidden,
    #[error("unauthenticated")]
    Unauthenticated,
    /// A uniqueness or concurrency conflict (translation key).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("too many requests")]
    TooManyRequests,
    /// The request's body is larger than its route accepts.
    #[error("payload too large")]
    TooLarge,
    /// The request itself is malformed (an address whose id or query is not valid),
    /// before any input field is looked at (translation key).
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// A parameter of the address (a path segment or a query parameter) is malformed:
    /// 400, naming it (`field`) with the message's key (`code`).
    #[error("bad parameter: {0:?}")]
    BadParameter(FieldError),
    /// A failure of the machinery (database, I/O). The text is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
    /// The database cannot be reached or cannot write just now (a failover under way, a
    /// connection lost): nothing of the request was kept; it may be tried again. The
    /// text is logged, never shown.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl Error {
    pub fn field(field: impl Into<String>, code: &'static str) -> Self {
        Error::Invalid(vec![FieldError::new(field, code)])
    }

    /// The translation key that names this error for a person.
    pub fn message_key(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "error.invalid",
            Error::Rule(k) | Error::Conflict(k) | Error::BadRequest(k) => k,
            Error::BadParameter(f) => f.code,
            Error::NotFound => "error.not_found",
            Error::Forbidden => "error.forbidden",
            Error::Unauthenticated => "error.unauthenticated",
            Error::TooManyRequests => "error.too_many_requests",
            Error::TooLarge => "error.too_large",
            Error::Internal(_) => "error.internal",
            Error::Unavailable(_) => "error.unavailable",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Error::Invalid(_) | Error::Rule(_) => 422,
            Error::NotFound => 404,
            Error::Forbidden => 403,
            Error::Unauthenticated => 401,
            Error::Conflict(_) => 409,
            Error::TooManyRequests => 429,
            Error::TooLarge => 413,
            Error::BadRequest(_) | Error::BadParameter(_) => 400,
            Error::Internal(_) => 500,
            Error::Unavailable(_) => 503,
        }
    }
}

/// The most field errors one answer names.
pub const MAX_ERRORS: usize = 100;

/// Collects field errors while validating a whole input, so that every bad field is
/// reported at once.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a field's error; past `MAX_ERRORS` the rest are dropped (an input with
    /// thousands of bad items gets a bounded answer, its first errors named).
    pub fn add(&mut self, field: impl Into<String>, code: &'static str) {
        if self.0.len() < MAX_ERRORS {
            self.0.push(FieldError::new(field, code));
        }
    }

    /// Keeps the value when Ok, records the error under `field` otherwise.
    pub fn take<T>(&mut self, field: &str, r: Result<T, &'static str>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(code) => {
                self.add(field, code);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `field` has an error already.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|f| f.field == field)
    }

    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.0))
        }
    }
}
