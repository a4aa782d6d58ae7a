//! The reference pages under `docs/src/reference/` document every key the
//! code accepts, and every command-line flag.
//!
//! The keys are not copied from the source into this test: they are asked
//! of the code itself. Each table of a model or experiment file is given an
//! unknown key, and the code's refusal lists what that table accepts (serde's
//! "expected one of `a`, `b`" for the `deny_unknown_fields` tables, the
//! validator's "(allowed: a, b)" for a model's `params` and `init`, a
//! plasticity rule or `background`; the `connect` usage for an unknown
//! rule). The flags are read from `spikesim <command> --help`, and the
//! datasets, groups and attributes of a results file from files that
//! `spikesim run` writes. A key or flag the code gains without a row
//! in its section of the reference fails here, naming the page, the section
//! and the key.
//!
//! A row documents a key when it is a table row (`| ... |`) of the section
//! whose first cell holds the key in backquotes, e.g. "| `tau_m` | time |".

use std::path::{Path, PathBuf};
use std::process::Command;

use toml::Value;

/// The key that no table accepts.
const PROBE: &str = "zz_undocumented_probe";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn page(name: &str) -> String {
    let path = repo().join("docs/src/reference").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text under the heading whose text (without the `#`s) is `heading`,
/// up to the next heading of the same or a higher level. Headings inside
/// fenced code blocks (TOML comments) are not headings.
fn section<'a>(text: &'a str, heading: &str) -> Option<&'a str> {
    let mut fenced = false;
    let mut start: Option<(usize, usize)> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let here = offset;
        offset += line.len();
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let level = line.chars().take_while(|&c| c == '#').count();
        let title = line[level..].trim();
        match start {
            None if title == heading => start = Some((level, here + line.len())),
            Some((open, body)) if level <= open => return Some(&text[body..here]),
            _ => {}
        }
    }
    start.map(|(_, body)| &text[body..])
}

/// Whether a table row of `section` names `key` in its first cell.
fn documents(section: &str, key: &str) -> bool {
    let quoted = format!("`{key}`");
    section.lines().any(|line| {
        let line = line.trim_start();
        line.starts_with('|')
            && line[1..]
                .split('|')
                .next()
                .is_some_and(|cell| cell.contains(&quoted))
    })
}

/// The names an error message says are accepted: serde's "expected one of
/// `a`, `b`" (or "expected `a`"), the validator's "(allowed: a, b)" and
/// "(known: a, b)".
fn accepted(message: &str) -> Vec<String> {
    if let Some(at) = message
        .find("expected one of ")
        .or(message.find("expected `"))
    {
        let rest = &message[at..];
        let rest = rest.lines().next().unwrap_or(rest);
        return rest
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
    }
    for marker in ["(allowed: ", "(known: "] {
        if let Some(at) = message.find(marker) {
            let rest = &message[at + marker.len()..];
            let list = &rest[..rest.find(')').unwrap_or(rest.len())];
            if list == "none" {
                return Vec::new();
            }
            return list.split(", ").map(|s| s.trim().to_string()).collect();
        }
    }
    panic!("the error names no accepted keys: {message}");
}

/// The table at `path` (keys, or indices into arrays of tables) in `doc`,
/// made if missing.
fn table_at<'a>(doc: &'a mut Value, path: &[&str]) -> &'a mut toml::Table {
    let mut here = doc;
    for step in path {
        here = match here {
            Value::Array(items) => &mut items[step.parse::<usize>().expect("an index")],
            Value::Table(t) => t
                .entry(step.to_string())
                .or_insert_with(|| Value::Table(toml::Table::new())),
            other => panic!("{step}: not a table: {other}"),
        };
    }
    match here {
        Value::Table(t) => t,
        other => panic!("{path:?}: not a table: {other}"),
    }
}

/// `text` with the probe key added to the table at `path`.
fn probed(text: &str, path: &[&str]) -> String {
    let mut doc: Value = toml::from_str(text).expect("a TOML document");
    table_at(&mut doc, path).insert(PROBE.into(), Value::Integer(1));
    toml::to_string(&doc).expect("serialisable")
}

/// What a section of a reference page must list: the keys a probed table
/// accepts.
struct Expect {
    page: &'static str,
    heading: String,
    keys: Vec<String>,
}

/// Checks every expectation; one failure lists every undocumented key.
fn check(expects: &[Expect]) {
    let mut missing = Vec::new();
    for e in expects {
        let text = page(e.page);
        let Some(body) = section(&text, &e.heading) else {
            missing.push(format!("{}: no section \"{}\"", e.page, e.heading));
            continue;
        };
        for key in &e.keys {
            if !documents(body, key) {
                missing.push(format!(
                    "{}, section \"{}\": key `{key}` has no row",
                    e.page, e.heading
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "undocumented in docs/src/reference/:\n{}",
        missing.join("\n")
    );
}

/// A model file the validator accepts, with one table of each kind.
const BASE_MODEL: &str = r#"
[simulation]
dt = "0.1 ms"
duration = "10 ms"

[[population]]
name = "a"
size = 2
model = "lif"
params = { tau_m = "20 ms", v_rest = "-70 mV", v_th = "-50 mV" }
background = { rate = "5 Hz", indegree = 10, weight = "1 mV" }

[[population]]
name = "b"
size = 2
model = "lif"
params = { tau_m = "20 ms", v_rest = "-70 mV", v_th = "-50 mV" }

[[projection]]
from = "a"
to = "b"
connect = "all_to_all"
weight = "1 mV"
delay = "1 ms"

[[stimulus]]
kind = "current"
population = "b"
amplitude = "1 mV"

[[record]]
population = "a"
variables = ["v"]

[output]
path = "x.h5"

[scale]
neurons = 1
"#;

/// The message of the validator's refusal of the model `text`.
fn model_error(dir: &Path, text: &str) -> String {
    let path = dir.join("probe.toml");
    std::fs::write(&path, text).expect("written");
    match spikesim::model::load(&path, &[]) {
        Ok(_) => panic!("the probe key was accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// The keys the table at `path` of `text` accepts.
fn model_keys(dir: &Path, text: &str, path: &[&str]) -> Vec<String> {
    accepted(&model_error(dir, &probed(text, path)))
}

/// The rule names of the validator's `connect` usage message: the quoted
/// names (`"all_to_all"`) and the keys of the tables (`{ list = ... }`,
/// `with multapses = false`).
fn connect_rules(usage: &str) -> Vec<String> {
    let usage = &usage[usage.find("expected").expect("a usage message")..];
    let mut rules = Vec::new();
    let words: Vec<&str> = usage
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '"' || c == '='))
        .filter(|w| !w.is_empty())
        .collect();
    for (i, w) in words.iter().enumerate() {
        let quoted = w.len() > 2 && w.starts_with('"') && w.ends_with('"');
        let name = w.trim_matches('"');
        let keyed = words.get(i + 1) == Some(&"=");
        let is_name = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            && !name.contains(".csv");
        if is_name && (keyed || (quoted && !w.contains(".csv"))) {
            rules.push(name.to_string());
        }
    }
    rules
}

/// `BASE_MODEL` with population `a` of `model`, its `params` and `init`
/// replaced.
fn with_model(model: &str, params: &str, init: &str) -> String {
    let mut doc: Value = toml::from_str(BASE_MODEL).expect("TOML");
    let pop = table_at(&mut doc, &["population", "0"]);
    pop.remove("background");
    pop.insert("model".into(), Value::String(model.into()));
    let table = |inline: &str| -> Value {
        toml::from_str::<toml::Table>(&format!("t = {{ {inline} }}")).expect("inline table")["t"]
            .clone()
    };
    pop.insert("params".into(), table(params));
    pop.insert("init".into(), table(init));
    // The population is no longer what the record and the projection assume.
    let root = table_at(&mut doc, &[]);
    root.remove("record");
    root.remove("projection");
    toml::to_string(&doc).expect("TOML")
}

#[test]
fn every_model_file_key_is_documented() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    let mut expects = Vec::new();
    let mut expect = |page: &'static str, heading: &str, keys: Vec<String>| {
        assert!(
            !keys.is_empty() || heading.contains("init"),
            "{heading}: no keys"
        );
        expects.push(Expect {
            page,
            heading: heading.to_string(),
            keys,
        })
    };
    let file = "model-file.md";
    expect(file, "Sections", model_keys(dir, BASE_MODEL, &[]));
    for (path, heading) in [
        (&["simulation"][..], "`[simulation]`"),
        (&["population", "0"], "`[[population]]`"),
        (&["projection", "0"], "`[[projection]]`"),
        (&["stimulus", "0"], "`[[stimulus]]`"),
        (&["record", "0"], "`[[record]]`"),
        (&["output"], "`[output]`"),
        (&["scale"], "`[scale]`"),
        (&["population", "0", "background"], "`background`"),
    ] {
        expect(file, heading, model_keys(dir, BASE_MODEL, path));
    }

    // The connection rules, from the usage the validator gives for an
    // unknown one: each must have a row of `connect`.
    let mut doc: Value = toml::from_str(BASE_MODEL).expect("TOML");
    let mut rule = toml::Table::new();
    rule.insert(PROBE.into(), Value::Integer(1));
    table_at(&mut doc, &["projection", "0"]).insert("connect".into(), Value::Table(rule));
    let usage = model_error(dir, &toml::to_string(&doc).expect("TOML"));
    let rules = connect_rules(&usage);
    assert!(rules.len() >= 7, "too few connection rules in: {usage}");
    expect(file, "`connect`", rules);

    // Every neuron model's `params` and `init`, from its own example.
    let neurons = "neuron-models.md";
    let examples = spikesim::neuron::registry::examples();
    let mut cases: Vec<(String, String, String, String)> = examples
        .iter()
        .filter(|(name, _)| *name != "discrete_lif" && *name != "meta")
        .map(|(name, (p, i))| {
            (
                name.to_string(),
                name.to_string(),
                p.to_string(),
                i.to_string(),
            )
        })
        .collect();
    let lif = r#"tau_m = "20 ms", v_rest = "-70 mV", v_th = "-50 mV""#;
    for (firing, extra) in [
        ("exponential", r#", rho_0 = "100 Hz", delta_u = "2 mV""#),
        ("sigmoid", r#", delta_u = "2 mV""#),
    ] {
        cases.push((
            format!("meta ({firing})"),
            "meta".into(),
            format!("firing = \"{firing}\", {lif}{extra}"),
            String::new(),
        ));
    }
    cases.push((
        "meta (levy_baxter)".into(),
        "meta".into(),
        r#"firing = "levy_baxter", success = 0.5, g = "1 mV""#.into(),
        String::new(),
    ));
    let names: Vec<&str> = spikesim::neuron::registry::MODEL_NAMES.to_vec();
    assert!(
        names.contains(&"meta") && names.contains(&"discrete_lif"),
        "the registry's models changed: {names:?}; list the new ones here"
    );
    for (heading, model, params, init) in &cases {
        let text = with_model(model, params, init);
        expect(
            neurons,
            &format!("`{heading}`: `params`"),
            model_keys(dir, &text, &["population", "0", "params"]),
        );
        expect(
            neurons,
            &format!("`{heading}`: `init`"),
            model_keys(dir, &text, &["population", "0", "init"]),
        );
    }
    // discrete_lif (NIR imports) runs in float mode too.
    let example = examples
        .iter()
        .find(|(n, _)| *n == "discrete_lif")
        .map(|(_, e)| *e)
        .expect("discrete_lif");
    let text = with_model("discrete_lif", example.0, example.1);
    expect(
        neurons,
        "`discrete_lif`: `params`",
        model_keys(dir, &text, &["population", "0", "params"]),
    );
    // Every model has its section.
    for name in &names {
        expects_heading(neurons, &format!("`{name}`"));
    }

    // Plasticity rules: the list, then each rule's parameters.
    let plastic = |rule: &str| {
        let mut doc: Value = toml::from_str(BASE_MODEL).expect("TOML");
        let p = table_at(&mut doc, &["projection", "0"]);
        let mut inner = toml::Table::new();
        inner.insert(rule.into(), Value::Table(toml::Table::new()));
        p.insert("plasticity".into(), Value::Table(inner));
        toml::to_string(&doc).expect("TOML")
    };
    let rules = accepted(&model_error(dir, &plastic(PROBE)));
    let plasticity = "plasticity.md";
    expect(plasticity, "Rules", rules.clone());
    for rule in &rules {
        let text = plastic(rule);
        expect(
            plasticity,
            &format!("`{rule}`"),
            model_keys(dir, &text, &["projection", "0", "plasticity", rule]),
        );
    }

    // Fixed-point populations.
    let fixed = std::fs::read_to_string(repo().join("models/fixed_point_demo.toml")).expect("demo");
    let exc = {
        let doc: Value = toml::from_str(&fixed).expect("TOML");
        let pops = doc["population"].as_array().expect("populations");
        pops.iter()
            .position(|p| p["model"].as_str() == Some("lif"))
            .expect("a fixed-point lif")
            .to_string()
    };
    let fixed_page = "fixed-point.md";
    expect(
        fixed_page,
        "`lif`: `params`",
        model_keys(dir, &fixed, &["population", &exc, "params"]),
    );
    expect(
        fixed_page,
        "`lif`: `init`",
        model_keys(dir, &fixed, &["population", &exc, "init"]),
    );
    check(&expects);
}

/// Fails unless `page` has a heading `heading`.
fn expects_heading(page_name: &str, heading: &str) {
    assert!(
        section(&page(page_name), heading).is_some(),
        "docs/src/reference/{page_name}: no section \"{heading}\""
    );
}

/// The keys the table at `path` of experiment `text` accepts, as
/// `parse` refuses the probe.
fn experiment_keys<E>(
    text: &str,
    path: &[&str],
    parse: impl Fn(&Path, &str) -> Result<E, spikesim::model::ModelError>,
) -> Vec<String> {
    let text = probed(text, path);
    match parse(Path::new("probe.toml"), &text) {
        Ok(_) => panic!("the probe key was accepted at {path:?}"),
        Err(e) => accepted(&e.to_string()),
    }
}

fn shipped(name: &str) -> String {
    std::fs::read_to_string(repo().join("models").join(name)).expect("a shipped experiment")
}

#[test]
fn every_experiment_file_key_is_documented() {
    use spikesim::learn::continual::experiment::parse_continual;
    use spikesim::learn::tempotron::experiment::parse as parse_tempotron;
    use spikesim::learn::train::experiment::parse_experiment;

    let page = "experiment-files.md";
    let mut expects = Vec::new();
    let mut expect = |heading: &str, keys: Vec<String>| {
        expects.push(Expect {
            page,
            heading: heading.into(),
            keys,
        })
    };
    // A training file with a delayed LIF layer.
    let train = shipped("train_delays_synth.toml");
    let has_delays = {
        let doc: Value = toml::from_str(&train).expect("TOML");
        doc["layer"].as_array().expect("layers")[0]
            .get("delays")
            .is_some()
    };
    assert!(
        has_delays,
        "train_delays_synth.toml: the first layer has no delays"
    );
    for (path, heading) in [
        (&[][..], "Training files: sections"),
        (&["data"], "`[data]`"),
        (&["layer", "0"], "`[[layer]]`"),
        (&["layer", "0", "delays"], "`delays`"),
        (&["readout"], "`[readout]`"),
        (&["training"], "`[training]`"),
        (&["output"], "`[output]` (training)"),
    ] {
        expect(heading, experiment_keys(&train, path, parse_experiment));
    }
    // A continual file with HLOP and spiking subspace neurons.
    let mut continual: Value =
        toml::from_str(&shipped("continual_split_digits.toml")).expect("TOML");
    {
        let root = table_at(&mut continual, &[]);
        if !root.contains_key("hlop") {
            let hlop: toml::Table =
                toml::from_str("layers = [{ initial = 4 }]").expect("hlop table");
            root.insert("hlop".into(), Value::Table(hlop));
        }
        let hlop = table_at(&mut continual, &["hlop"]);
        hlop.insert("spiking".into(), Value::Table(toml::Table::new()));
    }
    let continual = toml::to_string(&continual).expect("TOML");
    for (path, heading) in [
        (&["continual"][..], "`[continual]`"),
        (&["hlop"], "`[hlop]`"),
        (&["hlop", "layers", "0"], "`[hlop].layers`"),
        (&["hlop", "spiking"], "`[hlop].spiking`"),
    ] {
        expect(heading, experiment_keys(&continual, path, parse_continual));
    }
    // A Tempotron file.
    let tempotron = shipped("meta_tempotron.toml");
    for (path, heading) in [
        (&[][..], "Tempotron files: sections"),
        (&["patterns"], "`[patterns]`"),
        (&["neuron"], "`[neuron]`"),
        (&["training"], "`[training]` (Tempotron)"),
        (&["output"], "`[output]` (Tempotron)"),
    ] {
        expect(heading, experiment_keys(&tempotron, path, parse_tempotron));
    }
    check(&expects);
}

/// The subcommands and long flags `spikesim <words> --help` lists.
fn help(words: &[&str]) -> (Vec<String>, Vec<String>) {
    let out = Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .args(words)
        .arg("--help")
        .output()
        .expect("spikesim runs");
    assert!(out.status.success(), "spikesim {words:?} --help failed");
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let mut commands = Vec::new();
    let mut flags = Vec::new();
    let mut in_commands = false;
    for line in text.lines() {
        if !line.starts_with(' ') {
            in_commands = line.starts_with("Commands:");
            continue;
        }
        let first = line.split_whitespace().next().unwrap_or("");
        if in_commands {
            if first != "help" && !first.is_empty() {
                commands.push(first.to_string());
            }
            continue;
        }
        // "  -o, --out <OUT>  ..." or "      --seed <SEED>  ...".
        let flag = line
            .split_whitespace()
            .map(|w| w.trim_end_matches(','))
            .take(2)
            .find(|w| w.starts_with("--"));
        if let Some(flag) = flag {
            let flag = flag.split(['=', '[', '<']).next().unwrap_or(flag);
            if flag != "--help" && flag != "--version" {
                flags.push(flag.to_string());
            }
        }
    }
    (commands, flags)
}

#[test]
fn every_command_and_flag_is_documented() {
    let mut expects = Vec::new();
    let mut queue: Vec<Vec<String>> = vec![Vec::new()];
    while let Some(words) = queue.pop() {
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        let (commands, flags) = help(&refs);
        let heading = if words.is_empty() {
            "Global options".to_string()
        } else {
            format!("`spikesim {}`", words.join(" "))
        };
        if !words.is_empty() || !flags.is_empty() {
            expects.push(Expect {
                page: "cli.md",
                heading,
                keys: flags,
            });
        }
        for c in commands {
            let mut next = words.clone();
            next.push(c);
            queue.push(next);
        }
    }
    assert!(
        expects.len() > 10,
        "too few commands found: {}",
        expects.len()
    );
    check(&expects);
}

#[test]
fn the_section_finder_and_row_test_see_what_they_should() {
    let text = "# A\n## `[x]`\n| `a` | b |\n```toml\n# not a heading\n```\n| c | `d` |\n## `[y]`\n| `e` |\n";
    let x = section(text, "`[x]`").expect("x");
    assert!(documents(x, "a"));
    assert!(
        !documents(x, "d"),
        "a key in a later cell is not a row of its own"
    );
    assert!(!documents(x, "e"), "the next section is not this one");
    assert!(section(text, "`[z]`").is_none());
    assert_eq!(
        accepted("unknown field `q`, expected one of `dt`, `duration`"),
        ["dt", "duration"]
    );
    assert_eq!(
        accepted("unknown parameter `q` (allowed: v, w)"),
        ["v", "w"]
    );
    assert!(accepted("unknown parameter `q` (allowed: none)").is_empty());
}

/// A float model whose results file has every kind of group: spikes, a
/// recorded state and recorded weights.
const RESULTS_MODEL: &str = r#"
[simulation]
dt = "0.1 ms"
duration = "20 ms"

[[population]]
name = "a"
size = 3
model = "poisson"
params = { rate = "500 Hz" }

[[population]]
name = "b"
size = 2
model = "cuba_lif"
params = { tau_m = "10 ms", v_rest = "-70 mV", v_th = "-60 mV", tau_syn = "2 ms" }

[[projection]]
name = "ab"
from = "a"
to = "b"
connect = "all_to_all"
weight = "5 mV"
delay = "1 ms"
plasticity = { stdp = { tau_plus = "20 ms", tau_minus = "20 ms", a_plus = "0.1 mV", a_minus = "0.1 mV", w_min = "0 mV", w_max = "10 mV" } }

[[record]]
population = "b"
variables = ["v", "i_syn_e"]

[[record]]
projection = "ab"
weights = true
interval = "5 ms"
"#;

/// `path` with population and projection names replaced by the
/// placeholders the reference writes.
fn generic(path: &str) -> String {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let own = |kind: &str| match kind {
        "weights" => "<projection>",
        _ => "<population>",
    };
    match parts.as_slice() {
        [top, _] => format!("/{top}/{}", own(top)),
        ["state", _, leaf] if !["times", "steps", "neurons"].contains(leaf) => {
            "/state/<population>/<variable>".into()
        }
        [top, _, leaf] => format!("/{top}/{}/{leaf}", own(top)),
        _ => path.to_string(),
    }
}

/// Every object of `group` (recursively) with its attribute names, by
/// generic path.
fn objects(group: &hdf5::Group, out: &mut Vec<(String, Vec<String>)>) {
    for name in group.member_names().expect("members") {
        let path = format!("{}/{name}", group.name().trim_end_matches('/'));
        if let Ok(g) = group.group(&name) {
            out.push((generic(&path), g.attr_names().expect("attributes")));
            objects(&g, out);
        } else {
            let d = group.dataset(&name).expect("a group or a dataset");
            out.push((generic(&path), d.attr_names().expect("attributes")));
        }
    }
}

/// The first table row of `section` whose first cell holds `` `key` ``.
fn row<'a>(section: &'a str, key: &str) -> Option<&'a str> {
    let quoted = format!("`{key}`");
    section.lines().find(|line| {
        let line = line.trim_start();
        line.starts_with('|')
            && line[1..]
                .split('|')
                .next()
                .is_some_and(|cell| cell.contains(&quoted))
    })
}

#[test]
fn every_results_file_dataset_and_attribute_is_documented() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = dir.path().join("m.toml");
    std::fs::write(&model, RESULTS_MODEL).expect("written");
    let fixed = repo().join("models/fixed_point_demo.toml");
    let runs = [
        (model.as_path(), Vec::new()),
        (fixed.as_path(), vec!["--set", "simulation.steps=20"]),
    ];
    let text = page("results-file.md");
    let layout = section(&text, "Layout").expect("a Layout section");
    let root = section(&text, "Root attributes").expect("a Root attributes section");
    let mut missing = Vec::new();
    for (i, (model, set)) in runs.iter().enumerate() {
        let out = dir.path().join(format!("r{i}.h5"));
        let status = Command::new(env!("CARGO_BIN_EXE_spikesim"))
            .arg("run")
            .arg(model)
            .args(set)
            .args(["--no-plots", "--out"])
            .arg(&out)
            .output()
            .expect("spikesim runs");
        assert!(status.status.success(), "{status:?}");
        let file = hdf5::File::open(&out).expect("a results file");
        for name in file.attr_names().expect("root attributes") {
            if row(root, &name).is_none() {
                missing.push(format!("root attribute `{name}`"));
            }
        }
        let mut found = Vec::new();
        objects(&file, &mut found);
        assert!(found.len() > 10, "too few objects: {found:?}");
        for (path, attributes) in found {
            let top = path.matches('/').count() == 1;
            match row(layout, &path) {
                None if top && attributes.is_empty() => {}
                None => missing.push(format!("`{path}`")),
                Some(r) => {
                    for a in attributes {
                        if !r.contains(&format!("`{a}`")) {
                            missing.push(format!("attribute `{a}` of `{path}`"));
                        }
                    }
                }
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "undocumented in docs/src/reference/results-file.md:\n{}",
        missing.join("\n")
    );
}
