-- The organisation that keeps a resource of a provider outside the network (the one
-- that entered it); a resource of a network organisation is kept by that organisation.
-- None for resources entered before, or imported by the network's keepers.
ALTER TABLE resources ADD COLUMN owner_organisation_id UUID REFERENCES organisations (id);
