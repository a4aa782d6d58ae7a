//! The Li–Rinzel astrocyte (`model = "astrocyte"`).
//!
//! **Our substitute, not the AM-SU paper's model**: the AM-SU / AstroSNN
//! paper's equations could not be retrieved, so spikesim uses the model of
//! NEST's `astrocyte_lr_1994` (Li & Rinzel 1994, De Young & Keizer IP3
//! receptor, Nadkarni & Jung 2003 parameters), with the same equations and
//! defaults as NEST 3.10. State per astrocyte: IP3, cytosolic calcium `ca`
//! and the fraction `h` of IP3 receptors not inactivated (concentrations in
//! µM, time in s):
//!
//! ```text
//! d ip3/dt = (ip3_0 - ip3) / tau_ip3
//! d ca/dt  = J_chan - J_pump + J_leak
//! d h/dt   = alpha_h (1 - h) - beta_h h
//! ```
//!
//! with `m_inf = ip3/(ip3 + kd_ip3_1)`, `n_inf = ca/(ca + kd_act)`,
//! `ca_er = (ca_tot - ca)/r_er` (the ER holds what the cytosol does not, in
//! ER volume units),
//! `J_chan = r_er rate_ip3r m_inf³ n_inf³ h³ (ca_er - ca)`,
//! `J_leak = r_er rate_l (ca_er - ca)`,
//! `J_pump = rate_serca ca²/(km_serca² + ca²)`,
//! `alpha_h = k_ip3r kd_inh (ip3 + kd_ip3_1)/(ip3 + kd_ip3_2)`,
//! `beta_h = k_ip3r ca`. As in NEST, the right-hand side reads `ca`
//! clamped to `[0, ca_tot]`, and the state's `ca` is clamped to
//! `[0, ca_tot]` after every step.
//!
//! Input: each spike through a tripartite synapse adds `delta_ip3 · weight`
//! to IP3 at its arrival, after the step that ends there (NEST's order).
//! Output: the slow inward current `I_SIC = sic_scale · ln(y)` for
//! `y = (ca - sic_th)` in nM above 1, else 0, computed from the calcium at
//! the end of each step and sent every step to the neurons of
//! `synapse = "sic"` projections.
//!
//! **Integration.** Classic fourth-order Runge–Kutta on the simulation
//! clock, `ceil(dt / max_step)` equal substeps per step (one at the usual
//! `dt ≤ 1 ms`). NEST takes one adaptive RKF45 step per grid step (its
//! tolerance, 1e-3 µM absolute, never shrinks the step at these rates);
//! the fastest time scale here is about 0.1 s (`1/(rate_ip3r (1 + r_er))`
//! ≈ 0.14 s at full channel opening), so both are converged: the tests
//! find spikesim's IP3, calcium and `h` within 2e-12 relative of NEST
//! 3.10's at 1 ms and at 0.1 ms steps (`tests/astrocyte.rs`). A fixed step
//! keeps runs reproducible and cheap.

use super::model::{ModelParams, NeuronModel};
use super::{Neuron, Variable, part};
use crate::engine::finite::{Watch, add_checked};
use crate::engine::persist::Snapshot;
use crate::engine::rng;
use crate::model::ModelError;
use crate::model::spec::{Port, SimulationSpec, ValueSpec};
use crate::model::units::Dimension;
use crate::model::validate::check_range;
use crate::synapse::EventRing;
use rand_pcg::Pcg64;

/// The Li–Rinzel astrocyte (De Young–Keizer IP3 receptor, Nadkarni & Jung
/// 2003 defaults, as NEST's `astrocyte_lr_1994`). Our substitute for the
/// AM-SU paper's unpublished equations, not the paper's model.
#[derive(Debug, Clone, PartialEq)]
pub struct AstrocyteParams {
    /// Total free calcium of the cell (cytosol and ER), µM.
    pub ca_tot: f64,
    /// Baseline IP3 concentration, µM.
    pub ip3_0: f64,
    /// IP3 dissociation constant of the IP3 receptor (d1), µM.
    pub kd_ip3_1: f64,
    /// Calcium-inactivation dissociation constant (d2), µM.
    pub kd_ip3_2: f64,
    /// Calcium-activation dissociation constant (d5), µM.
    pub kd_act: f64,
    /// IP3 dissociation constant of inhibition (d3), µM.
    pub kd_inh: f64,
    /// Calcium affinity of the SERCA pumps, µM.
    pub km_serca: f64,
    /// Slow inward current per unit of `ln(y)`, amperes.
    pub sic_scale: f64,
    /// Calcium above which a SIC flows, µM.
    pub sic_th: f64,
    /// IP3 added per unit of presynaptic weight, µM.
    pub delta_ip3: f64,
    /// IP3 receptor binding rate for calcium inhibition (a2), 1/(µM s).
    pub k_ip3r: f64,
    /// Maximal rate of calcium release through IP3 receptors, 1/s.
    pub rate_ip3r: f64,
    /// Calcium leak rate from the ER, 1/s.
    pub rate_l: f64,
    /// Maximal calcium uptake rate of the SERCA pumps, µM/s.
    pub rate_serca: f64,
    /// Ratio of ER to cytosol volume.
    pub ratio_er_cyt: f64,
    /// IP3 degradation time constant, seconds.
    pub tau_ip3: f64,
    /// Longest RK4 substep, seconds.
    pub max_step: f64,
    /// Initial IP3 concentration, µM.
    pub init_ip3: ValueSpec,
    /// Initial cytosolic calcium, µM.
    pub init_ca: ValueSpec,
    /// Initial fraction of open IP3 receptor gates (h).
    pub init_h: ValueSpec,
}

/// Parameters of the `astrocyte` model.
const ASTROCYTE_PARAMS: &[&str] = &[
    "ca_tot",
    "ip3_0",
    "kd_ip3_1",
    "kd_ip3_2",
    "kd_act",
    "kd_inh",
    "km_serca",
    "sic_scale",
    "sic_th",
    "delta_ip3",
    "k_ip3r",
    "rate_ip3r",
    "rate_l",
    "rate_serca",
    "ratio_er_cyt",
    "tau_ip3",
    "max_step",
];

/// `model = "astrocyte"`: NEST's `astrocyte_lr_1994` parameters with its
/// defaults; `init` may set `ip3`, `ca` and `h`.
impl NeuronModel for AstrocyteParams {
    fn example() -> (&'static str, &'static str) {
        ("", "")
    }

    fn parse(r: &ModelParams) -> Result<Self, ModelError> {
        let (params, init) = (&r.params, &r.init);
        params.allow(ASTROCYTE_PARAMS)?;
        init.allow(&["ip3", "ca", "h"])?;
        let conc = |key: &str, default: f64| params.non_negative_or(key, default);
        let pos =
            |key: &str, default: f64| params.positive_or(key, Dimension::Dimensionless, default);
        let rate = |key: &str, default: f64| -> Result<f64, ModelError> {
            let r = params.scalar_or(key, Dimension::Frequency, default)?;
            if r < 0.0 {
                return Err(params.error(key, "must not be negative"));
            }
            Ok(r)
        };
        let n = Some(r.size as usize);
        let init_value =
            |key: &str, default: f64, upper: Option<f64>| -> Result<ValueSpec, ModelError> {
                let Some((spec, _)) = init.value(key, &[Dimension::Dimensionless], n)? else {
                    return Ok(ValueSpec::Constant(default));
                };
                check_range(&spec, 0.0, upper).map_err(|m| init.error(key, m))?;
                Ok(spec)
            };
        let p = AstrocyteParams {
            ca_tot: pos("ca_tot", 2.0)?,
            ip3_0: conc("ip3_0", 0.16)?,
            kd_ip3_1: pos("kd_ip3_1", 0.13)?,
            kd_ip3_2: pos("kd_ip3_2", 0.9434)?,
            kd_act: pos("kd_act", 0.08234)?,
            kd_inh: conc("kd_inh", 1.049)?,
            km_serca: pos("km_serca", 0.1)?,
            sic_scale: params.positive_or("sic_scale", Dimension::Current, 1e-12)?,
            sic_th: conc("sic_th", 0.19669)?,
            delta_ip3: conc("delta_ip3", 0.0002)?,
            k_ip3r: rate("k_ip3r", 0.2)?,
            rate_ip3r: rate("rate_ip3r", 6.0)?,
            rate_l: rate("rate_l", 0.11)?,
            rate_serca: rate("rate_serca", 0.9)?,
            ratio_er_cyt: pos("ratio_er_cyt", 0.185)?,
            tau_ip3: params.positive_or("tau_ip3", Dimension::Time, 7.142)?,
            max_step: params.positive_or("max_step", Dimension::Time, 1e-3)?,
            init_ip3: ValueSpec::Constant(0.0),
            init_ca: init_value("ca", 0.073, None)?,
            init_h: init_value("h", 0.793, Some(1.0))?,
        };
        let init_ip3 = init_value("ip3", p.ip3_0, None)?;
        Ok(AstrocyteParams { init_ip3, ..p })
    }

    fn recordable(&self) -> &'static [&'static str] {
        &["ca", "ip3", "h", "sic"]
    }

    /// Astrocytes take tripartite synapses only, which the projection
    /// checks route themselves.
    fn synapses(&self) -> super::model::Synapses {
        super::model::Synapses::NONE
    }

    fn build(
        &self,
        n: usize,
        sim: &SimulationSpec,
        _name: &str,
        init: &mut Pcg64,
    ) -> Box<dyn Neuron> {
        Box::new(Astrocytes::new(self, n, sim.dt, init))
    }

    fn state_bytes(&self) -> f64 {
        96.0
    }
}

/// The right-hand side of the Li–Rinzel equations, with its constants.
#[derive(Debug, Clone)]
pub struct LiRinzel {
    /// The parameters.
    pub p: AstrocyteParams,
}

/// One astrocyte's state: `[ip3, ca, h]`, µM, µM, fraction.
pub type State = [f64; 3];

impl LiRinzel {
    /// The equations of parameters `p`.
    pub fn new(p: &AstrocyteParams) -> Self {
        Self { p: p.clone() }
    }

    /// Time derivatives per second.
    pub fn derivatives(&self, y: &State) -> State {
        let p = &self.p;
        let [ip3, ca, h] = *y;
        let ca = self.clamp_ca(ca);
        let m_inf = ip3 / (ip3 + p.kd_ip3_1);
        let n_inf = ca / (ca + p.kd_act);
        let ca_er = (p.ca_tot - ca) / p.ratio_er_cyt;
        let open = (m_inf * n_inf * h).powi(3);
        let j_chan = p.ratio_er_cyt * p.rate_ip3r * open * (ca_er - ca);
        let j_leak = p.ratio_er_cyt * p.rate_l * (ca_er - ca);
        let j_pump = p.rate_serca * ca * ca / (p.km_serca * p.km_serca + ca * ca);
        let alpha_h = p.k_ip3r * p.kd_inh * (ip3 + p.kd_ip3_1) / (ip3 + p.kd_ip3_2);
        let beta_h = p.k_ip3r * ca;
        [
            (p.ip3_0 - ip3) / p.tau_ip3,
            j_chan - j_pump + j_leak,
            alpha_h * (1.0 - h) - beta_h * h,
        ]
    }

    /// Calcium kept within `[0, ca_tot]`: the cytosol cannot hold more than
    /// the cell's total, nor less than none (NEST clamps the same way).
    pub fn clamp_ca(&self, ca: f64) -> f64 {
        ca.clamp(0.0, self.p.ca_tot)
    }

    /// One classic RK4 step of length `h`.
    pub fn rk4(&self, y: &State, h: f64) -> State {
        let add =
            |a: &State, k: &State, f: f64| [a[0] + f * k[0], a[1] + f * k[1], a[2] + f * k[2]];
        let k1 = self.derivatives(y);
        let k2 = self.derivatives(&add(y, &k1, h / 2.0));
        let k3 = self.derivatives(&add(y, &k2, h / 2.0));
        let k4 = self.derivatives(&add(y, &k3, h));
        std::array::from_fn(|i| y[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]))
    }

    /// Advance `y` by one grid step `dt` in `substeps` equal RK4 steps,
    /// then clamp the calcium (once per grid step, where NEST does).
    pub fn advance(&self, y: &State, dt: f64, substeps: u32) -> State {
        let h = dt / substeps as f64;
        let [ip3, ca, h_ip3r] = (0..substeps).fold(*y, |y, _| self.rk4(&y, h));
        [ip3, self.clamp_ca(ca), h_ip3r]
    }

    /// The slow inward current (amperes) at calcium `ca` (µM).
    pub fn sic(&self, ca: f64) -> f64 {
        let y = (ca - self.p.sic_th) * 1000.0;
        if y > 1.0 {
            self.p.sic_scale * y.ln()
        } else {
            0.0
        }
    }
}

/// A population of Li–Rinzel astrocytes: per-cell calcium, IP3 and gating state, integrated by
/// RK4.
pub struct Astrocytes {
    model: LiRinzel,
    dt: f64,
    substeps: u32,
    ip3: Vec<f64>,
    ca: Vec<f64>,
    h: Vec<f64>,
    sic: Vec<f64>,
    watch: Watch,
}

impl Astrocytes {
    /// `n` astrocytes with parameters `p`, stepped every `dt` seconds, random initial values
    /// from `rng`.
    pub fn new(p: &AstrocyteParams, n: usize, dt: f64, rng: &mut Pcg64) -> Self {
        let model = LiRinzel::new(p);
        let ip3 = rng::draw(&p.init_ip3, n, rng);
        let ca = rng::draw(&p.init_ca, n, rng);
        let h = rng::draw(&p.init_h, n, rng);
        let sic = ca.iter().map(|&c| model.sic(c)).collect();
        Self {
            substeps: (dt / p.max_step).ceil().max(1.0) as u32,
            model,
            dt,
            ip3,
            ca,
            h,
            sic,
            watch: Watch::new(dt),
        }
    }
}

impl Neuron for Astrocytes {
    fn size(&self) -> usize {
        self.ca.len()
    }

    fn ports(&self) -> &'static [Port] {
        &[Port::Glia]
    }

    fn variables(&self) -> Vec<Variable> {
        vec![
            Variable {
                name: "ca",
                unit: "uM",
            },
            Variable {
                name: "ip3",
                unit: "uM",
            },
            Variable {
                name: "h",
                unit: "",
            },
            Variable {
                name: "sic",
                unit: "A",
            },
        ]
    }

    /// The slow inward current is a function of `ca` that is finite
    /// wherever `ca` is, so the three dynamic variables are checked; `ip3`
    /// first, since only it is driven from outside (its equation does not
    /// depend on the others), then `ca` and `h`. A neuron whose step is not
    /// finite keeps its last finite state.
    fn propagate(&mut self, k: u64) {
        const NAMES: [&str; 3] = ["ip3", "ca", "h"];
        for i in 0..self.ca.len() {
            let y = [self.ip3[i], self.ca[i], self.h[i]];
            let new = self.model.advance(&y, self.dt, self.substeps);
            if self.watch.on
                && let Some(x) = (0..3).find(|&x| !new[x].is_finite())
            {
                self.watch.note_at(i, NAMES[x], (new[x], k + 1), (y[x], k));
                continue;
            }
            [self.ip3[i], self.ca[i], self.h[i]] = new;
        }
    }

    /// IP3 jumps of the tripartite inputs of grid point `k + 1`, then the
    /// current the astrocytes send from there on (NEST's order).
    fn settle(&mut self, k: u64, inputs: &[EventRing], _spikes: &mut Vec<u32>) {
        for e in inputs[0].slot(k + 1) {
            let (i, jump) = (e.target as usize, self.model.p.delta_ip3 * e.weight as f64);
            if self.watch.on {
                add_checked(&mut self.watch, &mut self.ip3[i], jump, (i, "ip3"), k + 1);
            } else {
                self.ip3[i] += jump;
            }
        }
        for (s, &c) in self.sic.iter_mut().zip(&self.ca) {
            *s = self.model.sic(c);
        }
    }

    fn graded(&self) -> Option<&[f64]> {
        Some(&self.sic)
    }

    fn sample(&self, variable: &str, neurons: &[u32], out: &mut Vec<f64>) {
        let values = match variable {
            "ca" => &self.ca,
            "ip3" => &self.ip3,
            "h" => &self.h,
            _ => &self.sic,
        };
        out.extend(neurons.iter().map(|&i| values[i as usize]));
    }

    fn split(&self, offset: usize, len: usize) -> Box<dyn Neuron> {
        Box::new(Self {
            model: self.model.clone(),
            dt: self.dt,
            substeps: self.substeps,
            ip3: part(&self.ip3, offset, len),
            ca: part(&self.ca, offset, len),
            h: part(&self.h, offset, len),
            sic: part(&self.sic, offset, len),
            watch: self.watch.part(),
        })
    }

    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("astrocyte");
        s.slice(&mut self.ip3);
        s.slice(&mut self.ca);
        s.slice(&mut self.h);
        s.slice(&mut self.sic);
    }

    fn finite_watch(&mut self) -> Option<&mut Watch> {
        Some(&mut self.watch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::spec::ValueSpec;

    pub(crate) fn nest_defaults() -> AstrocyteParams {
        AstrocyteParams {
            ca_tot: 2.0,
            ip3_0: 0.16,
            kd_ip3_1: 0.13,
            kd_ip3_2: 0.9434,
            kd_act: 0.08234,
            kd_inh: 1.049,
            km_serca: 0.1,
            sic_scale: 1e-12,
            sic_th: 0.19669,
            delta_ip3: 0.0002,
            k_ip3r: 0.2,
            rate_ip3r: 6.0,
            rate_l: 0.11,
            rate_serca: 0.9,
            ratio_er_cyt: 0.185,
            tau_ip3: 7.142,
            max_step: 1e-3,
            init_ip3: ValueSpec::Constant(0.16),
            init_ca: ValueSpec::Constant(0.073),
            init_h: ValueSpec::Constant(0.793),
        }
    }

    #[test]
    fn sic_follows_the_log_of_calcium_above_threshold_in_nanomolar() {
        let m = LiRinzel::new(&nest_defaults());
        assert_eq!(m.sic(0.19669 + 0.0009), 0.0);
        let expected = 1e-12 * (50.0f64).ln();
        assert!((m.sic(0.19669 + 0.05) - expected).abs() < 1e-24);
    }

    #[test]
    fn rk4_converges_at_fourth_order() {
        // Halving the step divides the error by about 16.
        let m = LiRinzel::new(&nest_defaults());
        let y0 = [0.8, 0.3, 0.6];
        let reference = m.advance(&y0, 2.0, 4000);
        let err = |n| (m.advance(&y0, 2.0, n)[1] - reference[1]).abs();
        let ratio = err(10) / err(20);
        assert!((12.0..20.0).contains(&ratio), "{ratio}");
    }
}
