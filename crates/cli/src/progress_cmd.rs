//! `qingshan plan progress`: progress status per CSV row (logic lives in
//! `qingshan_plan::progress::csv`; methods in docs/progress-methods.md).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

use anyhow::Context;
use qingshan_plan::progress::{self, Method};

/// The pace method, as spelled on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum MethodArg {
    /// Open SDG: actual ÷ required compound annual growth (linear where growth is undefined).
    Opensdg,
    /// 序时进度: share of the gap closed ÷ share of the time elapsed.
    Linear,
}

impl From<MethodArg> for Method {
    fn from(m: MethodArg) -> Self {
        match m {
            MethodArg::Opensdg => Method::OpenSdg,
            MethodArg::Linear => Method::Linear,
        }
    }
}

/// Arguments of `qingshan plan progress`.
#[derive(Debug, clap::Args)]
pub struct ProgressArgs {
    /// Pace method.
    #[arg(long, value_enum, default_value = "opensdg")]
    pub method: MethodArg,
    /// Input CSV (id,direction,base_year,base_value,target_year,target_value,current_year,current_value);
    /// `-` or absent reads stdin. Writes id,ratio,status to stdout.
    #[arg(value_name = "FILE|-")]
    pub file: Option<PathBuf>,
}

/// Runs `qingshan plan progress`.
pub fn run(args: ProgressArgs) -> anyhow::Result<()> {
    let (reader, name): (Box<dyn Read>, String) = match &args.file {
        Some(p) if p.as_os_str() != "-" => (
            Box::new(BufReader::new(
                File::open(p).with_context(|| format!("opening {}", p.display()))?,
            )),
            p.display().to_string(),
        ),
        _ => (Box::new(io::stdin().lock()), "<stdin>".to_string()),
    };
    let mut out = BufWriter::new(io::stdout().lock());
    progress::csv::run(reader, &mut out, args.method.into())
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    out.flush()?;
    Ok(())
}
