//! The demo's resource catalogue, for the seven cities: what each city's social
//! services, employment office, NGO, insertion companies and training providers offer
//! (those of the network can be referred to), and resources outside the network (a food
//! bank, the official language school, a digital inclusion point), with schedules,
//! places, languages, eligibility and territory. Written through the services by the
//! programme's coordinator. Seeded once, before the referrals (some of which are to a
//! resource).

use itinera_domain::resource::ResourceInput;
use itinera_domain::Error;
use itinera_service::{Ctx, Services};

use super::data::CITIES;
use super::placements::actor;

/// What an organisation of a kind offers: name, kind, category, description,
/// eligibility, schedule, capacity, places free, ages, languages.
type Offer = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<u32>,
    Option<u32>,
    (u32, u32),
    &'static str,
);

const BY_KIND: &[(&str, &[Offer])] = &[
    ("social_services", &[
        ("Servicio de Atención Familiar", "service", "social_care", "Intervención con familias en situación de riesgo: acompañamiento, mediación y apoyo a la crianza.", "Familias empadronadas en el municipio con menores a cargo.", "Lunes a viernes, 9:00–14:00; tardes con cita", None, None, (0, 120), "es"),
        ("Ayudas de emergencia social", "programme", "housing", "Ayudas económicas puntuales para alquiler, suministros y necesidades básicas.", "Personas empadronadas con informe de la trabajadora social.", "Solicitud en el centro de servicios sociales", None, None, (18, 120), "es"),
    ]),
    ("employment_service", &[
        ("Orientación laboral y búsqueda de empleo", "service", "employment_guidance", "Itinerario de orientación individual, inscripción como demandante, preparación de entrevistas y ofertas.", "Personas desempleadas inscritas o que se inscriban como demandantes.", "Lunes a viernes, 9:00–14:00, con cita previa", Some(40), Some(12), (16, 67), "es,en,fr"),
        ("Club de empleo", "programme", "digital_skills", "Sesiones grupales de búsqueda activa de empleo con ordenadores y apoyo de un técnico.", "Demandantes de empleo.", "Martes y jueves, 10:00–12:00", Some(15), Some(4), (18, 67), "es"),
    ]),
    ("third_sector", &[
        ("Taller prelaboral de hostelería", "course", "training", "Formación práctica en cocina y sala con prácticas en empresas del sector y apoyo social.", "Personas desempleadas de larga duración o en situación de exclusión.", "Lunes a jueves, 9:00–13:00 (cuatro meses)", Some(12), Some(3), (18, 64), "es,ar"),
        ("Acogida y clases de español", "service", "language_learning", "Acogida de personas migrantes, clases de español y acompañamiento en trámites.", "Personas migrantes, con o sin permiso de residencia.", "Lunes, miércoles y viernes, 17:00–19:00", Some(25), Some(10), (16, 120), "es,ar,fr,en"),
    ]),
    ("insertion_company", &[
        ("Puestos de inserción", "insertion_company", "job_placement", "Contratos de inserción de hasta tres años con acompañamiento técnico y formación en el puesto.", "Personas derivadas por los servicios sociales públicos en situación de exclusión.", "Jornada completa o parcial según puesto", Some(8), Some(2), (18, 64), "es"),
    ]),
    ("training_provider", &[
        ("Certificado de profesionalidad: limpieza de superficies y mobiliario", "course", "training", "Formación acreditable con prácticas no laborales.", "Personas desempleadas; sin requisitos de titulación.", "Lunes a viernes, 16:00–20:00", Some(15), Some(5), (16, 120), "es"),
    ]),
];

/// Resources outside the network (by name), in every city.
const OUTSIDE: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    (
        "Banco de Alimentos",
        "Reparto de alimentos",
        "service",
        "food_material",
        "Reparto mensual de alimentos a familias con informe social.",
        "Familias con informe de los servicios sociales.",
        "Primer y tercer jueves de mes, 10:00–13:00",
    ),
    (
        "Escuela Oficial de Idiomas",
        "Español para extranjeros",
        "course",
        "language_learning",
        "Cursos de español de nivel A1 a B1.",
        "Mayores de 16 años; matrícula con tasa reducida para personas desempleadas.",
        "Curso escolar, dos tardes por semana",
    ),
    (
        "Centro de Competencias Digitales",
        "Punto de inclusión digital",
        "service",
        "digital_skills",
        "Acceso a ordenadores, certificado digital y trámites en línea con apoyo.",
        "Cualquier persona.",
        "Lunes a viernes, 10:00–14:00 y 17:00–20:00",
    ),
];

/// Seeds the demo's catalogue (nothing when there is one already).
pub async fn seed(s: &Services, now: chrono::DateTime<chrono::Utc>) -> Result<usize, Error> {
    {
        let mut tx = s.store.read().await?;
        let n = itinera_store::resources::count(&mut tx).await?;
        tx.rollback().await?;
        if n > 0 {
            return Ok(0);
        }
    }
    let Ok(keeper) = actor(s, "coordina.crisol").await else {
        return Ok(0);
    };
    let orgs = {
        let mut tx = s.store.read().await?;
        let o = itinera_store::admin::organisations(&mut tx).await?;
        tx.rollback().await?;
        o
    };
    let ctx = Ctx::cli(now);
    let mut n = 0;
    let mut done: Vec<uuid::Uuid> = Vec::new();
    // Organisations of no one city (insertion companies, training providers) serve the
    // region, from the first city.
    let regional: Vec<_> = orgs
        .iter()
        .filter(|o| {
            o.active && matches!(o.kind.as_str(), "insertion_company" | "training_provider")
        })
        .collect();
    for (c, city) in CITIES.iter().enumerate() {
        let province = if city.province == 0 {
            "Badajoz"
        } else {
            "Cáceres"
        };
        let postal = format!(
            "{}0{:02}",
            if city.province == 0 { "06" } else { "10" },
            n % 90 + 1
        );
        let mut here: Vec<_> = orgs
            .iter()
            .filter(|o| {
                o.active
                    && (o.territory_name.as_deref() == Some(city.name)
                        || o.name.contains(city.name)
                        || o.name == city.ngo)
            })
            .collect();
        if c == 0 {
            here.extend(regional.iter().copied());
        }
        here.retain(|o| !done.contains(&o.id));
        done.extend(here.iter().map(|o| o.id));
        let territory = std::iter::once(city.name)
            .chain(city.zones.iter().copied())
            .collect::<Vec<_>>()
            .join("; ");
        for o in here {
            let Some((_, offers)) = BY_KIND.iter().find(|(k, _)| *k == o.kind) else {
                continue;
            };
            for (
                name,
                kind,
                category,
                description,
                eligibility,
                schedule,
                capacity,
                places,
                (min, max),
                languages,
            ) in offers.iter()
            {
                let input = ResourceInput {
                    organisation_id: o.id.to_string(),
                    name: (*name).into(),
                    kind: (*kind).into(),
                    category: (*category).into(),
                    description: (*description).into(),
                    eligibility: (*eligibility).into(),
                    schedule: (*schedule).into(),
                    capacity: capacity.map(|c| c.to_string()).unwrap_or_default(),
                    places_available: places.map(|c| c.to_string()).unwrap_or_default(),
                    minimum_age: min.to_string(),
                    maximum_age: max.to_string(),
                    languages: (*languages).into(),
                    territory: territory.clone(),
                    address: format!(
                        "Calle {} {}",
                        ["Mayor", "Real", "del Carmen", "San Juan"]
                            .get(n % 4)
                            .copied()
                            .unwrap_or("Mayor"),
                        3 + n % 40
                    ),
                    city: city.name.into(),
                    postal_code: postal.clone(),
                    province: province.into(),
                    country: "ES".into(),
                    phone: format!(
                        "+34 92{} {:03} {:03}",
                        if city.province == 0 { 4 } else { 7 },
                        100 + n % 800,
                        200 + (n * 7) % 700
                    ),
                    fees: "Gratuito".into(),
                    application_process: "Derivación desde Itinera o cita en el propio servicio."
                        .into(),
                    ..Default::default()
                };
                s.save_resource(&keeper, &ctx, None, &input).await?;
                n += 1;
            }
        }
        for (provider, name, kind, category, description, eligibility, schedule) in OUTSIDE {
            let input = ResourceInput {
                organisation_name: format!("{provider} de {}", city.name),
                name: (*name).into(),
                kind: (*kind).into(),
                category: (*category).into(),
                description: (*description).into(),
                eligibility: (*eligibility).into(),
                schedule: (*schedule).into(),
                territory: city.name.into(),
                languages: "es".into(),
                fees: if *kind == "course" {
                    "Tasa de matrícula (reducida o exenta)".into()
                } else {
                    "Gratuito".into()
                },
                cost: if *kind == "course" {
                    "24,50".into()
                } else {
                    String::new()
                },
                ..Default::default()
            };
            s.save_resource(&keeper, &ctx, None, &input).await?;
            n += 1;
        }
    }
    Ok(n)
}
