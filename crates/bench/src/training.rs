//! The training measurement (`--courses N`): N courses with their sessions, candidates
//! and attendance rows loaded in bulk (`--attendance-rows`, 100 per course by default:
//! a million for 10,000 courses), and one course of the Badajoz social worker with 25
//! people enrolled from her cases. Measured through the services, one call at a time:
//! saving a session's sheet for the 25 (one transaction with its audit entry and the
//! absenteeism rule), the course's page and a session's sheet (audited reads).

use chrono::Duration;
use itinera_clock::Stopwatch;
use itinera_domain::access::Actor;
use itinera_domain::training::{AttendanceInput, AttendanceLine, CourseInput};
use itinera_service::{Ctx, Services};
use itinera_store::bulk::{self, V};
use itinera_store::Store;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use crate::{summary, BenchError, Result};

/// The measured course's title (found again with `--reuse`).
const BENCH_TITLE: &str = "Bench";

/// Sessions and candidates of each bulk-loaded course.
const PEOPLE_PER_COURSE: usize = 10;

pub(crate) struct Figures {
    /// The measured course (its page joins the offered load).
    pub course: Uuid,
    pub save_ms: Vec<f64>,
    pub course_ms: Vec<f64>,
    pub sheet_ms: Vec<f64>,
}

pub(crate) async fn run(
    store: &Store,
    services: &Services,
    actor: &Actor,
    courses: usize,
    rows: usize,
    reuse: bool,
) -> Result<Figures> {
    let now = services.now();
    let ctx = Ctx::cli(now);
    let today = now.date_naive();
    let crisol = services
        .programmes()
        .await?
        .into_iter()
        .find(|p| p.code == "CRISOL")
        .ok_or(BenchError::Failed("training: no CRISOL programme"))?;
    let provider = services
        .courses(actor)
        .await?
        .providers
        .first()
        .map(|p| p.id)
        .ok_or(BenchError::Failed("training: no provider"))?;
    // On a database a previous run loaded (`--reuse`), its measured course again.
    let mut tx = store.read().await?;
    let earlier = if reuse {
        itinera_store::training::course_titled(&mut tx, actor.user_id, BENCH_TITLE).await?
    } else {
        None
    };
    tx.rollback().await?;
    let (course, enrolled) = match earlier {
        Some(course) => {
            let view = services
                .course(actor, &ctx, course, &Default::default())
                .await?;
            let enrolled: Vec<Uuid> = view.candidates.iter().map(|c| c.id).collect();
            println!(
                "training: the {} courses loaded earlier, measured again (--reuse)",
                courses
            );
            (course, enrolled)
        }
        None => load(store, services, actor, crisol.id, provider, courses, rows).await?,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(29);

    // Saving sheets of 25 for the past sessions of the measured course.
    let view = services
        .course(actor, &ctx, course, &Default::default())
        .await?;
    let past: Vec<Uuid> = view
        .sessions
        .iter()
        .filter(|s| s.held_on <= today)
        .map(|s| s.id)
        .collect();
    let mut save_ms = Vec::new();
    for s in past.iter().take(60) {
        let lines = enrolled
            .iter()
            .map(|c| AttendanceLine {
                candidate_id: c.to_string(),
                status: if rng.gen_bool(0.05) {
                    "absent"
                } else {
                    "present"
                }
                .into(),
                reason: String::new(),
            })
            .collect();
        let t = Stopwatch::start();
        services
            .save_attendance(actor, &ctx, *s, &AttendanceInput { lines })
            .await?;
        save_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let mut course_ms = Vec::new();
    let mut sheet_ms = Vec::new();
    for s in past.iter().take(60) {
        let t = Stopwatch::start();
        services
            .course(actor, &ctx, course, &Default::default())
            .await?;
        course_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Stopwatch::start();
        services.attendance(actor, &ctx, *s).await?;
        sheet_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(Figures {
        course,
        save_ms,
        course_ms,
        sheet_ms,
    })
}

/// The measured course (25 of the social worker's CRISOL cases, enrolled) and `courses`
/// others in bulk with `rows` attendance rows: the measured course and its candidates.
async fn load(
    store: &Store,
    services: &Services,
    actor: &Actor,
    crisol: Uuid,
    provider: Uuid,
    courses: usize,
    rows: usize,
) -> Result<(Uuid, Vec<Uuid>)> {
    let now = services.now();
    let ctx = Ctx::cli(now);
    let today = now.date_naive();
    // The measured course: 25 of the social worker's CRISOL cases, enrolled.
    let mut tx = store.read().await?;
    let own = itinera_store::cases::open_team_cases(
        &mut tx,
        actor.user_id,
        actor.organisation_id,
        actor.organisation_kind.code(),
        today,
        400,
    )
    .await?;
    let mut mine = Vec::new();
    for (case, _, _) in own {
        if let Some(c) = itinera_store::cases::get(&mut tx, case).await? {
            if c.programme_id == crisol {
                mine.push((c.id, c.home_organisation_id));
            }
        }
        if mine.len() == 25 {
            break;
        }
    }
    let all = itinera_store::cases::sample(&mut tx, 200_000).await?;
    tx.rollback().await?;
    if mine.len() < 25 || all.is_empty() {
        return Err(BenchError::Failed("training: fewer than 25 cases to enrol"));
    }
    let t = Stopwatch::start();
    let course = services
        .create_course(
            actor,
            &ctx,
            &CourseInput {
                programme_id: crisol.to_string(),
                provider_id: provider.to_string(),
                title: BENCH_TITLE.into(),
                theory_hours: "200".into(),
                practice_hours: "100".into(),
                start_on: (today - Duration::days(150)).to_string(),
                end_on: (today + Duration::days(30)).to_string(),
                places: "25".into(),
                weekdays: ["mon", "tue", "wed", "thu", "fri"]
                    .map(String::from)
                    .to_vec(),
                starts_at: "09:00".into(),
                ends_at: "14:00".into(),
                ..Default::default()
            },
        )
        .await?;
    let mut w = store.write().await?;
    let cand_cols = [
        "id",
        "course_id",
        "case_id",
        "home_organisation_id",
        "status",
        "preselected_by",
        "preselected_at",
        "certificate",
        "updated_at",
    ];
    let enrolled: Vec<Uuid> = mine.iter().map(|_| itinera_clock::new_id(now)).collect();
    let cand_rows: Vec<Vec<V>> = mine
        .iter()
        .zip(&enrolled)
        .map(|((case, home), id)| {
            vec![
                V::Uuid(*id),
                V::Uuid(course),
                V::Uuid(*case),
                V::Uuid(*home),
                V::Text("enrolled".into()),
                V::Uuid(actor.user_id),
                V::Ts(now),
                V::Bool(false),
                V::Ts(now),
            ]
        })
        .collect();
    bulk::insert(&mut w, "course_candidates", &cand_cols, &cand_rows).await?;
    w.commit().await?;

    // The other courses, in bulk, a few hundred at a time, with the counts of their
    // marks that saving a sheet keeps (migration 33).
    let counted_cols: Vec<&str> = cand_cols
        .iter()
        .copied()
        .chain(["recorded", "absent"])
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let per_course_rows = (rows / courses.max(1)).max(1);
    let sessions_per_course = per_course_rows.div_ceil(PEOPLE_PER_COURSE).max(1);
    let mut written = 0usize;
    for chunk_start in (1..courses).step_by(500) {
        let chunk_end = (chunk_start + 500).min(courses);
        let mut course_rows = Vec::new();
        let mut session_rows = Vec::new();
        let mut cand = Vec::new();
        let mut marks = Vec::new();
        for n in chunk_start..chunk_end {
            let id = itinera_clock::new_id(now);
            let start = today - Duration::days(rng.gen_range(30..400));
            course_rows.push(vec![
                V::Uuid(id),
                V::Uuid(crisol),
                V::Uuid(provider),
                V::Text(format!("Curso {n}")),
                V::I32(100),
                V::I32(50),
                V::Date(start),
                V::Date(start + Duration::days(90)),
                V::I32(15),
                V::Text("mon,wed,fri".into()),
                V::Text("09:00".into()),
                V::Text("13:00".into()),
                V::Uuid(actor.user_id),
                V::Uuid(actor.organisation_id),
                V::Ts(now),
            ]);
            let sessions: Vec<Uuid> = (0..sessions_per_course)
                .map(|_| itinera_clock::new_id(now))
                .collect();
            // The marks recorded per session (the count the page shows, kept in the
            // session's row).
            let mut per_session = vec![0i64; sessions.len()];
            // Ten different cases: consecutive ones from a random place.
            let from = rng.gen_range(0..all.len());
            for j in 0..PEOPLE_PER_COURSE.min(all.len()) {
                let Some(&(case, home)) = all.get((from + j) % all.len()) else {
                    continue;
                };
                let c = itinera_clock::new_id(now);
                let (mut recorded, mut absent) = (0i64, 0i64);
                for (s, n) in sessions.iter().zip(per_session.iter_mut()) {
                    if written >= rows {
                        break;
                    }
                    let status = if rng.gen_bool(0.1) {
                        absent += 1;
                        "absent"
                    } else {
                        "present"
                    };
                    recorded += 1;
                    *n += 1;
                    marks.push(vec![
                        V::Uuid(*s),
                        V::Uuid(c),
                        V::Uuid(home),
                        V::Text(status.into()),
                        V::OptText(None),
                        V::Uuid(actor.user_id),
                        V::Ts(now),
                    ]);
                    written += 1;
                }
                cand.push(vec![
                    V::Uuid(c),
                    V::Uuid(id),
                    V::Uuid(case),
                    V::Uuid(home),
                    V::Text("enrolled".into()),
                    V::Uuid(actor.user_id),
                    V::Ts(now),
                    V::Bool(false),
                    V::Ts(now),
                    V::I64(recorded),
                    V::I64(absent),
                ]);
            }
            for (k, (s, n)) in sessions.iter().zip(per_session).enumerate() {
                session_rows.push(vec![
                    V::Uuid(*s),
                    V::Uuid(id),
                    V::Date(start + Duration::days(k as i64 * 2)),
                    V::Text("09:00".into()),
                    V::Text("13:00".into()),
                    V::Bool(false),
                    V::I64(n),
                ]);
            }
        }
        let mut w = store.write().await?;
        bulk::insert(
            &mut w,
            "courses",
            &[
                "id",
                "programme_id",
                "provider_id",
                "title",
                "theory_hours",
                "practice_hours",
                "start_on",
                "end_on",
                "places",
                "weekdays",
                "starts_at",
                "ends_at",
                "created_by",
                "created_by_organisation_id",
                "created_at",
            ],
            &course_rows,
        )
        .await?;
        bulk::insert(
            &mut w,
            "course_sessions",
            &[
                "id",
                "course_id",
                "held_on",
                "starts_at",
                "ends_at",
                "cancelled",
                "recorded",
            ],
            &session_rows,
        )
        .await?;
        bulk::insert(&mut w, "course_candidates", &counted_cols, &cand).await?;
        bulk::insert(
            &mut w,
            "attendance",
            &[
                "session_id",
                "candidate_id",
                "home_organisation_id",
                "status",
                "reason",
                "recorded_by",
                "recorded_at",
            ],
            &marks,
        )
        .await?;
        w.commit().await?;
    }
    store.analyze().await?;
    println!(
        "training: {courses} courses, {written} attendance rows loaded in {:.1} s (with ANALYZE on PostgreSQL)",
        t.seconds()
    );

    Ok((course, enrolled))
}

/// Prints the figures.
pub(crate) fn report(f: Figures) {
    let (p50, _, p99, n) = summary(f.save_ms);
    println!("training: attendance of 25 saved: p50 {p50:.2} ms, p99 {p99:.2} ms ({n} sheets)");
    let (p50, _, p99, n) = summary(f.course_ms);
    println!("training: course page (service): p50 {p50:.2} ms, p99 {p99:.2} ms ({n} reads)");
    let (p50, _, p99, n) = summary(f.sheet_ms);
    println!("training: a session's sheet (service): p50 {p50:.2} ms, p99 {p99:.2} ms ({n} reads)");
}
