//! The demo data set: the CRISOL story in Extremadura's seven cities, with their
//! disadvantaged zones, social services, employment offices, third-sector entities and
//! insertion companies; the CRISOL and CRISOL-FORMACIÓN programmes; participants with
//! plausible Spanish and foreign names and valid documents; cases in every phase.
//! Deterministic for a given seed and time. Rows go in with multi-row inserts, in
//! batches, so that the benchmark's million participants seed quickly.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use itinera_domain::assessment::{suggested_goal_domains, text_in, Instrument, Score};
use itinera_domain::case::DEFAULT_PHASES;
use itinera_domain::documents::{codice_fiscale_check, dni_letter};
use itinera_domain::itinerary::{SnapAction, SnapGoal, Snapshot};
use itinera_domain::text::fold;
use itinera_domain::Error;
use itinera_store::bulk::{insert, V};
use itinera_store::Store;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::auth::hash_password;
use crate::{Caller, Ctx};

pub const DEMO_PASSWORD: &str = "itinera-demo";

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub seed: u64,
    pub participants: usize,
    /// Contacts to generate in all, when more than the few each case gets anyway
    /// (the benchmark asks for millions).
    pub contacts: Option<usize>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            seed: 2017,
            participants: 1200,
            contacts: None,
        }
    }
}

/// Cases per professional: a large demo gets as many social workers, counsellors and
/// technicians per city as such caseloads need (the demo logins are the first team).
pub const CASELOAD: usize = 150;

#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub username: String,
    pub role: &'static str,
    pub organisation: String,
}

#[derive(Debug, Clone)]
pub struct DemoReport {
    /// False when the database already held the demo (nothing was written).
    pub seeded: bool,
    pub participants: usize,
    pub cases: usize,
    pub contacts: usize,
    /// Seconds spent on the participants with their consents and cases…
    pub people_seconds: f64,
    /// …and on the work inside the cases (assessments, itineraries, contacts).
    pub casework_seconds: f64,
    pub logins: Vec<DemoLogin>,
}

struct City {
    name: &'static str,
    ine: &'static str,
    province: usize,
    zones: &'static [&'static str],
    ngo: &'static str,
}

const CITIES: &[City] = &[
    City {
        name: "Badajoz",
        ine: "06015",
        province: 0,
        zones: &[
            "Cerro de Reyes",
            "Suerte de Saavedra",
            "San Roque",
            "Gurugú",
        ],
        ngo: "Asociación Puentes de Inclusión",
    },
    City {
        name: "Cáceres",
        ine: "10037",
        province: 1,
        zones: &["Aldea Moret", "Charca Musia", "San Blas"],
        ngo: "Fundación Camino Abierto",
    },
    City {
        name: "Mérida",
        ine: "06083",
        province: 0,
        zones: &["San Lázaro", "Las Abadías", "Nueva Ciudad"],
        ngo: "Asociación Emerita Solidaria",
    },
    City {
        name: "Plasencia",
        ine: "10148",
        province: 1,
        zones: &["San Miguel", "La Data"],
        ngo: "Fundación Jerte Inclusiva",
    },
    City {
        name: "Don Benito",
        ine: "06044",
        province: 0,
        zones: &["Las Cumbres", "El Pilar"],
        ngo: "Asociación Vegas Altas por el Empleo",
    },
    City {
        name: "Villanueva de la Serena",
        ine: "06153",
        province: 0,
        zones: &["La Nava", "San Isidro"],
        ngo: "Asociación La Serena Integra",
    },
    City {
        name: "Almendralejo",
        ine: "06011",
        province: 0,
        zones: &["San Roque", "Las Mercedes"],
        ngo: "Fundación Tierra de Barros",
    },
];

const INSERTION_COMPANIES: &[&str] = &[
    "Reciclajes Guadiana, Empresa de Inserción",
    "Limpiezas Alcántara Inserta S.L.",
    "Jardinería Vía de la Plata, Empresa de Inserción",
];

const F_NAMES: &[&str] = &[
    "María",
    "Carmen",
    "Ana",
    "Isabel",
    "Laura",
    "Lucía",
    "Cristina",
    "Marta",
    "Rocío",
    "Pilar",
    "Sara",
    "Raquel",
    "Elena",
    "Inmaculada",
    "Yolanda",
    "Noelia",
    "Sonia",
    "Beatriz",
    "Alba",
    "Paula",
    "Nuria",
    "Verónica",
    "Silvia",
    "Remedios",
    "Josefa",
    "Dolores",
    "Antonia",
    "Francisca",
    "Manuela",
    "María José",
    "María del Carmen",
    "Ana Belén",
    "Guadalupe",
    "Montaña",
];
const M_NAMES: &[&str] = &[
    "José",
    "Antonio",
    "Manuel",
    "Francisco",
    "Juan",
    "David",
    "Javier",
    "Daniel",
    "Jesús",
    "Carlos",
    "Miguel",
    "Alejandro",
    "Rafael",
    "Pedro",
    "Ángel",
    "Pablo",
    "Sergio",
    "Fernando",
    "Jorge",
    "Luis",
    "Alberto",
    "Álvaro",
    "Adrián",
    "Rubén",
    "Iván",
    "Óscar",
    "José Antonio",
    "Juan Carlos",
    "Francisco Javier",
    "José Manuel",
    "Agustín",
    "Joaquín",
];
const SURNAMES: &[&str] = &[
    "García",
    "Fernández",
    "González",
    "Rodríguez",
    "López",
    "Martínez",
    "Sánchez",
    "Pérez",
    "Gómez",
    "Martín",
    "Jiménez",
    "Ruiz",
    "Hernández",
    "Díaz",
    "Moreno",
    "Muñoz",
    "Álvarez",
    "Romero",
    "Alonso",
    "Gutiérrez",
    "Navarro",
    "Torres",
    "Domínguez",
    "Vázquez",
    "Ramos",
    "Gil",
    "Ramírez",
    "Serrano",
    "Blanco",
    "Molina",
    "Morales",
    "Suárez",
    "Ortega",
    "Delgado",
    "Castro",
    "Ortiz",
    "Rubio",
    "Marín",
    "Sanz",
    "Núñez",
    "Iglesias",
    "Medina",
    "Garrido",
    "Cortés",
    "Castillo",
    "Santos",
    "Lozano",
    "Guerrero",
    "Cano",
    "Prieto",
    "Méndez",
    "Cruz",
    "Calvo",
    "Gallego",
    "Vidal",
    "León",
    "Márquez",
    "Herrera",
    "Peña",
    "Flores",
    "Cabrera",
    "Campos",
    "Vega",
    "Fuentes",
    "Carrasco",
    "Caballero",
    "Reyes",
    "Nieto",
    "Pascual",
    "Montero",
    "Lorenzo",
    "Hidalgo",
    "Durán",
    "Mogollón",
    "Borrella",
    "Merchán",
    "Bermejo",
    "Sayago",
    "Tena",
    "Barroso",
    "Masa",
    "Chamorro",
    "Silva",
    "Gallardo",
    "Rosado",
    "de la Cruz",
    "del Pozo",
];

struct Foreign {
    nationality: &'static str,
    f: &'static [&'static str],
    m: &'static [&'static str],
    surnames: &'static [&'static str],
    two_surnames: bool,
}

const FOREIGN: &[Foreign] = &[
    Foreign {
        nationality: "MA",
        f: &["Fátima", "Khadija", "Aicha", "Naima", "Salma", "Zineb"],
        m: &["Mohamed", "Ahmed", "Youssef", "Said", "Hamid", "Karim"],
        surnames: &[
            "El Amrani",
            "Benali",
            "Bouzid",
            "Haddad",
            "Ouali",
            "Tahiri",
            "El Idrissi",
        ],
        two_surnames: false,
    },
    Foreign {
        nationality: "RO",
        f: &["Andreea", "Elena", "Ioana", "Mihaela", "Florentina"],
        m: &["Ionuț", "Mihai", "Gheorghe", "Constantin", "Marian"],
        surnames: &[
            "Popescu",
            "Ionescu",
            "Dumitru",
            "Stan",
            "Constantin",
            "Popa",
        ],
        two_surnames: false,
    },
    Foreign {
        nationality: "CO",
        f: &["Leidy", "Yuliana", "Marisol", "Luz Dary"],
        m: &["Yeferson", "Wilmer", "Jhon Jairo", "Andrés Felipe"],
        surnames: &[
            "Restrepo", "Cardona", "Quintero", "Ospina", "Giraldo", "Valencia",
        ],
        two_surnames: true,
    },
    Foreign {
        nationality: "UA",
        f: &["Olena", "Iryna", "Oksana", "Natalia"],
        m: &["Oleksandr", "Andriy", "Serhiy", "Dmytro"],
        surnames: &[
            "Shevchenko",
            "Kovalenko",
            "Bondarenko",
            "Tkachenko",
            "Melnyk",
        ],
        two_surnames: false,
    },
    Foreign {
        nationality: "SN",
        f: &["Awa", "Fatou", "Mariama"],
        m: &["Mamadou", "Ousmane", "Cheikh"],
        surnames: &["Diop", "Ndiaye", "Fall", "Sow"],
        two_surnames: false,
    },
];

const IT_F: &[&str] = &["Giulia", "Francesca", "Chiara", "Sara"];
const IT_M: &[&str] = &["Giuseppe", "Marco", "Luca", "Alessandro"];
const IT_SURNAMES: &[&str] = &["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano"];

/// Deterministic v7 identifiers: the demo's time and the seeded generator.
struct Ids {
    rng: ChaCha8Rng,
    ms: u64,
}

impl Ids {
    fn next(&mut self) -> Uuid {
        self.ms += 1;
        let bytes: [u8; 10] = self.rng.gen();
        uuid::Builder::from_unix_timestamp_millis(self.ms, &bytes).into_uuid()
    }
}

struct Org {
    id: Uuid,
}

struct CityOrgs {
    /// The city's name, for the names the demo's snapshots carry.
    name: &'static str,
    social: Org,
    employment: Org,
    ngo: Org,
    territory: Uuid,
    zones: Vec<Uuid>,
    social_worker: Uuid,
    counsellor: Uuid,
    technician: Uuid,
    /// Teams of (social worker, counsellor, technician); the first is the demo logins'.
    staff: Vec<[Uuid; 3]>,
}

impl CityOrgs {
    /// The team that follows a person (by their id, so no random draw is spent on it).
    fn team(&self, pid: Uuid) -> (usize, [Uuid; 3]) {
        let k = (pid.as_u128() % self.staff.len().max(1) as u128) as usize;
        (
            k,
            self.staff.get(k).copied().unwrap_or([
                self.social_worker,
                self.counsellor,
                self.technician,
            ]),
        )
    }

    /// The names of team `k`'s social worker and counsellor, as the users were created.
    fn names(&self, k: usize) -> (String, String) {
        if k == 0 {
            (
                format!("Trabajadora social · {}", self.name),
                format!("Orientador laboral · {}", self.name),
            )
        } else {
            (
                format!("Trabajadora social {} · {}", k + 1, self.name),
                format!("Orientador laboral {} · {}", k + 1, self.name),
            )
        }
    }
}

/// `xs[i]`; the generator's lists are never empty, so the default is never used.
fn nth<T: Copy + Default>(xs: &[T], i: usize) -> T {
    xs.get(i).copied().unwrap_or_default()
}

fn pick<'a, R: Rng>(rng: &mut R, xs: &'a [&'a str]) -> &'a str {
    xs.choose(rng).copied().unwrap_or("")
}

fn fresh_dni<R: Rng>(rng: &mut R, used: &mut HashSet<String>) -> String {
    loop {
        let n: u32 = rng.gen_range(10_000_000..80_000_000);
        let s = format!("{n:08}{}", dni_letter(n));
        if used.insert(s.clone()) {
            return s;
        }
    }
}

fn fresh_nie<R: Rng>(rng: &mut R, used: &mut HashSet<String>) -> String {
    loop {
        let p: u32 = rng.gen_range(0..3);
        let n: u32 = rng.gen_range(0..10_000_000);
        let letter = dni_letter(p * 10_000_000 + n);
        let s = format!("{}{n:07}{letter}", nth(&['X', 'Y', 'Z'], p as usize));
        if used.insert(s.clone()) {
            return s;
        }
    }
}

fn fresh_cf<R: Rng>(
    rng: &mut R,
    used: &mut HashSet<String>,
    surname: &str,
    name: &str,
    birth: NaiveDate,
    female: bool,
) -> String {
    use chrono::Datelike;
    let cons = |s: &str| -> String {
        let up: String = fold(s)
            .to_uppercase()
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect();
        let c: String = up.chars().filter(|c| !"AEIOU".contains(*c)).collect();
        let v: String = up.chars().filter(|c| "AEIOU".contains(*c)).collect();
        format!("{c}{v}XXX").chars().take(3).collect()
    };
    loop {
        let months = ['A', 'B', 'C', 'D', 'E', 'H', 'L', 'M', 'P', 'R', 'S', 'T'];
        let day = birth.day() + if female { 40 } else { 0 };
        let town = format!(
            "{}{:03}",
            char::from(b'A' + rng.gen_range(0..26u8)),
            rng.gen_range(1..999)
        );
        let first = format!(
            "{}{}{:02}{}{:02}{}",
            cons(surname),
            cons(name),
            birth.year() % 100,
            nth(&months, birth.month0() as usize),
            day,
            town
        );
        let Some(check) = codice_fiscale_check(first.as_bytes()) else {
            continue;
        };
        let s = format!("{first}{}", char::from(check));
        if used.insert(s.clone()) {
            return s;
        }
    }
}

/// Seeds the demo into an empty database (an already seeded one is left as it is).
pub async fn seed(
    store: &Store,
    now: DateTime<Utc>,
    opts: &DemoOptions,
    mut progress: impl FnMut(usize, usize),
) -> Result<DemoReport, Error> {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut ids = Ids {
        rng: ChaCha8Rng::seed_from_u64(opts.seed ^ 0x5eed),
        ms: (now.timestamp_millis() as u64).saturating_sub(10_000_000),
    };
    let today = now.date_naive();
    let logins_template = demo_logins();

    let mut tx = store.write().await?;
    if itinera_store::admin::user_by_username(&mut tx, "admin")
        .await?
        .is_some()
    {
        tx.rollback().await?;
        return Ok(DemoReport {
            seeded: false,
            participants: 0,
            cases: 0,
            contacts: 0,
            people_seconds: 0.0,
            casework_seconds: 0.0,
            logins: logins_template,
        });
    }
    // Never mix the demo into a real database.
    if !itinera_store::admin::organisations(&mut tx)
        .await?
        .is_empty()
    {
        tx.rollback().await?;
        return Err(Error::Rule("demo.database_not_empty"));
    }

    // Territories.
    let region = ids.next();
    let provinces = [ids.next(), ids.next()];
    let mut terr_rows = vec![
        vec![
            V::Uuid(region),
            V::OptUuid(None),
            V::Text("region".into()),
            V::OptText(Some("11".into())),
            V::Text("Extremadura".into()),
            V::Ts(now),
        ],
        vec![
            V::Uuid(provinces[0]),
            V::OptUuid(Some(region)),
            V::Text("province".into()),
            V::OptText(Some("06".into())),
            V::Text("Badajoz (provincia)".into()),
            V::Ts(now),
        ],
        vec![
            V::Uuid(provinces[1]),
            V::OptUuid(Some(region)),
            V::Text("province".into()),
            V::OptText(Some("10".into())),
            V::Text("Cáceres (provincia)".into()),
            V::Ts(now),
        ],
    ];

    // Organisations, users, memberships.
    let pw = hash_password(DEMO_PASSWORD)?;
    let mut org_rows = Vec::new();
    let mut user_rows = Vec::new();
    let mut member_rows = Vec::new();
    let add_org = |ids: &mut Ids,
                   name: String,
                   kind: &str,
                   territory: Option<Uuid>,
                   org_rows: &mut Vec<Vec<V>>|
     -> Org {
        let id = ids.next();
        org_rows.push(vec![
            V::Uuid(id),
            V::Text(name),
            V::Text(kind.into()),
            V::OptUuid(territory),
            V::Bool(true),
            V::Ts(now),
        ]);
        Org { id }
    };
    let add_user = |ids: &mut Ids,
                    username: &str,
                    display: &str,
                    memberships: &[(Uuid, &str)],
                    user_rows: &mut Vec<Vec<V>>,
                    member_rows: &mut Vec<Vec<V>>|
     -> Uuid {
        let id = ids.next();
        user_rows.push(vec![
            V::Uuid(id),
            V::Text(username.into()),
            V::Text(display.into()),
            V::OptText(None),
            V::Text(pw.clone()),
            V::Text("es".into()),
            V::Bool(true),
            V::I32(0),
            V::Ts(now),
        ]);
        for (org, role) in memberships {
            member_rows.push(vec![
                V::Uuid(ids.next()),
                V::Uuid(id),
                V::Uuid(*org),
                V::Text((*role).into()),
                V::Ts(now),
            ]);
        }
        id
    };

    let consejeria = add_org(
        &mut ids,
        "Consejería de Sanidad y Servicios Sociales".into(),
        "authority",
        Some(region),
        &mut org_rows,
    );
    let sexpe = add_org(
        &mut ids,
        "Servicio Extremeño Público de Empleo (SEXPE)".into(),
        "authority",
        Some(region),
        &mut org_rows,
    );
    let it = add_org(
        &mut ids,
        "Junta de Extremadura — Servicio de Informática".into(),
        "authority",
        Some(region),
        &mut org_rows,
    );
    let dpo = add_org(
        &mut ids,
        "Delegación de Protección de Datos".into(),
        "authority",
        Some(region),
        &mut org_rows,
    );
    for n in INSERTION_COMPANIES {
        add_org(
            &mut ids,
            n.to_string(),
            "insertion_company",
            Some(region),
            &mut org_rows,
        );
    }

    let mut cities = Vec::new();
    for c in CITIES {
        let t = ids.next();
        terr_rows.push(vec![
            V::Uuid(t),
            V::OptUuid(Some(nth(&provinces, c.province))),
            V::Text("municipality".into()),
            V::OptText(Some(c.ine.into())),
            V::Text(c.name.into()),
            V::Ts(now),
        ]);
        let mut zones = Vec::new();
        for (i, z) in c.zones.iter().enumerate() {
            let zid = ids.next();
            terr_rows.push(vec![
                V::Uuid(zid),
                V::OptUuid(Some(t)),
                V::Text("zone".into()),
                V::OptText(Some(format!("{}-Z{}", c.ine, i + 1))),
                V::Text(format!("{z} ({})", c.name)),
                V::Ts(now),
            ]);
            zones.push(zid);
        }
        let social = add_org(
            &mut ids,
            format!("Servicios Sociales de Atención Social Básica de {}", c.name),
            "social_services",
            Some(t),
            &mut org_rows,
        );
        let employment = add_org(
            &mut ids,
            format!("Centro de Empleo SEXPE {}", c.name),
            "employment_service",
            Some(t),
            &mut org_rows,
        );
        let ngo = add_org(
            &mut ids,
            c.ngo.to_string(),
            "third_sector",
            Some(t),
            &mut org_rows,
        );
        let slug = fold(c.name).replace(' ', "");
        let social_worker = add_user(
            &mut ids,
            &format!("ts.{slug}"),
            &format!("Trabajadora social · {}", c.name),
            &[(social.id, "social_worker")],
            &mut user_rows,
            &mut member_rows,
        );
        let counsellor = add_user(
            &mut ids,
            &format!("orienta.{slug}"),
            &format!("Orientador laboral · {}", c.name),
            &[(employment.id, "employment_counsellor")],
            &mut user_rows,
            &mut member_rows,
        );
        let technician = add_user(
            &mut ids,
            &format!("tecnico.{slug}"),
            &format!("Técnica de inserción · {}", c.ngo),
            &[(ngo.id, "technician")],
            &mut user_rows,
            &mut member_rows,
        );
        let mut staff = vec![[social_worker, counsellor, technician]];
        let teams = (opts.participants / CITIES.len()).div_ceil(CASELOAD).max(1);
        for k in 2..=teams {
            staff.push([
                add_user(
                    &mut ids,
                    &format!("ts.{slug}.{k}"),
                    &format!("Trabajadora social {k} · {}", c.name),
                    &[(social.id, "social_worker")],
                    &mut user_rows,
                    &mut member_rows,
                ),
                add_user(
                    &mut ids,
                    &format!("orienta.{slug}.{k}"),
                    &format!("Orientador laboral {k} · {}", c.name),
                    &[(employment.id, "employment_counsellor")],
                    &mut user_rows,
                    &mut member_rows,
                ),
                add_user(
                    &mut ids,
                    &format!("tecnico.{slug}.{k}"),
                    &format!("Técnica de inserción {k} · {}", c.ngo),
                    &[(ngo.id, "technician")],
                    &mut user_rows,
                    &mut member_rows,
                ),
            ]);
        }
        cities.push(CityOrgs {
            name: c.name,
            social,
            employment,
            ngo,
            territory: t,
            zones,
            social_worker,
            counsellor,
            technician,
            staff,
        });
    }
    let Some(badajoz) = cities.first() else {
        return Err(Error::Internal("no cities".into()));
    };
    add_user(
        &mut ids,
        "gestora.badajoz",
        "Gestora de casos · Badajoz",
        &[(badajoz.social.id, "case_manager")],
        &mut user_rows,
        &mut member_rows,
    );
    add_user(
        &mut ids,
        "coordina.crisol",
        "Coordinadora técnica CRISOL",
        &[(badajoz.social.id, "coordinator")],
        &mut user_rows,
        &mut member_rows,
    );
    add_user(
        &mut ids,
        "programa.junta",
        "Gestor del programa CRISOL",
        &[
            (consejeria.id, "programme_manager"),
            (sexpe.id, "programme_manager"),
        ],
        &mut user_rows,
        &mut member_rows,
    );
    add_user(
        &mut ids,
        "auditoria",
        "Auditora · Protección de Datos",
        &[(dpo.id, "auditor")],
        &mut user_rows,
        &mut member_rows,
    );
    add_user(
        &mut ids,
        "admin",
        "Administración Itinera",
        &[(it.id, "admin")],
        &mut user_rows,
        &mut member_rows,
    );

    insert(
        &mut tx,
        "territories",
        &["id", "parent_id", "level", "code", "name", "created_at"],
        &terr_rows,
    )
    .await?;
    insert(
        &mut tx,
        "organisations",
        &["id", "name", "kind", "territory_id", "active", "created_at"],
        &org_rows,
    )
    .await?;
    insert(
        &mut tx,
        "users",
        &[
            "id",
            "username",
            "display_name",
            "email",
            "password_hash",
            "locale",
            "active",
            "failed_logins",
            "created_at",
        ],
        &user_rows,
    )
    .await?;
    insert(
        &mut tx,
        "memberships",
        &["id", "user_id", "organisation_id", "role", "created_at"],
        &member_rows,
    )
    .await?;

    // Programmes.
    let crisol = ids.next();
    let formacion = ids.next();
    let start = NaiveDate::from_ymd_opt(2021, 1, 1);
    insert(
        &mut tx,
        "programmes",
        &["id", "code", "name", "description", "feeds_programme_id", "start_date", "end_date", "active", "created_at"],
        &[
            vec![V::Uuid(formacion), V::Text("CRISOL-FORMACIÓN".into()), V::Text("CRISOL Formación en alternancia con el empleo".into()), V::Text("Formación en alternancia con el empleo de participantes de CRISOL, con contratación por empresas.".into()), V::OptUuid(None), V::OptDate(start), V::OptDate(None), V::Bool(true), V::Ts(now)],
            vec![V::Uuid(crisol), V::Text("CRISOL".into()), V::Text("Programa de Crecimiento e Inserción Sociolaboral".into()), V::Text("Itinerarios integrados y personalizados de inserción sociolaboral en las zonas desfavorecidas de siete ciudades.".into()), V::OptUuid(Some(formacion)), V::OptDate(start), V::OptDate(None), V::Bool(true), V::Ts(now)],
        ],
    )
    .await?;
    let formacion_phases = [
        "preselection",
        "selection",
        "training",
        "employment",
        "follow_up",
    ];
    let mut phase_rows = Vec::new();
    for (i, p) in DEFAULT_PHASES.iter().enumerate() {
        phase_rows.push(vec![
            V::Uuid(crisol),
            V::I32(i as i32),
            V::Text((*p).into()),
            V::Text((*p).into()),
        ]);
    }
    for (i, p) in formacion_phases.iter().enumerate() {
        phase_rows.push(vec![
            V::Uuid(formacion),
            V::I32(i as i32),
            V::Text((*p).into()),
            V::Text((*p).into()),
        ]);
    }
    insert(
        &mut tx,
        "programme_phases",
        &["programme_id", "position", "code", "label"],
        &phase_rows,
    )
    .await?;
    let mut funding = Vec::new();
    for prog in [crisol, formacion] {
        funding.push(vec![
            V::Uuid(ids.next()),
            V::Uuid(prog),
            V::Text("FSE+".into()),
            V::I32(8000),
        ]);
        funding.push(vec![
            V::Uuid(ids.next()),
            V::Uuid(prog),
            V::Text("Junta de Extremadura".into()),
            V::I32(2000),
        ]);
    }
    insert(
        &mut tx,
        "funding_sources",
        &["id", "programme_id", "fund", "share_bp"],
        &funding,
    )
    .await?;
    let mut project_rows = Vec::new();
    let mut crisol_projects = Vec::new();
    let mut formacion_projects = Vec::new();
    for (c, orgs) in CITIES.iter().zip(&cities) {
        let slug = fold(c.name).to_uppercase().replace(' ', "-");
        let p1 = ids.next();
        let p2 = ids.next();
        project_rows.push(vec![
            V::Uuid(p1),
            V::Uuid(crisol),
            V::Text(format!("CRISOL-{slug}")),
            V::Text(format!("CRISOL {}", c.name)),
            V::OptUuid(Some(orgs.territory)),
            V::OptUuid(Some(orgs.social.id)),
            V::Ts(now),
        ]);
        project_rows.push(vec![
            V::Uuid(p2),
            V::Uuid(formacion),
            V::Text(format!("FORM-{slug}")),
            V::Text(format!("Formación en alternancia · {}", c.ngo)),
            V::OptUuid(Some(orgs.territory)),
            V::OptUuid(Some(orgs.ngo.id)),
            V::Ts(now),
        ]);
        crisol_projects.push(p1);
        formacion_projects.push(p2);
    }
    insert(
        &mut tx,
        "projects",
        &[
            "id",
            "programme_id",
            "code",
            "name",
            "territory_id",
            "organisation_id",
            "created_at",
        ],
        &project_rows,
    )
    .await?;
    finish(
        tx,
        Caller::CommandLine,
        &Ctx::cli(now),
        Action::DemoSeed,
        None,
        json!({"participants": opts.participants, "seed": opts.seed}),
    )
    .await?;

    // Participants, in batches, each batch one transaction. A thread generates the next
    // batch while this one is written. The person tables are empty: their secondary
    // indexes are built once at the end, not row by row.
    let total = opts.participants;
    let started = crate::clock::Stopwatch::start();
    let mut tx = store.write().await?;
    let indexes = itinera_store::bulk::suspend_indexes(&mut tx, PERSON_TABLES).await?;
    let casework_indexes = itinera_store::bulk::suspend_indexes(&mut tx, CASEWORK_TABLES).await?;
    tx.commit().await?;
    let cities = std::sync::Arc::new(cities);
    let people_cities = cities.clone();
    let (sender, mut receiver) =
        tokio::sync::mpsc::channel::<(Rows, usize, usize, Vec<CaseFacts>)>(2);
    let generator = std::thread::spawn(move || {
        let cities = people_cities;
        let mut used_docs = HashSet::new();
        let mut done = 0;
        while done < total {
            let n = 10_000.min(total - done);
            let mut rows = Rows::default();
            let mut facts = Vec::new();
            let mut cases = 0;
            for _ in 0..n {
                let ci = rng.gen_range(0..cities.len());
                let Some(city) = cities.get(ci) else {
                    continue;
                };
                cases += person(
                    &mut rng,
                    &mut ids,
                    &mut used_docs,
                    &mut rows,
                    &mut facts,
                    ci,
                    city,
                    crisol,
                    formacion,
                    nth(&crisol_projects, ci),
                    nth(&formacion_projects, ci),
                    now,
                    today,
                );
            }
            done += n;
            if sender.blocking_send((rows, n, cases, facts)).is_err() {
                break;
            }
        }
        ids
    });
    let mut cases = 0usize;
    let mut done = 0;
    let mut all_facts = Vec::new();
    while let Some((rows, n, c, facts)) = receiver.recv().await {
        let mut tx = store.bulk_write().await?;
        rows.write(&mut tx).await?;
        tx.commit().await?;
        done += n;
        cases += c;
        all_facts.extend(facts);
        progress(done, total);
    }
    let ids = generator
        .join()
        .map_err(|_| Error::Internal("demo generator failed".into()))?;
    let mut tx = store.write().await?;
    itinera_store::bulk::restore_indexes(&mut tx, &indexes).await?;
    tx.commit().await?;
    let people_seconds = started.elapsed().as_secs_f64();

    // The work inside the cases, from the facts of each CRISOL case, with a random
    // stream and identifiers of its own so the people of a seed stay the same.
    let started = crate::clock::Stopwatch::start();
    let instrument = casework_instrument(store).await?;
    let natural = all_facts.len() * 2;
    let extra_per_case = opts
        .contacts
        .map(|c| c.saturating_sub(natural) as f64 / all_facts.len().max(1) as f64)
        .unwrap_or(0.0);
    let mut work = Casework {
        rng: ChaCha8Rng::seed_from_u64(opts.seed ^ 0xca5e_3041),
        ids,
        instrument_id: instrument.0,
        instrument: instrument.1,
        extra_per_case,
    };
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<(Rows, usize)>(2);
    let generator = std::thread::spawn(move || {
        for chunk in all_facts.chunks(10_000) {
            let mut rows = Rows::default();
            for f in chunk {
                if let Some(city) = cities.get(f.city) {
                    casework(&mut work, &mut rows, city, f, today, now);
                }
            }
            let contacts = rows.contacts.len();
            if sender.blocking_send((rows, contacts)).is_err() {
                break;
            }
        }
    });
    let mut contacts = 0usize;
    while let Some((rows, n)) = receiver.recv().await {
        let mut tx = store.bulk_write().await?;
        rows.write(&mut tx).await?;
        tx.commit().await?;
        contacts += n;
    }
    generator
        .join()
        .map_err(|_| Error::Internal("demo casework generator failed".into()))?;
    let mut tx = store.write().await?;
    itinera_store::bulk::restore_indexes(&mut tx, &casework_indexes).await?;
    tx.commit().await?;

    Ok(DemoReport {
        seeded: true,
        participants: opts.participants,
        cases,
        contacts,
        people_seconds,
        casework_seconds: started.elapsed().as_secs_f64(),
        logins: logins_template,
    })
}

const PERSON_TABLES: &[&str] = &[
    "participants",
    "participant_documents",
    "consents",
    "consent_scopes",
    "cases",
    "case_team_members",
    "case_events",
];

const CASEWORK_TABLES: &[&str] = &[
    "assessments",
    "itineraries",
    "itinerary_goals",
    "itinerary_actions",
    "itinerary_versions",
    "itinerary_reviews",
    "contacts",
    "contact_participants",
];

#[derive(Default)]
struct Rows {
    participants: Vec<Vec<V>>,
    documents: Vec<Vec<V>>,
    consents: Vec<Vec<V>>,
    scopes: Vec<Vec<V>>,
    cases: Vec<Vec<V>>,
    members: Vec<Vec<V>>,
    events: Vec<Vec<V>>,
    assessments: Vec<Vec<V>>,
    itineraries: Vec<Vec<V>>,
    goals: Vec<Vec<V>>,
    actions: Vec<Vec<V>>,
    versions: Vec<Vec<V>>,
    contacts: Vec<Vec<V>>,
    contact_people: Vec<Vec<V>>,
}

impl Rows {
    async fn write(&self, tx: &mut itinera_store::Tx) -> Result<(), Error> {
        insert(
            tx,
            "participants",
            &[
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
            ],
            &self.participants,
        )
        .await?;
        insert(
            tx,
            "participant_documents",
            &[
                "id",
                "participant_id",
                "home_organisation_id",
                "kind",
                "number",
                "created_at",
            ],
            &self.documents,
        )
        .await?;
        insert(
            tx,
            "consents",
            &[
                "id",
                "participant_id",
                "home_organisation_id",
                "purpose",
                "given_on",
                "expires_on",
                "withdrawn_on",
                "withdrawal_note",
                "evidence",
                "recorded_by",
                "recorded_by_organisation_id",
                "created_at",
            ],
            &self.consents,
        )
        .await?;
        insert(
            tx,
            "consent_scopes",
            &[
                "consent_id",
                "home_organisation_id",
                "organisation_id",
                "organisation_kind",
            ],
            &self.scopes,
        )
        .await?;
        insert(
            tx,
            "cases",
            &[
                "id",
                "participant_id",
                "home_organisation_id",
                "programme_id",
                "project_id",
                "opened_by_organisation_id",
                "case_manager_id",
                "phase",
                "status",
                "opened_on",
                "closed_on",
                "exit_reason",
                "version",
                "created_at",
                "updated_at",
            ],
            &self.cases,
        )
        .await?;
        insert(
            tx,
            "case_team_members",
            &[
                "id",
                "case_id",
                "home_organisation_id",
                "user_id",
                "organisation_id",
                "role",
                "added_at",
                "removed_at",
            ],
            &self.members,
        )
        .await?;
        insert(
            tx,
            "case_events",
            &[
                "id",
                "case_id",
                "home_organisation_id",
                "kind",
                "from_phase",
                "to_phase",
                "from_status",
                "to_status",
                "reason",
                "actor_id",
                "actor_organisation_id",
                "at",
            ],
            &self.events,
        )
        .await?;
        insert(
            tx,
            "assessments",
            &[
                "id",
                "case_id",
                "participant_id",
                "home_organisation_id",
                "instrument_id",
                "assessed_on",
                "assessor_id",
                "assessor_organisation_id",
                "profile",
                "scores",
                "note",
                "created_at",
            ],
            &self.assessments,
        )
        .await?;
        insert(
            tx,
            "itineraries",
            &[
                "id",
                "case_id",
                "home_organisation_id",
                "commitments",
                "language",
                "review_on",
                "signed_versions",
                "version",
                "created_at",
                "updated_at",
            ],
            &self.itineraries,
        )
        .await?;
        insert(
            tx,
            "itinerary_goals",
            &[
                "id",
                "itinerary_id",
                "home_organisation_id",
                "domain",
                "description",
                "target_on",
                "status",
                "position",
                "created_at",
                "updated_at",
            ],
            &self.goals,
        )
        .await?;
        insert(
            tx,
            "itinerary_actions",
            &[
                "id",
                "itinerary_id",
                "home_organisation_id",
                "goal_id",
                "kind",
                "service",
                "description",
                "organisation_id",
                "responsible_id",
                "starts_on",
                "due_on",
                "status",
                "status_reason",
                "created_at",
                "updated_at",
            ],
            &self.actions,
        )
        .await?;
        insert(
            tx,
            "itinerary_versions",
            &[
                "id",
                "itinerary_id",
                "home_organisation_id",
                "number",
                "snapshot",
                "signed_on",
                "signatories",
                "recorded_by",
                "recorded_at",
            ],
            &self.versions,
        )
        .await?;
        insert(
            tx,
            "contacts",
            &[
                "id",
                "case_id",
                "home_organisation_id",
                "happened_on",
                "kind",
                "summary",
                "next_step",
                "visibility",
                "author_id",
                "author_organisation_id",
                "created_at",
            ],
            &self.contacts,
        )
        .await?;
        insert(
            tx,
            "contact_participants",
            &[
                "contact_id",
                "home_organisation_id",
                "user_id",
                "organisation_id",
            ],
            &self.contact_people,
        )
        .await?;
        Ok(())
    }
}

/// What the casework generator needs: its own random stream (so the people of a seed
/// stay the same whatever casework is added) and the default instrument.
struct Casework {
    rng: ChaCha8Rng,
    ids: Ids,
    instrument_id: Uuid,
    instrument: Instrument,
    /// Follow-up contacts to add per case, on average, beyond the natural ones.
    extra_per_case: f64,
}

async fn casework_instrument(store: &Store) -> Result<(Uuid, Instrument), Error> {
    let mut tx = store.read().await?;
    let rows = itinera_store::assessments::current_instruments(&mut tx).await?;
    tx.rollback().await?;
    let row = rows
        .into_iter()
        .find(|r| r.code == "itinera-default")
        .ok_or_else(|| Error::Internal("the default instrument is missing".into()))?;
    let i = serde_json::from_str(&row.definition).map_err(|e| Error::Internal(e.to_string()))?;
    Ok((row.id, i))
}

const FOLLOW_UPS: &[(&str, &str)] = &[
    (
        "phone",
        "Llamada de seguimiento: acude a las acciones previstas",
    ),
    (
        "individual_interview",
        "Entrevista de seguimiento del itinerario",
    ),
    (
        "phone",
        "Recordatorio de cita y revisión de la documentación",
    ),
    (
        "group_session",
        "Sesión grupal de habilidades para el empleo",
    ),
    (
        "individual_interview",
        "Revisión de la búsqueda de empleo y de ofertas",
    ),
];

/// What the casework of one CRISOL case follows from.
struct CaseFacts {
    city: usize,
    team: usize,
    case_id: Uuid,
    pid: Uuid,
    home: Uuid,
    opened: NaiveDate,
    phase_idx: usize,
    open: bool,
}

/// The work inside a CRISOL case, as far as its phase has gone: an assessment from the
/// diagnosis phase on (a second one, better, from training on), an itinerary with goals
/// and actions of the social and employment services and a signed agreement from the
/// plan phase on, and a few contacts.
#[allow(clippy::too_many_arguments)]
fn casework(
    w: &mut Casework,
    rows: &mut Rows,
    city: &CityOrgs,
    f: &CaseFacts,
    today: NaiveDate,
    now: DateTime<Utc>,
) {
    let span = (today - f.opened).num_days().max(1);
    let day = |k: i64| (f.opened + Duration::days(span * k / 10)).min(today);
    let [sw, co, _] = city.staff.get(f.team).copied().unwrap_or([
        city.social_worker,
        city.counsellor,
        city.technician,
    ]);
    let so = city.social.id;
    let eo = city.employment.id;
    let ids = &mut w.ids;
    let mut last_scores: Vec<Score> = Vec::new();
    if f.phase_idx >= 3 {
        let n = if f.phase_idx >= 5 { 2 } else { 1 };
        let base: Vec<i16> = w
            .instrument
            .domains
            .iter()
            .map(|_| w.rng.gen_range(1..=4))
            .collect();
        for k in 0..n {
            let aid = ids.next();
            let scores: Vec<Score> = w
                .instrument
                .domains
                .iter()
                .zip(&base)
                .map(|(d, b)| {
                    let na = d.allow_na && w.rng.gen_range(0..10) == 0;
                    Score {
                        domain: d.code.clone(),
                        level: (!na).then(|| (b + k as i16 + w.rng.gen_range(0..2)).min(5)),
                        note: None,
                    }
                })
                .collect();
            let derived = w.instrument.derive(&scores);
            let (assessor, org) = if k == 0 { (sw, so) } else { (co, eo) };
            rows.assessments.push(vec![
                V::Uuid(aid),
                V::Uuid(f.case_id),
                V::Uuid(f.pid),
                V::Uuid(f.home),
                V::Uuid(w.instrument_id),
                V::Date(day(3 + 4 * k as i64)),
                V::Uuid(assessor),
                V::Uuid(org),
                V::Text(derived.profile),
                V::Text(serde_json::to_string(&scores).unwrap_or_default()),
                V::OptText(None),
                V::Ts(now),
            ]);
            last_scores = scores;
        }
    }
    if f.phase_idx >= 4 {
        let iid = ids.next();
        let signed_on = day(5);
        let review_on = if f.open {
            Some(today + Duration::days(w.rng.gen_range(-10..80)))
        } else {
            None
        };
        let commitments = "Acudir a las citas acordadas\nAvisar con antelación si no puedo asistir\nParticipar en las acciones de formación";
        rows.itineraries.push(vec![
            V::Uuid(iid),
            V::Uuid(f.case_id),
            V::Uuid(f.home),
            V::Text(commitments.into()),
            V::Text("es".into()),
            V::OptDate(review_on),
            V::I32(1),
            V::I32(2),
            V::Ts(now),
            V::Ts(now),
        ]);
        let low = suggested_goal_domains(&w.instrument, &last_scores);
        let goal_domains: Vec<String> = if low.is_empty() {
            vec!["employment".into()]
        } else {
            low.into_iter().take(2).collect()
        };
        let mut snap_goals = Vec::new();
        let mut goal_ids = Vec::new();
        for (i, d) in goal_domains.iter().enumerate() {
            let gid = ids.next();
            let label = w
                .instrument
                .domain(d)
                .map(|x| text_in(&x.label, "es").to_lowercase())
                .unwrap_or_default();
            let description = format!("Mejorar la situación en {label}");
            let target = Some(day(9) + Duration::days(120));
            rows.goals.push(vec![
                V::Uuid(gid),
                V::Uuid(iid),
                V::Uuid(f.home),
                V::Text(d.clone()),
                V::Text(description.clone()),
                V::OptDate(target),
                V::Text("open".into()),
                V::I32(i as i32 + 1),
                V::Ts(now),
                V::Ts(now),
            ]);
            snap_goals.push(SnapGoal {
                id: gid,
                domain: d.clone(),
                description,
                target_on: target,
                status: "open".into(),
            });
            goal_ids.push(gid);
        }
        let (social_name, emp_name) = city.names(f.team);
        let social_org = format!(
            "Servicios Sociales de Atención Social Básica de {}",
            city.name
        );
        let emp_org = format!("Centro de Empleo SEXPE {}", city.name);
        let plan = [
            (
                "social_support",
                "social",
                "Acompañamiento social y gestión de prestaciones",
                sw,
                so,
                &social_name,
                &social_org,
            ),
            (
                "orientation",
                "employment",
                "Orientación laboral y búsqueda activa de empleo",
                co,
                eo,
                &emp_name,
                &emp_org,
            ),
        ];
        let mut snap_actions = Vec::new();
        for (i, (kind, service, text, user, org, uname, oname)) in plan.into_iter().enumerate() {
            let aid = ids.next();
            let starts = signed_on;
            let due = today + Duration::days(w.rng.gen_range(-5..60));
            let due = due.max(starts);
            let status = if !f.open {
                "done"
            } else if due < today {
                "in_progress"
            } else {
                "planned"
            };
            rows.actions.push(vec![
                V::Uuid(aid),
                V::Uuid(iid),
                V::Uuid(f.home),
                V::OptUuid(goal_ids.get(i).copied()),
                V::Text(kind.into()),
                V::Text(service.into()),
                V::Text(text.into()),
                V::Uuid(org),
                V::Uuid(user),
                V::Date(starts),
                V::Date(due),
                V::Text(status.into()),
                V::OptText(None),
                V::Ts(now),
                V::Ts(now),
            ]);
            snap_actions.push(SnapAction {
                id: aid,
                kind: kind.into(),
                service: service.into(),
                description: text.into(),
                organisation_name: oname.clone(),
                responsible_name: uname.clone(),
                starts_on: starts,
                due_on: due,
                status: status.into(),
            });
        }
        let snapshot = Snapshot {
            commitments: commitments.into(),
            language: "es".into(),
            goals: snap_goals,
            actions: snap_actions,
        };
        let signatories = vec!["La persona participante".to_string(), social_name, emp_name];
        rows.versions.push(vec![
            V::Uuid(ids.next()),
            V::Uuid(iid),
            V::Uuid(f.home),
            V::I32(1),
            V::Text(serde_json::to_string(&snapshot).unwrap_or_default()),
            V::Date(signed_on),
            V::Text(serde_json::to_string(&signatories).unwrap_or_default()),
            V::Uuid(sw),
            V::Ts(now),
        ]);
    }
    // Contacts: an intake interview; a joint interview once the counsellor is on the
    // team; a note only the social service reads.
    let contact = |rows: &mut Rows,
                   ids: &mut Ids,
                   on: NaiveDate,
                   kind: &str,
                   summary: &str,
                   visibility: &str,
                   people: &[(Uuid, Uuid)]| {
        let cid = ids.next();
        rows.contacts.push(vec![
            V::Uuid(cid),
            V::Uuid(f.case_id),
            V::Uuid(f.home),
            V::Date(on),
            V::Text(kind.into()),
            V::Text(summary.into()),
            V::OptText(None),
            V::Text(visibility.into()),
            V::Uuid(sw),
            V::Uuid(so),
            V::Ts(now),
        ]);
        for (u, o) in people {
            rows.contact_people.push(vec![
                V::Uuid(cid),
                V::Uuid(f.home),
                V::Uuid(*u),
                V::Uuid(*o),
            ]);
        }
    };
    contact(
        rows,
        ids,
        f.opened,
        "individual_interview",
        "Entrevista de acogida: situación y expectativas de la persona",
        "team",
        &[(sw, so)],
    );
    if f.phase_idx >= 2 {
        contact(
            rows,
            ids,
            day(2),
            "joint_interview",
            "Entrevista conjunta de servicios sociales y empleo para acordar el itinerario",
            "team",
            &[(sw, so), (co, eo)],
        );
    }
    if f.phase_idx >= 3 && w.rng.gen_bool(0.5) {
        contact(
            rows,
            ids,
            day(4),
            "home_visit",
            "Visita a domicilio: situación familiar y de vivienda",
            "service",
            &[(sw, so)],
        );
    }
    // Follow-up contacts, spread over the case's life, when many are asked for.
    let whole = w.extra_per_case.floor();
    let extra =
        whole as usize + usize::from(w.rng.gen_bool((w.extra_per_case - whole).clamp(0.0, 1.0)));
    for _ in 0..extra {
        let on = f.opened + Duration::days(w.rng.gen_range(0..=span));
        let (kind, summary) = nth(FOLLOW_UPS, w.rng.gen_range(0..FOLLOW_UPS.len()));
        let vis = match w.rng.gen_range(0..20) {
            0 => "author",
            1..=3 => "service",
            _ => "team",
        };
        let by = if f.phase_idx >= 2 && w.rng.gen_bool(0.4) {
            (co, eo)
        } else {
            (sw, so)
        };
        let cid = ids.next();
        rows.contacts.push(vec![
            V::Uuid(cid),
            V::Uuid(f.case_id),
            V::Uuid(f.home),
            V::Date(on.min(today)),
            V::Text(kind.into()),
            V::Text(summary.into()),
            V::OptText(None),
            V::Text(vis.into()),
            V::Uuid(by.0),
            V::Uuid(by.1),
            V::Ts(now),
        ]);
        rows.contact_people.push(vec![
            V::Uuid(cid),
            V::Uuid(f.home),
            V::Uuid(by.0),
            V::Uuid(by.1),
        ]);
    }
}

fn at(d: NaiveDate, hour: u32) -> DateTime<Utc> {
    d.and_hms_opt(hour, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default()
}

/// One participant with consents and cases; returns how many cases.
#[allow(clippy::too_many_arguments)]
fn person(
    rng: &mut ChaCha8Rng,
    ids: &mut Ids,
    used: &mut HashSet<String>,
    rows: &mut Rows,
    facts: &mut Vec<CaseFacts>,
    city_index: usize,
    city: &CityOrgs,
    crisol: Uuid,
    formacion: Uuid,
    crisol_project: Uuid,
    formacion_project: Uuid,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> usize {
    let pid = ids.next();
    let (team, [sw, co, te]) = city.team(pid);
    let female = rng.gen_bool(0.56);
    let age_days = rng.gen_range(18 * 365..64 * 365);
    let birth = today - Duration::days(age_days);
    let kind = rng.gen_range(0..100);
    let (given, s1, s2, nationality, doc_kind, doc) = if kind < 78 {
        let g = pick(rng, if female { F_NAMES } else { M_NAMES });
        let s1 = pick(rng, SURNAMES);
        let s2 = pick(rng, SURNAMES);
        (
            g.to_string(),
            s1.to_string(),
            Some(s2.to_string()),
            "ES",
            "dni",
            fresh_dni(rng, used),
        )
    } else if let Some(f) = (kind < 97)
        .then(|| rng.gen_range(0..FOREIGN.len()))
        .and_then(|i| FOREIGN.get(i))
    {
        let g = pick(rng, if female { f.f } else { f.m });
        let s1 = pick(rng, f.surnames);
        let s2 = f.two_surnames.then(|| pick(rng, f.surnames).to_string());
        (
            g.to_string(),
            s1.to_string(),
            s2,
            f.nationality,
            "nie",
            fresh_nie(rng, used),
        )
    } else {
        let g = pick(rng, if female { IT_F } else { IT_M });
        let s1 = pick(rng, IT_SURNAMES);
        let cf = fresh_cf(rng, used, s1, g, birth, female);
        (
            g.to_string(),
            s1.to_string(),
            None,
            "IT",
            "codice_fiscale",
            cf,
        )
    };
    let migrant = nationality != "ES";
    let zone = nth(&city.zones, rng.gen_range(0..city.zones.len()));
    let labour = match rng.gen_range(0..100) {
        0..=54 => "long_term_unemployed",
        55..=84 => "unemployed",
        85..=95 => "inactive",
        _ => "employed",
    };
    let since = today - Duration::days(rng.gen_range(400..2500).min(age_days - 16 * 365).max(30));
    let isced: i16 = nth(&[0, 1, 1, 2, 2, 2, 3, 3, 4], rng.gen_range(0..9));
    let disability = rng.gen_bool(0.08);
    let home = city.social.id;
    rows.participants.push(vec![
        V::Uuid(pid),
        V::Uuid(pid),
        V::Uuid(home),
        V::Text(given.clone()),
        V::Text(s1.clone()),
        V::OptText(s2.clone()),
        V::Text(if female { "female" } else { "male" }.into()),
        V::Date(birth),
        V::OptText(Some(nationality.into())),
        V::OptText(Some(format!(
            "Calle {} {}",
            pick(rng, SURNAMES),
            rng.gen_range(1..80)
        ))),
        V::OptText(Some(format!("{:05}", rng.gen_range(6000..10999)))),
        V::OptUuid(Some(zone)),
        V::OptText(Some(format!(
            "+34{}",
            rng.gen_range(600_000_000u32..699_999_999)
        ))),
        V::OptText(None),
        V::OptI16(Some(isced)),
        V::Text(labour.into()),
        V::OptDate(Some(since)),
        V::Bool(disability),
        V::OptI16(disability.then(|| rng.gen_range(33..76))),
        V::I16(rng.gen_range(0..4)),
        V::Bool(rng.gen_bool(0.15)),
        V::Bool(rng.gen_bool(0.03)),
        V::Bool(migrant),
        V::Bool(rng.gen_bool(0.09)),
        V::Bool(false),
        V::Text(fold(&format!("{} {}", s1, s2.as_deref().unwrap_or("")))),
        V::Text(fold(&given)),
        V::I32(1),
        V::Ts(now),
        V::Uuid(sw),
        V::Ts(now),
    ]);
    rows.documents.push(vec![
        V::Uuid(ids.next()),
        V::Uuid(pid),
        V::Uuid(home),
        V::Text(doc_kind.into()),
        V::Text(doc),
        V::Ts(now),
    ]);

    // The case in CRISOL, in any phase.
    let opened = today - Duration::days(rng.gen_range(15..900));
    let phase_idx = rng.gen_range(0..DEFAULT_PHASES.len());
    let status_roll = rng.gen_range(0..100);
    let (status, exit) = if status_roll < 10 {
        ("suspended", None)
    } else if status_roll < 24 {
        let reason = if phase_idx >= 6 {
            "employed"
        } else if phase_idx == 5 {
            "in_training"
        } else {
            nth(&["dropped_out", "moved", "other"], rng.gen_range(0..3))
        };
        ("closed", Some(reason))
    } else {
        ("open", None)
    };
    // Consents: case management always; sharing with employment and third sector for
    // most; some withdrawn or expired so that both sides of the access rule are seen.
    rows.consents.push(vec![
        V::Uuid(ids.next()),
        V::Uuid(pid),
        V::Uuid(home),
        V::Text("case_management".into()),
        V::Date(opened),
        V::OptDate(None),
        V::OptDate(None),
        V::OptText(None),
        V::Text("Consentimiento firmado en la entrevista de acogida".into()),
        V::Uuid(sw),
        V::Uuid(home),
        V::Ts(now),
    ]);
    let share_roll = rng.gen_range(0..100);
    if share_roll < 92 {
        let cid = ids.next();
        let (expires, withdrawn) = match share_roll {
            0..=3 => (Some(today - Duration::days(10)), None),
            4..=6 => (
                None,
                Some((today - Duration::days(rng.gen_range(1..60))).max(opened)),
            ),
            _ => (None, None),
        };
        rows.consents.push(vec![
            V::Uuid(cid),
            V::Uuid(pid),
            V::Uuid(home),
            V::Text("sharing".into()),
            V::Date(opened),
            V::OptDate(expires),
            V::OptDate(withdrawn),
            V::OptText(withdrawn.map(|_| "Retirado a petición de la persona".to_string())),
            V::Text("Autorización de cesión de datos firmada".into()),
            V::Uuid(sw),
            V::Uuid(home),
            V::Ts(now),
        ]);
        for k in ["employment_service", "third_sector", "insertion_company"] {
            rows.scopes.push(vec![
                V::Uuid(cid),
                V::Uuid(home),
                V::OptUuid(None),
                V::OptText(Some(k.into())),
            ]);
        }
    }
    let case_id = ids.next();
    let closed_on = exit.map(|_| (opened + Duration::days(rng.gen_range(30..400))).min(today));
    rows.cases.push(vec![
        V::Uuid(case_id),
        V::Uuid(pid),
        V::Uuid(home),
        V::Uuid(crisol),
        V::OptUuid(Some(crisol_project)),
        V::Uuid(home),
        V::Uuid(sw),
        V::Text(nth(DEFAULT_PHASES, phase_idx).into()),
        V::Text(status.into()),
        V::Date(opened),
        V::OptDate(closed_on),
        V::OptText(exit.map(str::to_string)),
        V::I32(1),
        V::Ts(now),
        V::Ts(now),
    ]);
    let member = |rows: &mut Rows, ids: &mut Ids, case: Uuid, user: Uuid, org: Uuid, role: &str| {
        rows.members.push(vec![
            V::Uuid(ids.next()),
            V::Uuid(case),
            V::Uuid(home),
            V::Uuid(user),
            V::Uuid(org),
            V::Text(role.into()),
            V::Ts(at(opened, 9)),
            V::OptTs(None),
        ]);
    };
    member(rows, ids, case_id, sw, city.social.id, "case_manager");
    if phase_idx >= 2 {
        member(
            rows,
            ids,
            case_id,
            co,
            city.employment.id,
            "employment_reference",
        );
    }
    if phase_idx >= 5 {
        member(rows, ids, case_id, te, city.ngo.id, "trainer");
    }
    let event = |rows: &mut Rows,
                 ids: &mut Ids,
                 case: Uuid,
                 kind: &str,
                 from: Option<&str>,
                 to: Option<&str>,
                 fs: Option<&str>,
                 ts: Option<&str>,
                 reason: Option<&str>,
                 when: DateTime<Utc>| {
        rows.events.push(vec![
            V::Uuid(ids.next()),
            V::Uuid(case),
            V::Uuid(home),
            V::Text(kind.into()),
            V::OptText(from.map(str::to_string)),
            V::OptText(to.map(str::to_string)),
            V::OptText(fs.map(str::to_string)),
            V::OptText(ts.map(str::to_string)),
            V::OptText(reason.map(str::to_string)),
            V::Uuid(sw),
            V::Uuid(home),
            V::Ts(when),
        ]);
    };
    event(
        rows,
        ids,
        case_id,
        "opened",
        None,
        DEFAULT_PHASES.first().copied(),
        None,
        Some("open"),
        None,
        at(opened, 9),
    );
    let span = (today - opened).num_days().max(1);
    for i in 1..=phase_idx {
        let when = opened + Duration::days(span * i as i64 / (phase_idx as i64 + 2));
        event(
            rows,
            ids,
            case_id,
            "phase_changed",
            DEFAULT_PHASES.get(i - 1).copied(),
            DEFAULT_PHASES.get(i).copied(),
            None,
            None,
            Some("Acordado en la mesa técnica de casos"),
            at(when, 10),
        );
    }
    match (status, closed_on) {
        ("suspended", _) => event(
            rows,
            ids,
            case_id,
            "suspended",
            None,
            None,
            Some("open"),
            Some("suspended"),
            Some("Baja médica temporal"),
            at(today - Duration::days(3), 11),
        ),
        ("closed", Some(d)) => event(
            rows,
            ids,
            case_id,
            "closed",
            None,
            None,
            Some("open"),
            Some("closed"),
            Some("Cierre del itinerario"),
            at(d, 12),
        ),
        _ => {}
    }
    facts.push(CaseFacts {
        city: city_index,
        team,
        case_id,
        pid,
        home,
        opened,
        phase_idx,
        open: status != "closed",
    });
    let mut count = 1;
    // Participants in training or beyond were preselected for CRISOL-FORMACIÓN.
    if phase_idx >= 5 && status == "open" {
        let fid = ids.next();
        let fphase = nth(
            &["training", "employment", "follow_up"],
            (phase_idx - 5).min(2),
        );
        let fopened = opened + Duration::days(span / 2);
        rows.cases.push(vec![
            V::Uuid(fid),
            V::Uuid(pid),
            V::Uuid(home),
            V::Uuid(formacion),
            V::OptUuid(Some(formacion_project)),
            V::Uuid(home),
            V::Uuid(sw),
            V::Text(fphase.into()),
            V::Text("open".into()),
            V::Date(fopened),
            V::OptDate(None),
            V::OptText(None),
            V::I32(1),
            V::Ts(now),
            V::Ts(now),
        ]);
        member(rows, ids, fid, sw, city.social.id, "case_manager");
        member(rows, ids, fid, te, city.ngo.id, "trainer");
        member(
            rows,
            ids,
            fid,
            co,
            city.employment.id,
            "employment_reference",
        );
        event(
            rows,
            ids,
            fid,
            "opened",
            None,
            Some("preselection"),
            None,
            Some("open"),
            Some("Preseleccionada desde CRISOL"),
            at(fopened, 9),
        );
        count += 1;
    }
    count
}

/// The demo's logins, for printing at start-up.
pub fn demo_logins() -> Vec<DemoLogin> {
    let l = |u: &str, role: &'static str, org: &str| DemoLogin {
        username: u.into(),
        role,
        organisation: org.into(),
    };
    vec![
        l(
            "ts.badajoz",
            "social_worker",
            "Servicios Sociales de Atención Social Básica de Badajoz",
        ),
        l(
            "orienta.badajoz",
            "employment_counsellor",
            "Centro de Empleo SEXPE Badajoz",
        ),
        l(
            "tecnico.badajoz",
            "technician",
            "Asociación Puentes de Inclusión",
        ),
        l(
            "gestora.badajoz",
            "case_manager",
            "Servicios Sociales de Atención Social Básica de Badajoz",
        ),
        l(
            "coordina.crisol",
            "coordinator",
            "Servicios Sociales de Atención Social Básica de Badajoz",
        ),
        l(
            "programa.junta",
            "programme_manager",
            "Consejería de Sanidad y Servicios Sociales",
        ),
        l("auditoria", "auditor", "Delegación de Protección de Datos"),
        l(
            "admin",
            "admin",
            "Junta de Extremadura — Servicio de Informática",
        ),
    ]
}
