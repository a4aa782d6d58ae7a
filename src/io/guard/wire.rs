//! The child's answer on its stdout: little-endian numbers, lengths as u64
//! before strings and lists, fields in declaration order. Only the guard's
//! own child writes it, but a child cut off mid-write must not make the
//! parent panic or allocate wildly, so every read is bounds-checked.

pub(crate) trait Wire: Sized {
    fn put(&self, out: &mut Vec<u8>);
    fn get(r: &mut Reader<'_>) -> Option<Self>;
}

pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// A list length, refused when the rest could not hold that many
    /// elements of at least one byte each.
    fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(u64::get(self)?).ok()?;
        (n <= self.bytes.len()).then_some(n)
    }
}

macro_rules! wire_number {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            fn put(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(r: &mut Reader<'_>) -> Option<Self> {
                let b = r.take(std::mem::size_of::<$t>())?;
                Some(<$t>::from_le_bytes(b.try_into().ok()?))
            }
        }
    )*};
}

wire_number!(u8, u32, u64, f32, f64);

impl Wire for usize {
    fn put(&self, out: &mut Vec<u8>) {
        (*self as u64).put(out);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        usize::try_from(u64::get(r)?).ok()
    }
}

impl Wire for bool {
    fn put(&self, out: &mut Vec<u8>) {
        u8::from(*self).put(out);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        match u8::get(r)? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

impl Wire for String {
    fn put(&self, out: &mut Vec<u8>) {
        self.len().put(out);
        out.extend_from_slice(self.as_bytes());
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        let n = r.len()?;
        String::from_utf8(r.take(n)?.to_vec()).ok()
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn put(&self, out: &mut Vec<u8>) {
        self.len().put(out);
        for x in self {
            x.put(out);
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        let n = r.len()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(T::get(r)?);
        }
        Some(v)
    }
}

impl<T: Wire> Wire for Option<T> {
    fn put(&self, out: &mut Vec<u8>) {
        self.is_some().put(out);
        if let Some(x) = self {
            x.put(out);
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        if bool::get(r)? {
            Some(Some(T::get(r)?))
        } else {
            Some(None)
        }
    }
}

impl<A: Wire, B: Wire> Wire for (A, B) {
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
        self.1.put(out);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        Some((A::get(r)?, B::get(r)?))
    }
}

/// Fields are read in the order listed, which is the order they are written.
/// Used where the types are, by the reader child (`io::untrusted`).
macro_rules! wire_struct {
    ($($t:ty { $($field:ident),* $(,)? })*) => {$(
        impl Wire for $t {
            fn put(&self, out: &mut Vec<u8>) {
                $(self.$field.put(out);)*
            }
            fn get(r: &mut Reader<'_>) -> Option<Self> {
                Some(Self { $($field: Wire::get(r)?,)* })
            }
        }
    )*};
}
pub(crate) use wire_struct;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn round_trip<T: Wire + PartialEq + std::fmt::Debug>(x: &T) {
        let mut bytes = Vec::new();
        x.put(&mut bytes);
        let mut r = Reader::new(&bytes);
        assert_eq!(T::get(&mut r).as_ref(), Some(x));
        assert!(r.is_empty());
        // Every truncation is refused, never a panic.
        for n in 0..bytes.len() {
            assert_eq!(T::get(&mut Reader::new(&bytes[..n])), None, "cut at {n}");
        }
    }

    #[test]
    fn pairs_round_trip_bit_for_bit() {
        round_trip(&vec![(0.5f64, 3u32)]);
    }

    #[test]
    fn truncated_or_absurd_input_is_refused() {
        let mut bytes = Vec::new();
        vec![1.0f64, 2.0, 3.0].put(&mut bytes);
        for n in 0..bytes.len() {
            assert_eq!(Vec::<f64>::get(&mut Reader::new(&bytes[..n])), None, "{n}");
        }
        // A length no input could hold is refused before allocating.
        let mut huge = Vec::new();
        u64::MAX.put(&mut huge);
        assert_eq!(Vec::<f64>::get(&mut Reader::new(&huge)), None);
        assert_eq!(String::get(&mut Reader::new(&huge)), None);
        assert_eq!(bool::get(&mut Reader::new(&[2])), None);
    }
}
