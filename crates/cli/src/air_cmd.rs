//! `qingshan air …`: AQI tables, annual assessment (logic lives in `qingshan_air::cli`), and the
//! station registry and hourly data in the store.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use qingshan_air::aqi::{AqiOptions, ReportType};
use qingshan_air::assess::AssessOptions;
use qingshan_air::standard::AqiStandard;
use qingshan_store::{Actor, AirError, AirStation, Store};

/// Columns of the station CSV, in any order.
pub const STATION_COLUMNS: [&str; 6] = [
    "code",
    "name",
    "level",
    "division_code",
    "longitude",
    "latitude",
];

/// Name given to the stored city's assessment.
const CITY_NAME: &str = "全市（国控站点）";

/// Air-quality commands.
#[derive(Debug, clap::Subcommand)]
pub enum AirCommand {
    /// Compute IAQI/AQI per HJ 633 for each row of a CSV (output CSV on stdout).
    Aqi {
        /// Edition: hj633-2012 or hj633-2026.
        #[arg(long)]
        standard: String,
        /// Report type: daily or realtime.
        #[arg(long = "type")]
        report_type: String,
        /// Input CSV; `-` or absent reads stdin.
        file: Option<PathBuf>,
    },
    /// HJ 663 annual assessment of one station's hourly data.
    Assess {
        /// Calendar year to assess.
        #[arg(long)]
        year: i32,
        /// Hourly CSV (qingshan hourly v1 or UCI layout); without it, the stored city data
        /// (national-network stations) in `--db` are assessed.
        #[arg(long)]
        input: Option<PathBuf>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Database URL, used without `--input`.
        #[arg(long, env = "QINGSHAN_DB", default_value = "sqlite://qingshan.db")]
        db: String,
    },
    /// Air-quality monitoring stations in the store.
    Stations {
        #[command(subcommand)]
        command: StationsCommand,
    },
    /// Import hourly data (qingshan hourly v1 or UCI CSV) into the store, all or nothing.
    Import {
        /// Hourly CSV; `-` reads stdin.
        file: PathBuf,
        /// Database URL: sqlite://FILE or postgres://USER@HOST/DB.
        #[arg(long, env = "QINGSHAN_DB", default_value = "sqlite://qingshan.db")]
        db: String,
    },
}

/// Station registry commands.
#[derive(Debug, clap::Subcommand)]
pub enum StationsCommand {
    /// Add or update stations from a CSV `code,name,level,division_code,longitude,latitude`.
    Import {
        /// Station CSV; `-` reads stdin.
        file: PathBuf,
        /// Database URL: sqlite://FILE or postgres://USER@HOST/DB.
        #[arg(long, env = "QINGSHAN_DB", default_value = "sqlite://qingshan.db")]
        db: String,
    },
    /// Link the HJ 212 device (数采仪) of an automatic station: its ST=22 hourly uploads become
    /// the station's hourly data.
    Link {
        /// The device's MN.
        #[arg(long)]
        mn: String,
        /// The station code.
        #[arg(long)]
        station: String,
        /// The PW the device sends.
        #[arg(long)]
        password: String,
        /// CRC policy: strict (Appendix A only) or field (also the Modbus variants).
        #[arg(long, default_value = "strict", value_parser = ["strict", "field"])]
        crc: String,
        /// Database URL.
        #[arg(long, env = "QINGSHAN_DB", default_value = "sqlite://qingshan.db")]
        db: String,
    },
}

fn open_input(path: &PathBuf) -> anyhow::Result<Box<dyn Read>> {
    Ok(if path.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(BufReader::new(
            File::open(path).with_context(|| format!("无法读取 {}", path.display()))?,
        ))
    })
}

/// Reads the station CSV; every cell is checked here or by the store before anything is written.
/// Returns the stations and the file line of each.
pub fn read_stations<R: Read>(reader: R) -> anyhow::Result<(Vec<AirStation>, Vec<u64>)> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let header: Vec<String> = rdr
        .headers()
        .context("第 1 行：无法读取表头")?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let mut idx = [0usize; 6];
    for (slot, name) in idx.iter_mut().zip(STATION_COLUMNS) {
        *slot = header.iter().position(|h| h == name).with_context(|| {
            format!(
                "第 1 行：缺少列 {name}（应为 {}）",
                STATION_COLUMNS.join(",")
            )
        })?;
    }
    if let Some(extra) = header
        .iter()
        .find(|h| !STATION_COLUMNS.contains(&h.as_str()))
    {
        bail!(
            "第 1 行：未知列 {extra}（应为 {}）",
            STATION_COLUMNS.join(",")
        );
    }
    let (mut stations, mut lines) = (Vec::new(), Vec::new());
    for rec in rdr.records() {
        let rec = rec.context("CSV 格式错误")?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.len() != header.len() {
            bail!(
                "第 {line} 行：应有 {} 列，实有 {} 列",
                header.len(),
                rec.len()
            );
        }
        let cell = |i: usize| rec.get(idx[i]).unwrap_or("").trim().to_string();
        let opt = |i: usize| Some(cell(i)).filter(|v| !v.is_empty());
        stations.push(AirStation {
            code: cell(0),
            name: cell(1),
            control_level: cell(2),
            division_code: opt(3),
            longitude: opt(4),
            latitude: opt(5),
        });
        lines.push(line);
    }
    Ok((stations, lines))
}

/// Runs an air command.
pub fn run(cmd: AirCommand) -> anyhow::Result<()> {
    match cmd {
        AirCommand::Aqi {
            standard,
            report_type,
            file,
        } => {
            let std = AqiStandard::from_code(&standard).with_context(|| {
                format!("unknown --standard {standard:?} (hj633-2012 or hj633-2026)")
            })?;
            let report = ReportType::from_code(&report_type)
                .with_context(|| format!("unknown --type {report_type:?} (daily or realtime)"))?;
            let reader: Box<dyn Read> = match file {
                Some(p) if p.as_os_str() != "-" => Box::new(BufReader::new(
                    File::open(&p).with_context(|| format!("opening {}", p.display()))?,
                )),
                _ => Box::new(io::stdin().lock()),
            };
            let mut out = BufWriter::new(io::stdout().lock());
            qingshan_air::cli::aqi_csv(reader, &mut out, std, report, &AqiOptions::default())?;
            out.flush()?;
        }
        AirCommand::Assess {
            year,
            input,
            json,
            db,
        } => {
            let a = match input {
                Some(path) => {
                    let file =
                        File::open(&path).with_context(|| format!("opening {}", path.display()))?;
                    qingshan_air::cli::assess_csv(
                        BufReader::new(file),
                        year,
                        &AssessOptions::default(),
                    )?
                }
                None => crate::runtime()?.block_on(async move {
                    let store = Store::connect(&db).await?;
                    store.migrate().await?;
                    let (codes, a) = qingshan_app::air::stored_city_assessment(
                        &store,
                        CITY_NAME,
                        year,
                        &AssessOptions::default(),
                    )
                    .await?;
                    if codes.is_empty() {
                        bail!(
                            "库中没有国控空气站点：城市评价需要国控站点（先用 qingshan air stations import 导入）"
                        );
                    }
                    anyhow::Ok(a)
                })?,
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&a.to_json())?);
            } else {
                print!("{}", a.to_table_zh());
            }
        }
        AirCommand::Stations {
            command: StationsCommand::Import { file, db },
        } => {
            let (stations, lines) = read_stations(open_input(&file)?)
                .with_context(|| format!("{} 未导入", file.display()))?;
            crate::runtime()?.block_on(async move {
                let store = Store::connect(&db).await?;
                store.migrate().await?;
                match store.upsert_air_stations(&stations, &Actor::cli()).await {
                    Ok(n) => println!("已导入空气站点 {n} 个"),
                    Err(AirError::Invalid {
                        row,
                        column,
                        message,
                    }) => {
                        let line = lines.get(row.saturating_sub(1)).copied().unwrap_or(0);
                        bail!(
                            "{}：第 {line} 行，列 {column}：{message}；文件未导入",
                            file.display()
                        );
                    }
                    Err(e) => return Err(e.into()),
                }
                anyhow::Ok(())
            })?;
        }
        AirCommand::Stations {
            command:
                StationsCommand::Link {
                    mn,
                    station,
                    password,
                    crc,
                    db,
                },
        } => {
            if mn.is_empty() || mn.len() > 24 || !mn.bytes().all(|b| b.is_ascii_alphanumeric()) {
                bail!("MN 应为不超过 24 位的字母数字");
            }
            crate::runtime()?.block_on(async move {
                let store = Store::connect(&db).await?;
                store.migrate().await?;
                let d = qingshan_store::AirStationDevice {
                    mn: mn.clone(),
                    station_code: station.clone(),
                    password,
                    crc_policy: crc,
                };
                store.link_air_station_device(&d, &Actor::cli()).await?;
                println!("已关联：设备 {mn} → 空气站点 {station}");
                anyhow::Ok(())
            })?;
        }
        AirCommand::Import { file, db } => {
            let series = qingshan_air::parse_hourly_csv(open_input(&file)?)
                .with_context(|| format!("{} 未导入", file.display()))?;
            let rows = qingshan_app::air::hours_from_series(&series, "import");
            crate::runtime()?.block_on(async move {
                let store = Store::connect(&db).await?;
                store.migrate().await?;
                let s = store
                    .import_air_hourly(&rows, &Actor::cli())
                    .await
                    .with_context(|| format!("{} 未导入", file.display()))?;
                println!(
                    "已导入小时数据 {} 条（站点 {} 个，其中 {} 条为修订），时段 {} 至 {}",
                    s.rows,
                    s.stations,
                    s.revised,
                    s.first_hour.as_deref().unwrap_or("-"),
                    s.last_hour.as_deref().unwrap_or("-")
                );
                anyhow::Ok(())
            })?;
        }
    }
    Ok(())
}
