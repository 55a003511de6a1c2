//! process tests
