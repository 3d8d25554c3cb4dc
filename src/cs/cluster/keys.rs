//! Where a cluster keeps its state in Redis, and who an instance is.
//!
//! Every key and channel starts with the cluster's prefix, so two clusters
//! (or a cluster and other users) can share one Redis.

/// The longest instance id: it is part of every presence entry.
const MAX_INSTANCE_LEN: usize = 100;

/// Checks an instance id: it is written into presence entries as a word, so
/// it has no spaces, and it names a channel.
pub fn check_instance(id: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-');
    if id.is_empty() || id.len() > MAX_INSTANCE_LEN || !id.chars().all(ok_char) {
        return Err(format!(
            "instance id {id:?} must be 1 to {MAX_INSTANCE_LEN} characters of letters, digits, '.', '_', ':' or '-'"
        ));
    }
    Ok(())
}

/// Checks a key prefix: a word, so keys stay readable in `redis-cli`.
pub fn check_prefix(prefix: &str) -> Result<(), String> {
    if prefix.is_empty() || prefix.len() > 64 || prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("key prefix {prefix:?} must be 1 to 64 characters without spaces"));
    }
    Ok(())
}

/// The names of a cluster's keys and channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: &str) -> Self {
        Self { prefix: prefix.to_owned() }
    }

    /// Hash: station id -> `"<instance> <boot> <token>"`, who holds it (the
    /// token is the holding connection's id in that run).
    pub fn stations(&self) -> String {
        format!("{}:stations", self.prefix)
    }

    /// Hash: station id -> what other instances show of it (JSON: version,
    /// server node, since), written with each claim.
    pub fn details(&self) -> String {
        format!("{}:details", self.prefix)
    }

    /// Set of `"<instance> <boot>"`: the incarnations that have announced themselves.
    pub fn instances(&self) -> String {
        format!("{}:instances", self.prefix)
    }

    /// Prefix of the liveness keys, `<prefix>:alive:<instance>` = boot id, with a TTL.
    pub fn alive_prefix(&self) -> String {
        format!("{}:alive:", self.prefix)
    }

    pub fn alive(&self, instance: &str) -> String {
        format!("{}{instance}", self.alive_prefix())
    }

    /// Prefix of the instances' own channels, `<prefix>:i:<instance>`.
    pub fn channel_prefix(&self) -> String {
        format!("{}:i:", self.prefix)
    }

    pub fn channel(&self, instance: &str) -> String {
        format!("{}{instance}", self.channel_prefix())
    }

    /// The channel every instance listens to (passwords, SOAP addresses).
    pub fn broadcast(&self) -> String {
        format!("{}:all", self.prefix)
    }

    /// Hash: station id -> Basic-auth password set by `LOCAL_SET_ALL_AUTH_EVSES`.
    pub fn passwords(&self) -> String {
        format!("{}:passwords", self.prefix)
    }

    /// Hash: SOAP station id -> the address it gave in `From`.
    pub fn soap_addresses(&self) -> String {
        format!("{}:soap", self.prefix)
    }

    /// Sorted set: SOAP station id -> when its address was last heard (ms),
    /// so the table keeps the most recent ones.
    pub fn soap_seen(&self) -> String {
        format!("{}:soap:seen", self.prefix)
    }

    /// Counter: the highest 1.6 transaction id any instance reserved (`cs/txids.rs`).
    pub fn transaction_ids(&self) -> String {
        format!("{}:transaction-ids", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_are_words_and_keys_share_the_prefix() {
        assert!(check_instance("node-a:1880").is_ok());
        assert!(check_instance("").is_err());
        assert!(check_instance("two words").is_err());
        assert!(check_instance(&"x".repeat(101)).is_err());
        assert!(check_prefix("ocpp").is_ok());
        assert!(check_prefix("a b").is_err());
        let keys = Keys::new("site1");
        assert_eq!(keys.alive("a"), "site1:alive:a");
        assert_eq!(keys.channel("a"), "site1:i:a");
        assert!(keys.stations().starts_with("site1:"));
    }
}
