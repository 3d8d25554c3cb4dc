//! The SOAP side of a listener: `GET <path>?wsdl` serves the service
//! description, `POST <path>` reads a request (size-limited, before parsing;
//! within `bodyTimeout` and at `minBodyRate`), hands it over, and answers
//! with the envelope or a Fault.

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use tokio::sync::oneshot;

use super::envelope::{self, FaultCode, SoapVersion};
use super::{Service, SoapError};
use crate::listener::{self, linger, Body};
use crate::pace::{BodyLimits, BodyTooSlow, Pace};
use crate::tls::PeerCertificate;

/// Where a request goes once read: registers it for the flow's answer and
/// returns the receiver of the HTTP response (status, envelope), or why it
/// cannot be taken now (answered with a 503 Fault).
pub trait HandOver {
    fn hand_over(&self, request: envelope::Request) -> Result<oneshot::Receiver<(u16, String)>, String>;

    /// Whether the station named in `chargeBoxIdentity` may be heard, checked
    /// before the flow hears of the request: its HTTP Basic auth, and the
    /// client certificate the TLS connection presented (security profile 3).
    fn admit(
        &self,
        _charge_box_identity: &str,
        _authorization: Option<&[u8]>,
        _peer: Option<&PeerCertificate>,
    ) -> Result<(), Denied> {
        Ok(())
    }
}

/// Why a station's request is not heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// It needs HTTP Basic auth it did not give (401).
    Unauthorised,
    /// Its client certificate names another station (403): the text says which.
    Certificate(String),
}

/// Serves one HTTP request on a SOAP path.
pub async fn serve(
    req: Request<Incoming>,
    services: &[Service],
    max_body: usize,
    limits: BodyLimits,
    hand_over: &impl HandOver,
) -> Response<Body> {
    let wants_wsdl = req.uri().query().is_some_and(|q| q.to_ascii_lowercase().starts_with("wsdl"));
    match (req.method(), wants_wsdl) {
        (&Method::GET, true) => return document(200, "application/xml; charset=utf-8", services[0].wsdl().to_owned()),
        (&Method::POST, _) => {}
        _ => {
            return document(
                405,
                "text/plain; charset=utf-8",
                "OCPP SOAP: POST a SOAP envelope, or GET ?wsdl\n".into(),
            );
        }
    }
    // Answer in the version the client speaks (1.1 clients send text/xml).
    let version = match req.headers().get("content-type").and_then(|v| v.to_str().ok()) {
        Some(ct) if ct.to_ascii_lowercase().starts_with("text/xml") => SoapVersion::V11,
        _ => SoapVersion::V12,
    };
    let declared = req.headers().get("content-length").and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    let too_large = || fault(version, 413, FaultCode::Sender, &SoapError::TooLarge(max_body).to_string());
    if declared.is_some_and(|n| n > max_body) {
        linger(req.into_body());
        return too_large();
    }
    let authorization = req.headers().get("authorization").map(|v| v.as_bytes().to_vec());
    let peer = req.extensions().get::<PeerCertificate>().cloned();
    let body = match read_body(req.into_body(), max_body, limits).await {
        Ok(body) => body,
        Err(Unread::TooLarge(rest)) => {
            linger(rest);
            return too_large();
        }
        Err(Unread::TooSlow(slow)) => {
            // Not lingered on: a slow client is what the deadline is against.
            let mut resp = fault(version, 408, FaultCode::Sender, &slow.to_string());
            resp.headers_mut().insert("connection", hyper::header::HeaderValue::from_static("close"));
            return resp;
        }
        Err(Unread::Broken) => return fault(version, 400, FaultCode::Sender, "the request body could not be read"),
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return fault(version, 400, FaultCode::Sender, "the request is not UTF-8");
    };
    let request = match envelope::parse_request(text, services) {
        Ok(request) => request,
        Err(e) => return fault(version, 400, FaultCode::Sender, &e.to_string()),
    };
    let version = request.addressing.version;
    let Some(cb) = request.addressing.charge_box_identity.as_deref() else {
        return fault(version, 400, FaultCode::Sender, &SoapError::NoChargeBoxIdentity.to_string());
    };
    match hand_over.admit(cb, authorization.as_deref(), peer.as_ref()) {
        Ok(()) => {}
        Err(Denied::Certificate(text)) => return fault(version, 403, FaultCode::Sender, &text),
        Err(Denied::Unauthorised) => {
            let text = "this chargeBoxIdentity needs HTTP Basic auth (user = chargeBoxIdentity)";
            let mut resp = fault(version, 401, FaultCode::Sender, text);
            let challenge = hyper::header::HeaderValue::from_static("Basic realm=\"OCPP\"");
            resp.headers_mut().insert("www-authenticate", challenge);
            return resp;
        }
    }
    let answer = match hand_over.hand_over(request) {
        Ok(answer) => answer,
        Err(busy) => return fault(version, 503, FaultCode::Receiver, &busy),
    };
    match answer.await {
        Ok((status, xml)) => document(status, version.content_type(), xml),
        Err(_) => fault(version, 503, FaultCode::Receiver, "the Central System is restarting"),
    }
}

/// Why a body was not read whole.
enum Unread {
    /// Past `max` bytes: what is left of it, to [`linger`] on.
    TooLarge(Incoming),
    TooSlow(BodyTooSlow),
    Broken,
}

/// The body, up to `max` bytes, within `limits`.
async fn read_body(mut body: Incoming, max: usize, limits: BodyLimits) -> Result<Bytes, Unread> {
    let mut buf = BytesMut::new();
    let mut pace = Pace::new(limits, tokio::time::Instant::now());
    while let Some(frame) = pace.step(body.frame()).await.map_err(Unread::TooSlow)? {
        let frame = frame.map_err(|_| Unread::Broken)?;
        if let Some(data) = frame.data_ref() {
            if buf.len() + data.len() > max {
                return Err(Unread::TooLarge(body));
            }
            pace.received(data.len());
            buf.extend_from_slice(data);
        }
    }
    Ok(buf.freeze())
}

fn fault(version: SoapVersion, status: u16, code: FaultCode, reason: &str) -> Response<Body> {
    document(status, version.content_type(), envelope::fault(version, code, reason))
}

fn document(status: u16, content_type: &'static str, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(listener::full(body))
        .unwrap_or_default()
}
