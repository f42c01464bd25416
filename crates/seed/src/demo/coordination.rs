//! The demo's coordination: the CRISOL coordination, follow-up and evaluation group
//! (level 1) with its meetings, agreements, an improvement board and the joint
//! coordination guide; a case table in Badajoz; a protocol with the insertion
//! companies. Written through the services, as the professionals would, so every
//! write is checked and audited. Seeded once, after `demo::seed`.

use chrono::{DateTime, Duration, Utc};
use itinera_domain::access::Actor;
use itinera_domain::boards::{BoardInput, CardInput};
use itinera_domain::coordination::{AgreementInput, BodyInput, MeetingInput};
use itinera_domain::network::NetworkAgreementInput;
use itinera_domain::protocols::{ProtocolInput, VersionInput};
use itinera_domain::Error;
use uuid::Uuid;

use itinera_service::coordination::MemberInput;
use itinera_service::protocols::NewProtocol;
use itinera_service::{Ctx, Services};

/// The proposals of the demo board: (column, text, anonymous, author).
const CARDS: &[(usize, &str, bool, &str)] = &[
    (
        0,
        "Un canal de mensajería común entre los técnicos de ambos programas",
        false,
        "ts.badajoz",
    ),
    (
        0,
        "Saber quién es el referente de cada persona en el otro servicio",
        false,
        "orienta.badajoz",
    ),
    (
        1,
        "Reuniones periódicas de casos compartidos, con orden del día previo",
        false,
        "orienta.badajoz",
    ),
    (1, "Un calendario de seguimiento común", true, "ts.badajoz"),
    (
        2,
        "Formación conjunta sobre los recursos de empleo del territorio",
        true,
        "programa.junta",
    ),
];

async fn actor(s: &Services, username: &str) -> Result<Actor, Error> {
    let mut tx = s.store.read().await?;
    let u = itinera_store::admin::user_by_username(&mut tx, username)
        .await?
        .ok_or(Error::NotFound)?;
    let ms = itinera_store::admin::memberships(&mut tx, u.id).await?;
    let org = ms
        .first()
        .map(|m| m.organisation_id)
        .ok_or(Error::NotFound)?;
    let a = itinera_service::auth::actor_for(&mut tx, u.id, org).await?;
    tx.commit().await?;
    Ok(a)
}

fn member(a: &Actor, role: &str) -> MemberInput {
    MemberInput {
        organisation_id: a.organisation_id.to_string(),
        user_id: a.user_id.to_string(),
        role: role.into(),
        ..Default::default()
    }
}

/// Seeds the demo's coordination into a freshly seeded demo (nothing if a body exists).
pub async fn seed(s: &Services, now: DateTime<Utc>) -> Result<bool, Error> {
    let coordinator = actor(s, "coordina.crisol").await?;
    if !s.bodies(&coordinator).await?.is_empty() {
        return Ok(false);
    }
    let social = actor(s, "ts.badajoz").await?;
    let sexpe = actor(s, "orienta.badajoz").await?;
    let manager = actor(s, "programa.junta").await?;
    let case_manager = actor(s, "gestora.badajoz").await?;
    let today = now.date_naive();
    let day = |n: i64| (today + Duration::days(n)).to_string();
    // Past events are recorded at their own time.
    let at = |n: i64| Ctx::cli(now + Duration::days(n));
    let programme = s
        .programmes()
        .await?
        .into_iter()
        .find(|p| p.code == "CRISOL")
        .map(|p| p.id)
        .ok_or(Error::NotFound)?;

    // The coordination, follow-up and evaluation group: two reference technicians,
    // one per service, and the programme's management.
    let ctx = at(-70);
    let group = s
        .create_body(
            &coordinator,
            &ctx,
            &BodyInput {
                name: "Grupo de coordinación, seguimiento y evaluación CRISOL".into(),
                level: "1".into(),
                programme_id: programme.to_string(),
                frequency: "monthly".into(),
                first_meeting_on: day(-60),
                description: "Coordina los dos programas y sigue sus indicadores; se reúne de forma presencial o virtual una vez al mes.".into(),
                ..Default::default()
            },
        )
        .await?;
    for (a, role) in [
        (&social, "reference_technician"),
        (&sexpe, "reference_technician"),
        (&manager, "member"),
    ] {
        s.add_body_member(&coordinator, &ctx, group, &member(a, role))
            .await?;
    }
    let members = s.body(&coordinator, &ctx, group).await?.members;

    // Two meetings held, with attendance, minutes and agreements.
    let mut last_meeting = Uuid::nil();
    for (n, topic, minutes) in [
        (-60, "Puesta en marcha del grupo y calendario de reuniones", "Se acuerda reunirse el primer lunes de cada mes y compartir el orden del día con una semana de antelación."),
        (-30, "Indicadores del primer trimestre", "Se revisan las personas atendidas por ambos programas y las derivaciones pendientes."),
    ] {
        let ctx = at(n);
        let m = s
            .create_meeting(
                &coordinator,
                &ctx,
                group,
                &MeetingInput {
                    date: day(n),
                    starts: "10:00".into(),
                    ends: "11:30".into(),
                    mode: if n == -60 { "in_person" } else { "virtual" }.into(),
                    place: if n == -60 { "Centro de Servicios Sociales de Badajoz".into() } else { String::new() },
                    link: if n == -60 { String::new() } else { "https://reuniones.example.org/crisol".into() },
                    topics: topic.into(),
                },
                &[],
                &[],
            )
            .await?;
        let rows: Vec<(String, String)> = members
            .iter()
            .enumerate()
            .map(|(i, mm)| {
                let a = if n == -30 && i == 3 { "excused" } else { "present" };
                (mm.id.to_string(), a.to_string())
            })
            .collect();
        s.record_attendance(&coordinator, &ctx, m, &rows).await?;
        let v = s.meeting(&coordinator, &ctx, m).await?;
        if let Some(item) = v.items.iter().find(|i| i.item.kind == "topic") {
            s.record_minutes(&coordinator, &ctx, m, item.item.id, minutes)
                .await?;
        }
        if n == -60 {
            let a = s
                .add_agreement(
                    &coordinator,
                    &ctx,
                    m,
                    &AgreementInput {
                        text: "Elaborar la guía de coordinación conjunta".into(),
                        owner: format!("user:{}", social.user_id),
                        due_on: day(-40),
                        ..Default::default()
                    },
                )
                .await?;
            s.set_agreement_status(&social, &at(-45), a, "done", "")
                .await?;
            s.add_agreement(
                &coordinator,
                &ctx,
                m,
                &AgreementInput {
                    text: "Enviar al SEXPE la relación de personas derivadas cada mes".into(),
                    owner: format!("user:{}", social.user_id),
                    due_on: day(-5),
                    ..Default::default()
                },
            )
            .await?;
            s.approve_minutes(&coordinator, &ctx, m).await?;
        }
        last_meeting = m;
    }
    s.add_agreement(
        &coordinator,
        &at(-30),
        last_meeting,
        &AgreementInput {
            text: "Preparar el informe trimestral de indicadores para la Consejería".into(),
            owner: format!("user:{}", sexpe.user_id),
            due_on: day(5),
            ..Default::default()
        },
    )
    .await?;
    // The next one, planned.
    s.create_meeting(
        &coordinator,
        &at(-1),
        group,
        &MeetingInput {
            date: day(3),
            starts: "10:00".into(),
            ends: "11:30".into(),
            mode: "virtual".into(),
            link: "https://reuniones.example.org/crisol".into(),
            topics: "Propuestas del panel de mejora".into(),
            ..Default::default()
        },
        &[],
        &[],
    )
    .await?;

    // The joint coordination guide, read by the social worker so far.
    let ctx = at(-40);
    let guide = s
        .create_protocol(
            &coordinator,
            &ctx,
            &NewProtocol {
                protocol: ProtocolInput {
                    title: "Guía de coordinación conjunta CRISOL".into(),
                    kind: "guide".into(),
                    programme_id: programme.to_string(),
                    owner_organisation_id: coordinator.organisation_id.to_string(),
                    ..Default::default()
                },
                version: VersionInput {
                    summary: "Quién es referente de cada persona en cada servicio, cómo se deriva y se devuelve la información, cuándo se hace una entrevista conjunta y cómo se sigue en la mesa de casos.".into(),
                    document_ref: "CRISOL-GUIA-01".into(),
                    valid_from: day(-40),
                    roles: vec![
                        "social_worker".into(),
                        "employment_counsellor".into(),
                        "technician".into(),
                        "case_manager".into(),
                    ],
                    ..Default::default()
                },
            },
        )
        .await?;
    s.confirm_protocol_read(&social, &at(-38), guide).await?;

    // The improvement board, open for two weeks.
    let ctx = at(-3);
    let board = s
        .create_board(
            &coordinator,
            &ctx,
            group,
            &BoardInput {
                question: "¿Qué propones para mejorar la comunicación y la coordinación entre ambos programas?".into(),
                columns: vec!["COMUNICACIÓN".into(), "COORDINACIÓN".into(), "OTRAS APORTACIONES".into()],
                opens_on: day(-3),
                closes_on: day(11),
                votes_per_member: "3".into(),
            },
        )
        .await?;
    let columns = s.board(&coordinator, &ctx, board).await?.columns;
    let mut cards = Vec::new();
    for (col, text, anonymous, author) in CARDS {
        let a = actor(s, author).await?;
        let Some(column) = columns.get(*col) else {
            continue;
        };
        let id = s
            .post_card(
                &a,
                &ctx,
                board,
                &CardInput {
                    column_id: column.column.id.to_string(),
                    text: (*text).into(),
                    anonymous: *anonymous,
                },
            )
            .await?;
        cards.push(id);
    }
    for (voter, card) in [
        (&social, 1),
        (&social, 2),
        (&sexpe, 0),
        (&sexpe, 3),
        (&manager, 2),
    ] {
        if let Some(card) = cards.get(card) {
            s.vote_card(voter, &ctx, *card, true).await?;
        }
    }

    // A case table in Badajoz and the protocol with the insertion companies.
    let ctx = at(-20);
    let table = s
        .create_body(
            &case_manager,
            &ctx,
            &BodyInput {
                name: "Mesa técnica de casos de Badajoz".into(),
                level: "3".into(),
                frequency: "fortnightly".into(),
                first_meeting_on: day(-14),
                ..Default::default()
            },
        )
        .await?;
    for a in [&social, &sexpe] {
        s.add_body_member(
            &case_manager,
            &ctx,
            table,
            &member(a, "reference_technician"),
        )
        .await?;
    }
    let companies: Vec<Uuid> = s
        .member_choices(&coordinator)
        .await?
        .into_iter()
        .filter(|(_, name)| name.contains("Inserción") || name.contains("Inserta"))
        .map(|(id, _)| id)
        .collect();
    let mut parties = vec![social.organisation_id.to_string()];
    parties.extend(companies.iter().map(Uuid::to_string));
    s.create_network_agreement(
        &coordinator,
        &at(-200),
        &NetworkAgreementInput {
            subject:
                "Protocolo de colaboración entre los servicios sociales y las empresas de inserción"
                    .into(),
            kind: "protocol".into(),
            parties,
            signed_on: day(-200),
            valid_until: day(530),
            document_ref: "PROT-EI-2026".into(),
            programmes: vec![programme.to_string()],
            bodies: vec![group.to_string()],
        },
    )
    .await?;
    Ok(true)
}
