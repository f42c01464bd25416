-- Public holidays per territory, kept by administrators: a holiday with no territory is
-- the deployment's national one; one of a region, province or municipality holds there
-- and in the territories below it. Meetings planned from a frequency skip them.
CREATE TABLE public_holidays (
    id UUID PRIMARY KEY,
    territory_id UUID REFERENCES territories (id),
    day DATE NOT NULL,
    name TEXT NOT NULL,
    created_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX public_holidays_day ON public_holidays (day);
CREATE INDEX public_holidays_territory ON public_holidays (territory_id, day);
