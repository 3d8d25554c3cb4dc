//! The `ocpp-cluster` node's settings, the cluster's errors, and the Redis
//! client they make.

use redis::io::tcp::socket2::TcpKeepalive;
use redis::io::tcp::TcpSettings;
use redis::IntoConnectionInfo;

/// TCP keepalive on the connections to Redis: idle time before the first probe.
const TCP_KEEPALIVE: std::time::Duration = std::time::Duration::from_secs(10);
use serde::Deserialize;

/// The `ocpp-cluster` config node's settings.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct ClusterOptions {
    /// `redis://` or `rediss://host:port/db`.
    pub url: String,
    /// The config node's credential; wins over one in the URL.
    pub password: Option<String>,
    /// Prefix of every key and channel.
    pub prefix: String,
    /// This instance's id (the node resolves the default).
    pub instance: String,
    /// Requests to other instances waiting for their answer, at most.
    pub max_pending: usize,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        Self { url: String::new(), password: None, prefix: "ocpp".into(), instance: String::new(), max_pending: 10_000 }
    }
}

impl std::fmt::Debug for ClusterOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cluster {} prefix {} instance {}", public_url(&self.url), self.prefix, self.instance)
    }
}

/// The URL without its password, for messages.
pub fn public_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("invalid ocpp-cluster setting: {0}")]
    Invalid(String),
    #[error(
        "this Node-RED already runs cluster {running}; every CS server of one Node-RED must name the same ocpp-cluster"
    )]
    Another { running: String },
    #[error("the cluster's Redis is unavailable: stations on other instances cannot be reached until it is back")]
    Unavailable,
    #[error(
        "the cluster's Redis failed while the request was being handed to the instance holding the station: \
         it may have been sent to the station (never twice); check its effect before sending it again"
    )]
    MaybeSent,
}

pub fn client(options: &ClusterOptions) -> Result<redis::Client, ClusterError> {
    let url = options.url.trim();
    if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
        return Err(ClusterError::Invalid(format!(
            "the URL {:?} must start with redis:// or rediss://",
            public_url(url)
        )));
    }
    let mut info = url
        .into_connection_info()
        .map_err(|e| ClusterError::Invalid(format!("the URL {:?} cannot be used: {e}", public_url(url))))?;
    if let Some(password) = options.password.as_deref().filter(|p| !p.is_empty()) {
        info = info.clone().set_redis_settings(info.redis_settings().clone().set_password(password));
    }
    // Keepalive probes, so a connection whose peer vanished without a FIN
    // (a dead host, a dropped NAT entry) fails instead of waiting for ever.
    let keepalive = TcpKeepalive::new().with_time(TCP_KEEPALIVE).with_interval(TCP_KEEPALIVE / 2).with_retries(3);
    info = info.set_tcp_settings(TcpSettings::default().set_nodelay(true).set_keepalive(keepalive));
    redis::Client::open(info).map_err(|e| ClusterError::Invalid(format!("cannot use {:?}: {e}", public_url(url))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password_in_messages() {
        assert_eq!(public_url("redis://:secret@host:6379/2"), "redis://host:6379/2");
        assert_eq!(public_url("redis://host:6379"), "redis://host:6379");
        let bad = ClusterOptions { url: "http://x".into(), instance: "a".into(), ..Default::default() };
        assert!(matches!(client(&bad), Err(ClusterError::Invalid(_))));
    }
}
