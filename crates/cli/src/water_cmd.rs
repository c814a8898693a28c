//! `qingshan water …`: surface-water commands (logic lives in `qingshan_water`).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use qingshan_store::{Actor, NewWaterSample, Store, WaterSection, WaterStoreError};
use qingshan_water::{ClassifyOptions, Exact, Item, classify_csv};

/// Columns of the section CSV, in any order.
pub const SECTION_COLUMNS: [&str; 8] = [
    "code",
    "name",
    "level",
    "water_body",
    "basin",
    "division_code",
    "target_class",
    "drinking_source",
];

/// Columns of the monthly sample CSV, in any order.
pub const SAMPLE_COLUMNS: [&str; 4] = ["section", "date", "item", "value"];

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
    /// Surface-water sections in the store.
    Sections {
        #[command(subcommand)]
        command: SectionsCommand,
    },
    /// Import monthly manual results (CSV `section,date,item,value`; `<0.01` = below the
    /// detection limit 0.01) into the store, all or nothing. `item` is a Table 1 code (`pH`,
    /// `NH3N`, …) or, at drinking-water sources only, a Table 2/3 item: `T2-1`…`T2-5`,
    /// `T3-1`…`T3-80` (or its Chinese or English name).
    Import {
        /// Sample CSV; `-` reads stdin.
        file: PathBuf,
        /// Database URL: sqlite://FILE or postgres://USER@HOST/DB.
        #[arg(long, env = "QINGSHAN_DB", default_value = "sqlite://qingshan.db")]
        db: String,
    },
}

/// Section registry commands.
#[derive(Debug, clap::Subcommand)]
pub enum SectionsCommand {
    /// Add or update sections from a CSV
    /// `code,name,level,water_body,basin,division_code,target_class,drinking_source`.
    Import {
        /// Section CSV; `-` reads stdin.
        file: PathBuf,
        /// Database URL: sqlite://FILE or postgres://USER@HOST/DB.
        #[arg(long, env = "QINGSHAN_DB", default_value = "sqlite://qingshan.db")]
        db: String,
    },
    /// Link the HJ 212 device (数采仪) of an automatic water-quality station to a section: its
    /// ST=21 hourly uploads become the section's daily values (source hj212), which take
    /// priority over manual results for pH, DO, CODMn, NH3-N, TP and TN in their month.
    Link {
        /// The section code.
        #[arg(long)]
        section: String,
        /// The device's MN.
        #[arg(long)]
        mn: String,
        /// The PW the device sends.
        #[arg(long)]
        password: String,
        /// CRC policy: strict (Appendix A only) or field (also the Modbus variants).
        #[arg(long, default_value = "strict", value_parser = ["strict", "field"])]
        crc_policy: String,
        /// Database URL: sqlite://FILE or postgres://USER@HOST/DB.
        #[arg(long, env = "QINGSHAN_DB", default_value = "sqlite://qingshan.db")]
        db: String,
    },
}

/// The stored code of a sample file's `item` cell: a GB 3838-2002 Table 1 code
/// (case-insensitive, e.g. `nh3n` → `NH3N`) or a Table 2/3 item by code (`t2-4` → `T2-4`) or
/// by its Chinese or English name (`铁` → `T2-4`); `None` for anything else.
pub fn sample_item_code(cell: &str) -> Option<String> {
    use qingshan_water::drinking::{single_limit_item_by_code, single_limit_item_by_name};
    Item::from_code(cell)
        .map(|i| i.code().to_string())
        .or_else(|| {
            single_limit_item_by_code(cell)
                .or_else(|| single_limit_item_by_name(cell))
                .map(|i| i.code())
        })
}

/// Links an automatic station's device to a section (`water sections link`).
fn link_device(
    section: String,
    mn: String,
    password: String,
    crc_policy: String,
    db: String,
) -> anyhow::Result<()> {
    if mn.is_empty() || mn.len() > 24 || !mn.bytes().all(|b| b.is_ascii_alphanumeric()) {
        bail!("MN 应为不超过 24 位的字母数字");
    }
    crate::runtime()?.block_on(async move {
        let store = Store::connect(&db).await?;
        store.migrate().await?;
        let d = qingshan_store::WaterSectionDevice {
            mn: mn.clone(),
            section_code: section.clone(),
            password,
            crc_policy,
        };
        store.link_water_section_device(&d, &Actor::cli()).await?;
        println!("已关联：设备 {mn} → 水质断面 {section}（ST=21 小时数据按日均值入库）");
        anyhow::Ok(())
    })
}

fn open_input(path: &Path) -> anyhow::Result<Box<dyn Read>> {
    Ok(if path.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(BufReader::new(
            File::open(path).with_context(|| format!("无法读取 {}", path.display()))?,
        ))
    })
}

/// A CSV's records as trimmed cells in `columns` order, with the file line of each.
fn read_table<R: Read>(reader: R, columns: &[&str]) -> anyhow::Result<Vec<(u64, Vec<String>)>> {
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
    let mut idx = Vec::with_capacity(columns.len());
    for name in columns {
        idx.push(
            header
                .iter()
                .position(|h| h == name)
                .with_context(|| format!("第 1 行：缺少列 {name}（应为 {}）", columns.join(",")))?,
        );
    }
    if let Some(extra) = header.iter().find(|h| !columns.contains(&h.as_str())) {
        bail!("第 1 行：未知列 {extra}（应为 {}）", columns.join(","));
    }
    let mut out = Vec::new();
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
        let cells = idx
            .iter()
            .map(|i| rec.get(*i).unwrap_or("").trim().to_string())
            .collect();
        out.push((line, cells));
    }
    Ok(out)
}

/// Reads the section CSV; returns the sections and the file line of each.
pub fn read_sections<R: Read>(reader: R) -> anyhow::Result<(Vec<WaterSection>, Vec<u64>)> {
    let (mut sections, mut lines) = (Vec::new(), Vec::new());
    for (line, c) in read_table(reader, &SECTION_COLUMNS)? {
        let opt = |v: &String| Some(v.clone()).filter(|v| !v.is_empty());
        let is_drinking_source = match c[7].to_ascii_lowercase().as_str() {
            "" | "0" | "false" | "no" | "否" => false,
            "1" | "true" | "yes" | "是" => true,
            other => bail!(
                "第 {line} 行，列 drinking_source：应为 是/否（或 true/false、1/0），而不是「{other}」"
            ),
        };
        sections.push(WaterSection {
            code: c[0].clone(),
            name: c[1].clone(),
            level: c[2].clone(),
            water_body: c[3].to_ascii_lowercase(),
            basin: opt(&c[4]),
            division_code: opt(&c[5]),
            target_class: c[6].to_ascii_uppercase(),
            is_drinking_source,
        });
        lines.push(line);
    }
    Ok((sections, lines))
}

/// Reads the monthly sample CSV; every cell is checked before anything is written.
/// Returns the results and the file line of each.
pub fn read_samples<R: Read>(reader: R) -> anyhow::Result<(Vec<NewWaterSample>, Vec<u64>)> {
    let (mut samples, mut lines) = (Vec::new(), Vec::new());
    for (line, c) in read_table(reader, &SAMPLE_COLUMNS)? {
        let item = sample_item_code(&c[2])
            .with_context(|| format!("第 {line} 行，列 item：未知监测项目「{}」", c[2]))?;
        // `<DL` is how laboratories write a result below the detection limit DL.
        let (text, below_detection) = match c[3].strip_prefix('<') {
            Some(rest) => (rest.trim().to_string(), true),
            None => (c[3].clone(), false),
        };
        let value = Exact::parse(&text)
            .map_err(|e| anyhow::anyhow!("第 {line} 行，列 value：不是数值「{}」（{e}）", c[3]))?;
        if value.is_negative() {
            bail!("第 {line} 行，列 value：浓度不能为负「{}」", c[3]);
        }
        if below_detection && value.is_zero() {
            bail!("第 {line} 行，列 value：检出限必须大于 0「{}」", c[3]);
        }
        samples.push(NewWaterSample {
            section_code: c[0].clone(),
            date: c[1].clone(),
            item,
            value: text,
            below_detection,
            source: "import".to_string(),
        });
        lines.push(line);
    }
    Ok((samples, lines))
}

/// Turns a store refusal into a message naming the file line and column.
fn refusal(file: &Path, lines: &[u64], e: WaterStoreError) -> anyhow::Error {
    match e {
        WaterStoreError::Invalid {
            row,
            column,
            message,
        } => {
            let line = lines.get(row.saturating_sub(1)).copied().unwrap_or(0);
            anyhow::anyhow!(
                "{}：第 {line} 行，列 {column}：{message}；文件未导入",
                file.display()
            )
        }
        other => anyhow::Error::new(other).context(format!("{} 未导入", file.display())),
    }
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
        WaterCommand::Sections {
            command: SectionsCommand::Import { file, db },
        } => {
            let (sections, lines) = read_sections(open_input(&file)?)
                .with_context(|| format!("{} 未导入", file.display()))?;
            crate::runtime()?.block_on(async move {
                let store = Store::connect(&db).await?;
                store.migrate().await?;
                let n = store
                    .upsert_water_sections(&sections, &Actor::cli())
                    .await
                    .map_err(|e| refusal(&file, &lines, e))?;
                println!("已导入水质断面 {n} 个");
                anyhow::Ok(())
            })
        }
        WaterCommand::Sections {
            command:
                SectionsCommand::Link {
                    section,
                    mn,
                    password,
                    crc_policy,
                    db,
                },
        } => link_device(section, mn, password, crc_policy, db),
        WaterCommand::Import { file, db } => {
            let (samples, lines) = read_samples(open_input(&file)?)
                .with_context(|| format!("{} 未导入", file.display()))?;
            crate::runtime()?.block_on(async move {
                let store = Store::connect(&db).await?;
                store.migrate().await?;
                let s = store
                    .import_water_samples(&samples, &Actor::cli())
                    .await
                    .map_err(|e| refusal(&file, &lines, e))?;
                println!(
                    "已导入监测结果 {} 条（断面 {} 个，其中 {} 条为修订），时段 {} 至 {}",
                    s.rows,
                    s.sections,
                    s.revised,
                    s.first_date.as_deref().unwrap_or("-"),
                    s.last_date.as_deref().unwrap_or("-")
                );
                anyhow::Ok(())
            })
        }
    }
}
