//! The addresses of the HTTPS listeners a learner started (lesson 6's own
//! CA), shared between the lab that starts and stops them and the
//! inspector's target policy, which may send to them while they run.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};

/// A shared, changing set of listener addresses. Cheap to clone: every clone
/// sees the same set.
#[derive(Debug, Clone, Default)]
pub struct LearnerListeners {
    addresses: Arc<RwLock<HashSet<SocketAddr>>>,
}

impl LearnerListeners {
    /// Adds a started listener's addresses.
    pub fn add(&self, addresses: &[SocketAddr]) {
        let mut set = self
            .addresses
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        set.extend(addresses.iter().copied());
    }

    /// Removes a stopped listener's addresses.
    pub fn remove(&self, addresses: &[SocketAddr]) {
        let mut set = self
            .addresses
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        for address in addresses {
            set.remove(address);
        }
    }

    /// The addresses of a running listener on `port`, if one is.
    pub fn on_port(&self, port: u16) -> Vec<SocketAddr> {
        let set = self
            .addresses
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let mut found: Vec<SocketAddr> = set
            .iter()
            .filter(|address| address.port() == port)
            .copied()
            .collect();
        // IPv4 first, so `localhost` goes where most clients go first.
        found.sort_by_key(|address| (address.is_ipv6(), *address));
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_set_and_removal_forgets_a_listener() {
        let listeners = LearnerListeners::default();
        let seen_by_policy = listeners.clone();
        let v4: SocketAddr = "127.0.0.1:4100".parse().expect("addr");
        let v6: SocketAddr = "[::1]:4100".parse().expect("addr");
        listeners.add(&[v6, v4]);
        assert_eq!(seen_by_policy.on_port(4100), [v4, v6]);
        assert!(seen_by_policy.on_port(4101).is_empty());
        listeners.remove(&[v4, v6]);
        assert!(seen_by_policy.on_port(4100).is_empty());
    }
}
