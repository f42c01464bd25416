//! **The access rule, for the database.** `itinera_domain::access::person_basis` states
//! the rule; this module is its one SQL form, used by every query that touches a person
//! (single records, searches, lists, counts). The access-matrix test checks the two agree.

use chrono::NaiveDate;
use itinera_domain::access::{Basis, PersonFacts, SharingConsent};
use itinera_domain::consent::Purpose;
use itinera_domain::ids::{OrganisationId, ParticipantId};
use itinera_domain::org::OrganisationKind;
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

/// The SQL predicate "organisation `$org` (of kind `$kind`) may see participant
/// `{p}.id` on day `today`": each argument is an SQL expression (a placeholder such
/// as `$1`, or a column).
pub fn visible_sql(p: &str, org: &str, kind: &str, today: &str) -> String {
    visible_with(p, org, kind, today, "")
}

/// [`visible_sql`] checked row by row as an index delivers them: for a statement that
/// walks an index in order and stops at a page (a search by name). Under the rule's
/// `OR`, PostgreSQL may instead build the set of everyone reached through a case team
/// once ("hashed SubPlan": for a large organisation 184,000 rows, 650 ms at a million
/// people; 3 ms row by row) because its estimate ignores the `LIMIT`. `LIMIT 1 OFFSET 0`
/// in the subqueries rules that out (an `EXISTS` with an offset is not turned into a
/// set; one row is all an `EXISTS` reads anyway), and changes nothing on SQLite. The
/// rule is the same.
pub fn visible_sql_each_row(p: &str, org: &str, kind: &str, today: &str) -> String {
    visible_with(p, org, kind, today, " LIMIT 1 OFFSET 0")
}

fn visible_with(p: &str, org: &str, kind: &str, today: &str, tail: &str) -> String {
    format!(
        "({p}.restricted_at IS NULL AND ({p}.home_organisation_id = {org} OR (EXISTS (SELECT 1 FROM case_team_members vm \
           WHERE vm.participant_id = {p}.id AND vm.organisation_id = {org} AND vm.removed_at IS NULL{tail}) \
         AND EXISTS (SELECT 1 FROM consents vk JOIN consent_scopes vs ON vs.consent_id = vk.id \
           WHERE vk.participant_id = {p}.id AND vk.purpose = 'sharing' AND vk.given_on <= {today} \
             AND (vk.withdrawn_on IS NULL OR vk.withdrawn_on > {today}) \
             AND (vk.expires_on IS NULL OR vk.expires_on >= {today}) \
             AND (vs.organisation_id = {org} OR vs.organisation_kind = {kind}){tail}))))"
    )
}

/// The SQL predicate of the scoped roles' consent condition (`access::scoped_basis`):
/// organisation `$org` registered participant `{p}.id`, or an active sharing consent
/// covers it. The link (the course one trains, the contract one tutors) is the caller's.
pub fn consented_sql(p: &str, org: &str, kind: &str, today: &str) -> String {
    format!(
        "({p}.restricted_at IS NULL AND ({p}.home_organisation_id = {org} \
         OR EXISTS (SELECT 1 FROM consents vk JOIN consent_scopes vs ON vs.consent_id = vk.id \
           WHERE vk.participant_id = {p}.id AND vk.purpose = 'sharing' AND vk.given_on <= {today} \
             AND (vk.withdrawn_on IS NULL OR vk.withdrawn_on > {today}) \
             AND (vk.expires_on IS NULL OR vk.expires_on >= {today}) \
             AND (vs.organisation_id = {org} OR vs.organisation_kind = {kind}))))"
    )
}

/// Which form of the rule a query applies: the professionals' (`visible_sql`) or the
/// scoped roles' (`consented_sql`, with the link checked by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Team,
    Scoped,
}

impl Reach {
    pub fn sql(self, p: &str, org: &str, kind: &str, today: &str) -> String {
        match self {
            Reach::Team => visible_sql(p, org, kind, today),
            Reach::Scoped => consented_sql(p, org, kind, today),
        }
    }
}

/// The basis on which organisation `org` sees participant `pid` today, if any.
pub async fn basis(
    tx: &mut Tx,
    pid: ParticipantId,
    org: OrganisationId,
    kind: OrganisationKind,
    today: NaiveDate,
) -> Result<Option<Basis>, Error> {
    let sql = format!(
        "SELECT p.home_organisation_id FROM participants p WHERE p.id = $1 AND {}",
        visible_sql("p", "$2", "$3", "$4")
    );
    let home: Option<Uuid> = on_tx!(tx, c => sqlx::query_scalar(&sql)
        .bind(pid.0).bind(org.0).bind(kind.code()).bind(today)
        .fetch_optional(c).await.map_err(db_err))?;
    Ok(home.map(|h| {
        if h == org.0 {
            Basis::Registered
        } else {
            Basis::TeamWithConsent
        }
    }))
}

/// The facts the domain rule needs, loaded plainly (used to cross-check the SQL form).
pub async fn facts(tx: &mut Tx, pid: Uuid) -> Result<Option<PersonFacts>, Error> {
    let row: Option<(Uuid, bool)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT home_organisation_id, restricted_at IS NOT NULL FROM participants WHERE id = $1"
    ).bind(pid).fetch_optional(c).await.map_err(db_err))?;
    let Some((home, restricted)) = row else {
        return Ok(None);
    };
    let team: Vec<Uuid> = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT DISTINCT m.organisation_id FROM case_team_members m JOIN cases c ON c.id = m.case_id \
         WHERE c.participant_id = $1 AND m.removed_at IS NULL"
    ).bind(pid).fetch_all(c).await.map_err(db_err))?;
    type ConsentRow = (
        Uuid,
        String,
        NaiveDate,
        Option<NaiveDate>,
        Option<NaiveDate>,
    );
    let rows: Vec<ConsentRow> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, purpose, given_on, expires_on, withdrawn_on FROM consents WHERE participant_id = $1"
    ).bind(pid).fetch_all(c).await.map_err(db_err))?;
    let mut consents = Vec::new();
    for (id, purpose, given_on, expires_on, withdrawn_on) in rows {
        let scopes: Vec<(Option<Uuid>, Option<String>)> = on_tx!(tx, c => sqlx::query_as(
            "SELECT organisation_id, organisation_kind FROM consent_scopes WHERE consent_id = $1"
        ).bind(id).fetch_all(c).await.map_err(db_err))?;
        consents.push(SharingConsent {
            purpose: Purpose::parse(&purpose).unwrap_or(Purpose::Contact),
            given_on,
            expires_on,
            withdrawn_on,
            organisations: scopes.iter().filter_map(|s| s.0).collect(),
            organisation_kinds: scopes
                .iter()
                .filter_map(|s| s.1.as_deref().and_then(OrganisationKind::parse))
                .collect(),
        });
    }
    Ok(Some(PersonFacts {
        registering_organisation: home,
        team_organisations: team,
        consents,
        restricted,
    }))
}

/// Whether organisation `org` registered participant `pid` or an active sharing consent
/// covers it today (`consented_sql`, for a single person).
pub async fn consented(
    tx: &mut Tx,
    pid: Uuid,
    org: Uuid,
    kind: &str,
    today: NaiveDate,
) -> Result<bool, Error> {
    let sql = format!(
        "SELECT COUNT(*) FROM participants p WHERE p.id = $1 AND {}",
        consented_sql("p", "$2", "$3", "$4")
    );
    let n: i64 = on_tx!(tx, c => sqlx::query_scalar(&sql)
        .bind(pid).bind(org).bind(kind).bind(today)
        .fetch_one(c).await.map_err(db_err))?;
    Ok(n > 0)
}

/// Whether the person's record is restricted (GDPR art. 18): nothing in it is
/// processed until the restriction is lifted.
pub async fn restricted(tx: &mut Tx, pid: Uuid) -> Result<bool, Error> {
    let n: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM participants WHERE id = $1 AND restricted_at IS NOT NULL"
    ).bind(pid).fetch_one(c).await.map_err(db_err))?;
    Ok(n > 0)
}

/// Whether participant `pid` has been anonymised (erasure or retention).
pub async fn anonymised(tx: &mut Tx, pid: Uuid) -> Result<bool, Error> {
    let n: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM participants WHERE id = $1 AND anonymised_at IS NOT NULL"
    ).bind(pid).fetch_one(c).await.map_err(db_err))?;
    Ok(n > 0)
}
