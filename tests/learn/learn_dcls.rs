//! DCLS learnable delays: exact gradients, the delay-line limit, the σ
//! schedule, rounding, and a timing task that only delays can solve.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use spikesim::learn::delays::dcls::{Dcls1d, KernelShape, SigmaSchedule};
use spikesim::learn::optim::{Adam, argmax, cross_entropy};

fn random_layer(rng: &mut Pcg64, ni: usize, no: usize, k: usize, frac: f64) -> Dcls1d {
    let half = (k / 2) as f64;
    let w: Vec<f64> = (0..ni * no)
        .map(|_| rng.random::<f64>() * 2.0 - 1.0)
        .collect();
    // Integer part random, fractional part fixed (keeps the "max" kernel
    // away from its kinks for finite differences).
    let p: Vec<f64> = (0..ni * no)
        .map(|_| (rng.random_range(-(half as i64)..half as i64) as f64 + frac).clamp(-half, half))
        .collect();
    Dcls1d::new(ni, no, k, w, p)
}

/// Weight (`which` = 0) or position (1) of synapse `s`: read it, and set
/// it to `value` if given.
fn layer_param(layer: &mut Dcls1d, which: usize, s: usize, value: Option<f64>) -> f64 {
    let slot = if which == 0 {
        &mut layer.weight[s]
    } else {
        &mut layer.position[s]
    };
    if let Some(v) = value {
        *slot = v;
    }
    *slot
}

/// L = Σ c·y²: a non-linear loss so that every gradient path matters.
fn quad_loss(layer: &Dcls1d, x: &[f64], batch: usize, steps: usize, c: &[f64]) -> f64 {
    let y = layer.forward(x, batch, steps);
    y.iter().zip(c).map(|(y, c)| c * y * y).sum()
}

#[test]
fn gradients_equal_finite_differences() {
    let mut rng = Pcg64::seed_from_u64(1);
    let (ni, no, k, batch, steps) = (3, 2, 7, 2, 10);
    for (shape, sigma, frac) in [
        (KernelShape::Gauss, 1.3, 0.37),
        (KernelShape::Gauss, 0.0, 0.8),
        (KernelShape::Max, 0.6, 0.2),
    ] {
        let mut layer = random_layer(&mut rng, ni, no, k, frac);
        layer.shape = shape;
        layer.sigma = sigma;
        let x: Vec<f64> = (0..batch * ni * steps)
            .map(|_| rng.random::<f64>())
            .collect();
        let t_out = layer.out_len(steps);
        let c: Vec<f64> = (0..batch * no * t_out)
            .map(|_| rng.random::<f64>() - 0.5)
            .collect();
        let y = layer.forward(&x, batch, steps);
        let gy: Vec<f64> = y.iter().zip(&c).map(|(y, c)| 2.0 * c * y).collect();
        let grad = layer.backward(&x, batch, steps, &gy);
        let h = 1e-6;
        let mut worst = 0.0f64;
        let mut check = |analytic: f64, fd: f64| {
            let err = (analytic - fd).abs() / analytic.abs().max(fd.abs()).max(1e-6);
            worst = worst.max(err);
        };
        for s in 0..ni * no {
            for which in 0..2 {
                let orig = layer_param(&mut layer, which, s, None);
                layer_param(&mut layer, which, s, Some(orig + h));
                let up = quad_loss(&layer, &x, batch, steps, &c);
                layer_param(&mut layer, which, s, Some(orig - h));
                let down = quad_loss(&layer, &x, batch, steps, &c);
                layer_param(&mut layer, which, s, Some(orig));
                let analytic = if which == 0 {
                    grad.weight[s]
                } else {
                    grad.position[s]
                };
                check(analytic, (up - down) / (2.0 * h));
            }
        }
        let mut xp = x.clone();
        for j in 0..x.len() {
            xp[j] = x[j] + h;
            let up = quad_loss(&layer, &xp, batch, steps, &c);
            xp[j] = x[j] - h;
            let down = quad_loss(&layer, &xp, batch, steps, &c);
            xp[j] = x[j];
            check(grad.input[j], (up - down) / (2.0 * h));
        }
        eprintln!("{shape:?} σ={sigma}: worst relative error {worst:.2e}");
        assert!(worst < 1e-5, "{shape:?} σ={sigma}: {worst}");
    }
}

/// y[b][o][t] = Σ_i w_oi · x[b][i][t − d_oi]: a per-synapse delay line,
/// written directly.
/// Shapes and weights come from `layer`, delays from `delays`.
fn delay_line(layer: &Dcls1d, delays: &[usize], x: &[f64], batch: usize, steps: usize) -> Vec<f64> {
    let (ni, no, w) = (layer.inputs, layer.outputs, &layer.weight);
    let t_out = steps + layer.kernel_size / 2;
    let mut y = vec![0.0; batch * no * t_out];
    for b in 0..batch {
        for o in 0..no {
            for i in 0..ni {
                for t in 0..steps {
                    let arrive = t + delays[o * ni + i];
                    if arrive < t_out {
                        y[(b * no + o) * t_out + arrive] +=
                            w[o * ni + i] * x[(b * ni + i) * steps + t];
                    }
                }
            }
        }
    }
    y
}

#[test]
fn sigma_zero_integer_positions_is_a_delay_line() {
    let mut rng = Pcg64::seed_from_u64(2);
    let (ni, no, k, batch, steps) = (4, 3, 9, 2, 20);
    let mut layer = random_layer(&mut rng, ni, no, k, 0.0);
    let x: Vec<f64> = (0..batch * ni * steps)
        .map(|_| if rng.random::<f64>() < 0.3 { 1.0 } else { 0.0 })
        .collect();
    // delay = ⌊K/2⌋ − p
    let delays: Vec<usize> = layer.position.iter().map(|p| (4.0 - p) as usize).collect();
    assert_eq!(layer.integer_delays(), delays);
    let expect = delay_line(&layer, &delays, &x, batch, steps);
    // Triangle kernel with σ = 0: one tap, exactly the delay line.
    layer.shape = KernelShape::Max;
    layer.sigma = 0.0;
    let y = layer.forward(&x, batch, steps);
    let exact = y
        .iter()
        .zip(&expect)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(exact < 1e-12, "max kernel: {exact}");
    // Gaussian with σ = 0 keeps width 0.27: neighbours get e^{−½(1/0.27)²}
    // ≈ 1.05e-3 each, so the line is reproduced to ~2.1e-3 per unit weight.
    layer.shape = KernelShape::Gauss;
    let y = layer.forward(&x, batch, steps);
    let wsum: f64 = layer.weight.iter().map(|w| w.abs()).sum();
    let gauss = y
        .iter()
        .zip(&expect)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(gauss < 2.2e-3 * wsum, "gauss kernel: {gauss}");
}

#[test]
fn rounding_gives_the_integer_delays() {
    let mut layer = Dcls1d::new(5, 1, 7, vec![1.0; 5], vec![2.4, -3.0, 3.0, -0.6, 0.49]);
    // ⌊7/2⌋ − round(p)
    assert_eq!(layer.integer_delays(), vec![1, 6, 0, 4, 3]);
    layer.position[0] = 9.0; // outside the kernel: clamped to the shortest delay
    assert_eq!(layer.integer_delays()[0], 0);
    layer.round_to_delays();
    assert_eq!(layer.position, vec![3.0, -3.0, 3.0, -1.0, 0.0]);
    assert_eq!((layer.sigma, layer.shape), (0.0, KernelShape::Max));
}

#[test]
fn sigma_schedule_reaches_0_23_after_ef_epochs() {
    // Reference SHD setting: K = 25, 150 epochs → σ₀ = 12, E_f = 37.
    let s = SigmaSchedule::reference(25, 150);
    assert_eq!((s.sigma0, s.epochs_f), (12.0, 37));
    let mut sigma = s.sigma0;
    for epoch in 1..=37 {
        let next = s.step(sigma);
        assert!(
            (next / sigma - s.factor()).abs() < 1e-12 || next == 0.23,
            "epoch {epoch}"
        );
        sigma = next;
        if epoch < 37 {
            assert!(sigma > 0.23 + 1e-3, "epoch {epoch}: {sigma}");
        }
    }
    assert!((sigma - 0.23).abs() < 1e-12, "{sigma}");
    assert!((s.sigma_after(37) - 0.23).abs() < 1e-12);
    assert_eq!(s.sigma_after(100), 0.23);
}

/// Two input channels, one spike each; class 0 has channel 1 fire `gap`
/// steps after channel 0, class 1 the reverse. Spike counts and absolute
/// times carry no information, only the relative timing does.
fn timing_task(n: usize, steps: usize, gap: usize, seed: u64) -> (Vec<f64>, Vec<usize>) {
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut x = vec![0.0; n * 2 * steps];
    let mut y = Vec::new();
    for s in 0..n {
        let label = s % 2;
        let base = rng.random_range(0..steps - gap);
        let (t0, t1) = if label == 0 {
            (base, base + gap)
        } else {
            (base + gap, base)
        };
        x[(s * 2) * steps + t0] = 1.0;
        x[(s * 2 + 1) * steps + t1] = 1.0;
        y.push(label);
    }
    (x, y)
}

/// DCLS layer (2 → hidden) feeding a smooth maximum over time per unit (a
/// coincidence detector: the peak is high only if both spikes arrive
/// together) and a linear soft-max read-out.
struct TimingNet {
    layer: Dcls1d,
    readout: Vec<f64>,
    bias: Vec<f64>,
}

const TAU: f64 = 0.1;

impl TimingNet {
    /// Logits per sample and, if labels are given, the mean loss and the
    /// gradients (layer weights, positions, read-out, bias).
    fn run(
        &self,
        x: &[f64],
        batch: usize,
        steps: usize,
        labels: Option<&[usize]>,
    ) -> (Vec<usize>, f64, [Vec<f64>; 4]) {
        let nh = self.layer.outputs;
        let t_out = self.layer.out_len(steps);
        let y = self.layer.forward(x, batch, steps);
        let mut gy = vec![0.0; y.len()];
        let mut g_readout = vec![0.0; 2 * nh];
        let mut g_bias = vec![0.0; 2];
        let mut preds = Vec::new();
        let mut loss = 0.0;
        for b in 0..batch {
            let mut z = vec![0.0; nh];
            let mut soft = vec![vec![0.0; t_out]; nh];
            for j in 0..nh {
                let yj = &y[(b * nh + j) * t_out..(b * nh + j + 1) * t_out];
                let m = yj.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = yj.iter().map(|v| ((v - m) / TAU).exp()).collect();
                let sum: f64 = e.iter().sum();
                z[j] = m + TAU * sum.ln();
                soft[j] = e.iter().map(|v| v / sum).collect();
            }
            let logits: Vec<f64> = (0..2)
                .map(|c| {
                    self.bias[c]
                        + (0..nh)
                            .map(|j| self.readout[c * nh + j] * z[j])
                            .sum::<f64>()
                })
                .collect();
            preds.push(argmax(&logits));
            if let Some(labels) = labels {
                let mut gl = [0.0; 2];
                loss += cross_entropy(&logits, labels[b], &mut gl) / batch as f64;
                for c in 0..2 {
                    g_bias[c] += gl[c] / batch as f64;
                    for j in 0..nh {
                        g_readout[c * nh + j] += gl[c] * z[j] / batch as f64;
                        let gz = gl[c] * self.readout[c * nh + j] / batch as f64;
                        for t in 0..t_out {
                            gy[(b * nh + j) * t_out + t] += gz * soft[j][t];
                        }
                    }
                }
            }
        }
        let g = self.layer.backward(x, batch, steps, &gy);
        (preds, loss, [g.weight, g.position, g_readout, g_bias])
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Delays {
    Learned,
    FixedRandom,
    Zero,
}

/// Train and return the test accuracy after rounding to integer delays.
fn train_timing(delays: Delays, seed: u64) -> f64 {
    let (steps, gap, k, nh, epochs) = (24, 5, 15, 8, 80);
    let (x, y) = timing_task(256, steps, gap, 10 + seed);
    let (xt, yt) = timing_task(256, steps, gap, 1000 + seed);
    let mut rng = Pcg64::seed_from_u64(seed);
    let half = (k / 2) as f64;
    let w: Vec<f64> = (0..2 * nh).map(|_| rng.random::<f64>()).collect();
    let p: Vec<f64> = (0..2 * nh)
        .map(|_| match delays {
            Delays::Zero => half,
            _ => rng.random_range(-half..half),
        })
        .collect();
    let mut net = TimingNet {
        layer: Dcls1d::new(2, nh, k, w, p),
        readout: (0..2 * nh).map(|_| rng.random::<f64>() - 0.5).collect(),
        bias: vec![0.0; 2],
    };
    let schedule = SigmaSchedule::reference(k, epochs);
    let mut adam_w = Adam::new(0.02);
    let mut adam_p = Adam::new(0.5);
    let batch = 32;
    for _ in 0..epochs {
        for start in (0..256).step_by(batch) {
            let xb = &x[start * 2 * steps..(start + batch) * 2 * steps];
            let (_, _, [gw, gp, gr, gb]) =
                net.run(xb, batch, steps, Some(&y[start..start + batch]));
            adam_w.step(
                &mut [&mut net.layer.weight, &mut net.readout, &mut net.bias],
                &[&gw, &gr, &gb],
            );
            if delays == Delays::Learned {
                adam_p.step(&mut [&mut net.layer.position], &[&gp]);
                net.layer.clamp_positions();
            }
        }
        net.layer.sigma = schedule.step(net.layer.sigma);
    }
    net.layer.round_to_delays();
    let (preds, _, _) = net.run(&xt, 256, steps, Some(&yt));
    preds.iter().zip(&yt).filter(|(p, y)| p == y).count() as f64 / yt.len() as f64
}

#[test]
fn learned_delays_beat_random_delays_beat_no_delays() {
    let seeds = 0..4;
    let mean = |d: Delays| {
        let accs: Vec<f64> = seeds.clone().map(|s| train_timing(d, s)).collect();
        eprintln!("{d:?}: {accs:?}");
        accs.iter().sum::<f64>() / accs.len() as f64
    };
    let learned = mean(Delays::Learned);
    let random = mean(Delays::FixedRandom);
    let zero = mean(Delays::Zero);
    eprintln!(
        "test accuracy with integer delays: learned {learned:.3}, fixed random {random:.3}, zero {zero:.3}"
    );
    // Zero delays: both classes give the same peaks, the read-out can only guess.
    assert!((zero - 0.5).abs() < 0.05, "zero {zero}");
    assert!(random > zero + 0.05, "random {random} vs zero {zero}");
    assert!(
        learned > 0.95 && learned > random + 0.05,
        "learned {learned} vs random {random}"
    );
}
