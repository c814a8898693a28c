//! `qingshan demo`: the server on a new demo database filled with sample data, simulated
//! devices sending through the real HJ 212 gateway, every page marked 演示数据.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use qingshan_app::demo::{self, DbState};
use qingshan_simulator::{self as simulator, Inject, SimulatorConfig};

/// Arguments of `qingshan demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Address of the web server (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Address of the HJ 212 gateway the simulated devices send to (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub hj212_addr: String,
    /// The demo database, sqlite://FILE; default: a new file in the system's temporary
    /// directory. A database that holds anything but demo data is refused.
    #[arg(long)]
    pub db: Option<String>,
    /// Simulated monitoring devices (one enterprise each; the last one exceeds its limit).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=200))]
    pub devices: u64,
}

/// The demo database's URL: the one given, or a new file in the temporary directory.
fn demo_db(arg: Option<String>) -> anyhow::Result<String> {
    match arg {
        Some(url) if url.starts_with("sqlite:") => Ok(url),
        Some(_) => bail!("演示数据库须为 sqlite://文件（不会使用 PostgreSQL 等正式数据库）"),
        None => {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let name = format!("qingshan-demo-{secs}-{}.db", std::process::id());
            Ok(format!(
                "sqlite://{}",
                std::env::temp_dir().join(name).display()
            ))
        }
    }
}

/// The simulated devices: a fill of the last day's hourly data, then real-time uploads until
/// the demo stops; the last device exceeds its SO2 limit.
async fn simulate(gateway: SocketAddr, devices: usize, password: String) {
    let base = |first: usize, n: usize, inject: Option<Inject>| {
        let mut cfg = SimulatorConfig::new(gateway, n);
        cfg.first_index = first;
        cfg.password = password.clone();
        cfg.injects = inject.into_iter().collect();
        cfg
    };
    let normal = devices.saturating_sub(1);
    // One upload per hour of the last day, sent quickly, so charts have a history at once.
    let mut fill = base(0, devices, None);
    fill.cn = "2061".into();
    fill.interval = Duration::from_millis(50);
    fill.duration = Duration::from_millis(50 * 24);
    fill.grace = Duration::from_secs(5);
    let report = simulator::run(fill).await;
    tracing::info!(
        sent = report.sent,
        acked = report.acked,
        "演示设备已补发近 24 小时数据"
    );
    let mut live = Vec::new();
    if normal > 0 {
        let mut cfg = base(0, normal, None);
        cfg.interval = Duration::from_secs(10);
        cfg.duration = Duration::from_secs(7 * 86_400);
        live.push(tokio::spawn(simulator::run(cfg)));
    }
    let mut cfg = base(normal, 1, Some(Inject::Exceed));
    cfg.interval = Duration::from_secs(10);
    cfg.duration = Duration::from_secs(7 * 86_400);
    live.push(tokio::spawn(simulator::run(cfg)));
    for l in live {
        let _ = l.await;
    }
}

/// Runs the demo until Ctrl-C (or SIGTERM).
pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let db = demo_db(args.db)?;
    let devices = usize::try_from(args.devices).unwrap_or(8);
    let plan = qingshan_plan::xinzhou()?;
    let src = qingshan_plan::XINZHOU_TOML.to_string();
    crate::runtime()?.block_on(async move {
        // An existing file is looked at before anything (migrations, the plan) is written to it.
        if let Ok(existing) = qingshan_store::Store::connect_existing(&db).await {
            let state = demo::state(&existing).await;
            drop(existing);
            if !matches!(state, Ok(DbState::Demo)) {
                bail!(
                    "{db} 不是演示数据库：qingshan demo 只使用新建的或它自己建立的演示数据库，不改动其他数据库"
                );
            }
        }
        let (store, plan) = qingshan_server::prepare(&db, plan, &src).await?;
        let password = demo::device_password();
        let mns: Vec<String> = (0..devices).map(simulator::device_mn).collect();
        match demo::state(&store).await? {
            DbState::NotDemo => bail!(
                "{db} 不是演示数据库：qingshan demo 只使用新建的或它自己建立的演示数据库，不改动其他数据库"
            ),
            DbState::Demo => {
                println!("沿用已有的演示数据库 {db}（账号密码见首次启动时的输出）");
                // The devices must send with the password the registry holds.
                bail_on_unknown_devices(&store, &mns).await?;
            }
            DbState::Fresh => {
                let filled = demo::fill(&store, &plan, qingshan_app::beijing::today(), &mns, &password)
                    .await
                    .context("演示数据无法写入")?;
                println!("演示数据库：{db}");
                println!(
                    "已写入演示数据：空气站点 {} 个（小时数据 {} 条），水质断面 {} 个（监测结果 {} 条），排污单位 {} 家，规划指标数值 {} 条",
                    filled.stations,
                    filled.hours,
                    filled.sections,
                    filled.samples,
                    filled.enterprises,
                    filled.values
                );
                println!("演示账号（密码只显示这一次）：");
                for a in &filled.accounts {
                    println!("  {:<14} {}  {}", a.username, a.password, a.role);
                }
            }
        }
        println!("数据来源：{}", demo::ATTRIBUTION);
        let registered = store
            .registered_devices()
            .await?
            .into_iter()
            .filter(|d| mns.contains(&d.mn))
            .map(|d| d.password)
            .next()
            .unwrap_or(password);
        let config = qingshan_server::ServerConfig {
            demo: true,
            ..Default::default()
        };
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            crate::shutdown_signal().await;
            let _ = stop_tx.send(true);
        });
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let (gw_tx, gw_rx) = tokio::sync::oneshot::channel();
        let gateway = async {
            let cfg = qingshan_server::gateway::GatewayConfig {
                max_connections: qingshan_server::gateway::size_connections(
                    None,
                    store.pool_size(),
                ),
                ..Default::default()
            };
            qingshan_server::gateway::bind_and_run(
                store.clone(),
                &args.hj212_addr,
                cfg,
                |a| {
                    println!("hj212 gateway on {a}");
                    let _ = gw_tx.send(a);
                },
                stopped(stop_rx.clone()),
            )
            .await
            .map_err(anyhow::Error::from)
        };
        let web = async {
            qingshan_server::serve(
                store.clone(),
                plan,
                config,
                &args.addr,
                |a| println!("listening on http://{a}/ （演示）"),
                stopped(stop_rx.clone()),
            )
            .await
            .map_err(anyhow::Error::from)
        };
        let supervisor = qingshan_server::supervisor::run(
            store.clone(),
            qingshan_server::supervisor::SupervisorConfig::default(),
            stopped(stop_rx.clone()),
        );
        let supervisor = async {
            supervisor.await;
            Ok::<(), anyhow::Error>(())
        };
        let devices_task = tokio::spawn(async move {
            if let Ok(addr) = gw_rx.await {
                simulate(addr, devices, registered).await;
            }
        });
        let result = tokio::try_join!(web, gateway, supervisor);
        devices_task.abort();
        result?;
        println!("演示已停止");
        Ok(())
    })
}

/// Refuses a demo database whose registry lacks the simulated devices.
async fn bail_on_unknown_devices(
    store: &qingshan_store::Store,
    mns: &[String],
) -> anyhow::Result<()> {
    let known = store.registered_devices().await?;
    if let Some(mn) = mns.iter().find(|m| !known.iter().any(|d| &d.mn == *m)) {
        bail!(
            "演示数据库中没有模拟设备 {mn}：请用 --devices 指定首次启动时的数量，或不带 --db 新建演示数据库"
        );
    }
    Ok(())
}
