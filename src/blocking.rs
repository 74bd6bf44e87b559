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

/// Runs CPU-heavy work (an Argon2 check, a big provider page's rewrite) on
/// one of a few threads of its own, each at a lower scheduling priority than
/// the threads that answer requests (`nice` 10 on Linux): while a flood of
/// logins or big pages keeps them busy, a menu page is still answered at
/// once. As many threads as cores: more would not make such work faster.
pub async fn run_heavy<T, F>(f: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let _ = tx.send(result);
    });
    if heavy_pool().send(job).is_err() {
        panic!("the heavy-work threads are gone");
    }
    match rx.await {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("a heavy-work thread ended without an answer"),
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// The heavy-work threads' queue (started on first use).
fn heavy_pool() -> &'static std::sync::mpsc::Sender<Job> {
    static POOL: std::sync::OnceLock<std::sync::mpsc::Sender<Job>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        for i in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("garake-heavy-{i}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        // A poisoned lock only means another worker panicked
                        // while waiting: the receiver is still whole.
                        let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .expect("a heavy-work thread starts");
        }
        tx
    })
}

/// Lowers this thread's scheduling priority (Linux: its own `nice`).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority on this thread's own id only changes its niceness.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn heavy_work_answers_and_its_panics_reach_the_caller() {
        assert_eq!(run_heavy(|| 6 * 7).await, 42);
        let caught = tokio::spawn(async { run_heavy(|| -> u8 { panic!("boom") }).await }).await;
        assert!(caught.is_err_and(|e| e.is_panic()));
        // The pool still works after a job panicked.
        let all = futures_join(16).await;
        assert_eq!(all, (0..16).sum::<u32>());
    }

    async fn futures_join(n: u32) -> u32 {
        let mut handles = Vec::new();
        for i in 0..n {
            handles.push(tokio::spawn(run_heavy(move || i)));
        }
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn heavy_work_runs_below_the_request_threads() {
        // SAFETY: getpriority reads the calling thread's niceness.
        let nice = run_heavy(|| unsafe {
            libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t)
        })
        .await;
        assert_eq!(nice, 10);
    }
}
