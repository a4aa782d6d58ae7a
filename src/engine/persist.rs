//! Saving and restoring the mutable state of a simulation as bytes, so that
//! a run resumed from a checkpoint continues bit for bit.
//!
//! One method does both directions: [`Persist::persist`] walks an object's
//! state through a [`Snapshot`], which either appends each value to its
//! bytes (saving) or overwrites the value with the next one read (loading).
//! A type therefore cannot save something it does not load. What the model
//! file fixes (parameters, synapse tables, schedules) is rebuilt from the
//! model, not saved: state is loaded into a freshly built network of the
//! same model. Where the structure of that network must match the bytes
//! (sizes, populations, slot counts), the bytes say what they expect and
//! loading checks it, so that bytes of another model or partition are an
//! error that names what differs, never a panic or a silently wrong run.
//!
//! Format: little-endian scalars (`f64` as its bits, so NaN payloads and
//! signed zeros come back exactly; `usize` as `u64`; `bool` as one byte),
//! sequences as a `u64` length and their elements, random generators as
//! their 128-bit state and increment. Each top-level object is a *section*:
//! a tag and the byte length of its contents, so a mismatch is caught at
//! the first object that differs and the message names it.
//!
//! Loading records the first error and then does nothing more; the object
//! being loaded is left partly overwritten and must be dropped.

use std::fmt::Display;

use rand_pcg::Pcg64;

use crate::synapse::{Arrival, EventRing};

/// Why bytes could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersistError {
    #[error("{at}: truncated: {needed} more bytes needed, {left} left")]
    /// The snapshot ended before a value.
    Truncated {
        /// Where in the snapshot (the path of names being read).
        at: String,
        /// Bytes the value needs.
        needed: usize,
        /// Bytes left.
        left: usize,
    },
    #[error("{at}: expected {expected} values, found {found}")]
    /// A list has another length than the state it restores.
    Length {
        /// Where in the snapshot.
        at: String,
        /// Length the state has.
        expected: u64,
        /// Length the snapshot holds.
        found: u64,
    },
    #[error("{at}: expected {expected}, found {found}")]
    /// A value disagrees with the state it should restore (a name, a kind, a size).
    Mismatch {
        /// Where in the snapshot.
        at: String,
        /// What the state has.
        expected: String,
        /// What the snapshot holds.
        found: String,
    },
    #[error("{at}: {what}")]
    /// A value the state cannot take.
    Invalid {
        /// Where in the snapshot.
        at: String,
        /// What is wrong.
        what: String,
    },
    /// Where in the snapshot, and what is wrong.
    #[error("{extra} trailing bytes after the snapshot")]
    /// Bytes left over after the whole state was read.
    Trailing {
        /// Bytes left over.
        extra: usize,
    },
}

/// What can be saved and restored.
pub trait Persist {
    /// Save (to a saving snapshot) or restore (from a loading one) every
    /// piece of state that changes during a run.
    fn persist(&mut self, s: &mut Snapshot);
}

/// A fixed-size value stored as little-endian bytes.
pub trait Scalar: Copy + Default {
    /// Bytes of the value.
    const SIZE: usize;
    /// Appends the value's little-endian bytes to `out`.
    fn put(self, out: &mut Vec<u8>);
    /// `None` when the bytes are not a valid value (a `bool` other than 0
    /// or 1, a `usize` that does not fit).
    fn get(bytes: &[u8]) -> Option<Self>;
}

macro_rules! le_scalar {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(bytes: &[u8]) -> Option<Self> {
                Some(<$t>::from_le_bytes(bytes.try_into().ok()?))
            }
        }
    )*};
}
le_scalar!(u8, u16, u32, u64, u128, i32, i64, f32, f64);

impl Scalar for bool {
    const SIZE: usize = 1;
    fn put(self, out: &mut Vec<u8>) {
        out.push(self as u8);
    }
    fn get(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [0] => Some(false),
            [1] => Some(true),
            _ => None,
        }
    }
}

impl Scalar for usize {
    const SIZE: usize = 8;
    fn put(self, out: &mut Vec<u8>) {
        (self as u64).put(out);
    }
    fn get(bytes: &[u8]) -> Option<Self> {
        usize::try_from(u64::get(bytes)?).ok()
    }
}

/// Bytes of one random generator: its state and increment.
const RNG_BYTES: usize = 32;

/// Either direction of a state transfer (see the module notes).
pub struct Snapshot<'a> {
    saving: bool,
    out: Vec<u8>,
    input: &'a [u8],
    at: usize,
    error: Option<PersistError>,
    /// The sections being walked, for messages.
    path: Vec<String>,
}

impl Snapshot<'static> {
    /// A snapshot that collects bytes.
    pub fn saving() -> Self {
        Self {
            saving: true,
            out: Vec::new(),
            input: &[],
            at: 0,
            error: None,
            path: Vec::new(),
        }
    }
}

impl<'a> Snapshot<'a> {
    /// A snapshot that restores state from `bytes`.
    pub fn loading(bytes: &'a [u8]) -> Self {
        Self {
            saving: false,
            out: Vec::new(),
            input: bytes,
            at: 0,
            error: None,
            path: Vec::new(),
        }
    }

    /// Whether the snapshot saves state (else it restores it).
    pub fn is_saving(&self) -> bool {
        self.saving
    }

    /// Whether the snapshot restores state.
    pub fn is_loading(&self) -> bool {
        !self.saving
    }

    /// The first error met while loading, if any.
    pub fn error(&self) -> Option<&PersistError> {
        self.error.as_ref()
    }

    /// The bytes saved so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    /// The end of loading: the first error, or an error if bytes are left.
    pub fn finish(self) -> Result<(), PersistError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        match self.input.len() - self.at {
            0 => Ok(()),
            extra if !self.saving => Err(PersistError::Trailing { extra }),
            _ => Ok(()),
        }
    }

    /// Where in the object tree the walk is, for messages.
    fn here(&self) -> String {
        match self.path.is_empty() {
            true => "snapshot".into(),
            false => self.path.join("/"),
        }
    }

    /// Whether loading should go on (no error so far).
    fn live(&self) -> bool {
        self.error.is_none()
    }

    fn fail(&mut self, error: PersistError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    /// Record that the loaded bytes are not valid: `what` says why.
    pub fn invalid(&mut self, what: impl Display) {
        let at = self.here();
        self.fail(PersistError::Invalid {
            at,
            what: what.to_string(),
        });
    }

    fn mismatch(&mut self, what: &str, expected: impl Display, found: impl Display) {
        let at = match what {
            "" => self.here(),
            _ => format!("{}: {what}", self.here()),
        };
        self.fail(PersistError::Mismatch {
            at,
            expected: expected.to_string(),
            found: found.to_string(),
        });
    }

    /// The next `n` bytes of the input, or `None` (and an error) if fewer are left.
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if !self.live() {
            return None;
        }
        let left = self.input.len() - self.at;
        if n > left {
            let at = self.here();
            self.fail(PersistError::Truncated {
                at,
                needed: n,
                left,
            });
            return None;
        }
        let bytes = &self.input[self.at..self.at + n];
        self.at += n;
        Some(bytes)
    }

    fn read<T: Scalar>(&mut self) -> Option<T> {
        let bytes = self.take(T::SIZE)?;
        let value = T::get(bytes);
        if value.is_none() {
            self.invalid(format!(
                "bytes {bytes:?} are not a valid {}",
                std::any::type_name::<T>()
            ));
        }
        value
    }

    /// A stored length that `min_bytes` bytes per element must still fit
    /// in the input: a corrupt length is an error, not a huge allocation.
    fn read_len(&mut self, min_bytes: usize) -> Option<usize> {
        let len: u64 = self.read()?;
        let left = (self.input.len() - self.at) as u64;
        match len.checked_mul(min_bytes.max(1) as u64) {
            Some(bytes) if bytes <= left => Some(len as usize),
            _ => {
                let at = self.here();
                self.fail(PersistError::Truncated {
                    at,
                    needed: usize::try_from(len.saturating_mul(min_bytes.max(1) as u64))
                        .unwrap_or(usize::MAX),
                    left: left as usize,
                });
                None
            }
        }
    }

    /// One value.
    pub fn scalar<T: Scalar>(&mut self, v: &mut T) {
        if self.saving {
            v.put(&mut self.out);
        } else if let Some(x) = self.read() {
            *v = x;
        }
    }

    /// A sequence whose length the rebuilt object fixes: loading checks it.
    pub fn slice<T: Scalar>(&mut self, v: &mut [T]) {
        if self.saving {
            (v.len() as u64).put(&mut self.out);
            self.out.reserve(v.len() * T::SIZE);
            v.iter().for_each(|x| x.put(&mut self.out));
            return;
        }
        let Some(found) = self.read::<u64>() else {
            return;
        };
        if found != v.len() as u64 {
            let at = self.here();
            return self.fail(PersistError::Length {
                at,
                expected: v.len() as u64,
                found,
            });
        }
        self.elements(v);
    }

    fn elements<T: Scalar>(&mut self, v: &mut [T]) {
        let Some(bytes) = self.take(v.len() * T::SIZE) else {
            return;
        };
        for (x, b) in v.iter_mut().zip(bytes.chunks_exact(T::SIZE)) {
            match T::get(b) {
                Some(value) => *x = value,
                None => {
                    return self.invalid(format!(
                        "bytes {b:?} are not a valid {}",
                        std::any::type_name::<T>()
                    ));
                }
            }
        }
    }

    /// A sequence of any length: the length is stored.
    pub fn vec<T: Scalar>(&mut self, v: &mut Vec<T>) {
        if self.saving {
            return self.slice(v);
        }
        let Some(len) = self.read_len(T::SIZE) else {
            return;
        };
        v.clear();
        v.resize(len, T::default());
        self.elements(v);
    }

    /// Sequences of any lengths.
    pub fn vecs<T: Scalar>(&mut self, v: &mut Vec<Vec<T>>) {
        self.seq(v, Vec::new(), |s, inner| s.vec(inner));
    }

    /// An optional value.
    pub fn option<T: Scalar>(&mut self, v: &mut Option<T>) {
        let mut some = v.is_some();
        self.scalar(&mut some);
        match (self.saving, some) {
            (true, true) => self.scalar(&mut v.unwrap_or_default()),
            (true, false) => {}
            (false, true) => {
                let mut x = T::default();
                self.scalar(&mut x);
                if self.live() {
                    *v = Some(x);
                }
            }
            (false, false) => {
                if self.live() {
                    *v = None;
                }
            }
        }
    }

    /// A sequence of any length of values that `each` persists; on loading,
    /// elements start as copies of `blank`.
    pub fn seq<T: Clone>(
        &mut self,
        v: &mut Vec<T>,
        blank: T,
        mut each: impl FnMut(&mut Self, &mut T),
    ) {
        if self.saving {
            (v.len() as u64).put(&mut self.out);
            for x in v.iter_mut() {
                each(self, x);
            }
            return;
        }
        // The bytes of a blank element bound those of any: a stored length
        // that cannot fit is refused before anything is allocated.
        let min_bytes = {
            let mut probe = Snapshot::saving();
            let mut b = blank.clone();
            each(&mut probe, &mut b);
            probe.out.len()
        };
        let Some(len) = self.read_len(min_bytes) else {
            return;
        };
        v.clear();
        v.reserve(len);
        for _ in 0..len {
            let mut x = blank.clone();
            each(self, &mut x);
            if !self.live() {
                return;
            }
            v.push(x);
        }
    }

    /// Objects whose number the rebuilt structure fixes: loading checks it.
    pub fn items<T: Persist>(&mut self, v: &mut [T]) {
        self.count("", v.len());
        for x in v.iter_mut() {
            if !self.live() {
                return;
            }
            x.persist(self);
        }
    }

    /// An optional object whose presence the rebuilt structure fixes.
    pub fn present<T: Persist>(&mut self, what: &str, v: &mut Option<T>) {
        let mut some = v.is_some();
        self.same(what, &mut some);
        if let Some(x) = v {
            x.persist(self);
        }
    }

    /// A count that the rebuilt structure fixes (`what` names it in messages).
    pub fn count(&mut self, what: &str, n: usize) {
        if self.saving {
            return (n as u64).put(&mut self.out);
        }
        let Some(found) = self.read::<u64>() else {
            return;
        };
        if found != n as u64 {
            let what = match what {
                "" => "count",
                _ => what,
            };
            self.mismatch(what, n, found);
        }
    }

    /// A value that the rebuilt structure fixes: saved, and checked on loading.
    pub fn same<T: Scalar + PartialEq + std::fmt::Debug>(&mut self, what: &str, v: &mut T) {
        if self.saving {
            return v.put(&mut self.out);
        }
        if let Some(found) = self.read::<T>()
            && found != *v
        {
            self.mismatch(what, format!("{v:?}"), format!("{found:?}"));
        }
    }

    /// An `f64` that the rebuilt structure fixes, compared bit for bit.
    pub fn same_f64(&mut self, what: &str, v: f64) {
        self.same(what, &mut v.to_bits());
    }

    /// Loaded indices must lie below `bound` (neurons, synapses, list
    /// entries): corrupt bytes are refused here rather than panic later.
    pub fn below<T: Copy + Into<u64>>(&mut self, what: &str, values: &[T], bound: usize) {
        if self.saving || !self.live() {
            return;
        }
        if let Some(&bad) = values.iter().find(|&&v| v.into() >= bound as u64) {
            self.invalid(format!(
                "{what}: index {} out of range, below {bound} expected",
                bad.into()
            ));
        }
    }

    /// A loaded cursor into a list of `len` entries must not pass its end.
    pub fn cursor(&mut self, what: &str, cursor: &mut usize, len: usize) {
        self.scalar(cursor);
        if !self.saving && self.live() && *cursor > len {
            self.invalid(format!("{what}: {cursor} is past the end ({len})"));
        }
    }

    /// A name that the rebuilt object has (a model's, a section's).
    pub fn tag(&mut self, name: &str) {
        if self.saving {
            (name.len() as u64).put(&mut self.out);
            return self.out.extend_from_slice(name.as_bytes());
        }
        let Some(len) = self.read_len(1) else {
            return;
        };
        let Some(bytes) = self.take(len) else {
            return;
        };
        if bytes != name.as_bytes() {
            let found = String::from_utf8_lossy(bytes).into_owned();
            self.mismatch("", format!("{name:?}"), format!("{found:?}"));
        }
    }

    /// A random generator's exact state.
    pub fn rng(&mut self, rng: &mut Pcg64) {
        if self.saving {
            let (state, increment) = rng_parts(rng);
            state.put(&mut self.out);
            return increment.put(&mut self.out);
        }
        let Some(bytes) = self.take(RNG_BYTES) else {
            return;
        };
        let state = u128::from_le_bytes(bytes[..16].try_into().expect("16 bytes"));
        let increment = u128::from_le_bytes(bytes[16..].try_into().expect("16 bytes"));
        match rng_from_parts(state, increment) {
            Some(r) => *rng = r,
            None => self.invalid("a random generator's increment must be odd"),
        }
    }

    /// Random generators whose number the rebuilt object fixes.
    pub fn rngs(&mut self, rngs: &mut [Pcg64]) {
        self.count("random generators", rngs.len());
        if !self.saving && self.live() {
            let left = self.input.len() - self.at;
            if rngs.len() * RNG_BYTES > left {
                let at = self.here();
                return self.fail(PersistError::Truncated {
                    at,
                    needed: rngs.len() * RNG_BYTES,
                    left,
                });
            }
        }
        for r in rngs {
            self.rng(r);
        }
    }

    /// A named part whose contents `f` persists, framed by its tag and byte
    /// length: loading checks both, so a mismatch is found at the first
    /// section that differs.
    pub fn section(&mut self, name: &str, f: impl FnOnce(&mut Self)) {
        self.tag(name);
        if self.saving {
            let at = self.out.len();
            0u64.put(&mut self.out);
            self.path.push(name.to_string());
            f(self);
            self.path.pop();
            let len = (self.out.len() - at - 8) as u64;
            self.out[at..at + 8].copy_from_slice(&len.to_le_bytes());
            return;
        }
        let Some(len) = self.read_len(1) else {
            return;
        };
        let start = self.at;
        self.path.push(name.to_string());
        f(self);
        if self.live() && self.at - start != len {
            let read = self.at - start;
            self.invalid(format!(
                "the section holds {len} bytes, the rebuilt object read {read}"
            ));
        }
        self.path.pop();
    }
}

/// `Pcg64`'s state and increment, through its serde form (postcard writes
/// a struct as its fields in order).
fn rng_parts(rng: &Pcg64) -> (u128, u128) {
    let mut buf = [0u8; 48];
    let bytes = postcard::to_slice(rng, &mut buf).expect("two u128 fit in 48 bytes");
    postcard::from_bytes(bytes).expect("a Pcg64 is two u128")
}

/// The generator with this state and increment; `None` for an even
/// increment, which no `Pcg64` has.
fn rng_from_parts(state: u128, increment: u128) -> Option<Pcg64> {
    if increment & 1 == 0 {
        return None;
    }
    let mut buf = [0u8; 48];
    let bytes = postcard::to_slice(&(state, increment), &mut buf).ok()?;
    postcard::from_bytes(bytes).ok()
}

/// One blob per item, each a section `"worker <index>"`.
pub(crate) fn save_all<T: Persist>(items: &mut [T]) -> Vec<Vec<u8>> {
    items
        .iter_mut()
        .enumerate()
        .map(|(w, item)| {
            let mut s = Snapshot::saving();
            s.section(&format!("worker {w}"), |s| item.persist(s));
            s.into_bytes()
        })
        .collect()
}

/// Restore each item from its blob of [`save_all`].
pub(crate) fn load_all<T: Persist>(items: &mut [T], blobs: &[Vec<u8>]) -> Result<(), PersistError> {
    if blobs.len() != items.len() {
        return Err(PersistError::Mismatch {
            at: "checkpoint: workers".into(),
            expected: items.len().to_string(),
            found: blobs.len().to_string(),
        });
    }
    for (w, (item, blob)) in items.iter_mut().zip(blobs).enumerate() {
        let mut s = Snapshot::loading(blob);
        s.section(&format!("worker {w}"), |s| item.persist(s));
        s.finish()?;
    }
    Ok(())
}

impl Persist for Arrival {
    fn persist(&mut self, s: &mut Snapshot) {
        s.scalar(&mut self.target);
        s.scalar(&mut self.weight);
    }
}

impl Persist for EventRing {
    fn persist(&mut self, s: &mut Snapshot) {
        let blank = Arrival {
            target: 0,
            weight: 0.0,
        };
        // The slot count fixes which slot a grid point maps to.
        s.count("ring slots", self.slots());
        for slot in self.slots_mut() {
            s.seq(slot, blank, |s, a| a.persist(s));
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
