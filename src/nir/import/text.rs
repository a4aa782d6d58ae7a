//! The model file and its side files as text: populations (spike sources
//! for the top-level Inputs, one population per neuron node), projections
//! as connection lists (`pre,post,weight_V[,delay_s]`, a zero-delay one and
//! a delayed one per pair of populations), records.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use super::compose::{Composed, compose};
use super::flat::{Flat, Role};
use super::neurons::{Param, Population, Synapse, population};
use super::{Discretisation, ImportOptions, ResetMode, input};
use crate::nir::{Graph, NirError};

/// Everything an import writes, in memory.
pub struct Plan {
    pub model: String,
    /// (file name inside the side folder, content)
    pub files: Vec<(String, String)>,
    pub names: Vec<(String, String)>,
    pub projections: usize,
    pub synapses: usize,
    pub notes: Vec<String>,
}

/// Model-file values are 0 or of magnitude within [1e-100, 1e100]: smaller
/// magnitudes are written as 0.
fn clean(x: f64) -> f64 {
    if x.abs() < 1e-100 { 0.0 } else { x + 0.0 }
}

fn num(x: f64) -> String {
    format!("{:?}", clean(x))
}

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A population name for NIR node path `path`: spikesim's names have no
/// `/` (results are HDF5 groups) and no `.`, so `/` becomes `:` and `.`
/// becomes `_`; a clash gets a numbered suffix.
fn population_name(path: &str, taken: &mut BTreeSet<String>) -> String {
    let base: String = path
        .chars()
        .map(|c| match c {
            '/' => ':',
            '.' => '_',
            c => c,
        })
        .collect();
    let base = if base.is_empty() {
        "node".to_string()
    } else {
        base
    };
    let mut name = base.clone();
    let mut k = 2;
    while !taken.insert(name.clone()) {
        name = format!("{base}_{k}");
        k += 1;
    }
    name
}

fn param_text(p: &Param) -> String {
    let many = |v: &[f64], f: &dyn Fn(f64) -> String| {
        if v.windows(2).all(|w| w[0] == w[1]) {
            f(v[0])
        } else {
            format!(
                "[{}]",
                v.iter().map(|&x| f(x)).collect::<Vec<_>>().join(", ")
            )
        }
    };
    match p {
        Param::Quantity(v, unit) => many(v, &|x| format!("\"{} {unit}\"", num(x))),
        Param::Number(v) => many(v, &|x| num(x)),
        Param::Text(t) => quoted(t),
        Param::Bool(b) => b.to_string(),
    }
}

fn discretisation_name(d: Discretisation) -> &'static str {
    match d {
        Discretisation::Exact => "exact",
        Discretisation::Euler => "euler",
        Discretisation::Snntorch => "snntorch",
    }
}

/// Builds the model text and side files for `graph`.
pub fn plan(
    graph: &Graph,
    file: &Path,
    opts: &ImportOptions,
    record_all: bool,
    folder: &str,
) -> Result<Plan, NirError> {
    let mut flat = Flat::new(graph, file)?;
    flat.shapes = super::shapes::infer(&flat, file)?;
    let composed = compose(&flat, opts.dt, file)?;
    let mut notes = Vec::new();
    // spikesim's own export of jump-input CuBa populations says so; other
    // tools' CubaLIF nodes read spikes as held over a step (forcing).
    let dirac = matches!(
        graph.metadata.get("spikesim.cuba_input"),
        Some(crate::nir::Meta::Text(t)) if t == "jump"
    );
    if dirac && opts.discretisation == Discretisation::Exact {
        notes.push(
            "the graph's metadata says spikesim.cuba_input = \"jump\": CubaLIF nodes read \
             spikes as Dirac impulses (input = \"jump\"), as spikesim exported them"
                .into(),
        );
    }
    let pops: Vec<usize> = (0..flat.nodes.len())
        .filter(|&i| matches!(flat.nodes[i].role, Role::Source | Role::Neuron))
        .collect();
    if pops.iter().all(|&i| flat.nodes[i].role == Role::Source) {
        return Err(NirError::file(
            file,
            "the graph has no neuron node: nothing to simulate",
        ));
    }
    let mut taken = BTreeSet::new();
    let names: BTreeMap<usize, String> = pops
        .iter()
        .map(|&i| (i, population_name(&flat.nodes[i].path, &mut taken)))
        .collect();
    let feeds_output = feeding_outputs(&flat, &composed);

    // Input spikes, and the duration they imply.
    let sources: Vec<usize> = pops
        .iter()
        .copied()
        .filter(|&i| flat.nodes[i].role == Role::Source)
        .collect();
    let total_in: usize = sources.iter().map(|&i| flat.size(i)).sum();
    let spikes = match &opts.input {
        Some(p) => input::read(p, total_in)?,
        None => Vec::new(),
    };
    let duration = match (opts.duration, spikes.iter().map(|s| s.1).max()) {
        (Some(d), _) => d,
        (None, Some(last)) => (last + 1) as f64 * opts.dt,
        (None, None) => {
            return Err(NirError::file(
                file,
                "no input spikes to take the duration from: give --duration",
            ));
        }
    };

    let mut files = Vec::new();
    let mut model = header(file, opts, duration, &flat, &names);
    let mut built: BTreeMap<usize, Population> = BTreeMap::new();
    let mut offset = 0;
    for &i in &pops {
        let node = &flat.nodes[i];
        let name = &names[&i];
        let size = flat.size(i);
        if size == 0 || size > u32::MAX as usize {
            return Err(NirError::at(
                file,
                &node.path,
                None,
                format!("has {size} elements"),
            ));
        }
        let _ = write!(
            model,
            "\n[[population]]\nname = {}\nsize = {size}\n",
            quoted(name)
        );
        if node.role == Role::Source {
            let csv = format!("input_{}.csv", files.len());
            let mut text = String::from("neuron,time_s\n");
            for &(n, step) in &spikes {
                if (offset..offset + size).contains(&n) {
                    let _ = writeln!(text, "{},{}", n - offset, num((step + 1) as f64 * opts.dt));
                }
            }
            offset += size;
            let _ = writeln!(
                model,
                "model = \"spike_source\"\nparams = {{ file = {} }}\nrecord_spikes = {}",
                quoted(&format!("{folder}/{csv}")),
                feeds_output.contains(&i) || record_all
            );
            files.push((csv, text));
            continue;
        }
        let bias = &composed.inputs[i]
            .as_ref()
            .expect("neuron inputs composed")
            .bias;
        let pop = population(
            node.node, &node.path, size, bias, opts, dirac, file, &mut notes,
        )?;
        let params: Vec<String> = pop
            .params
            .iter()
            .map(|(k, v)| format!("{k} = {}", param_text(v)))
            .collect();
        let _ = writeln!(
            model,
            "model = \"{}\"\nparams = {{ {} }}",
            pop.model,
            params.join(", ")
        );
        if pop.init_zero {
            model.push_str("init = { v = \"0 V\" }\n");
        }
        let _ = writeln!(
            model,
            "record_spikes = {}",
            pop.spiking && (feeds_output.contains(&i) || record_all)
        );
        built.insert(i, pop);
    }

    let (projections, synapses) = projections(
        &composed, &names, &built, opts.dt, folder, &mut model, &mut files,
    );

    for &i in &pops {
        let Some(pop) = built.get(&i) else { continue };
        if record_all || (!pop.spiking && feeds_output.contains(&i)) {
            let _ = write!(
                model,
                "\n[[record]]\npopulation = {}\nvariables = [\"v\"]\n",
                quoted(&names[&i])
            );
        }
    }
    let names = pops
        .iter()
        .map(|&i| (flat.nodes[i].path.clone(), names[&i].clone()))
        .collect();
    Ok(Plan {
        model,
        files,
        names,
        projections,
        synapses,
        notes,
    })
}

/// The populations whose output reaches a top-level Output.
fn feeding_outputs(flat: &Flat, composed: &Composed) -> BTreeSet<usize> {
    (0..flat.nodes.len())
        .filter(|&i| flat.nodes[i].role == Role::Sink)
        .filter_map(|i| composed.inputs[i].as_ref())
        .flat_map(|e| e.terms.keys().copied())
        .collect()
}

fn header(
    file: &Path,
    opts: &ImportOptions,
    duration: f64,
    flat: &Flat,
    names: &BTreeMap<usize, String>,
) -> String {
    let mut t = format!(
        "# Imported by `spikesim nir import` from the NIR graph {}\n\
         # (discretisation {}, reset {}, dt {} s). NIR voltages are volts, times seconds.\n\
         # Edges act within the step (zero-delay projections); an edge closing a cycle\n\
         # and Delay nodes add whole steps. Populations (NIR node -> population):\n",
        file.display(),
        discretisation_name(opts.discretisation),
        match opts.reset {
            ResetMode::Value => "value",
            ResetMode::Subtract => "subtract",
        },
        num(opts.dt)
    );
    for (&i, name) in names {
        let _ = writeln!(
            t,
            "#   {} ({}) -> {name}",
            flat.nodes[i].path,
            flat.nodes[i].node.type_name()
        );
    }
    let _ = write!(
        t,
        "\n[simulation]\ndt = \"{} s\"\nduration = \"{} s\"\nseed = 0\nengine = \"clock\"\n",
        num(opts.dt),
        num(duration)
    );
    t
}

/// One or two projections (zero delay; delayed, with a delay column) per
/// pair of populations with synapses, each a connection list in the side
/// folder. Returns how many projections and synapses.
fn projections(
    composed: &Composed,
    names: &BTreeMap<usize, String>,
    built: &BTreeMap<usize, Population>,
    dt: f64,
    folder: &str,
    model: &mut String,
    files: &mut Vec<(String, String)>,
) -> (usize, usize) {
    let mut count = (0, 0);
    for (&target, pop) in built {
        let Some(input) = &composed.inputs[target] else {
            continue;
        };
        for (&source, map) in &input.terms {
            let mut zero = String::from("pre,post,weight_V\n");
            let mut delayed = String::from("pre,post,weight_V,delay_s\n");
            let (mut nz, mut nd) = (0, 0);
            for (pre, row) in map.rows.iter().enumerate() {
                for e in row {
                    let w = clean(pop.gain[e.out as usize] * e.w);
                    if w == 0.0 {
                        continue;
                    }
                    if e.delay == 0 {
                        let _ = writeln!(zero, "{pre},{},{}", e.out, num(w));
                        nz += 1;
                    } else {
                        let _ = writeln!(
                            delayed,
                            "{pre},{},{},{}",
                            e.out,
                            num(w),
                            num(e.delay as f64 * dt)
                        );
                        nd += 1;
                    }
                }
            }
            let (from, to) = (&names[&source], &names[&target]);
            for (text, n, delayed) in [(zero, nz, false), (delayed, nd, true)] {
                if n == 0 {
                    continue;
                }
                let csv = format!("w_{}.csv", count.0);
                let name = if delayed {
                    format!("{from}->{to} (delayed)")
                } else {
                    format!("{from}->{to}")
                };
                let _ = write!(
                    model,
                    "\n[[projection]]\nname = {}\nfrom = {}\nto = {}\nconnect = {{ list = {} }}\n",
                    quoted(&name),
                    quoted(from),
                    quoted(to),
                    quoted(&format!("{folder}/{csv}"))
                );
                model.push_str(match pop.synapse {
                    Synapse::Delta => "synapse = \"delta\"\n",
                    Synapse::Current => "synapse = \"current\"\nreceptor = \"exc\"\n",
                });
                if !delayed {
                    model.push_str("delay = \"0 s\"\n");
                }
                if source == target {
                    model.push_str("allow_autapses = true\n");
                }
                files.push((csv, text));
                count.0 += 1;
                count.1 += n;
            }
        }
    }
    count
}
