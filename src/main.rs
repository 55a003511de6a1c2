use std::process::ExitCode;

use bankbox::cli::Cli;

fn main() -> ExitCode {
    bankbox::memory::tune_allocator();
    ignore_file_size_signal();
    let cli = Cli::parse_checked();
    if let Err(e) = bankbox::telemetry::init(&cli.global.log_level) {
        eprintln!("bankbox: {e}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bankbox: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(bankbox::commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bankbox: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// As PostgreSQL does: a write past the file-size limit then fails with EFBIG,
/// which the store reports and stops writing on, instead of killing the process.
fn ignore_file_size_signal() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: installs the "ignore" disposition for one signal, before any
    // other thread exists; no handler code runs.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}
