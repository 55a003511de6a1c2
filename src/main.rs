use std::process::ExitCode;

use bankbox::cli::Cli;

fn main() -> ExitCode {
    bankbox::memory::tune_allocator();
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
