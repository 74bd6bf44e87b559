//! The `garake` command: parse the CLI and hand over to the library.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
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
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 10);
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve(Box<Config>),
    /// Validate the menu files; print every problem as file:line:col: message.
    Check {
        /// Folder of menu files to check [default: none, the built-in menus].
        #[arg(long, env = "GARAKE_MENUS", value_name = "DIR")]
        menus: Option<PathBuf>,
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
        /// Menu folder, to report menu nodes never reached [default: none, the
        /// built-in menus].
        #[arg(long, env = "GARAKE_MENUS", value_name = "DIR")]
        menus: Option<PathBuf>,
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
        /// Folder of menu files (the partner sites' demo members come from it)
        /// [default: none, the built-in menus].
        #[arg(long, env = "GARAKE_MENUS", value_name = "DIR")]
        menus: Option<PathBuf>,
    },
    /// Replay scenario files against a running garake, each in a fresh world.
    Replay {
        /// Scenario files, or folders of them (every *.toml inside).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The running garake, e.g. http://127.0.0.1:8080
        #[arg(long)]
        base: String,
        /// The server's admin token (it makes and deletes a world per scenario).
        #[arg(long, env = "GARAKE_ADMIN_TOKEN")]
        admin_token: String,
        /// Scenarios replayed at once [default: the number of cores].
        #[arg(long)]
        jobs: Option<usize>,
        /// Write a JUnit XML report here (one test case per scenario).
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Folder of menu files whose handset catalogue the scenarios name
        /// [default: none, the built-in one].
        #[arg(long, env = "GARAKE_MENUS", value_name = "DIR")]
        menus: Option<PathBuf>,
    },
    /// The menu files built into garake.
    Menus {
        #[command(subcommand)]
        command: MenusCommand,
    },
}

#[derive(Subcommand)]
enum MenusCommand {
    /// Write the built-in menu files into DIR, to start a custom set from
    /// (then `garake serve --menus DIR`).
    Export {
        /// The folder to write them into (created if missing).
        dir: PathBuf,
        /// Overwrite files that are already there.
        #[arg(long)]
        force: bool,
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
        // Colour codes only for a terminal: a log written to a file or a
        // pipe stays plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(config)) => serve(*config),
        Some(Command::Check { menus }) => check(menus.as_deref()),
        Some(Command::Reset { db, menus }) => reset(db, menus),
        Some(Command::Seed { db, lines }) => seed(db, lines),
        Some(Command::Walk {
            base,
            profile,
            line,
            menus,
        }) => walk(&base, &profile, line.as_deref(), menus.as_deref()),
        Some(Command::Menus {
            command: MenusCommand::Export { dir, force },
        }) => export(&dir, force),
        Some(Command::Replay {
            paths,
            base,
            admin_token,
            jobs,
            junit,
            menus,
        }) => {
            let menus = garake::menu::source(menus.as_deref());
            let jobs =
                jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
            let pages = std::env::temp_dir().join(format!("garake-replay-{}", std::process::id()));
            let cmd = garake::scenario::run::Command {
                paths: &paths,
                options: garake::scenario::run::Options {
                    base,
                    admin_token,
                    jobs,
                    pages,
                },
                junit: junit.as_deref(),
                menus: menus.as_ref(),
            };
            let code = garake::scenario::run::command(
                &cmd,
                &mut std::io::stdout(),
                &mut std::io::stderr(),
            );
            ExitCode::from(code)
        }
    }
}

fn serve(config: Config) -> ExitCode {
    // A flood of requests that each need a database call must not start a
    // thread for each (tokio's default allows 512): the blocking pool is
    // bounded, and what waits for it waits in its queue, not on a thread.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(garake::limits::BLOCKING_THREADS)
        .build()
    {
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

fn check(menus: Option<&Path>) -> ExitCode {
    let source = garake::menu::source(menus);
    // A folder that cannot be read is one problem, not one per kind of file.
    if let Err(problems) = source.files() {
        for p in &problems {
            println!("{p}");
        }
        eprintln!("{} problem(s)", problems.len());
        return ExitCode::FAILURE;
    }
    let menu = garake::menu::Menu::load(source.as_ref(), &garake::web::KNOWN);
    let partners = garake::recovery::config::Partners::load(source.as_ref());
    let handsets = garake::handset::Catalogue::load(source.as_ref());
    match (menu, partners, handsets) {
        (Ok(menu), Ok(partners), Ok(handsets)) => {
            println!(
                "{}: ok ({} nodes, {} partner sites, {} handsets)",
                source.name(),
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

fn reset(db: String, menus: Option<PathBuf>) -> ExitCode {
    let config = Config {
        db,
        menus,
        ..Config::for_db("")
    };
    let result = garake::load_partners(config.menu_source().as_ref()).and_then(|partners| {
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

fn walk(base: &str, profile: &str, line: Option<&str>, menus: Option<&Path>) -> ExitCode {
    let menus = garake::menu::source(menus);
    let opts = garake::walk::Options {
        base,
        profile,
        line,
        menus: menus.as_ref(),
        live_progress: std::io::stderr().is_terminal(),
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

fn export(dir: &Path, force: bool) -> ExitCode {
    match garake::menu::files::export(dir, force) {
        Ok(written) => {
            for path in written {
                println!("wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("garake: {e}");
            ExitCode::FAILURE
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
