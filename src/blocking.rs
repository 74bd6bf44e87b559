//! The one way to run blocking work (SQLite, Argon2) off the async runtime.

/// Runs `f` on tokio's blocking pool. A panic inside `f` is re-raised in the
/// caller rather than turned into an error nobody reads.
pub async fn run<T, F>(f: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(value) => value,
        Err(err) => match err.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            // Cancelled only happens at runtime shutdown, when nobody waits for us.
            Err(err) => panic!("blocking task cancelled: {err}"),
        },
    }
}
