//! The durable offline queue: transaction messages waiting for the Central
//! System, kept in a file so a crash of Node-RED (`kill -9`, a power cut)
//! loses none of them. After the restart they go out in order, at least once.
//!
//! The file is a journal of JSON lines, one per event:
//! `{"add":{"id","action","payload","timeoutMs"}}` when a message is taken,
//! `{"done":"<id>"}` when it has its final outcome. An `add` is synced to disk
//! (`sync_data`) before the message goes anywhere; a `done` is not, so a
//! crash right after an answer may send that message again (the at-least-once
//! of OCPP's own offline rule), never lose it. On start the journal is read
//! back, a line that cannot be read (a write cut short) is skipped with a
//! warning, and the file is rewritten with what is still pending. It is
//! emptied whenever nothing is pending, and rewritten when its `done` lines
//! pile up, so it stays about the size of the queue.

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

/// Why the journal cannot be used; the client goes on without it.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot use the queue file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

pub struct Journal {
    path: PathBuf,
    state: Mutex<State>,
}

struct State {
    file: File,
    /// What is pending, in order, with its `add` line.
    pending: VecDeque<(String, String)>,
    /// `done` lines written since the file was last rewritten.
    done_lines: usize,
}

impl Journal {
    /// Opens (or creates) the journal at `path`: what was pending, in order,
    /// and a warning per line that could not be read.
    pub fn open(path: &Path) -> Result<(Self, Vec<Entry>, Vec<String>), JournalError> {
        let io = |source| JournalError::Io { path: path.to_owned(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let (pending, warnings) = match File::open(path) {
            Ok(file) => read(BufReader::new(file), path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (VecDeque::new(), Vec::new()),
            Err(e) => return Err(io(e)),
        };
        let entries = pending.iter().filter_map(|(_, line)| parse_add(line)).collect();
        let file = rewrite(path, &pending).map_err(io)?;
        let journal = Self { path: path.to_owned(), state: Mutex::new(State { file, pending, done_lines: 0 }) };
        Ok((journal, entries, warnings))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether a message is kept here (taken, and without its final outcome).
    pub fn holds(&self, id: &str) -> bool {
        lock(&self.state).pending.iter().any(|(pending, _)| pending == id)
    }

    /// Keeps a message, on disk before this returns.
    pub fn add(&self, entry: &Entry) -> Result<(), JournalError> {
        let payload = RawValue::from_string(entry.payload.clone()).map_err(|e| self.error(e.into()))?;
        let add = AddLine {
            id: &entry.id,
            action: &entry.action,
            payload: &payload,
            timeout_ms: entry.timeout.as_millis() as u64,
        };
        let line = format!("{{\"add\":{}}}", serde_json::to_string(&add).map_err(|e| self.error(e.into()))?);
        let mut state = lock(&self.state);
        writeln!(state.file, "{line}").and_then(|()| state.file.sync_data()).map_err(|e| self.error(e))?;
        state.pending.push_back((entry.id.clone(), line));
        Ok(())
    }

    /// Notes a message's final outcome: it is not sent again.
    pub fn done(&self, id: &str) -> Result<(), JournalError> {
        let mut state = lock(&self.state);
        let Some(at) = state.pending.iter().position(|(pending, _)| pending == id) else { return Ok(()) };
        state.pending.remove(at);
        if state.pending.is_empty() {
            state.file.set_len(0).map_err(|e| self.error(e))?;
            state.done_lines = 0;
            return Ok(());
        }
        if state.done_lines >= REWRITE_AFTER {
            state.file = rewrite(&self.path, &state.pending).map_err(|e| self.error(e))?;
            state.done_lines = 0;
            return Ok(());
        }
        let line = serde_json::json!({ "done": id }).to_string();
        writeln!(state.file, "{line}").map_err(|e| self.error(e))?;
        state.done_lines += 1;
        Ok(())
    }

    fn error(&self, source: std::io::Error) -> JournalError {
        JournalError::Io { path: self.path.clone(), source }
    }
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
                let id = add.id.to_owned();
                pending.retain(|(pending, _)| *pending != id);
                pending.push_back((id, format!("{{\"add\":{}}}", serde_json::to_string(&add).unwrap_or_default())));
            }
            Ok(Line { done: Some(id), .. }) => pending.retain(|(pending, _)| *pending != id),
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

/// Writes the pending lines to a new file that replaces the journal at once
/// (written and synced aside, then renamed), and opens it for appending.
fn rewrite(path: &Path, pending: &VecDeque<(String, String)>) -> std::io::Result<File> {
    let aside = path.with_extension("tmp");
    {
        let mut file = File::create(&aside)?;
        for (_, line) in pending {
            writeln!(file, "{line}")?;
        }
        file.sync_all()?;
    }
    std::fs::rename(&aside, path)?;
    OpenOptions::new().append(true).open(path)
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

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ocpp-rs-journal-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("queue.jsonl")
    }

    #[test]
    fn what_was_pending_comes_back_in_order_and_done_messages_do_not() {
        let path = scratch("order");
        let (journal, restored, warnings) = Journal::open(&path).unwrap();
        assert!(restored.is_empty() && warnings.is_empty());
        for (id, action) in [("a", "StartTransaction"), ("b", "MeterValues"), ("c", "StopTransaction")] {
            journal.add(&entry(id, action)).unwrap();
        }
        journal.done("b").unwrap();
        assert!(journal.holds("a") && !journal.holds("b"));
        drop(journal);
        let (journal, restored, warnings) = Journal::open(&path).unwrap();
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
        let (journal, ..) = Journal::open(&path).unwrap();
        journal.add(&entry("a", "StartTransaction")).unwrap();
        journal.add(&entry("b", "MeterValues")).unwrap();
        drop(journal);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("garbage\n{\"add\":{\"id\":\"c\",\"action\":\"MeterVal");
        std::fs::write(&path, text).unwrap();
        let (_, restored, warnings) = Journal::open(&path).unwrap();
        assert_eq!(restored.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("line 3 cannot be read"), "{warnings:?}");
    }

    #[test]
    fn repeats_of_one_message_id_all_come_back() {
        let path = scratch("repeats");
        let (journal, ..) = Journal::open(&path).unwrap();
        let first = entry("same", "MeterValues");
        let second = Entry { payload: r#"{"connectorId":2}"#.into(), ..entry("same", "MeterValues") };
        journal.add(&first).unwrap();
        journal.add(&second).unwrap();
        drop(journal);
        let (journal, restored, _) = Journal::open(&path).unwrap();
        assert_eq!(restored, [first, second.clone()], "both adds of one id are kept, in order");
        journal.done("same").unwrap();
        drop(journal);
        let (_, restored, _) = Journal::open(&path).unwrap();
        assert_eq!(restored, [second], "a done settles the oldest add of its id");
    }

    #[test]
    fn the_file_stays_about_the_size_of_the_queue() {
        let path = scratch("size");
        let (journal, ..) = Journal::open(&path).unwrap();
        journal.add(&entry("keep", "StartTransaction")).unwrap();
        for i in 0..600 {
            let id = format!("m{i}");
            journal.add(&entry(&id, "MeterValues")).unwrap();
            journal.done(&id).unwrap();
        }
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        assert!(lines < 2 * REWRITE_AFTER + 10, "{lines} lines");
        drop(journal);
        let (_, restored, _) = Journal::open(&path).unwrap();
        assert_eq!(restored, [entry("keep", "StartTransaction")]);
    }
}

/// Faults the file system gives a journal, made real: the scenario runs in a
/// child process (this test binary again) under `RLIMIT_FSIZE`, set with
/// `prlimit`, with `SIGXFSZ` ignored so a write past the limit fails with
/// `EFBIG` as a full disk fails it, instead of killing the process.
#[cfg(all(test, target_os = "linux"))]
mod fault_tests {
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
        let (journal, ..) = Journal::open(&path).unwrap();
        journal.add(&entry("a", 100)).unwrap();
        let refused = journal.add(&entry("b", 8000));
        assert!(refused.is_err(), "b crosses the file size limit");
        lift_limit();
        journal.add(&entry("c", 100)).unwrap();
        drop(journal);
        let (_, restored, warnings) = Journal::open(&path).unwrap();
        let ids: Vec<_> = restored.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["a", "c"], "c was acknowledged, so it must come back; warnings: {warnings:?}");
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn what_can_be_read_comes_back_though_the_file_cannot_be_written() {
        if std::env::var_os(CHILD).is_none() {
            let path = scratch("unwritable");
            let (journal, ..) = Journal::open(&path).unwrap();
            journal.add(&entry("a", 10)).unwrap();
            journal.add(&entry("b", 10)).unwrap();
            drop(journal);
            // No byte may be written in the child: the file is readable, not writable.
            in_child("what_can_be_read_comes_back_though_the_file_cannot_be_written", 0, &path);
            return;
        }
        let path = child_file();
        match Journal::open(&path) {
            Ok((_, restored, _)) => {
                let ids: Vec<_> = restored.iter().map(|e| e.id.as_str()).collect();
                assert_eq!(ids, ["a", "b"]);
            }
            Err(e) => panic!("the two readable messages are dropped: {e}"),
        }
    }
}
