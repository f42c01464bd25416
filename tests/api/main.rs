//! Integration tests through the HTTP API and the HTML views, on the engine named by
//! `ITINERA_TEST_DB` (sqlite by default, or postgres). The README's test command runs
//! them on both.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../common/mod.rs"]
mod common;

mod access;
mod admin;
mod audit;
mod auth;
mod benefits;
mod boards;
mod caseload;
mod cases;
mod casework;
mod conformance;
mod coordination;
mod coordination_report;
mod errors;
mod helpers;
mod holidays;
mod households;
mod imports;
mod indicators;
mod linkage;
mod mail;
mod participants;
mod placements;
mod privacy;
mod probes;
mod raw_codes;
mod referrals;
mod resources;
mod rules;
mod schema;
mod second_factor;
mod segregation;
mod servers;
mod subject_rights;
mod training;
mod visibility;
mod xss;
