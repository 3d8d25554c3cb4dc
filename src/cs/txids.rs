//! Minted OCPP 1.6 transaction ids (docs/UNIFIED.md, "Minted transaction
//! ids"): with unified messages on, a 1.6 StartTransaction gets an integer id
//! from the engine when the flow gives none.
//!
//! Ids are unique for the CS server across Node-RED restarts: they are taken
//! from blocks of [`BLOCK`], and a block's high-water mark is written to
//! `<userDir>/ocpp-rs/transaction-ids-<node id>` (synced, renamed) before any
//! id of it is used, so a crash skips ids but never reissues one. With an
//! `ocpp-cluster`, blocks come from one Redis counter of the cluster's prefix
//! (`<prefix>:transaction-ids`), raised atomically to this instance's own
//! high-water mark first, so a Redis that restarts empty does not reissue
//! the ids this instance gave out either.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::cluster::Cluster;
use crate::sync::lock;

/// Ids reserved at a time: one file write (or Redis round trip) per this many StartTransactions.
pub const BLOCK: i64 = 100;

/// Why no id could be minted; the flow then has to give its own.
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    #[error("cannot keep minted transaction ids in {0}: {1}; the flow must give each 1.6 StartTransaction's transactionId until this is fixed")]
    File(String, String),
    #[error("cannot reserve transaction ids in the cluster's Redis (unavailable); the flow must give each 1.6 StartTransaction's transactionId until Redis is back")]
    Cluster,
}

/// Ids being handed out: `next..end`, the block reserved after it, and the
/// highest id ever reserved.
struct Block {
    next: i64,
    end: i64,
    standby: Option<(i64, i64)>,
    refilling: bool,
    high_water: i64,
}

/// A CS server's source of 1.6 transaction ids.
pub struct Minter {
    block: Mutex<Block>,
    file: Option<PathBuf>,
    cluster: Option<Arc<Cluster>>,
    /// One reservation at a time.
    refill: tokio::sync::Mutex<()>,
}

impl Minter {
    /// Reads the high-water mark kept in `file` (none yet: 0). Without a file,
    /// ids are unique while the process runs only.
    pub fn open(file: Option<PathBuf>, cluster: Option<Arc<Cluster>>) -> Result<Self, MintError> {
        let high_water = match &file {
            Some(path) => read_mark(path)?,
            None => 0,
        };
        let block = Mutex::new(Block { next: 1, end: 1, standby: None, refilling: false, high_water });
        Ok(Self { block, file, cluster, refill: tokio::sync::Mutex::new(()) })
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
    /// StartTransaction (a SOAP one cannot wait) finds an id ready.
    pub fn prepare(self: &Arc<Self>) {
        self.reserve_ahead(&mut lock(&self.block));
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
        let _one = self.refill.lock().await;
        let floor = lock(&self.block).high_water;
        let last = match &self.cluster {
            Some(cluster) => cluster.reserve_transaction_ids(BLOCK, floor).await.map_err(|_| MintError::Cluster)?,
            None => floor + BLOCK,
        };
        if let Some(path) = &self.file {
            write_mark(path, last)?;
        }
        let mut block = lock(&self.block);
        block.high_water = block.high_water.max(last);
        Ok((last - BLOCK + 1, last + 1))
    }
}

fn file_error(path: &Path, e: impl std::fmt::Display) -> MintError {
    MintError::File(path.display().to_string(), e.to_string())
}

/// The high-water mark in `path`: a decimal integer; no file is 0.
fn read_mark(path: &Path) -> Result<i64, MintError> {
    match std::fs::read_to_string(path) {
        Ok(text) => text.trim().parse::<i64>().map_err(|_| file_error(path, format!("{:?} is not an id", text.trim()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(file_error(path, e)),
    }
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
        assert_eq!(read_mark(&file).unwrap(), BLOCK, "the block is on disk before its first id is used");
        let mut seen = std::collections::HashSet::from([a]);
        for _ in 1..3 * BLOCK {
            assert!(seen.insert(minter.mint().await.unwrap()), "no id twice");
            tokio::task::yield_now().await;
        }
        assert!(read_mark(&file).unwrap() >= 3 * BLOCK);
        let last = minter.mint().await.unwrap();
        drop(minter);
        let again = Arc::new(Minter::open(Some(file.clone()), None).unwrap());
        let after = again.mint().await.unwrap();
        assert!(after > last, "a restart never reissues: {after} after {last}");
        std::fs::write(&file, "garbage").unwrap();
        assert!(Minter::open(Some(file), None).err().unwrap().to_string().contains("is not an id"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
