//! `qingshan`: the one binary. Serves the platform, and carries the command-line tools for the
//! plan, accounts and the standards.

mod air_cmd;
mod demo_cmd;
mod hj212_cmd;
mod input;
mod plan_cmd;
mod progress_cmd;
mod simulate_cmd;
mod spool;
mod water_cmd;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use qingshan_app::imports;
use qingshan_plan::Plan;
use qingshan_store::{Actor, NewUser, Role, Store};

// The gateway allocates and frees many small strings per frame on every worker thread;
// glibc's allocator spent a tenth of the machine on that under load, mimalloc a fraction.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// 青山: ecological plan monitoring and assessment platform.
#[derive(Parser)]
#[command(name = "qingshan", version, about = "青山：生态环境规划监测评估平台")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the plan comes from.
#[derive(Args, Clone)]
struct PlanArg {
    /// A plan file (TOML, see docs/plan-format.md); default: the embedded Xinzhou plan.
    #[arg(long, env = "QINGSHAN_PLAN", global = true)]
    plan: Option<PathBuf>,
}

/// Which database.
#[derive(Args, Clone)]
struct DbArg {
    /// Database URL: sqlite://FILE (default, created if missing) or postgres://USER@HOST/DB.
    #[arg(long, env = "QINGSHAN_DB", default_value = "sqlite://qingshan.db")]
    db: String,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (dashboard, pages, API).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "QINGSHAN_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        plan: PlanArg,
        /// Mark cookies Secure (when served over HTTPS).
        #[arg(long)]
        secure_cookies: bool,
        /// Address of the HJ 212 gateway (device connections); `off` disables it.
        #[arg(long, env = "QINGSHAN_HJ212_ADDR", default_value = "127.0.0.1:9212")]
        hj212_addr: String,
        /// Most device connections open at once (default: what the descriptor limit allows
        /// after a reserve for the web server and the database; a larger value is cut to it).
        #[arg(long)]
        hj212_max_connections: Option<usize>,
        /// Most device connections from one address.
        #[arg(long, default_value_t = 5_000)]
        hj212_max_per_ip: usize,
        /// Frames kept per unknown MN (and per MN with a wrong password, per address for
        /// undecodable frames); further ones are only counted.
        #[arg(long, default_value_t = 20)]
        hj212_refused_keep: i64,
        /// Frames not accepted in a row after which a device connection is closed.
        #[arg(long, default_value_t = 64)]
        hj212_max_bad_frames: u32,
        /// Bytes outside frames a device connection may send since its last good frame.
        #[arg(long, default_value_t = 4096)]
        hj212_max_garbage_bytes: usize,
        /// Days refused device traffic is kept (accepted frames: three years).
        #[arg(long, default_value_t = 30)]
        hj212_refused_retention_days: u64,
        /// Minutes a device's clock (its DataTime) may be off the server's before 时钟偏差 is raised.
        #[arg(long, env = "QINGSHAN_CLOCK_DRIFT_MINUTES", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1440))]
        clock_drift_minutes: u32,
        /// Largest evidence file (佐证材料) accepted, in MiB.
        #[arg(long, env = "QINGSHAN_EVIDENCE_MAX_MIB", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1024))]
        evidence_max_mib: u32,
        /// Days before its deadline an open inspection problem (督察整改) is listed as at risk.
        #[arg(long, env = "QINGSHAN_INSPECTION_WARN_DAYS", default_value_t = qingshan_app::inspections::DEFAULT_WARN_DAYS, value_parser = clap::value_parser!(u32).range(0..=3650))]
        inspection_warn_days: u32,
        /// Working days (on the State Council holiday calendar, workdays-cn.toml) the complaints desk has to accept or reject a report (an option: Fujian's and Shaanxi's practice).
        #[arg(long, env = "QINGSHAN_COMPLAINT_ACCEPT_DAYS", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=60))]
        complaint_accept_working_days: u32,
        /// Days after acceptance to finish a complaint (an option; the 信访工作条例 allows 60).
        #[arg(long, env = "QINGSHAN_COMPLAINT_FINISH_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=90))]
        complaint_finish_days: u32,
        /// Complaint submissions one address may make per minute (the next is refused, 429).
        #[arg(long, env = "QINGSHAN_COMPLAINT_MAX_PER_MINUTE", default_value_t = 10, value_parser = clap::value_parser!(i64).range(1..=10000))]
        complaint_max_per_minute: i64,
        /// Failed sign-ins from one address (whatever the user names) in 15 minutes before it is refused.
        #[arg(long, default_value_t = qingshan_app::login_throttle::DEFAULT_MAX_FAILURES_PER_ADDRESS)]
        login_max_failures_per_address: i64,
        /// Seconds a client has to send a request's headers (and an idle keep-alive connection lives).
        #[arg(long, default_value_t = qingshan_server::web::security::DEFAULT_HEADER_READ_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=3600))]
        http_header_timeout_secs: u64,
        /// Seconds one web request may take, upload included.
        #[arg(long, default_value_t = qingshan_server::web::security::DEFAULT_REQUEST_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=86_400))]
        http_request_timeout_secs: u64,
        /// Reverse proxy addresses whose X-Forwarded-For names the client (comma-separated).
        #[arg(
            long = "trusted-proxy",
            env = "QINGSHAN_TRUSTED_PROXIES",
            value_delimiter = ','
        )]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// How backfilled (补传) data counts in the 传输率: 补全 (complete, counted as received)
        /// or 即时 (timely, not counted); see docs/backfill.md.
        #[arg(long, env = "QINGSHAN_BACKFILL_COUNTING", default_value = "补全", value_parser = parse_counting)]
        backfill_counting: qingshan_app::backfill::BackfillCounting,
        /// History requests of one device running at once for the automatic backfill.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=16))]
        backfill_in_flight: u64,
        /// History requests per gap before it is given up as 无法补传.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(i64).range(1..=100))]
        backfill_max_tries: i64,
        /// Seconds between two supervision passes (rules, retention purge, backfill).
        #[arg(long, env = "QINGSHAN_SUPERVISOR_PERIOD_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        supervisor_period_secs: u64,
        /// Servers sharing one PostgreSQL database: seconds within which another server takes
        /// the duty lease (supervision, backfill, purges) over when its holder dies.
        #[arg(long, env = "QINGSHAN_LEASE_TAKEOVER_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
        lease_takeover_secs: u64,
    },
    /// A demonstration: the server on a new demo database filled with sample data (air
    /// stations with open data, water sections, a registry, simulated devices sending through
    /// the gateway, indicator values), every page marked 演示数据. Never uses a real database.
    Demo(demo_cmd::DemoArgs),
    /// Pollution-source registry: enterprises, outlets, devices, permits.
    Sources {
        #[command(subcommand)]
        command: SourcesCommand,
    },
    /// Indicator values: import a CSV or XLSX file (all or nothing), print or write the template.
    Values {
        #[command(subcommand)]
        command: ValuesCommand,
    },
    /// Reports: the annual assessment (规划实施情况评估报告).
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// What the gateway has stored.
    Ingest {
        #[command(subcommand)]
        command: IngestCommand,
    },
    /// Plan commands: show, list and check.
    Plan {
        #[command(subcommand)]
        command: plan_cmd::PlanCommand,
        #[command(flatten)]
        plan: PlanArg,
    },
    /// Accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Write a consistent copy of the SQLite database while the server runs (PostgreSQL: use pg_dump).
    Backup {
        /// The copy to write; must not exist.
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
    /// Apply database migrations.
    Migrate {
        #[command(flatten)]
        db: DbArg,
    },
    /// HJ 212 protocol tools: decode, encode, reply, simulate.
    Hj212 {
        #[command(subcommand)]
        command: hj212_cmd::Hj212Command,
    },
    /// Air-quality standards (HJ 633, GB 3095, HJ 663).
    Air {
        #[command(subcommand)]
        command: air_cmd::AirCommand,
    },
    /// Surface-water standards (GB 3838-2002).
    Water {
        #[command(subcommand)]
        command: water_cmd::WaterCommand,
    },
}

/// Which template to write, and where.
#[derive(Args, Clone)]
struct TemplateArgs {
    /// csv (the header row) or xlsx (a workbook with a 说明 sheet describing every column).
    #[arg(long, default_value = "csv", value_parser = ["csv", "xlsx"])]
    format: String,
    /// Output file; required for xlsx. Without it the CSV header goes to standard output.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
}

#[derive(Subcommand)]
enum SourcesCommand {
    /// Import a registry file, CSV or the first sheet of an XLSX workbook (all or nothing;
    /// errors name row and column).
    Import {
        /// The registry file, CSV or XLSX (recognised by content); `-` reads standard input.
        file: PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
    /// Print the registry CSV template (the header row), or write an XLSX template with `-o`.
    Template {
        #[command(flatten)]
        out: TemplateArgs,
    },
    /// Frames from unknown devices waiting to be registered.
    Quarantine {
        #[command(flatten)]
        db: DbArg,
    },
    /// Store the quarantined frames of a device registered since into its data (audited).
    Release {
        /// The device's MN.
        #[arg(long)]
        mn: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// Queue a remote command (反控) for a device; the gateway sends it when the device is
    /// connected (audited as the console). Prints the command's id.
    Command {
        /// The device's MN.
        #[arg(long)]
        mn: String,
        /// 1011 查询时间, 1012 校时, 1061/1062 实时数据间隔, 1063/1064 分钟数据间隔, 1072 访问密码,
        /// 2011/2012 开启/停止实时数据, 2051/2061/2031 补传, 3020 分析仪参数.
        #[arg(long)]
        cn: String,
        /// Interval, new password, time (Beijing; 1012 without it: the server's time at sending)
        /// or factor code.
        #[arg(long)]
        value: Option<String>,
        /// History window start, Beijing time (`2026-12-03T08:00`).
        #[arg(long)]
        begin: Option<String>,
        /// History window end, Beijing time.
        #[arg(long)]
        end: Option<String>,
        #[command(flatten)]
        db: DbArg,
    },
    /// A device's remote commands, newest first, with their states.
    Commands {
        /// The device's MN.
        #[arg(long)]
        mn: String,
        /// Page (20 a page).
        #[arg(long, default_value_t = 1)]
        page: i64,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
enum ValuesCommand {
    /// Import indicator values (indicator,year,division,value,note,reason) from a CSV file or
    /// the first sheet of an XLSX workbook; errors name row and column.
    Import {
        /// The file, CSV or XLSX (recognised by content); `-` reads standard input.
        file: PathBuf,
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        plan: PlanArg,
    },
    /// Print the import file's header (CSV), or write an XLSX template with `-o`.
    Template {
        #[command(flatten)]
        out: TemplateArgs,
    },
    /// Compute indicators 11–14 (and 23, 24 from the registry and the water sections) of a year from the stored air and water monitoring data and record
    /// them as values "computed from monitoring".
    Monitoring {
        /// The year.
        #[arg(long)]
        year: i32,
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        plan: PlanArg,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Write the annual assessment report of a year as HTML, PDF or XLSX.
    Assess {
        /// The assessed year.
        #[arg(long)]
        year: i32,
        /// Output format.
        #[arg(long, value_parser = ["html", "pdf", "xlsx"])]
        format: String,
        /// Output file.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        /// Issue date printed on the cover, YYYY-MM-DD (default: today in Beijing time).
        #[arg(long, value_parser = parse_issue_date)]
        date: Option<chrono::NaiveDate>,
        /// Issuing unit (编制单位) printed on the cover (default: the city's 生态环境局).
        #[arg(long)]
        unit: Option<String>,
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        plan: PlanArg,
    },
}

/// `--date`: a calendar date written YYYY-MM-DD.
fn parse_issue_date(s: &str) -> Result<chrono::NaiveDate, String> {
    qingshan_plan::iso_date(s.trim())
        .ok_or_else(|| format!("日期「{s}」格式不对（应为 YYYY-MM-DD，如 2025-03-31）"))
}

#[derive(Subcommand)]
enum IngestCommand {
    /// Stored upload frames (each counted once), by CN and by device.
    Stats {
        #[command(flatten)]
        db: DbArg,
        /// Print one JSON object: {"total": N, "by_cn": {…}, "by_device": {…}}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password is read from standard input (first line) or
    /// QINGSHAN_PASSWORD; an enterprise account (--role enterprise --credit-code …) gets a
    /// generated first password, printed once, to be changed on first sign-in.
    Add {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Display name (default: the login name).
        #[arg(long)]
        display_name: Option<String>,
        /// admin, staff, reporter, county or enterprise.
        #[arg(long)]
        role: String,
        /// 统一社会信用代码 of a registered enterprise (enterprise accounts).
        #[arg(long)]
        credit_code: Option<String>,
        /// Responsible unit id (reporters), e.g. slj for 市水利局.
        #[arg(long)]
        unit: Option<String>,
        /// GB/T 2260 division code (county users).
        #[arg(long)]
        division: Option<String>,
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        plan: PlanArg,
    },
    /// List accounts.
    List {
        #[command(flatten)]
        db: DbArg,
    },
}

/// Loads the plan: the file given, or the embedded Xinzhou plan. Returns it with its source.
fn load_plan(arg: &PlanArg) -> anyhow::Result<(Plan, String)> {
    match &arg.plan {
        Some(path) => {
            let src = std::fs::read_to_string(path)
                .with_context(|| format!("无法读取规划文件 {}", path.display()))?;
            // A map file the plan references is read beside it, within the map's size limit.
            let dir = path
                .parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_default();
            let read = |name: &str| -> Result<String, String> {
                let p = dir.join(name);
                let len = std::fs::metadata(&p)
                    .map_err(|e| format!("{}: {e}", p.display()))?
                    .len();
                if len > qingshan_plan::map::MAX_BYTES as u64 {
                    return Err(format!("{} 超过 4 MiB 上限", p.display()));
                }
                std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))
            };
            let plan = Plan::from_toml_with(&src, &path.display().to_string(), &read)?;
            Ok((plan, src))
        }
        None => Ok((
            qingshan_plan::xinzhou()?,
            qingshan_plan::XINZHOU_TOML.to_string(),
        )),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("收到停止信号，正在关闭");
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("QINGSHAN_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run(Cli::parse()) {
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        let broken_pipe = e.chain().any(|c| {
            c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        });
        if broken_pipe {
            return;
        }
        eprintln!("错误: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            addr,
            db,
            plan,
            secure_cookies,
            hj212_addr,
            hj212_max_connections,
            hj212_max_per_ip,
            hj212_refused_keep,
            hj212_max_bad_frames,
            hj212_max_garbage_bytes,
            hj212_refused_retention_days,
            clock_drift_minutes,
            evidence_max_mib,
            inspection_warn_days,
            complaint_accept_working_days,
            complaint_finish_days,
            complaint_max_per_minute,
            login_max_failures_per_address,
            http_header_timeout_secs,
            http_request_timeout_secs,
            trusted_proxies,
            backfill_counting,
            backfill_in_flight,
            backfill_max_tries,
            supervisor_period_secs,
            lease_takeover_secs,
        } => {
            // The plan is checked before the database is touched: a bad file changes nothing.
            let (plan, src) = load_plan(&plan)?;
            runtime()?.block_on(async move {
                let (store, plan) = qingshan_server::prepare(&db.db, plan, &src).await?;
                if store.users().await?.is_empty() {
                    tracing::warn!("尚无账号：用 `qingshan user add --role admin …` 创建管理员");
                }
                let watch = qingshan_app::params::WatchConfig {
                    clock_tolerance_secs: i64::from(clock_drift_minutes) * 60,
                    ..Default::default()
                };
                let config = qingshan_server::ServerConfig {
                    watch: watch.clone(),
                    secure_cookies,
                    evidence_max_bytes: evidence_max_mib as usize * 1024 * 1024,
                    inspection_warn_days,
                    complaints: qingshan_app::complaints::Settings {
                        accept_working_days: complaint_accept_working_days,
                        finish_days: complaint_finish_days,
                        max_per_window: complaint_max_per_minute,
                        window_secs: 60,
                    },
                    login_max_failures_per_address,
                    http_header_read_timeout: std::time::Duration::from_secs(
                        http_header_timeout_secs,
                    ),
                    http_request_timeout: std::time::Duration::from_secs(http_request_timeout_secs),
                    trusted_proxies,
                    transmission_counting: backfill_counting,
                    ..Default::default()
                };
                let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
                tokio::spawn(async move {
                    shutdown_signal().await;
                    let _ = stop_tx.send(true);
                });
                let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
                    let _ = rx.wait_for(|s| *s).await;
                };
                // Whether this server holds the duty lease: the supervisor says, the gateway's
                // purge of refused traffic listens.
                let (holding_tx, holding_rx) = tokio::sync::watch::channel(false);
                let gateway = async {
                    if hj212_addr == "off" {
                        return Ok(());
                    }
                    let cfg = qingshan_server::gateway::GatewayConfig {
                        max_connections: qingshan_server::gateway::size_connections(
                            hj212_max_connections,
                            store.pool_size(),
                        ),
                        max_per_ip: hj212_max_per_ip,
                        refused_keep_per_key: hj212_refused_keep,
                        max_bad_frames: hj212_max_bad_frames,
                        max_garbage_bytes: hj212_max_garbage_bytes,
                        refused_retention: Some(std::time::Duration::from_secs(
                            hj212_refused_retention_days.saturating_mul(86_400),
                        )),
                        watch: watch.clone(),
                        duties: Some(holding_rx.clone()),
                        ..Default::default()
                    };
                    qingshan_server::gateway::bind_and_run(
                        store.clone(),
                        &hj212_addr,
                        cfg,
                        |a| {
                            tracing::info!("HJ 212 网关已启动：{a}");
                            println!("hj212 gateway on {a}");
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
                        &addr,
                        |a| {
                            tracing::info!("青山已启动：http://{a}/");
                            println!("listening on http://{a}/");
                        },
                        stopped(stop_rx.clone()),
                    )
                    .await
                    .map_err(anyhow::Error::from)
                };
                let supervisor = qingshan_server::supervisor::run_leased(
                    store.clone(),
                    qingshan_server::supervisor::SupervisorConfig {
                        backfill: qingshan_app::backfill::BackfillConfig {
                            max_in_flight: usize::try_from(backfill_in_flight).unwrap_or(1),
                            max_tries: backfill_max_tries,
                            ..Default::default()
                        },
                        period: std::time::Duration::from_secs(supervisor_period_secs),
                        ..Default::default()
                    },
                    qingshan_server::supervisor::LeaseConfig {
                        takeover: std::time::Duration::from_secs(lease_takeover_secs),
                        ..Default::default()
                    },
                    holding_tx,
                    stopped(stop_rx.clone()),
                );
                let supervisor = async {
                    supervisor.await;
                    Ok::<(), anyhow::Error>(())
                };
                tokio::try_join!(web, gateway, supervisor)?;
                Ok(())
            })
        }
        Command::Plan {
            command: plan_cmd::PlanCommand::Progress(args),
            ..
        } => progress_cmd::run(args),
        Command::Plan { command, plan } => {
            let (plan, _) = plan_cmd::load_for(&command, &plan)?;
            plan_cmd::run(command, &plan)
        }
        Command::User { command } => user(command),
        Command::Demo(args) => demo_cmd::run(args),
        Command::Sources { command } => sources(command),
        Command::Values {
            command: ValuesCommand::Monitoring { year, db, plan },
        } => {
            let (plan, src) = load_plan(&plan)?;
            runtime()?.block_on(async move {
                let (store, plan) = qingshan_app::prepare(&db.db, plan, &src).await?;
                let recorded = qingshan_app::monitoring::record_monitoring_indicators(
                    &store,
                    &plan,
                    year,
                    &Actor::cli(),
                )
                .await?;
                for v in &recorded {
                    // A figure from too few valid days is never printed as a plain value.
                    let shown = match v.capture().filter(|c| !c.valid) {
                        Some(c) => format!(
                            "{}（计算值 {}，无效，不作为评估依据）",
                            qingshan_app::monitoring::capture_label(&c),
                            v.value
                        ),
                        None => v.value.clone(),
                    };
                    println!(
                        "指标 {} {} 年：{}（第 {} 版，{}）",
                        v.indicator_number,
                        v.year,
                        shown,
                        v.revision,
                        v.note.as_deref().unwrap_or("")
                    );
                }
                if recorded.is_empty() {
                    println!("无变化");
                }
                Ok(())
            })
        }
        Command::Values {
            command: ValuesCommand::Template { out },
        } => input::write_template(
            &out.format,
            out.output.as_deref(),
            &imports::VALUES_TEMPLATE,
            &imports::values_notes(),
        ),
        Command::Values {
            command: ValuesCommand::Import { file, db, plan },
        } => {
            let (plan, src) = load_plan(&plan)?;
            let import = input::read_import(&file)?;
            let rows =
                imports::read_values(import, &plan).map_err(|e| input::not_imported(&file, e))?;
            runtime()?.block_on(async move {
                let (store, plan) = qingshan_app::prepare(&db.db, plan, &src).await?;
                let c = qingshan_app::values::record_imported(&store, &plan, &rows, &Actor::cli())
                    .await?;
                println!(
                    "已导入 {} 条指标数值（新增 {}，变更 {}；未变 {} 条未写入）",
                    c.new + c.changed,
                    c.new,
                    c.changed,
                    c.unchanged
                );
                Ok(())
            })
        }
        Command::Report {
            command:
                ReportCommand::Assess {
                    year,
                    format,
                    output,
                    date,
                    unit,
                    db,
                    plan,
                },
        } => {
            let (plan, src) = load_plan(&plan)?;
            runtime()?.block_on(async move {
                let (store, plan) = qingshan_app::prepare(&db.db, plan, &src).await?;
                let issue = qingshan_report::Issue {
                    unit: unit
                        .filter(|u| !u.trim().is_empty())
                        .unwrap_or_else(|| qingshan_report::default_unit(&plan)),
                    date: date.unwrap_or_else(qingshan_app::beijing::today),
                };
                let data = qingshan_app::report::report_data(&store, &plan, year, &issue).await?;
                let bytes = match format.as_str() {
                    "html" => qingshan_report::render_html(&data).into_bytes(),
                    "xlsx" => qingshan_report::render_xlsx(&data)?,
                    _ => {
                        let (path, font) = qingshan_report::find_cjk_font()
                            .context("未找到中文字体：安装 fonts-wqy-microhei，或用 QINGSHAN_FONT 指定字体文件")?;
                        tracing::info!(font = %path.display(), "PDF font");
                        qingshan_report::render_pdf(&data, &font)?
                    }
                };
                std::fs::write(&output, bytes).with_context(|| format!("无法写入 {}", output.display()))?;
                println!("已写出 {}（{} 年度，{}）", output.display(), year, format);
                Ok(())
            })
        }
        Command::Ingest {
            command: IngestCommand::Stats { db, json },
        } => runtime()?.block_on(async move {
            let store = Store::connect(&db.db).await?;
            store.migrate().await?;
            let stats = store.ingest_stats().await?;
            if json {
                println!("{}", serde_json::to_string(&stats)?);
            } else {
                println!("已存储上传帧 {} 条", stats.total);
                for (cn, n) in &stats.by_cn {
                    println!("  CN={cn}\t{n}");
                }
                println!("设备 {} 台", stats.by_device.len());
            }
            Ok(())
        }),
        Command::Backup { output, db } => runtime()?.block_on(async move {
            // A mistyped --db must not become a new empty database and a stray backup of it.
            let store = Store::connect_existing(&db.db).await?;
            let path = output.to_str().context("备份路径须为 UTF-8")?.to_string();
            store.backup_to(&path, &Actor::cli()).await?;
            println!("已备份到 {path}");
            Ok(())
        }),
        Command::Migrate { db } => runtime()?.block_on(async move {
            let store = Store::connect(&db.db).await?;
            let n = store.migrate().await?;
            println!("已应用 {n} 个迁移（{}）", store.backend());
            Ok(())
        }),
        Command::Air { command } => air_cmd::run(command),
        Command::Hj212 { command } => hj212_cmd::run(command),
        Command::Water { command } => water_cmd::run(command),
    }
}

fn sources(cmd: SourcesCommand) -> anyhow::Result<()> {
    match cmd {
        SourcesCommand::Template { out } => input::write_template(
            &out.format,
            out.output.as_deref(),
            &imports::REGISTRY_TEMPLATE,
            &imports::registry_notes(),
        ),
        SourcesCommand::Import { file, db } => {
            let import = input::read_import(&file)?;
            let reg =
                imports::read_registry(import).map_err(|e| input::not_imported(&file, e))?;
            runtime()?.block_on(async move {
                let store = Store::connect(&db.db).await?;
                store.migrate().await?;
                let c = store.import_registry_changes(&reg, &Actor::cli()).await?;
                println!(
                    "已导入：企业 {}，排放口 {}，设备 {}，许可证 {}，限值 {}（登记项新增 {}，变更 {}，未变 {} 未写入）",
                    reg.enterprises.len(),
                    reg.outlets.len(),
                    reg.devices.len(),
                    reg.permits.len(),
                    reg.limits.len(),
                    c.new,
                    c.changed,
                    c.unchanged
                );
                Ok(())
            })
        }
        SourcesCommand::Release { mn, db } => runtime()?.block_on(async move {
            let store = Store::connect(&db.db).await?;
            store.migrate().await?;
            let r = qingshan_app::ingest::release_quarantine(&store, &mn, &Actor::cli()).await?;
            println!(
                "已放行 {mn} 的隔离报文 {} 条：存入数据 {}，重复 {}，无数据 {}，拒收 {}；仅计数未保存 {}",
                r.frames, r.stored, r.duplicate, r.no_data, r.refused, r.counted_only
            );
            Ok(())
        }),
        SourcesCommand::Command {
            mn,
            cn,
            value,
            begin,
            end,
            db,
        } => runtime()?.block_on(async move {
            use qingshan_app::commands::{self, Asker, Command};
            let store = Store::connect(&db.db).await?;
            store.migrate().await?;
            let cmd =
                Command::from_form(&cn, value.as_deref(), begin.as_deref(), end.as_deref())?;
            let text = cmd.describe();
            let id = commands::queue(&store, &mn, cmd, Asker::Staff(Actor::cli())).await?;
            println!("已排队：命令 {id}，{text}（设备 {mn}）");
            Ok(())
        }),
        SourcesCommand::Commands { mn, page, db } => runtime()?.block_on(async move {
            let store = Store::connect(&db.db).await?;
            store.migrate().await?;
            let list = qingshan_app::commands::list(&store, &mn, page).await?;
            for c in &list.items {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    c.id,
                    c.description,
                    c.state_label,
                    c.asked_by,
                    c.created_at,
                    c.note.as_deref().or(c.result_label.as_deref()).unwrap_or("")
                );
            }
            println!("共 {} 条（第 {} 页）", list.total, list.page);
            Ok(())
        }),
        SourcesCommand::Quarantine { db } => runtime()?.block_on(async move {
            let store = Store::connect(&db.db).await?;
            store.migrate().await?;
            for q in store.quarantine().await? {
                println!(
                    "{}\t{} 帧（保存 {}）\t{} — {}\t{}",
                    q.mn, q.frames, q.kept, q.first_seen, q.last_seen, q.peer
                );
            }
            Ok(())
        }),
    }
}

fn user(cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add {
            username,
            display_name,
            role,
            credit_code,
            unit,
            division,
            db,
            plan,
        } => {
            let (plan, src) = load_plan(&plan)?;
            let role = Role::parse(&role).with_context(|| {
                format!("未知角色「{role}」：应为 admin、staff、reporter、county 或 enterprise")
            })?;
            if role == Role::Enterprise {
                let code =
                    credit_code.context("排污单位账号须指定 --credit-code（统一社会信用代码）")?;
                return runtime()?.block_on(async move {
                    let store = Store::connect(&db.db).await?;
                    store.migrate().await?;
                    store.sync_plan(&plan, &src).await?;
                    let (u, password) = qingshan_app::accounts::create_enterprise_account(
                        &store,
                        qingshan_app::accounts::NewEnterpriseAccount {
                            username,
                            display_name: display_name.unwrap_or_default(),
                            credit_code: code,
                        },
                        &Actor::cli(),
                    )
                    .await?;
                    println!(
                        "已创建账号 {}（id {}，{}，统一社会信用代码 {}）",
                        u.username,
                        u.id,
                        u.role.label(),
                        u.credit_code.as_deref().unwrap_or("")
                    );
                    // Shown this once; the account must change it on first sign-in.
                    println!("初始密码（仅显示这一次，首次登录须修改）：{password}");
                    Ok(())
                });
            }
            match role {
                Role::Reporter => {
                    let u = unit
                        .as_deref()
                        .context("填报员须指定 --unit（责任单位编号）")?;
                    plan.unit(u).with_context(|| {
                        let ids: Vec<String> = plan
                            .units
                            .iter()
                            .map(|u| format!("{}={}", u.id, u.name))
                            .collect();
                        format!("规划中没有责任单位「{u}」；可用：{}", ids.join("，"))
                    })?;
                }
                Role::County => {
                    let d = division
                        .as_deref()
                        .context("县（市、区）用户须指定 --division（行政区划代码）")?;
                    plan.division(d)
                        .with_context(|| format!("规划中没有行政区划「{d}」"))?;
                }
                Role::Admin | Role::Staff | Role::Enterprise => {}
            }
            if username.trim().is_empty() || username.len() > 64 {
                anyhow::bail!("用户名不能为空且不超过 64 个字符");
            }
            let password = match std::env::var("QINGSHAN_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin()
                        .read_line(&mut line)
                        .context("无法从标准输入读取密码")?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            // The same rule as on the web: the first administrator is no exception.
            if let Some(why) = qingshan_app::accounts::password_problem(&password, &username) {
                anyhow::bail!("{why}");
            }
            let hash = qingshan_app::accounts::hash_password(&password)?;
            runtime()?.block_on(async move {
                let store = Store::connect(&db.db).await?;
                store.migrate().await?;
                store.sync_plan(&plan, &src).await?;
                let new = NewUser {
                    display_name: display_name.unwrap_or_else(|| username.clone()),
                    username,
                    password_hash: hash,
                    role,
                    unit_id: if role == Role::Reporter { unit } else { None },
                    division_code: if role == Role::County { division } else { None },
                    credit_code: None,
                    must_change_password: false,
                };
                let u = store.create_user(&new, &Actor::cli()).await?;
                println!(
                    "已创建账号 {}（id {}，{}）",
                    u.username,
                    u.id,
                    u.role.label()
                );
                Ok(())
            })
        }
        UserCommand::List { db } => runtime()?.block_on(async move {
            let store = Store::connect(&db.db).await?;
            store.migrate().await?;
            for u in store.users().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    u.id,
                    u.username,
                    u.role.as_str(),
                    u.unit_id.unwrap_or_default(),
                    u.division_code.unwrap_or_default(),
                    u.credit_code.unwrap_or_default()
                );
            }
            Ok(())
        }),
    }
}

/// Reads `--backfill-counting`.
fn parse_counting(s: &str) -> Result<qingshan_app::backfill::BackfillCounting, String> {
    qingshan_app::backfill::BackfillCounting::parse(s)
        .ok_or_else(|| "应为 补全（complete）或 即时（timely）".to_string())
}
