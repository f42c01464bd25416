-- Goals and actions of an itinerary carry a version, as the itinerary does: a change made
-- on what someone else changed meanwhile is refused rather than written over it.
ALTER TABLE itinerary_goals ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE itinerary_actions ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
