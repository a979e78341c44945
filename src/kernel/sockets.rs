//! The open netlink sockets of named namespaces: the most recently used are
//! kept, up to a limit. Each holds a file descriptor and, in netlink-proto,
//! a 64 KiB read and an 8 KiB write buffer of which a few pages are touched
//! (about 15 KiB resident a namespace, measured); a lab of thousands of
//! namespaces works on a few at a time, and reopening one is a visit to its
//! namespace (tens of microseconds).

use std::collections::HashMap;

/// How many stay open; a lab with more reopens the least recently used.
pub const KEPT_OPEN: usize = 256;

pub struct Sockets<T> {
    open: HashMap<String, Kept<T>>,
    clock: u64,
    limit: usize,
}

struct Kept<T> {
    value: T,
    used: u64,
}

impl<T> Sockets<T> {
    pub fn new(limit: usize) -> Self {
        Sockets { open: HashMap::new(), clock: 0, limit: limit.max(1) }
    }

    /// The socket of namespace `name`, marked as just used.
    pub fn get(&mut self, name: &str) -> Option<&T> {
        self.clock += 1;
        let kept = self.open.get_mut(name)?;
        kept.used = self.clock;
        Some(&kept.value)
    }

    /// The socket of namespace `name`, not marked.
    pub fn peek(&self, name: &str) -> Option<&T> {
        self.open.get(name).map(|kept| &kept.value)
    }

    /// Keeps `value` for `name`, closing the least recently used socket
    /// when the limit is reached.
    pub fn insert(&mut self, name: String, value: T) {
        if self.open.len() >= self.limit
            && !self.open.contains_key(&name)
            && let Some(oldest) = self.open.iter().min_by_key(|(_, kept)| kept.used).map(|(n, _)| n.clone())
        {
            self.open.remove(&oldest);
        }
        self.clock += 1;
        self.open.insert(name, Kept { value, used: self.clock });
    }

    pub fn remove(&mut self, name: &str) {
        self.open.remove(name);
    }

    /// How many more can be kept before one is closed.
    pub fn room(&self) -> usize {
        self.limit.saturating_sub(self.open.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_socket_is_closed_first() {
        let mut sockets = Sockets::new(2);
        sockets.insert("a".into(), 1);
        sockets.insert("b".into(), 2);
        assert_eq!(sockets.get("a"), Some(&1));
        sockets.insert("c".into(), 3);
        assert_eq!((sockets.peek("a"), sockets.peek("b"), sockets.peek("c")), (Some(&1), None, Some(&3)));
        assert_eq!(sockets.room(), 0);
    }

    #[test]
    fn a_namespace_opened_again_replaces_its_socket_without_closing_another() {
        let mut sockets = Sockets::new(2);
        sockets.insert("a".into(), 1);
        sockets.insert("b".into(), 2);
        sockets.insert("a".into(), 10);
        assert_eq!((sockets.peek("a"), sockets.peek("b")), (Some(&10), Some(&2)));
        sockets.remove("b");
        assert_eq!(sockets.room(), 1);
    }
}
