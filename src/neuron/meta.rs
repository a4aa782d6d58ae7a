//! Probabilistic meta neurons (`model = "meta"`): stochastic firing.
//!
//! The meta neuron of Rudnicka, Szczepański & Pręgowska (arXiv 2508.11674)
//! is not specified in what could be retrieved; these are the two candidate
//! forms of `docs/algorithms.md` (d), under their own names:
//!
//! * **escape noise on a LIF membrane** (`firing = "exponential"` or
//!   `"sigmoid"`): the membrane evolves as `lif`; after the inputs of a
//!   step, a neuron that is not refractory spikes with probability
//!   `1 - exp(-dt · rho_0 · exp((v - v_th)/delta_u))` or
//!   `1 / (1 + exp(-(v - v_th)/delta_u))`, is reset and held for `t_ref`;
//! * **the Levy–Baxter neuron** (`firing = "levy_baxter"`, Levy & Baxter
//!   2002): memoryless; each excitatory input that arrives in a step passes
//!   its synapse with probability `success` and then adds `weight · Q`,
//!   `Q ~ U[0, 1]`; inhibitory (negative) inputs add `inhibition · weight`;
//!   the neuron spikes iff the sum reaches `g`.
//!
//! The intrinsic parameters (`tau_m`, `v_th`, `delta_u`, `success`, `g`) are
//! plain fields of [`EscapeNoise`] and [`LevyBaxter`], which the learning
//! rules (`learn::tempotron::neuron`) use and change directly.
//!
//! Each neuron has its own random stream keyed by population and index, so
//! its spikes do not depend on how the population is split between threads.

use rand::RngExt;
use rand_pcg::Pcg64;

use super::membrane::{self, Membrane, MembraneState};
use super::membrane::{MEMBRANE_PARAMS, MembraneParams};
use super::model::{ModelParams, NeuronModel};
use super::{Neuron, Variable, part};
use crate::engine::finite::{Watch, add_checked};
use crate::engine::persist::{Persist, Snapshot};
use crate::engine::rng;
use crate::model::ModelError;
use crate::model::spec::{Port, SimulationSpec};
use crate::model::units::Dimension;
use crate::synapse::{Arrival, EventRing};

/// How a meta neuron turns its state into a spike.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaParams {
    /// Escape noise on a LIF membrane.
    Escape {
        /// The LIF membrane.
        membrane: MembraneParams,
        /// The escape function.
        escape: Escape,
        /// Noise scale `Δu`, volts.
        delta_u: f64,
    },
    /// Levy & Baxter (2002): each input passes with probability `success`
    /// and then adds `weight · Q`, `Q ~ U[0, 1]`; inhibitory (negative)
    /// inputs add `inhibition · weight`; spike iff the sum reaches `g`.
    LevyBaxter {
        /// Probability that one input transmits.
        success: f64,
        /// Activation threshold, volts (the unit of the weights).
        g: f64,
        /// Factor of inhibitory inputs' weight.
        inhibition: f64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
/// The escape function of escape noise: firing probability per step from the distance to
/// threshold.
pub enum Escape {
    /// `P = 1 - exp(-dt · rho_0 · exp((v - v_th) / Δu))`.
    Exponential {
        /// The escape rate at threshold, Hz.
        rho_0: f64,
    },
    /// `P = 1 / (1 + exp(-(v - v_th) / Δu))` per step.
    Sigmoid,
}

/// `model = "meta"`: `firing = "exponential"` (default, with `rho_0`) or
/// `"sigmoid"`, both with the membrane's parameters and `delta_u`; or
/// `"levy_baxter"` with `success`, `g` and `inhibition` (1).
impl NeuronModel for MetaParams {
    fn example() -> (&'static str, &'static str) {
        (
            "tau_m = \"20 ms\", v_rest = \"-70 mV\", v_th = \"-50 mV\", rho_0 = \"100 Hz\", delta_u = \"2 mV\"",
            "",
        )
    }

    fn parse(r: &ModelParams) -> Result<Self, ModelError> {
        let (params, init) = (&r.params, &r.init);
        let firing = match params.string("firing")? {
            None => "exponential".to_string(),
            Some(f) => f.into_inner(),
        };
        match firing.as_str() {
            "exponential" | "sigmoid" => {
                let mut allowed = MEMBRANE_PARAMS.to_vec();
                allowed.extend(["firing", "delta_u", "rho_0"]);
                params.allow(&allowed)?;
                init.allow(&["v"])?;
                let membrane = MembraneParams::read(r)?;
                let delta_u = params.positive("delta_u", Dimension::Voltage)?;
                let escape = if firing == "sigmoid" {
                    if params.get("rho_0").is_some() {
                        return Err(params.error(
                            "rho_0",
                            "the sigmoid escape has no `rho_0`; it gives the probability per step",
                        ));
                    }
                    Escape::Sigmoid
                } else {
                    Escape::Exponential {
                        rho_0: params.positive("rho_0", Dimension::Frequency)?,
                    }
                };
                Ok(MetaParams::Escape {
                    membrane,
                    escape,
                    delta_u,
                })
            }
            "levy_baxter" => {
                params.allow(&["firing", "success", "g", "inhibition"])?;
                init.allow(&[])?;
                let success = params.scalar("success", Dimension::Dimensionless)?;
                if !(0.0..=1.0).contains(&success) {
                    return Err(params.error(
                        "success",
                        format!("is a probability and must lie in [0, 1], got {success}"),
                    ));
                }
                Ok(MetaParams::LevyBaxter {
                    success,
                    g: params.positive("g", Dimension::Voltage)?,
                    inhibition: params.non_negative_or("inhibition", 1.0)?,
                })
            }
            other => Err(params.error(
                "firing",
                format!(
                    "unknown firing {other:?}, expected \"exponential\", \"sigmoid\" or \"levy_baxter\""
                ),
            )),
        }
    }

    fn recordable(&self) -> &'static [&'static str] {
        match self {
            MetaParams::Escape { .. } => &["v", "p_spike"],
            MetaParams::LevyBaxter { .. } => &["sigma"],
        }
    }

    fn build(
        &self,
        n: usize,
        sim: &SimulationSpec,
        name: &str,
        init: &mut Pcg64,
    ) -> Box<dyn Neuron> {
        Box::new(Meta::new(self, n, sim, name, init))
    }

    fn state_bytes(&self) -> f64 {
        96.0
    }

    /// A Levy–Baxter neuron takes delta synapses through the projection
    /// checks for special synapses.
    fn synapses(&self) -> super::model::Synapses {
        match self {
            MetaParams::Escape { .. } => super::model::Synapses::DELTA,
            MetaParams::LevyBaxter { .. } => super::model::Synapses::NONE,
        }
    }

    fn membrane(&self) -> Option<&MembraneParams> {
        match self {
            MetaParams::Escape { membrane, .. } => Some(membrane),
            MetaParams::LevyBaxter { .. } => None,
        }
    }

    fn membrane_mut(&mut self) -> Option<&mut MembraneParams> {
        match self {
            MetaParams::Escape { membrane, .. } => Some(membrane),
            MetaParams::LevyBaxter { .. } => None,
        }
    }

    fn takes_sic(&self) -> bool {
        matches!(self, MetaParams::Escape { .. })
    }
}

/// Escape-noise firing: the chance of a spike in one step at potential `v`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EscapeNoise {
    /// The escape function.
    pub escape: Escape,
    /// The threshold it is centred on, volts.
    pub v_th: f64,
    /// Noise scale `Δu`, volts.
    pub delta_u: f64,
}

impl EscapeNoise {
    /// The probability of firing in a step of `dt` seconds at potential `v` (volts).
    pub fn probability(&self, v: f64, dt: f64) -> f64 {
        let x = (v - self.v_th) / self.delta_u;
        match self.escape {
            Escape::Exponential { rho_0 } => -(-dt * rho_0 * x.exp()).exp_m1(),
            Escape::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        }
    }
}

/// The Levy–Baxter synaptic-failure neuron's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevyBaxter {
    /// Synaptic success probability `s`.
    pub success: f64,
    /// Activation threshold (the unit of the weights).
    pub g: f64,
    /// Factor of inhibitory (negative-weight) inputs.
    pub inhibition: f64,
}

impl LevyBaxter {
    /// The contribution of one arriving input of `weight`.
    pub fn contribution(&self, weight: f64, rng: &mut Pcg64) -> f64 {
        if weight < 0.0 {
            return self.inhibition * weight;
        }
        let passes = rng.random::<f64>() < self.success;
        if passes {
            weight * rng.random::<f64>()
        } else {
            0.0
        }
    }

    /// `P(spike | n active excitatory inputs of weight w)` in closed form:
    /// `Σ_k C(n,k) s^k (1-s)^(n-k) (1 - F_IH(g/w; k))`.
    pub fn probability(&self, n: u32, w: f64) -> f64 {
        let s = self.success;
        (1..=n)
            .map(|k| {
                binomial(n, k)
                    * s.powi(k as i32)
                    * (1.0 - s).powi((n - k) as i32)
                    * (1.0 - irwin_hall_cdf(self.g / w, k))
            })
            .sum()
    }
}

/// `C(n, k)` as a float.
pub fn binomial(n: u32, k: u32) -> f64 {
    (0..k).fold(1.0, |c, j| c * (n - j) as f64 / (j + 1) as f64)
}

/// CDF of the sum of `k` independent `U[0, 1]` (Irwin–Hall):
/// `F(x) = (1/k!) Σ_{j ≤ x} (-1)^j C(k, j) (x - j)^k` on `[0, k]`. The
/// alternating sum loses digits for large `k`; it is exact enough to ~20.
pub fn irwin_hall_cdf(x: f64, k: u32) -> f64 {
    if x <= 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    if x >= k as f64 {
        return 1.0;
    }
    let factorial: f64 = (1..=k).map(|i| i as f64).product();
    let sum: f64 = (0..=x.floor() as u32)
        .map(|j| {
            let sign = if j % 2 == 0 { 1.0 } else { -1.0 };
            sign * binomial(k, j) * (x - j as f64).powi(k as i32)
        })
        .sum();
    (sum / factorial).clamp(0.0, 1.0)
}

/// Escape-noise neurons: a LIF membrane and its spike probabilities.
#[derive(Clone)]
struct EscapeCells {
    membrane: Membrane,
    state: MembraneState,
    noise: EscapeNoise,
    dt: f64,
    /// Spike probability of each neuron in the last step.
    p_spike: Vec<f64>,
}

impl EscapeCells {
    /// Threshold after step `k → k + 1`: one draw per neuron that is not
    /// refractory, in neuron order.
    fn fire(&mut self, k: u64, streams: &mut [Pcg64], spikes: &mut Vec<u32>, watch: &mut Watch) {
        let (m, s) = (&self.membrane, &mut self.state);
        for (i, stream) in streams.iter_mut().enumerate() {
            if k < s.refractory_until[i] {
                self.p_spike[i] = 0.0;
                continue;
            }
            let p = self.noise.probability(s.v[i], self.dt);
            if watch.on && !p.is_finite() {
                // Kept at its last value, which makes the draw below finite.
                watch.note_at(i, "p_spike", (p, k + 1), (self.p_spike[i], k));
            } else {
                self.p_spike[i] = p;
            }
            if stream.random::<f64>() < self.p_spike[i] {
                spikes.push(i as u32);
                s.v[i] = m.v_reset;
                s.refractory_until[i] = k + 1 + m.refractory_steps as u64;
            }
        }
    }
}

enum Kind {
    Escape(Box<EscapeCells>),
    LevyBaxter {
        unit: LevyBaxter,
        /// Summed input of each neuron in the last step.
        sigma: Vec<f64>,
        touched: Vec<u32>,
    },
}

/// A population of meta neurons (escape noise or Levy–Baxter synaptic failures over a LIF
/// membrane).
pub struct Meta {
    kind: Kind,
    streams: Vec<Pcg64>,
    watch: Watch,
}

impl Meta {
    /// `n` meta neurons with parameters `p` for the run `sim`, their random streams keyed by
    /// the population's `name`, initial values from `init_rng`.
    pub fn new(
        p: &MetaParams,
        n: usize,
        sim: &SimulationSpec,
        name: &str,
        init_rng: &mut Pcg64,
    ) -> Self {
        let kind = match p {
            MetaParams::Escape {
                membrane,
                escape,
                delta_u,
            } => {
                let m = Membrane::new(membrane, sim.dt, n);
                let state = m.initial_state(membrane, n, init_rng);
                Kind::Escape(Box::new(EscapeCells {
                    noise: EscapeNoise {
                        escape: *escape,
                        v_th: membrane.v_th,
                        delta_u: *delta_u,
                    },
                    membrane: m,
                    state,
                    dt: sim.dt,
                    p_spike: vec![0.0; n],
                }))
            }
            MetaParams::LevyBaxter {
                success,
                g,
                inhibition,
            } => Kind::LevyBaxter {
                unit: LevyBaxter {
                    success: *success,
                    g: *g,
                    inhibition: *inhibition,
                },
                sigma: vec![0.0; n],
                touched: Vec::new(),
            },
        };
        let streams = (0..n)
            .map(|i| rng::stream(sim.seed, "meta", &format!("{name}#{i}")))
            .collect();
        Self {
            kind,
            streams,
            watch: Watch::new(sim.dt),
        }
    }
}

/// Levy–Baxter sums of the inputs of one grid point; spikes where they reach `g`.
fn levy_baxter_fire(
    unit: &LevyBaxter,
    events: &[Arrival],
    (sigma, touched): (&mut [f64], &mut Vec<u32>),
    streams: &mut [Pcg64],
    spikes: &mut Vec<u32>,
    (watch, k): (&mut Watch, u64),
) {
    for &i in touched.iter() {
        sigma[i as usize] = 0.0;
    }
    touched.clear();
    for e in events {
        let i = e.target as usize;
        touched.push(e.target);
        let c = unit.contribution(e.weight as f64, &mut streams[i]);
        if watch.on {
            add_checked(watch, &mut sigma[i], c, (i, "sigma"), k + 1);
        } else {
            sigma[i] += c;
        }
    }
    touched.sort_unstable();
    touched.dedup();
    spikes.extend(touched.iter().filter(|&&i| sigma[i as usize] >= unit.g));
}

impl Neuron for Meta {
    fn size(&self) -> usize {
        self.streams.len()
    }

    fn ports(&self) -> &'static [Port] {
        &[Port::Voltage, Port::Sic]
    }

    fn variables(&self) -> Vec<Variable> {
        match self.kind {
            Kind::Escape(_) => vec![
                Variable {
                    name: "v",
                    unit: "V",
                },
                Variable {
                    name: "p_spike",
                    unit: "",
                },
            ],
            Kind::LevyBaxter { .. } => vec![Variable {
                name: "sigma",
                unit: "V",
            }],
        }
    }

    fn propagate(&mut self, k: u64) {
        if let Kind::Escape(cells) = &mut self.kind {
            membrane::propagate(&cells.membrane, &mut cells.state, k, &mut self.watch);
        }
    }

    fn settle(&mut self, k: u64, inputs: &[EventRing], spikes: &mut Vec<u32>) {
        match &mut self.kind {
            Kind::Escape(cells) => {
                let (m, state) = (&cells.membrane, &mut cells.state);
                m.apply_sic(inputs[1].slot(k + 1), state, &self.watch);
                m.apply_jumps(k, inputs[0].slot(k + 1), state, &mut self.watch);
                cells.fire(k, &mut self.streams, spikes, &mut self.watch);
            }
            Kind::LevyBaxter {
                unit,
                sigma,
                touched,
            } => {
                let events = inputs[0].slot(k + 1);
                let streams = &mut self.streams;
                let watch = (&mut self.watch, k);
                levy_baxter_fire(unit, events, (sigma, touched), streams, spikes, watch);
            }
        }
    }

    fn set_external_drive(&mut self, drive: &[f64]) {
        if let Kind::Escape(cells) = &mut self.kind {
            cells
                .membrane
                .set_external(&mut cells.state, drive, &self.watch);
        }
    }

    fn sample(&self, variable: &str, neurons: &[u32], out: &mut Vec<f64>) {
        let values = match (&self.kind, variable) {
            (Kind::Escape(cells), "v") => &cells.state.v,
            (Kind::Escape(cells), _) => &cells.p_spike,
            (Kind::LevyBaxter { sigma, .. }, _) => sigma,
        };
        out.extend(neurons.iter().map(|&i| values[i as usize]));
    }

    fn split(&self, offset: usize, len: usize) -> Box<dyn Neuron> {
        let kind = match &self.kind {
            Kind::Escape(cells) => Kind::Escape(Box::new(EscapeCells {
                membrane: cells.membrane.clone(),
                state: cells.state.part(offset, len),
                noise: cells.noise,
                dt: cells.dt,
                p_spike: part(&cells.p_spike, offset, len),
            })),
            Kind::LevyBaxter { unit, sigma, .. } => Kind::LevyBaxter {
                unit: *unit,
                sigma: part(sigma, offset, len),
                touched: Vec::new(),
            },
        };
        Box::new(Self {
            kind,
            streams: part(&self.streams, offset, len),
            watch: self.watch.part(),
        })
    }

    fn threshold(&self) -> Option<f64> {
        match &self.kind {
            Kind::Escape(cells) => Some(cells.noise.v_th),
            Kind::LevyBaxter { .. } => None,
        }
    }

    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("meta");
        match &mut self.kind {
            Kind::Escape(cells) => {
                s.tag("escape");
                cells.state.persist(s);
                s.slice(&mut cells.p_spike);
            }
            Kind::LevyBaxter { sigma, touched, .. } => {
                s.tag("levy_baxter");
                s.slice(sigma);
                s.vec(touched);
                s.below("touched neuron", touched, sigma.len());
            }
        }
        s.rngs(&mut self.streams);
    }

    fn finite_watch(&mut self) -> Option<&mut Watch> {
        Some(&mut self.watch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn irwin_hall_matches_known_values() {
        // k = 1: uniform; k = 2: x²/2 below 1; symmetric about k/2.
        assert!((irwin_hall_cdf(0.3, 1) - 0.3).abs() < 1e-15);
        assert!((irwin_hall_cdf(0.6, 2) - 0.18).abs() < 1e-15);
        assert!((irwin_hall_cdf(1.5, 3) - 0.5).abs() < 1e-14);
        assert!((irwin_hall_cdf(1.0, 2) - 0.5).abs() < 1e-15);
        // k = 3 on [1, 2]: (-2x³ + 9x² - 9x + 3)/6 ... at x = 1.2.
        let x: f64 = 1.2;
        let expected = (-2.0 * x.powi(3) + 9.0 * x * x - 9.0 * x + 3.0) / 6.0;
        assert!((irwin_hall_cdf(x, 3) - expected).abs() < 1e-14);
    }

    #[test]
    fn escape_probabilities_have_their_closed_forms() {
        let e = EscapeNoise {
            escape: Escape::Exponential { rho_0: 100.0 },
            v_th: -0.05,
            delta_u: 0.002,
        };
        let p = e.probability(-0.05, 1e-3);
        assert!((p - (1.0 - (-0.1f64).exp())).abs() < 1e-15);
        let s = EscapeNoise {
            escape: Escape::Sigmoid,
            ..e
        };
        assert!((s.probability(-0.05, 1e-3) - 0.5).abs() < 1e-15);
    }

    /// An inhibitory input times an infinite factor (no model file gives
    /// one) would make `sigma` infinite: noted, and not added.
    #[test]
    fn a_non_finite_levy_baxter_sum_is_noted() {
        let unit = LevyBaxter {
            success: 0.5,
            g: 1.0,
            inhibition: f64::MAX,
        };
        let mut watch = Watch::new(1e-4);
        let (mut sigma, mut touched) = (vec![0.0; 4], Vec::new());
        let mut streams: Vec<Pcg64> = (0..4)
            .map(|i| rng::stream(1, "t", &format!("{i}")))
            .collect();
        let events = [Arrival {
            target: 2,
            weight: -2.0,
        }];
        let mut spikes = Vec::new();
        let sums = (&mut sigma[..], &mut touched);
        levy_baxter_fire(
            &unit,
            &events,
            sums,
            &mut streams,
            &mut spikes,
            (&mut watch, 9),
        );
        let note = watch.first().unwrap();
        assert_eq!(
            (note.neuron, note.variable, note.value),
            (2, "sigma", f64::NEG_INFINITY)
        );
        assert_eq!((note.time, note.last_finite), (10.0 * 1e-4, 0.0));
        assert_eq!(sigma[2], 0.0);
    }
}
