//! Values too costly to make per test (a build, a virtualenv from PyPI), made once per test
//! process and shared by every test that asks for the same key.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

/// One value per key, made by the first test that asks for it. Tests run on parallel
/// threads: one that asks while the value is being made waits for it rather than making
/// it again, and the lock on the map is held only to find the key's slot, so different
/// keys are made at the same time.
pub struct PerRun<K, V: 'static> {
    slots: Mutex<BTreeMap<K, &'static OnceLock<V>>>,
}

impl<K: Ord, V: 'static> PerRun<K, V> {
    pub const fn new() -> Self {
        PerRun {
            slots: Mutex::new(BTreeMap::new()),
        }
    }

    /// The value of `key`, made with `make` if no test has made it yet. The slots are
    /// leaked: the values live as long as the process, so tests can hold on to them.
    pub fn get(&self, key: K, make: impl FnOnce() -> V) -> &'static V {
        let slot: &'static OnceLock<V> = self
            .slots
            .lock()
            // A test that panicked while holding the lock left the map whole.
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_insert_with(|| Box::leak(Box::default()));
        slot.get_or_init(make)
    }
}

impl<K: Ord, V: 'static> Default for PerRun<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_is_made_once() {
        static MADE: PerRun<&str, String> = PerRun::new();
        let mut calls = 0;
        let a = MADE.get("a", || {
            calls += 1;
            "made a".to_owned()
        });
        let again = MADE.get("a", || {
            calls += 1;
            "made a again".to_owned()
        });
        assert_eq!((a.as_str(), again.as_str(), calls), ("made a", "made a", 1));
        assert!(std::ptr::eq(a, again));
        assert_eq!(MADE.get("b", || "made b".to_owned()), "made b");
    }
}
