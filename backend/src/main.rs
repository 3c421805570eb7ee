//! The `safelab` program: parses the command line, starts the lab, prints where
//! it is, and serves until Ctrl+C.

use std::process::ExitCode;

use clap::Parser;
use safelab::config::Command;
use safelab::{Config, Running};
use safelab_protocol::ListenerId;

fn main() -> ExitCode {
    let config = Config::parse();
    if let Some(status) = config.command.as_ref().and_then(safelab::cli::run) {
        return status;
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("safelab: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("safelab: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    if let Some(Command::Reset { lesson, all }) = &config.command {
        let done = safelab::progress::command::reset(&config, lesson.as_deref(), *all).await?;
        println!("{done}");
        return Ok(());
    }
    let running = safelab::serve(&config).await?;
    print_banner(&running);
    if config.open {
        open_browser(&running.app_url());
    }
    tokio::select! {
        () = running.wait() => {}
        _ = tokio::signal::ctrl_c() => println!("\nsafelab stopped."),
    }
    Ok(())
}

fn print_banner(running: &Running) {
    println!("safelab {} is running.", env!("CARGO_PKG_VERSION"));
    println!();
    println!("  Open the app:     {}", running.app_url());
    println!();
    println!(
        "  Lab over HTTP:    {}/lab/",
        running.url_of(ListenerId::Http)
    );
    println!(
        "  Lab over HTTPS:   {}/lab/",
        running.url_of(ListenerId::Https)
    );
    println!(
        "  The lab's index:  {}/lab",
        running.url_of(ListenerId::Http)
    );
    println!(
        "  A stranger's site (for lesson 7): {}/",
        running.url_of(ListenerId::Attacker)
    );
    println!("  Broken certificates (for lesson 6):");
    for broken in &running.lab.certificates {
        println!("    {:<19} {}/", broken.id, broken.url);
    }
    println!("  CA certificate:   {}", running.ca_path.display());
    println!("                    (also at {})", running.lab.ca_url);
    for notice in &running.notices {
        println!();
        println!("Note: {notice}");
    }
    println!();
    println!("Everything listens on loopback only. Press Ctrl+C to stop.");
}

/// Best effort: a learner without a desktop browser still has the printed URL.
fn open_browser(url: &str) {
    let command = if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else if cfg!(target_os = "windows") {
        ("cmd", vec!["/C", "start", "", url])
    } else {
        ("xdg-open", vec![url])
    };
    if let Err(error) = std::process::Command::new(command.0)
        .args(&command.1)
        .spawn()
    {
        eprintln!("safelab: could not open a browser ({error}); open {url} yourself.");
    }
}
