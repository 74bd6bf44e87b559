//! The `garake` command: parse the CLI and hand over to the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use garake::Config;

#[derive(Parser)]
#[command(
    name = "garake",
    version,
    about = "An i-mode style feature-phone gateway simulator"
)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: Config,
}

/// glibc gives each thread that allocates its own arena (up to 8 per
/// core), and memory freed in one is not reused by another: with tokio's
/// worker and blocking threads that spreads the same peak over many arenas
/// and keeps it. Two arenas keep contention low and the resident size close
/// to what is really in use. A fixed mmap threshold keeps every large block
/// (an Argon2 slot's 19 MiB) in its own mapping, returned to the system when
/// freed, instead of letting glibc raise the threshold after the first free
/// and keep later ones in an arena.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve(Box<Config>),
    /// Validate the menu files; print every problem as file:line:col: message.
    Check {
        #[arg(long, env = "GARAKE_MENUS", default_value = "menus")]
        menus: PathBuf,
    },
    /// Crawl every handset page reachable from the power-on page as one handset.
    Walk {
        /// The running garake, e.g. http://127.0.0.1:8080
        #[arg(long)]
        base: String,
        /// Handset profile: P501i, P503i, N505i, P903i, P-07B or PC.
        #[arg(long, default_value = "P501i")]
        profile: String,
        /// The line to power on as (default: the first line listed).
        #[arg(long)]
        line: Option<String>,
        /// Menu folder, to report menu nodes never reached.
        #[arg(long, env = "GARAKE_MENUS", default_value = "menus")]
        menus: PathBuf,
    },
    /// Add synthetic lines (070-0000-0000 upwards) for load and scale tests.
    Seed {
        #[arg(long, env = "GARAKE_DB", default_value = "garake.db")]
        db: String,
        /// How many lines to add.
        #[arg(long)]
        lines: u32,
    },
    /// Restore the demo fixtures in a database.
    Reset {
        #[arg(long, env = "GARAKE_DB", default_value = "garake.db")]
        db: String,
        /// Folder of menu files (the partner sites' demo members come from it).
        #[arg(long, env = "GARAKE_MENUS", default_value = "menus")]
        menus: PathBuf,
    },
}

fn main() -> ExitCode {
    limit_malloc_arenas();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GARAKE_LOG")
                .unwrap_or_else(|_| "garake=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(config)) => serve(*config),
        Some(Command::Check { menus }) => check(&menus),
        Some(Command::Reset { db, menus }) => reset(db, menus),
        Some(Command::Seed { db, lines }) => seed(db, lines),
        Some(Command::Walk {
            base,
            profile,
            line,
            menus,
        }) => walk(&base, &profile, line.as_deref(), &menus),
    }
}

fn serve(config: Config) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("garake: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(garake::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ garake::StartError::Usage(_)) => {
            eprintln!("garake: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("garake: {e}");
            ExitCode::FAILURE
        }
    }
}

fn check(menus: &std::path::Path) -> ExitCode {
    let menu = garake::menu::Menu::load(menus, &garake::web::KNOWN);
    let partners = garake::recovery::config::Partners::load(&menus.join("partners"));
    let handsets = garake::handset::Catalogue::load(menus);
    match (menu, partners, handsets) {
        (Ok(menu), Ok(partners), Ok(handsets)) => {
            println!(
                "{}: ok ({} nodes, {} partner sites, {} handsets)",
                menus.display(),
                menu.nodes().count(),
                partners.sites.len(),
                handsets.handsets().len()
            );
            ExitCode::SUCCESS
        }
        (menu, partners, handsets) => {
            let problems: Vec<_> = menu
                .err()
                .into_iter()
                .flatten()
                .chain(partners.err().into_iter().flatten())
                .chain(handsets.err().into_iter().flatten())
                .collect();
            for p in &problems {
                println!("{p}");
            }
            eprintln!("{} problem(s)", problems.len());
            ExitCode::FAILURE
        }
    }
}

fn reset(db: String, menus: PathBuf) -> ExitCode {
    let config = Config {
        db,
        menus,
        ..Config::for_db("")
    };
    let result = garake::load_partners(&config.menus).and_then(|partners| {
        let (db, pins, _) = garake::open_store(&config)?;
        garake::restore_fixtures(&db, &pins, &partners, &garake::clock::Clock::default())
    });
    match result {
        Ok(()) => {
            println!("restored the demo fixtures in {}", config.db);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("garake: {e}");
            ExitCode::FAILURE
        }
    }
}

fn walk(base: &str, profile: &str, line: Option<&str>, menus: &std::path::Path) -> ExitCode {
    let opts = garake::walk::Options {
        base,
        profile,
        line,
        menus,
    };
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    match garake::walk::walk(&opts, &mut out, &mut err) {
        Ok(report) => {
            garake::walk::print_problems(&report, &mut out);
            if report.problems() == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("\ngarake walk: {e}");
            ExitCode::from(2)
        }
    }
}

fn seed(db: String, lines: u32) -> ExitCode {
    let config = Config {
        db,
        ..Config::for_db("")
    };
    let started = std::time::Instant::now();
    let result = garake::open_store(&config).and_then(|(db, pins, _)| {
        let now = garake::clock::Clock::default().now();
        garake::services::lines::seed(&db, &pins, lines, now).map_err(garake::StartError::Fixtures)
    });
    match result {
        Ok(added) => {
            println!(
                "added {added} lines to {} in {:.2} s",
                config.db,
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("garake: {e}");
            ExitCode::FAILURE
        }
    }
}
