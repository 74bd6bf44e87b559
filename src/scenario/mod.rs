//! Scenarios: a tester's path through the pages, written as TOML (by hand
//! or recorded in the emulator), and `garake replay`, which walks it again
//! against a running server, each scenario in a fresh world of its own.

pub mod file;
pub mod junit;
pub mod run;

/// A parsed scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// The file it came from.
    pub file: String,
    pub name: String,
    pub profile: String,
    /// The line powered on at the start (none: start at the power-on page).
    pub line: Option<String>,
    pub lang: String,
    /// What its world starts with: `demo` or `empty`.
    pub fixtures: String,
    /// Where the world's simulated clock starts (RFC 3339), if not now.
    pub clock: Option<String>,
    pub steps: Vec<Step>,
}

/// One step: what the person does, and what the page must then show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The line of its `[[step]]` in the file.
    pub line: usize,
    pub action: Action,
    /// Texts the landed page's visible text must each contain.
    pub expect: Vec<String>,
    pub status: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The first link whose visible text contains this.
    Follow(String),
    /// The link with this access key (0–9, *, #).
    Key(String),
    /// A path inside the world.
    Open(String),
    /// Moves the world's simulated clock forward this many seconds (as the
    /// console's clock does), then reloads the page.
    Advance(i64),
    /// The form that has these fields, filled in; its other fields keep the
    /// page's values. `button`: which submit button (by its label).
    Submit {
        fields: Vec<(String, String)>,
        button: Option<String>,
    },
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::Follow(text) => write!(f, "follow {text:?}"),
            Action::Key(key) => write!(f, "key {key}"),
            Action::Open(path) => write!(f, "open {path}"),
            Action::Advance(secs) => write!(f, "advance the clock {secs} s"),
            Action::Submit { fields, button } => {
                let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
                write!(f, "submit {}", names.join(", "))?;
                if let Some(b) = button {
                    write!(f, " with {b:?}")?;
                }
                Ok(())
            }
        }
    }
}

/// How one step went.
#[derive(Clone, Debug)]
pub struct StepOutcome {
    pub n: usize,
    pub what: String,
    pub ms: u128,
    /// Why it failed: the expectation and what the page showed.
    pub failure: Option<String>,
}

/// How one scenario went.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub file: String,
    pub name: String,
    pub ms: u128,
    pub steps: Vec<StepOutcome>,
    /// A failure before any step could run (the world could not be made).
    pub error: Option<String>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.steps.iter().all(|s| s.failure.is_none())
    }

    /// The first failure: a one-line message and its details.
    pub fn failure(&self) -> Option<(String, String)> {
        if let Some(e) = &self.error {
            return Some((e.clone(), e.clone()));
        }
        self.steps.iter().find_map(|s| {
            s.failure
                .as_ref()
                .map(|f| (format!("step {} ({}) failed", s.n, s.what), f.clone()))
        })
    }
}
