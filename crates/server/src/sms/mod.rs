//! SMS gateways: how a rendered message leaves Tika.
//!
//! [`SmsGateway`] is one way out (Kannel, a JSON HTTP provider, a file, memory);
//! [`GatewayPool`] puts several in priority order with failover and a rate limiter each.
//! The durable outbox and its dispatcher sit above this layer: a gateway only says whether
//! it took the message ([`Accepted`]) or why not ([`GatewayError::Transient`] to retry later,
//! [`GatewayError::Permanent`] when it never will).
//!
//! Privacy rule for the whole module: message text (it may hold an OTP) and full mobile
//! numbers never reach a log; only [`Mobile::last4`](tika_domain::mobile::Mobile::last4).

mod file;
mod gateway;
mod http;
mod kannel;
mod memory;
mod pool;

pub use file::FileGateway;
pub use gateway::{Accepted, GatewayError, OutgoingSms, SmsGateway};
pub use http::{HttpGateway, HttpGatewayConfig};
pub use kannel::{KannelConfig, KannelGateway, kannel_dlr_url};
pub use memory::MemoryGateway;
pub use pool::{DEFAULT_COOLDOWN, GatewayPool};
