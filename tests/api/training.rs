//! Training through the API: a course and its generated sessions, preselection from the
//! programme's cases, the joint selection by both services moving the case's phase,
//! places and the waiting list, the attendance sheet of a whole group in one request,
//! and the third unjustified absence of a month raising an incident by itself.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::casework::shared_case;
use crate::helpers::*;

fn sessions(course: &Value) -> Vec<(String, String)> {
    course["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["held_on"].as_str().unwrap().to_string(),
                s["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn candidate<'a>(course: &'a Value, case: &str) -> &'a Value {
    course["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case_id"] == case)
        .unwrap_or_else(|| panic!("no candidate for {case}: {course:#}"))
}

#[tokio::test]
async fn a_course_selects_jointly_takes_attendance_and_raises_absenteeism() {
    let app = spawn_app().await;
    let (_, a) = shared_case(&app, 44_000_001).await;
    let (_, b) = shared_case(&app, 44_000_002).await;
    let (_, c) = shared_case(&app, 44_000_003).await;
    let crisol = app.programme("CRISOL").await;
    let provider = app.org("Puentes de Inclusión").await;
    let course = json!({
        "programme_id": crisol, "provider_id": provider, "title": "Operaciones auxiliares de limpieza",
        "specialty": "SSCM0108", "theory_hours": "90", "practice_hours": "80",
        "start_on": "2026-11-02", "end_on": "2026-12-18", "weekdays": ["mon", "wed", "fri"],
        "starts_at": "09:00", "ends_at": "13:30", "places": "2", "place": "Aula 3"
    });
    let mut bad = course.clone();
    bad["end_on"] = json!("2026-10-01");
    bad["weekdays"] = json!([]);
    bad["ends_at"] = json!("08:00");
    let r = app.post(SOCIAL_BADAJOZ, "/courses", &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let cs = codes(&r.body);
    for want in [
        ("end_on", "validation.date.end_before_start"),
        ("weekdays", "validation.course.no_weekdays"),
        ("ends_at", "validation.course.ends_before_starts"),
    ] {
        assert!(cs.contains(&(want.0.into(), want.1.into())), "{cs:?}");
    }
    // A programme manager creates a course and opens it: the course and its
    // schedule, none of its people.
    let r = app.post(PROGRAMME_MANAGER, "/courses", &course).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let theirs = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .get(PROGRAMME_MANAGER, &format!("/courses/{theirs}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["candidates"].as_array().unwrap().is_empty());
    assert_eq!(r.body["can_preselect"], false);
    assert!(!r.body["sessions"].as_array().unwrap().is_empty());
    let r = app.post(SOCIAL_BADAJOZ, "/courses", &course).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let path = format!("/courses/{id}");
    let v = app.get(SOCIAL_BADAJOZ, &path).await.body;
    assert_eq!(v["pool_listed"], false, "the pool waits to be asked for");
    assert!(v["pool"].as_array().unwrap().is_empty());
    let v = app
        .get(SOCIAL_BADAJOZ, &format!("{path}?pool=true"))
        .await
        .body;
    assert_eq!(v["pool_listed"], true);
    let days = sessions(&v);
    assert_eq!(
        days.len(),
        21,
        "Mondays, Wednesdays and Fridays of seven weeks"
    );
    assert_eq!(days[0].0, "2026-11-02");
    assert_eq!(days[1].0, "2026-11-04");
    assert_eq!(v["course"]["weekdays"], json!(["mon", "wed", "fri"]));
    let pool: Vec<&str> = v["pool"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["case_id"].as_str().unwrap())
        .collect();
    for case in [&a, &b, &c] {
        assert!(pool.contains(&case.as_str()), "{case} in the pool");
    }
    let filtered = app
        .get(SOCIAL_BADAJOZ, &format!("{path}?phase=employment"))
        .await
        .body;
    assert!(filtered["pool"].as_array().unwrap().is_empty());

    // Preselection: once per case, by a writer on its team.
    let pre = format!("{path}/candidates");
    for case in [&a, &b, &c] {
        let r = app
            .post(SOCIAL_BADAJOZ, &pre, &json!({"case_id": case}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let r = app.post(SOCIAL_BADAJOZ, &pre, &json!({"case_id": a})).await;
    assert_eq!(
        codes(&r.body),
        [(
            "case_id".to_string(),
            "validation.course.already_candidate".to_string()
        )]
    );
    let v = app
        .get(SOCIAL_BADAJOZ, &format!("{path}?pool=true"))
        .await
        .body;
    let ids: Vec<String> = [&a, &b, &c]
        .iter()
        .map(|k| candidate(&v, k)["id"].as_str().unwrap().to_string())
        .collect();
    assert!(v["pool"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["case_id"] != a.as_str()));

    // The joint selection: each service with its reason; both approving selects, and
    // the case moves to the selection phase with the course as the reason.
    let decide = |i: usize| format!("/candidates/{}/decision", ids[i]);
    let r = app
        .post(SOCIAL_BADAJOZ, &decide(0), &json!({"decision": "approve"}))
        .await;
    assert_eq!(
        codes(&r.body),
        [("reason".to_string(), "validation.required".to_string())]
    );
    // On the page, a refused "reject" comes back as "reject", with the message beside
    // the reason (never turned into the first option, "approve").
    let page = Browser::new(&app.base);
    page.login(SOCIAL_BADAJOZ).await;
    let (st, html, _) = page
        .post_form(
            &format!("{path}{}", decide(1)),
            &[("decision", "reject"), ("reason", "")],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains("<option value=\"reject\" selected>"),
        "{html}"
    );
    assert!(html.contains(&format!("id=\"reason-{}-error\"", ids[1])));
    let r = app
        .post(
            NGO_BADAJOZ,
            &decide(0),
            &json!({"decision": "approve", "reason": "x"}),
        )
        .await;
    assert!(
        !r.status.is_success(),
        "a third-sector technician does not decide: {:?}",
        r.body
    );
    for i in 0..3 {
        let r = app
            .post(
                SOCIAL_BADAJOZ,
                &decide(i),
                &json!({"decision": "approve", "reason": "Red de apoyo para la conciliación"}),
            )
            .await;
        assert_eq!(r.body["status"], "candidate", "{:?}", r.body);
        let r = app
            .post(
                SEXPE_BADAJOZ,
                &decide(i),
                &json!({"decision": "approve", "reason": "Perfil adecuado a la especialidad"}),
            )
            .await;
        assert_eq!(r.body["status"], "selected", "{:?}", r.body);
    }
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &decide(0),
            &json!({"decision": "reject", "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let case_a = app.get(SOCIAL_BADAJOZ, &format!("/cases/{a}")).await.body;
    assert_eq!(case_a["case"]["phase"], "selection", "{case_a:#}");

    // Places: two enrolled, the third waits; enrolment moves the case to training.
    let status = |i: usize| format!("/candidates/{}/status", ids[i]);
    for i in 0..2 {
        let r = app
            .post(SOCIAL_BADAJOZ, &status(i), &json!({"status": "enrolled"}))
            .await;
        assert_eq!(r.body["status"], "enrolled", "{:?}", r.body);
    }
    let r = app
        .post(SOCIAL_BADAJOZ, &status(2), &json!({"status": "enrolled"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["type"], "urn:itinera:problem:course.full");
    let r = app
        .post(SOCIAL_BADAJOZ, &status(2), &json!({"status": "waiting"}))
        .await;
    assert_eq!(r.body["status"], "waiting", "{:?}", r.body);
    let r = app
        .post(SOCIAL_BADAJOZ, &status(2), &json!({"status": "completed"}))
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "status".to_string(),
            "validation.course.status_move".to_string()
        )]
    );
    // Once the course is over (18 December), no one joins it.
    app.clock.advance(chrono::Duration::days(26));
    let r = app
        .post(SOCIAL_BADAJOZ, &status(2), &json!({"status": "enrolled"}))
        .await;
    app.clock.advance(chrono::Duration::days(-26));
    assert_eq!(
        codes(&r.body),
        [("status".to_string(), "course.ended".to_string())]
    );
    let case_a = app.get(SOCIAL_BADAJOZ, &format!("/cases/{a}")).await.body;
    assert_eq!(case_a["case"]["phase"], "training");

    // Attendance: the whole group in one request.
    let sheet = |s: &str| format!("/sessions/{s}/attendance");
    let day = |d: &str| days.iter().find(|x| x.0 == d).unwrap().1.clone();
    let lines = |sa: &str, reason: &str| {
        json!({"lines": [
        {"candidate_id": ids[0], "status": sa, "reason": reason},
        {"candidate_id": ids[1], "status": "present"}]})
    };
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            &sheet(&day("2026-11-02")),
            &lines("absent", ""),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["lines"], 2);
    assert_eq!(r.body["incidents"], json!([]));
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            &sheet(&day("2026-11-04")),
            &lines("justified", ""),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "lines.0.reason".to_string(),
            "validation.attendance.reason".to_string()
        )]
    );
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            &sheet(&day("2026-11-04")),
            &lines("justified", "Cita médica"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            &sheet(&day("2026-11-06")),
            &lines("absent", ""),
        )
        .await;
    assert_eq!(r.body["incidents"], json!([]));
    // The third unjustified absence of the month raises the incident, once.
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            &sheet(&day("2026-11-09")),
            &lines("absent", ""),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let raised = r.body["incidents"].as_array().unwrap().clone();
    assert_eq!(raised.len(), 1, "{:?}", r.body);
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            &sheet(&day("2026-11-11")),
            &lines("absent", ""),
        )
        .await;
    assert_eq!(r.body["incidents"], json!([]));
    // Saving a sheet again replaces it (still one incident).
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            &sheet(&day("2026-11-09")),
            &lines("absent", ""),
        )
        .await;
    assert_eq!(r.body["incidents"], json!([]));
    let inc = app
        .get(SOCIAL_BADAJOZ, &format!("/cases/{a}/incidents"))
        .await
        .body;
    let i = &inc["incidents"][0];
    assert_eq!(i["id"], raised[0]);
    assert_eq!(i["kind"], "absenteeism");
    assert_eq!(i["occurred_on"], "2026-11-09");
    assert!(i["description"].as_str().unwrap().contains("2026-11-06"));
    // The case manager (the Badajoz social worker) is the one who recorded it here;
    // the employment reference of the team is not told (not the social reference).
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM incidents WHERE kind = 'absenteeism'"
        )
        .await,
        1
    );

    // Bad sheets name the line or the day; nothing is saved.
    let r = app
        .post(SOCIAL_BADAJOZ, &format!("{path}/attendance"), &json!({"held_on": "2026-11-03", "lines": [{"candidate_id": ids[0], "status": "present"}]}))
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "held_on".to_string(),
            "validation.attendance.not_a_session".to_string()
        )]
    );
    let r = app
        .post(SOCIAL_BADAJOZ, &format!("{path}/attendance"), &json!({"held_on": "2026-11-25", "lines": [{"candidate_id": ids[0], "status": "present"}]}))
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "held_on".to_string(),
            "validation.attendance.future".to_string()
        )]
    );
    let r = app
        .post(SOCIAL_BADAJOZ, &format!("{path}/attendance"), &json!({"held_on": "2026-11-13", "lines": [
            {"candidate_id": ids[0], "status": "present"}, {"candidate_id": ids[2], "status": "present"}]}))
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "lines.1.candidate_id".to_string(),
            "validation.attendance.not_enrolled".to_string()
        )]
    );
    let r = app
        .post(SOCIAL_BADAJOZ, &format!("{path}/attendance"), &json!({"held_on": "2026-11-13", "lines": [{"candidate_id": ids[0], "status": "present"}]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // The sheet and the rates.
    let s = app
        .get(SOCIAL_BADAJOZ, &sheet(&day("2026-11-04")))
        .await
        .body;
    assert_eq!(s["lines"][0]["status"], "justified");
    assert_eq!(s["lines"][0]["reason"], "Cita médica");
    let v = app.get(SOCIAL_BADAJOZ, &path).await.body;
    let ka = candidate(&v, &a);
    assert_eq!(
        (ka["absent"].as_i64(), ka["recorded"].as_i64()),
        (Some(4), Some(6))
    );
    assert_eq!(ka["absence_rate"], 66.7);

    // The counts are kept with the rows they count (migration 33). A sheet saved with
    // part of the group replaces only those people's marks; a count left stale (by a
    // server of the older version during an upgrade; here by hand) is mended by the
    // next sheet saved for that session or person.
    let d11 = day("2026-11-11");
    exec(
        &app,
        "UPDATE course_candidates SET recorded = 99, absent = 99 WHERE id = $1",
        &ids[0],
    )
    .await;
    exec(
        &app,
        "UPDATE course_sessions SET recorded = 99 WHERE id = $1",
        &d11,
    )
    .await;
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            &sheet(&d11),
            &json!({"lines": [{"candidate_id": ids[0], "status": "present"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let v = app.get(SOCIAL_BADAJOZ, &path).await.body;
    let ka = candidate(&v, &a);
    assert_eq!(
        (ka["absent"].as_i64(), ka["recorded"].as_i64()),
        (Some(3), Some(6))
    );
    let s11 = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == d11.as_str())
        .unwrap();
    assert_eq!(s11["recorded"], 2, "the other person's mark stays: {s11}");
    let s = app.get(SOCIAL_BADAJOZ, &sheet(&d11)).await.body;
    assert_eq!(s["lines"].as_array().unwrap().len(), 2, "{s}");
    // Every kept count equals its recount, and the migration's own recount (run again
    // over counts wiped out) gives them back.
    let stale = "SELECT (SELECT COUNT(*) FROM course_sessions s WHERE s.recorded <> (SELECT COUNT(*) FROM attendance a WHERE a.session_id = s.id)) \
         + (SELECT COUNT(*) FROM course_candidates e WHERE e.recorded <> (SELECT COUNT(*) FROM attendance a WHERE a.candidate_id = e.id) \
         OR e.absent <> (SELECT COUNT(*) FROM attendance a WHERE a.candidate_id = e.id AND a.status = 'absent'))";
    assert_eq!(count(&app, stale).await, 0);
    assert!(
        count(
            &app,
            "SELECT COUNT(*) FROM course_candidates WHERE recorded > 0"
        )
        .await
            >= 2
    );
    exec_plain(&app, "UPDATE course_sessions SET recorded = 0").await;
    exec_plain(
        &app,
        "UPDATE course_candidates SET recorded = 0, absent = 0",
    )
    .await;
    for stmt in include_str!("../../crates/store/migrations/0033_course_counts.sql")
        .split(';')
        .map(|s| {
            s.lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|s| s.trim_start().starts_with("UPDATE"))
    {
        exec_plain(&app, &stmt).await;
    }
    assert_eq!(count(&app, stale).await, 0);
    let v = app.get(SOCIAL_BADAJOZ, &path).await.body;
    let ka = candidate(&v, &a);
    assert_eq!(
        (ka["absent"].as_i64(), ka["recorded"].as_i64()),
        (Some(3), Some(6))
    );

    // Who may not see the people sees the course but none of them, and cannot write
    // attendance for them: refused like someone not enrolled.
    let m = app.get(SOCIAL_MERIDA, &format!("{path}?pool=true")).await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(m.body["candidates"].as_array().unwrap().is_empty());
    // Its pool holds its own people of the programme, none of these.
    assert!(m.body["pool"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| ![&a, &b, &c].iter().any(|k| p["case_id"] == k.as_str())));
    assert!(!m.body.to_string().contains("Campos"));
    let r = app
        .put(
            SOCIAL_MERIDA,
            &sheet(&day("2026-11-16")),
            &json!({"lines": [{"candidate_id": ids[0], "status": "absent"}]}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "lines.0.candidate_id".to_string(),
            "validation.attendance.not_enrolled".to_string()
        )]
    );
    let absent = app
        .put(SOCIAL_MERIDA, &sheet(&day("2026-11-16")), &json!({"lines": [{"candidate_id": "01a207d9-2100-7000-8000-00000000dead", "status": "absent"}]}))
        .await;
    assert_eq!(r.status, absent.status);
    let r = app
        .post(
            SOCIAL_MERIDA,
            &decide(2),
            &json!({"decision": "approve", "reason": "x"}),
        )
        .await;
    let gone = app
        .post(
            SOCIAL_MERIDA,
            "/candidates/01a207d9-2100-7000-8000-00000000dead/decision",
            &json!({"decision": "approve", "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, gone.status);
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Every write is audited.
    assert!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'attendance.record'"
        )
        .await
            >= 7
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'course.candidate.decision'"
        )
        .await,
        6
    );

    // An anonymised record is read, never written again: its line is shown read-only
    // and a sheet that marks it is refused, naming the line; the others' lines save.
    exec(
        &app,
        "UPDATE participants SET anonymised_at = updated_at WHERE id = \
         (SELECT c.participant_id FROM cases c JOIN course_candidates e ON e.case_id = c.id WHERE e.id = $1)",
        &ids[0],
    )
    .await;
    let d16 = day("2026-11-16");
    let s = app.get(SOCIAL_BADAJOZ, &sheet(&d16)).await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    let line_of = |id: &str| {
        s.body["lines"]
            .as_array()
            .and_then(|l| l.iter().find(|l| l["candidate_id"] == id).cloned())
            .unwrap_or_else(|| panic!("no line {id}: {}", s.body))
    };
    assert_eq!(line_of(&ids[0])["editable"], false);
    assert_eq!(line_of(&ids[1])["editable"], true);
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            &sheet(&d16),
            &json!({"lines": [{"candidate_id": ids[1], "status": "present"}, {"candidate_id": ids[0], "status": "present"}]}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "lines.1.candidate_id".to_string(),
            "privacy.anonymised".to_string()
        )]
    );
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            &sheet(&d16),
            &json!({"lines": [{"candidate_id": ids[1], "status": "present"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

/// A trainer is named on a course of their organisation; they see its group — names
/// and attendance, only of people whose consent covers their organisation — take its
/// attendance and report its incidents, and reach nothing else.
#[tokio::test]
async fn a_trainer_takes_attendance_and_reports_but_sees_nothing_else() {
    let app = spawn_app().await;
    let (pa, a) = shared_case(&app, 44_000_101).await;
    let (pb, b) = shared_case(&app, 44_000_102).await;
    // Only the first consented to sharing with third-sector organisations.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/participants/{pa}/consents"),
            &json!({
            "purpose": "sharing", "given_on": "2026-11-01", "expires_on": "2026-12-10", "evidence": "Firma",
            "organisation_kinds": ["third_sector"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let consent = r.body["id"].as_str().unwrap().to_string();
    let crisol = app.programme("CRISOL").await;
    let (trainer, provider) = who(&app, TRAINER).await;
    let (other_trainer, _) = who(&app, "formador.merida").await;
    let mut course = json!({
        "programme_id": crisol, "provider_id": provider, "title": "Atención sociosanitaria",
        "theory_hours": "100", "practice_hours": "40",
        "start_on": "2026-11-02", "end_on": "2026-12-18", "weekdays": ["tue", "thu"],
        "starts_at": "09:00", "ends_at": "13:00", "places": "5",
        "trainer_ids": [other_trainer]
    });
    let r = app.post(SOCIAL_BADAJOZ, "/courses", &course).await;
    assert_eq!(
        codes(&r.body),
        [(
            "trainer_ids".to_string(),
            "validation.course.trainer_other_provider".to_string()
        )]
    );
    course["trainer_ids"] = json!([trainer]);
    let r = app.post(SOCIAL_BADAJOZ, "/courses", &course).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let path = format!("/courses/{id}");
    for case in [&a, &b] {
        let r = app
            .post(
                SOCIAL_BADAJOZ,
                &format!("{path}/candidates"),
                &json!({"case_id": case}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let v = app.get(SOCIAL_BADAJOZ, &path).await.body;
    assert_eq!(v["trainers"][0]["id"], trainer.as_str());
    let ids: Vec<String> = [&a, &b]
        .iter()
        .map(|k| candidate(&v, k)["id"].as_str().unwrap().to_string())
        .collect();
    for cand in &ids {
        for (who_, why) in [
            (SOCIAL_BADAJOZ, "Apoyo familiar"),
            (SEXPE_BADAJOZ, "Perfil adecuado"),
        ] {
            let r = app
                .post(
                    who_,
                    &format!("/candidates/{cand}/decision"),
                    &json!({"decision": "approve", "reason": why}),
                )
                .await;
            assert!(r.status.is_success(), "{:?}", r.body);
        }
        let r = app
            .post(
                SOCIAL_BADAJOZ,
                &format!("/candidates/{cand}/status"),
                &json!({"status": "enrolled"}),
            )
            .await;
        assert_eq!(r.body["status"], "enrolled", "{:?}", r.body);
    }

    // The trainer's courses: this one, not another city's.
    let mut there = course.clone();
    there["provider_id"] = json!(app.org("Emerita Solidaria").await);
    there["trainer_ids"] = json!([other_trainer]);
    let r = app.post(SOCIAL_MERIDA, "/courses", &there).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let merida = r.body["id"].as_str().unwrap().to_string();
    let list = app.get(TRAINER, "/courses").await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    let listed: Vec<&str> = list.body["courses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&id.as_str()));
    assert!(!listed.contains(&merida.as_str()));
    let r = app.get(TRAINER, &format!("/courses/{merida}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The group: the consented person only, without phase, decisions or reasons.
    let v = app.get(TRAINER, &path).await;
    assert_eq!(v.status, StatusCode::OK, "{:?}", v.body);
    let group = v.body["candidates"].as_array().unwrap();
    assert_eq!(group.len(), 1, "{:#}", v.body);
    assert_eq!(group[0]["id"], ids[0].as_str());
    assert_eq!(group[0]["phase"], "");
    assert!(group[0]["social_reason"].is_null() && group[0]["employment_reason"].is_null());
    // Nor the case: a trainer's reach is the course.
    assert!(group[0]["case_id"].is_null(), "{:#}", group[0]);
    assert!(v.body["pool"].as_array().unwrap().is_empty());
    assert_eq!(v.body["as_trainer"], true);
    let text = v.body.to_string();
    assert!(!text.contains("Apoyo familiar") && !text.contains(&pb));
    // The consent counts from the day it was given to the day it expires, both
    // included: the day before and the day after, the trainer's group is empty.
    for (day, seen) in [
        ("2026-10-31", 0),
        ("2026-11-01", 1),
        ("2026-12-10", 1),
        ("2026-12-11", 0),
    ] {
        let at = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
            .and_utc();
        app.clock.set(at);
        let v = app.get(TRAINER, &path).await;
        assert_eq!(v.status, StatusCode::OK, "{day}: {:?}", v.body);
        assert_eq!(
            v.body["candidates"].as_array().map(Vec::len),
            Some(seen),
            "{day}: {:#}",
            v.body
        );
    }
    app.clock.set(start_time());

    // Nothing of the person or the case.
    for path in [
        format!("/participants/{pa}"),
        format!("/cases/{a}"),
        format!("/cases/{a}/assessments"),
        format!("/cases/{a}/contacts"),
        format!("/cases/{a}/incidents"),
        format!("/cases/{a}/itinerary"),
    ] {
        let r = app.get(TRAINER, &path).await;
        assert!(
            matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{path}: {}",
            r.status
        );
        assert!(!r.body.to_string().contains("Campos"), "{path}");
    }
    let r = app
        .post(
            TRAINER,
            &format!("{path}/candidates"),
            &json!({"case_id": a}),
        )
        .await;
    assert!(matches!(
        r.status,
        StatusCode::NOT_FOUND | StatusCode::FORBIDDEN
    ));

    // Attendance: the consented person, in one request; the other is refused as if
    // not enrolled, and nothing is saved.
    let day = v.body["sessions"][0]["id"].as_str().unwrap().to_string();
    let sheet = app
        .get(TRAINER, &format!("/sessions/{day}/attendance"))
        .await;
    assert_eq!(sheet.status, StatusCode::OK, "{:?}", sheet.body);
    assert_eq!(sheet.body["can_record"], true);
    assert_eq!(sheet.body["lines"].as_array().unwrap().len(), 1);
    assert!(
        sheet.body["lines"][0]["case_id"].is_null(),
        "{:#}",
        sheet.body
    );
    let r = app
        .put(TRAINER, &format!("/sessions/{day}/attendance"), &json!({"lines": [
            {"candidate_id": ids[0], "status": "present"}, {"candidate_id": ids[1], "status": "absent"}]}))
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "lines.1.candidate_id".to_string(),
            "validation.attendance.not_enrolled".to_string()
        )]
    );
    let r = app
        .put(
            TRAINER,
            &format!("/sessions/{day}/attendance"),
            &json!({"lines": [
            {"candidate_id": ids[0], "status": "late"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let seen = app
        .get(SOCIAL_BADAJOZ, &format!("/sessions/{day}/attendance"))
        .await
        .body;
    let marked: Vec<&Value> = seen["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| !l["status"].is_null())
        .collect();
    assert_eq!(marked.len(), 1, "{seen:#}");
    assert_eq!(marked[0]["status"], "late");

    // An incident of the person on the course: the case manager is told at once.
    let r = app
        .post(
            TRAINER,
            &format!("/candidates/{}/incidents", ids[1]),
            &json!({
            "kind": "conciliation", "severity": "low", "description": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "no consent, no report");
    let r = app
        .post(
            TRAINER,
            &format!("/candidates/{}/incidents", ids[0]),
            &json!({
            "kind": "conciliation", "severity": "medium", "occurred_on": "2026-11-23",
            "description": "Llega tarde por el horario del colegio de sus hijos."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let incident = r.body["id"].as_str().unwrap().to_string();
    let notices = app
        .get(SOCIAL_BADAJOZ, "/notifications")
        .await
        .body
        .to_string();
    assert!(notices.contains(&incident), "{notices}");
    let inc = app
        .get(SOCIAL_BADAJOZ, &format!("/cases/{a}/incidents"))
        .await
        .body;
    assert!(inc["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["id"] == incident.as_str() && i["reporter"] == "trainer"));
    let r = app.get(TRAINER, "/incidents/reported").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let mine = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == incident.as_str())
        .expect("listed")
        .clone();
    assert_eq!(mine["about"], "Atención sociosanitaria");
    assert_eq!(mine["participant_name"], "Rocío Campos Durán");

    // The same through the pages: the course, the incident form (a rejected one keeps
    // what was typed), the list of what they reported, a new session.
    let b = Browser::new(&app.base);
    b.login(TRAINER).await;
    let (st, html) = b.page(&path).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("Rocío Campos Durán") && !html.contains("Apoyo familiar"));
    assert!(
        !html.contains(&format!("/cases/{a}")),
        "no link to the case"
    );
    let form = format!("{path}/candidates/{}/incident", ids[0]);
    assert!(html.contains(&form));
    let (st, _) = b.page(&form).await;
    assert_eq!(st, StatusCode::OK);
    let (st, html, _) = b
        .post_form(
            &form,
            &[
                ("kind", "other"),
                ("severity", ""),
                ("description", "Se marea en el aula"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Se marea en el aula"), "kept what was typed");
    let (st, _, to) = b
        .post_form(
            &form,
            &[
                ("kind", "other"),
                ("severity", "low"),
                ("description", "Se marea en el aula"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(to.unwrap_or_default().starts_with("/incidents/reported"));
    let (st, html) = b.page("/incidents/reported").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("Se marea en el aula"));
    let (st, _) = b.page(&format!("{path}/sessions/new")).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = b.page(&format!("/cases/{a}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Another trainer, or a tutor, reaches none of it.
    for user in ["formador.merida", TUTOR] {
        let r = app.get(user, &path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{user}");
        let r = app.get(user, &format!("/sessions/{day}/attendance")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{user}");
    }

    // Consent withdrawn: the person leaves the trainer's sheet at once.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/consents/{consent}/withdrawal"),
            &json!({"withdrawn_on": "2026-11-23"}),
        )
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);
    let v = app.get(TRAINER, &path).await.body;
    assert!(v["candidates"].as_array().unwrap().is_empty(), "{v:#}");
    let sheet = app
        .get(TRAINER, &format!("/sessions/{day}/attendance"))
        .await
        .body;
    assert!(sheet["lines"].as_array().unwrap().is_empty());
    // What they reported of the person stays listed for what became of it, but says
    // nothing of the person any more: no name, no words, no course.
    let r = app.get(TRAINER, "/incidents/reported").await;
    let mine = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == incident.as_str())
        .expect("listed")
        .clone();
    assert_eq!(
        (
            &mine["participant_name"],
            &mine["description"],
            &mine["about"]
        ),
        (&Value::Null, &json!(""), &Value::Null),
        "{mine}"
    );
    assert!(!r.body.to_string().contains("Se marea"), "{}", r.body);
    // A person the trainer's own organisation registered needs no consent: were the
    // provider the registering organisation, the person would be in its group again.
    exec(
        &app,
        "UPDATE participants SET home_organisation_id = (SELECT c.provider_id FROM courses c \
         JOIN course_candidates cc ON cc.course_id = c.id JOIN cases k ON k.id = cc.case_id \
         WHERE k.participant_id = $1) WHERE id = $1",
        &pa,
    )
    .await;
    let v = app.get(TRAINER, &path).await.body;
    assert_eq!(v["candidates"][0]["id"], ids[0].as_str(), "{v:#}");
    exec(
        &app,
        "UPDATE participants SET home_organisation_id = (SELECT home_organisation_id FROM cases \
         WHERE participant_id = $1) WHERE id = $1",
        &pa,
    )
    .await;
    let v = app.get(TRAINER, &path).await.body;
    assert!(v["candidates"].as_array().unwrap().is_empty(), "{v:#}");
    // A consent for another purpose shares nothing; a sharing consent naming the
    // trainer's organisation (rather than its kind) does.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/participants/{pb}/consents"),
            &json!({"purpose": "statistics", "given_on": "2026-11-01", "evidence": "Firma",
                    "organisation_kinds": ["third_sector"], "organisations": [provider]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let v = app.get(TRAINER, &path).await.body;
    assert!(v["candidates"].as_array().unwrap().is_empty(), "{v:#}");
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/participants/{pb}/consents"),
            &json!({"purpose": "sharing", "given_on": "2026-11-01", "evidence": "Firma",
                    "organisations": [provider]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let v = app.get(TRAINER, &path).await.body;
    assert_eq!(v["candidates"][0]["id"], ids[1].as_str(), "{v:#}");
    // A trainer's read is audited like any other.
    let reads = "SELECT COUNT(*) FROM audit_read_log WHERE action = 'course.read'";
    let before = count(&app, reads).await;
    assert_eq!(app.get(TRAINER, &path).await.status, StatusCode::OK);
    assert_eq!(count(&app, reads).await, before + 1);
    // A trainer reaches the course's people until a month after it ends (18 December
    // + 31 days), then no more.
    app.clock.advance(chrono::Duration::days(56));
    assert_eq!(app.get(TRAINER, &path).await.status, StatusCode::OK);
    app.clock.advance(chrono::Duration::days(2));
    assert_eq!(app.get(TRAINER, &path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, &path).await.status,
        StatusCode::OK,
        "the team still reads it"
    );
}

/// The schedule is editable: a make-up session added, a session moved or cancelled —
/// by whoever may create courses or by the course's trainer — and a session whose
/// attendance was taken keeps its day and cannot be cancelled.
#[tokio::test]
async fn a_courses_schedule_is_edited_and_attendance_holds_its_day() {
    let app = spawn_app().await;
    let crisol = app.programme("CRISOL").await;
    let (trainer, provider) = who(&app, TRAINER).await;
    let r = app
        .post(SOCIAL_BADAJOZ, "/courses", &json!({
            "programme_id": crisol, "provider_id": provider, "title": "Carretillas elevadoras",
            "theory_hours": "20", "practice_hours": "20", "start_on": "2026-11-02", "end_on": "2026-11-27",
            "weekdays": ["mon"], "starts_at": "09:00", "ends_at": "13:00", "places": "10",
            "trainer_ids": [trainer]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let path = format!("/courses/{id}");
    let days = sessions(&app.get(SOCIAL_BADAJOZ, &path).await.body);
    assert_eq!(days.len(), 4);
    // Bad input names the field; nothing changes.
    let add = format!("{path}/sessions");
    let r = app
        .post(
            TRAINER,
            &add,
            &json!({"held_on": "2026-10-01", "starts_at": "10:00", "ends_at": "09:00"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [
            (
                "held_on".to_string(),
                "validation.session.before_course".to_string()
            ),
            (
                "ends_at".to_string(),
                "validation.course.ends_before_starts".to_string()
            )
        ]
    );
    let r = app
        .post(
            TRAINER,
            &add,
            &json!({"held_on": "2026-11-02", "starts_at": "09:00", "ends_at": "13:00"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "held_on".to_string(),
            "validation.session.taken".to_string()
        )]
    );
    // The trainer adds a make-up afternoon after the end.
    let r = app
        .post(
            TRAINER,
            &add,
            &json!({"held_on": "2026-11-30", "starts_at": "16:00", "ends_at": "19:00"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // The auditor, or another provider's trainer, does not reach the course.
    let r = app
        .post(
            AUDITOR,
            &add,
            &json!({"held_on": "2026-11-28", "starts_at": "09:00", "ends_at": "10:00"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    let r = app
        .post(
            "formador.merida",
            &add,
            &json!({"held_on": "2026-11-28", "starts_at": "09:00", "ends_at": "10:00"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    // The 9th is moved to the 10th; the 16th cancelled.
    let r = app
        .put(
            TRAINER,
            &format!("/sessions/{}", days[1].1),
            &json!({"held_on": "2026-11-10", "starts_at": "09:00", "ends_at": "13:00"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .put(SOCIAL_BADAJOZ, &format!("/sessions/{}", days[2].1), &json!({"held_on": "2026-11-16", "starts_at": "09:00", "ends_at": "13:00", "cancelled": true}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let v = app.get(SOCIAL_BADAJOZ, &path).await.body;
    let s: Vec<(String, bool)> = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["held_on"].as_str().unwrap().to_string(),
                x["cancelled"] == true,
            )
        })
        .collect();
    assert_eq!(
        s,
        [
            ("2026-11-02".to_string(), false),
            ("2026-11-10".to_string(), false),
            ("2026-11-16".to_string(), true),
            ("2026-11-23".to_string(), false),
            ("2026-11-30".to_string(), false)
        ]
    );
    assert_eq!(
        v["course"]["sessions"], 4,
        "cancelled sessions do not count"
    );
    // Once attendance is taken, the day stays and it cannot be cancelled.
    let (_, a) = shared_case(&app, 44_000_201).await;
    let (_, b_case) = shared_case(&app, 44_000_202).await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{path}/candidates"),
            &json!({"case_id": a}),
        )
        .await;
    let cand = r.body["id"].as_str().unwrap().to_string();
    for (u, why) in [(SOCIAL_BADAJOZ, "a"), (SEXPE_BADAJOZ, "b")] {
        app.post(
            u,
            &format!("/candidates/{cand}/decision"),
            &json!({"decision": "approve", "reason": why}),
        )
        .await;
    }
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/candidates/{cand}/status"),
            &json!({"status": "enrolled"}),
        )
        .await;
    assert_eq!(r.body["status"], "enrolled", "{:?}", r.body);
    // No attendance on a cancelled session.
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            &format!("/sessions/{}/attendance", days[2].1),
            &json!({"lines": [{"candidate_id": cand, "status": "present"}]}),
        )
        .await;
    assert_eq!(
        r.body["type"], "urn:itinera:problem:attendance.cancelled",
        "{:?}",
        r.body
    );
    let first = &days[0].1;
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            &format!("/sessions/{first}/attendance"),
            &json!({"lines": [{"candidate_id": cand, "status": "present"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .put(
            TRAINER,
            &format!("/sessions/{first}"),
            &json!({"held_on": "2026-11-03", "starts_at": "09:00", "ends_at": "13:00"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "held_on".to_string(),
            "validation.session.recorded".to_string()
        )]
    );
    let r = app
        .put(TRAINER, &format!("/sessions/{first}"), &json!({"held_on": "2026-11-02", "starts_at": "09:00", "ends_at": "13:00", "cancelled": true}))
        .await;
    assert_eq!(
        r.body["type"], "urn:itinera:problem:session.recorded",
        "{:?}",
        r.body
    );
    let r = app
        .put(
            TRAINER,
            &format!("/sessions/{first}"),
            &json!({"held_on": "2026-11-02", "starts_at": "09:30", "ends_at": "13:30"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "hours may change: {:?}", r.body);

    // A make-up afternoon on a day that has its morning: a sheet sent by day must say
    // which session, and goes to that one only.
    let r = app
        .post(
            TRAINER,
            &add,
            &json!({"held_on": "2026-11-23", "starts_at": "16:00", "ends_at": "19:00"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let afternoon = r.body["id"].as_str().unwrap().to_string();
    let by_day = format!("{path}/attendance");
    let line = json!([{"candidate_id": cand, "status": "late"}]);
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &by_day,
            &json!({"held_on": "2026-11-23", "lines": line}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "starts_at".to_string(),
            "validation.attendance.which_session".to_string()
        )]
    );
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &by_day,
            &json!({"held_on": "2026-11-23", "starts_at": "12:00", "lines": line}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "starts_at".to_string(),
            "validation.attendance.not_a_session".to_string()
        )]
    );
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &by_day,
            &json!({"held_on": "2026-11-23", "starts_at": "16:00", "lines": line}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["session_id"], afternoon.as_str());
    let v = app.get(SOCIAL_BADAJOZ, &path).await.body;
    let recorded: Vec<(String, String, i64)> = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["held_on"] == "2026-11-23")
        .map(|x| {
            (
                x["starts_at"].as_str().unwrap().to_string(),
                x["id"].as_str().unwrap().to_string(),
                x["recorded"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0].2, 0, "the morning is untouched: {recorded:?}");
    assert_eq!(
        (recorded[1].1.as_str(), recorded[1].2),
        (afternoon.as_str(), 1)
    );

    // One who dropped out stays on the sheets they were marked on, shown and not sent:
    // the sheet's form has no line of theirs to refuse.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/candidates/{cand}/status"),
            &json!({"status": "dropped", "reason": "Empleo"}),
        )
        .await;
    assert_eq!(r.body["status"], "dropped", "{:?}", r.body);
    let sheet = app
        .get(SOCIAL_BADAJOZ, &format!("/sessions/{afternoon}/attendance"))
        .await
        .body;
    assert_eq!(sheet["lines"][0]["candidate_id"], cand.as_str());
    assert_eq!(sheet["lines"][0]["editable"], false, "{sheet}");
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (st, html) = b.page(&format!("/sessions/{afternoon}/attendance")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        html.contains("Empleo") || html.contains(&cand) || html.contains("line-0"),
        "shown"
    );
    assert!(!html.contains("lines.0.candidate_id"), "not sent");
    assert!(
        !html.contains("type=\"submit\" class=\"primary\""),
        "nothing to save"
    );

    // A closed case leaves the course, and takes no place on another.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{path}/candidates"),
            &json!({"case_id": b_case}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let other = r.body["id"].as_str().unwrap().to_string();
    let v = app
        .get(SOCIAL_BADAJOZ, &format!("/cases/{b_case}"))
        .await
        .body;
    let version = v["case"]["version"].clone();
    let r = app
        .post(SOCIAL_BADAJOZ, &format!("/cases/{b_case}/status-changes"), &json!({"action": "close", "reason": "Fin", "exit_reason": "employed", "exit_on": "2026-11-23", "version": version}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/candidates/{other}/decision"),
            &json!({"decision": "approve", "reason": "x"}),
        )
        .await;
    assert_eq!(
        r.body["type"], "urn:itinera:problem:case.closed",
        "{:?}",
        r.body
    );
}

#[tokio::test]
async fn a_courses_trainers_are_replaced_and_whoever_leaves_loses_the_group() {
    let app = spawn_app().await;
    let crisol = app.programme("CRISOL").await;
    let (trainer, provider) = who(&app, TRAINER).await;
    let (other_trainer, _) = who(&app, "formador.merida").await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            "/courses",
            &json!({
                "programme_id": crisol, "provider_id": provider, "title": "Carretillas elevadoras",
                "theory_hours": "20", "practice_hours": "20",
                "start_on": "2026-11-02", "end_on": "2026-12-18", "weekdays": ["mon"],
                "starts_at": "09:00", "ends_at": "13:00", "places": "8",
                "trainer_ids": [trainer]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let path = format!("/courses/{id}");
    let trainers = format!("{path}/trainers");
    assert_eq!(app.get(TRAINER, &path).await.body["as_trainer"], true);
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, &path).await.body["can_set_trainers"],
        true
    );

    // Another city's services neither name the trainers nor are offered to.
    let r = app
        .put(SOCIAL_MERIDA, &trainers, &json!({"trainer_ids": []}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    let r = app
        .put(TRAINER, &trainers, &json!({"trainer_ids": []}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    // Bad choices are named and change nothing.
    for (ids, code) in [
        (
            json!([other_trainer]),
            "validation.course.trainer_other_provider",
        ),
        (json!(["no-es-un-id"]), "validation.choice"),
    ] {
        let r = app
            .put(SOCIAL_BADAJOZ, &trainers, &json!({"trainer_ids": ids}))
            .await;
        assert_eq!(
            codes(&r.body),
            [("trainer_ids".to_string(), code.to_string())]
        );
    }
    assert_eq!(app.get(TRAINER, &path).await.status, StatusCode::OK);

    // Taken off the course, the trainer loses it at once; named again, has it back.
    let r = app
        .put(SOCIAL_BADAJOZ, &trainers, &json!({"trainer_ids": []}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(app.get(TRAINER, &path).await.status, StatusCode::NOT_FOUND);
    let listed = app.get(TRAINER, "/courses").await.body;
    assert!(!listed.to_string().contains(&id));
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            &trainers,
            &json!({"trainer_ids": [trainer]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(app.get(TRAINER, &path).await.body["as_trainer"], true);
    assert_eq!(
        count_id(
            &app,
            "SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action = 'course.trainers'",
            &id
        )
        .await,
        2
    );

    // The page: the provider's trainers, ticked as saved; a refused form keeps the ticks.
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, html) = b.page(&trainers).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("value=\"{trainer}\" checked")),
        "{html}"
    );
    assert!(
        !html.contains(&other_trainer),
        "only the provider's trainers"
    );
    let (status, html, _) = b
        .post_form(&trainers, &[("trainer_ids", &other_trainer)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"trainer_ids-error\""), "{html}");
    assert!(
        !html.contains(&format!("value=\"{trainer}\" checked")),
        "{html}"
    );
    let (status, _, location) = b.post_form(&trainers, &[("trainer_ids", "")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some(path.as_str()));
    assert_eq!(app.get(TRAINER, &path).await.status, StatusCode::NOT_FOUND);
}

/// A long course's page opens on the sessions nearest today (the last five held and the
/// next six), with the whole schedule a link away; the API gives the whole schedule
/// unless asked for the near part.
#[tokio::test]
async fn a_long_courses_page_opens_on_the_sessions_near_today() {
    let app = spawn_app().await;
    let crisol = app.programme("CRISOL").await;
    let (trainer, provider) = who(&app, TRAINER).await;
    let r = app
        .post(SOCIAL_BADAJOZ, "/courses", &json!({
            "programme_id": crisol, "provider_id": provider, "title": "Operaciones de almacén",
            "theory_hours": "300", "practice_hours": "80", "start_on": "2026-09-01", "end_on": "2027-01-29",
            "weekdays": ["mon", "tue", "wed", "thu", "fri"], "starts_at": "09:00", "ends_at": "14:00",
            "places": "15", "trainer_ids": [trainer]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let path = format!("/courses/{id}");
    // The API: the whole schedule by default, and with `schedule=all`.
    let whole = app.get(SOCIAL_BADAJOZ, &path).await.body;
    let all = sessions(&whole);
    assert!(all.len() > 100, "{}", all.len());
    assert_eq!(whole["schedule_whole"], true);
    assert_eq!(whole["course"]["sessions"], all.len());
    assert_eq!(
        sessions(
            &app.get(SOCIAL_BADAJOZ, &format!("{path}?schedule=all"))
                .await
                .body
        ),
        all
    );
    // `schedule=near`: today is Monday 23 November 2026.
    let near = app
        .get(SOCIAL_BADAJOZ, &format!("{path}?schedule=near"))
        .await
        .body;
    assert_eq!(near["schedule_whole"], false);
    let days: Vec<String> = sessions(&near).into_iter().map(|(d, _)| d).collect();
    assert_eq!(
        days,
        [
            "2026-11-16",
            "2026-11-17",
            "2026-11-18",
            "2026-11-19",
            "2026-11-20",
            "2026-11-23",
            "2026-11-24",
            "2026-11-25",
            "2026-11-26",
            "2026-11-27",
            "2026-11-30"
        ]
    );
    // A cancelled session near today is still listed, marked.
    let (_, thursday) = all.iter().find(|(d, _)| d == "2026-11-19").unwrap().clone();
    let r = app
        .put(SOCIAL_BADAJOZ, &format!("/sessions/{thursday}"), &json!({"held_on": "2026-11-19", "starts_at": "09:00", "ends_at": "14:00", "cancelled": true}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let near = app
        .get(SOCIAL_BADAJOZ, &format!("{path}?schedule=near"))
        .await
        .body;
    let listed = near["sessions"].as_array().unwrap();
    assert_eq!(listed.len(), 11);
    assert!(listed
        .iter()
        .any(|s| s["id"] == thursday.as_str() && s["cancelled"] == true));

    // The page: the near sessions, a link to the whole schedule with its count.
    let far = &all.first().unwrap().1;
    let today = &all.iter().find(|(d, _)| d == "2026-11-23").unwrap().1;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, html) = b.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("id=\"session-{today}\"")), "{html}");
    assert!(!html.contains(&format!("id=\"session-{far}\"")));
    assert!(html.contains("las cinco últimas y las seis siguientes"));
    let count = all.len() - 1;
    assert!(
        html.contains(&format!(
            "href=\"/courses/{id}?schedule=all#sessions\">Ver el calendario completo ({count} sesiones)"
        )),
        "{html}"
    );
    // The whole schedule, and the way back.
    let (status, html) = b.page(&format!("{path}?schedule=all")).await;
    assert_eq!(status, StatusCode::OK);
    for (_, s) in &all {
        assert!(html.contains(&format!("id=\"session-{s}\"")));
    }
    assert!(html.contains(&format!("href=\"/courses/{id}?schedule=near#sessions\"")));
    assert!(!html.contains("las cinco últimas y las seis siguientes"));

    // A short course is its whole schedule even near today: no hint, no links.
    let r = app
        .post(SOCIAL_BADAJOZ, "/courses", &json!({
            "programme_id": crisol, "provider_id": provider, "title": "Manipulación de alimentos",
            "theory_hours": "10", "practice_hours": "0", "start_on": "2026-11-16", "end_on": "2026-11-27",
            "weekdays": ["mon", "wed"], "starts_at": "09:00", "ends_at": "14:00", "places": "15"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let short = r.body["id"].as_str().unwrap().to_string();
    let near = app
        .get(SOCIAL_BADAJOZ, &format!("/courses/{short}?schedule=near"))
        .await
        .body;
    assert_eq!(sessions(&near).len(), 4);
    assert_eq!(near["schedule_whole"], true);
    let (status, html) = b.page(&format!("/courses/{short}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("las cinco últimas y las seis siguientes"));
    assert!(!html.contains("schedule="), "{html}");
}
