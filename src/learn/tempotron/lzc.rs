//! Lempel–Ziv complexity (LZ76) of binary spike strings, and the
//! nearest-class-mean decision on it.
//!
//! `phrases` is the Kaspar & Schuster (1987) algorithm: it parses the string
//! into the phrases of Lempel & Ziv's 1976 complexity, each the shortest
//! piece not reproducible from what precedes it (overlap allowed), and
//! counts them, `c(n)`. The normalised complexity is `c(n) · log2(n) / n`,
//! which tends to 1 for a random string.

/// Number of LZ76 phrases `c(n)` of `s`.
pub fn phrases(s: &[bool]) -> usize {
    let n = s.len();
    if n < 2 {
        return n;
    }
    // l: length of the parsed prefix; i: start of the candidate copy in it;
    // k: length of the current match; k_max: longest match from any i.
    let (mut c, mut l, mut i, mut k, mut k_max) = (1, 1, 0, 1, 1);
    loop {
        if s[i + k - 1] == s[l + k - 1] {
            k += 1;
            if l + k > n {
                c += 1;
                break;
            }
        } else {
            k_max = k_max.max(k);
            i += 1;
            if i == l {
                // No copy reaches further: the phrase ends with a new symbol.
                c += 1;
                l += k_max;
                if l + 1 > n {
                    break;
                }
                i = 0;
                k = 1;
                k_max = 1;
            } else {
                k = 1;
            }
        }
    }
    c
}

/// Normalised LZ76 complexity `c(n) log2(n) / n` (0 for fewer than 2 symbols).
pub fn complexity(s: &[bool]) -> f64 {
    let n = s.len();
    if n < 2 {
        return 0.0;
    }
    phrases(s) as f64 * (n as f64).log2() / n as f64
}

/// A spike train as a binary string of `bins` bins of width `bin` seconds.
pub fn binarise(times: &[f64], bin: f64, bins: usize) -> Vec<bool> {
    let mut s = vec![false; bins];
    for &t in times {
        let b = (t / bin).floor();
        if b >= 0.0 && (b as usize) < bins {
            s[b as usize] = true;
        }
    }
    s
}

/// Decide a class by the nearest class mean of a scalar feature (here the
/// complexity of the output train).
#[derive(Debug, Clone, PartialEq)]
pub struct NearestMean {
    /// Each class's mean of the feature.
    pub means: Vec<f64>,
}

impl NearestMean {
    /// Class means of `values` labelled `labels` (classes `0..classes`); a
    /// class without examples gets NaN and is never chosen.
    pub fn fit(values: &[f64], labels: &[usize], classes: usize) -> Self {
        let mut sum = vec![0.0; classes];
        let mut count = vec![0usize; classes];
        for (&v, &c) in values.iter().zip(labels) {
            sum[c] += v;
            count[c] += 1;
        }
        let means = sum
            .iter()
            .zip(&count)
            .map(|(s, &n)| if n == 0 { f64::NAN } else { s / n as f64 })
            .collect();
        Self { means }
    }

    /// The class whose mean is nearest (ties: the lower class).
    pub fn predict(&self, value: f64) -> usize {
        let mut best = (0, f64::INFINITY);
        for (c, m) in self.means.iter().enumerate() {
            let d = (value - m).abs();
            if d < best.1 {
                best = (c, d);
            }
        }
        best.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(s: &str) -> Vec<bool> {
        s.bytes().map(|b| b == b'1').collect()
    }

    #[test]
    fn nearest_mean_picks_the_closer_class() {
        let m = NearestMean::fit(&[1.0, 3.0, 10.0, 12.0], &[0, 0, 1, 1], 2);
        assert_eq!(m.means, vec![2.0, 11.0]);
        assert_eq!(m.predict(6.4), 0);
        assert_eq!(m.predict(6.6), 1);
    }

    #[test]
    fn binarise_puts_spikes_in_their_bins() {
        assert_eq!(
            binarise(&[0.0005, 0.0031, 0.0039, 0.02], 1e-3, 5),
            bits("10010")
        );
    }
}
