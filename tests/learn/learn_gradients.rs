//! Back-propagation through time against central finite differences, in
//! f64, on the paths without a spike non-linearity (a hidden layer with the
//! spike replaced by the identity, and the non-spiking read-out membrane).

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
