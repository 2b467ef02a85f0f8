//! Child servers that die with the process that started them, scratch directories that the
//! next run sweeps up, and free ports.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::mpsc::{Receiver, Sender, SyncSender, sync_channel};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

type SpawnRequest = (Command, SyncSender<std::io::Result<Child>>);

/// Spawns `command` so that it gets SIGKILL when this process dies, however it dies.
///
/// `PR_SET_PDEATHSIG` fires when the *thread* that forked the child exits, so every child is
/// forked by one dedicated thread that lives as long as the process. The child is also put
/// in its own process group: a Ctrl-C in the terminal reaches only us, and we decide the
/// order of shutdown.
pub fn spawn_bound(mut command: Command) -> anyhow::Result<Child> {
    static KEEPER: OnceLock<Mutex<Sender<SpawnRequest>>> = OnceLock::new();
    let keeper = KEEPER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("confab-child-keeper".into())
            .spawn(move || keep(rx))
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!("cannot start the child keeper thread: {e}"));
        Mutex::new(tx)
    });
    set_parent_death_signal(&mut command);
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let program = format!("{:?}", command.get_program());
    let (reply_tx, reply_rx) = sync_channel(1);
    keeper
        .lock()
        .map_err(|_| anyhow::anyhow!("child keeper lock poisoned"))?
        .send((command, reply_tx))
        .context("child keeper thread is gone")?;
    reply_rx.recv().context("child keeper thread is gone")?.with_context(|| format!("spawning {program}"))
}

/// The keeper thread: forks what it is asked to and never returns (the sender lives in a
/// static, so `recv` only fails at process exit).
fn keep(rx: Receiver<SpawnRequest>) {
    while let Ok((mut command, reply)) = rx.recv() {
        let _ = reply.send(command.spawn());
    }
    loop {
        std::thread::park();
    }
}

#[allow(unsafe_code)]
fn set_parent_death_signal(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec and only calls the async-signal-safe
    // `prctl`. std applies uid/gid before running it, and a change of credentials would
    // clear the death signal, so it has to be set here, last.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Sends `signal` to the process `pid`; a process that is already gone is not an error.
#[allow(unsafe_code)]
pub fn signal(pid: u32, signal: i32) -> anyhow::Result<()> {
    let pid = libc::pid_t::try_from(pid).context("pid out of range")?;
    // SAFETY: kill(2) has no memory-safety preconditions.
    let rc = unsafe { libc::kill(pid, signal) };
    if rc != 0 {
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::ESRCH) {
            return Err(err).context("kill");
        }
    }
    Ok(())
}

fn is_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    // SAFETY: signal 0 only checks that the process exists.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Sends `sig` to `child` and waits up to `timeout` for it to exit; kills it after that.
pub fn stop(child: &mut Child, sig: i32, timeout: Duration) -> anyhow::Result<()> {
    if child.try_wait()?.is_some() {
        return Ok(());
    }
    signal(child.id(), sig)?;
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill()?;
    child.wait()?;
    bail!("process {} ignored signal {sig} for {timeout:?} and was killed", child.id())
}

/// Ports handed out below Linux's ephemeral range (32768–60999 by default). A port from
/// that range (what binding port 0 gives) can be taken, between our check and the server's
/// own bind, as the local end of any outgoing connection on the machine — and a parallel
/// test suite opens hundreds: a provider started seconds later on "its" port then failed.
const PORTS: std::ops::Range<u16> = 20_000..32_000;

/// A port that was free a moment ago on 127.0.0.1, for a server about to bind it: a
/// random one below the ephemeral range that binds now (port 0's pick if none does).
pub fn free_port() -> anyhow::Result<u16> {
    let span = u128::from(PORTS.end - PORTS.start);
    for _ in 0..64 {
        let offset = u16::try_from(uuid::Uuid::new_v4().as_u128() % span).unwrap_or(0);
        let port = PORTS.start + offset;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    let listener = TcpListener::bind("127.0.0.1:0").context("binding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// A fresh directory under the system temp dir, named `confab-<kind>-...`. The statics that
/// own these are never dropped, so each new one first removes those whose owning process is
/// dead (the pid is in `owner.pid`).
pub fn scratch_dir(kind: &str) -> anyhow::Result<PathBuf> {
    let prefix = format!("confab-{kind}-");
    let tmp = std::env::temp_dir();
    if let Ok(entries) = std::fs::read_dir(&tmp) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !name.to_string_lossy().starts_with(&prefix) {
                continue;
            }
            let path = entry.path();
            let owner =
                std::fs::read_to_string(path.join("owner.pid")).ok().and_then(|s| s.trim().parse().ok());
            if owner.is_some_and(|pid: u32| !is_alive(pid)) {
                let _ = std::fs::remove_dir_all(&path);
            }
        }
    }
    let dir =
        tempfile::Builder::new().prefix(&prefix).tempdir_in(&tmp).context("creating a temp dir")?.keep();
    std::fs::write(dir.join("owner.pid"), std::process::id().to_string())?;
    Ok(dir)
}

/// Polls `ready` every 25 ms until it returns true, `child` exits, or `timeout` passes.
pub fn wait_until(
    what: &str,
    child: &mut Child,
    log: &Path,
    timeout: Duration,
    mut ready: impl FnMut() -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if ready() {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            bail!("{what} exited with {status} before it was ready; its log:\n{}", tail(log));
        }
        if Instant::now() > deadline {
            bail!("{what} was not ready after {timeout:?}; its log:\n{}", tail(log));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The last lines of a log file, for error messages.
pub fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
