//! The OpenAPI document, generated: every handler carries a `#[utoipa::path]`
//! annotation and is registered with `utoipa_axum::routes!`, so a route cannot exist
//! without its documentation, and the schemas are derived from the very types the
//! handlers send and receive (the services' view types and the domain's inputs).
//! This module holds what the handlers share: the document's header (`ApiDoc`), the
//! problem document and the error responses each operation lists, and the small
//! acknowledgements of writes that are not a service's view.

use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};
use uuid::Uuid;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Itinera API",
        description = "The shared workspace of integrated social and employment inclusion pathways. Every request carries a bearer token (`Authorization: Bearer itn_…`) of a user acting for one organisation, or of an integration. Errors are RFC 9457 problem documents (`application/problem+json`) in the `Accept-Language` language; a refusal to show a person's data is a 404, the same as a record that does not exist. Lists are paginated with `page` and `per_page` (at most 100). Writes (POST, PUT, PATCH, DELETE) with a body of up to 2 MB take an optional `Idempotency-Key` header (1 to 255 visible ASCII characters, kept a day per credential): the same request sent again with the same key gets the first answer with `Idempotent-Replayed: true`, never a second write; the key with another request is refused (422 `idempotency.key_reused`); while the first is running, or when its answer was lost after its write, the answer is 409 `idempotency.in_progress`. A 503 (`error.unavailable`) means the database was unreachable or changing over: nothing was kept, send the request again (with its key).",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    servers((url = "/api/v1")),
    components(schemas(Problem, ProblemField)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "auth", description = "Who the token is"),
        (name = "participants", description = "The shared participant record"),
        (name = "consents", description = "Consents: what each organisation may see"),
        (name = "cases", description = "Cases, phases, status and team"),
        (name = "assessments", description = "The common vulnerability diagnosis"),
        (name = "itineraries", description = "The joint personalised itinerary and its agreement"),
        (name = "contacts", description = "The contact log, under its visibility rule"),
        (name = "placements", description = "Contracts, their follow-up and retention checks"),
        (name = "training", description = "Courses, candidates and their joint selection, attendance"),
        (name = "incidents", description = "Incidents of a training or a placement"),
        (name = "referrals", description = "Referrals that close the loop between organisations"),
        (name = "benefits", description = "Benefits and in-kind support a person receives"),
        (name = "households", description = "Households: the people a participant lives with"),
        (name = "resources", description = "The network's resource catalogue, exchanged in Open Referral HSDS 3.0"),
        (name = "tasks", description = "Each professional's work list"),
        (name = "linkage", description = "The master index: one person, one record"),
        (name = "imports", description = "Imports from existing systems"),
        (name = "coordination", description = "Coordination bodies, meetings, agreements, calendar, network agreements"),
        (name = "boards", description = "Improvement boards"),
        (name = "protocols", description = "Protocols and guides"),
        (name = "aggregates", description = "Programme figures and pseudonymised lists"),
        (name = "indicators", description = "Indicators and evaluation: objectives sheets, ESF participant indicators"),
        (name = "admin", description = "Configuration: territories, organisations, programmes, users, tokens"),
        (name = "audit", description = "The audit log"),
        (name = "privacy", description = "The data-protection office: restriction, legal holds, erasure; retention rules and runs"),
    )
)]
pub struct ApiDoc;

/// The bearer token scheme every operation uses.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:itinera:problem:` and the message's key (e.g. `error.not_found`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The message, in the request's language.
    pub title: String,
    pub status: u16,
    /// `urn:itinera:request:` and the request's id (also in `x-request-id`).
    pub instance: String,
    /// For 422: one entry per bad field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ProblemField>>,
}

/// One bad field of an input.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// The field's path: `given_name`, `documents.0.number`, `body`.
    pub field: String,
    /// The message's key.
    pub code: String,
    /// The message, in the request's language (with the line, when there is one).
    pub message: String,
    /// The line of the uploaded file the problem is on (1 is the first), when it is
    /// on one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// 400: the address is malformed (an id that is not a UUID, a query that does not
/// parse).
#[derive(IntoResponses)]
#[response(status = 400, content_type = "application/problem+json")]
pub struct BadRequest(#[allow(dead_code)] Problem);

/// 401: no valid bearer token.
#[derive(IntoResponses)]
#[response(status = 401, content_type = "application/problem+json")]
pub struct Unauthenticated(#[allow(dead_code)] Problem);

/// 403: the caller's role does not allow this.
#[derive(IntoResponses)]
#[response(status = 403, content_type = "application/problem+json")]
pub struct Forbidden(#[allow(dead_code)] Problem);

/// 404: not found, or no basis to see it (the two look the same).
#[derive(IntoResponses)]
#[response(status = 404, content_type = "application/problem+json")]
pub struct NotFound(#[allow(dead_code)] Problem);

/// 409: a conflict (a duplicate, a version edited meanwhile, something frozen).
#[derive(IntoResponses)]
#[response(status = 409, content_type = "application/problem+json")]
pub struct Conflict(#[allow(dead_code)] Problem);

/// 422: the input is not valid (one entry per field), or a rule refuses it.
#[derive(IntoResponses)]
#[response(status = 422, content_type = "application/problem+json")]
pub struct Invalid(#[allow(dead_code)] Problem);

// ---- Acknowledgements of writes -----------------------------------------------------

/// The id of what was created (201, with its address in `Location`) or changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: Uuid,
}

/// The id of what was created or changed (200).
#[derive(Debug, Serialize, ToSchema)]
pub struct Saved {
    pub id: Uuid,
}

/// A record deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub id: Uuid,
    pub deleted: bool,
}

/// National holidays loaded for a year: how many were added (those already there are
/// left as they are).
#[derive(Debug, Serialize, ToSchema)]
pub struct HolidaysLoaded {
    pub added: usize,
}

/// A record changed under optimistic locking: its new version.
#[derive(Debug, Serialize, ToSchema)]
pub struct Versioned {
    pub id: Uuid,
    pub version: i32,
}

/// A consent withdrawn, and whose it was.
#[derive(Debug, Serialize, ToSchema)]
pub struct Withdrawn {
    pub id: Uuid,
    pub participant_id: Uuid,
}

/// A professional removed from a case team.
#[derive(Debug, Serialize, ToSchema)]
pub struct Removed {
    /// The case.
    pub id: Uuid,
    /// The team member removed.
    pub removed: Uuid,
}

/// A member of a body given another role.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberRole {
    pub id: Uuid,
    pub role: String,
}

/// A member removed from a body.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberRemoved {
    pub removed: Uuid,
}

/// A membership removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipRemoved {
    pub id: Uuid,
    pub removed: bool,
}

/// A token revoked.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenRevoked {
    pub id: Uuid,
    pub revoked: bool,
}

/// A user activated or deactivated.
#[derive(Debug, Serialize, ToSchema)]
pub struct Activation {
    pub id: Uuid,
    pub active: bool,
}

/// An API token: shown this once; only its hash is kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewToken {
    pub token: String,
}

/// The itinerary's plan changed: the itinerary's new version.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanChanged {
    pub case_id: Uuid,
    pub version: i32,
}

/// The agreement signed: the number of the frozen version.
#[derive(Debug, Serialize, ToSchema)]
pub struct Signed {
    pub case_id: Uuid,
    pub number: i32,
}

/// A vote given or taken back.
#[derive(Debug, Serialize, ToSchema)]
pub struct Voted {
    pub voted: bool,
}

/// How many attendance lines were recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct Recorded {
    pub recorded: usize,
}

/// The agenda item whose minutes were saved.
#[derive(Debug, Serialize, ToSchema)]
pub struct MinutesSaved {
    pub item: Uuid,
}

/// The minutes approved (frozen from then on).
#[derive(Debug, Serialize, ToSchema)]
pub struct Approved {
    pub approved: bool,
}

/// An agreement's new status.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusSet {
    pub status: String,
}

/// A calendar feed: its secret token and address (outside `/api/v1`, no bearer).
#[derive(Debug, Serialize, ToSchema)]
pub struct Feed {
    pub token: String,
    pub path: String,
}

/// The calendar feed revoked.
#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    pub revoked: bool,
}

/// How many notices were marked read.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticesRead {
    pub read: u64,
}

/// The version in force confirmed as read.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadConfirmed {
    pub read: bool,
}

/// The number of the version published.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionNumber {
    pub version: i32,
}

/// A pair decided: the merge made, if the records are the same person.
#[derive(Debug, Serialize, ToSchema)]
pub struct Decided {
    pub merge: Option<Uuid>,
}

/// A merge undone: a record the caller may see, to go back to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Unmerged {
    pub participant_id: Uuid,
}

/// A source's mapping saved.
#[derive(Debug, Serialize, ToSchema)]
pub struct MappingSaved {
    pub source: String,
}
