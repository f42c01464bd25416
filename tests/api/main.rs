//! Integration tests through the HTTP API and the HTML views, on the engine named by
//! `ITINERA_TEST_DB` (sqlite by default, or postgres). The README's test command runs
//! them on both.

mod access;
mod admin;
mod audit;
mod auth;
mod cases;
mod helpers;
mod participants;
mod schema;
