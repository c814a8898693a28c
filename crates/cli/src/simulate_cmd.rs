//! `qingshan hj212 simulate`: a fleet of simulated devices against a gateway.

use std::time::Duration;

use anyhow::Context;
use qingshan_simulator::{self as simulator, Inject, SimulatorConfig};

/// Which fault to inject.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum InjectArg {
    /// SO2 above the permit limit.
    Exceed,
    /// Devices go silent halfway.
    Offline,
    /// Values frozen at a constant.
    Frozen,
    /// Live data withheld for a span (`--gap-minutes`, after `--gap-after-minutes`) but kept
    /// in the device's history for 补传.
    Gap,
    /// The device clock off by `--clock-offset-minutes`.
    Clock,
    /// Halfway through, one analyser's range changes and the device uploads 3020 unprompted.
    Param,
}

/// Arguments of `qingshan hj212 simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Gateway address, HOST:PORT; several, comma-separated, for servers sharing one
    /// PostgreSQL: device i starts on the i-th (modulo their number) and moves on to the next
    /// when its own cannot be reached.
    #[arg(long)]
    pub to: String,
    /// Number of devices (one connection each).
    #[arg(long, default_value_t = 10)]
    pub devices: usize,
    /// Seconds between uploads of one device (fractions allowed).
    #[arg(long, default_value_t = 30.0)]
    pub interval: f64,
    /// Seconds to keep sending.
    #[arg(long, default_value_t = 60.0)]
    pub duration: f64,
    /// Protocol version the devices speak.
    #[arg(long, default_value = "2017", value_parser = ["2005", "2017", "2025"])]
    pub version: String,
    /// Faults to inject (repeat the flag to combine them).
    #[arg(long, value_enum)]
    pub inject: Vec<InjectArg>,
    /// `--inject gap`: minutes of live data withheld…
    #[arg(long, default_value_t = 180)]
    pub gap_minutes: u64,
    /// …starting this many minutes (of data time) after the first upload.
    #[arg(long, default_value_t = 60)]
    pub gap_after_minutes: u64,
    /// `--inject clock`: the device clock's offset from Beijing time, minutes (may be negative).
    #[arg(long, default_value_t = 15, allow_hyphen_values = true)]
    pub clock_offset_minutes: i64,
    /// Minute-data interval, minutes (the period of 2051 uploads).
    #[arg(long, default_value_t = 1)]
    pub min_interval: u32,
    /// Do not answer the platform's commands (a device that ignores 反控).
    #[arg(long)]
    pub no_answer: bool,
    /// What to upload: 2011 real-time, or 2051/2061/2031 period data (one period per upload,
    /// counting back from now, so a short run fills hours of history).
    #[arg(long, default_value = "2011", value_parser = ["2011", "2051", "2061", "2031"])]
    pub cn: String,
    /// Period data: the first period to upload, Beijing `YYYY-MM-DDTHH:MM` (default: counted
    /// back from now so the run ends at the current period).
    #[arg(long)]
    pub period_start: Option<String>,
    /// A device's emission level from a time on, `DEVICE:FACTOR:FROM:SCALE` (FACTOR `*` for
    /// all, FROM Beijing `YYYY-MM-DDTHH:MM`), e.g. `1:*:2026-11-20T00:00:0.5` = device 1 at half
    /// from then; repeat the flag for more steps. Devices without a step emit as usual.
    #[arg(long)]
    pub emission: Vec<String>,
    /// Resend an upload not acknowledged within this many seconds.
    #[arg(long, default_value_t = 5.0)]
    pub resend_after: f64,
    /// Write the registry CSV of the simulated devices here (for `qingshan sources import`).
    #[arg(long)]
    pub write_registry: Option<std::path::PathBuf>,
    /// Print one JSON object: {"sent", "acked", "resent", "p50_ms", "p99_ms", …}.
    #[arg(long)]
    pub json: bool,
}

/// Runs the simulator.
pub fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let mut gateways = Vec::new();
    for one in args.to.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        let addr = std::net::ToSocketAddrs::to_socket_addrs(one)
            .with_context(|| format!("无法解析地址 {one}"))?
            .next()
            .with_context(|| format!("无法解析地址 {one}"))?;
        gateways.push(addr);
    }
    let Some((&to, also)) = gateways.split_first() else {
        anyhow::bail!("--to 须给出网关地址 HOST:PORT");
    };
    if !(args.interval > 0.0 && args.duration >= 0.0 && args.resend_after > 0.0) {
        anyhow::bail!("--interval 与 --resend-after 须为正数，--duration 不能为负");
    }
    let mut cfg = SimulatorConfig::new(to, args.devices);
    cfg.also = also.to_vec();
    cfg.interval = Duration::from_secs_f64(args.interval);
    cfg.duration = Duration::from_secs_f64(args.duration);
    cfg.resend_after = Duration::from_secs_f64(args.resend_after);
    cfg.version = args.version;
    cfg.cn = args.cn;
    cfg.injects = args
        .inject
        .iter()
        .map(|i| match i {
            InjectArg::Exceed => Inject::Exceed,
            InjectArg::Offline => Inject::Offline,
            InjectArg::Frozen => Inject::Frozen,
            InjectArg::Gap => Inject::Gap,
            InjectArg::Clock => Inject::Clock,
            InjectArg::Param => Inject::Param,
        })
        .collect();
    cfg.gap_len = Duration::from_secs(args.gap_minutes.saturating_mul(60));
    cfg.gap_after = Duration::from_secs(args.gap_after_minutes.saturating_mul(60));
    cfg.clock_offset_minutes = args.clock_offset_minutes;
    cfg.min_interval = args.min_interval;
    cfg.answer_commands = !args.no_answer;
    cfg.emission = args
        .emission
        .iter()
        .map(|e| simulator::EmissionStep::parse(e).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<_>>()?;
    cfg.period_start = args
        .period_start
        .as_deref()
        .map(|t| {
            // The parser's own (English) message is left out: the user reads Chinese.
            chrono::NaiveDateTime::parse_from_str(t.trim(), "%Y-%m-%dT%H:%M")
                .map_err(|_| anyhow::anyhow!("--period-start“{t}”应为 YYYY-MM-DDTHH:MM"))
        })
        .transpose()?;
    if !qingshan_app::commands::MIN_INTERVALS.contains(&args.min_interval) {
        anyhow::bail!("--min-interval 须为 1、2、3、4、5、6、10、12、15、20 或 30 分钟");
    }
    if let Some(path) = &args.write_registry {
        let f =
            std::fs::File::create(path).with_context(|| format!("无法写入 {}", path.display()))?;
        qingshan_sources::write_registry(&simulator::registry(&cfg), f)?;
        if args.duration == 0.0 {
            return Ok(());
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = rt.block_on(simulator::run(cfg));
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "已发送 {}，已确认 {}，重发 {}，确认时延 p50 {:.1} ms，p99 {:.1} ms，连接错误 {}，应答命令 {}，补传报文 {}，缺失未发 {}",
            report.sent,
            report.acked,
            report.resent,
            report.p50_ms,
            report.p99_ms,
            report.connection_errors,
            report.commands,
            report.history_frames,
            report.withheld
        );
    }
    Ok(())
}
