//! `qingshan air …`: AQI tables and annual assessment (logic lives in `qingshan_air::cli`).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use qingshan_air::aqi::{AqiOptions, ReportType};
use qingshan_air::assess::AssessOptions;
use qingshan_air::standard::AqiStandard;

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
        /// Hourly CSV (qingshan hourly v1 or UCI layout).
        #[arg(long)]
        input: Option<PathBuf>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
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
                Some(p) if p.as_os_str() != "-" => Box::new(BufReader::new(
                    File::open(&p).with_context(|| format!("opening {}", p.display()))?,
                )),
                _ => Box::new(io::stdin().lock()),
            };
            let mut out = BufWriter::new(io::stdout().lock());
            qingshan_air::cli::aqi_csv(reader, &mut out, std, report, &AqiOptions::default())?;
            out.flush()?;
        }
        AirCommand::Assess { year, input, json } => {
            let Some(path) = input else {
                bail!("--input FILE is required (the stored-city variant needs storage)");
            };
            let file = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
            let a = qingshan_air::cli::assess_csv(
                BufReader::new(file),
                year,
                &AssessOptions::default(),
            )?;
            if json {
                println!("{}", serde_json::to_string_pretty(&a.to_json())?);
            } else {
                print!("{}", a.to_table_zh());
            }
        }
    }
    Ok(())
}
