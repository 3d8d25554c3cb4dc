//! The engine's own heap, counted: every allocation of the addon goes through
//! [`Counting`], so the bytes it holds are known exactly rather than guessed
//! from RSS less V8's heap (which saws with V8's page reuse and the system
//! allocator's arenas, and cannot tell a leak from a slow return of pages).
//! The redeploy test and the soak read it through the `engineMemory` binding.
//!
//! The cost is two relaxed atomic additions per allocation and per free.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// The system allocator, with the live bytes and the allocation count kept.
pub struct Counting;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

#[global_allocator]
static GLOBAL: Counting = Counting;

// SAFETY: every call is forwarded to `System` with the caller's own layout and
// pointer; the counters are only arithmetic beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            counted(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            counted(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
            counted(new_size);
        }
        p
    }
}

fn counted(size: usize) {
    LIVE_BYTES.fetch_add(size, Ordering::Relaxed);
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
}

/// What the engine holds now, and how many allocations it made since it was loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub live_bytes: usize,
    pub allocations: u64,
}

pub fn usage() -> Usage {
    Usage { live_bytes: LIVE_BYTES.load(Ordering::Relaxed), allocations: ALLOCATIONS.load(Ordering::Relaxed) }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Other tests allocate on other threads at the same time, so the check is
    // of a block far larger than their noise, held then freed.
    #[test]
    fn a_held_block_is_counted_and_its_free_given_back() {
        let before = usage();
        let block = vec![7u8; 64 << 20];
        let held = usage();
        assert!(held.live_bytes >= before.live_bytes + (60 << 20), "{before:?} -> {held:?}");
        assert!(held.allocations > before.allocations);
        drop(block);
        let after = usage();
        assert!(after.live_bytes + (60 << 20) <= held.live_bytes, "{held:?} -> {after:?}");
    }
}
