//! The durable offline queue: transaction messages waiting for the Central
//! System, kept in a file so a crash of Node-RED (`kill -9`, a power cut)
//! loses none of them. After the restart they go out in order, at least once.
//!
//! The file is a journal of JSON lines, one per event:
//! `{"add":{"id","action","payload","timeoutMs"}}` when a message is taken,
//! `{"done":"<id>"}` when it has its final outcome (it settles the oldest
//! pending `add` of that id, so a message id used twice is kept twice). An
//! `add` is synced to disk (`sync_data`) before the message goes anywhere; a
//! `done` is not, so a crash right after an answer may send that message
//! again (the at-least-once of OCPP's own offline rule), never lose it.
//!
//! Each line goes to the file in one write. A write or sync that fails (a
//! full disk, `EFBIG`) is cut back to the last whole line before anything
//! else is appended, so a failed add can never join the next one into a line
//! that cannot be read. On start the journal is read back, a line that cannot
//! be read (a crash mid-write) is skipped with a warning, and the file is
//! rewritten with what is still pending: written and synced under another
//! name, renamed over the journal, and the directory synced, so the name
//! survives a power cut too; the handle kept is the one of the file that now
//! carries the name. It is emptied whenever nothing is pending, and rewritten
//! when its `done` lines pile up, so it stays about the size of the queue.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use crate::sync::lock;

/// `done` lines after which the file is rewritten with only what is pending.
const REWRITE_AFTER: usize = 256;

/// One message kept in the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub action: String,
    /// Raw JSON object text.
    pub payload: String,
    pub timeout: Duration,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddLine<'a> {
    id: &'a str,
    action: &'a str,
    #[serde(borrow)]
    payload: &'a RawValue,
    timeout_ms: u64,
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    add: Option<AddLine<'a>>,
    done: Option<String>,
}

/// Why the journal cannot be used, or an event could not be kept in it.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot use the queue file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot use the queue file {path}: a write was cut short ({written} of {len} bytes), and was taken back")]
    ShortWrite { path: PathBuf, written: usize, len: usize },
}

/// What [`Journal::open`] found: the journal (or why it cannot be written),
/// and what was pending in it, which goes out either way.
pub struct Opened {
    pub journal: Result<Journal, JournalError>,
    /// What was pending, in order.
    pub restored: Vec<Entry>,
    /// One per line that could not be read.
    pub warnings: Vec<String>,
}

pub struct Journal {
    path: PathBuf,
    state: Mutex<State>,
}

struct State {
    /// The handle of the file that carries the journal's name, for appending.
    file: File,
    /// Bytes of whole lines in the file: where a failed write is cut back to.
    len: u64,
    /// A failed write could not be cut back yet: that is retried before
    /// anything else is appended.
    torn: bool,
    /// What is pending, in order, with its `add` line.
    pending: VecDeque<(String, String)>,
    /// `done` lines written since the file was last rewritten.
    done_lines: usize,
}

impl State {
    /// Appends `text` (whole lines) in one write, synced if `sync`; on any
    /// error the file is cut back to its last whole line.
    fn append(&mut self, text: &[u8], sync: bool) -> Result<(), AppendError> {
        if self.torn {
            self.file.set_len(self.len)?;
            self.torn = false;
        }
        let result = match self.file.write(text) {
            Ok(n) if n == text.len() => if sync { self.file.sync_data() } else { Ok(()) }.map_err(AppendError::Io),
            Ok(n) => Err(AppendError::Short(n)),
            Err(e) => Err(AppendError::Io(e)),
        };
        match result {
            Ok(()) => {
                self.len += text.len() as u64;
                Ok(())
            }
            Err(e) => {
                // Cut back now; if even that fails, before the next append.
                self.torn = self.file.set_len(self.len).is_err();
                Err(e)
            }
        }
    }
}

enum AppendError {
    Io(std::io::Error),
    Short(usize),
}

impl From<std::io::Error> for AppendError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

impl Journal {
    /// Opens (or creates) the journal at `path`: what was pending, in order,
    /// and a warning per line that could not be read. What could be read is
    /// returned even when the file cannot be written.
    pub fn open(path: &Path) -> Opened {
        let io = |source| JournalError::Io { path: path.to_owned(), source };
        let failed = |e| Opened { journal: Err(e), restored: Vec::new(), warnings: Vec::new() };
        if let Some(dir) = path.parent() {
            if let Err(e) = create_dir(dir) {
                return failed(io(e));
            }
        }
        let (pending, warnings) = match File::open(path) {
            Ok(file) => read(BufReader::new(file), path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (VecDeque::new(), Vec::new()),
            Err(e) => return failed(io(e)),
        };
        let restored = pending.iter().filter_map(|(_, line)| parse_add(line)).collect();
        let mut warnings = warnings;
        let opened = rewrite(path, &pending).or_else(|e| {
            // Rewriting only compacts: where the directory takes no new name but
            // the file can still be written, keep appending to it.
            let kept = append_to(path)?;
            warnings.push(format!(
                "the queue file {} could not be rewritten ({e}); new messages are appended to it as it is",
                path.display()
            ));
            Ok(kept)
        });
        let journal = opened.map_err(io).map(|(file, len)| Self {
            path: path.to_owned(),
            state: Mutex::new(State { file, len, torn: false, pending, done_lines: 0 }),
        });
        Opened { journal, restored, warnings }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many messages are kept here, waiting for their final outcome.
    pub fn pending(&self) -> usize {
        lock(&self.state).pending.len()
    }

    /// Whether a message is kept here (taken, and without its final outcome).
    pub fn holds(&self, id: &str) -> bool {
        lock(&self.state).pending.iter().any(|(pending, _)| pending == id)
    }

    /// Keeps a message, on disk before this returns.
    pub fn add(&self, entry: &Entry) -> Result<(), JournalError> {
        self.add_all(std::slice::from_ref(entry))
    }

    /// Keeps messages, in order, on disk before this returns: one write and
    /// one sync for all of them, and all or none kept.
    pub fn add_all(&self, entries: &[Entry]) -> Result<(), JournalError> {
        let mut lines = Vec::with_capacity(entries.len());
        let mut text = String::new();
        for entry in entries {
            let line = add_line(entry).map_err(|e| self.error(e))?;
            text.push_str(&line);
            text.push('\n');
            lines.push((entry.id.clone(), line));
        }
        if lines.is_empty() {
            return Ok(());
        }
        let mut state = lock(&self.state);
        state.append(text.as_bytes(), true).map_err(|e| self.append_error(e, text.len()))?;
        state.pending.extend(lines);
        Ok(())
    }

    /// Notes a message's final outcome: it is not sent again. With several
    /// pending under one id, the oldest is the one settled.
    pub fn done(&self, id: &str) -> Result<(), JournalError> {
        let mut state = lock(&self.state);
        let Some(at) = state.pending.iter().position(|(pending, _)| pending == id) else { return Ok(()) };
        state.pending.remove(at);
        if state.pending.is_empty() {
            state.file.set_len(0).map_err(|e| self.error(e))?;
            state.len = 0;
            state.torn = false;
            state.done_lines = 0;
            return Ok(());
        }
        if state.done_lines >= REWRITE_AFTER {
            // A failed rewrite (a directory that takes no new names) is not an
            // error: the `done` line is appended instead, and the rewrite tried
            // again after as many more.
            if let Ok((file, len)) = rewrite(&self.path, &state.pending) {
                *state = State { file, len, torn: false, pending: std::mem::take(&mut state.pending), done_lines: 0 };
                return Ok(());
            }
            state.done_lines = 0;
        }
        let line = format!("{}\n", serde_json::json!({ "done": id }));
        state.append(line.as_bytes(), false).map_err(|e| self.append_error(e, line.len()))?;
        state.done_lines += 1;
        Ok(())
    }

    fn error(&self, source: std::io::Error) -> JournalError {
        JournalError::Io { path: self.path.clone(), source }
    }

    fn append_error(&self, e: AppendError, len: usize) -> JournalError {
        match e {
            AppendError::Io(source) => self.error(source),
            AppendError::Short(written) => JournalError::ShortWrite { path: self.path.clone(), written, len },
        }
    }
}

/// An entry's `add` line, without its newline.
fn add_line(entry: &Entry) -> std::io::Result<String> {
    let payload = RawValue::from_string(entry.payload.clone())?;
    let add = AddLine {
        id: &entry.id,
        action: &entry.action,
        payload: &payload,
        timeout_ms: entry.timeout.as_millis() as u64,
    };
    Ok(format!("{{\"add\":{}}}", serde_json::to_string(&add)?))
}

/// Creates the journal's directory if it is missing, and syncs its parent so
/// the new directory's name is on disk too.
fn create_dir(dir: &Path) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => sync_dir(parent),
        _ => Ok(()),
    }
}

/// Makes the names in a directory (a file created or renamed) durable.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    File::open(dir)?.sync_all()
}

/// Replays a journal: the pending `add` lines in order, and warnings.
fn read(reader: impl BufRead, path: &Path) -> (VecDeque<(String, String)>, Vec<String>) {
    let mut pending: VecDeque<(String, String)> = VecDeque::new();
    let mut warnings = Vec::new();
    for (n, line) in reader.split(b'\n').enumerate() {
        let Ok(line) = line else {
            warnings.push(format!("{}: reading stopped at line {} (a read error)", path.display(), n + 1));
            break;
        };
        let text = String::from_utf8_lossy(&line);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        match serde_json::from_str::<Line>(text) {
            Ok(Line { add: Some(add), .. }) => {
                let line = format!("{{\"add\":{}}}", serde_json::to_string(&add).unwrap_or_default());
                pending.push_back((add.id.to_owned(), line));
            }
            Ok(Line { done: Some(id), .. }) => {
                if let Some(at) = pending.iter().position(|(pending, _)| *pending == id) {
                    pending.remove(at);
                }
            }
            _ => warnings.push(format!(
                "{}: line {} cannot be read (a write cut short?) and is skipped; the rest is kept",
                path.display(),
                n + 1
            )),
        }
    }
    (pending, warnings)
}

fn parse_add(line: &str) -> Option<Entry> {
    let Line { add: Some(add), .. } = serde_json::from_str::<Line>(line).ok()? else { return None };
    Some(Entry {
        id: add.id.to_owned(),
        action: add.action.to_owned(),
        payload: add.payload.get().to_owned(),
        timeout: Duration::from_millis(add.timeout_ms),
    })
}

/// The journal file as it is, opened for appending, when it cannot be
/// rewritten: a last line cut short (a crash in a write) is ended first, so
/// the next add is not joined to it; it stays unreadable, and is skipped.
fn append_to(path: &Path) -> std::io::Result<(File, u64)> {
    let mut file = OpenOptions::new().create(true).read(true).append(true).open(path)?;
    let mut len = file.metadata()?.len();
    if len > 0 {
        let mut last = [0u8];
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(len - 1))?;
        std::io::Read::read_exact(&mut file, &mut last)?;
        if last[0] != b'\n' {
            file.write_all(b"\n")?;
            file.sync_data()?;
            len += 1;
        }
    }
    Ok((file, len))
}

/// Writes the pending lines to a new file that replaces the journal at once:
/// written and synced under another name, renamed, the directory synced.
/// Returns that file's handle, which now carries the journal's name (no
/// reopening by name, which could fail after the rename), and its length.
fn rewrite(path: &Path, pending: &VecDeque<(String, String)>) -> std::io::Result<(File, u64)> {
    let aside = path.with_extension("tmp");
    let mut file = OpenOptions::new().create(true).append(true).open(&aside)?;
    file.set_len(0)?;
    let mut text = String::new();
    for (_, line) in pending {
        text.push_str(line);
        text.push('\n');
    }
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&aside, path)?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))?;
    Ok((file, text.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, action: &str) -> Entry {
        Entry {
            id: id.into(),
            action: action.into(),
            payload: format!(r#"{{"connectorId":1,"tag":"{id}"}}"#),
            timeout: Duration::from_secs(30),
        }
    }

    pub(super) fn open_ok(path: &Path) -> (Journal, Vec<Entry>, Vec<String>) {
        let Opened { journal, restored, warnings } = Journal::open(path);
        (journal.unwrap(), restored, warnings)
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ocpp-rs-journal-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("queue.jsonl")
    }

    #[test]
    fn what_was_pending_comes_back_in_order_and_done_messages_do_not() {
        let path = scratch("order");
        let (journal, restored, warnings) = open_ok(&path);
        assert!(restored.is_empty() && warnings.is_empty());
        for (id, action) in [("a", "StartTransaction"), ("b", "MeterValues"), ("c", "StopTransaction")] {
            journal.add(&entry(id, action)).unwrap();
        }
        journal.done("b").unwrap();
        assert!(journal.holds("a") && !journal.holds("b"));
        drop(journal);
        let (journal, restored, warnings) = open_ok(&path);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(restored, [entry("a", "StartTransaction"), entry("c", "StopTransaction")]);
        // Rewritten on open: only what is pending.
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
        journal.done("a").unwrap();
        journal.done("c").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "emptied when nothing is pending");
    }

    #[test]
    fn a_line_cut_short_is_skipped_with_a_warning_and_the_rest_kept() {
        let path = scratch("cut");
        let (journal, ..) = open_ok(&path);
        journal.add(&entry("a", "StartTransaction")).unwrap();
        journal.add(&entry("b", "MeterValues")).unwrap();
        drop(journal);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("garbage\n{\"add\":{\"id\":\"c\",\"action\":\"MeterVal");
        std::fs::write(&path, text).unwrap();
        let (_, restored, warnings) = open_ok(&path);
        assert_eq!(restored.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("line 3 cannot be read"), "{warnings:?}");
    }

    #[test]
    fn repeats_of_one_message_id_all_come_back() {
        let path = scratch("repeats");
        let (journal, ..) = open_ok(&path);
        let first = entry("same", "MeterValues");
        let second = Entry { payload: r#"{"connectorId":2}"#.into(), ..entry("same", "MeterValues") };
        journal.add(&first).unwrap();
        journal.add(&second).unwrap();
        drop(journal);
        let (journal, restored, _) = open_ok(&path);
        assert_eq!(restored, [first, second.clone()], "both adds of one id are kept, in order");
        journal.done("same").unwrap();
        drop(journal);
        let (_, restored, _) = open_ok(&path);
        assert_eq!(restored, [second], "a done settles the oldest add of its id");
    }

    #[test]
    fn a_batch_is_kept_in_order_and_the_handle_kept_carries_the_name() {
        use std::os::unix::fs::MetadataExt;
        let path = scratch("batch");
        let (journal, ..) = open_ok(&path);
        let named = |journal: &Journal| {
            let held = lock(&journal.state).file.metadata().unwrap().ino();
            held == std::fs::metadata(&path).unwrap().ino()
        };
        assert!(named(&journal), "after the rewrite at open");
        let batch = [entry("a", "StartTransaction"), entry("b", "MeterValues"), entry("c", "StopTransaction")];
        journal.add_all(&batch).unwrap();
        for i in 0..=REWRITE_AFTER {
            let id = format!("m{i}");
            journal.add(&entry(&id, "MeterValues")).unwrap();
            journal.done(&id).unwrap();
        }
        assert!(named(&journal), "after the rewrite of piled-up completions");
        journal.add(&entry("d", "MeterValues")).unwrap();
        drop(journal);
        let (_, restored, _) = open_ok(&path);
        let ids: Vec<_> = restored.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "d"]);
    }

    #[test]
    fn the_file_stays_about_the_size_of_the_queue() {
        let path = scratch("size");
        let (journal, ..) = open_ok(&path);
        journal.add(&entry("keep", "StartTransaction")).unwrap();
        for i in 0..600 {
            let id = format!("m{i}");
            journal.add(&entry(&id, "MeterValues")).unwrap();
            journal.done(&id).unwrap();
        }
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        assert!(lines < 2 * REWRITE_AFTER + 10, "{lines} lines");
        drop(journal);
        let (_, restored, _) = open_ok(&path);
        assert_eq!(restored, [entry("keep", "StartTransaction")]);
    }
}

/// Faults the file system gives a journal, made real: the scenario runs in a
/// child process (this test binary again) under `RLIMIT_FSIZE`, set with
/// `prlimit`, with `SIGXFSZ` ignored so a write past the limit fails with
/// `EFBIG` as a full disk fails it, instead of killing the process.
#[cfg(all(test, target_os = "linux"))]
mod fault_tests {
    use super::tests::open_ok;
    use super::*;
    use std::process::Command;

    const CHILD: &str = "OCPP_RS_JOURNAL_FAULT_CHILD";
    const FILE: &str = "OCPP_RS_JOURNAL_FAULT_FILE";

    fn entry(id: &str, payload_bytes: usize) -> Entry {
        Entry {
            id: id.into(),
            action: "MeterValues".into(),
            payload: format!(r#"{{"connectorId":1,"pad":"{}"}}"#, "x".repeat(payload_bytes)),
            timeout: Duration::from_secs(30),
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ocpp-rs-journal-fault-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("queue.jsonl")
    }

    /// Makes a directory refuse new names (creating, renaming) while the files
    /// in it stay writable: `chattr +i`, which binds root too (CI runs as
    /// root). False where the file system has no such flag.
    fn freeze_names(dir: &Path, frozen: bool) -> bool {
        let flag = if frozen { "+i" } else { "-i" };
        Command::new("chattr").arg(flag).arg(dir).status().is_ok_and(|s| s.success())
    }

    /// Found by the attacker session: with a directory that takes no new names, the
    /// rewrite at open failed and the queue went memory-only although the file could
    /// still be appended to, so a crash lost what was queued after the restart.
    #[test]
    fn a_directory_that_takes_no_new_names_still_keeps_every_add() {
        let path = scratch("frozen-dir");
        let dir = path.parent().unwrap().to_owned();
        {
            let (journal, _, _) = open_ok(&path);
            journal.add_all(&[entry("a", 10), entry("b", 10)]).unwrap();
            journal.done("a").unwrap();
        }
        if !freeze_names(&dir, true) {
            eprintln!("skipped: chattr +i is not supported on {}", dir.display());
            return;
        }
        let opened = Journal::open(&path);
        let kept = opened.journal.as_ref().map(|journal| journal.add(&entry("c", 10)));
        freeze_names(&dir, false);
        let restored: Vec<String> = opened.restored.iter().map(|e| e.id.clone()).collect();
        assert_eq!(restored, ["b"]);
        assert!(matches!(kept, Ok(Ok(()))), "the journal could not be used: {:?}", opened.journal.err());
        assert!(opened.warnings.iter().any(|w| w.contains("could not be rewritten")), "{:?}", opened.warnings);
        drop(opened);
        let (_, restored, warnings) = open_ok(&path);
        let ids: Vec<&str> = restored.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["b", "c"], "{warnings:?}");
    }

    /// Runs `test` (this module's test of that name) in a child under a file
    /// size limit of `fsize` bytes; true in the child, where the scenario runs.
    fn in_child(test: &str, fsize: u64, file: &Path) -> bool {
        if std::env::var_os(CHILD).is_some() {
            return true;
        }
        let exe = std::env::current_exe().unwrap();
        let name = format!("cp::journal::fault_tests::{test}");
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("trap '' XFSZ; exec prlimit --fsize={fsize}:unlimited -- \"$0\" \"$@\""))
            .arg(exe)
            .args([name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .env(FILE, file)
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "the child failed:\n{text}");
        assert!(text.contains("1 passed"), "the child ran no test:\n{text}");
        false
    }

    fn child_file() -> PathBuf {
        PathBuf::from(std::env::var_os(FILE).unwrap())
    }

    /// Lifts the limit, as freeing disk space does.
    fn lift_limit() {
        let pid = std::process::id().to_string();
        let status = Command::new("prlimit").args(["--pid", &pid, "--fsize=unlimited:unlimited"]).status().unwrap();
        assert!(status.success());
    }

    #[test]
    fn a_failed_add_leaves_nothing_the_next_add_could_join() {
        if !in_child("a_failed_add_leaves_nothing_the_next_add_could_join", 4096, &scratch("joined")) {
            return;
        }
        let path = child_file();
        let (journal, ..) = open_ok(&path);
        journal.add(&entry("a", 100)).unwrap();
        let refused = journal.add(&entry("b", 8000));
        assert!(refused.is_err(), "b crosses the file size limit");
        lift_limit();
        journal.add(&entry("c", 100)).unwrap();
        drop(journal);
        let (_, restored, warnings) = open_ok(&path);
        let ids: Vec<_> = restored.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["a", "c"], "c was acknowledged, so it must come back; warnings: {warnings:?}");
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn what_can_be_read_comes_back_though_the_file_cannot_be_written() {
        if std::env::var_os(CHILD).is_none() {
            let path = scratch("unwritable");
            let (journal, ..) = open_ok(&path);
            journal.add(&entry("a", 10)).unwrap();
            journal.add(&entry("b", 10)).unwrap();
            drop(journal);
            // No byte may be written in the child: the file is readable, not writable.
            in_child("what_can_be_read_comes_back_though_the_file_cannot_be_written", 0, &path);
            return;
        }
        let path = child_file();
        let Opened { journal, restored, warnings } = Journal::open(&path);
        let ids: Vec<_> = restored.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"], "the two readable messages come back");
        assert!(warnings.iter().all(|w| w.contains("could not be rewritten")), "{warnings:?}");
        // Kept open for appending (what cannot be written fails add by add, and is said so).
        let e = journal.and_then(|j| j.add(&entry("c", 10))).expect_err("the file cannot be written");
        assert!(e.to_string().contains("File too large"), "{e}");
    }
}
