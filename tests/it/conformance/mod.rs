//! One suite per port, run against every adapter.

mod cache;
pub mod store;
