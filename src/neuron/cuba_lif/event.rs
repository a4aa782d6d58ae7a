//! The event engine's form of `cuba_lif` and `lif` (a CuBa LIF without
//! synaptic drives): each neuron kept in closed form relative to a
//! reference time shared by its population, so that what an input costs
//! depends on its time alone; crossings found by `neuron::trajectory`.

use crate::engine::finite::{Bad, Watch};
use crate::engine::persist::{Persist, Snapshot};
use crate::engine::prefetch::{AHEAD, prefetch, scattered};
use crate::model::spec::Port;
use crate::neuron::membrane::{Membrane, MembraneState, expm1_over_x};
use crate::neuron::{EventModel, Next};

use crate::neuron::trajectory::{DriveTerm, Trajectory, on_grain};

/// A check whose safe bound lies more than this many of the slowest time
/// constants ahead is moved there instead of searching for the crossing.
/// (The slowest, not the membrane's: the bound assumes `v` may rise at the
/// membrane's pace, so with a membrane of nanoseconds under synapses of
/// milliseconds it advances by nanoseconds while `v` follows the drives,
/// and a run would take billions of checks.)
/// A search costs about as much as 20 such steps; on CUBA, instructions per
/// simulated second fall from 0.05 to 0.0125 and are flat down to 0.005,
/// while at 0 the bound only creeps up on the crossing.
const CHECK_GAP: f64 = 0.01;

/// How far, in units of the shortest time constant, the reference time may
/// lag behind before every neuron is re-expressed relative to a later one.
/// Relative to the reference, the terms of `v` grow like `e^{s/tau}` and
/// partly cancel; two time constants bound that growth by e^2, so rounding
/// stays at the level of a neuron advanced from its own last update.
const REFERENCE_SPAN: f64 = 2.0;

/// One neuron's state, relative to its population's reference time `T`:
/// with `s = t - T`, `v(t) = v_inf + a e^{-s/tau_m} + sum_x u_x K_x(s)` and
/// drive `x` is `u_x e^{-s/tau_x}` (see the module notes for `K_x`). The
/// state is never advanced, only evaluated, and an input at `t` changes the
/// coefficients by factors that depend on `t` alone (`Basis`): a spike that
/// reaches many neurons at one time pays for its exponentials once, not
/// once per target. The fields an input touches share one cache line.
#[derive(Debug, Clone, Copy)]
#[repr(align(64))]
struct Cell {
    a: f64,
    u: [f64; 2],
    v_inf: f64,
    refractory_until: f64,
    /// The exact next crossing when it is known (infinite otherwise):
    /// inputs only move it one way, which brackets the new one.
    crossing: f64,
    /// Held at `v_reset` until `refractory_until`; `a` is set when it ends.
    held: bool,
}

/// The factors of one time `t` (`s = t - T`), shared by a population.
#[derive(Debug, Clone, Copy)]
struct Basis {
    t: f64,
    /// `e^{-s/tau_m}` and `e^{s/tau_m}`.
    decay_m: f64,
    grow_m: f64,
    /// Per drive: `e^{-s/tau_x}`, `e^{s/tau_x}`, `K_x(s)`, and
    /// `e^{s/tau_x} e^{s/tau_m} K_x(s)`: an input `w` at `t` adds
    /// `w e^{s/tau_x}` to `u_x` and, to keep `v` continuous, takes `w` times
    /// this from `a`.
    decay: [f64; 2],
    grow: [f64; 2],
    k: [f64; 2],
    back: [f64; 2],
}

impl Basis {
    fn new(t: f64, s: f64, tau_m: f64, taus: Option<[f64; 2]>) -> Self {
        // Growths are the reciprocals of decays (a division costs less
        // than an exponential; either is within an ulp or two).
        let decay_m = (-s / tau_m).exp();
        let mut b = Basis {
            t,
            decay_m,
            grow_m: 1.0 / decay_m,
            decay: [0.0; 2],
            grow: [0.0; 2],
            k: [0.0; 2],
            back: [0.0; 2],
        };
        for (x, tau) in taus.into_iter().flatten().enumerate() {
            // e^{s/tau_m} K_x(s) = (s/tau_m) (e^{a s} - 1)/(a s): free of
            // cancellation, and exact in the limit tau_x = tau_m.
            let rise = s / tau_m * expm1_over_x((1.0 / tau_m - 1.0 / tau) * s);
            b.decay[x] = (-s / tau).exp();
            b.grow[x] = 1.0 / b.decay[x];
            b.k[x] = b.decay_m * rise;
            b.back[x] = b.grow[x] * rise;
        }
        b
    }
}

/// The constants of a population's dynamics, apart from its neurons'
/// state, so that a neuron's cell can be updated in place while they are
/// read.
struct Law {
    membrane: Membrane,
    /// Time constants of the synaptic drives (exc, inh); none for plain LIF.
    taus: Option<[f64; 2]>,
    /// Divide a drive by this to record it as a current.
    to_current: f64,
    /// Largest value of each drive's kernel, and its `DriveTerm::rebound`.
    kernel_peaks: [f64; 2],
    rebounds: [f64; 2],
    /// The longest of the membrane's and the drives' time constants.
    tau_slowest: f64,
}

impl Law {
    /// A neuron's `(v, drive_e, drive_i)` at the basis' time.
    fn state_of(&self, c: &Cell, b: &Basis) -> (f64, [f64; 2]) {
        let drives = [c.u[0] * b.decay[0], c.u[1] * b.decay[1]];
        if c.held {
            return (self.membrane.v_reset, drives);
        }
        let v = c.v_inf + c.a * b.decay_m + c.u[0] * b.k[0] + c.u[1] * b.k[1];
        (v, drives)
    }

    fn trajectory(&self, c: &Cell, b: &Basis) -> Trajectory {
        self.trajectory_from(c.v_inf, self.state_of(c, b))
    }

    /// The free evolution from a state `(v, drives)`.
    fn trajectory_from(&self, v_inf: f64, (v0, u): (f64, [f64; 2])) -> Trajectory {
        let taus = self.taus.unwrap_or([1.0, 1.0]);
        Trajectory {
            v0,
            v_inf,
            tau_m: self.membrane.tau_m,
            drives: [0, 1].map(|x| DriveTerm {
                u: u[x],
                tau: taus[x],
            }),
        }
    }

    /// What to schedule for a neuron in state `c`, current at `b.t`.
    fn next(&self, c: &Cell, b: &Basis) -> Next {
        let t = b.t;
        if t < c.refractory_until {
            return Next::Check(c.refractory_until);
        }
        self.next_from(t, self.trajectory(c, b))
    }

    /// What to schedule for a neuron free to cross from time `t` on.
    fn next_from(&self, t: f64, trajectory: Trajectory) -> Next {
        let v_th = self.membrane.v_th;
        let (v, v_inf) = (trajectory.v0, trajectory.v_inf);
        if v > v_th {
            return Next::Spike(t);
        }
        if trajectory.ceiling(self.kernel_peaks) < v_th {
            return Next::Nothing;
        }
        if trajectory.drives.iter().all(|d| d.u == 0.0) {
            // Plain relaxation towards v_inf > v_th: the closed form.
            let s = self.membrane.tau_m * ((v_inf - v) / (v_inf - v_th)).ln();
            return Next::Spike(t + s);
        }
        // A safe earliest crossing time: v cannot rise faster than this.
        let rise = trajectory.max_rise(self.rebounds);
        if rise <= 0.0 {
            return Next::Nothing;
        }
        Next::Check(t + (v_th - v) * self.membrane.tau_m / rise)
    }

    /// `next`, remembering a predicted spike as the known crossing: every
    /// pending spike is then a known crossing, which `input_to` relies on.
    fn decide_for(&self, c: &mut Cell, b: &Basis) -> Next {
        let next = self.next(c, b);
        if let Next::Spike(t) = next {
            c.crossing = t;
        }
        next
    }

    /// An input of `weight` at `port` reaches a neuron that is up to date
    /// at the basis' time.
    fn input_to(&self, c: &mut Cell, b: &Basis, port: Port, weight: f64) -> Next {
        let t = b.t;
        if port == Port::Voltage && t <= c.refractory_until {
            // Dropped while refractory, as in the clock engine.
            return Next::Check(c.crossing.min(c.refractory_until));
        }
        // Every input adds `weight` times a non-negative kernel to the future
        // potential. An inhibitory one can only delay a crossing: a known
        // one (a pending spike) becomes a safe check, and whatever else is
        // scheduled stays a safe lower bound. After an excitatory one the
        // crossing may come sooner, and the slope bound says how soon at most.
        let known = std::mem::replace(&mut c.crossing, f64::INFINITY);
        if weight <= 0.0 {
            add_input(c, port, weight, b);
            return if known.is_finite() {
                Next::Check(known)
            } else {
                Next::Nothing
            };
        }
        // The state is read before the input is stored, and the input's
        // effect added to it: reading the drives back right after storing
        // one of them would stall the CPU (a fifth of the time spent here).
        let (mut v, mut u) = self.state_of(c, b);
        add_input(c, port, weight, b);
        match port {
            Port::Voltage => v += weight,
            Port::CurrentExc => u[0] += weight,
            Port::CurrentInh => u[1] += weight,
            // Validation keeps astrocyte and conductance ports off (CuBa) LIF cells.
            Port::Glia | Port::Sic | Port::ConductanceExc | Port::ConductanceInh => {
                unreachable!("a port the closed form has not")
            }
        }
        if t < c.refractory_until {
            return Next::Check(c.refractory_until);
        }
        let next = self.next_from(t, self.trajectory_from(c.v_inf, (v, u)));
        if let Next::Spike(s) = next {
            c.crossing = s;
        }
        next
    }
}

/// Event-engine state of a population of LIF or CuBa LIF neurons, in closed
/// form relative to a shared reference time (see `Cell`).
pub struct ExactCells {
    law: Law,
    cells: Vec<Cell>,
    bias: Vec<f64>,
    /// The reference time is `spans * span`. It moves by whole spans, and
    /// every neuron is carried over each span by the same factors (`step`),
    /// so the arithmetic each neuron sees depends on time alone, not on
    /// which other neurons share its worker.
    span: f64,
    spans: u64,
    /// `(spans + 1) * span`, when the reference moves next.
    reference_end: f64,
    step: Basis,
    /// The factors of the latest time asked for.
    latest: Basis,
    watch: Watch,
}

impl ExactCells {
    pub fn new(
        membrane: &Membrane,
        state: &MembraneState,
        synapses: Option<([f64; 2], [&[f64]; 2])>,
    ) -> Self {
        let n = state.v.len();
        let (taus, drives) = match synapses {
            Some((taus, [e, i])) => (Some(taus), [e.to_vec(), i.to_vec()]),
            None => (None, [vec![0.0; n], vec![0.0; n]]),
        };
        let drive = |tau| DriveTerm { u: 1.0, tau };
        let tau_m = membrane.tau_m;
        let kernel_peaks = taus.map_or([0.0; 2], |taus| {
            taus.map(|tau| drive(tau).kernel(tau_m, drive(tau).peak(tau_m)))
        });
        let rebounds = taus.map_or([0.0; 2], |taus| taus.map(|tau| drive(tau).rebound(tau_m)));
        let cells = (0..n)
            .map(|i| Cell {
                a: state.v[i] - state.v_inf[i],
                u: [drives[0][i], drives[1][i]],
                v_inf: state.v_inf[i],
                refractory_until: f64::NEG_INFINITY,
                crossing: f64::INFINITY,
                held: false,
            })
            .collect();
        let tau_min = taus.into_iter().flatten().fold(tau_m, f64::min);
        let span = REFERENCE_SPAN * tau_min;
        Self {
            law: Law {
                membrane: membrane.clone(),
                taus,
                kernel_peaks,
                rebounds,
                to_current: membrane.current_unit().1,
                tau_slowest: taus.into_iter().flatten().fold(tau_m, f64::max),
            },
            cells,
            bias: state.bias.clone(),
            span,
            spans: 0,
            reference_end: span,
            step: Basis::new(span, span, tau_m, taus),
            latest: Basis::new(0.0, 0.0, tau_m, taus),
            // Notes carry event times, not grid points.
            watch: Watch::new(0.0),
        }
    }

    /// A non-finite input to neuron `i` at the basis' time: noted as what it
    /// makes of the neuron's state, which stays as it was. Inputs and
    /// drives are what is checked (a compare per input on the hot path):
    /// from finite numbers within validation's bounds, carrying the state
    /// over spans and refractory periods stays finite (the bound in
    /// `MembraneState::pending_bad`).
    #[cold]
    fn refuse_input(&mut self, i: usize, b: &Basis, port: Port, weight: f64) -> Next {
        let old = self.cells[i];
        let _ = self.law.input_to(&mut self.cells[i], b, port, weight);
        self.rejected(i, old, b);
        self.cells[i] = old;
        Next::Nothing
    }

    /// Whether neuron `i`'s update at the basis' time made its state
    /// non-finite: then `old` (the state just before, at the same time) is
    /// restored, the first non-finite recordable variable noted, and the
    /// caller schedules nothing new.
    #[inline(always)]
    fn rejected(&mut self, i: usize, old: Cell, b: &Basis) -> bool {
        let c = &self.cells[i];
        let finite = c.a.is_finite() && c.u[0].is_finite() && c.u[1].is_finite();
        if !self.watch.on || (finite && c.v_inf.is_finite()) {
            return false;
        }
        let new = std::mem::replace(&mut self.cells[i], old);
        let values = |c: &Cell| {
            let (v, d) = self.law.state_of(c, b);
            [v, d[0] * self.law.to_current, d[1] * self.law.to_current]
        };
        let (after, before) = (values(&new), values(&old));
        // A drive first, as the clock engine names it at its input (`v`
        // follows from it). A non-finite `a` or `v_inf` shows in `v`, unless
        // the neuron is held at reset: then `v` is named with their sum.
        let x = [1, 2, 0]
            .into_iter()
            .find(|&x| !after[x].is_finite())
            .unwrap_or(0);
        let value = match after[x].is_finite() {
            true => new.a + new.v_inf,
            false => after[x],
        };
        self.watch.note(Bad {
            neuron: i as u32,
            variable: ["v", "i_syn_e", "i_syn_i"][x],
            value,
            time: b.t,
            last_finite: before[x],
            last_time: b.t,
        });
        true
    }

    fn reference(&self) -> f64 {
        self.spans as f64 * self.span
    }

    fn basis(&self, t: f64) -> Basis {
        Basis::new(
            t,
            t - self.reference(),
            self.law.membrane.tau_m,
            self.law.taus,
        )
    }

    /// Move the reference forward to `target` spans. Each neuron is
    /// carried over every span by the same factors (`step`), so the result
    /// does not depend on how the spans are grouped. Over one span `u_x`
    /// decays, and `a` takes up the membrane's decay and what the drives put
    /// into `v` meanwhile (`K_x(s + S) = e^{-S/tau_x} K_x(s) + K_x(S) e^{-s/tau_m}`).
    ///
    /// A neuron whose `a` and `u` are zero stays so over any span, so it
    /// skips at once to the span in which its refractory period ends (or to
    /// `target`): with a time constant of nanoseconds a long run holds
    /// millions of spans, and most neurons sit out most of them.
    fn shift_to(&mut self, target: u64) {
        for i in 0..self.cells.len() {
            let mut j = self.spans;
            while j < target {
                let c = self.cells[i];
                if c.a == 0.0 && c.u == [0.0; 2] {
                    j = if c.held {
                        self.release_span(c.refractory_until, j).min(target)
                    } else {
                        target
                    };
                    if j == target {
                        break;
                    }
                }
                self.carry(i, j);
                j += 1;
            }
        }
        self.spans = target;
        self.reference_end = (self.spans + 1) as f64 * self.span;
        self.latest.t = f64::NAN;
    }

    /// Carry neuron `i` over span `j` (from reference `j` to `j + 1`).
    fn carry(&mut self, i: usize, j: u64) {
        let reference = j as f64 * self.span;
        let c = self.cells[i];
        if c.held && c.refractory_until <= reference + self.span {
            self.release(i, reference);
        }
        let step = &self.step;
        let c = &mut self.cells[i];
        c.a = c.a * step.decay_m + c.u[0] * step.k[0] + c.u[1] * step.k[1];
        c.u = [c.u[0] * step.decay[0], c.u[1] * step.decay[1]];
    }

    /// The first span from `j` on in which `carry` releases a neuron held
    /// until `r`.
    fn release_span(&self, r: f64, j: u64) -> u64 {
        let ends_after = |k: u64| r <= k as f64 * self.span + self.span;
        let mut k = ((r / self.span).floor() - 1.0).max(j as f64) as u64;
        while !ends_after(k) {
            k += 1;
        }
        while k > j && ends_after(k - 1) {
            k -= 1;
        }
        k
    }

    /// The reference (in spans) at which time `t` falls before the
    /// reference's end, no earlier than the present one.
    fn span_of(&self, t: f64) -> u64 {
        let before_end = |k: u64| t < (k + 1) as f64 * self.span;
        let mut k = ((t / self.span).floor() - 1.0).max(self.spans as f64) as u64;
        while !before_end(k) {
            k += 1;
        }
        while k > self.spans && before_end(k - 1) {
            k -= 1;
        }
        k
    }

    /// The end of neuron `i`'s refractory period: it leaves `v_reset` there
    /// (the reference being at `reference`).
    fn release(&mut self, i: usize, reference: f64) {
        let r = self.cells[i].refractory_until;
        // `latest` holds the factors of its time relative to the present reference.
        let b = if r == self.latest.t && reference == self.reference() {
            self.latest
        } else {
            Basis::new(r, r - reference, self.law.membrane.tau_m, self.law.taus)
        };
        let c = &mut self.cells[i];
        let drives = c.u[0] * b.k[0] + c.u[1] * b.k[1];
        c.a = (self.law.membrane.v_reset - c.v_inf - drives) * b.grow_m;
        c.held = false;
    }

    /// Make `latest` the factors of time `t`, no earlier than any time
    /// asked before.
    fn at_time(&mut self, t: f64) {
        if t >= self.reference_end {
            self.shift_to(self.span_of(t));
        }
        if t != self.latest.t {
            self.latest = self.basis(t);
        }
    }

    /// Neuron `i` at time `t`: out of its refractory period if that is over.
    fn bring_up(&mut self, i: usize, t: f64) {
        let c = &self.cells[i];
        if c.held && c.refractory_until <= t {
            self.release(i, self.reference());
        }
    }

    /// `at_time`, with neuron `i` brought up to date.
    fn at(&mut self, i: usize, t: f64) {
        self.at_time(t);
        self.bring_up(i, t);
    }
}

/// An input of `weight` at `port` reaches a cell at the basis' time (a
/// voltage input only when the neuron is not refractory).
fn add_input(c: &mut Cell, port: Port, weight: f64, b: &Basis) {
    match port {
        Port::Voltage => c.a += weight * b.grow_m,
        Port::CurrentExc => add_drive(c, 0, weight, b),
        Port::CurrentInh => add_drive(c, 1, weight, b),
        // Validation keeps astrocyte and conductance ports off (CuBa) LIF cells.
        Port::Glia | Port::Sic | Port::ConductanceExc | Port::ConductanceInh => {
            unreachable!("a port the closed form has not")
        }
    }
}

/// Add `weight` to drive `x` of a cell at the basis' time, keeping `v`
/// continuous.
fn add_drive(c: &mut Cell, x: usize, weight: f64, b: &Basis) {
    c.u[x] += weight * b.grow[x];
    if !c.held {
        c.a -= weight * b.back[x];
    }
}

impl EventModel for ExactCells {
    fn size(&self) -> usize {
        self.cells.len()
    }

    fn receive(&mut self, i: usize, t: f64, port: Port, weight: f64) -> Next {
        self.at(i, t);
        let b = self.latest;
        if self.watch.on && !weight.is_finite() {
            return self.refuse_input(i, &b, port, weight);
        }
        self.law.input_to(&mut self.cells[i], &b, port, weight)
    }

    fn receive_all(
        &mut self,
        t: f64,
        port: Port,
        targets: &[u32],
        weights: &[f32],
        then: &mut dyn FnMut(usize, Next),
    ) {
        self.at_time(t);
        let b = self.latest;
        let fetch = scattered(&self.cells);
        for (k, (&i, &w)) in targets.iter().zip(weights).enumerate() {
            if fetch && let Some(&ahead) = targets.get(k + AHEAD) {
                prefetch(&self.cells, ahead as usize);
            }
            let i = i as usize;
            self.bring_up(i, t);
            let w = w as f64;
            if self.watch.on && !w.is_finite() {
                then(i, self.refuse_input(i, &b, port, w));
                continue;
            }
            then(i, self.law.input_to(&mut self.cells[i], &b, port, w));
        }
    }

    fn prefetch(&self, i: usize) {
        if scattered(&self.cells) {
            prefetch(&self.cells, i);
        }
    }

    fn check(&mut self, i: usize, t: f64) -> Next {
        self.at(i, t);
        let b = &self.latest;
        let refractory_until = self.cells[i].refractory_until;
        if t < refractory_until {
            return Next::Check(refractory_until);
        }
        // While the safe bound still lies well ahead, stepping to it is
        // cheaper than the exact search; the gap closes as v nears threshold.
        match self.law.decide_for(&mut self.cells[i], b) {
            Next::Check(later) if later - t <= CHECK_GAP * self.law.tau_slowest => {}
            next => return next,
        }
        let crossing = self
            .law
            .trajectory(&self.cells[i], b)
            .first_crossing(self.law.membrane.v_th)
            .map_or(f64::INFINITY, |s| t + s);
        self.cells[i].crossing = crossing;
        if crossing.is_finite() {
            Next::Spike(crossing)
        } else {
            Next::Nothing
        }
    }

    fn fire(&mut self, i: usize, t: f64) -> Next {
        // Held at v_reset from now on: the drives need no update, and `a`
        // is set when the refractory period ends, so only a neuron without
        // one needs the factors of `t`.
        let c = &mut self.cells[i];
        c.crossing = f64::INFINITY;
        c.refractory_until = on_grain(t + self.law.membrane.t_ref);
        c.held = true;
        if c.refractory_until > t {
            return Next::Check(c.refractory_until);
        }
        self.at(i, t);
        let b = self.latest;
        self.law.decide_for(&mut self.cells[i], &b)
    }

    fn set_drive(&mut self, i: usize, t: f64, drive: f64) -> Next {
        self.at(i, t);
        let b = self.latest;
        let v_inf = self.law.membrane.v_rest + self.bias[i] + drive;
        let old = self.cells[i];
        let c = &mut self.cells[i];
        c.crossing = f64::INFINITY;
        if !c.held {
            c.a -= (v_inf - c.v_inf) * b.grow_m;
        }
        c.v_inf = v_inf;
        // Checked before `decide_for`, whose search needs finite numbers.
        if self.rejected(i, old, &b) {
            return Next::Nothing;
        }
        self.law.decide_for(&mut self.cells[i], &b)
    }

    fn value(&mut self, variable: &str, i: usize, t: f64) -> f64 {
        self.at(i, t);
        let b = self.latest;
        let (v, drives) = self.law.state_of(&self.cells[i], &b);
        match variable {
            "i_syn_e" => drives[0] * self.law.to_current,
            "i_syn_i" => drives[1] * self.law.to_current,
            _ => v,
        }
    }

    fn finite_watch(&mut self) -> Option<&mut Watch> {
        Some(&mut self.watch)
    }

    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("exact");
        s.same_f64("reference span", self.span);
        s.count("neurons", self.cells.len());
        for c in &mut self.cells {
            c.persist(s);
        }
        s.slice(&mut self.bias);
        s.scalar(&mut self.spans);
        s.scalar(&mut self.reference_end);
        self.latest.persist(s);
    }
}

impl Persist for Cell {
    fn persist(&mut self, s: &mut Snapshot) {
        s.scalar(&mut self.a);
        s.scalar(&mut self.u[0]);
        s.scalar(&mut self.u[1]);
        s.scalar(&mut self.v_inf);
        s.scalar(&mut self.refractory_until);
        s.scalar(&mut self.crossing);
        s.scalar(&mut self.held);
    }
}

/// The cached factors of the latest time: restored rather than worked out
/// again, so that the arithmetic after a resume is the same.
impl Persist for Basis {
    fn persist(&mut self, s: &mut Snapshot) {
        s.scalar(&mut self.t);
        s.scalar(&mut self.decay_m);
        s.scalar(&mut self.grow_m);
        s.slice(&mut self.decay);
        s.slice(&mut self.grow);
        s.slice(&mut self.k);
        s.slice(&mut self.back);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::spec::{MembraneParams, ValueSpec};

    /// A CuBa neuron's state, kept relative to the population's reference
    /// time over a second (50 moves of the reference) with inputs and
    /// refractory periods, equals the same neuron advanced from input to
    /// input from its own last update, as the engine used to do.
    #[test]
    fn state_relative_to_the_reference_equals_advancing_the_neuron() {
        let (tau_m, taus, v_rest, v_reset, t_ref) = (20e-3, [5e-3, 10e-3], -49e-3, -60e-3, 5e-3);
        let params = MembraneParams {
            tau_m,
            v_rest,
            v_reset,
            v_th: -50e-3,
            t_ref,
            r_m: None,
            init_v: ValueSpec::Constant(-55e-3),
            init_drive: ValueSpec::Constant(0.0),
            each: None,
            reset: crate::neuron::membrane::Reset::Value,
            spiking: true,
            leak: true,
        };
        let state = MembraneState {
            v: vec![-55e-3],
            refractory_until: vec![0],
            bias: vec![0.0],
            external: vec![0.0],
            v_inf: vec![v_rest],
            crossed: vec![false],
            sic: vec![0.0],
            sic_active: Vec::new(),
            pending_bad: Vec::new(),
        };
        let membrane = Membrane::new(&params, 1e-4, 1);
        let mut cells = ExactCells::new(&membrane, &state, Some((taus, [&[2e-3], &[-1e-3]])));
        // The reference: (time, v, drives, end of the refractory period).
        let (mut t0, mut v, mut u, mut until) = (0.0, -55e-3, [2e-3, -1e-3], f64::NEG_INFINITY);
        let advance = |t: f64, t0: &mut f64, v: &mut f64, u: &mut [f64; 2], until: f64| {
            if until > *t0 {
                let end = until.min(t);
                for x in 0..2 {
                    u[x] *= (-(end - *t0) / taus[x]).exp();
                }
                (*v, *t0) = (v_reset, end);
            }
            let free = Trajectory {
                v0: *v,
                v_inf: v_rest,
                tau_m,
                drives: [0, 1].map(|x| DriveTerm {
                    u: u[x],
                    tau: taus[x],
                }),
            };
            (*v, *u) = free.evolve(t - *t0);
            *t0 = t;
        };
        let mut worst = 0.0f64;
        for k in 1..400 {
            // Irregular times, with a sample between inputs.
            let t = k as f64 * 2.5e-3 + 1e-3 * ((k * 7919) % 13) as f64 / 13.0;
            let (port, weight, x) = if k % 5 == 0 {
                (Port::CurrentInh, -9e-3, 1)
            } else {
                (Port::CurrentExc, 1.62e-3, 0)
            };
            cells.receive(0, t, port, weight);
            advance(t, &mut t0, &mut v, &mut u, until);
            u[x] += weight;
            if k % 37 == 0 {
                cells.fire(0, t);
                v = v_reset;
                until = on_grain(t + t_ref);
            }
            let sample = t + 1.1e-3;
            let (model_v, model_e, model_i) = (
                cells.value("v", 0, sample),
                cells.value("i_syn_e", 0, sample),
                cells.value("i_syn_i", 0, sample),
            );
            let (mut rt0, mut rv, mut ru) = (t0, v, u);
            advance(sample, &mut rt0, &mut rv, &mut ru, until);
            for (a, b) in [(model_v, rv), (model_e, ru[0]), (model_i, ru[1])] {
                worst = worst.max((a - b).abs());
            }
        }
        assert!(
            cells.spans > 40,
            "the reference moved {} times",
            cells.spans
        );
        assert!(worst < 1e-14, "largest difference {worst} V");
    }

    /// With `tau_m` = 1 µs a 20 ms run holds 10^4 spans of the reference;
    /// a population asked about at every half microsecond (as when other
    /// neurons share its worker) moves the reference span by span, one
    /// asked only at its inputs jumps, and neurons at rest skip spans
    /// (through a refractory period that ends inside a skip, too). The
    /// potentials agree bit for bit, and with the closed form.
    #[test]
    fn skipping_spans_at_rest_changes_no_bit() {
        let (tau_m, v_rest, v_reset, t_ref, w) = (1e-6, -70e-3, -75e-3, 1e-3, 5e-3);
        let params = MembraneParams {
            tau_m,
            v_rest,
            v_reset,
            v_th: -50e-3,
            t_ref,
            r_m: None,
            init_v: ValueSpec::Constant(v_rest),
            init_drive: ValueSpec::Constant(0.0),
            each: None,
            reset: crate::neuron::membrane::Reset::Value,
            spiking: true,
            leak: true,
        };
        let n = 4;
        let state = MembraneState {
            v: vec![v_rest; n],
            refractory_until: vec![0; n],
            bias: vec![0.0; n],
            external: vec![0.0; n],
            v_inf: vec![v_rest; n],
            crossed: vec![false; n],
            sic: vec![0.0; n],
            sic_active: Vec::new(),
            pending_bad: Vec::new(),
        };
        let membrane = Membrane::new(&params, 1e-4, 1);
        let mut dense = ExactCells::new(&membrane, &state, None);
        let mut sparse = ExactCells::new(&membrane, &state, None);
        let mut probes = (1..40_000).map(|k| k as f64 * 0.5e-6).peekable();
        let mut probe_until = |cells: &mut ExactCells, t: f64| {
            while let Some(p) = probes.next_if(|&p| p < t) {
                for i in 0..n {
                    cells.value("v", i, p);
                }
            }
        };
        let released = on_grain(0.5e-3 + t_ref);
        for (cells, probing) in [(&mut dense, true), (&mut sparse, false)] {
            if probing {
                probe_until(cells, 0.5e-3);
            }
            cells.fire(3, 0.5e-3);
            let sample = released + 0.5e-6;
            if probing {
                probe_until(cells, sample);
            }
            let expected = v_rest + (v_reset - v_rest) * (-(sample - released) / tau_m).exp();
            let v = cells.value("v", 3, sample);
            assert!((v - expected).abs() < 1e-12, "{v} vs {expected}");
        }
        for k in 2..16 {
            let (t, i) = (k as f64 * 1.3e-3, k % n);
            let samples = [t + 0.7e-6, t + 0.9e-3];
            for (cells, probing) in [(&mut dense, true), (&mut sparse, false)] {
                if probing {
                    probe_until(cells, t);
                }
                cells.receive(i, t, Port::Voltage, w);
            }
            for s in samples {
                probe_until(&mut dense, s);
                let (a, b) = (dense.value("v", i, s), sparse.value("v", i, s));
                assert_eq!(a.to_bits(), b.to_bits(), "neuron {i} at {s} s: {a} vs {b}");
                let expected = v_rest + w * (-(s - t) / tau_m).exp();
                assert!((a - expected).abs() < 1e-12, "{a} vs {expected}");
            }
        }
        assert_eq!(dense.spans, sparse.spans);
        assert!(
            dense.spans > 9_000,
            "the reference moved {} times",
            dense.spans
        );
    }
}
