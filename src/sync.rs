//! Locks that outlive a panic.
//!
//! The engine's tables (stations, waiting answers, event buffers) are shared
//! between the JavaScript thread and the runtime's workers. A panic while one
//! of them is held must not take every later node call down with it: each
//! table is valid after any single insert or remove, so the lock is taken
//! back from the poisoned state rather than unwrapped.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, recovering it if a panic poisoned it.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_lock_is_still_usable() {
        let m = std::sync::Arc::new(Mutex::new(1));
        let held = m.clone();
        let _ = std::thread::spawn(move || {
            let _guard = held.lock().unwrap();
            panic!("poison it");
        })
        .join();
        assert!(m.is_poisoned());
        *lock(&m) += 1;
        assert_eq!(*lock(&m), 2);
    }
}
