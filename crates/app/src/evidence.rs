//! Evidence files (佐证材料) of task progress reports: which files are accepted (recognised by
//! their content, never by the name or type the client claims), the limits of an upload, and
//! the checks every received file passes before it is stored.
//!
//! Evidence is for signed-in users only, listing and download alike: it is the departments'
//! working material (scans of internal documents, site photos with people in them), while the
//! public keeps seeing each task's status and narrative as before.

use std::fmt::Write as _;

use qingshan_store::NewEvidence;

use crate::Error;

/// Largest evidence file accepted unless configured otherwise: 20 MiB.
pub const DEFAULT_MAX_BYTES: usize = 20 * 1024 * 1024;
/// Most files one request may carry.
pub const MAX_FILES: usize = 10;
/// Room in a request body for the text fields and the multipart framing besides the files.
pub const FORM_OVERHEAD: usize = 1024 * 1024;
/// Longest text field of an upload form; the narrative (5000 characters) fits.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;
/// Longest kept file name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// What the refusals and the forms list as accepted.
pub const ACCEPTED_LABEL: &str = "PDF、JPEG、PNG、OFD、DOCX、XLSX";
/// The `accept` attribute of the file inputs (a convenience for the browser, not a check).
pub const ACCEPT_ATTR: &str = ".pdf,.jpg,.jpeg,.png,.ofd,.docx,.xlsx";
/// Audit action of uploads and their refusals.
/// The request body limit of a route that takes uploads.
pub fn body_limit(max_file: usize) -> usize {
    max_file
        .saturating_mul(MAX_FILES)
        .saturating_add(FORM_OVERHEAD)
}

/// An accepted kind of evidence file, as recognised from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// PDF (`%PDF-`).
    Pdf,
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (its 8-byte signature).
    Png,
    /// OFD, GB/T 33190 (a zip with `OFD.xml` at its root).
    Ofd,
    /// Word (a zip with `[Content_Types].xml` and `word/`).
    Docx,
    /// Excel (a zip with `[Content_Types].xml` and `xl/`).
    Xlsx,
}

impl Kind {
    /// MIME type served on download.
    pub fn mime(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Ofd => "application/ofd",
            Kind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Kind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// File name extensions of the kind, the usual one first.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Kind::Pdf => &["pdf"],
            Kind::Jpeg => &["jpg", "jpeg"],
            Kind::Png => &["png"],
            Kind::Ofd => &["ofd"],
            Kind::Docx => &["docx"],
            Kind::Xlsx => &["xlsx"],
        }
    }
}

const ZIP_LOCAL: &[u8] = b"PK\x03\x04";

/// Recognises an accepted file by its content; otherwise says what the content is.
pub fn sniff(bytes: &[u8]) -> Result<Kind, String> {
    if bytes.starts_with(b"%PDF-") {
        return Ok(Kind::Pdf);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Kind::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Kind::Png);
    }
    if bytes.starts_with(ZIP_LOCAL) {
        let Some(names) = zip_entry_names(bytes) else {
            return Err("损坏或无法读取目录的 ZIP 压缩包".into());
        };
        let has = |n: &str| names.iter().any(|x| x == n);
        let under = |dir: &str| names.iter().any(|x| x.starts_with(dir));
        if has("OFD.xml") {
            return Ok(Kind::Ofd);
        }
        if has("[Content_Types].xml") {
            if under("word/") {
                return Ok(Kind::Docx);
            }
            if under("xl/") {
                return Ok(Kind::Xlsx);
            }
            if under("ppt/") {
                return Err("PPTX 演示文稿".into());
            }
            return Err("其他 Office Open XML 文件（无 word/ 或 xl/ 目录）".into());
        }
        return Err("ZIP 压缩包（既无 OFD.xml，也无 [Content_Types].xml）".into());
    }
    Err(describe(bytes))
}

/// What an unaccepted file is, in words, for the refusal.
fn describe(bytes: &[u8]) -> String {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"MZ", "Windows 可执行程序（MZ）"),
        (b"\x7fELF", "Linux 可执行程序（ELF）"),
        (b"\xcf\xfa\xed\xfe", "macOS 可执行程序（Mach-O）"),
        (b"\xce\xfa\xed\xfe", "macOS 可执行程序（Mach-O）"),
        (b"\xca\xfe\xba\xbe", "Java 类文件或 macOS 通用程序"),
        (b"#!", "脚本（#!）"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            "旧版 Office 文档（.doc/.xls/.ppt）",
        ),
        (b"GIF87a", "GIF 图像"),
        (b"GIF89a", "GIF 图像"),
        (b"II*\x00", "TIFF 图像"),
        (b"MM\x00*", "TIFF 图像"),
        (b"Rar!", "RAR 压缩包"),
        (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
        (b"\x1f\x8b", "gzip 压缩包"),
        (b"PK\x05\x06", "空 ZIP 压缩包"),
        (b"{\\rtf", "RTF 文档"),
    ];
    if bytes.is_empty() {
        return "空文件".into();
    }
    if let Some((_, what)) = SIGNATURES.iter().find(|(sig, _)| bytes.starts_with(sig)) {
        return (*what).into();
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return "WebP 图像".into();
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_lowercase();
    let text = head.trim_start_matches('\u{feff}').trim_start();
    for (tag, what) in [
        ("<!doctype html", "HTML 网页"),
        ("<html", "HTML 网页"),
        ("<head", "HTML 网页"),
        ("<body", "HTML 网页"),
        ("<script", "HTML 网页（含脚本）"),
        ("<svg", "SVG 图像"),
        ("<?xml", "XML 文档"),
    ] {
        if text.starts_with(tag) {
            return what.into();
        }
    }
    if std::str::from_utf8(&bytes[..bytes.len().min(4096)]).is_ok() {
        return "纯文本".into();
    }
    let mut hexes = String::new();
    for b in bytes.iter().take(8) {
        let _ = write!(hexes, "{b:02X} ");
    }
    format!("未知格式（开头字节 {}）", hexes.trim_end())
}

/// The entry names of a zip archive, read from its central directory (what zip readers,
/// Office and OFD readers among them, go by) by the `zip` crate, which the XLSX reader uses
/// too; `None` when there is no readable directory. Nothing is decompressed.
fn zip_entry_names(b: &[u8]) -> Option<Vec<String>> {
    let archive = zip::ZipArchive::new(std::io::Cursor::new(b)).ok()?;
    archive
        .file_names()
        .map(|n| n.ok().map(|n| n.into_owned()))
        .collect()
}

/// A client-given file name made safe to show and to offer as a download name: no directory
/// part, no control or bidirectional-override characters (which can disguise an extension),
/// none of the characters Windows forbids, no leading dots, at most [`MAX_NAME_CHARS`].
/// May come back empty.
pub fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| {
            !matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
        })
        .map(|c| {
            if c.is_control() || "<>:\"|?*".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned
        .trim()
        .trim_start_matches('.')
        .trim_end_matches(['.', ' ']);
    if trimmed.chars().count() <= MAX_NAME_CHARS {
        return trimmed.to_string();
    }
    // Too long: shorten the stem and keep the extension.
    let (stem, ext) = match trimmed.rsplit_once('.') {
        Some((s, e)) if e.chars().count() <= 10 => (s, Some(e)),
        _ => (trimmed, None),
    };
    let keep = MAX_NAME_CHARS - ext.map_or(0, |e| e.chars().count() + 1);
    let mut out: String = stem.chars().take(keep).collect();
    if let Some(e) = ext {
        out.push('.');
        out.push_str(e);
    }
    out
}

/// The name a file is stored and downloaded under: [`clean_name`], with the extension of
/// the kind its content was recognised as when the given one is another, so that it opens in
/// the right program.
pub fn stored_name(raw: &str, kind: Kind) -> String {
    let mut name = clean_name(raw);
    if name.is_empty() {
        name = "佐证材料".into();
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !kind.extensions().contains(&ext.as_str()) {
        name.push('.');
        name.push_str(kind.extensions()[0]);
    }
    name
}

/// A size in words: 512 字节, 12.5 KB, 20 MB.
pub fn fmt_size(bytes: u64) -> String {
    const K: f64 = 1024.0;
    let b = bytes as f64;
    let (v, unit) = if bytes < 1024 {
        return format!("{bytes} 字节");
    } else if b < K * K {
        (b / K, "KB")
    } else {
        (b / (K * K), "MB")
    };
    let text = format!("{v:.1}");
    format!("{} {unit}", text.trim_end_matches(".0"))
}

/// A file part as received, before its checks.
pub struct Received {
    /// The name the client gave.
    pub name: String,
    /// The bytes; only the first ones when the file went past the limit.
    pub bytes: Vec<u8>,
    /// Its full size.
    pub size: u64,
}

/// The file parts of an upload.
#[derive(Default)]
pub struct Files {
    /// Up to [`MAX_FILES`] of them.
    pub list: Vec<Received>,
    /// How many more came, counted and dropped.
    pub extra: usize,
}

impl Files {
    /// Whether no file came.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty() && self.extra == 0
    }
}

/// Checks each file's size and content. On refusal: the error and the offending file's name
/// (boxed: the refusal is the rare path).
pub fn check_files(
    files: Files,
    max_file: usize,
) -> Result<Vec<NewEvidence>, Box<(Error, Option<String>)>> {
    if files.extra > 0 {
        return Err(Box::new((
            Error::invalid(
                "files",
                format!(
                    "每次最多上传 {MAX_FILES} 个文件，本次共 {} 个",
                    files.list.len() + files.extra
                ),
            ),
            None,
        )));
    }
    let mut out = Vec::with_capacity(files.list.len());
    for f in files.list {
        let shown = clean_name(&f.name);
        if f.size > max_file as u64 {
            return Err(Box::new((
                Error::TooLarge(format!(
                    "文件「{shown}」大小为 {}，超过每个文件 {} 的上限",
                    fmt_size(f.size),
                    fmt_size(max_file as u64)
                )),
                Some(shown),
            )));
        }
        let kind = match sniff(&f.bytes) {
            Ok(k) => k,
            Err(found) => {
                return Err(Box::new((
                    Error::UnsupportedType(format!(
                        "文件「{shown}」的内容是{found}，不是可接受的佐证材料（{ACCEPTED_LABEL}）"
                    )),
                    Some(shown),
                )));
            }
        };
        out.push(NewEvidence {
            file_name: stored_name(&f.name, kind),
            content_type: kind.mime().to_string(),
            content: f.bytes,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // Uploads are outside input: no byte string may make the sniffer panic, and whatever
        // it accepts must carry the signature it claims.
        #[test]
        fn sniff_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            if let Ok(kind) = sniff(&bytes) {
                let signed = bytes.starts_with(b"%PDF-")
                    || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
                    || bytes.starts_with(b"\x89PNG\r\n\x1a\n")
                    || bytes.starts_with(ZIP_LOCAL);
                prop_assert!(signed, "{kind:?} without its signature");
            }
        }

        // Corrupted directories of a real archive are refused or read, never a panic.
        #[test]
        fn damaged_zip_never_panics(at in 0usize..400, byte in any::<u8>(), cut in 0usize..400) {
            let mut z = zip_with(&["[Content_Types].xml", "word/document.xml"]);
            let i = at % z.len();
            z[i] = byte;
            z.truncate(z.len() - cut % z.len());
            let _ = sniff(&z);
        }

        // A cleaned name never has a directory part, control or bidi characters, or more
        // than the allowed length.
        #[test]
        fn clean_names_are_safe(raw in "\\PC{0,300}") {
            let n = clean_name(&raw);
            prop_assert!(n.chars().count() <= MAX_NAME_CHARS);
            prop_assert!(!n.contains('/') && !n.contains('\\'));
            let bidi = |c: char| ('\u{202a}'..='\u{202e}').contains(&c);
            let unsafe_char = n.chars().any(|c| c.is_control() || bidi(c));
            prop_assert!(!unsafe_char, "unsafe character in {:?}", n);
            prop_assert!(!n.starts_with('.'));
        }
    }

    /// A zip with these entries, stored (no compression), written by the zip crate.
    fn zip_with(names: &[&str]) -> Vec<u8> {
        use std::io::Write as _;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for n in names {
            w.start_file(*n, opts).unwrap();
            w.write_all(b"x").unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn accepted_kinds_are_recognised_by_content() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Ok(Kind::Pdf));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Ok(Kind::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Ok(Kind::Png));
        assert_eq!(
            sniff(&zip_with(&["OFD.xml", "Doc_0/Document.xml"])),
            Ok(Kind::Ofd)
        );
        assert_eq!(
            sniff(&zip_with(&[
                "[Content_Types].xml",
                "_rels/.rels",
                "word/document.xml"
            ])),
            Ok(Kind::Docx)
        );
        assert_eq!(
            sniff(&zip_with(&["[Content_Types].xml", "xl/workbook.xml"])),
            Ok(Kind::Xlsx)
        );
    }

    #[test]
    fn other_content_is_named() {
        let refused = |b: &[u8]| sniff(b).unwrap_err();
        assert!(refused(b"MZ\x90\0\x03\0\0\0").contains("Windows 可执行程序"));
        assert!(refused(b"\x7fELF\x02\x01").contains("ELF"));
        assert!(refused(b"\xef\xbb\xbf  <!DOCTYPE html><p>").contains("HTML"));
        assert!(refused(b"<script>alert(1)</script>").contains("HTML"));
        assert!(refused(b"GIF89a....").contains("GIF"));
        assert!(refused(b"just some words").contains("纯文本"));
        assert_eq!(refused(b""), "空文件");
        assert!(refused(&[0x00, 0x01, 0xFE, 0xFF, 0x80]).contains("00 01 FE FF 80"));
        assert!(refused(&zip_with(&["a.txt"])).contains("ZIP 压缩包"));
        assert!(
            refused(&zip_with(&["[Content_Types].xml", "ppt/presentation.xml"])).contains("PPTX")
        );
        // A zip's start with no directory behind it.
        assert!(refused(b"PK\x03\x04garbage").contains("损坏"));
        // "PDF" somewhere later does not count.
        assert!(refused(b"<html>%PDF-1.7").contains("HTML"));
    }

    #[test]
    fn names_are_cleaned_and_match_the_content() {
        assert_eq!(
            stored_name("C:\\Users\\张三\\验收报告.pdf", Kind::Pdf),
            "验收报告.pdf"
        );
        assert_eq!(stored_name("../../etc/passwd", Kind::Pdf), "passwd.pdf");
        assert_eq!(stored_name("照片.JPEG", Kind::Jpeg), "照片.JPEG");
        assert_eq!(stored_name("scan.pdf", Kind::Png), "scan.pdf.png");
        assert_eq!(stored_name("", Kind::Docx), "佐证材料.docx");
        assert_eq!(stored_name("...", Kind::Pdf), "佐证材料.pdf");
        // A right-to-left override (U+202E) would show "evil<RLO>fdp.exe" as "evilexe.pdf".
        assert_eq!(
            stored_name("evil\u{202e}fdp.exe", Kind::Pdf),
            "evilfdp.exe.pdf"
        );
        assert_eq!(stored_name("a\"b<c>|d\n.pdf", Kind::Pdf), "a_b_c__d_.pdf");
        let long = format!("{}.pdf", "长".repeat(300));
        let cut = stored_name(&long, Kind::Pdf);
        assert_eq!(cut.chars().count(), MAX_NAME_CHARS);
        assert!(cut.ends_with("长.pdf"));
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(fmt_size(512), "512 字节");
        assert_eq!(fmt_size(1536), "1.5 KB");
        assert_eq!(fmt_size(20 * 1024 * 1024), "20 MB");
        assert_eq!(body_limit(DEFAULT_MAX_BYTES), 201 * 1024 * 1024);
    }
}
