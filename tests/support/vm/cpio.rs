//! A writer of "newc" cpio archives, the format the kernel unpacks into its
//! root file system from an initramfs. Entries are written as they come;
//! each parent directory is written once, before its first child.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

pub struct Cpio {
    out: BufWriter<File>,
    written: u64,
    next_ino: u32,
    dirs: HashSet<String>,
}

const DIR: u32 = 0o040000;
const FILE: u32 = 0o100000;
const SYMLINK: u32 = 0o120000;

impl Cpio {
    pub fn create(path: &Path) -> io::Result<Cpio> {
        let out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        Ok(Cpio { out, written: 0, next_ino: 1, dirs: HashSet::new() })
    }

    /// A directory (and its parents), unless written already.
    pub fn dir(&mut self, path: &str) -> io::Result<()> {
        let path = path.trim_end_matches('/');
        if path.is_empty() || self.dirs.contains(path) {
            return Ok(());
        }
        self.parents(path)?;
        self.dirs.insert(path.to_string());
        self.header(path, DIR | 0o755, 0)
    }

    /// A regular file with the given bytes.
    pub fn file(&mut self, path: &str, mode: u32, data: &[u8]) -> io::Result<()> {
        self.parents(path)?;
        self.header(path, FILE | (mode & 0o7777), data.len() as u64)?;
        self.write(data)?;
        self.pad()
    }

    /// A regular file copied from `source`, with the source's permissions.
    pub fn copy(&mut self, path: &str, source: &Path) -> io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let mut input = File::open(source)?;
        let meta = input.metadata()?;
        self.parents(path)?;
        self.header(path, FILE | (meta.permissions().mode() & 0o7777), meta.len())?;
        let mut buf = vec![0u8; 1 << 20];
        let mut left = meta.len();
        while left > 0 {
            let n = input.read(&mut buf)?;
            if n == 0 {
                return Err(io::Error::other(format!("{} shrank while being copied", source.display())));
            }
            let n = n.min(left as usize);
            self.write(&buf[..n])?;
            left -= n as u64;
        }
        self.pad()
    }

    pub fn symlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        self.parents(path)?;
        self.header(path, SYMLINK | 0o777, target.len() as u64)?;
        self.write(target.as_bytes())?;
        self.pad()
    }

    /// The trailer; the archive is complete after it.
    pub fn finish(mut self) -> io::Result<()> {
        self.header("TRAILER!!!", 0, 0)?;
        // Padded to a whole block, as cpio(1) does.
        let pad = (512 - self.written % 512) % 512;
        self.write(&vec![0; pad as usize])?;
        self.out.flush()?;
        self.out.get_ref().sync_all()
    }

    fn parents(&mut self, path: &str) -> io::Result<()> {
        match path.rsplit_once('/') {
            Some((parent, _)) if !parent.is_empty() => self.dir(parent),
            _ => Ok(()),
        }
    }

    fn header(&mut self, path: &str, mode: u32, size: u64) -> io::Result<()> {
        // The kernel wants names without the leading slash, NUL-terminated.
        let name = path.trim_start_matches('/');
        let name = if name.is_empty() { "." } else { name };
        let size = u32::try_from(size).map_err(|_| io::Error::other(format!("{path} is over 4 GiB")))?;
        let ino = self.next_ino;
        self.next_ino += 1;
        let nlink = if mode & 0o170000 == DIR { 2 } else { 1 };
        let fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, name.len() as u32 + 1, 0];
        let mut header = String::with_capacity(110 + name.len() + 1);
        header.push_str("070701");
        for field in fields {
            header.push_str(&format!("{field:08X}"));
        }
        header.push_str(name);
        header.push('\0');
        self.write(header.as_bytes())?;
        self.pad()
    }

    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.out.write_all(data)?;
        self.written += data.len() as u64;
        Ok(())
    }

    fn pad(&mut self) -> io::Result<()> {
        let pad = (4 - self.written % 4) % 4;
        self.write(&[0; 3][..pad as usize])
    }
}
