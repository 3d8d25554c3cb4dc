//! Minted OCPP 1.6 transaction ids (docs/UNIFIED.md, "Minted transaction
//! ids"): with unified messages on, a 1.6 StartTransaction gets an integer id
//! from the engine when the flow gives none.
//!
//! Ids are unique for the Node-RED user directory across restarts, redeploys
//! and node ids: they are taken from blocks of [`BLOCK`], and a block's
//! high-water mark is written to `<userDir>/ocpp-rs/transaction-ids` (synced,
//! renamed) before any id of it is used, so a crash skips ids but never
//! reissues one. Every CS server of the process naming that file shares one
//! [`IdFile`], so two servers (or a flow re-imported under a new node id)
//! never hand out the same id. With an `ocpp-cluster`, blocks come from one
//! Redis counter of the cluster's prefix (`<prefix>:transaction-ids`); the file
//! then holds the highest counter this instance has seen, and a counter that is
//! missing or below it (a Redis that restarted empty) is raised to it plus
//! [`CLUSTER_GAP`], so ids another instance gave out are not reissued.
//! Ids never pass [`MAX_ID`] (1.6 stations commonly keep an int32).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use super::cluster::Cluster;
use crate::sync::lock;

/// Ids reserved at a time: one file write (or Redis round trip) per this many StartTransactions.
pub const BLOCK: i64 = 100;

/// The highest id minted: the int32 maximum, which 1.6 stations commonly store ids in.
pub const MAX_ID: i64 = i32::MAX as i64;

/// How far above its own mark an instance raises a Redis counter that is
/// missing or lower (Redis restarted empty): more ids than a cluster mints
/// between two looks of an instance at the counter ([`COUNTER_LOOK`]).
pub const CLUSTER_GAP: i64 = 1_000_000;

/// How often a clustered instance reads the Redis counter to keep its mark current.
pub const COUNTER_LOOK: Duration = Duration::from_secs(60);

/// Why no id could be minted; the flow then has to give its own.
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    #[error("cannot keep minted transaction ids in {0}: {1}; the flow must give each 1.6 StartTransaction's transactionId until this is fixed")]
    File(String, String),
    #[error("cannot reserve transaction ids in the cluster's Redis (unavailable); the flow must give each 1.6 StartTransaction's transactionId until Redis is back")]
    Cluster,
    #[error("minted transaction ids are used up: the next would pass 2147483647, the int32 maximum 1.6 stations keep; the flow must give each 1.6 StartTransaction's transactionId")]
    Exhausted,
}

/// The id file of a user directory, shared by every CS server of the process
/// that names it: the highest id reserved (or Redis counter seen), under a
/// lock held for a whole reservation, so servers sharing it get distinct blocks.
pub struct IdFile {
    path: Option<PathBuf>,
    mark: tokio::sync::Mutex<i64>,
}

/// The open id files of the process, by path.
fn open_files() -> &'static Mutex<HashMap<PathBuf, Weak<IdFile>>> {
    static FILES: OnceLock<Mutex<HashMap<PathBuf, Weak<IdFile>>>> = OnceLock::new();
    FILES.get_or_init(Default::default)
}

impl IdFile {
    /// The process's one `IdFile` for `path` (read now when none is open);
    /// without a path, one of its own, unique while the process runs only.
    pub fn shared(path: Option<PathBuf>) -> Result<Arc<Self>, MintError> {
        let Some(path) = path else {
            return Ok(Arc::new(Self { path: None, mark: tokio::sync::Mutex::new(0) }));
        };
        let mut files = lock(open_files());
        if let Some(file) = files.get(&path).and_then(Weak::upgrade) {
            return Ok(file);
        }
        let mark = match read_mark(&path)? {
            Some(mark) => mark,
            None => old_files_mark(&path)?,
        };
        let file = Arc::new(Self { path: Some(path.clone()), mark: tokio::sync::Mutex::new(mark) });
        files.retain(|_, f| f.strong_count() > 0);
        files.insert(path, Arc::downgrade(&file));
        Ok(file)
    }

    /// Reserves the next block, `first..end`, written to the file before use.
    async fn reserve(&self, cluster: Option<&Cluster>) -> Result<(i64, i64), MintError> {
        let mut mark = self.mark.lock().await;
        let (first, last) = match cluster {
            Some(cluster) => {
                let last =
                    cluster.reserve_transaction_ids(BLOCK, *mark, CLUSTER_GAP).await.map_err(|_| MintError::Cluster)?;
                (last - BLOCK + 1, last)
            }
            None => (*mark + 1, *mark + BLOCK.min(MAX_ID - *mark)),
        };
        if first > MAX_ID || last < first {
            return Err(MintError::Exhausted);
        }
        self.raise(&mut mark, last)?;
        Ok((first, last.min(MAX_ID) + 1))
    }

    /// Keeps a Redis counter seen while minting nothing: the file's mark rises to it.
    async fn observe(&self, counter: i64) -> Result<(), MintError> {
        let mut mark = self.mark.lock().await;
        self.raise(&mut mark, counter)
    }

    /// Writes `to` when it is above the mark (the mark holds what is on disk).
    fn raise(&self, mark: &mut i64, to: i64) -> Result<(), MintError> {
        if to > *mark {
            if let Some(path) = &self.path {
                write_mark(path, to)?;
            }
            *mark = to;
        }
        Ok(())
    }
}

/// Ids being handed out: `next..end`, and the block reserved after it.
struct Block {
    next: i64,
    end: i64,
    standby: Option<(i64, i64)>,
    refilling: bool,
}

/// A CS server's source of 1.6 transaction ids.
pub struct Minter {
    block: Mutex<Block>,
    file: Arc<IdFile>,
    cluster: Option<Arc<Cluster>>,
}

impl Minter {
    /// Reads the high-water mark kept in `file` (none yet: the highest of the
    /// old per-node files `<file>-<node id>` beside it, else 0), or shares the
    /// one another server of the process has open. Without a file, ids are
    /// unique while the process runs only.
    pub fn open(file: Option<PathBuf>, cluster: Option<Arc<Cluster>>) -> Result<Self, MintError> {
        let block = Mutex::new(Block { next: 1, end: 1, standby: None, refilling: false });
        Ok(Self { block, file: IdFile::shared(file)?, cluster })
    }

    /// Blocks come from the cluster's Redis counter from now on.
    pub fn in_cluster(mut self, cluster: Option<Arc<Cluster>>) -> Self {
        self.cluster = cluster;
        self
    }

    /// An id at once, if one is reserved; when the block runs low, the next
    /// one is reserved in the background (inside the runtime), so a steady
    /// stream of StartTransactions never waits for the disk or Redis.
    pub fn try_mint(self: &Arc<Self>) -> Option<i64> {
        let mut block = lock(&self.block);
        if block.next >= block.end {
            let (next, end) = block.standby.take()?;
            (block.next, block.end) = (next, end);
        }
        let id = block.next;
        block.next += 1;
        if block.end - block.next < BLOCK / 2 {
            self.reserve_ahead(&mut block);
        }
        Some(id)
    }

    /// Reserves the first block now, in the background: a server's first
    /// StartTransaction (a SOAP one cannot wait) finds an id ready. In a
    /// cluster, also starts looking at the Redis counter every [`COUNTER_LOOK`].
    pub fn prepare(self: &Arc<Self>) {
        self.reserve_ahead(&mut lock(&self.block));
        if self.cluster.is_some() {
            self.watch_counter();
        }
    }

    /// Keeps the file's mark at the highest Redis counter seen while this
    /// instance mints little, so after a Redis restart it raises the counter
    /// above ids other instances gave out. Ends when the minter is dropped.
    fn watch_counter(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let me: Weak<Self> = Arc::downgrade(self);
        runtime.spawn(async move {
            loop {
                tokio::time::sleep(COUNTER_LOOK).await;
                let Some(minter) = me.upgrade() else { return };
                let Some(cluster) = minter.cluster.clone() else { return };
                if let Ok(Some(counter)) = cluster.transaction_ids_counter().await {
                    // A failed write is retried on the next look and reported on the next reservation.
                    let _ = minter.file.observe(counter).await;
                }
            }
        });
    }

    /// Reserves the next block in the background (inside the runtime), unless
    /// one is reserved or being reserved.
    fn reserve_ahead(self: &Arc<Self>, block: &mut Block) {
        if block.standby.is_some() || block.refilling {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            block.refilling = true;
            let me = self.clone();
            runtime.spawn(async move {
                let reserved = me.reserve().await.ok();
                let mut block = lock(&me.block);
                block.standby = block.standby.or(reserved);
                block.refilling = false;
            });
        }
    }

    /// The next id, waiting for a block to be reserved when none is.
    pub async fn mint(self: &Arc<Self>) -> Result<i64, MintError> {
        loop {
            if let Some(id) = self.try_mint() {
                return Ok(id);
            }
            let (next, end) = self.reserve().await?;
            let mut block = lock(&self.block);
            if block.next >= block.end {
                (block.next, block.end) = (next, end);
            } else if block.standby.is_none() {
                block.standby = Some((next, end));
            }
        }
    }

    /// Reserves the next block: `first..end`, on disk (and in Redis) before use.
    async fn reserve(&self) -> Result<(i64, i64), MintError> {
        self.file.reserve(self.cluster.as_deref()).await
    }
}

fn file_error(path: &Path, e: impl std::fmt::Display) -> MintError {
    MintError::File(path.display().to_string(), e.to_string())
}

/// The mark a file's text holds: a decimal integer from 0 to [`MAX_ID`].
fn parse_mark(text: &str) -> Result<i64, String> {
    let text = text.trim();
    match text.parse::<i64>() {
        Ok(mark) if (0..=MAX_ID).contains(&mark) => Ok(mark),
        Ok(mark) => Err(format!("{mark} is out of range (an id from 0 to {MAX_ID})")),
        Err(_) => Err(format!("{text:?} is not an id")),
    }
}

/// The high-water mark in `path`; `None` when there is no file.
fn read_mark(path: &Path) -> Result<Option<i64>, MintError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_mark(&text).map(Some).map_err(|e| file_error(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(file_error(path, e)),
    }
}

/// Migration from per-node files: the highest mark of `<name>-*` beside
/// `path` (what versions before the shared file wrote), or 0.
fn old_files_mark(path: &Path) -> Result<i64, MintError> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return Ok(0);
    };
    let prefix = format!("{name}-");
    let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir }) else {
        return Ok(0);
    };
    let mut highest = 0;
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(old) = file_name.to_str() else { continue };
        if old.starts_with(&prefix) && !old.ends_with(".tmp") {
            highest = highest.max(read_mark(&entry.path())?.unwrap_or(0));
        }
    }
    Ok(highest)
}

/// Writes the mark durably: a temporary file synced, renamed over the old
/// one, the directory synced, so a crash leaves the old mark or the new one.
fn write_mark(path: &Path, mark: i64) -> Result<(), MintError> {
    use std::io::Write;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| file_error(path, e))?;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(|e| file_error(path, e))?;
    f.write_all(format!("{mark}\n").as_bytes()).and_then(|_| f.sync_all()).map_err(|e| file_error(path, e))?;
    std::fs::rename(&tmp, path).map_err(|e| file_error(path, e))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ids_are_unique_across_reopening_and_the_mark_is_written_before_use() {
        let dir = std::env::temp_dir().join(format!("ocpp-txids-{}", uuid::Uuid::new_v4().simple()));
        let file = dir.join("transaction-ids-n1");
        let minter = Arc::new(Minter::open(Some(file.clone()), None).unwrap());
        let a = minter.mint().await.unwrap();
        assert_eq!(a, 1);
        assert_eq!(read_mark(&file).unwrap(), Some(BLOCK), "the block is on disk before its first id is used");
        let mut seen = std::collections::HashSet::from([a]);
        for _ in 1..3 * BLOCK {
            assert!(seen.insert(minter.mint().await.unwrap()), "no id twice");
            tokio::task::yield_now().await;
        }
        assert!(read_mark(&file).unwrap().unwrap() >= 3 * BLOCK);
        let last = minter.mint().await.unwrap();
        drop(minter);
        let again = Arc::new(Minter::open(Some(file.clone()), None).unwrap());
        let after = again.mint().await.unwrap();
        assert!(after > last, "a restart never reissues: {after} after {last}");
        drop(again);
        tokio::task::yield_now().await;
        std::fs::write(&file, "garbage").unwrap();
        assert!(Minter::open(Some(file), None).err().unwrap().to_string().contains("is not an id"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_mark_out_of_the_int32_range_is_damaged() {
        assert_eq!(parse_mark("2147483647\n"), Ok(MAX_ID));
        assert_eq!(parse_mark("0"), Ok(0));
        assert!(parse_mark("-1").unwrap_err().contains("-1 is out of range"));
        assert!(parse_mark("2147483648").unwrap_err().contains("2147483648 is out of range"));
        assert!(parse_mark("12x").unwrap_err().contains("is not an id"));
        let dir = std::env::temp_dir().join(format!("ocpp-txids-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("transaction-ids");
        std::fs::write(&file, "-5").unwrap();
        let e = Minter::open(Some(file.clone()), None).err().unwrap().to_string();
        assert!(e.contains(&file.display().to_string()) && e.contains("out of range"), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn ids_never_pass_the_int32_maximum_and_the_error_says_so() {
        let dir = std::env::temp_dir().join(format!("ocpp-txids-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("transaction-ids");
        std::fs::write(&file, format!("{}", MAX_ID - 3)).unwrap();
        let minter = Arc::new(Minter::open(Some(file.clone()), None).unwrap());
        let mut minted = Vec::new();
        for _ in 0..3 {
            minted.push(minter.mint().await.unwrap());
        }
        assert_eq!(minted, vec![MAX_ID - 2, MAX_ID - 1, MAX_ID]);
        let e = minter.mint().await.unwrap_err();
        assert!(matches!(e, MintError::Exhausted), "{e}");
        assert!(e.to_string().contains("2147483647"));
        assert_eq!(read_mark(&file).unwrap(), Some(MAX_ID));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn servers_sharing_a_file_get_distinct_ids_and_old_per_node_files_migrate() {
        let dir = std::env::temp_dir().join(format!("ocpp-txids-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("transaction-ids-old"), "450\n").unwrap();
        std::fs::write(dir.join("transaction-ids-older"), "90\n").unwrap();
        let file = dir.join("transaction-ids");
        let a = Arc::new(Minter::open(Some(file.clone()), None).unwrap());
        let b = Arc::new(Minter::open(Some(file.clone()), None).unwrap());
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2 * BLOCK {
            for m in [&a, &b] {
                let id = m.mint().await.unwrap();
                assert!(id > 450, "above the old files' mark: {id}");
                assert!(seen.insert(id), "no id twice: {id}");
            }
            tokio::task::yield_now().await;
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
