//! SOAP requests to a peer: `CS request SOAP` (Central System -> charge
//! point) and `CP Request SOAP` (charge point -> Central System). One pooled
//! HTTP/1.1 client per TLS configuration and address policy; every request
//! has a deadline. A URL a station gave in its own `From` is reached only at
//! addresses `netcheck` lets through, checked after DNS, when connecting.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use super::envelope::{self, Outgoing, Reply};
use super::Service;
use crate::flow::{CallOutcome, Failure};
use crate::netcheck::{Allow, NetError};
use crate::sync::lock;
use crate::tls::{TlsError, TlsOptions};

type Connector = hyper_rustls::HttpsConnector<HttpConnector<Guard>>;
type HttpClient = Client<Connector, Full<Bytes>>;

/// One pooled client per TLS configuration and address policy in use (most
/// flows have one or two); bounded so a flow that changes certificates per msg
/// cannot grow it. A policy's client never shares a pooled connection with another's.
static CLIENTS: LazyLock<Mutex<HashMap<ClientKey, HttpClient>>> = LazyLock::new(Default::default);
type ClientKey = (TlsOptions, Option<Allow>);
const MAX_CLIENTS: usize = 32;

fn client_for(tls: &TlsOptions, policy: Option<Allow>) -> Result<HttpClient, TlsError> {
    let mut clients = lock(&CLIENTS);
    let key = (tls.clone(), policy);
    if let Some(client) = clients.get(&key) {
        return Ok(client.clone());
    }
    let mut http = HttpConnector::new_with_resolver(Guard(key.1.clone().map(Arc::new)));
    http.enforce_http(false);
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(Arc::unwrap_or_clone(tls.client_config()?))
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    let client = Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(connector);
    if clients.len() >= MAX_CLIENTS {
        clients.clear();
    }
    clients.insert(key, client.clone());
    Ok(client)
}

/// DNS for the pooled clients: with a policy, only the addresses it lets
/// through are connected to, so a name that resolves differently between a
/// check and the connection (DNS rebinding) gains nothing.
#[derive(Clone)]
struct Guard(Option<Arc<Allow>>);

impl tower_service::Service<Name> for Guard {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = std::io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let policy = self.0.clone();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            match policy {
                None => Ok(found.into_iter()),
                Some(allow) => permitted(&allow, found)
                    .map(Vec::into_iter)
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::PermissionDenied, e)),
            }
        })
    }
}

/// The addresses the policy lets through; none is an error naming the first refused.
fn permitted(allow: &Allow, found: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, NetError> {
    let mut refused = None;
    let ok: Vec<SocketAddr> = found
        .into_iter()
        .filter(|a| match allow.check(a.ip()) {
            Ok(()) => true,
            Err(e) => {
                refused.get_or_insert(e);
                false
            }
        })
        .collect();
    match (ok.is_empty(), refused) {
        (true, Some(e)) => Err(e),
        _ => Ok(ok),
    }
}

/// Checks a station-given URL before the request, for a clear error: an IP
/// address in the URL is checked as it is (the connector does not resolve it),
/// a name after resolving it (the connector checks again when it connects).
async fn check_station_url(url: &str, allow: &Allow) -> Result<(), String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("bad SOAP URL {url:?}: {e}"))?;
    let host = uri.host().ok_or_else(|| format!("the SOAP URL {url:?} has no host"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return allow.check(ip).map_err(|e| e.to_string());
    }
    let found: Vec<SocketAddr> = match tokio::net::lookup_host((host, 0)).await {
        Ok(found) => found.collect(),
        Err(e) => return Err(format!("cannot resolve {host}: {e}")),
    };
    permitted(allow, found).map(|_| ()).map_err(|e| e.to_string())
}

/// Largest answer read from a peer.
const MAX_REPLY: usize = 4 << 20;

/// A request as the node asks for it (JSON, camelCase).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SoapRequest {
    /// The peer's SOAP endpoint, `http://…` or `https://…`.
    pub url: String,
    /// CA, client certificate and verification for `https://`.
    #[serde(default)]
    pub tls: TlsOptions,
    /// "1.5" or "1.6".
    pub version: String,
    /// The peer's role: "cp" (a charge point's service) or "cs".
    pub target: String,
    pub action: String,
    pub charge_box_identity: String,
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub timeout_ms: u64,
    /// The URL is the one the station gave in its `From`: reached only at
    /// addresses `netcheck` lets through, or listed here (`allowAddresses`).
    #[serde(default)]
    pub from_station: bool,
    #[serde(default)]
    pub allow_addresses: Vec<String>,
}

impl SoapRequest {
    fn service(&self) -> Result<Service, String> {
        match (self.target.as_str(), self.version.as_str()) {
            ("cp", "1.5") => Ok(Service::ChargePoint15),
            ("cp", "1.6") => Ok(Service::ChargePoint16),
            ("cs", "1.5") => Ok(Service::CentralSystem15),
            ("cs", "1.6") => Ok(Service::CentralSystem16),
            (t, v) => Err(format!("no OCPP SOAP service for version {v:?} and role {t:?}")),
        }
    }
}

/// Sends the request; returns the MessageID used and the outcome.
pub async fn call(req: SoapRequest, payload_json: &str) -> (String, CallOutcome) {
    let id = req.message_id.clone().unwrap_or_else(|| format!("urn:uuid:{}", uuid::Uuid::new_v4()));
    let outcome = match prepare(&req, payload_json, &id) {
        Ok((service, envelope)) => send(&req, service, envelope).await,
        Err(message) => CallOutcome::invalid(message),
    };
    (id, outcome)
}

fn prepare(req: &SoapRequest, payload_json: &str, id: &str) -> Result<(Service, String), String> {
    let service = req.service()?;
    let operation = service.table().operation(&req.action).ok_or_else(|| {
        let names: Vec<&str> = service.table().operations.iter().map(|o| o.name).collect();
        format!("{} is not an operation of OCPP {} SOAP here; use one of {}", req.action, req.version, names.join(", "))
    })?;
    if !(req.url.starts_with("http://") || req.url.starts_with("https://")) {
        return Err(format!("the SOAP URL must start with http:// or https://, got {:?}", req.url));
    }
    if req.charge_box_identity.is_empty() {
        return Err("no charge box identity: set it in the node or in msg.payload.cbId".into());
    }
    let payload: serde_json::Value =
        serde_json::from_str(payload_json).map_err(|_| "the request's data must be a JSON object".to_owned())?;
    let outgoing = Outgoing {
        service,
        operation,
        charge_box_identity: &req.charge_box_identity,
        message_id: id,
        to: &req.url,
        from: req.from.as_deref().filter(|f| !f.is_empty()),
    };
    let envelope = envelope::request(&outgoing, &payload).map_err(|e| e.to_string())?;
    Ok((service, envelope))
}

async fn send(req: &SoapRequest, service: Service, envelope: String) -> CallOutcome {
    let operation = service.table().operation(&req.action).expect("checked in prepare");
    let content_type = format!("application/soap+xml; charset=utf-8; action=\"/{}\"", req.action);
    let http = match hyper::Request::post(&req.url)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(envelope)))
    {
        Ok(r) => r,
        Err(e) => return CallOutcome::invalid(format!("bad SOAP URL {:?}: {e}", req.url)),
    };
    let policy = match req.from_station.then(|| Allow::parse(&req.allow_addresses)).transpose() {
        Ok(policy) => policy,
        Err(e) => return CallOutcome::invalid(e.to_string()),
    };
    let timeout = Duration::from_millis(req.timeout_ms.max(1));
    if let Some(allow) = &policy {
        // Within the request's deadline: a name server that does not answer is a timeout.
        match tokio::time::timeout(timeout, check_station_url(&req.url, allow)).await {
            Err(_) => return CallOutcome::timeout(&req.url, &req.action),
            Ok(Err(message)) => return CallOutcome::failed(Failure::NotConnected, message),
            Ok(Ok(())) => {}
        }
    }
    let client = match client_for(&req.tls, policy) {
        Ok(client) => client,
        Err(e) => return CallOutcome::invalid(e.to_string()),
    };
    let exchange = async {
        let response = client.request(http).await.map_err(|e| CallOutcome::Failed {
            failure: Failure::NotConnected,
            message: format!("cannot reach {}: {e}", req.url),
        })?;
        let body = Limited::new(response.into_body(), MAX_REPLY).collect().await.map_err(|e| CallOutcome::Failed {
            failure: Failure::Disconnected,
            message: format!("reading the answer failed: {e}"),
        })?;
        Ok::<_, CallOutcome>(body.to_bytes())
    };
    let bytes = match tokio::time::timeout(timeout, exchange).await {
        Err(_) => return CallOutcome::timeout(&req.url, &req.action),
        Ok(Err(outcome)) => return outcome,
        Ok(Ok(bytes)) => bytes,
    };
    let text = String::from_utf8_lossy(&bytes);
    match envelope::parse_reply(&text, service, operation) {
        Ok(Reply::Response(value)) => CallOutcome::Result(value.to_string()),
        Ok(Reply::Fault { code, reason }) => CallOutcome::CallError { code, description: reason, details: "{}".into() },
        Err(e) => CallOutcome::invalid(format!("the peer's answer is not a valid {} response: {e}", req.action)),
    }
}
