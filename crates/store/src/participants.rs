//! Participants and their identity documents.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::documents::DocumentKind;
use itinera_domain::org::OrganisationKind;
use itinera_domain::participant::{Document, LabourStatus, ParticipantData, Sex};
use itinera_domain::text::{fold, prefix_end};
use itinera_domain::{Error, Page, PageRequest};
use uuid::Uuid;

use crate::access::visible_sql_each_row;
use crate::{db_err, on_tx, Tx};

#[derive(Debug, Clone)]
pub struct Participant {
    pub id: Uuid,
    pub home_organisation_id: Uuid,
    pub home_organisation_name: String,
    pub territory_name: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the record was anonymised (erasure or retention), if it was.
    pub anonymised_at: Option<DateTime<Utc>>,
    pub data: ParticipantData,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    home_organisation_id: Uuid,
    home_organisation_name: String,
    territory_name: Option<String>,
    given_name: String,
    surname1: String,
    surname2: Option<String>,
    sex: String,
    birth_date: NaiveDate,
    nationality: Option<String>,
    address: Option<String>,
    postcode: Option<String>,
    territory_id: Option<Uuid>,
    phone: Option<String>,
    email: Option<String>,
    isced_level: Option<i16>,
    labour_status: String,
    labour_status_since: Option<NaiveDate>,
    disability: bool,
    disability_declined: bool,
    disability_degree: Option<i16>,
    dependants: i16,
    single_parent: bool,
    homeless: bool,
    migrant: bool,
    minority: bool,
    minority_declined: bool,
    rural: bool,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    anonymised_at: Option<DateTime<Utc>>,
}

fn surname_key(d: &ParticipantData) -> String {
    fold(&format!(
        "{} {}",
        d.surname1,
        d.surname2.as_deref().unwrap_or_default()
    ))
}

/// Inserts a participant and their documents. A number another record of the
/// organisation holds is refused before anything is written, so a caller may go on in
/// the same transaction (an import's next row).
pub async fn insert(
    tx: &mut Tx,
    id: Uuid,
    home_org: Uuid,
    d: &ParticipantData,
    created_by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    check_documents(tx, id, home_org, &d.documents).await?;
    insert_many(
        tx,
        home_org,
        &[NewParticipant {
            id,
            person_id: id,
            data: d,
        }],
        created_by,
        now,
    )
    .await
}

/// The columns of a participant row, in the order bulk inserts give their values
/// (`prepare_many`, the demo's seeding).
pub const COLUMNS: [&str; 33] = [
    "id",
    "person_id",
    "home_organisation_id",
    "given_name",
    "surname1",
    "surname2",
    "sex",
    "birth_date",
    "nationality",
    "address",
    "postcode",
    "territory_id",
    "phone",
    "email",
    "isced_level",
    "labour_status",
    "labour_status_since",
    "disability",
    "disability_degree",
    "dependants",
    "single_parent",
    "homeless",
    "migrant",
    "minority",
    "rural",
    "surname_key",
    "given_key",
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "disability_declined",
    "minority_declined",
];

/// A participant to insert in bulk: its id and the person it belongs to (itself, or the
/// person an import linked it to).
pub struct NewParticipant<'a> {
    pub id: Uuid,
    pub person_id: Uuid,
    pub data: &'a ParticipantData,
}

/// Inserts many participants of one organisation and their documents (see
/// `prepare_many`).
pub async fn insert_many(
    tx: &mut Tx,
    home_org: Uuid,
    rows: &[NewParticipant<'_>],
    created_by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    for p in prepare_many(tx.engine(), home_org, rows, created_by, now)? {
        p.run(tx).await?;
    }
    Ok(())
}

/// The inserts of many participants of one organisation and their documents, in few
/// statements, prepared for `engine` ahead of the write (`bulk::Prepared`; run them in
/// order: the participants, then their documents). The caller has checked the
/// documents (`document_taken`) and the rows among themselves: a number taken breaks
/// the unique key and fails the whole insert.
pub fn prepare_many(
    engine: crate::Engine,
    home_org: Uuid,
    rows: &[NewParticipant<'_>],
    created_by: Uuid,
    now: DateTime<Utc>,
) -> Result<[crate::bulk::Prepared; 2], Error> {
    use crate::bulk::V;
    let mut people = Vec::with_capacity(rows.len());
    let mut docs = Vec::new();
    for r in rows {
        let d = r.data;
        people.push(vec![
            V::Uuid(r.id),
            V::Uuid(r.person_id),
            V::Uuid(home_org),
            V::Text(d.given_name.clone()),
            V::Text(d.surname1.clone()),
            V::OptText(d.surname2.clone()),
            V::Text(d.sex.code().to_string()),
            V::Date(d.birth_date),
            V::OptText(d.nationality.clone()),
            V::OptText(d.address.clone()),
            V::OptText(d.postcode.clone()),
            V::OptUuid(d.territory_id),
            V::OptText(d.phone.clone()),
            V::OptText(d.email.clone()),
            V::OptI16(d.isced_level),
            V::Text(d.labour_status.code().to_string()),
            V::OptDate(d.labour_status_since),
            V::Bool(d.disability),
            V::OptI16(d.disability_degree),
            V::I16(d.dependants),
            V::Bool(d.single_parent),
            V::Bool(d.homeless),
            V::Bool(d.migrant),
            V::Bool(d.minority),
            V::Bool(d.rural),
            V::Text(surname_key(d)),
            V::Text(fold(&d.given_name)),
            V::I32(1),
            V::Ts(now),
            V::Uuid(created_by),
            V::Ts(now),
            V::Bool(d.disability_declined),
            V::Bool(d.minority_declined),
        ]);
        for doc in &d.documents {
            docs.push(vec![
                V::Uuid(itinera_clock::new_id(now)),
                V::Uuid(r.id),
                V::Uuid(home_org),
                V::Text(doc.kind.code().to_string()),
                V::Text(doc.number.clone()),
                V::Ts(now),
                V::Bool(doc.letter_computed),
            ]);
        }
    }
    let people = crate::bulk::Prepared::new(engine, "participants", &COLUMNS, people, None)?;
    let docs = crate::bulk::Prepared::new(
        engine,
        "participant_documents",
        &[
            "id",
            "participant_id",
            "home_organisation_id",
            "kind",
            "number",
            "created_at",
            "letter_computed",
        ],
        docs,
        None,
    )?;
    Ok([people, docs])
}

/// Whether a record of organisation `home_org` holds one of `docs` (kind and number).
pub async fn document_taken(tx: &mut Tx, home_org: Uuid, docs: &[Document]) -> Result<bool, Error> {
    for d in docs {
        let other: Option<Uuid> = on_tx!(tx, c => sqlx::query_scalar(
            "SELECT participant_id FROM participant_documents WHERE home_organisation_id = $1 AND kind = $2 AND number = $3 LIMIT 1"
        ).bind(home_org).bind(d.kind.code()).bind(&d.number).fetch_optional(c).await.map_err(db_err))?;
        if other.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Updates a participant if `expected_version` is still current (optimistic locking).
pub async fn update(
    tx: &mut Tx,
    id: Uuid,
    home_org: Uuid,
    expected_version: i32,
    d: &ParticipantData,
    now: DateTime<Utc>,
) -> Result<i32, Error> {
    let skey = surname_key(d);
    let gkey = fold(&d.given_name);
    let v: Option<i32> = on_tx!(tx, c => sqlx::query_scalar(
        "UPDATE participants SET given_name=$3, surname1=$4, surname2=$5, sex=$6, birth_date=$7, nationality=$8, address=$9, postcode=$10, territory_id=$11, phone=$12, email=$13, isced_level=$14, labour_status=$15, labour_status_since=$16, disability=$17, disability_degree=$18, dependants=$19, single_parent=$20, homeless=$21, migrant=$22, minority=$23, rural=$24, surname_key=$25, given_key=$26, version = version + 1, updated_at=$27, disability_declined=$28, minority_declined=$29 \
         WHERE id = $1 AND version = $2 RETURNING version"
    )
    .bind(id).bind(expected_version).bind(&d.given_name).bind(&d.surname1).bind(&d.surname2)
    .bind(d.sex.code()).bind(d.birth_date).bind(&d.nationality).bind(&d.address).bind(&d.postcode)
    .bind(d.territory_id).bind(&d.phone).bind(&d.email).bind(d.isced_level).bind(d.labour_status.code())
    .bind(d.labour_status_since).bind(d.disability).bind(d.disability_degree).bind(d.dependants)
    .bind(d.single_parent).bind(d.homeless).bind(d.migrant).bind(d.minority).bind(d.rural)
    .bind(&skey).bind(&gkey).bind(now).bind(d.disability_declined).bind(d.minority_declined)
    .fetch_optional(c).await.map_err(db_err))?;
    let v = v.ok_or(Error::Conflict("error.stale_version"))?;
    replace_documents(tx, id, home_org, &d.documents, now).await?;
    Ok(v)
}

/// Refuses a number already held by another record of the same organisation (another
/// organisation's record of the same person is linked by the index, not refused).
async fn check_documents(
    tx: &mut Tx,
    pid: Uuid,
    home_org: Uuid,
    docs: &[Document],
) -> Result<(), Error> {
    for d in docs {
        let other: Option<Uuid> = on_tx!(tx, c => sqlx::query_scalar(
            "SELECT participant_id FROM participant_documents WHERE home_organisation_id = $4 AND kind = $1 AND number = $2 AND participant_id <> $3"
        ).bind(d.kind.code()).bind(&d.number).bind(pid).bind(home_org).fetch_optional(c).await.map_err(db_err))?;
        if other.is_some() {
            return Err(Error::Conflict("participant.document.exists"));
        }
    }
    Ok(())
}

async fn replace_documents(
    tx: &mut Tx,
    pid: Uuid,
    home_org: Uuid,
    docs: &[Document],
    now: DateTime<Utc>,
) -> Result<(), Error> {
    check_documents(tx, pid, home_org, docs).await?;
    on_tx!(tx, c => sqlx::query("DELETE FROM participant_documents WHERE participant_id = $1")
        .bind(pid).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    for d in docs {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO participant_documents (id, participant_id, home_organisation_id, kind, number, created_at, letter_computed) VALUES ($1,$2,$3,$4,$5,$6,$7)"
        ).bind(itinera_clock::new_id(now)).bind(pid).bind(home_org).bind(d.kind.code()).bind(&d.number).bind(now).bind(d.letter_computed)
        .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    }
    Ok(())
}

const SELECT: &str = "SELECT p.id, p.home_organisation_id, o.name AS home_organisation_name, t.name AS territory_name, p.given_name, p.surname1, p.surname2, p.sex, p.birth_date, p.nationality, p.address, p.postcode, p.territory_id, p.phone, p.email, p.isced_level, p.labour_status, p.labour_status_since, p.disability, p.disability_degree, p.dependants, p.single_parent, p.homeless, p.migrant, p.minority, p.rural, p.disability_declined, p.minority_declined, p.version, p.created_at, p.updated_at, p.anonymised_at \
     FROM participants p JOIN organisations o ON o.id = p.home_organisation_id LEFT JOIN territories t ON t.id = p.territory_id";

/// Loads a participant with no access check: callers check the basis first.
pub async fn get(tx: &mut Tx, id: Uuid) -> Result<Option<Participant>, Error> {
    let sql = format!("{SELECT} WHERE p.id = $1");
    let row: Option<Row> =
        on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))?;
    let Some(r) = row else { return Ok(None) };
    let docs: Vec<(String, String, bool)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT kind, number, letter_computed FROM participant_documents WHERE participant_id = $1 ORDER BY created_at, kind"
    ).bind(id).fetch_all(c).await.map_err(db_err))?;
    let documents = docs
        .into_iter()
        .filter_map(|(k, n, computed)| {
            DocumentKind::parse(&k).map(|kind| Document {
                kind,
                number: n,
                letter_computed: computed,
            })
        })
        .collect();
    let bad = |what: &str| Error::Internal(format!("stored participant has an unknown {what}"));
    Ok(Some(Participant {
        id: r.id,
        home_organisation_id: r.home_organisation_id,
        home_organisation_name: r.home_organisation_name,
        territory_name: r.territory_name,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
        anonymised_at: r.anonymised_at,
        data: ParticipantData {
            given_name: r.given_name,
            surname1: r.surname1,
            surname2: r.surname2,
            sex: Sex::parse(&r.sex).ok_or_else(|| bad("sex"))?,
            birth_date: r.birth_date,
            nationality: r.nationality,
            address: r.address,
            postcode: r.postcode,
            territory_id: r.territory_id,
            phone: r.phone,
            email: r.email,
            isced_level: r.isced_level,
            labour_status: LabourStatus::parse(&r.labour_status)
                .ok_or_else(|| bad("labour status"))?,
            labour_status_since: r.labour_status_since,
            disability: r.disability,
            disability_declined: r.disability_declined,
            disability_degree: r.disability_degree,
            dependants: r.dependants,
            single_parent: r.single_parent,
            homeless: r.homeless,
            migrant: r.migrant,
            minority: r.minority,
            minority_declined: r.minority_declined,
            rural: r.rural,
            documents,
        },
    }))
}

/// One line of a result list: identity numbers are masked.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Summary {
    pub id: Uuid,
    pub given_name: String,
    pub surname1: String,
    pub surname2: Option<String>,
    pub birth_date: NaiveDate,
    pub home_organisation_name: String,
    pub territory_name: Option<String>,
    pub document: Option<String>,
}

impl Summary {
    pub fn full_name(&self) -> String {
        match &self.surname2 {
            Some(s) => format!("{} {} {}", self.given_name, self.surname1, s),
            None => format!("{} {}", self.given_name, self.surname1),
        }
    }
}

/// One way a query can match, with the order its index delivers.
struct Branch {
    cond: String,
    order: &'static str,
}

const BY_SURNAME: &str = "p.surname_key, p.given_key, p.id";
const BY_GIVEN: &str = "p.given_key, p.surname_key, p.id";

/// Searches the participants an organisation may see: by identity number (when the
/// query has digits), surnames, given name, or given name and surnames (prefixes,
/// accents and case ignored). Results come in that order of kinds, each kind in the
/// order of its index, so every kind is an index range scan that stops as soon as the
/// page is full, whatever the size of the registry.
pub async fn search(
    tx: &mut Tx,
    org: Uuid,
    kind: OrganisationKind,
    today: NaiveDate,
    query: &str,
    page: PageRequest,
) -> Result<Page<Summary>, Error> {
    // $1 org, $2 kind, $3 today; the text values from $4.
    let mut binds: Vec<String> = Vec::new();
    let range = |col: &str, prefix: &str, binds: &mut Vec<String>| {
        binds.push(prefix.to_string());
        binds.push(prefix_end(prefix));
        format!(
            "({col} >= ${} AND {col} < ${})",
            binds.len() + 2,
            binds.len() + 3
        )
    };
    let doc = itinera_domain::documents::normalise(query);
    let folded = fold(query);
    let mut branches = Vec::new();
    if doc.chars().any(|c| c.is_ascii_digit()) {
        let r = range("number", &doc, &mut binds);
        branches.push(Branch {
            cond: format!("p.id IN (SELECT participant_id FROM participant_documents WHERE {r})"),
            order: BY_SURNAME,
        });
    }
    if !folded.is_empty() {
        let terms: Vec<&str> = folded.split(' ').take(5).collect();
        let whole = terms.join(" ");
        branches.push(Branch {
            cond: range("p.surname_key", &whole, &mut binds),
            order: BY_SURNAME,
        });
        branches.push(Branch {
            cond: range("p.given_key", &whole, &mut binds),
            order: BY_GIVEN,
        });
        for k in 1..terms.len() {
            let (given, surnames) = terms.split_at(k);
            let g = range("p.given_key", &given.join(" "), &mut binds);
            let sn = range("p.surname_key", &surnames.join(" "), &mut binds);
            branches.push(Branch {
                cond: format!("({g} AND {sn})"),
                order: BY_SURNAME,
            });
        }
    }
    // With nothing typed, the list starts from who the organisation may see at all —
    // its own records and the people of the cases it is on the team of — rather than
    // walking the whole registry in name order until a page of them turns up (a
    // million records for an organisation that sees a few hundred).
    let from = if branches.is_empty() {
        branches.push(Branch {
            cond: "p.id = cand.id".into(),
            order: BY_SURNAME,
        });
        "(SELECT id FROM participants WHERE home_organisation_id = $1 \
           UNION SELECT vc.participant_id FROM case_team_members vm JOIN cases vc ON vc.id = vm.case_id \
           WHERE vm.organisation_id = $1 AND vm.removed_at IS NULL) cand CROSS JOIN participants p"
    } else {
        "participants p"
    };

    // A search pages through its first matches only (a person is found by narrowing
    // it): a page far beyond them would load every record the actor may see.
    const MAX_MATCHES: i64 = 10_000;
    let wanted = (page.offset() + page.limit() + 1).min(MAX_MATCHES + 1) as usize;
    let mut found: Vec<Summary> = Vec::new();
    for (i, b) in branches.iter().enumerate() {
        if found.len() >= wanted {
            break;
        }
        // A person matching an earlier kind is listed there only.
        let earlier: String = branches
            .iter()
            .take(i)
            .map(|e| format!(" AND NOT {}", e.cond))
            .collect();
        let sql = format!(
            "SELECT p.id, p.given_name, p.surname1, p.surname2, p.birth_date, o.name AS home_organisation_name, t.name AS territory_name, \
               (SELECT d.number FROM participant_documents d WHERE d.participant_id = p.id ORDER BY d.created_at LIMIT 1) AS document \
             FROM {from} JOIN organisations o ON o.id = p.home_organisation_id LEFT JOIN territories t ON t.id = p.territory_id \
             WHERE {cond}{earlier} AND {vis} ORDER BY {order} LIMIT ${l}",
            cond = b.cond,
            vis = visible_sql_each_row("p", "$1", "$2", "$3"),
            order = b.order,
            l = binds.len() + 4,
        );
        let limit = (wanted - found.len()) as i64;
        let rows: Vec<Summary> = on_tx!(tx, c => {
            let mut q = sqlx::query_as(&sql).bind(org).bind(kind.code()).bind(today);
            for v in &binds {
                q = q.bind(v);
            }
            q.bind(limit).fetch_all(c).await.map_err(db_err)
        })?;
        found.extend(rows);
    }
    let start = (page.offset() as usize).min(found.len());
    let rest = found.split_off(start);
    Ok(Page::from_overfetch(rest, page).map(|mut s| {
        s.document = s.document.map(|d| itinera_domain::text::mask_document(&d));
        s
    }))
}
