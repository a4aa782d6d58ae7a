//! Checkpoint files: what a run needs to go on after it was stopped or
//! killed, written next to its results file (`<results>.checkpoint`).
//!
//! Layout (little-endian): the magic `SPKSIMCK`, a format number (u32), the
//! header length (u64), the header, its FNV-1a hash (u64), then per rank the
//! length (u64) and FNV-1a hash (u64) of its state, then the states in rank
//! order. The header holds, each string as length (u64) and UTF-8 bytes:
//! spikesim's version, a hash of the program file that wrote it, the model
//! text, ranks, threads per rank, the grid step reached, the run id (shared
//! with the results file being written) and the positions of every dataset
//! of that file at the step.
//!
//! A checkpoint is written beside its path and renamed onto it once synced,
//! so the path always holds a whole checkpoint, the last one. Each rank
//! reads only the header and its own state.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::IoError;

const MAGIC: &[u8; 8] = b"SPKSIMCK";
const FORMAT: u32 = 1;

/// Whether `path` starts with a checkpoint's magic bytes (for telling a
/// checkpoint from other files, before any of it is read as one).
pub fn has_magic(path: &Path) -> bool {
    let mut magic = [0u8; 8];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| &magic == MAGIC)
}

/// What a checkpoint says about the run it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The spikesim version that wrote it.
    pub version: String,
    /// FNV-1a hash of the program file that wrote it.
    pub program: u64,
    /// The model text the run simulates.
    pub model: String,
    /// MPI processes of the run.
    pub ranks: u32,
    /// Worker threads per process.
    pub threads: u32,
    /// Grid step reached.
    pub step: u64,
    /// The run that wrote it (the results file's `run_id`).
    pub run_id: u64,
    /// Every dataset's length in the results file at `step`.
    pub positions: Vec<u64>,
}

/// Where the checkpoint of the run writing `results` lives.
pub fn path_for(results: &Path) -> PathBuf {
    let mut name = results.file_name().unwrap_or_default().to_os_string();
    name.push(".checkpoint");
    results.with_file_name(name)
}

/// FNV-1a hash of this program's file, computed once (0 if unreadable).
pub fn program_hash() -> u64 {
    static HASH: OnceLock<u64> = OnceLock::new();
    *HASH.get_or_init(|| {
        std::env::current_exe()
            .and_then(std::fs::read)
            .map_or(0, |bytes| fnv1a(&bytes))
    })
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u64(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn encode_header(h: &Header) -> Vec<u8> {
    let mut out = Vec::new();
    put_str(&mut out, &h.version);
    put_u64(&mut out, h.program);
    put_str(&mut out, &h.model);
    put_u64(&mut out, h.ranks as u64);
    put_u64(&mut out, h.threads as u64);
    put_u64(&mut out, h.step);
    put_u64(&mut out, h.run_id);
    put_u64(&mut out, h.positions.len() as u64);
    for &p in &h.positions {
        put_u64(&mut out, p);
    }
    out
}

/// Reads what [`encode_header`] wrote; `None` if it does not parse.
fn decode_header(bytes: &[u8]) -> Option<Header> {
    let mut r = Reader { bytes, at: 0 };
    let version = r.string()?;
    let program = r.u64()?;
    let model = r.string()?;
    let ranks = u32::try_from(r.u64()?).ok()?;
    let threads = u32::try_from(r.u64()?).ok()?;
    let step = r.u64()?;
    let run_id = r.u64()?;
    let n = r.u64()? as usize;
    if n > bytes.len() / 8 {
        return None;
    }
    let positions = (0..n).map(|_| r.u64()).collect::<Option<Vec<_>>>()?;
    (r.at == bytes.len()).then_some(Header {
        version,
        program,
        model,
        ranks,
        threads,
        step,
        run_id,
        positions,
    })
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn u64(&mut self) -> Option<u64> {
        let v = u64::from_le_bytes(self.bytes.get(self.at..self.at + 8)?.try_into().ok()?);
        self.at += 8;
        Some(v)
    }

    fn string(&mut self) -> Option<String> {
        let n = usize::try_from(self.u64()?).ok()?;
        let end = self.at.checked_add(n)?;
        let s = std::str::from_utf8(self.bytes.get(self.at..end)?).ok()?;
        self.at = end;
        Some(s.to_string())
    }
}

fn file_error(path: &Path, action: &'static str, source: std::io::Error) -> IoError {
    IoError::File {
        path: path.to_path_buf(),
        action,
        source,
    }
}

fn malformed(path: &Path, detail: impl ToString) -> IoError {
    IoError::Malformed {
        path: path.to_path_buf(),
        object: "checkpoint".into(),
        detail: detail.to_string(),
    }
}

/// Write a checkpoint of `header` and every rank's state to `path`,
/// replacing the previous one only once the new one is whole on disk.
pub fn write(path: &Path, header: &Header, states: &[Vec<u8>]) -> Result<(), IoError> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    let partial = path.with_file_name(name);
    let written = write_to(&partial, header, states);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, path)
        .map_err(|e| file_error(path, "move the new checkpoint into place", e))?;
    // The rename itself must reach the disk before the run goes on.
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

fn write_to(partial: &Path, header: &Header, states: &[Vec<u8>]) -> Result<(), IoError> {
    let file = File::create(partial).map_err(|e| file_error(partial, "create it", e))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let head = encode_header(header);
    let mut front = Vec::new();
    front.extend_from_slice(MAGIC);
    front.extend_from_slice(&FORMAT.to_le_bytes());
    put_u64(&mut front, head.len() as u64);
    front.extend_from_slice(&head);
    put_u64(&mut front, fnv1a(&head));
    put_u64(&mut front, states.len() as u64);
    for s in states {
        put_u64(&mut front, s.len() as u64);
        put_u64(&mut front, fnv1a(s));
    }
    let io = |e| file_error(partial, "write it", e);
    w.write_all(&front).map_err(io)?;
    for s in states {
        w.write_all(s).map_err(io)?;
    }
    let file = w.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)
}

/// Where a rank's state is in a checkpoint file: offset, length, hash.
pub type StateAt = (u64, u64, u64);

/// The header of the checkpoint at `path`, and where each rank's state is.
pub fn read_header(path: &Path) -> Result<(Header, Vec<StateAt>), IoError> {
    let mut file = match File::open(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(IoError::NotFound {
                path: path.to_path_buf(),
            });
        }
        r => r.map_err(|e| file_error(path, "read it", e))?,
    };
    let size = file
        .metadata()
        .map_err(|e| file_error(path, "read it", e))?
        .len();
    let mut fixed = [0u8; 20];
    file.read_exact(&mut fixed)
        .map_err(|_| malformed(path, "too short to be a spikesim checkpoint"))?;
    if &fixed[..8] != MAGIC {
        return Err(malformed(path, "not a spikesim checkpoint"));
    }
    let format = u32::from_le_bytes(fixed[8..12].try_into().expect("4 bytes"));
    if format != FORMAT {
        return Err(malformed(
            path,
            format!("checkpoint format {format}, this spikesim reads {FORMAT}"),
        ));
    }
    let head_len = u64::from_le_bytes(fixed[12..20].try_into().expect("8 bytes"));
    if head_len > size {
        return Err(malformed(path, "cut short"));
    }
    let mut head = vec![0u8; head_len as usize];
    let mut hash = [0u8; 16];
    file.read_exact(&mut head)
        .and_then(|()| file.read_exact(&mut hash))
        .map_err(|_| malformed(path, "cut short"))?;
    if u64::from_le_bytes(hash[..8].try_into().expect("8 bytes")) != fnv1a(&head) {
        return Err(malformed(path, "its header is damaged"));
    }
    let header = decode_header(&head).ok_or_else(|| malformed(path, "its header is damaged"))?;
    let ranks = u64::from_le_bytes(hash[8..].try_into().expect("8 bytes"));
    if ranks != header.ranks as u64 {
        return Err(malformed(path, "its table of states is damaged"));
    }
    let mut table = vec![0u8; 16 * ranks as usize];
    file.read_exact(&mut table)
        .map_err(|_| malformed(path, "cut short"))?;
    let mut offset = 20 + head_len + 16 + 16 * ranks;
    let mut states = Vec::new();
    for entry in table.chunks_exact(16) {
        let len = u64::from_le_bytes(entry[..8].try_into().expect("8 bytes"));
        let hash = u64::from_le_bytes(entry[8..].try_into().expect("8 bytes"));
        states.push((offset, len, hash));
        offset = offset.saturating_add(len);
    }
    if offset != size {
        return Err(malformed(
            path,
            format!("{size} bytes where its table says {offset}"),
        ));
    }
    Ok((header, states))
}

/// Rank `rank`'s state in the checkpoint at `path`.
pub fn read_state(path: &Path, rank: usize) -> Result<Vec<u8>, IoError> {
    let (_, states) = read_header(path)?;
    let &(offset, len, hash) = states
        .get(rank)
        .ok_or_else(|| malformed(path, format!("no state for rank {rank}")))?;
    let mut file = File::open(path).map_err(|e| file_error(path, "read it", e))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| file_error(path, "read it", e))?;
    let mut bytes = crate::model::memory::try_vec(len as usize, 0u8, "the checkpoint's state")
        .map_err(|source| IoError::Memory {
            path: path.to_path_buf(),
            source,
        })?;
    file.read_exact(&mut bytes)
        .map_err(|_| malformed(path, "cut short"))?;
    if fnv1a(&bytes) != hash {
        return Err(malformed(
            path,
            format!("the state of rank {rank} is damaged"),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            version: "0.1.0".into(),
            program: 42,
            model: "[simulation]\nseed = 1\n".into(),
            ranks: 2,
            threads: 3,
            step: 1000,
            run_id: 0xdead_beef,
            positions: vec![1, 2, 3, 400],
        }
    }

    #[test]
    fn a_checkpoint_reads_back_as_written_and_replaces_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.h5.checkpoint");
        let states = vec![vec![1u8, 2, 3], vec![9u8; 1000]];
        write(&path, &header(), &states).unwrap();
        let (h, _) = read_header(&path).unwrap();
        assert_eq!(h, header());
        assert_eq!(read_state(&path, 0).unwrap(), states[0]);
        assert_eq!(read_state(&path, 1).unwrap(), states[1]);
        let later = Header {
            step: 2000,
            ..header()
        };
        write(&path, &later, &[vec![], vec![7]]).unwrap();
        assert_eq!(read_header(&path).unwrap().0.step, 2000);
        assert_eq!(read_state(&path, 1).unwrap(), vec![7]);
        assert!(!dir.path().join("run.h5.checkpoint.partial").exists());
    }

    #[test]
    fn damaged_or_foreign_files_are_errors_that_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c");
        write(&path, &header(), &[vec![5u8; 64], vec![6u8; 64]]).unwrap();
        let whole = std::fs::read(&path).unwrap();
        // Every cut and every flipped byte is refused, never taken.
        for cut in [0, 7, 20, 60, whole.len() - 1] {
            std::fs::write(&path, &whole[..cut]).unwrap();
            let r = read_header(&path).and_then(|_| read_state(&path, 1));
            let e = r.unwrap_err().to_string();
            assert!(e.contains(&path.display().to_string()), "{e}");
        }
        for at in (0..whole.len()).step_by(7) {
            let mut bad = whole.clone();
            bad[at] ^= 0x40;
            std::fs::write(&path, &bad).unwrap();
            let r = read_header(&path).and_then(|_| {
                read_state(&path, 0)?;
                read_state(&path, 1)
            });
            assert!(r.is_err(), "a flipped byte at {at} went unnoticed");
        }
        std::fs::write(&path, b"hello").unwrap();
        assert!(read_header(&path).is_err());
        assert!(matches!(
            read_header(&dir.path().join("none")),
            Err(IoError::NotFound { .. })
        ));
    }
}
