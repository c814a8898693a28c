//! `qingshan water …`: surface-water commands (logic lives in `qingshan_water`).

use std::fs::File;
use std::io::{self, BufReader};
use std::path::PathBuf;

use anyhow::{Context, bail};
use qingshan_app::imports;
use qingshan_store::{Actor, Store};
use qingshan_water::{ClassifyOptions, classify_csv_streaming};

use crate::input::{not_imported, read_import, write_template};
use crate::spool::Spool;

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
    /// Import monthly manual results from a CSV file or an XLSX workbook's first sheet into the
    /// store, all or nothing, every bad row listed. Long layout: 断面编码, 采样日期, 监测项目,
    /// 监测结果 (`<0.01` = below the detection limit 0.01); or wide: 断面编码, 采样日期 and one
    /// column per item (氨氮, 总磷, 高锰酸盐指数 …). Headers may be Chinese or codes
    /// (`section,date,item,value`). An item is a Table 1 item by name or code (氨氮, NH3-N,
    /// `NH3N`) or, at drinking-water sources only, a Table 2/3 item: `T2-1`…`T2-5`,
    /// `T3-1`…`T3-80` (or its Chinese or English name).
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
    /// 断面编码, 断面名称, 控制级别, 水体类型, 所属流域, 行政区划代码, 水质目标, 饮用水水源地 (or
    /// their codes `code,name,level,water_body,basin,division_code,target_class,drinking_source`).
    Import {
        /// Section file, CSV or XLSX (recognised by content); `-` reads stdin.
        file: PathBuf,
        /// Database URL: sqlite://FILE or postgres://USER@HOST/DB.
        #[arg(long, env = "QINGSHAN_DB", default_value = "sqlite://qingshan.db")]
        db: String,
    },
    /// Print the section file's header (CSV), or write an XLSX template with `-o`.
    Template {
        /// csv (the header row) or xlsx (a workbook with a 说明 sheet).
        #[arg(long, default_value = "csv", value_parser = ["csv", "xlsx"])]
        format: String,
        /// Output file; required for xlsx.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
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

/// Runs a water command.
pub fn run(cmd: WaterCommand) -> anyhow::Result<()> {
    match cmd {
        WaterCommand::Template { format, output } => write_template(
            &format,
            output.as_deref(),
            &imports::WATER_SAMPLE_TEMPLATE,
            &imports::water_sample_notes(),
        ),
        WaterCommand::Classify { file } => {
            // Row by row into a spool: memory stays flat whatever the input's size, and a
            // refused file still writes nothing.
            let mut spool = Spool::new();
            let options = ClassifyOptions::default();
            match file {
                Some(path) if path.as_os_str() != "-" => {
                    let f = File::open(&path)
                        .with_context(|| format!("cannot open {}", path.display()))?;
                    classify_csv_streaming(
                        BufReader::with_capacity(64 * 1024, f),
                        &mut spool,
                        &options,
                    )
                    .with_context(|| format!("{}", path.display()))?;
                }
                _ => {
                    classify_csv_streaming(io::stdin().lock(), &mut spool, &options)
                        .context("standard input")?;
                }
            }
            spool.release(&mut io::stdout().lock())?;
            Ok(())
        }
        WaterCommand::Sections {
            command: SectionsCommand::Import { file, db },
        } => {
            let import = read_import(&file)?;
            crate::runtime()?.block_on(async move {
                let store = Store::connect(&db).await?;
                store.migrate().await?;
                let n = imports::water::import_sections(&store, &Actor::cli(), import)
                    .await
                    .map_err(|e| not_imported(&file, e))?;
                println!("已导入水质断面 {n} 个");
                anyhow::Ok(())
            })
        }
        WaterCommand::Sections {
            command: SectionsCommand::Template { format, output },
        } => write_template(
            &format,
            output.as_deref(),
            &imports::WATER_SECTION_TEMPLATE,
            &imports::TemplateNotes::default(),
        ),
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
            let import = read_import(&file)?;
            crate::runtime()?.block_on(async move {
                let store = Store::connect(&db).await?;
                store.migrate().await?;
                let (s, c) = imports::water::import_samples(&store, &Actor::cli(), import)
                    .await
                    .map_err(|e| not_imported(&file, e))?;
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
