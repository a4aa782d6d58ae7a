//! Convolutions and poolings (NIR's Conv1d, Conv2d, SumPool2d, AvgPool2d)
//! expanded into sparse maps, with PyTorch's semantics: cross-correlation,
//! stride, zero padding (explicit, `"same"`, `"valid"`), dilation, groups.
//! A Conv1d is a Conv2d of height 1. Elements are indexed in C order:
//! `(c, y, x) -> (c·H + y)·W + x`.

use super::sparse::{Entry, SparseMap};

/// The geometry of a 2-d window operation over a `(C, H, W)` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Input height and width.
    pub in_hw: [usize; 2],
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Stride per dimension.
    pub stride: [usize; 2],
    /// Dilation per dimension.
    pub dilation: [usize; 2],
    /// Zeros added before each dimension (after: `pad_hi`).
    pub pad_lo: [usize; 2],
    /// Zeros added after each dimension.
    pub pad_hi: [usize; 2],
}

impl Window {
    /// Output height and width, `floor((N + lo + hi − d(K−1) − 1)/s) + 1`,
    /// or why there is none.
    pub fn out_hw(&self) -> Result<[usize; 2], String> {
        let mut out = [0; 2];
        for (a, o) in out.iter_mut().enumerate() {
            if self.stride[a] == 0 || self.dilation[a] == 0 || self.kernel[a] == 0 {
                return Err("stride, dilation and kernel size must be positive".into());
            }
            let span = self.dilation[a] * (self.kernel[a] - 1) + 1;
            let padded = self.in_hw[a] + self.pad_lo[a] + self.pad_hi[a];
            if padded < span {
                return Err(format!(
                    "the window ({span} wide with dilation) is larger than the padded input ({padded})"
                ));
            }
            *o = (padded - span) / self.stride[a] + 1;
        }
        Ok(out)
    }

    /// Input positions `(iy, ix)` under kernel tap `(ky, kx)` at output
    /// `(oy, ox)`, `None` in the padding.
    fn tap(&self, o: [usize; 2], k: [usize; 2]) -> Option<usize> {
        let mut pos = [0usize; 2];
        for a in 0..2 {
            let p = (o[a] * self.stride[a] + k[a] * self.dilation[a]) as isize
                - self.pad_lo[a] as isize;
            if p < 0 || p as usize >= self.in_hw[a] {
                return None;
            }
            pos[a] = p as usize;
        }
        Some(pos[0] * self.in_hw[1] + pos[1])
    }
}

/// PyTorch's `"same"` padding of one dimension: `d(K−1)` zeros, the odd one
/// after (`torch.nn.functional.conv*d` with `padding="same"`).
pub fn same_padding(kernel: usize, dilation: usize) -> (usize, usize) {
    let total = dilation * kernel.saturating_sub(1);
    (total / 2, total - total / 2)
}

/// A convolution: `weight [Cout, Cin/groups, kH, kW]` (C order) on `cin`
/// input channels. Refused (with the count) when it would make more than
/// `limit` synapses.
pub fn conv_map(
    weight: &[f64],
    cout: usize,
    cin: usize,
    groups: usize,
    win: &Window,
    limit: usize,
) -> Result<SparseMap, String> {
    if groups == 0 || !cin.is_multiple_of(groups) || !cout.is_multiple_of(groups) {
        return Err(format!(
            "groups = {groups} must divide the {cin} input and {cout} output channels"
        ));
    }
    let [oh, ow] = win.out_hw()?;
    let [kh, kw] = win.kernel;
    let cin_g = cin / groups;
    let cout_g = cout / groups;
    if weight.len() != cout * cin_g * kh * kw {
        return Err(format!(
            "has {} elements, expected Cout·Cin/groups·kernel = {cout}·{cin_g}·{kh}·{kw}",
            weight.len()
        ));
    }
    let bound = (cout as u128) * (oh * ow) as u128 * (cin_g * kh * kw) as u128;
    if bound > limit as u128 {
        return Err(too_large(bound, limit));
    }
    let [ih, iw] = win.in_hw;
    let mut map = SparseMap::empty(cin * ih * iw, cout * oh * ow);
    for co in 0..cout {
        let g = co / cout_g;
        for cl in 0..cin_g {
            let ci = g * cin_g + cl;
            for ky in 0..kh {
                for kx in 0..kw {
                    let w = weight[((co * cin_g + cl) * kh + ky) * kw + kx];
                    if w == 0.0 {
                        continue;
                    }
                    for oy in 0..oh {
                        for ox in 0..ow {
                            if let Some(p) = win.tap([oy, ox], [ky, kx]) {
                                map.rows[ci * ih * iw + p].push(Entry {
                                    out: ((co * oh + oy) * ow + ox) as u32,
                                    delay: 0,
                                    w,
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    for row in &mut map.rows {
        super::sparse::normalise(row);
    }
    Ok(map)
}

/// A pooling window over each of `channels` channels, every tap weighted
/// `w` (1 for SumPool2d, `1/(kH·kW)` for AvgPool2d, whose padding counts,
/// as PyTorch's default `count_include_pad=True`).
pub fn pool_map(channels: usize, win: &Window, w: f64, limit: usize) -> Result<SparseMap, String> {
    let [oh, ow] = win.out_hw()?;
    let [kh, kw] = win.kernel;
    let bound = (channels as u128) * (oh * ow) as u128 * (kh * kw) as u128;
    if bound > limit as u128 {
        return Err(too_large(bound, limit));
    }
    let [ih, iw] = win.in_hw;
    let mut map = SparseMap::empty(channels * ih * iw, channels * oh * ow);
    for c in 0..channels {
        for oy in 0..oh {
            for ox in 0..ow {
                for ky in 0..kh {
                    for kx in 0..kw {
                        if let Some(p) = win.tap([oy, ox], [ky, kx]) {
                            map.rows[c * ih * iw + p].push(Entry {
                                out: ((c * oh + oy) * ow + ox) as u32,
                                delay: 0,
                                w,
                            });
                        }
                    }
                }
            }
        }
    }
    for row in &mut map.rows {
        super::sparse::normalise(row);
    }
    Ok(map)
}

fn too_large(bound: u128, limit: usize) -> String {
    format!(
        "expands to up to {bound} synapses, more than the limit of {limit} per projection: \
         too large to expand into a connection list"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn win(in_hw: [usize; 2], kernel: [usize; 2], stride: [usize; 2], pad: [usize; 2]) -> Window {
        Window {
            in_hw,
            kernel,
            stride,
            dilation: [1, 1],
            pad_lo: pad,
            pad_hi: pad,
        }
    }

    /// The map applied to an input vector (delays are all 0 here).
    fn apply(m: &SparseMap, x: &[f64]) -> Vec<f64> {
        m.carry(x)
    }

    #[test]
    fn conv2d_matches_a_hand_computed_cross_correlation() {
        // One channel 3x3 input 1..9, kernel [[1, 0], [0, -1]], stride 1, no
        // padding: out[y][x] = in[y][x] - in[y+1][x+1] = -4 everywhere (2x2).
        let x: Vec<f64> = (1..=9).map(f64::from).collect();
        let m = conv_map(
            &[1.0, 0.0, 0.0, -1.0],
            1,
            1,
            1,
            &win([3, 3], [2, 2], [1, 1], [0, 0]),
            100,
        )
        .unwrap();
        assert_eq!(apply(&m, &x), vec![-4.0; 4]);
        // Padding 1, stride 2 with an all-ones 2x2 kernel: windows start at
        // -1, 1 in each dimension: out = [[1, 2+3], [4+7, 5+6+8+9]].
        let m = conv_map(
            &[1.0; 4],
            1,
            1,
            1,
            &win([3, 3], [2, 2], [2, 2], [1, 1]),
            100,
        )
        .unwrap();
        assert_eq!(apply(&m, &x), vec![1.0, 5.0, 11.0, 28.0]);
    }

    #[test]
    fn conv2d_channels_groups_and_dilation() {
        // 2 input channels 2x2 (0..4 and 10..14), 2 output channels, groups 2:
        // out channel c sees only input channel c; 1x1 kernels 2 and -1.
        let x = [0.0, 1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 13.0];
        let m = conv_map(
            &[2.0, -1.0],
            2,
            2,
            2,
            &win([2, 2], [1, 1], [1, 1], [0, 0]),
            100,
        )
        .unwrap();
        assert_eq!(
            apply(&m, &x),
            vec![0.0, 2.0, 4.0, 6.0, -10.0, -11.0, -12.0, -13.0]
        );
        // groups 1, one output channel summing both inputs with weights 1, 1
        let m = conv_map(
            &[1.0, 1.0],
            1,
            2,
            1,
            &win([2, 2], [1, 1], [1, 1], [0, 0]),
            100,
        )
        .unwrap();
        assert_eq!(apply(&m, &x), vec![10.0, 12.0, 14.0, 16.0]);
        // Conv1d (height 1) over 0..5 with kernel [1, 1] and dilation 2:
        // out[i] = x[i] + x[i+2], 3 outputs.
        let w = Window {
            in_hw: [1, 5],
            kernel: [1, 2],
            stride: [1, 1],
            dilation: [1, 2],
            pad_lo: [0, 0],
            pad_hi: [0, 0],
        };
        let m = conv_map(&[1.0, 1.0], 1, 1, 1, &w, 100).unwrap();
        assert_eq!(apply(&m, &[0.0, 1.0, 2.0, 3.0, 4.0]), vec![2.0, 4.0, 6.0]);
    }

    #[test]
    fn same_padding_is_pytorchs() {
        // K = 4: 3 zeros, 1 before and 2 after (torch puts the odd one last).
        assert_eq!(same_padding(4, 1), (1, 2));
        assert_eq!(same_padding(3, 2), (2, 2));
        // Conv1d "same" with kernel [1, 2, 3] over [1, 2, 3, 4]:
        // out[i] = x[i-1] + 2 x[i] + 3 x[i+1] = [8, 14, 20, 11].
        let (lo, hi) = same_padding(3, 1);
        let w = Window {
            in_hw: [1, 4],
            kernel: [1, 3],
            stride: [1, 1],
            dilation: [1, 1],
            pad_lo: [0, lo],
            pad_hi: [0, hi],
        };
        let m = conv_map(&[1.0, 2.0, 3.0], 1, 1, 1, &w, 100).unwrap();
        assert_eq!(
            apply(&m, &[1.0, 2.0, 3.0, 4.0]),
            vec![8.0, 14.0, 20.0, 11.0]
        );
    }

    #[test]
    fn pools_sum_and_average_windows() {
        let x: Vec<f64> = (1..=16).map(f64::from).collect(); // 4x4
        let m = pool_map(1, &win([4, 4], [2, 2], [2, 2], [0, 0]), 1.0, 100).unwrap();
        assert_eq!(apply(&m, &x), vec![14.0, 22.0, 46.0, 54.0]);
        let m = pool_map(1, &win([4, 4], [2, 2], [2, 2], [0, 0]), 0.25, 100).unwrap();
        assert_eq!(apply(&m, &x), vec![3.5, 5.5, 11.5, 13.5]);
    }

    #[test]
    fn too_large_a_convolution_is_refused_with_the_limit() {
        let e = conv_map(
            &[1.0; 9],
            1,
            1,
            1,
            &win([10, 10], [3, 3], [1, 1], [0, 0]),
            500,
        )
        .unwrap_err();
        assert!(e.contains("576") && e.contains("500"), "{e}");
        let e = conv_map(
            &[1.0; 3],
            3,
            2,
            2,
            &win([2, 2], [1, 1], [1, 1], [0, 0]),
            100,
        )
        .unwrap_err();
        assert!(e.contains("groups"), "{e}");
    }
}
