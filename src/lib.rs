//! bankbox: a bank in a box. See DESIGN.md for the shape.

pub mod api;
pub mod app;
pub mod auth;
pub mod bank;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod domain;
pub mod memory;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod web;
