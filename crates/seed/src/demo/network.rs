//! The network: Extremadura, its provinces, the seven cities and their zones; the
//! regional authorities, the insertion companies and each city's social services,
//! employment office and third-sector entity; their professionals (as many teams per
//! city as the caseloads need) and the demo's logins.

use chrono::{DateTime, Utc};
use itinera_domain::text::fold;
use itinera_domain::Error;
use itinera_service::auth::hash_password;
use itinera_store::bulk::{insert, V};
use itinera_store::Tx;
use uuid::Uuid;

use super::data::{CITIES, INSERTION_COMPANIES};
use super::{nth, CityOrgs, DemoOptions, Ids, Org, CASELOAD, DEMO_PASSWORD};

/// What the later phases need of the network.
pub(super) struct Network {
    pub(super) cities: Vec<CityOrgs>,
}

pub(super) async fn write(
    tx: &mut Tx,
    ids: &mut Ids,
    now: DateTime<Utc>,
    opts: &DemoOptions,
) -> Result<Network, Error> {
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
            V::Text(itinera_domain::text::fold(&name)),
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
            V::Text(itinera_store::admin::user_key(username, display)),
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
        ids,
        "Consejería de Sanidad y Servicios Sociales".into(),
        "authority",
        Some(region),
        &mut org_rows,
    );
    let sexpe = add_org(
        ids,
        "Servicio Extremeño Público de Empleo (SEXPE)".into(),
        "authority",
        Some(region),
        &mut org_rows,
    );
    let it = add_org(
        ids,
        "Junta de Extremadura — Servicio de Informática".into(),
        "authority",
        Some(region),
        &mut org_rows,
    );
    let dpo = add_org(
        ids,
        "Delegación de Protección de Datos".into(),
        "authority",
        Some(region),
        &mut org_rows,
    );
    for n in INSERTION_COMPANIES {
        add_org(
            ids,
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
            ids,
            format!("Servicios Sociales de Atención Social Básica de {}", c.name),
            "social_services",
            Some(t),
            &mut org_rows,
        );
        let employment = add_org(
            ids,
            format!("Centro de Empleo SEXPE {}", c.name),
            "employment_service",
            Some(t),
            &mut org_rows,
        );
        let ngo = add_org(
            ids,
            c.ngo.to_string(),
            "third_sector",
            Some(t),
            &mut org_rows,
        );
        let slug = fold(c.name).replace(' ', "");
        let social_worker = add_user(
            ids,
            &format!("ts.{slug}"),
            &format!("Trabajadora social · {}", c.name),
            &[(social.id, "social_worker")],
            &mut user_rows,
            &mut member_rows,
        );
        let counsellor = add_user(
            ids,
            &format!("orienta.{slug}"),
            &format!("Orientador laboral · {}", c.name),
            &[(employment.id, "employment_counsellor")],
            &mut user_rows,
            &mut member_rows,
        );
        let technician = add_user(
            ids,
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
                    ids,
                    &format!("ts.{slug}.{k}"),
                    &format!("Trabajadora social {k} · {}", c.name),
                    &[(social.id, "social_worker")],
                    &mut user_rows,
                    &mut member_rows,
                ),
                add_user(
                    ids,
                    &format!("orienta.{slug}.{k}"),
                    &format!("Orientador laboral {k} · {}", c.name),
                    &[(employment.id, "employment_counsellor")],
                    &mut user_rows,
                    &mut member_rows,
                ),
                add_user(
                    ids,
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
        ids,
        "gestora.badajoz",
        "Gestora de casos · Badajoz",
        &[(badajoz.social.id, "case_manager")],
        &mut user_rows,
        &mut member_rows,
    );
    add_user(
        ids,
        "coordina.crisol",
        "Coordinadora técnica CRISOL",
        &[(badajoz.social.id, "coordinator")],
        &mut user_rows,
        &mut member_rows,
    );
    add_user(
        ids,
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
        ids,
        "auditoria",
        "Auditora · Protección de Datos",
        &[(dpo.id, "auditor")],
        &mut user_rows,
        &mut member_rows,
    );
    add_user(
        ids,
        "admin",
        "Administración Itinera",
        &[(it.id, "admin")],
        &mut user_rows,
        &mut member_rows,
    );
    // A second administrator: roles that reach people's data need two (four eyes).
    add_user(
        ids,
        "admin.segunda",
        "Administración Itinera (segunda firma)",
        &[(it.id, "admin")],
        &mut user_rows,
        &mut member_rows,
    );

    insert(
        tx,
        "territories",
        &["id", "parent_id", "level", "code", "name", "created_at"],
        &terr_rows,
    )
    .await?;
    insert(
        tx,
        "public_holidays",
        &["id", "territory_id", "day", "name", "created_at"],
        &holiday_rows(ids, now, region, &cities),
    )
    .await?;
    insert(
        tx,
        "organisations",
        &[
            "id",
            "name_key",
            "name",
            "kind",
            "territory_id",
            "active",
            "created_at",
        ],
        &org_rows,
    )
    .await?;
    insert(
        tx,
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
            "name_key",
        ],
        &user_rows,
    )
    .await?;
    insert(
        tx,
        "memberships",
        &["id", "user_id", "organisation_id", "role", "created_at"],
        &member_rows,
    )
    .await?;

    Ok(Network { cities })
}

/// The public holidays of this year and the next two: Spain's national ones, those of
/// Extremadura (Holy Thursday, 8 September) and the local ones of some cities, as an
/// administrator would have entered them.
fn holiday_rows(
    ids: &mut Ids,
    now: DateTime<Utc>,
    region: Uuid,
    cities: &[CityOrgs],
) -> Vec<Vec<V>> {
    use chrono::{Datelike, Duration, NaiveDate};
    use itinera_domain::holidays::{easter_sunday, national, Country};
    let mut rows = Vec::new();
    let mut row = |ids: &mut Ids, t: Option<Uuid>, d: Option<NaiveDate>, name: &str| {
        if let Some(d) = d {
            rows.push(vec![
                V::Uuid(ids.next()),
                V::OptUuid(t),
                V::Date(d),
                V::Text(name.into()),
                V::Ts(now),
            ]);
        }
    };
    let city = |name: &str| cities.iter().find(|c| c.name == name).map(|c| c.territory);
    for year in now.year()..=now.year() + 2 {
        for (d, key) in national(Country::Spain, year) {
            row(
                ids,
                None,
                Some(d),
                itinera_i18n::t(itinera_i18n::Lang::Es, key),
            );
        }
        let easter = easter_sunday(year);
        row(
            ids,
            Some(region),
            easter.map(|e| e - Duration::days(3)),
            "Jueves Santo",
        );
        row(
            ids,
            Some(region),
            NaiveDate::from_ymd_opt(year, 9, 8),
            "Día de Extremadura",
        );
        if let Some(t) = city("Badajoz") {
            row(
                ids,
                Some(t),
                easter.map(|e| e - Duration::days(47)),
                "Martes de Carnaval",
            );
            row(
                ids,
                Some(t),
                NaiveDate::from_ymd_opt(year, 6, 24),
                "San Juan",
            );
        }
        if let Some(t) = city("Mérida") {
            row(
                ids,
                Some(t),
                NaiveDate::from_ymd_opt(year, 12, 10),
                "Santa Eulalia",
            );
        }
        if let Some(t) = city("Cáceres") {
            row(
                ids,
                Some(t),
                NaiveDate::from_ymd_opt(year, 4, 23),
                "San Jorge",
            );
        }
    }
    rows
}
