//! `qingshan air …`: AQI tables, annual assessment (logic lives in `qingshan_air::cli`), and the
//! station registry and hourly data in the store.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use qingshan_air::aqi::{AqiOptions, ReportType};
use qingshan_air::assess::AssessOptions;
use qingshan_air::standard::AqiStandard;
use qingshan_app::imports;
use qingshan_store::{Actor, Store};

use crate::input::{not_imported, read_import, write_template};
use crate::spool::Spool;

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
    /// HJ 663 annual assessment of stations' hourly data, or of the stored city.
    ///
    /// One file, one year and one station in it: the table (or `--json`'s object) as always.
    /// Several years (`--year 2014,2015` or repeated), several files, a directory (its `.csv`
    /// files) or a file with a station column holding several stations: one JSON line per
    /// station-year, each file read once. Without `--input`, the stored city for each year.
    Assess {
        /// Calendar year(s) to assess: repeat the option or separate with commas.
        #[arg(long, required = true, value_delimiter = ',')]
        year: Vec<i32>,
        /// Hourly CSV (qingshan hourly v1 or UCI layout) or a directory of them; repeat for
        /// several. Without it, the stored city data (national-network stations) in `--db`
        /// are assessed.
        #[arg(long)]
        input: Vec<PathBuf>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Database URL, used without `--input`.
        #[arg(long, env = "QINGSHAN_DB", default_value = "sqlite://qingshan.db")]
        db: String,
    },
    /// Print the hourly data file's header (CSV), or write an XLSX template with `-o`.
    Template {
        /// csv (the header row) or xlsx (a workbook with a 说明 sheet).
        #[arg(long, default_value = "csv", value_parser = ["csv", "xlsx"])]
        format: String,
        /// Output file; required for xlsx.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
    },
    /// Air-quality monitoring stations in the store.
    Stations {
        #[command(subcommand)]
        command: StationsCommand,
    },
    /// Import hourly data into the store, all or nothing, every bad row listed: a CSV file or
    /// an XLSX workbook's first sheet with 站点编码, 监测日期, 小时, SO2, NO2, CO, O3, PM10, PM2.5
    /// (Chinese headers, units in brackets tolerated, or the codes
    /// `station,date,hour,so2,no2,co,o3,pm10,pm25`), or the UCI Beijing CSV as published.
    Import {
        /// Hourly file, CSV or XLSX (recognised by content); `-` reads stdin.
        file: PathBuf,
        /// Database URL: sqlite://FILE or postgres://USER@HOST/DB.
        #[arg(long, env = "QINGSHAN_DB", default_value = "sqlite://qingshan.db")]
        db: String,
    },
}

/// Station registry commands.
#[derive(Debug, clap::Subcommand)]
pub enum StationsCommand {
    /// Add or update stations from a CSV file or an XLSX workbook's first sheet with columns
    /// 站点编码, 站点名称, 控制级别, 行政区划代码, 经度, 纬度 (or their codes
    /// `code,name,level,division_code,longitude,latitude`), every bad row listed.
    Import {
        /// Station file, CSV or XLSX (recognised by content); `-` reads stdin.
        file: PathBuf,
        /// Database URL: sqlite://FILE or postgres://USER@HOST/DB.
        #[arg(long, env = "QINGSHAN_DB", default_value = "sqlite://qingshan.db")]
        db: String,
    },
    /// Print the station file's header (CSV), or write an XLSX template with `-o`.
    Template {
        /// csv (the header row) or xlsx (a workbook with a 说明 sheet).
        #[arg(long, default_value = "csv", value_parser = ["csv", "xlsx"])]
        format: String,
        /// Output file; required for xlsx.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
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
                Some(p) if p.as_os_str() != "-" => {
                    Box::new(File::open(&p).with_context(|| format!("opening {}", p.display()))?)
                }
                _ => Box::new(io::stdin().lock()),
            };
            // Row by row into a spool: memory stays flat whatever the input's size, and a
            // refused file still writes nothing.
            let mut spool = Spool::new();
            qingshan_air::cli::aqi_csv_streaming(
                BufReader::with_capacity(64 * 1024, reader),
                &mut spool,
                std,
                report,
                &AqiOptions::default(),
            )?;
            spool.release(&mut io::stdout().lock())?;
        }
        AirCommand::Assess {
            year,
            input,
            json,
            db,
        } => {
            let opts = AssessOptions::default();
            if input.is_empty() {
                let one_year = year.len() == 1;
                let assessments = crate::runtime()?.block_on(async move {
                    let store = Store::connect(&db).await?;
                    store.migrate().await?;
                    let (codes, a) = qingshan_app::air::stored_city_assessments(
                        &store, CITY_NAME, &year, &opts,
                    )
                    .await?;
                    if codes.is_empty() {
                        bail!(
                            "库中没有国控空气站点：城市评价需要国控站点（先用 qingshan air stations import 导入）"
                        );
                    }
                    anyhow::Ok(a)
                })?;
                match assessments.as_slice() {
                    [a] if one_year => print_one(a, json)?,
                    many => print_lines(many)?,
                }
                return Ok(());
            }
            // One file and one year keep the single answer; anything more is JSON lines.
            let single = input.len() == 1 && !input[0].is_dir() && year.len() == 1;
            for path in qingshan_app::air::hourly_files(&input)
                .context("reading the --input directories")?
            {
                let file =
                    File::open(&path).with_context(|| format!("opening {}", path.display()))?;
                let a = qingshan_app::air::assess_hourly_file(BufReader::new(file), &year, &opts)
                    .map_err(qingshan_air::cli::AssessError::from);
                // Among several files, a refused one is named.
                let a = match a {
                    Err(e) if !single => {
                        return Err(anyhow::Error::new(e).context(path.display().to_string()));
                    }
                    other => other?,
                };
                match a.as_slice() {
                    [] if single => {
                        return Err(qingshan_air::cli::AssessError::StationCount(0).into());
                    }
                    [one] if single => print_one(one, json)?,
                    // Printed as soon as its file is read: nothing of it is kept.
                    many => print_lines(many)?,
                }
            }
        }
        AirCommand::Stations {
            command: StationsCommand::Import { file, db },
        } => {
            let import = read_import(&file)?;
            crate::runtime()?.block_on(async move {
                let store = Store::connect(&db).await?;
                store.migrate().await?;
                let n = imports::air::import_stations(&store, &Actor::cli(), import)
                    .await
                    .map_err(|e| not_imported(&file, e))?;
                println!("已导入空气站点 {n} 个");
                anyhow::Ok(())
            })?;
        }
        AirCommand::Stations {
            command: StationsCommand::Template { format, output },
        } => write_template(
            &format,
            output.as_deref(),
            &imports::AIR_STATION_TEMPLATE,
            &imports::TemplateNotes::default(),
        )?,
        AirCommand::Template { format, output } => write_template(
            &format,
            output.as_deref(),
            &imports::AIR_HOURLY_TEMPLATE,
            &imports::air_hourly_notes(),
        )?,
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
            let import = read_import(&file)?;
            crate::runtime()?.block_on(async move {
                let store = Store::connect(&db).await?;
                store.migrate().await?;
                let s = imports::air::import_hourly(&store, &Actor::cli(), import)
                    .await
                    .map_err(|e| not_imported(&file, e))?;
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

/// One assessment as the table, or with `--json` as one pretty object.
fn print_one(a: &qingshan_air::assess::AnnualAssessment, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&a.to_json())?);
    } else {
        print!("{}", a.to_table_zh());
    }
    Ok(())
}

/// Assessments as JSON lines, one per station-year.
fn print_lines(all: &[qingshan_air::assess::AnnualAssessment]) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    for a in all {
        writeln!(out, "{}", serde_json::to_string(&a.to_json())?)?;
    }
    out.flush()?;
    Ok(())
}
