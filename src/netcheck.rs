//! Which addresses a station may make the Central System connect to.
//!
//! A SOAP station names its own endpoint in its WS-Addressing `From`, and
//! `CS request SOAP` without a configured URL posts there. Left unchecked, a
//! station could make the Central System POST to itself, to the machine's
//! other services, or to a cloud metadata service (server-side request
//! forgery). Addresses of those kinds are refused unless the user allows them
//! (`allowAddresses`, IP addresses or CIDR ranges): loopback, private,
//! link-local (where metadata services live), shared (carrier-grade NAT),
//! unspecified, multicast and broadcast addresses, in IPv4 and IPv6 (IPv4
//! inside IPv6 included). The check applies to the address actually
//! connected to, after DNS.
//!
//! Pure functions, no I/O.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not reached without being allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Loopback,
    Private,
    /// 169.254.0.0/16 and fe80::/10, with the metadata services of cloud hosts.
    LinkLocal,
    /// 100.64.0.0/10 (carrier-grade NAT; Alibaba's metadata service is in it).
    Shared,
    Unspecified,
    Multicast,
    Broadcast,
    /// Special-purpose IPv4 (RFC 6890): 192.0.0.0/24, 198.18.0.0/15, 240.0.0.0/4.
    Reserved,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Self::Loopback => "a loopback address",
            Self::Private => "a private address",
            Self::LinkLocal => "a link-local address (where cloud metadata services answer)",
            Self::Shared => "a shared (carrier-grade NAT) address",
            Self::Unspecified => "the unspecified address",
            Self::Multicast => "a multicast address",
            Self::Broadcast => "the broadcast address",
            Self::Reserved => "a special-purpose (reserved) address",
        }
    }
}

/// The kind of address a station may not point the Central System to, if it is one.
pub fn restricted(ip: IpAddr) -> Option<Kind> {
    match ip {
        IpAddr::V4(v4) => restricted_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => restricted_v4(v4),
            None => restricted_v6(v6),
        },
    }
}

/// The IPv4 address an IPv6 one carries where a network may route it there:
/// IPv4-mapped and IPv4-compatible (`::ffff:a.b.c.d`, `::a.b.c.d`), NAT64
/// (64:ff9b::/96, RFC 6052, and 64:ff9b:1::/48, RFC 8215: the last 32 bits)
/// and 6to4 (2002::/16, RFC 3056: bits 16 to 48).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    // IPv4-compatible: ::a.b.c.d, but not :: and ::1, which are IPv6's own.
    let compatible = |s: &[u16; 8]| s[..6] == [0; 6] && !ip.is_loopback() && !ip.is_unspecified();
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        Some(v4)
    } else if compatible(&s) || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) {
        Some(low)
    } else if s[0] == 0x2002 {
        Some(Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8))
    } else {
        None
    }
}

fn restricted_v4(ip: Ipv4Addr) -> Option<Kind> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some(Kind::Loopback)
    } else if ip.is_private() {
        Some(Kind::Private)
    } else if ip.is_link_local() {
        Some(Kind::LinkLocal)
    } else if a == 100 && (64..128).contains(&b) {
        Some(Kind::Shared)
    } else if ip.is_unspecified() || a == 0 {
        Some(Kind::Unspecified)
    } else if ip.is_multicast() {
        Some(Kind::Multicast)
    } else if ip.is_broadcast() {
        Some(Kind::Broadcast)
    } else if (a == 192 && b == 0 && ip.octets()[2] == 0) || (a == 198 && (b == 18 || b == 19)) || a >= 240 {
        Some(Kind::Reserved)
    } else {
        None
    }
}

fn restricted_v6(ip: Ipv6Addr) -> Option<Kind> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some(Kind::Loopback)
    } else if ip.is_unspecified() {
        Some(Kind::Unspecified)
    } else if first & 0xfe00 == 0xfc00 {
        // Unique local addresses (fd00:ec2::254 is a metadata service).
        Some(Kind::Private)
    } else if first & 0xffc0 == 0xfe80 {
        Some(Kind::LinkLocal)
    } else if ip.is_multicast() {
        Some(Kind::Multicast)
    } else {
        None
    }
}

/// One allowed address or range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    fn contains(&self, ip: IpAddr) -> bool {
        let ip = match (self.addr, ip) {
            (IpAddr::V4(_), IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            _ => ip,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_eq(u32::from(net).into(), u32::from(ip).into(), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => prefix_eq(u128::from(net), u128::from(ip), self.prefix, 128),
            _ => false,
        }
    }
}

fn prefix_eq(a: u128, b: u128, prefix: u8, bits: u32) -> bool {
    let shift = bits - u32::from(prefix);
    shift >= bits || (a >> shift) == (b >> shift)
}

/// The addresses the user allows despite their kind (`allowAddresses`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Allow(Vec<Net>);

/// An `allowAddresses` entry that is not an address or range, or an address refused.
#[derive(Debug, PartialEq, Eq)]
pub enum NetError {
    BadEntry(String),
    Refused { ip: IpAddr, kind: Kind },
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadEntry(entry) => write!(
                f,
                "allowed station addresses: {entry:?} is not an IP address or a CIDR range (such as 127.0.0.1 or 10.0.0.0/8)"
            ),
            Self::Refused { ip, kind } => write!(
                f,
                "refused to connect to {ip}, {}, given by the station itself: add it to the node's allowed station \
                 addresses if the station really is there, or configure the station's URL",
                kind.label()
            ),
        }
    }
}

impl std::error::Error for NetError {}

impl Allow {
    /// Reads entries such as `127.0.0.1`, `::1`, `10.0.0.0/8`, `fd00::/8`.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, NetError> {
        entries.iter().map(|e| e.as_ref().trim()).filter(|e| !e.is_empty()).map(net).collect::<Result<_, _>>().map(Self)
    }

    /// Whether the station's address may be connected to.
    pub fn check(&self, ip: IpAddr) -> Result<(), NetError> {
        match restricted(ip) {
            Some(kind) if !self.0.iter().any(|n| n.contains(ip)) => Err(NetError::Refused { ip, kind }),
            _ => Ok(()),
        }
    }
}

fn net(entry: &str) -> Result<Net, NetError> {
    let bad = || NetError::BadEntry(entry.to_owned());
    let (addr, prefix) = match entry.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix.parse::<u8>().map_err(|_| bad())?)),
        None => (entry, None),
    };
    let addr: IpAddr = addr.trim_matches(|c| c == '[' || c == ']').parse().map_err(|_| bad())?;
    let bits = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = prefix.unwrap_or(bits);
    if prefix > bits {
        return Err(bad());
    }
    Ok(Net { addr, prefix })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn internal_addresses_are_refused_and_public_ones_pass() {
        let none = Allow::default();
        for (addr, kind) in [
            ("127.0.0.1", Kind::Loopback),
            ("127.8.9.10", Kind::Loopback),
            ("::1", Kind::Loopback),
            ("::ffff:127.0.0.1", Kind::Loopback),
            ("10.1.2.3", Kind::Private),
            ("172.31.0.1", Kind::Private),
            ("192.168.1.1", Kind::Private),
            ("fd00:ec2::254", Kind::Private),
            ("169.254.169.254", Kind::LinkLocal),
            ("fe80::1", Kind::LinkLocal),
            ("100.100.100.200", Kind::Shared),
            ("0.0.0.0", Kind::Unspecified),
            ("::", Kind::Unspecified),
            ("224.0.0.1", Kind::Multicast),
            ("255.255.255.255", Kind::Broadcast),
            // IPv4 inside IPv6 in every form a network may route: NAT64 (RFC 6052's well-known
            // prefix and RFC 8215's local one), 6to4, and IPv4-compatible.
            ("64:ff9b::a9fe:a9fe", Kind::LinkLocal),
            ("64:ff9b::a00:1", Kind::Private),
            ("64:ff9b:1::7f00:1", Kind::Loopback),
            ("2002:a9fe:a9fe::1", Kind::LinkLocal),
            ("::127.0.0.1", Kind::Loopback),
            // Special-purpose IPv4 (RFC 6890): IETF protocol assignments, benchmarking, reserved.
            ("192.0.0.1", Kind::Reserved),
            ("198.18.0.1", Kind::Reserved),
            ("198.19.255.1", Kind::Reserved),
            ("240.0.0.1", Kind::Reserved),
        ] {
            assert_eq!(none.check(ip(addr)), Err(NetError::Refused { ip: ip(addr), kind }), "{addr}");
        }
        for addr in [
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2001:db8::1",
            "2a00:1450::1",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert_eq!(none.check(ip(addr)), Ok(()), "{addr}");
        }
    }

    #[test]
    fn the_allow_list_takes_addresses_and_ranges() {
        let allow = Allow::parse(&["127.0.0.1", " 10.0.0.0/8 ", "fd00::/8", ""]).unwrap();
        assert_eq!(allow.check(ip("127.0.0.1")), Ok(()));
        assert_eq!(allow.check(ip("::ffff:127.0.0.1")), Ok(()), "IPv4 inside IPv6");
        assert!(allow.check(ip("127.0.0.2")).is_err());
        assert_eq!(allow.check(ip("10.200.3.4")), Ok(()));
        assert_eq!(allow.check(ip("fd12::1")), Ok(()));
        assert!(allow.check(ip("169.254.169.254")).is_err());
        assert!(allow.check(ip("::1")).is_err());
        assert_eq!(Allow::parse(&["0.0.0.0/0"]).unwrap().check(ip("169.254.169.254")), Ok(()), "all of IPv4");
        for bad in ["localhost", "10.0.0.0/33", "::1/129", "1.2.3.4/x"] {
            assert_eq!(Allow::parse(&[bad]), Err(NetError::BadEntry(bad.into())), "{bad}");
        }
        let refused = Allow::default().check(ip("127.0.0.1")).unwrap_err().to_string();
        assert!(
            refused.contains("127.0.0.1, a loopback address") && refused.contains("allowed station addresses"),
            "{refused}"
        );
    }
}
