//! Caps on connections that have not become WebSockets: TLS handshakes,
//! request heads and bodies being read, SOAP requests waiting for the flow,
//! idle keep-alive connections. `maxConnections` counts stations only; without
//! these caps 20,000 clients that sent a head and `<a>` held every file
//! descriptor of the process (issue 28, item 2). A connection takes a place at
//! accept and gives it back when it ends or is upgraded.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::sync::lock;

/// How many connections may wait to be upgraded (or answered), overall and
/// from one client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingLimits {
    pub overall: usize,
    pub per_address: usize,
}

/// Whose connections count together: an IPv4 address, or an IPv6 /64 (one
/// subscriber's network: an attacker has millions of addresses in it).
/// IPv4-mapped IPv6 addresses count as their IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    V4([u8; 4]),
    V6Net([u8; 8]),
}

impl ClientKey {
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self::V4(v4.octets()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::V4(v4.octets()),
                None => {
                    let o = v6.octets();
                    Self::V6Net([o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]])
                }
            },
        }
    }
}

/// Why a connection was refused at accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PendingFull {
    #[error("{0} connections are waiting to be served, the most this server takes (maxHttpConnections)")]
    Overall(usize),
    #[error(
        "{0} connections from this address are waiting to be served, the most it may have (maxHttpConnectionsPerIp)"
    )]
    Address(usize),
}

/// The counts, pure: no I/O, no lock.
#[derive(Debug, Default)]
pub struct PendingCounts {
    total: usize,
    by_client: HashMap<ClientKey, usize>,
}

impl PendingCounts {
    /// Takes a place for `client`, or says which cap is reached.
    pub fn enter(&mut self, client: ClientKey, limits: PendingLimits) -> Result<(), PendingFull> {
        if self.total >= limits.overall {
            return Err(PendingFull::Overall(limits.overall));
        }
        let mine = self.by_client.entry(client).or_insert(0);
        if *mine >= limits.per_address {
            return Err(PendingFull::Address(limits.per_address));
        }
        *mine += 1;
        self.total += 1;
        Ok(())
    }

    /// Gives `client`'s place back; an address with none left is forgotten,
    /// so the table holds only addresses with connections.
    pub fn leave(&mut self, client: ClientKey) {
        if let Some(n) = self.by_client.get_mut(&client) {
            *n -= 1;
            if *n == 0 {
                self.by_client.remove(&client);
            }
            self.total -= 1;
        }
    }

    pub fn total(&self) -> usize {
        self.total
    }
}

/// One listener's gate.
#[derive(Debug)]
pub struct PendingGate {
    limits: PendingLimits,
    counts: Mutex<PendingCounts>,
}

/// A connection's place, given back when dropped.
#[derive(Debug)]
pub struct PendingPlace {
    gate: Arc<PendingGate>,
    client: ClientKey,
}

impl PendingGate {
    pub fn new(limits: PendingLimits) -> Arc<Self> {
        Arc::new(Self { limits, counts: Mutex::default() })
    }

    pub fn enter(self: &Arc<Self>, ip: IpAddr) -> Result<PendingPlace, PendingFull> {
        let client = ClientKey::of(ip);
        lock(&self.counts).enter(client, self.limits)?;
        Ok(PendingPlace { gate: self.clone(), client })
    }
}

impl Drop for PendingPlace {
    fn drop(&mut self) {
        lock(&self.gate.counts).leave(self.client);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: PendingLimits = PendingLimits { overall: 3, per_address: 2 };

    fn key(s: &str) -> ClientKey {
        ClientKey::of(s.parse().unwrap())
    }

    #[test]
    fn one_address_and_all_of_them_are_capped() {
        let mut c = PendingCounts::default();
        assert_eq!(c.enter(key("10.0.0.1"), LIMITS), Ok(()));
        assert_eq!(c.enter(key("::ffff:10.0.0.1"), LIMITS), Ok(()), "mapped IPv4 is the same client");
        assert_eq!(c.enter(key("10.0.0.1"), LIMITS), Err(PendingFull::Address(2)));
        assert_eq!(c.enter(key("10.0.0.2"), LIMITS), Ok(()));
        assert_eq!(c.enter(key("10.0.0.3"), LIMITS), Err(PendingFull::Overall(3)));
        c.leave(key("10.0.0.1"));
        assert_eq!(c.enter(key("10.0.0.3"), LIMITS), Ok(()));
        for k in ["10.0.0.1", "10.0.0.2", "10.0.0.3"] {
            c.leave(key(k));
        }
        assert_eq!(c.total(), 0);
        assert!(c.by_client.is_empty(), "addresses without connections are forgotten");
        c.leave(key("10.9.9.9"));
        assert_eq!(c.total(), 0, "leaving twice does not underflow");
    }

    #[test]
    fn an_ipv6_network_is_one_client() {
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
    }

    #[test]
    fn a_place_is_given_back_when_dropped() {
        let gate = PendingGate::new(PendingLimits { overall: 1, per_address: 1 });
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let place = gate.enter(ip).unwrap();
        assert!(gate.enter("127.0.0.2".parse().unwrap()).is_err());
        drop(place);
        assert!(gate.enter(ip).is_ok());
    }
}
