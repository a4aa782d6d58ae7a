//! Back-propagation through time against central finite differences, in
//! f64: on the paths without a spike non-linearity (a hidden layer with the
//! spike replaced by the identity, and the non-spiking read-out membrane),
//! and through spikes, thresholds and resets against a reference network
//! written out here in which the surrogate gradient is an exact derivative
//! (see [`reference_loss`]).

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use spikesim::learn::net::{LifShape, Network, Readout};
use spikesim::learn::surrogate::Surrogate;

const STEPS: usize = 12;
const N_IN: usize = 5;

fn input(seed: u64) -> Vec<f64> {
    let mut rng = Pcg64::seed_from_u64(seed);
    (0..STEPS * N_IN)
        .map(|_| if rng.random_bool(0.3) { 1.0 } else { 0.0 })
        .collect()
}

fn shape(size: usize, spiking: bool, recurrent: bool) -> LifShape {
    cuba(size, spiking, recurrent, None)
}

fn cuba(size: usize, spiking: bool, recurrent: bool, tau_syn: Option<f64>) -> LifShape {
    LifShape {
        tau_syn,
        size,
        tau: 4.0,
        threshold: 0.3,
        recurrent,
        spiking,
    }
}

#[allow(clippy::needless_range_loop)] // indexes parameters and gradients alike
/// Compares every gradient element of layers `from..` with
/// `(L(p + h) - L(p - h)) / 2h`.
fn check(net: &mut Network<f64>, from: usize) -> usize {
    let x = input(7);
    let label = 2;
    let mut grads = net.zero_grads();
    net.backprop(&x, STEPS, label, &mut grads);
    let mut checked = 0;
    for l in from..net.layers.len() {
        let names = net.layers[l].param_names();
        for (p, name) in names.iter().enumerate() {
            let len = net.layers[l].params()[p].len();
            // Thresholds act only through spikes; a CuBa layer's tau is fixed.
            let cuba = net.layers[l].as_lif().is_some_and(|c| c.tau_syn.is_some());
            if *name == "threshold" || (cuba && *name == "tau") {
                continue;
            }
            for e in 0..len {
                let orig = net.layers[l].params()[p][e];
                let h = 1e-6 * orig.abs().max(1e-2);
                net.layers[l].params_mut()[p][e] = orig + h;
                let up = net.loss(&x, STEPS, label);
                net.layers[l].params_mut()[p][e] = orig - h;
                let down = net.loss(&x, STEPS, label);
                net.layers[l].params_mut()[p][e] = orig;
                let numeric = (up - down) / (2.0 * h);
                let analytic = grads[l][p][e];
                let scale = numeric.abs().max(analytic.abs()).max(1e-8);
                assert!(
                    (numeric - analytic).abs() / scale < 1e-5,
                    "layer {l} {name}[{e}]: analytic {analytic}, numeric {numeric}"
                );
                checked += 1;
            }
        }
    }
    checked
}

#[test]
fn non_spiking_paths_match_finite_differences() {
    let mut net = Network::<f64>::lif(
        N_IN,
        &[shape(6, false, true), shape(3, false, false)],
        Readout::Membrane,
        Surrogate::FastSigmoid { slope: 25.0 },
        1.0,
        3,
    );
    // weights 5*6 + recurrent 6*6 + tau; read-out weights 6*3 + tau.
    assert_eq!(check(&mut net, 0), 30 + 36 + 1 + 18 + 1);
}

#[test]
fn readout_membrane_gradients_match_behind_a_spiking_layer() {
    let mut net = Network::<f64>::lif(
        N_IN,
        &[shape(8, true, true), shape(3, false, false)],
        Readout::Membrane,
        Surrogate::Arctan { alpha: 2.0 },
        2.0,
        5,
    );
    let traces = net.forward(&input(7), STEPS);
    let spikes: f64 = traces[0].y.iter().sum();
    assert!(
        spikes > 3.0,
        "the hidden layer must spike for the check to mean anything"
    );
    assert_eq!(check(&mut net, 1), 8 * 3 + 1);
}

#[test]
fn cuba_layers_match_finite_differences() {
    let mut net = Network::<f64>::lif(
        N_IN,
        &[cuba(6, false, true, Some(2.5)), shape(3, false, false)],
        Readout::Membrane,
        Surrogate::FastSigmoid { slope: 25.0 },
        1.0,
        11,
    );
    // CuBa weights 5*6 + recurrent 6*6 (its tau is fixed); read-out 6*3 + tau.
    assert_eq!(check(&mut net, 0), 30 + 36 + 18 + 1);
}

/// One LIF layer as the reference network sees it: the layer's documented
/// equations, written out again here, not the library's code.
#[derive(Clone)]
struct RefLayer {
    n_in: usize,
    n: usize,
    w: Vec<f64>,
    rec: Vec<f64>,
    tau: f64,
    theta: f64,
    spiking: bool,
    tau_syn: Option<f64>,
}

/// What the Heaviside did in the unperturbed forward pass: the spikes
/// `h` and the distances `x0 = U - theta` at which they were decided.
#[derive(Clone, Default)]
struct Frozen {
    h: Vec<f64>,
    x0: Vec<f64>,
}

/// A smooth spike function whose derivative is the surrogate: the
/// primitives of `1/(1+k|x|)^2` and `(a/2)/(1+(pi/2 a x)^2)`.
fn primitive(s: Surrogate, x: f64) -> f64 {
    match s {
        Surrogate::FastSigmoid { slope } => x / (1.0 + slope * x.abs()),
        Surrogate::Arctan { alpha } => {
            (std::f64::consts::FRAC_PI_2 * alpha * x).atan() / std::f64::consts::PI
        }
    }
}

/// One layer forward. Without `frozen` the spike is the Heaviside and the
/// pass records what it decided. With `frozen`, the spike is the
/// straight-through `h + p(x) - p(x0)` and the reset multiplies by the
/// frozen `1 - h`: at the unperturbed parameters every value equals the
/// Heaviside pass, and the derivative of a spike is exactly the surrogate
/// `p'(x)` while the reset is a constant (the layer's "detached" reset),
/// so central differences of this pass are the surrogate gradient.
/// `detach_reset = false` lets the reset carry the smooth spike's
/// derivative instead (`V = U (1 - S)` with `S` differentiated).
fn ref_layer(
    l: &RefLayer,
    input: &[f64],
    steps: usize,
    s: Surrogate,
    frozen: Option<&Frozen>,
    detach_reset: bool,
) -> (Vec<f64>, Frozen) {
    let n = l.n;
    let beta = (-1.0 / l.tau).exp();
    // Exact one-step propagators of the CuBa synapse (textbook form).
    let (alpha, kappa) = l.tau_syn.map_or((0.0, 0.0), |ts| {
        let tm = l.tau;
        let a = (-1.0 / ts).exp();
        (a, ts / (ts - tm) * (a - beta))
    });
    let mut y = vec![0.0; steps * n];
    let (mut v, mut current) = (vec![0.0; n], vec![0.0; n]);
    let mut record = Frozen::default();
    for t in 0..steps {
        for j in 0..n {
            let mut a = 0.0;
            if t > 0 {
                for i in 0..l.n_in {
                    a += input[(t - 1) * l.n_in + i] * l.w[i * n + j];
                }
                if !l.rec.is_empty() {
                    for k in 0..n {
                        a += y[(t - 1) * n + k] * l.rec[k * n + j];
                    }
                }
            }
            let u = match l.tau_syn {
                None => beta * v[j] + a,
                Some(_) => {
                    let u = beta * v[j] + kappa * current[j];
                    current[j] = alpha * current[j] + a;
                    u
                }
            };
            if !l.spiking {
                y[t * n + j] = u;
                v[j] = u;
                continue;
            }
            let x = u - l.theta;
            let (h, x0) = match frozen {
                Some(f) => (f.h[t * n + j], f.x0[t * n + j]),
                None => (if x > 0.0 { 1.0 } else { 0.0 }, x),
            };
            let spike = h + primitive(s, x) - primitive(s, x0);
            y[t * n + j] = spike;
            v[j] = if detach_reset {
                u * (1.0 - h)
            } else {
                u * (1.0 - spike)
            };
            // In [t][j] order, as the loops run.
            record.h.push(h);
            record.x0.push(x);
        }
    }
    (y, record)
}

/// The network's loss by the reference: layers in sequence, each reading
/// the previous one's output one step late, input padded with one silent
/// step per layer, class scores the mean read-out membrane or its spike
/// count, and `-ln softmax(z)[label]`.
#[allow(clippy::too_many_arguments)]
fn reference_loss(
    layers: &[RefLayer],
    readout: Readout,
    s: Surrogate,
    x: &[f64],
    label: usize,
    frozen: Option<&[Frozen]>,
    detach_reset: bool,
) -> (f64, Vec<Frozen>, Vec<Vec<f64>>) {
    let steps = STEPS + layers.len();
    let mut signal = x.to_vec();
    signal.resize(steps * N_IN, 0.0);
    let (mut records, mut outputs) = (Vec::new(), Vec::new());
    for (l, layer) in layers.iter().enumerate() {
        let f = frozen.map(|f| &f[l]);
        let (y, record) = ref_layer(layer, &signal, steps, s, f, detach_reset);
        records.push(record);
        outputs.push(y.clone());
        signal = y;
    }
    let classes = layers.last().unwrap().n;
    let mut z = vec![0.0; classes];
    for row in signal.chunks(classes) {
        for (zc, y) in z.iter_mut().zip(row) {
            *zc += y;
        }
    }
    if readout == Readout::Membrane {
        z.iter_mut().for_each(|zc| *zc /= steps as f64);
    }
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lse = max + z.iter().map(|zc| (zc - max).exp()).sum::<f64>().ln();
    (lse - z[label], records, outputs)
}

fn reference_of(net: &Network<f64>) -> Vec<RefLayer> {
    net.layers
        .iter()
        .map(|l| {
            let c = l.as_lif().expect("LIF layers");
            RefLayer {
                n_in: c.n_in,
                n: c.n_out,
                w: c.w.clone(),
                rec: c.rec.clone(),
                tau: c.tau[0],
                theta: c.theta[0],
                spiking: c.spiking,
                tau_syn: c.tau_syn,
            }
        })
        .collect()
}

/// The reference's tensor `p` (weights, recurrent, tau, threshold).
fn tensor(l: &mut RefLayer, p: usize) -> &mut [f64] {
    match p {
        0 => &mut l.w,
        1 => &mut l.rec,
        2 => std::slice::from_mut(&mut l.tau),
        _ => std::slice::from_mut(&mut l.theta),
    }
}

/// What [`check_through_spikes`] compared.
#[derive(Debug, Default)]
struct Coverage {
    checked: usize,
    thresholds: usize,
    spikes: f64,
    /// Largest relative change of a gradient element when the reference's
    /// reset is not detached: how much the reset path weighs in the check.
    reset_weight: f64,
}

#[allow(clippy::needless_range_loop)] // indexes parameters and gradients alike
/// Compares the network's back-propagated gradients of every trainable
/// element with central differences of the straight-through reference.
fn check_through_spikes(net: &Network<f64>, surrogate: Surrogate, label: usize) -> Coverage {
    let x = input(7);
    let mut grads = net.zero_grads();
    let out = net.backprop(&x, STEPS, label, &mut grads);
    let base = reference_of(net);
    let (loss, frozen, outputs) =
        reference_loss(&base, net.readout, surrogate, &x, label, None, true);
    // The reference computes the same forward pass as the library.
    assert!(
        (loss - out.loss).abs() < 1e-12,
        "loss {loss} vs {}",
        out.loss
    );
    for (l, trace) in net.forward(&x, STEPS).iter().enumerate() {
        for (a, b) in trace.y.iter().zip(&outputs[l]) {
            assert!((a - b).abs() < 1e-12, "layer {l} output {a} vs {b}");
        }
    }
    let mut cov = Coverage {
        spikes: frozen.iter().flat_map(|f| &f.h).sum(),
        ..Coverage::default()
    };
    for l in 0..base.len() {
        for p in 0..4 {
            let fixed_tau = p == 2 && base[l].tau_syn.is_some();
            if (p == 3 && !base[l].spiking) || fixed_tau {
                continue;
            }
            for e in 0..tensor(&mut base[l].clone(), p).len() {
                let difference = |detach: bool| {
                    let mut probe = base.clone();
                    let orig = tensor(&mut probe[l], p)[e];
                    let h = 1e-3 * orig.abs().max(0.1);
                    let mut at = |v: f64| {
                        tensor(&mut probe[l], p)[e] = v;
                        let r = reference_loss(
                            &probe,
                            net.readout,
                            surrogate,
                            &x,
                            label,
                            Some(&frozen),
                            detach,
                        );
                        r.0
                    };
                    // Richardson's extrapolation of central differences:
                    // error O(h^4), so h can stay clear of round-off.
                    let mut central = |h: f64| (at(orig + h) - at(orig - h)) / (2.0 * h);
                    let (coarse, fine) = (central(h), central(h / 2.0));
                    (4.0 * fine - coarse) / 3.0
                };
                let numeric = difference(true);
                let analytic = grads[l][p][e];
                // Differences of a loss of order 1 resolve about 1e-11
                // (measured: largest error 1.2e-11, largest relative error
                // of an element above 1e-6 is 2e-6).
                let scale = numeric.abs().max(analytic.abs());
                assert!(
                    (numeric - analytic).abs() < 1e-5 * scale + 1e-10,
                    "layer {l} tensor {p}[{e}]: analytic {analytic}, reference {numeric}"
                );
                let attached = difference(false);
                let change = (attached - numeric).abs() / scale;
                cov.reset_weight = cov.reset_weight.max(change);
                cov.checked += 1;
                cov.thresholds += usize::from(p == 3);
            }
        }
    }
    cov
}

#[test]
fn spiking_layers_match_a_straight_through_reference() {
    for surrogate in [
        Surrogate::FastSigmoid { slope: 5.0 },
        Surrogate::Arctan { alpha: 2.0 },
    ] {
        let net = Network::<f64>::lif(
            N_IN,
            &[shape(8, true, true), shape(3, false, false)],
            Readout::Membrane,
            surrogate,
            2.0,
            5,
        );
        let cov = check_through_spikes(&net, surrogate, 1);
        // weights 5*8 + recurrent 8*8 + tau + threshold; read-out 8*3 + tau.
        assert_eq!(cov.checked, 40 + 64 + 2 + 24 + 1, "{surrogate:?}");
        assert_eq!(cov.thresholds, 1);
        assert!(cov.spikes >= 10.0, "too few spikes to test: {cov:?}");
        // The check would see a reset that is not detached.
        assert!(cov.reset_weight > 0.05, "{surrogate:?}: {cov:?}");
    }
}

#[test]
fn stacked_spiking_layers_and_a_spike_count_match_the_reference() {
    let surrogate = Surrogate::FastSigmoid { slope: 1.0 };
    let net = Network::<f64>::lif(
        N_IN,
        &[shape(6, true, true), shape(3, true, false)],
        Readout::SpikeCount,
        surrogate,
        2.5,
        8,
    );
    let cov = check_through_spikes(&net, surrogate, 0);
    // weights 5*6 + recurrent 6*6 + tau + threshold; 6*3 + tau + threshold.
    assert_eq!(cov.checked, 30 + 36 + 2 + 18 + 2);
    assert_eq!(cov.thresholds, 2);
    assert!(cov.spikes >= 10.0, "too few spikes to test: {cov:?}");
    assert!(cov.reset_weight > 0.05, "{cov:?}");
}

#[test]
fn a_spiking_cuba_layer_matches_the_reference() {
    let surrogate = Surrogate::Arctan { alpha: 2.0 };
    let net = Network::<f64>::lif(
        N_IN,
        &[cuba(6, true, true, Some(2.5)), shape(3, false, false)],
        Readout::Membrane,
        surrogate,
        3.0,
        11,
    );
    let cov = check_through_spikes(&net, surrogate, 2);
    // CuBa weights 5*6 + recurrent 6*6 + threshold (tau fixed); 6*3 + tau.
    assert_eq!(cov.checked, 30 + 36 + 1 + 18 + 1);
    assert!(cov.spikes >= 10.0, "too few spikes to test: {cov:?}");
    assert!(cov.reset_weight > 0.05, "{cov:?}");
}
