//! Logs: pretty on a terminal, JSON lines otherwise, filtered by LOG_LEVEL.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init(level: &str) -> Result<(), String> {
    let filter = EnvFilter::try_new(level).map_err(|e| format!("LOG_LEVEL {level:?}: {e}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if std::io::stderr().is_terminal() {
        builder.try_init()
    } else {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    };
    result.map_err(|e| e.to_string())
}
