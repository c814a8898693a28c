//! Output held back until the whole input is known to be good, in bounded memory.
//!
//! `air aqi` and `water classify` promise that nothing is written when any input row is bad,
//! yet they read and compute row by row. Their output goes to a [`Spool`]: memory up to
//! [`MEMORY_LIMIT`], then an unnamed temporary file, and only onto standard output once the
//! last row was accepted. A refused file leaves nothing behind.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::PathBuf;

/// Output kept in memory before the spool moves to a temporary file: small outputs never
/// touch the disk, large ones cost no more memory than this.
pub const MEMORY_LIMIT: usize = 8 * 1024 * 1024;

/// Output written but not yet released (see the module documentation).
pub struct Spool {
    memory: Vec<u8>,
    file: Option<(File, Option<PathBuf>)>,
    limit: usize,
}

impl Spool {
    /// An empty spool holding up to [`MEMORY_LIMIT`] bytes in memory.
    pub fn new() -> Spool {
        Spool::with_limit(MEMORY_LIMIT)
    }

    /// An empty spool holding up to `limit` bytes in memory.
    pub fn with_limit(limit: usize) -> Spool {
        Spool {
            memory: Vec::new(),
            file: None,
            limit,
        }
    }

    /// Whether the output went to a temporary file.
    #[cfg(test)]
    pub fn spilled(&self) -> bool {
        self.file.is_some()
    }

    /// Moves what is in memory to a new temporary file in the system's temporary directory.
    fn spill(&mut self) -> io::Result<()> {
        let dir = std::env::temp_dir();
        let mut attempt = 0u32;
        let (mut file, path) = loop {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let path = dir.join(format!(
                "qingshan-spool-{}-{nanos}-{attempt}",
                std::process::id()
            ));
            match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(f) => break (f, path),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        };
        // On Unix the open file outlives its name: removing it now means even a killed
        // process leaves nothing in the temporary directory. Elsewhere it goes on drop.
        let kept = if cfg!(unix) && std::fs::remove_file(&path).is_ok() {
            None
        } else {
            Some(path)
        };
        file.write_all(&self.memory)?;
        self.memory = Vec::new();
        self.file = Some((file, kept));
        Ok(())
    }

    /// Writes everything spooled to `out`, then flushes it.
    pub fn release<W: Write>(mut self, out: &mut W) -> io::Result<()> {
        match self.file.as_mut() {
            None => out.write_all(&self.memory)?,
            Some((file, _)) => {
                file.flush()?;
                file.seek(SeekFrom::Start(0))?;
                io::copy(file, out)?;
            }
        }
        out.flush()
    }
}

impl Default for Spool {
    fn default() -> Self {
        Spool::new()
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.file.is_none() && self.memory.len() + buf.len() > self.limit {
            self.spill()?;
        }
        match self.file.as_mut() {
            Some((file, _)) => file.write(buf),
            None => {
                self.memory.extend_from_slice(buf);
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some((file, _)) => file.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        if let Some((_, Some(path))) = self.file.take() {
            // Best effort: a temporary file left behind is the system's to clean.
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_output_stays_in_memory_and_large_spills() {
        let mut s = Spool::with_limit(16);
        s.write_all(b"0123456789").unwrap();
        assert!(!s.spilled());
        let mut out = Vec::new();
        s.release(&mut out).unwrap();
        assert_eq!(out, b"0123456789");

        let mut s = Spool::with_limit(16);
        let text: Vec<u8> = (0..10_000u32).flat_map(|i| i.to_le_bytes()).collect();
        for chunk in text.chunks(7) {
            s.write_all(chunk).unwrap();
        }
        assert!(s.spilled());
        let mut out = Vec::new();
        s.release(&mut out).unwrap();
        assert_eq!(out, text);
    }
}
