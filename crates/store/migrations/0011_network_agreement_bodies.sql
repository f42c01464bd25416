-- The coordination bodies a network agreement serves (besides its programmes).
CREATE TABLE network_agreement_bodies (
    agreement_id UUID NOT NULL REFERENCES network_agreements (id),
    body_id UUID NOT NULL REFERENCES coordination_bodies (id),
    PRIMARY KEY (agreement_id, body_id)
);
CREATE INDEX network_agreement_bodies_body ON network_agreement_bodies (body_id);
