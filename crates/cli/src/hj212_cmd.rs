//! `qingshan hj212`: decode, encode and reply for HJ 212 frames; the protocol logic and
//! JSON shapes live in `qingshan-hj212`.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};

use anyhow::Context;
use qingshan_hj212::{CrcPolicy, decode_line, json, qn_from_unix_millis, reply_for};

/// Which CRC variants to accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CrcArg {
    /// Only the standard's Appendix A CRC.
    Strict,
    /// Also plain and byte-swapped CRC-16/MODBUS.
    Field,
}

impl From<CrcArg> for CrcPolicy {
    fn from(c: CrcArg) -> Self {
        match c {
            CrcArg::Strict => CrcPolicy::Strict,
            CrcArg::Field => CrcPolicy::Field,
        }
    }
}

/// HJ 212 frame tools.
#[derive(Debug, clap::Subcommand)]
pub enum Hj212Command {
    /// Decode one frame per line (CRLF, LF or no trailer) into one JSON object per line.
    Decode {
        /// CRC policy.
        #[arg(long, value_enum, default_value = "strict")]
        crc: CrcArg,
        /// Input file, or `-` for standard input.
        #[arg(value_name = "FILE", default_value = "-")]
        file: String,
    },
    /// Encode JSON objects (the `decode` output shape) into frames, one per line.
    Encode {
        /// Input file, or `-` for standard input.
        #[arg(value_name = "FILE", default_value = "-")]
        file: String,
    },
    /// Print the frames the platform sends in answer to each input frame.
    Reply {
        /// CRC policy.
        #[arg(long, value_enum, default_value = "strict")]
        crc: CrcArg,
        /// Platform time as a QN (`YYYYMMDDhhmmsszzz`); defaults to now in China Standard Time.
        #[arg(long)]
        now: Option<String>,
        /// Input file, or `-` for standard input.
        #[arg(value_name = "FILE", default_value = "-")]
        file: String,
    },
    /// Simulate devices speaking HJ 212 with A=1 to a gateway; resend what is not acknowledged.
    Simulate(crate::simulate_cmd::SimulateArgs),
}

fn open(file: &str) -> anyhow::Result<Box<dyn BufRead>> {
    if file == "-" {
        return Ok(Box::new(BufReader::new(std::io::stdin())));
    }
    let f = std::fs::File::open(file).with_context(|| format!("cannot open {file}"))?;
    Ok(Box::new(BufReader::new(f)))
}

/// Calls `f` with each line (without its LF) until end of input.
fn for_each_line(
    mut input: Box<dyn BufRead>,
    mut f: impl FnMut(&[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = input
            .read_until(b'\n', &mut line)
            .context("cannot read input")?;
        if n == 0 {
            return Ok(());
        }
        let body = line.strip_suffix(b"\n").unwrap_or(&line);
        f(body)?;
    }
}

/// Runs an `hj212` subcommand.
pub fn run(cmd: Hj212Command) -> anyhow::Result<()> {
    if let Hj212Command::Simulate(args) = cmd {
        return crate::simulate_cmd::run(args);
    }
    let mut out = BufWriter::new(std::io::stdout().lock());
    match cmd {
        Hj212Command::Simulate(_) => {}
        Hj212Command::Decode { crc, file } => {
            let policy = CrcPolicy::from(crc);
            for_each_line(open(&file)?, |line| {
                writeln!(out, "{}", json::decode_line_to_json(line, policy))?;
                Ok(())
            })?;
        }
        Hj212Command::Encode { file } => {
            let mut text = String::new();
            open(&file)?
                .read_to_string(&mut text)
                .context("cannot read input")?;
            for value in serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>()
            {
                let value = value.context("invalid JSON input")?;
                let packet = json::packet_from_json(&value)?;
                out.write_all(&packet.encode())?;
            }
        }
        Hj212Command::Reply { crc, now, file } => {
            let policy = CrcPolicy::from(crc);
            let now = match now {
                Some(n) => n,
                None => {
                    let ms = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .context("system clock before 1970")?
                        .as_millis();
                    qn_from_unix_millis(i64::try_from(ms)?, 8 * 3600)
                }
            };
            for_each_line(open(&file)?, |line| {
                // A frame that does not decode (bad CRC included) gets no reply.
                if let Ok(packet) = decode_line(line, policy) {
                    for reply in reply_for(&packet, &now)? {
                        out.write_all(&reply.encode())?;
                    }
                }
                Ok(())
            })?;
        }
    }
    out.flush()?;
    Ok(())
}
