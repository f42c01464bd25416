-- Training in alternance (issue 16): courses of a programme with their sessions, the
-- candidates preselected from the programme's cases and selected jointly by the social
-- and the employment service, enrolment, and attendance per session. Absenteeism past
-- the programme's threshold raises an incident by itself.

CREATE TABLE courses (
    id UUID PRIMARY KEY,
    programme_id UUID NOT NULL REFERENCES programmes (id),
    project_id UUID REFERENCES projects (id),
    provider_id UUID NOT NULL REFERENCES organisations (id),
    title TEXT NOT NULL,
    specialty TEXT,
    theory_hours INTEGER NOT NULL,
    practice_hours INTEGER NOT NULL,
    start_on DATE NOT NULL,
    end_on DATE NOT NULL,
    place TEXT,
    places INTEGER NOT NULL,
    weekdays TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    trainers TEXT,
    alternance_from DATE,
    alternance_to DATE,
    created_by UUID NOT NULL REFERENCES users (id),
    created_by_organisation_id UUID NOT NULL REFERENCES organisations (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX courses_programme ON courses (programme_id, start_on);

CREATE TABLE course_sessions (
    id UUID PRIMARY KEY,
    course_id UUID NOT NULL REFERENCES courses (id),
    held_on DATE NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    cancelled BOOLEAN NOT NULL
);
CREATE UNIQUE INDEX course_sessions_day ON course_sessions (course_id, held_on, starts_at);

-- One row per case on a course: candidate (preselected), selected (both services
-- agreed), waiting list, enrolled, dropped out, completed.
CREATE TABLE course_candidates (
    id UUID PRIMARY KEY,
    course_id UUID NOT NULL REFERENCES courses (id),
    case_id UUID NOT NULL REFERENCES cases (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    status TEXT NOT NULL,
    preselected_by UUID NOT NULL REFERENCES users (id),
    preselected_at TIMESTAMPTZ NOT NULL,
    social_decision TEXT,
    social_reason TEXT,
    social_by UUID REFERENCES users (id),
    employment_decision TEXT,
    employment_reason TEXT,
    employment_by UUID REFERENCES users (id),
    status_reason TEXT,
    certificate BOOLEAN NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX course_candidates_once ON course_candidates (course_id, case_id);
CREATE INDEX course_candidates_case ON course_candidates (case_id);

CREATE TABLE attendance (
    session_id UUID NOT NULL REFERENCES course_sessions (id),
    candidate_id UUID NOT NULL REFERENCES course_candidates (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    status TEXT NOT NULL,
    reason TEXT,
    recorded_by UUID NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (session_id, candidate_id)
);
CREATE INDEX attendance_candidate ON attendance (candidate_id, session_id);

ALTER TABLE programmes ADD COLUMN absences_per_month SMALLINT NOT NULL DEFAULT 3;
ALTER TABLE programmes ADD COLUMN absence_share_pct SMALLINT NOT NULL DEFAULT 15;
ALTER TABLE incidents ADD COLUMN candidate_id UUID REFERENCES course_candidates (id);
CREATE INDEX incidents_candidate ON incidents (candidate_id, occurred_on);
