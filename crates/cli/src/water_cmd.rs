//! `qingshan water …`: surface-water commands (logic lives in `qingshan_water`).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use qingshan_water::{ClassifyOptions, classify_csv};

/// Surface-water commands.
#[derive(Debug, clap::Subcommand)]
pub enum WaterCommand {
    /// Classify sections by GB 3838-2002 (single-factor method, 环办〔2011〕22号).
    ///
    /// CSV in: `id`, `water_body` (river|lake) and item columns (pH, DO, CODMn,
    /// COD, BOD5, NH3N, TP, TN, Cu, Zn, F, Se, As, Hg, Cd, Cr6, Pb, CN, Phenol,
    /// Oil, LAS, S2, FC). CSV out on stdout: id, class, status, class_<item>,
    /// exceed, main_pollutants. TN and FC get their own class but never set
    /// `class`. Nothing is written if any input cell is bad.
    Classify {
        /// Input CSV file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
    },
}

/// Runs a water command.
pub fn run(cmd: WaterCommand) -> anyhow::Result<()> {
    match cmd {
        WaterCommand::Classify { file } => {
            let mut out = BufWriter::new(io::stdout().lock());
            let options = ClassifyOptions::default();
            match file {
                Some(path) if path.as_os_str() != "-" => {
                    let f = File::open(&path)
                        .with_context(|| format!("cannot open {}", path.display()))?;
                    classify_csv(BufReader::new(f), &mut out, &options)
                        .with_context(|| format!("{}", path.display()))?;
                }
                _ => {
                    classify_csv(io::stdin().lock(), &mut out, &options)
                        .context("standard input")?;
                }
            }
            out.flush()?;
            Ok(())
        }
    }
}
