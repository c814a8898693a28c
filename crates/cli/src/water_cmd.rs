//! `qingshan water …`: surface-water commands (logic lives in `qingshan_water`).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use qingshan_app::imports::{self, ImportFile};
use qingshan_store::{Actor, NewWaterSample, Store, WaterSection, WaterStoreError};
use qingshan_water::{ClassifyOptions, Exact, Item, classify_csv};

use crate::input::{read_import, write_template};

/// Columns of the section file, in any order.
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

/// Columns of the monthly sample file, in any order.
pub const SAMPLE_COLUMNS: [&str; 4] = qingshan_app::imports::WATER_SAMPLE_COLUMNS;

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
    /// Print the monthly sample file's header (CSV), or write an XLSX template with `-o`.
    Template {
        /// csv (the header row) or xlsx (a workbook with a 说明 sheet listing the item codes).
        #[arg(long, default_value = "csv", value_parser = ["csv", "xlsx"])]
        format: String,
        /// Output file; required for xlsx. Without it the CSV header goes to standard output.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
    },
    /// Surface-water sections in the store.
    Sections {
        #[command(subcommand)]
        command: SectionsCommand,
    },
    /// Import monthly manual results (`section,date,item,value`; `<0.01` = below the detection
    /// limit 0.01) from a CSV file or an XLSX workbook's first sheet into the store, all or
    /// nothing. `item` is a Table 1 code (`pH`, `NH3N`, …) or, at drinking-water sources only,
    /// a Table 2/3 item: `T2-1`…`T2-5`, `T3-1`…`T3-80` (or its Chinese or English name).
    Import {
        /// Sample file, CSV or XLSX (recognised by content); `-` reads stdin.
        file: PathBuf,
        /// Database URL: sqlite://FILE or postgres://USER@HOST/DB.
        #[arg(long, env = "QINGSHAN_DB", default_value = "sqlite://qingshan.db")]
        db: String,
    },
}

/// Section registry commands.
#[derive(Debug, clap::Subcommand)]
pub enum SectionsCommand {
    /// Add or update sections from a CSV file or an XLSX workbook's first sheet with columns
    /// `code,name,level,water_body,basin,division_code,target_class,drinking_source`.
    Import {
        /// Section file, CSV or XLSX (recognised by content); `-` reads stdin.
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

/// A table's records as trimmed cells in `columns` order, with the row number of each and the
/// column label messages use.
struct Table {
    rows: Vec<(u64, Vec<String>)>,
    file: ImportFile,
}

impl Table {
    /// `列 value`, with the column letter added for a workbook: `列 value（D 列）`.
    fn column(&self, name: &str) -> String {
        match self.file.letter(name) {
            Some(letter) => format!("列 {name}（{letter} 列）"),
            None => format!("列 {name}"),
        }
    }
}

/// Reads the records of an import file, checking the header against `columns`.
fn read_table(file: ImportFile, columns: &[&str]) -> anyhow::Result<Table> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(file.csv());
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
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.context("CSV 格式错误")?;
        // Workbooks and decoded CSV files alike come one record per spreadsheet row (blank rows
        // kept as empty records), so the record count is the row a spreadsheet shows.
        let line = i as u64 + 2;
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
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
        rows.push((line, cells));
    }
    Ok(Table { rows, file })
}

/// A section file read: the sections, the row of each, and the file for messages.
pub struct Sections {
    /// The sections.
    pub sections: Vec<WaterSection>,
    /// Row number of each.
    pub lines: Vec<u64>,
    table: Table,
}

/// Reads the section file (CSV or XLSX).
pub fn read_sections(file: ImportFile) -> anyhow::Result<Sections> {
    let table = read_table(file, &SECTION_COLUMNS)?;
    let (mut sections, mut lines) = (Vec::new(), Vec::new());
    for (line, c) in &table.rows {
        let opt = |v: &String| Some(v.clone()).filter(|v| !v.is_empty());
        let is_drinking_source = match c[7].to_ascii_lowercase().as_str() {
            "" | "0" | "false" | "no" | "否" => false,
            "1" | "true" | "yes" | "是" => true,
            other => bail!(
                "第 {line} 行，{}：应为 是/否（或 true/false、1/0），而不是「{other}」",
                table.column("drinking_source")
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
        lines.push(*line);
    }
    Ok(Sections {
        sections,
        lines,
        table,
    })
}

/// A sample file read: the results, the row of each, and the file for messages.
pub struct Samples {
    /// The results.
    pub samples: Vec<NewWaterSample>,
    /// Row number of each.
    pub lines: Vec<u64>,
    table: Table,
}

/// Reads the monthly sample file (CSV or XLSX); every cell is checked before anything is
/// written.
pub fn read_samples(file: ImportFile) -> anyhow::Result<Samples> {
    let table = read_table(file, &SAMPLE_COLUMNS)?;
    let (mut samples, mut lines) = (Vec::new(), Vec::new());
    for (line, c) in &table.rows {
        let item = sample_item_code(&c[2]).with_context(|| {
            format!(
                "第 {line} 行，{}：未知监测项目「{}」",
                table.column("item"),
                c[2]
            )
        })?;
        // `<DL` is how laboratories write a result below the detection limit DL.
        let (text, below_detection) = match c[3].strip_prefix('<') {
            Some(rest) => (rest.trim().to_string(), true),
            None => (c[3].clone(), false),
        };
        let value = Exact::parse(&text).map_err(|e| {
            anyhow::anyhow!(
                "第 {line} 行，{}：不是数值「{}」（{e}）",
                table.column("value"),
                c[3]
            )
        })?;
        if value.is_negative() {
            bail!(
                "第 {line} 行，{}：浓度不能为负「{}」",
                table.column("value"),
                c[3]
            );
        }
        if below_detection && value.is_zero() {
            bail!(
                "第 {line} 行，{}：检出限必须大于 0「{}」",
                table.column("value"),
                c[3]
            );
        }
        samples.push(NewWaterSample {
            section_code: c[0].clone(),
            date: c[1].clone(),
            item,
            value: text,
            below_detection,
            source: "import".to_string(),
        });
        lines.push(*line);
    }
    Ok(Samples {
        samples,
        lines,
        table,
    })
}

/// Turns a store refusal into a message naming the row and column.
fn refusal(file: &Path, lines: &[u64], table: &Table, e: WaterStoreError) -> anyhow::Error {
    match e {
        WaterStoreError::Invalid {
            row,
            column,
            message,
        } => {
            let line = lines.get(row.saturating_sub(1)).copied().unwrap_or(0);
            anyhow::anyhow!(
                "{}：第 {line} 行，{}：{message}；文件未导入",
                file.display(),
                table.column(&column)
            )
        }
        other => anyhow::Error::new(other).context(format!("{} 未导入", file.display())),
    }
}

/// Runs a water command.
pub fn run(cmd: WaterCommand) -> anyhow::Result<()> {
    match cmd {
        WaterCommand::Template { format, output } => {
            write_template(&format, output.as_deref(), &SAMPLE_COLUMNS, || {
                Ok(imports::template_xlsx(
                    &imports::WATER_SAMPLE_TEMPLATE,
                    &imports::water_sample_notes(),
                )?)
            })
        }
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
            let read = read_sections(read_import(&file)?)
                .with_context(|| format!("{} 未导入", file.display()))?;
            crate::runtime()?.block_on(async move {
                let store = Store::connect(&db).await?;
                store.migrate().await?;
                let n = store
                    .upsert_water_sections(&read.sections, &Actor::cli())
                    .await
                    .map_err(|e| refusal(&file, &read.lines, &read.table, e))?;
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
            let read = read_samples(read_import(&file)?)
                .with_context(|| format!("{} 未导入", file.display()))?;
            crate::runtime()?.block_on(async move {
                let store = Store::connect(&db).await?;
                store.migrate().await?;
                let (s, c) = store
                    .import_water_samples_changes(&read.samples, &Actor::cli())
                    .await
                    .map_err(|e| refusal(&file, &read.lines, &read.table, e))?;
                println!(
                    "已导入监测结果 {} 条（断面 {} 个，其中 {} 条为修订；与当前结果相同的 {} 条未写入），时段 {} 至 {}",
                    s.rows,
                    s.sections,
                    s.revised,
                    c.unchanged,
                    s.first_date.as_deref().unwrap_or("-"),
                    s.last_date.as_deref().unwrap_or("-")
                );
                anyhow::Ok(())
            })
        }
    }
}
