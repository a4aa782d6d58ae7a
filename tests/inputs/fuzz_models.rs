//! A fuzzer of the files spikesim reads: the shipped model, training,
//! continual and Tempotron files in `models/`, and the CSV files they point
//! to, mutated (extreme numbers, other units, deleted keys, duplicated
//! tables, truncation, flipped characters, swapped values, corrupt CSV
//! cells and headers) and fed to the library's validation in-process. Models
//! that validate and are small enough are simulated.
//!
//! Asserted for every mutant: no panic, no hang (a watchdog reports the
//! mutant that runs longer than `SPIKESIM_FUZZ_CASE_SECONDS`, default 20),
//! every error message non-empty and naming the file, and every simulated
//! trace finite. A CLI variant runs the binary on a few mutants and asserts
//! exit status 0 or 1 and no signal.
//!
//! `SPIKESIM_FUZZ_CASES` sets the in-process case count (default 5000;
//! `make experiments` runs 100,000), `SPIKESIM_FUZZ_CLI_CASES` the CLI's
//! (default 40), `SPIKESIM_FUZZ_SEED` the seed (default 13). Failing mutants
//! are written to `target/fuzz-failures/`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use spikesim::model::ModelSpec;
use spikesim::model::spec::{ConnectRule, ValueSpec};
use spikesim::model::validate::parse_model;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

// ----- the corpus ------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Model,
    Training,
    Continual,
    Tempotron,
}

#[derive(Debug, Clone)]
struct Base {
    /// The shipped file's path: relative references resolve from it, and
    /// errors must name it.
    path: PathBuf,
    text: String,
    kind: Kind,
    /// CSV files the text names (absolute paths, as rewritten in `text`)
    /// and their contents.
    csvs: Vec<(String, String)>,
}

fn kind_of(text: &str) -> Kind {
    let has = |table: &str| text.lines().any(|l| l.trim() == table);
    if has("[simulation]") {
        Kind::Model
    } else if has("[continual]") {
        Kind::Continual
    } else if has("[patterns]") {
        Kind::Tempotron
    } else {
        Kind::Training
    }
}

/// Quoted `….csv` references, made absolute so that a mutant can be written
/// anywhere.
fn absolute_csvs(path: &Path, text: &str) -> (String, Vec<(String, String)>) {
    let mut out = text.to_string();
    let mut csvs = Vec::new();
    let mut rest = text;
    while let Some(end) = rest.find(".csv\"") {
        let start = rest[..end].rfind('"').map_or(0, |s| s + 1);
        let reference = &rest[start..end + 4];
        rest = &rest[end + 5..];
        let dir = path.parent().unwrap();
        let found = [root().join(reference), dir.join(reference)]
            .into_iter()
            .find(|p| p.is_file());
        if let Some(file) = found {
            let abs = file.canonicalize().unwrap().display().to_string();
            let contents = std::fs::read_to_string(&file).unwrap();
            out = out.replace(&format!("\"{reference}\""), &format!("{abs:?}"));
            csvs.push((abs, contents));
        }
    }
    (out, csvs)
}

/// Replace the value of the first `key = …` line.
fn set_line(text: &str, key: &str, value: &str) -> String {
    let mut done = false;
    text.lines()
        .map(|l| {
            let t = l.trim_start();
            if !done && t.starts_with(key) && t[key.len()..].trim_start().starts_with('=') {
                done = true;
                format!("{key} = {value}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Models cut down so that a valid mutant simulates in milliseconds: a few
/// milliseconds of run and, where the model stays valid, smaller
/// populations.
fn shrink_model(path: &Path, text: &str) -> String {
    let text = if text.contains("arithmetic = \"fixed\"") {
        set_line(text, "steps", "30")
    } else {
        set_line(text, "duration", "\"3 ms\"")
    };
    // Recording less often than once per run is refused.
    let mut text = set_line(&text, "interval", "\"1 ms\"");
    while text
        .lines()
        .any(|l| l.starts_with("every = ") && l != "every = 10")
    {
        let old = text
            .lines()
            .find(|l| l.starts_with("every = ") && *l != "every = 10")
            .unwrap()
            .to_string();
        text = text.replace(&format!("{old}\n"), "every = 10\n");
    }
    let valid = |t: &str| parse_model(path, t).is_ok();
    assert!(
        valid(&text),
        "{} shortened: {:?}",
        path.display(),
        parse_model(path, &text).err()
    );
    let sizes: Vec<u64> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("size = "))
        .filter_map(|v| v.split_whitespace().next()?.parse().ok())
        .collect();
    for factor in [40u64, 20, 10, 6, 5, 3, 2] {
        if sizes.iter().all(|&s| s <= 100) {
            return text;
        }
        let mut shrunk = text.clone();
        for &s in &sizes {
            if s > 100 && s % factor == 0 {
                shrunk = shrunk.replace(
                    &format!("size = {s}\n"),
                    &format!("size = {}\n", s / factor),
                );
            }
        }
        if valid(&shrunk) {
            return shrunk;
        }
    }
    text
}

/// A model that exercises the CSV readers: a connection list with weights
/// and delays, and a current course from a file.
fn csv_model(dir: &Path) -> Base {
    let list = dir.join("list.csv");
    let current = dir.join("current.csv");
    std::fs::write(
        &list,
        "pre,post,weight_nA,delay_ms\n0,1,0.5,1\n1,0,-0.2,2.5\n2,2,0.1,0.2\n",
    )
    .unwrap();
    std::fs::write(&current, "time_ms,amplitude_nA\n0,0\n1,0.3\n2,-0.1\n").unwrap();
    let path = root().join("models/fuzz_csv.toml");
    let text = format!(
        r#"[simulation]
dt = "0.1 ms"
duration = "3 ms"

[[population]]
name = "n"
size = 3
model = "cuba_lif"
params = {{ tau_m = "20 ms", v_rest = "-65 mV", v_th = "-50 mV", r_m = "100 Mohm", tau_syn = "5 ms" }}

[[projection]]
from = "n"
to = "n"
connect = {{ list = {:?} }}
synapse = "current"

[[stimulus]]
kind = "current"
population = "n"
file = {:?}

[[record]]
population = "n"
variables = ["v", "i_syn_e"]
"#,
        list.display().to_string(),
        current.display().to_string()
    );
    let (text, csvs) = absolute_csvs(&path, &text);
    Base {
        path,
        text,
        kind: Kind::Model,
        csvs,
    }
}

fn corpus(csv_dir: &Path) -> Vec<Base> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut bases: Vec<Base> = files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let kind = kind_of(&text);
            let (text, csvs) = absolute_csvs(&path, &text);
            let text = if kind == Kind::Model {
                shrink_model(&path, &text)
            } else {
                text
            };
            Base {
                path,
                text,
                kind,
                csvs,
            }
        })
        .collect();
    bases.push(csv_model(csv_dir));
    bases
}

// ----- mutations -------------------------------------------------------------

/// SplitMix64: each case draws its mutations from one proptest seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn pick_str(rng: &mut Rng, items: &[&'static str]) -> &'static str {
    items[rng.below(items.len())]
}

const EXTREMES: [&str; 22] = [
    "0",
    "-1",
    "1e308",
    "-1e308",
    "1e-320",
    "nan",
    "inf",
    "-inf",
    "9.2e18",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "1e400",
    "0.0",
    "1.0000001",
    "4294967296",
    "1e100",
    "1e-100",
    "2",
    "-0",
    "65536",
    "1e15",
];

const UNITS: [&str; 20] = [
    "ms", "s", "us", "mV", "V", "GV", "nA", "pA", "Mohm", "Gohm", "Hz", "kHz", "nS", "pF", "",
    "parsec", "µs", "ns", "MHz", "kohm",
];

/// Byte ranges of the numbers in `text` (not the digits inside names).
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts = b[i].is_ascii_digit()
            || ((b[i] == b'-' || b[i] == b'+') && i + 1 < b.len() && b[i + 1].is_ascii_digit());
        let after_name = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if !starts || after_name {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        while i < b.len()
            && (b[i].is_ascii_digit()
                || b[i] == b'.'
                || b[i] == b'_'
                || ((b[i] == b'e' || b[i] == b'E')
                    && i + 1 < b.len()
                    && (b[i + 1].is_ascii_digit() || b[i + 1] == b'-' || b[i + 1] == b'+'))
                || ((b[i] == b'-' || b[i] == b'+') && (b[i - 1] == b'e' || b[i - 1] == b'E')))
        {
            i += 1;
        }
        out.push((start, i));
    }
    out
}

/// Byte ranges of units: letters after a number, up to a closing quote.
fn units(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    numbers(text)
        .into_iter()
        .filter_map(|(_, end)| {
            let mut s = end;
            while s < b.len() && b[s] == b' ' {
                s += 1;
            }
            let mut e = s;
            while e < b.len() && b[e] != b'"' && b[e] != b'\n' && e - s < 8 {
                e += 1;
            }
            (e > s && e < b.len() && b[e] == b'"').then_some((s, e))
        })
        .collect()
}

fn splice(text: &str, (start, end): (usize, usize), with: &str) -> String {
    format!("{}{with}{}", &text[..start], &text[end..])
}

/// Lines that set a key: `key = value`.
fn key_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            t.split_once('=').is_some_and(|(k, _)| {
                let k = k.trim();
                !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
        })
        .map(|(i, _)| i)
        .collect()
}

fn replace_line(text: &str, index: usize, with: Option<String>) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    match with {
        Some(l) => lines[index] = l,
        None => {
            lines.remove(index);
        }
    }
    lines.join("\n") + "\n"
}

/// `key = value` entries inside inline tables: byte range of the entry.
fn inline_entries(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    for (i, _) in text.match_indices(" = ") {
        // Inside braces on the same line?
        let line_start = text[..i].rfind('\n').map_or(0, |s| s + 1);
        let Some(open) = text[line_start..i].rfind(['{', ',']) else {
            continue;
        };
        let start = line_start + open + 1;
        let mut depth = 0i32;
        let mut quoted = false;
        let mut end = i + 3;
        while end < b.len() {
            match b[end] {
                b'"' => quoted = !quoted,
                b'[' | b'{' if !quoted => depth += 1,
                b']' | b'}' if !quoted && depth == 0 => break,
                b']' | b'}' if !quoted => depth -= 1,
                b',' if !quoted && depth == 0 => break,
                b'\n' => break,
                _ => {}
            }
            end += 1;
        }
        if end < b.len() && (b[end] == b',' || b[end] == b'}') {
            let end = if b[end] == b',' { end + 1 } else { end };
            out.push((start, end));
        }
    }
    out
}

fn mutate_toml(text: &str, rng: &mut Rng) -> String {
    match rng.below(8) {
        0 | 1 => {
            let spots = numbers(text);
            if spots.is_empty() {
                return text.to_string();
            }
            let spot = *rng.pick(&spots);
            splice(text, spot, pick_str(rng, &EXTREMES))
        }
        2 => {
            let spots = units(text);
            if spots.is_empty() {
                return text.to_string();
            }
            let spot = *rng.pick(&spots);
            splice(text, spot, pick_str(rng, &UNITS))
        }
        3 => {
            // Delete a key: a whole line, or an entry of an inline table.
            let entries = inline_entries(text);
            if rng.below(2) == 0 && !entries.is_empty() {
                let spot = *rng.pick(&entries);
                return splice(text, spot, "");
            }
            let lines = key_lines(text);
            if lines.is_empty() {
                return text.to_string();
            }
            replace_line(text, *rng.pick(&lines), None)
        }
        4 => {
            // Duplicate a table (with its body), right after itself.
            let lines: Vec<&str> = text.lines().collect();
            let headers: Vec<usize> = (0..lines.len())
                .filter(|&i| lines[i].trim_start().starts_with('['))
                .collect();
            if headers.is_empty() {
                return text.to_string();
            }
            let start = *rng.pick(&headers);
            let end = (start + 1..lines.len())
                .find(|&i| lines[i].trim_start().starts_with('['))
                .unwrap_or(lines.len());
            let mut out: Vec<&str> = lines[..end].to_vec();
            out.extend_from_slice(&lines[start..end]);
            out.extend_from_slice(&lines[end..]);
            out.join("\n") + "\n"
        }
        5 => {
            let cut = rng.below(text.len() + 1);
            let cut = (0..=cut).rev().find(|&c| text.is_char_boundary(c)).unwrap();
            text[..cut].to_string()
        }
        6 => {
            let mut chars: Vec<char> = text.chars().collect();
            if chars.is_empty() {
                return String::new();
            }
            const ALPHABET: &[char] = &[
                '"', '[', ']', '{', '}', '=', ',', '.', '#', '\n', '0', '9', '-', '+', 'e', 'E',
                ' ', 'x', '_', '\\', '\t', 'µ', '\'', '\0',
            ];
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(chars.len());
                chars[at] = *rng.pick(ALPHABET);
            }
            chars.into_iter().collect()
        }
        _ => {
            // Swap the values of two keys.
            let lines = key_lines(text);
            if lines.len() < 2 {
                return text.to_string();
            }
            let (a, b) = (*rng.pick(&lines), *rng.pick(&lines));
            let all: Vec<&str> = text.lines().collect();
            let (ka, va) = all[a].split_once('=').unwrap();
            let (kb, vb) = all[b].split_once('=').unwrap();
            let (la, lb) = (format!("{ka}={vb}"), format!("{kb}={va}"));
            replace_line(&replace_line(text, a, Some(la)), b, Some(lb))
        }
    }
}

fn mutate_csv(csv: &str, rng: &mut Rng) -> String {
    match rng.below(6) {
        0 | 1 => {
            let spots = numbers(csv);
            if spots.is_empty() {
                return csv.to_string();
            }
            let spot = *rng.pick(&spots);
            splice(csv, spot, pick_str(rng, &EXTREMES))
        }
        2 => {
            // Another unit in a header cell.
            let Some(header) = csv.lines().position(|l| !l.starts_with('#')) else {
                return csv.to_string();
            };
            let line = csv.lines().nth(header).unwrap();
            let cells: Vec<String> = line
                .split(',')
                .map(|c| match c.split_once('_') {
                    Some((name, _)) if rng.below(2) == 0 => {
                        format!("{name}_{}", *rng.pick(&UNITS))
                    }
                    _ => c.to_string(),
                })
                .collect();
            replace_line(csv, header, Some(cells.join(",")))
        }
        3 => {
            let n = csv.lines().count();
            if n == 0 {
                return csv.to_string();
            }
            let at = rng.below(n);
            if rng.below(2) == 0 {
                replace_line(csv, at, None)
            } else {
                let line = csv.lines().nth(at).unwrap().to_string();
                replace_line(csv, at, Some(format!("{line}\n{line}")))
            }
        }
        4 => {
            let cut = rng.below(csv.len() + 1);
            let cut = (0..=cut).rev().find(|&c| csv.is_char_boundary(c)).unwrap();
            csv[..cut].to_string()
        }
        _ => {
            let mut chars: Vec<char> = csv.chars().collect();
            if chars.is_empty() {
                return String::new();
            }
            let at = rng.below(chars.len());
            chars[at] = *rng.pick(&[',', '\n', '-', 'e', '.', '"', 'x', '#', ' ']);
            chars.into_iter().collect()
        }
    }
}

/// A mutant of `base`: its text, with mutated CSV files written to `dir`.
fn mutant(base: &Base, seed: u64, count: usize, dir: &Path, case: u64) -> String {
    let mut rng = Rng(seed);
    let mut text = base.text.clone();
    for _ in 0..count {
        if !base.csvs.is_empty() && rng.below(4) == 0 {
            let (abs, contents) = rng.pick(&base.csvs).clone();
            let mutated = mutate_csv(&contents, &mut rng);
            let file = dir.join(format!(
                "case{case}_{}",
                Path::new(&abs).file_name().unwrap().to_string_lossy()
            ));
            std::fs::write(&file, mutated).unwrap();
            text = text.replace(
                &format!("{abs:?}"),
                &format!("{:?}", file.display().to_string()),
            );
        } else {
            text = mutate_toml(&text, &mut rng);
        }
    }
    text
}

// ----- running a mutant --------------------------------------------------------

/// Estimated work of a simulation, to run only the small ones.
fn small_enough(spec: &ModelSpec) -> bool {
    if spec.simulation.steps > 400 {
        return false;
    }
    if let Some(fixed) = &spec.fixed {
        let sizes: Vec<f64> = fixed.populations.iter().map(|p| p.size as f64).collect();
        let neurons: f64 = sizes.iter().sum();
        let synapses: f64 = fixed
            .projections
            .iter()
            .map(|p| sizes[p.from] * sizes[p.to])
            .sum();
        return neurons <= 5e3 && synapses <= 1e6;
    }
    let sizes: Vec<f64> = spec.populations.iter().map(|p| p.size as f64).collect();
    let neurons: f64 = sizes.iter().sum();
    let mut synapses = 0.0;
    let mut longest_delay: f64 = 0.0;
    for p in &spec.projections {
        let (pre, post) = (sizes[p.from], sizes[p.to]);
        synapses += match &p.rule {
            ConnectRule::AllToAll | ConnectRule::Dense(_) => pre * post,
            ConnectRule::OneToOne => pre,
            ConnectRule::FixedProbability(q) => q * pre * post,
            ConnectRule::FixedIndegree(k) => *k as f64 * post,
            ConnectRule::FixedTotalNumber { total, .. } => *total as f64,
            ConnectRule::List(l) => l.len() as f64,
        };
        longest_delay = longest_delay.max(match &p.delay {
            ValueSpec::Constant(d) => *d,
            ValueSpec::Array(a) => a.iter().copied().fold(0.0, f64::max),
            ValueSpec::Uniform { high, .. } => *high,
            ValueSpec::Normal { .. } => f64::INFINITY,
        });
        if let ConnectRule::List(l) = &p.rule {
            longest_delay = l
                .iter()
                .filter_map(|s| s.delay)
                .fold(longest_delay, f64::max);
        }
    }
    let delay_steps = (longest_delay / spec.simulation.dt).min(65_536.0);
    let snapshots: f64 = spec
        .weight_records
        .iter()
        .map(|w| w.steps.len() as f64)
        .sum();
    neurons <= 5e3 && synapses <= 1e6 && neurons * delay_steps <= 2e7 && snapshots * synapses <= 2e7
}

#[derive(Debug)]
enum Outcome {
    Refused,
    Accepted,
    Simulated,
}

fn check_error(e: &spikesim::model::ModelError, base: &Base) -> Result<(), String> {
    let msg = e.to_string();
    let name = base.path.file_name().unwrap().to_string_lossy();
    if e.message.trim().is_empty() || !msg.contains(&*name) {
        return Err(format!("error without a message or the file name: {msg:?}"));
    }
    Ok(())
}

fn finite_results(results: &spikesim::io::results::Results) -> Result<(), String> {
    for s in &results.states {
        if let Some(v) = s.values.iter().find(|v| !v.is_finite()) {
            return Err(format!("state {}.{} holds {v}", s.population, s.variable));
        }
    }
    for w in &results.weights {
        if let Some(v) = w.values.iter().find(|v| !v.is_finite()) {
            return Err(format!("weights of {} hold {v}", w.projection));
        }
    }
    Ok(())
}

/// Validate (and perhaps simulate) one mutant; `Err` describes a failure.
fn run_case(base: &Base, text: &str) -> Result<Outcome, String> {
    let path = base.path.as_path();
    let checked = |r: Result<(), spikesim::model::ModelError>| match r {
        Ok(()) => Ok(Outcome::Accepted),
        Err(e) => check_error(&e, base).map(|_| Outcome::Refused),
    };
    match base.kind {
        Kind::Training => {
            checked(spikesim::learn::train::experiment::parse_experiment(path, text).map(|_| ()))
        }
        Kind::Continual => {
            checked(spikesim::learn::continual::experiment::parse_continual(path, text).map(|_| ()))
        }
        Kind::Tempotron => {
            checked(spikesim::learn::tempotron::experiment::parse(path, text).map(|_| ()))
        }
        Kind::Model => match parse_model(path, text) {
            Err(e) => check_error(&e, base).map(|_| Outcome::Refused),
            Ok(mut spec) => {
                if !small_enough(&spec) {
                    return Ok(Outcome::Accepted);
                }
                // Thread counts are checked elsewhere (memory and machine
                // limits); one thread keeps the fuzzer's work bounded.
                spec.simulation.threads = 1;
                let results = spikesim::engine::simulate(&spec, &mut |_, _| {});
                finite_results(&results).map(|_| Outcome::Simulated)
            }
        },
    }
}

// ----- the watchdog ------------------------------------------------------------

/// The case running now, its start and its mutant, for the watchdog.
static CURRENT: Mutex<Option<(Instant, String)>> = Mutex::new(None);

fn failures_dir() -> PathBuf {
    let dir = root().join("target/fuzz-failures");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn start_watchdog(limit: Duration) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(200));
            let current = CURRENT.lock().unwrap_or_else(|p| p.into_inner()).clone();
            if let Some((started, description)) = current
                && started.elapsed() > limit
            {
                let file = failures_dir().join("hang.txt");
                std::fs::write(&file, &description).unwrap();
                eprintln!(
                    "fuzz: a mutant ran for more than {limit:?} (written to {}):\n{description}",
                    file.display()
                );
                std::process::exit(3);
            }
        }
    });
}

// ----- the tests ---------------------------------------------------------------

/// Strategy of one case: which file, the mutation seed, how many mutations.
fn cases(files: usize) -> impl Strategy<Value = (usize, u64, usize)> {
    (0..files, any::<u64>(), 1usize..=3)
}

fn runner(seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

#[test]
fn mutated_model_and_experiment_files_never_panic_or_hang() {
    let total = env_number("SPIKESIM_FUZZ_CASES", 5000);
    let seed = env_number("SPIKESIM_FUZZ_SEED", 13);
    let limit = Duration::from_secs(env_number("SPIKESIM_FUZZ_CASE_SECONDS", 20));
    let dir = tempfile::tempdir().unwrap();
    let bases = corpus(dir.path());
    start_watchdog(limit);
    let mut runner = runner(seed);
    let strategy = cases(bases.len());
    let started = Instant::now();
    let (mut refused, mut accepted, mut simulated) = (0u64, 0u64, 0u64);
    let mut failures = Vec::new();
    for case in 0..total {
        let (file, mutation_seed, count) = strategy.new_tree(&mut runner).unwrap().current();
        let base = &bases[file];
        let text = mutant(base, mutation_seed, count, dir.path(), case);
        let mut description = format!(
            "case {case} (seed {seed}): {} mutated {count} times (mutation seed {mutation_seed})\n{text}",
            base.path.display()
        );
        for (abs, _) in &base.csvs {
            let name = Path::new(abs).file_name().unwrap().to_string_lossy();
            let file = dir.path().join(format!("case{case}_{name}"));
            if let Ok(csv) = std::fs::read_to_string(&file) {
                description.push_str(&format!("\n--- {}:\n{csv}", file.display()));
            }
        }
        *CURRENT.lock().unwrap() = Some((Instant::now(), description.clone()));
        let outcome = catch_unwind(AssertUnwindSafe(|| run_case(base, &text)));
        *CURRENT.lock().unwrap() = None;
        match outcome {
            Ok(Ok(Outcome::Refused)) => refused += 1,
            Ok(Ok(Outcome::Accepted)) => accepted += 1,
            Ok(Ok(Outcome::Simulated)) => simulated += 1,
            Ok(Err(problem)) => failures.push(format!("{problem}\n{description}")),
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("panic: {msg}\n{description}"));
            }
        }
        // Mutated CSV files of this case are no longer needed.
        for (abs, _) in &base.csvs {
            let name = Path::new(abs).file_name().unwrap().to_string_lossy();
            let _ = std::fs::remove_file(dir.path().join(format!("case{case}_{name}")));
        }
    }
    eprintln!(
        "fuzz: {total} mutants in {:.1} s: {refused} refused, {accepted} accepted, {simulated} simulated, {} failures",
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    // Every kind of outcome occurs, or the mutations miss their target.
    assert!(total < 200 || (refused > 0 && accepted > 0 && simulated > 0));
    if !failures.is_empty() {
        let out = failures_dir();
        for (i, f) in failures.iter().enumerate() {
            std::fs::write(out.join(format!("failure{i}.txt")), f).unwrap();
        }
        panic!(
            "{} of {total} mutants failed (all in {}); the first:\n{}",
            failures.len(),
            out.display(),
            failures[0]
        );
    }
}

/// Run the binary with a deadline; `None` when it had to be killed.
fn run_with_timeout(cmd: &mut Command, limit: Duration) -> Option<std::process::Output> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Drop `[output]`: the CLI would write plots where the table says.
fn without_output(text: &str) -> String {
    let mut out = Vec::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.trim_start().starts_with('[') {
            skipping = line.trim() == "[output]";
        }
        if !skipping {
            out.push(line);
        }
    }
    out.join("\n") + "\n"
}

#[test]
fn the_cli_exits_0_or_1_on_mutated_files() {
    let total = env_number("SPIKESIM_FUZZ_CLI_CASES", 40);
    let seed = env_number("SPIKESIM_FUZZ_SEED", 13) ^ 0xC11;
    let dir = tempfile::tempdir().unwrap();
    let bases: Vec<Base> = corpus(dir.path())
        .into_iter()
        .map(|b| Base {
            text: without_output(&b.text),
            ..b
        })
        .collect();
    let mut runner = runner(seed);
    let strategy = cases(bases.len());
    for case in 0..total {
        let (file, mutation_seed, count) = strategy.new_tree(&mut runner).unwrap().current();
        let base = &bases[file];
        let text = mutant(base, mutation_seed, count, dir.path(), case);
        let name = base.path.file_name().unwrap();
        let case_dir = dir.path().join(format!("case{case}"));
        std::fs::create_dir_all(&case_dir).unwrap();
        let model = case_dir.join(name);
        std::fs::write(&model, &text).unwrap();
        // Run what validates and is small; check everything else.
        let small =
            base.kind == Kind::Model && parse_model(&model, &text).is_ok_and(|s| small_enough(&s));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_spikesim"));
        cmd.current_dir(root());
        if small {
            cmd.arg("run")
                .arg(&model)
                .arg("--no-plots")
                .arg("--out")
                .arg(case_dir.join("out.h5"));
        } else {
            cmd.arg("check").arg(&model);
        }
        let output = run_with_timeout(&mut cmd, Duration::from_secs(30))
            .unwrap_or_else(|| panic!("case {case}: no exit within 30 s:\n{text}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let code = output.status.code();
        assert!(
            matches!(code, Some(0 | 1)),
            "case {case}: exit {:?} (a signal if None):\n{stderr}\n{text}",
            output.status
        );
        assert!(
            !stderr.contains("panicked"),
            "case {case}: {stderr}\n{text}"
        );
        if code == Some(1) {
            assert!(
                stderr.contains(&*name.to_string_lossy()),
                "case {case}: the error does not name the file: {stderr}\n{text}"
            );
        }
    }
}
