//! The programmes: CRISOL (which feeds CRISOL-FORMACIÓN), their phases, their funding
//! (ESF+ 80 %, the regional government 20 %) and a project of each per city.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::case::DEFAULT_PHASES;
use itinera_domain::text::fold;
use itinera_domain::Error;
use itinera_store::bulk::{insert, V};
use itinera_store::Tx;
use uuid::Uuid;

use super::data::CITIES;
use super::network::Network;
use super::Ids;

/// The programmes and the projects of each city (by the city's position).
pub(super) struct Programmes {
    pub(super) crisol: Uuid,
    pub(super) formacion: Uuid,
    pub(super) crisol_projects: Vec<Uuid>,
    pub(super) formacion_projects: Vec<Uuid>,
}

pub(super) async fn write(
    tx: &mut Tx,
    ids: &mut Ids,
    network: &Network,
    now: DateTime<Utc>,
) -> Result<Programmes, Error> {
    let cities = &network.cities;
    // Programmes.
    let crisol = ids.next();
    let formacion = ids.next();
    let start = NaiveDate::from_ymd_opt(2021, 1, 1);
    insert(
        tx,
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
        tx,
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
        tx,
        "funding_sources",
        &["id", "programme_id", "fund", "share_bp"],
        &funding,
    )
    .await?;
    let mut project_rows = Vec::new();
    let mut crisol_projects = Vec::new();
    let mut formacion_projects = Vec::new();
    for (c, orgs) in CITIES.iter().zip(cities) {
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
        tx,
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
    Ok(Programmes {
        crisol,
        formacion,
        crisol_projects,
        formacion_projects,
    })
}
