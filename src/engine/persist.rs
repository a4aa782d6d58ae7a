//! Placeholder of the lead's branch: the `persist` helper's module replaces it.

/// Why saved state could not be restored.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PersistError(pub String);

pub trait Scalar: Copy {
    fn put(self, out: &mut Vec<u8>);
    fn get(bytes: &[u8]) -> Option<(Self, usize)>;
}

impl Scalar for u64 {
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn get(bytes: &[u8]) -> Option<(Self, usize)> {
        Some((u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?), 8))
    }
}

pub struct Snapshot<'a> {
    out: Option<Vec<u8>>,
    input: &'a [u8],
    at: usize,
    error: Option<PersistError>,
}

impl<'a> Snapshot<'a> {
    pub fn saving() -> Self {
        Self {
            out: Some(Vec::new()),
            input: &[],
            at: 0,
            error: None,
        }
    }
    pub fn loading(input: &'a [u8]) -> Self {
        Self {
            out: None,
            input,
            at: 0,
            error: None,
        }
    }
    pub fn scalar<T: Scalar>(&mut self, v: &mut T) {
        if let Some(out) = &mut self.out {
            v.put(out);
        } else if self.error.is_none() {
            match T::get(&self.input[self.at..]) {
                Some((x, n)) => {
                    *v = x;
                    self.at += n;
                }
                None => self.error = Some(PersistError("truncated".into())),
            }
        }
    }
    pub fn vec<T: Scalar + Default>(&mut self, v: &mut Vec<T>) {
        let mut n = v.len() as u64;
        self.scalar(&mut n);
        if self.out.is_none() {
            v.clear();
            v.resize(n as usize, T::default());
        }
        for x in v.iter_mut() {
            self.scalar(x);
        }
    }
    pub fn into_bytes(self) -> Vec<u8> {
        self.out.unwrap_or_default()
    }
    pub fn finish(self) -> Result<(), PersistError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

pub trait Persist {
    fn persist(&mut self, s: &mut Snapshot);
}
