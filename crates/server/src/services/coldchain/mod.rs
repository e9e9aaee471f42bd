//! Cold chain monitoring: temperature loggers publish readings over MQTT, the ingester
//! ([`ingest`]) stores them and runs excursion detection per piece of equipment
//! (`tika_domain::coldchain::Detector`), opening and clearing alarms through the store.
//!
//! The topic and payload are documented in `docs/coldchain-mqtt.md`.

pub mod ingest;
