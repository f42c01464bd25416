//! Imports from existing systems: how a source's columns map to the participant's
//! fields, and each row read into the same input a professional types — so every rule
//! of the registration form applies — with the source's ways of writing dates
//! (dd/mm/yyyy, yyyy-mm-dd, Excel serials), sexes (H/M, V/M, 1/2…), documents (kind
//! told from the number), yes/no and labour statuses in Spanish, Catalan, Italian and
//! English. A problem names the source column; the caller adds the line.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, FieldError};
use crate::participant::{DocumentInput, ParticipantInput};
use crate::text::fold;

crate::coded_enum!(Target {
    GivenName = "given_name",
    Surname1 = "surname1",
    Surname2 = "surname2",
    Surnames = "surnames",
    Sex = "sex",
    BirthDate = "birth_date",
    Document = "document",
    DocumentKind = "document_kind",
    Nationality = "nationality",
    Address = "address",
    Postcode = "postcode",
    Municipality = "municipality",
    Phone = "phone",
    Email = "email",
    LabourStatus = "labour_status",
    LabourStatusSince = "labour_status_since",
    Isced = "isced_level",
    Disability = "disability",
    ExternalId = "external_id",
    Ignore = "ignore",
});

/// One source column and the field it fills.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ColumnMap {
    pub column: String,
    pub target: String,
}

/// A source's mapping, saved per organisation and reused for every file of that source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Mapping {
    pub columns: Vec<ColumnMap>,
    /// The labour status of everyone in the file when no column holds it.
    pub default_labour_status: String,
    /// What a lone "M" means in the sex column: `female` (Spanish *mujer*, the default)
    /// or `male` (English *male*).
    pub m_means: String,
}

/// A mapping checked against a file's header.
#[derive(Debug, Clone)]
pub struct Resolved {
    columns: Vec<(usize, Target, String)>,
    default_labour_status: String,
    m_means_male: bool,
}

/// A problem in one cell (or, with an empty column, in the mapping's defaults).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CellProblem {
    pub column: String,
    /// The message's translation key.
    #[schema(value_type = String)]
    pub code: std::borrow::Cow<'static, str>,
}

/// A row read into a registration.
#[derive(Debug, Clone)]
pub struct RowRead {
    pub input: ParticipantInput,
    pub external_id: Option<String>,
    /// The municipality's name, to be found among the territories by the caller.
    pub municipality: Option<String>,
    pub problems: Vec<CellProblem>,
}

const REQUIRED: [Target; 3] = [Target::GivenName, Target::BirthDate, Target::Sex];

impl Mapping {
    /// Checks the mapping against a header: every mapped column exists, no field is
    /// filled twice, the fields a registration needs are there.
    pub fn resolve(&self, header: &[String]) -> Result<Resolved, Error> {
        let mut errors = Vec::new();
        let mut columns = Vec::new();
        for (i, c) in self.columns.iter().enumerate() {
            let Some(target) = Target::parse(&c.target) else {
                errors.push(FieldError::new(
                    format!("columns.{i}.target"),
                    "import.mapping.unknown_target",
                ));
                continue;
            };
            // An ignored column need not be in the file (a saved mapping outlives a
            // column the source system dropped).
            if target == Target::Ignore {
                continue;
            }
            let Some(pos) = header.iter().position(|h| h.trim() == c.column.trim()) else {
                errors.push(FieldError::new(
                    format!("columns.{i}.column"),
                    "import.mapping.unknown_column",
                ));
                continue;
            };
            if columns.iter().any(|(_, t, _)| *t == target) {
                errors.push(FieldError::new(
                    format!("columns.{i}.target"),
                    "import.mapping.duplicate_target",
                ));
                continue;
            }
            columns.push((pos, target, header.get(pos).cloned().unwrap_or_default()));
        }
        let has = |t: Target| columns.iter().any(|(_, x, _)| *x == t);
        for t in REQUIRED {
            if !has(t) {
                errors.push(FieldError::new(
                    format!("targets.{}", t.code()),
                    "import.mapping.missing_target",
                ));
            }
        }
        if !has(Target::Surname1) && !has(Target::Surnames) {
            errors.push(FieldError::new(
                "targets.surname1",
                "import.mapping.missing_target",
            ));
        }
        if has(Target::Surnames) && (has(Target::Surname1) || has(Target::Surname2)) {
            errors.push(FieldError::new(
                "targets.surnames",
                "import.mapping.surnames_twice",
            ));
        }
        let default_ls = self.default_labour_status.trim();
        if !has(Target::LabourStatus) {
            if default_ls.is_empty() {
                errors.push(FieldError::new(
                    "default_labour_status",
                    "import.mapping.default_labour_status",
                ));
            } else if labour_status(default_ls).is_none() {
                errors.push(FieldError::new(
                    "default_labour_status",
                    "validation.choice",
                ));
            }
        }
        let m_means_male = match self.m_means.trim() {
            "" | "female" => false,
            "male" => true,
            _ => {
                errors.push(FieldError::new("m_means", "validation.choice"));
                false
            }
        };
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        Ok(Resolved {
            columns,
            default_labour_status: labour_status(default_ls).unwrap_or_default().to_string(),
            m_means_male,
        })
    }
}

impl Resolved {
    /// The source column a registration field came from ("" when it came from the
    /// mapping's defaults).
    pub fn column_of(&self, field: &str) -> String {
        let target = match field.split('.').next().unwrap_or(field) {
            "given_name" => Target::GivenName,
            "surname1" if self.has(Target::Surnames) => Target::Surnames,
            "surname1" => Target::Surname1,
            "surname2" if self.has(Target::Surnames) => Target::Surnames,
            "surname2" => Target::Surname2,
            "sex" => Target::Sex,
            "birth_date" => Target::BirthDate,
            "documents" => Target::Document,
            "nationality" => Target::Nationality,
            "address" => Target::Address,
            "postcode" => Target::Postcode,
            "territory_id" => Target::Municipality,
            "phone" => Target::Phone,
            "email" => Target::Email,
            "labour_status" => Target::LabourStatus,
            "labour_status_since" => Target::LabourStatusSince,
            "isced_level" => Target::Isced,
            "disability" => Target::Disability,
            _ => return String::new(),
        };
        self.columns
            .iter()
            .find(|(_, t, _)| *t == target)
            .map(|(_, _, name)| name.clone())
            .unwrap_or_default()
    }

    fn has(&self, t: Target) -> bool {
        self.columns.iter().any(|(_, x, _)| *x == t)
    }

    /// Reads one row (cells in header order).
    pub fn read(&self, cells: &[String]) -> RowRead {
        let mut input = ParticipantInput {
            labour_status: self.default_labour_status.clone(),
            ..ParticipantInput::default()
        };
        let mut problems = Vec::new();
        let mut external_id = None;
        let mut municipality = None;
        let mut document: Option<String> = None;
        let mut document_kind: Option<String> = None;
        for (pos, target, column) in &self.columns {
            let v = cells.get(*pos).map(|s| s.trim()).unwrap_or_default();
            let mut bad = |code: &'static str| {
                problems.push(CellProblem {
                    column: column.clone(),
                    code: code.into(),
                })
            };
            match target {
                Target::GivenName => input.given_name = v.to_string(),
                Target::Surname1 => input.surname1 = v.to_string(),
                Target::Surname2 => input.surname2 = v.to_string(),
                Target::Surnames => {
                    let (a, b) = split_surnames(v);
                    input.surname1 = a;
                    input.surname2 = b;
                }
                Target::Sex => match sex(v, self.m_means_male) {
                    Some(s) => input.sex = s.to_string(),
                    None => bad("import.value.sex"),
                },
                Target::BirthDate => match date(v) {
                    Some(d) if !crate::input::within_years(d) => bad("validation.date.range"),
                    Some(d) => input.birth_date = d.to_string(),
                    None if v.is_empty() => {}
                    None if impossible_date(v) => bad("import.value.date_impossible"),
                    None => bad("import.value.date"),
                },
                Target::LabourStatusSince => match date(v) {
                    Some(d) if !crate::input::within_years(d) => bad("validation.date.range"),
                    Some(d) => input.labour_status_since = d.to_string(),
                    None if v.is_empty() => {}
                    None if impossible_date(v) => bad("import.value.date_impossible"),
                    None => bad("import.value.date"),
                },
                Target::Document => document = (!v.is_empty()).then(|| v.to_string()),
                Target::DocumentKind => document_kind = (!v.is_empty()).then(|| v.to_string()),
                Target::Nationality => match nationality(v) {
                    Some(n) => input.nationality = n,
                    None => bad("import.value.nationality"),
                },
                Target::Address => input.address = v.to_string(),
                Target::Postcode => input.postcode = v.to_string(),
                Target::Municipality => municipality = (!v.is_empty()).then(|| v.to_string()),
                Target::Phone => input.phone = v.to_string(),
                Target::Email => input.email = v.to_string(),
                Target::LabourStatus => match labour_status(v) {
                    Some(s) => input.labour_status = s.to_string(),
                    None if v.is_empty() && !self.default_labour_status.is_empty() => {}
                    None => bad("import.value.labour_status"),
                },
                Target::Isced => match isced(v) {
                    Some(s) => input.isced_level = s,
                    None => bad("import.value.isced"),
                },
                Target::Disability => match declined(v).then_some(None).or(yes_no(v).map(Some)) {
                    Some(Some(b)) => input.disability = b,
                    Some(None) => input.disability_declined = true,
                    None => bad("import.value.yes_no"),
                },
                Target::ExternalId => external_id = (!v.is_empty()).then(|| v.to_string()),
                Target::Ignore => {}
            }
        }
        if let Some(number) = document {
            let kind = match document_kind.as_deref() {
                Some(k) => match kind_of(k) {
                    Some(k) => k,
                    None => {
                        let column = self
                            .columns
                            .iter()
                            .find(|(_, t, _)| *t == Target::DocumentKind)
                            .map(|(_, _, c)| c.clone())
                            .unwrap_or_default();
                        problems.push(CellProblem {
                            column,
                            code: "import.value.document_kind".into(),
                        });
                        "other"
                    }
                },
                None => guess_kind(&number),
            };
            // A DNI or NIE without its letter: computed from the number, and marked.
            let completed =
                crate::documents::with_computed_letter(&number).filter(|(k, _)| k.code() == kind);
            let (kind, number, letter_computed) = match completed {
                Some((k, full)) => (k.code(), full, true),
                None => (kind, number, false),
            };
            input.documents = vec![DocumentInput {
                kind: kind.to_string(),
                number,
                letter_computed,
            }];
        }
        RowRead {
            input,
            external_id,
            municipality,
            problems,
        }
    }
}

/// Guesses the target of a column from its header, in the four languages and the
/// usual abbreviations of the systems in use.
pub fn guess_target(header: &str) -> Target {
    let h = fold(header).replace(['.', '_', '-', 'º', 'ª'], " ");
    let h = h.split_whitespace().collect::<Vec<_>>().join(" ");
    let is = |words: &[&str]| words.iter().any(|w| h == *w);
    let starts = |words: &[&str]| words.iter().any(|w| h.starts_with(w));
    if is(&[
        "nombre",
        "nom",
        "nome",
        "name",
        "given name",
        "first name",
        "nombre de pila",
    ]) {
        Target::GivenName
    } else if is(&[
        "apellido 1",
        "apellido1",
        "primer apellido",
        "1er apellido",
        "cognom 1",
        "primer cognom",
        "surname 1",
        "surname1",
        "cognome",
        "last name",
        "surname",
        "apellido",
    ]) {
        Target::Surname1
    } else if is(&[
        "apellido 2",
        "apellido2",
        "segundo apellido",
        "2o apellido",
        "cognom 2",
        "segon cognom",
        "surname 2",
        "surname2",
    ]) {
        Target::Surname2
    } else if is(&["apellidos", "cognoms", "cognomi", "surnames"]) {
        Target::Surnames
    } else if is(&["sexo", "sexe", "sesso", "sex", "genero", "gender"]) {
        Target::Sex
    } else if starts(&[
        "fecha nac",
        "f nac",
        "fecha de nac",
        "data naix",
        "data di nascita",
        "data nascita",
        "birth",
        "date of birth",
        "dob",
        "nacimiento",
        "fnac",
    ]) {
        Target::BirthDate
    } else if is(&[
        "tipo documento",
        "tipo doc",
        "tipus document",
        "tipo documento identidad",
        "document type",
        "tipo di documento",
    ]) {
        Target::DocumentKind
    } else if starts(&[
        "dni",
        "nie",
        "nif",
        "documento",
        "document",
        "codice fiscale",
        "cf",
        "pasaporte",
        "passport",
        "doc identidad",
        "n documento",
    ]) {
        Target::Document
    } else if starts(&[
        "nacionalidad",
        "nacionalitat",
        "nazionalita",
        "nationality",
        "cittadinanza",
    ]) {
        Target::Nationality
    } else if starts(&[
        "domicilio",
        "direccion",
        "adreca",
        "indirizzo",
        "address",
        "calle",
    ]) {
        Target::Address
    } else if is(&[
        "cp",
        "c p",
        "codigo postal",
        "codi postal",
        "cap",
        "postcode",
        "postal code",
        "zip",
    ]) {
        Target::Postcode
    } else if is(&[
        "municipio",
        "municipi",
        "comune",
        "municipality",
        "localidad",
        "poblacion",
        "town",
        "city",
        "ciudad",
    ]) {
        Target::Municipality
    } else if starts(&[
        "telefono",
        "tel",
        "telefon",
        "movil",
        "phone",
        "mobile",
        "cellulare",
    ]) {
        Target::Phone
    } else if starts(&["email", "e mail", "correo", "correu", "mail"]) {
        Target::Email
    } else if starts(&[
        "situacion laboral",
        "situacio laboral",
        "situazione lavorativa",
        "labour status",
        "employment status",
        "situacion",
    ]) {
        Target::LabourStatus
    } else if starts(&[
        "nivel educativo",
        "nivel de estudios",
        "estudios",
        "isced",
        "titolo di studio",
        "education",
    ]) {
        Target::Isced
    } else if starts(&["discapacidad", "discapacitat", "disabilita", "disability"]) {
        Target::Disability
    } else if starts(&[
        "id",
        "n expediente",
        "expediente",
        "codigo",
        "n historia",
        "historia",
        "ref",
        "reference",
        "codice",
    ]) {
        Target::ExternalId
    } else {
        Target::Ignore
    }
}

/// "García Pérez" → ("García", "Pérez"); "de la Fuente García" → ("de la Fuente",
/// "García"): particles stay with the surname they precede.
pub fn split_surnames(v: &str) -> (String, String) {
    const PARTICLES: [&str; 9] = ["de", "del", "la", "las", "los", "y", "i", "di", "da"];
    let words: Vec<&str> = v.split_whitespace().collect();
    let particles = words
        .iter()
        .take_while(|w| PARTICLES.contains(&fold(w).as_str()))
        .count();
    let (first, second) = words.split_at((particles + 1).min(words.len()));
    (first.join(" "), second.join(" "))
}

/// A sex as the source wrote it. `m_means_male`: whether a lone "M" is male.
pub fn sex(v: &str, m_means_male: bool) -> Option<&'static str> {
    match fold(v).as_str() {
        "m" if m_means_male => Some("male"),
        "m" => Some("female"),
        "f" | "mujer" | "femenino" | "female" | "woman" | "donna" | "femmina" | "dona" | "2"
        | "d" => Some("female"),
        "h" | "v" | "hombre" | "varon" | "masculino" | "male" | "man" | "uomo" | "maschio"
        | "home" | "1" => Some("male"),
        "x" | "no binario" | "non binary" | "non binario" | "no binari" | "nb" | "non_binary" => {
            Some("non_binary")
        }
        _ => None,
    }
}

/// A calendar date as the systems in use write it: `YYYY-MM-DD` (also with a time),
/// `DD/MM/YYYY`, `D/M/YYYY`, `DD-MM-YYYY`, `DD.MM.YYYY`, or an Excel serial number.
pub fn date(v: &str) -> Option<NaiveDate> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    if let Ok(n) = v.parse::<u32>() {
        // Excel counts days from 1899-12-31 as day 1, and believes 1900 was a leap year.
        if (1..=2_958_465).contains(&n) && v.len() <= 7 {
            let base = NaiveDate::from_ymd_opt(1899, 12, if n < 61 { 31 } else { 30 })?;
            return base.checked_add_signed(Duration::days(i64::from(n)));
        }
        return None;
    }
    let day_part = v.split([' ', 'T']).next().unwrap_or(v);
    for f in ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(day_part, f) {
            // Two-digit years are ambiguous (1905 or 2005?): refused.
            let year_digits = day_part
                .split(['/', '-', '.'])
                .map(str::len)
                .max()
                .unwrap_or(0);
            if year_digits == 4 {
                return Some(d);
            }
        }
    }
    None
}

/// A date written in a known shape whose day does not exist in its month (31/02/1980,
/// 1981-02-29): reported as such rather than as an unknown format.
pub fn impossible_date(v: &str) -> bool {
    let day_part = v.trim().split([' ', 'T']).next().unwrap_or("");
    let parts: Vec<&str> = day_part.split(['/', '-', '.']).collect();
    let [a, b, c] = parts.as_slice() else {
        return false;
    };
    let num = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|x| x.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (Some(x), Some(y), Some(z)) = (num(a), num(b), num(c)) else {
        return false;
    };
    let (year, month, day) = if a.len() == 4 {
        (x, y, z)
    } else if c.len() == 4 {
        (z, y, x)
    } else {
        return false;
    };
    (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && i32::try_from(year)
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y, month, day))
            .is_none()
}

/// A labour status in the four languages, or its code.
pub fn labour_status(v: &str) -> Option<&'static str> {
    let f = fold(v);
    let f = f.as_str();
    Some(match f {
        "unemployed"
        | "desempleado"
        | "desempleada"
        | "parado"
        | "parada"
        | "en paro"
        | "demandante de empleo"
        | "desocupat"
        | "desocupada"
        | "aturat"
        | "aturada"
        | "disoccupato"
        | "disoccupata" => "unemployed",
        "long term unemployed"
        | "long_term_unemployed"
        | "parado de larga duracion"
        | "parada de larga duracion"
        | "pld"
        | "desempleado de larga duracion"
        | "desempleada de larga duracion"
        | "aturat de llarga durada"
        | "disoccupato di lunga durata"
        | "disoccupata di lunga durata" => "long_term_unemployed",
        "employed" | "ocupado" | "ocupada" | "empleado" | "empleada" | "trabajando" | "ocupat"
        | "occupato" | "occupata" => "employed",
        "inactive" | "inactivo" | "inactiva" | "inactiu" | "inactiva/o" | "inattivo"
        | "inattiva" | "estudiante" | "jubilado" | "jubilada" => "inactive",
        _ => return None,
    })
}

fn isced(v: &str) -> Option<String> {
    let f = fold(v);
    let digits = f.trim_start_matches("isced").trim();
    if digits.is_empty() {
        return Some(String::new());
    }
    match digits.parse::<u8>() {
        Ok(n) if n <= 8 => Some(n.to_string()),
        _ => None,
    }
}

/// Yes/no as the systems in use write it; empty is no.
/// An answer that says the person declined to answer ("no contesta", "NS/NC", "non
/// risponde", "declined", "prefers not to say").
pub fn declined(v: &str) -> bool {
    matches!(
        fold(v).as_str(),
        "no contesta"
            | "ns nc"
            | "nc"
            | "no contesta no sabe"
            | "prefiere no contestar"
            | "prefereix no respondre"
            | "no respon"
            | "non risponde"
            | "preferisce non rispondere"
            | "declined"
            | "prefers not to say"
    )
}

pub fn yes_no(v: &str) -> Option<bool> {
    match fold(v).as_str() {
        "si" | "s" | "yes" | "y" | "true" | "verdadero" | "1" | "x" | "vero" | "cert" => Some(true),
        "" | "no" | "n" | "false" | "falso" | "0" | "fals" => Some(false),
        _ => None,
    }
}

/// A nationality: an ISO 3166-1 alpha-2 code, or the name of one of the usual ones.
pub fn nationality(v: &str) -> Option<String> {
    let t = v.trim();
    if t.is_empty() {
        return Some(String::new());
    }
    if t.len() == 2 && t.chars().all(|c| c.is_ascii_alphabetic()) {
        return Some(t.to_ascii_uppercase());
    }
    const NAMES: &[(&str, &[&str])] = &[
        (
            "ES",
            &[
                "espana",
                "espanola",
                "espanol",
                "spain",
                "spanish",
                "espanya",
                "espanyola",
                "spagna",
                "spagnola",
            ],
        ),
        (
            "IT",
            &[
                "italia",
                "italiana",
                "italiano",
                "italy",
                "italian",
                "italiana/o",
            ],
        ),
        ("PT", &["portugal", "portuguesa", "portugues", "portoghese"]),
        (
            "FR",
            &["francia", "francesa", "frances", "france", "french"],
        ),
        (
            "RO",
            &[
                "rumania", "rumana", "rumano", "romania", "romanian", "rumena", "rumeno",
            ],
        ),
        ("BG", &["bulgaria", "bulgara", "bulgaro"]),
        (
            "UA",
            &["ucrania", "ucraniana", "ucraniano", "ukraine", "ucraina"],
        ),
        (
            "MA",
            &[
                "marruecos",
                "marroqui",
                "morocco",
                "moroccan",
                "marocco",
                "marocchina",
                "marocchino",
                "marroc",
            ],
        ),
        ("DZ", &["argelia", "argelina", "argelino", "algeria"]),
        ("SN", &["senegal", "senegalesa", "senegales", "senegalese"]),
        ("ML", &["mali", "maliense"]),
        ("NG", &["nigeria", "nigeriana", "nigeriano"]),
        ("CO", &["colombia", "colombiana", "colombiano"]),
        ("EC", &["ecuador", "ecuatoriana", "ecuatoriano"]),
        ("VE", &["venezuela", "venezolana", "venezolano"]),
        ("PE", &["peru", "peruana", "peruano"]),
        ("BO", &["bolivia", "boliviana", "boliviano"]),
        ("HN", &["honduras", "hondurena", "hondureno"]),
        ("AR", &["argentina", "argentino"]),
        ("CN", &["china", "chino", "cina", "cinese"]),
        ("PK", &["pakistan", "pakistani"]),
        ("GE", &["georgia", "georgiana", "georgiano"]),
        ("SY", &["siria", "syria", "siria/o"]),
    ];
    let f = fold(t);
    NAMES
        .iter()
        .find(|(_, names)| names.contains(&f.as_str()))
        .map(|(code, _)| (*code).to_string())
}

fn kind_of(v: &str) -> Option<&'static str> {
    Some(match fold(v).replace(['.', ' '], "").as_str() {
        "dni" | "nif" => "dni",
        "nie" | "tie" => "nie",
        "cf" | "codicefiscale" | "codice_fiscale" => "codice_fiscale",
        "pasaporte" | "passport" | "pas" | "passaporto" | "passaport" | "pass" => "passport",
        "otro" | "other" | "altro" | "altre" | "altres" => "other",
        _ => return None,
    })
}

/// The kind of an identity number, told from its shape.
pub fn guess_kind(number: &str) -> &'static str {
    let n: String = number
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let b = n.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if let Ok(b) = <&[u8; 9]>::try_from(b) {
        if digits(&b[..8]) && b[8].is_ascii_alphabetic() {
            return "dni";
        }
        if matches!(b[0], b'X' | b'Y' | b'Z') && digits(&b[1..8]) {
            return "nie";
        }
    }
    if b.len() == 8 && digits(b) {
        return "dni";
    }
    if let [b'X' | b'Y' | b'Z', rest @ ..] = b {
        if rest.len() == 7 && digits(rest) {
            return "nie";
        }
    }
    if let Ok(b) = <&[u8; 16]>::try_from(b) {
        if b[..6].iter().all(u8::is_ascii_alphabetic) && digits(&b[6..8]) {
            return "codice_fiscale";
        }
    }
    "passport"
}

/// Finds a territory by name (accents and case ignored).
pub fn find_territory(name: &str, territories: &[(Uuid, String)]) -> Option<Uuid> {
    let f = fold(name);
    territories
        .iter()
        .find(|(_, n)| fold(n) == f)
        .map(|(id, _)| *id)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn header(cols: &[&str]) -> Vec<String> {
        cols.iter().map(|c| (*c).to_string()).collect()
    }

    fn mapping(pairs: &[(&str, &str)]) -> Mapping {
        Mapping {
            columns: pairs
                .iter()
                .map(|(c, t)| ColumnMap {
                    column: (*c).into(),
                    target: (*t).into(),
                })
                .collect(),
            default_labour_status: "unemployed".into(),
            m_means: String::new(),
        }
    }

    #[test]
    fn dates_in_the_forms_the_systems_use() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd);
        assert_eq!(date("07/03/1985"), d(1985, 3, 7));
        assert_eq!(date("7/3/1985"), d(1985, 3, 7));
        assert_eq!(date("1985-03-07"), d(1985, 3, 7));
        assert_eq!(date("1985-03-07 00:00:00"), d(1985, 3, 7));
        assert_eq!(date("07.03.1985"), d(1985, 3, 7));
        assert_eq!(date("31113"), d(1985, 3, 7), "an Excel serial");
        assert_eq!(date("1"), d(1900, 1, 1));
        assert_eq!(date("61"), d(1900, 3, 1));
        assert_eq!(date("07/03/85"), None, "two-digit years are refused");
        assert_eq!(date("31/02/1985"), None);
        assert_eq!(date("ayer"), None);
    }

    #[test]
    fn sexes_documents_and_statuses_as_written() {
        assert_eq!(sex("M", false), Some("female"));
        assert_eq!(sex("M", true), Some("male"));
        assert_eq!(sex("Varón", false), Some("male"));
        assert_eq!(sex("2", false), Some("female"));
        assert_eq!(sex("?", false), None);
        assert_eq!(guess_kind("12345678-Z"), "dni");
        assert_eq!(guess_kind("X1234567L"), "nie");
        assert_eq!(guess_kind("RSSMRA80A01H501U"), "codice_fiscale");
        assert_eq!(guess_kind("AB123456"), "passport");
        assert_eq!(guess_kind("X1234567"), "nie");
        assert!(impossible_date("31/02/1980") && impossible_date("1981-02-29"));
        assert!(!impossible_date("29/02/1980") && !impossible_date("32/01/1980"));
        assert!(!impossible_date("14/13/1980") && !impossible_date("mañana"));
        assert_eq!(
            labour_status("Parado de larga duración"),
            Some("long_term_unemployed")
        );
        assert_eq!(labour_status("Ocupada"), Some("employed"));
        assert_eq!(yes_no("Sí"), Some(true));
        assert_eq!(yes_no("quizá"), None);
        assert!(declined("NS/NC") && declined("Prefiere no contestar") && declined("non risponde"));
        assert!(!declined("No") && !declined("Sí"));
        assert_eq!(nationality("Marroquí").as_deref(), Some("MA"));
        assert_eq!(nationality("es").as_deref(), Some("ES"));
        assert_eq!(nationality("Atlántida"), None);
        assert_eq!(
            split_surnames("de la Fuente García"),
            ("de la Fuente".into(), "García".into())
        );
        assert_eq!(split_surnames("Pérez"), ("Pérez".into(), String::new()));
    }

    #[test]
    fn headers_are_guessed_in_the_usual_spellings() {
        assert_eq!(guess_target("Nombre"), Target::GivenName);
        assert_eq!(guess_target("1er Apellido"), Target::Surname1);
        assert_eq!(guess_target("Apellidos"), Target::Surnames);
        assert_eq!(guess_target("F. Nacimiento"), Target::BirthDate);
        assert_eq!(guess_target("DNI/NIE"), Target::Document);
        assert_eq!(guess_target("Nº Expediente"), Target::ExternalId);
        assert_eq!(guess_target("Data di nascita"), Target::BirthDate);
        assert_eq!(guess_target("Observaciones"), Target::Ignore);
    }

    #[test]
    fn a_mapping_names_what_is_wrong_with_it() {
        let h = header(&["Nombre", "Apellidos", "Sexo", "F. Nac."]);
        let mut m = mapping(&[
            ("Nombre", "given_name"),
            ("Apellidos", "surnames"),
            ("Sexo", "sex"),
            ("F. Nac.", "birth_date"),
        ]);
        assert!(m.resolve(&h).is_ok());
        m.columns.push(ColumnMap {
            column: "Teléfono".into(),
            target: "phone".into(),
        });
        m.columns[1].target = "sirname".into();
        m.default_labour_status = String::new();
        let Err(Error::Invalid(e)) = m.resolve(&h) else {
            panic!()
        };
        let codes: Vec<(&str, &str)> = e.iter().map(|f| (f.field.as_str(), f.code)).collect();
        assert_eq!(
            codes,
            [
                ("columns.1.target", "import.mapping.unknown_target"),
                ("columns.4.column", "import.mapping.unknown_column"),
                ("targets.surname1", "import.mapping.missing_target"),
                (
                    "default_labour_status",
                    "import.mapping.default_labour_status"
                ),
            ]
        );
    }

    #[test]
    fn a_row_becomes_a_registration_and_bad_cells_are_named() {
        let h = header(&[
            "Exp",
            "Nombre",
            "Apellidos",
            "Sexo",
            "F. Nac.",
            "DNI",
            "Nacionalidad",
            "Discapacidad",
        ]);
        let m = mapping(&[
            ("Exp", "external_id"),
            ("Nombre", "given_name"),
            ("Apellidos", "surnames"),
            ("Sexo", "sex"),
            ("F. Nac.", "birth_date"),
            ("DNI", "document"),
            ("Nacionalidad", "nationality"),
            ("Discapacidad", "disability"),
        ]);
        let r = m.resolve(&h).unwrap();
        let cells: Vec<String> = [
            "A-17",
            "Ana",
            "Gil de la Rosa",
            "M",
            "31113",
            "12345678Z",
            "Española",
            "no",
        ]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
        let row = r.read(&cells);
        assert!(row.problems.is_empty(), "{:?}", row.problems);
        assert_eq!(row.external_id.as_deref(), Some("A-17"));
        assert_eq!(row.input.surname1, "Gil");
        assert_eq!(row.input.surname2, "de la Rosa");
        assert_eq!(row.input.sex, "female");
        assert_eq!(row.input.birth_date, "1985-03-07");
        assert_eq!(row.input.documents[0].kind, "dni");
        assert_eq!(row.input.nationality, "ES");
        assert_eq!(row.input.labour_status, "unemployed");
        let mut bad = cells.clone();
        bad[3] = "?".into();
        bad[4] = "07/03/85".into();
        bad[7] = "a veces".into();
        let row = r.read(&bad);
        let p: Vec<(&str, &str)> = row
            .problems
            .iter()
            .map(|p| (p.column.as_str(), p.code.as_ref()))
            .collect();
        assert_eq!(
            p,
            [
                ("Sexo", "import.value.sex"),
                ("F. Nac.", "import.value.date"),
                ("Discapacidad", "import.value.yes_no")
            ]
        );
        // A year no record holds is told as such, in the files' both shapes.
        for far in ["01/01/2500", "1850-06-01", "2958465"] {
            let mut far_row = cells.clone();
            far_row[4] = far.into();
            let p: Vec<String> = r
                .read(&far_row)
                .problems
                .iter()
                .map(|p| p.code.to_string())
                .collect();
            assert_eq!(p, ["validation.date.range"], "{far}");
        }
        assert_eq!(r.column_of("documents.0.number"), "DNI");
        assert_eq!(r.column_of("surname1"), "Apellidos");
        assert_eq!(r.column_of("labour_status"), "");
    }
}
