-- Collaboration agreements and protocols between the network's organisations.
CREATE TABLE network_agreements (
    id UUID PRIMARY KEY,
    subject TEXT NOT NULL,
    subject_key TEXT {collate_c} NOT NULL,
    kind TEXT NOT NULL,
    signed_on DATE NOT NULL,
    valid_until DATE,
    document_ref TEXT,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX network_agreements_signed ON network_agreements (signed_on);

CREATE TABLE network_agreement_parties (
    agreement_id UUID NOT NULL REFERENCES network_agreements (id),
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (agreement_id, organisation_id)
);
CREATE INDEX network_agreement_parties_org ON network_agreement_parties (organisation_id);

CREATE TABLE network_agreement_programmes (
    agreement_id UUID NOT NULL REFERENCES network_agreements (id),
    programme_id UUID NOT NULL REFERENCES programmes (id),
    PRIMARY KEY (agreement_id, programme_id)
);
