//! Officials' console accounts from the command line: the first national official of a new
//! installation (`tika admin create`), and a list of who has access (`tika admin list`).
//!
//! Passwords are never flags (they would end up in shell history and `ps`): they are read from
//! `TIKA_ADMIN_PASSWORD` or, when it is not set, from standard input.

use std::io::BufRead;
use std::path::Path;

use clap::{Args, Subcommand};
use tika_domain::admin::Area;
use tika_domain::country::CountryPack;
use tika_domain::ids::{AdminId, CenterId, DistrictId, StateId};
use tika_domain::mobile::Mobile;
use tika_domain::staff::{Username, check_password};
use tika_storage::{Admin, Change, DynStore, NewAdmin};

use crate::run::{StoreArgs, open_configured_store};

/// The environment variable a new official's password may be given in.
const PASSWORD_VAR: &str = "TIKA_ADMIN_PASSWORD";

/// `tika admin …`.
#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// Create an official; the password is read from `TIKA_ADMIN_PASSWORD` or standard input.
    Create(AdminCreate),
    /// List every official with their level and area.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `tika admin create`.
#[derive(Debug, Args)]
pub(crate) struct AdminCreate {
    #[command(flatten)]
    store: StoreArgs,
    /// Login name (3–40 of a-z 0-9 . _ -).
    #[arg(long)]
    username: String,
    /// Display name.
    #[arg(long)]
    name: String,
    /// national, state, district, block or facility.
    #[arg(long)]
    level: String,
    /// State id (state level and below).
    #[arg(long)]
    state: Option<i64>,
    /// District id (district and block level).
    #[arg(long)]
    district: Option<i64>,
    /// Block name (block level).
    #[arg(long)]
    block: Option<String>,
    /// Facility id (facility level).
    #[arg(long)]
    center: Option<i64>,
    /// Mobile number.
    #[arg(long)]
    mobile: Option<String>,
}

/// Creates an official, audited with the actor `cli` (the password is checked first).
pub(crate) async fn create(
    store: &DynStore,
    username: &str,
    name: &str,
    mobile: Option<&str>,
    area: Area,
    password: &str,
    now_ms: i64,
) -> anyhow::Result<Admin> {
    let username = Username::parse(username)?;
    check_password(&username, password)?;
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if !(2..=80).contains(&name.chars().count()) {
        anyhow::bail!("--name must be 2 to 80 characters");
    }
    let mobile = mobile.map(Mobile::parse).transpose()?;
    let id = AdminId::new();
    let audit = Change {
        id: uuid::Uuid::now_v7(),
        at_ms: now_ms,
        actor: "cli".into(),
        action: "admin.create".into(),
        subject: format!("admin:{id}"),
        place: tika_server::services::admin::area_place(&area),
        before: None,
        // Storage writes the account as created (never the password hash).
        after: None,
    };
    let new = NewAdmin {
        id,
        username,
        name,
        mobile,
        area,
        password_hash: tika_server::services::staff::hash_password(password)?,
        created_by: None,
        created_at_ms: now_ms,
    };
    Ok(store.create_admin(&new, &audit).await?)
}

/// The area of `--level` and its place flags, checked against the pack (and the facility).
async fn area_of(store: &DynStore, pack: &CountryPack, a: &AdminCreate) -> anyhow::Result<Area> {
    let facility = match a.center {
        Some(id) => Some(
            store
                .find_facility(CenterId(id))
                .await
                .map_err(|_| anyhow::anyhow!("facility {id} does not exist"))?
                .place(),
        ),
        None => None,
    };
    Ok(Area::parse(
        &a.level,
        a.state.map(StateId),
        a.district.map(DistrictId),
        a.block.as_deref(),
        facility.as_ref(),
        pack,
    )?)
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var(PASSWORD_VAR) {
        return Ok(p);
    }
    eprintln!("Password (read from standard input; or set {PASSWORD_VAR}):");
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password)?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}

/// One line describing an area.
pub(crate) fn describe(area: &Area, pack: &CountryPack) -> String {
    let state = |s: StateId| pack.state(s).map_or_else(|| s.0.to_string(), |x| x.name.clone());
    let district =
        |d: DistrictId| pack.district(d).map_or_else(|| d.0.to_string(), |x| x.name.clone());
    match area {
        Area::National => "national".into(),
        Area::State { state: s } => format!("state {}", state(*s)),
        Area::District { district: d, .. } => format!("district {}", district(*d)),
        Area::Block { district: d, block, .. } => format!("block {block}, {}", district(*d)),
        Area::Facility { center, .. } => format!("facility {}", center.0),
    }
}

pub(crate) async fn admin(file: Option<&Path>, cmd: AdminCommand) -> anyhow::Result<()> {
    match cmd {
        AdminCommand::Create(a) => {
            let (store, pack) = open_configured_store(file, &a.store).await?;
            let area = area_of(&store, &pack, &a).await?;
            let password = read_password()?;
            let now_ms = chrono::Utc::now().timestamp_millis();
            let admin =
                create(&store, &a.username, &a.name, a.mobile.as_deref(), area, &password, now_ms)
                    .await?;
            println!("created {} ({})", admin.username, describe(&admin.area, &pack));
        }
        AdminCommand::List { store } => {
            let (store, pack) = open_configured_store(file, &store).await?;
            for a in store.list_admins(&Area::National).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    a.id,
                    a.username,
                    describe(&a.area, &pack),
                    if a.active { "active" } else { "inactive" }
                );
            }
        }
    }
    Ok(())
}
