//! Organisations, territories and programmes: the configuration administrators keep.

use serde::{Deserialize, Serialize};

/// A small macro for the string-coded enums of the domain: each variant has a stable
/// snake_case code used in the database, the API and the translation keys.
#[macro_export]
macro_rules! coded_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        // The API documents a coded value as a string with its codes.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($code),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

coded_enum!(
    /// SPEC §2: the kinds of organisation of a network.
    OrganisationKind {
        SocialServices = "social_services",
        EmploymentService = "employment_service",
        ThirdSector = "third_sector",
        InsertionCompany = "insertion_company",
        TrainingProvider = "training_provider",
        Employer = "employer",
        Authority = "authority",
    }
);

coded_enum!(
    TerritoryLevel {
        Region = "region",
        Province = "province",
        Municipality = "municipality",
        Zone = "zone",
    }
);

impl TerritoryLevel {
    /// The level a child of this level must have.
    pub fn child(self) -> Option<TerritoryLevel> {
        match self {
            TerritoryLevel::Region => Some(TerritoryLevel::Province),
            TerritoryLevel::Province => Some(TerritoryLevel::Municipality),
            TerritoryLevel::Municipality => Some(TerritoryLevel::Zone),
            TerritoryLevel::Zone => None,
        }
    }
}

/// A programme's funding source: fund and co-financing percentage in basis points
/// (8000 = 80 %).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FundingShare {
    pub fund: String,
    pub share_bp: i32,
}

/// Funding shares of a programme must each be in (0, 100 %] and not exceed 100 % in total.
pub fn check_funding(shares: &[FundingShare]) -> Result<(), &'static str> {
    let mut total = 0i64;
    for s in shares {
        if s.fund.trim().is_empty() {
            return Err("validation.required");
        }
        if s.share_bp <= 0 || s.share_bp > 10_000 {
            return Err("validation.funding.share_range");
        }
        total += i64::from(s.share_bp);
    }
    if total > 10_000 {
        return Err("validation.funding.total");
    }
    Ok(())
}

/// A programme code: 2–32 characters, upper-case letters, digits, `-` and `_`.
pub fn validate_code(raw: &str) -> Result<String, &'static str> {
    let c = raw.trim().to_uppercase();
    if c.len() < 2 || c.len() > 32 {
        return Err("validation.code.format");
    }
    if !c
        .chars()
        .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' || ch == 'Ó' || ch == 'Ñ')
    {
        return Err("validation.code.format");
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn funding_shares_sum_to_at_most_all() {
        let ok = [
            FundingShare {
                fund: "ESF".into(),
                share_bp: 8000,
            },
            FundingShare {
                fund: "Junta".into(),
                share_bp: 2000,
            },
        ];
        assert_eq!(check_funding(&ok), Ok(()));
        let over = [
            FundingShare {
                fund: "ESF".into(),
                share_bp: 8000,
            },
            FundingShare {
                fund: "Junta".into(),
                share_bp: 2500,
            },
        ];
        assert_eq!(check_funding(&over), Err("validation.funding.total"));
        let zero = [FundingShare {
            fund: "ESF".into(),
            share_bp: 0,
        }];
        assert_eq!(check_funding(&zero), Err("validation.funding.share_range"));
    }

    #[test]
    fn codes_round_trip() {
        for k in OrganisationKind::ALL {
            assert_eq!(OrganisationKind::parse(k.code()), Some(*k));
        }
        assert_eq!(
            validate_code("crisol-formación"),
            Ok("CRISOL-FORMACIÓN".into())
        );
        assert_eq!(validate_code("x"), Err("validation.code.format"));
    }

    #[test]
    fn territory_levels_nest() {
        assert_eq!(
            TerritoryLevel::Region.child(),
            Some(TerritoryLevel::Province)
        );
        assert_eq!(TerritoryLevel::Zone.child(), None);
    }
}
