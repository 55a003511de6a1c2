//! All integration tests live in one binary: linking many is slow on two cores.

mod backends;
mod harness;

mod accounts;
mod admin;
mod auth;
mod child;
mod conformance;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod disk_full;
mod external;
mod hostile;
mod openapi;
mod pg_postings;
mod probes;
mod process;
mod storm;
mod tls;
mod transfers;
mod web;
