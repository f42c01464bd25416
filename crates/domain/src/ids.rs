//! Typed identifiers: where a function takes several ids, each says what it names, so
//! that a user's id cannot be passed where an organisation's is expected. On the wire
//! and in the database they are plain UUIDs.

use uuid::Uuid;

macro_rules! typed_id {
    ($($(#[$m:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$m])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                $name(u)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{KnownFormat, SchemaFormat, Type};
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    )+};
}

typed_id!(
    /// A participant's record (one organisation's record of a person).
    ParticipantId,
    /// A case: a participant in a programme.
    CaseId,
    /// A user: a professional, an auditor, an administrator.
    UserId,
    /// An organisation of the network.
    OrganisationId,
    /// A coordination body.
    BodyId,
    /// A meeting of a body.
    MeetingId,
    /// An agreement made at a meeting.
    AgreementId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_a_uuid_on_the_wire() {
        let u = Uuid::new_v4();
        let id = CaseId(u);
        assert_eq!(
            serde_json::to_string(&id).ok(),
            serde_json::to_string(&u).ok()
        );
        assert_eq!(id.to_string().parse::<CaseId>().ok(), Some(id));
        assert_eq!(Uuid::from(id), u);
    }
}
