//! Latency and error bookkeeping per request type.

use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Default)]
pub struct Stats {
    /// Latencies in microseconds.
    latencies: Vec<u32>,
    pub errors: BTreeMap<String, u64>,
}

impl Stats {
    pub fn ok(&mut self, took: Duration) {
        self.latencies
            .push(took.as_micros().min(u128::from(u32::MAX)) as u32);
    }

    pub fn error(&mut self, what: String) {
        *self.errors.entry(what).or_default() += 1;
    }

    pub fn merge(&mut self, other: Stats) {
        self.latencies.extend(other.latencies);
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
    }

    pub fn count(&self) -> usize {
        self.latencies.len()
    }

    /// One report line: throughput and latency percentiles in milliseconds.
    pub fn line(&mut self, name: &str, seconds: f64) -> String {
        self.latencies.sort_unstable();
        let pct = |p: f64| {
            if self.latencies.is_empty() {
                return 0.0;
            }
            let i = ((self.latencies.len() as f64 * p).ceil() as usize)
                .clamp(1, self.latencies.len())
                - 1;
            f64::from(self.latencies[i]) / 1000.0
        };
        let errors: u64 = self.errors.values().sum();
        format!(
            "{name:<12} {:>9.0}/s  ok {:>8}  p50 {:>7.2} ms  p90 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms  errors {errors} {:?}",
            self.count() as f64 / seconds,
            self.count(),
            pct(0.50),
            pct(0.90),
            pct(0.99),
            pct(1.0),
            self.errors,
        )
    }
}
