//! The small models the round-trip tests export: written out here so each
//! test says what it exports.

/// Three inputs (spikes at grid point 0 too) onto a recurrent LIF layer
/// `a` and a second layer `b` feeding back into `a`, with delays of 0.3,
/// 0.5, 1 and 0.2 ms on a 0.1 ms grid; `a -> a` draws random connectivity
/// and weights.
pub fn lif_with_delays(engine: &str) -> String {
    format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "60 ms"
seed = 7
engine = "{engine}"

[[population]]
name = "input"
size = 3
model = "spike_source"
params = {{ spikes = [["0 ms", "5 ms", "5.1 ms", "20 ms"], ["1 ms", "7.3 ms", "30 ms"], ["0.4 ms", "12 ms", "12.2 ms", "41 ms"]] }}

[[population]]
name = "a"
size = 4
model = "lif"
params = {{ tau_m = "10 ms", v_rest = "-70 mV", v_reset = "-72 mV", v_th = "-60 mV" }}

[[population]]
name = "b"
size = 2
model = "lif"
params = {{ tau_m = "5 ms", v_rest = "-65 mV", v_th = "-62 mV" }}

[[projection]]
from = "input"
to = "a"
connect = {{ dense = [[1, 0, 0.5], [0, 1, 0], [0.7, 0.7, 0.7], [0, 0, 1]] }}
weight = "6 mV"
delay = "0.3 ms"

[[projection]]
from = "a"
to = "b"
connect = {{ dense = [[1, 1, 0, 0], [0, 1, 1, 1]] }}
weight = "2.5 mV"
delay = "0.5 ms"

[[projection]]
from = "b"
to = "a"
connect = {{ dense = [[1, 0], [0, 1], [1, 1], [0, -1]] }}
weight = "3 mV"
delay = "1 ms"

[[projection]]
from = "a"
to = "a"
connect = {{ fixed_probability = 0.5 }}
weight = {{ uniform = ["-2 mV", "4 mV"] }}
delay = "0.2 ms"
"#
    )
}

/// A CuBa network: inputs onto a `cuba_lif` layer with excitatory and
/// inhibitory projections (one synaptic time constant), recurrent.
pub fn cuba(engine: &str) -> String {
    format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "60 ms"
seed = 3
engine = "{engine}"

[[population]]
name = "input"
size = 2
model = "spike_source"
params = {{ spikes = [["0 ms", "2 ms", "2.5 ms", "3 ms", "20 ms", "21 ms"], ["1 ms", "10 ms", "10.4 ms", "33 ms"]] }}

[[population]]
name = "c"
size = 3
model = "cuba_lif"
params = {{ tau_m = "10 ms", v_rest = "-70 mV", v_reset = "-70 mV", v_th = "-65 mV", tau_syn = "4 ms" }}

[[projection]]
from = "input"
to = "c"
connect = {{ dense = [[1, 0], [1, 1], [0, 1]] }}
weight = "5 mV"
delay = "0.2 ms"
receptor = "exc"

[[projection]]
from = "c"
to = "c"
connect = {{ dense = [[0, 1, 0], [0, 0, 1], [1, 0, 0]] }}
weight = "-3 mV"
delay = "0.4 ms"
receptor = "inh"
"#
    )
}

/// One feed-forward layer at rest 0 (what the chip's integers start from),
/// every weight below threshold: pairs of input spikes 0.5 or 1 ms apart
/// fire on the second, lone spikes never.
pub fn feed_forward() -> String {
    r#"
[simulation]
dt = "0.1 ms"
duration = "60 ms"
seed = 1

[[population]]
name = "input"
size = 3
model = "spike_source"
params = { spikes = [["2 ms", "2.5 ms", "30 ms"], ["10 ms", "11 ms", "40 ms"], ["20 ms", "20.5 ms", "50 ms"]] }

[[population]]
name = "a"
size = 3
model = "lif"
params = { tau_m = "10 ms", v_rest = "0 mV", v_reset = "0 mV", v_th = "10 mV" }

[[projection]]
from = "input"
to = "a"
connect = { dense = [[6, 0, 0], [0, 7, 0], [0, 7, 6]] }
weight = "1 mV"
delay = "0.1 ms"
"#
    .to_string()
}

/// `discrete_lif` layers in the import's Euler conventions: a leaky layer
/// with a bias, and an explicit CuBa layer fed by it and recurrently.
pub fn discrete() -> String {
    r#"
[simulation]
dt = "1 ms"
duration = "80 ms"
seed = 5

[[population]]
name = "input"
size = 2
model = "spike_source"
params = { spikes = [["0 ms", "3 ms", "4 ms", "30 ms"], ["2 ms", "10 ms", "11 ms", "12 ms", "50 ms"]] }

[[population]]
name = "d1"
size = 3
model = "discrete_lif"
params = { beta = [0.9, 0.8, 0.95], v_th = "1 mV", v_bias = "0.02 mV", reset = "value" }

[[population]]
name = "d2"
size = 2
model = "discrete_lif"
params = { beta = 0.85, alpha = 0.6, v_th = "1 mV", reset = "value", cuba = "explicit" }

[[projection]]
from = "input"
to = "d1"
connect = { dense = [[0.7, 0], [0.5, 0.5], [0, 0.8]] }
weight = "1 mV"
delay = "1 ms"

[[projection]]
from = "d1"
to = "d2"
connect = "all_to_all"
weight = "0.6 mV"
delay = "2 ms"

[[projection]]
from = "d2"
to = "d2"
connect = { dense = [[0, -1], [-1, 0]] }
weight = "0.3 mV"
delay = "1 ms"
"#
    .to_string()
}
