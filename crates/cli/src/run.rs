//! The subcommands' bodies: wiring of configuration, storage, keys and the server.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use tika_server::app::{Application, Parts};
use tika_server::clock::{Clock, SystemClock, local_today};
use tika_server::keys::Keys;
use tika_storage::DynStore;

use crate::config::{Config, Overrides, redact_url};
use crate::demo;

/// Where the data and the database are.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct StoreArgs {
    /// Data directory (env `TIKA_DATA_DIR`).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Database URL, `sqlite://…` or `postgres://…` (env `TIKA_DATABASE_URL`).
    #[arg(long)]
    database_url: Option<String>,
}

/// `tika serve`.
#[derive(Debug, Args, Clone)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Port (env `TIKA_PORT`); 0 picks a free one.
    #[arg(long)]
    port: Option<u16>,
    /// Address to bind (env `TIKA_BIND`).
    #[arg(long)]
    bind: Option<String>,
    /// Fill the database with demo data: facilities in every district, 7 days of sessions.
    #[arg(long)]
    demo: bool,
    /// Number of demo facilities (national scale by default).
    #[arg(long, default_value_t = 55_000)]
    demo_facilities: usize,
    /// People booked into the demo vaccination site's session today.
    #[arg(long, default_value_t = 40)]
    demo_site_bookings: usize,
    /// Serve certificate download and verification only, writing nothing (on a read-only
    /// replica or a copy of the SQLite file, when the rest of Tika is down).
    #[arg(long, conflicts_with = "demo")]
    read_only: bool,
}

fn load_config(
    file: Option<&Path>,
    store: &StoreArgs,
    port: Option<u16>,
    bind: Option<String>,
) -> anyhow::Result<Config> {
    let overrides = Overrides {
        port,
        data_dir: store.data_dir.clone(),
        database_url: store.database_url.clone(),
        bind,
    };
    Config::load(file, &overrides).map_err(|problems| {
        anyhow::anyhow!("invalid configuration:\n  - {}", problems.join("\n  - "))
    })
}

/// The configuration for a subcommand that only needs the data directory or database.
pub(crate) fn load_config_for(file: Option<&Path>, store: &StoreArgs) -> anyhow::Result<Config> {
    let config = load_config(file, store, None, None)?;
    init_logging(&config);
    Ok(config)
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TIKA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let _ =
        if config.log_format == "json" { builder.json().try_init() } else { builder.try_init() };
}

/// The master secret: configured, or read from (or created in) the data directory.
fn master_secret(config: &Config) -> anyhow::Result<Vec<u8>> {
    if let Some(k) = &config.secret_key {
        return Ok(k.as_bytes().to_vec());
    }
    let path = config.data_dir.join("secret.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        return hex::decode(text.trim()).context("secret.key is not hex");
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    std::fs::write(&path, hex::encode(bytes))
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    tracing::info!(path = %path.display(), "created a new secret key");
    Ok(bytes.to_vec())
}

/// Opens the configured store and the country pack (for the administration commands).
pub(crate) async fn open_configured_store(
    file: Option<&Path>,
    store: &StoreArgs,
) -> anyhow::Result<(DynStore, Arc<tika_domain::country::CountryPack>)> {
    let config = load_config(file, store, None, None)?;
    init_logging(&config);
    Ok((open_store(&config).await?, Arc::new(tika_packs::india()?)))
}

async fn open_store(config: &Config) -> anyhow::Result<DynStore> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data directory {}", config.data_dir.display()))?;
    let url = config.database_url();
    let store = tika_storage::connect(&url, config.read_connections)
        .await
        .with_context(|| format!("cannot open database {}", redact_url(&url)))?;
    Ok(store)
}

/// Opens the database read-only: no migrations, no writes (a replica or a copy of the file).
async fn open_store_read_only(config: &Config) -> anyhow::Result<DynStore> {
    let url = config.database_url();
    let store = tika_storage::connect_read_only(&url, config.read_connections)
        .await
        .with_context(|| format!("cannot open database {} read-only", redact_url(&url)))?;
    Ok(store)
}

pub(crate) async fn serve(file: Option<&Path>, args: ServeArgs) -> anyhow::Result<()> {
    let config = load_config(file, &args.store, args.port, args.bind.clone())?;
    init_logging(&config);
    if config.test_otp.is_some() {
        tracing::warn!(
            "TEST MODE: TIKA_TEST_OTP is set, every OTP is the fixed test value. Never use this in production."
        );
        eprintln!(
            "\n*** TEST MODE: every OTP is the fixed value from TIKA_TEST_OTP. Never run this in production. ***\n"
        );
    }
    if config.public_rate_limit == 0 {
        tracing::warn!("the public search rate limit is off (TIKA_PUBLIC_RATE_LIMIT=0)");
    }
    let store = if args.read_only {
        open_store_read_only(&config).await?
    } else {
        open_store(&config).await?
    };
    let pack = Arc::new(tika_packs::india()?);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut server_config = config.server_config();
    server_config.read_only = args.read_only;
    let keyring = if args.read_only {
        tika_credentials::keys::Keyring::load(&config.keys_dir(), &config.certificate_did)
            .with_context(|| {
                format!("cannot load the signing keys in {}", config.keys_dir().display())
            })?
    } else {
        crate::certs::load_or_create_keyring(&config)?
    };
    let authority = Arc::new(tika_server::services::certificates::Authority::new(
        &keyring,
        config.certificate_settings(),
    )?);
    let keys = Keys::derive(&master_secret(&config)?);
    let mut site = None;
    let mut officials = None;
    if args.demo {
        let today = local_today(clock.now(), pack.timezone_offset_minutes);
        let size = demo::DemoSize { facilities: args.demo_facilities, days: 7 };
        let started = std::time::Instant::now();
        let (centers, sessions) =
            demo::load(&store, &pack, size, today, clock.now().timestamp_millis()).await?;
        tracing::info!(
            demo.centers = centers,
            demo.sessions = sessions,
            duration_ms = started.elapsed().as_millis() as u64,
            "demo data loaded"
        );
        if server_config.api_keys.is_empty() {
            server_config.api_keys.push("tika-demo-partner-key".into());
        }
        site = crate::demo_site::load(
            &store,
            &pack,
            &keys,
            today,
            clock.now().timestamp_millis(),
            args.demo_site_bookings,
        )
        .await?;
        officials = Some(
            crate::demo_admin::load(
                &store,
                &pack,
                site.as_ref().map(|s| s.center),
                clock.now().timestamp_millis(),
            )
            .await?,
        );
    }
    let sms_log = config.data_dir.join("sms-outbox.log");
    let app = Application::build(Parts {
        config: server_config.clone(),
        store: Arc::clone(&store),
        pack: Arc::clone(&pack),
        keys,
        sms: Arc::new(config.gateway_pool()?),
        templates: Arc::new(config.templates()?),
        clock,
        certificates: Some(authority),
    })
    .await?;
    let addr = app.local_addr()?;
    tracing::info!(backend = store.backend().name(), read_only = args.read_only, "tika is ready");
    if args.read_only {
        println!(
            "READ-ONLY: serving certificate download and verification only (http://{addr}/verify/); everything else answers 503."
        );
    }
    println!(
        "Tika is running at http://{addr}/  (CoWIN API at http://{addr}/api/v2/, OpenAPI at http://{addr}/api/openapi.json)"
    );
    println!("Database: {} ({})", redact_url(&config.database_url()), store.backend().name());
    if config.gateway_names().contains(&"file") {
        println!(
            "SMS (OTPs, confirmations, reminders) are written to {} by the demo gateway.",
            sms_log.display()
        );
    }
    println!("SMS gateways, in failover order: {}", config.gateway_names().join(", "));
    if args.demo {
        println!("Demo partner API key (x-api-key): {}", server_config.api_keys.join(", "));
        // Point at a pincode that really has a session in the coming days.
        let index = app.state().cache.index();
        if let Some(s) = index.sessions.iter().find(|s| s.is_active()) {
            let center = index.center(s.center_idx);
            println!(
                "Try: curl 'http://{addr}/api/v2/appointment/sessions/public/findByPin?pincode={}&date={}'",
                center.center.pincode,
                tika_domain::date::format_cowin_date(s.date)
            );
        }
        if let Some(site) = site {
            println!(
                "Vaccination site app at http://{addr}/site/ — site demo: facility {} session {} ({} booked); \
                 logins {} / {} (vaccinator) and {} / {} (facility admin)",
                site.center,
                site.session,
                site.booked,
                crate::demo_site::VACCINATOR.0,
                crate::demo_site::VACCINATOR.1,
                crate::demo_site::ADMIN.0,
                crate::demo_site::ADMIN.1,
            );
            println!(
                "Certificates: people on mobile 9000000011 already had a first dose; log in at http://{addr}/login \
                 to download theirs (domestic and international), verify any certificate at http://{addr}/verify/"
            );
        }
        if let Some(o) = officials {
            println!(
                "Officials' console at http://{addr}/console/ — logins {} / {} (national), {} / {} (district official of {}), {} / {} (district official of {})",
                crate::demo_admin::NATIONAL.0,
                crate::demo_admin::NATIONAL.1,
                crate::demo_admin::DISTRICT.0,
                crate::demo_admin::DISTRICT.1,
                o.district,
                crate::demo_admin::OTHER.0,
                crate::demo_admin::OTHER.1,
                o.other,
            );
        }
    }
    app.run_until(shutdown_signal()).await?;
    tracing::info!("tika stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

pub(crate) async fn migrate(file: Option<&Path>, args: StoreArgs) -> anyhow::Result<()> {
    let config = load_config(file, &args, None, None)?;
    init_logging(&config);
    let store = open_store(&config).await?;
    println!(
        "database {} is migrated ({})",
        redact_url(&config.database_url()),
        store.backend().name()
    );
    Ok(())
}

pub(crate) fn check_config(file: Option<&Path>, args: StoreArgs) -> anyhow::Result<()> {
    let config = load_config(file, &args, None, None)?;
    println!("configuration is valid:\n{config:#?}");
    Ok(())
}
