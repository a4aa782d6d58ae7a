//! Tempotron classification of two Poisson pattern classes (held-out
//! accuracy far above chance), for the meta neuron and for LIF, and the
//! LZ76 complexity against known phrase counts and its definition.

use std::path::Path;

use spikesim::learn::tempotron::experiment;
use spikesim::learn::tempotron::lzc::{complexity, phrases};

fn setup(model: &str, extra: &str) -> String {
    format!(
        r#"
[patterns]
afferents = 200
duration = "500 ms"
rate = "5 Hz"
prototypes = 20
jitter = "5 ms"
train = 200
test = 200
seed = 3

[neuron]
model = "{model}"
tau_m = "15 ms"
v_th = 1.0
w_max = 0.05
dt = "1 ms"
{extra}

[training]
epochs = 25
learning_rate = 0.01
threshold_rate = 0.005
tau_rate = 1e-5
"#
    )
}

fn run(text: &str) -> experiment::Outcome {
    let e = experiment::parse(Path::new("test.toml"), text).unwrap();
    experiment::run(&e, &mut |_| {})
}

// Marks from `meta_tempotron_seed_spread` over pattern seeds 4-13 (25
// epochs, 200 held-out samples: one sample is 0.005, the binomial spread
// at 0.95 about 0.015); the tests assert on seed 3, outside the sweep.
//   meta: held-out 0.93-0.985, gain over epoch 1 0.095-0.24, LZC read-out
//         0.915-0.995, v_th 1.025-1.045, tau_m 15.38-17.45 ms
//   LIF:  held-out 0.915-0.97
// Each mark sits below the worst seed by the margin in its comment.

#[test]
fn a_meta_neuron_tempotron_separates_two_poisson_classes() {
    let o = run(&setup("meta", "rho_0 = \"200 Hz\"\ndelta_u = 0.05"));
    let held_out = *o.test_accuracy.last().unwrap();
    // Worst seed 0.93, margin 0.03 (two binomial spreads); chance is 0.5.
    assert!(held_out >= 0.90, "held-out accuracy {held_out}");
    // Worst seed 0.095, margin 0.045.
    let gain = held_out - o.test_accuracy[0];
    assert!(
        gain >= 0.05,
        "learning helped by {gain}: {:?}",
        o.test_accuracy
    );
    // Worst seed 0.915, margin 0.035.
    assert!(o.lzc_accuracy >= 0.88, "LZC read-out {}", o.lzc_accuracy);
    // The intrinsic parameters were learned: on every seed the threshold
    // rose by 0.025-0.045 and the time constant grew by 0.38-2.45 ms.
    let (v_th, tau_m) = (o.tempotron.v_th, o.tempotron.tau_m);
    assert!((1.01..=1.08).contains(&v_th), "v_th {v_th}");
    assert!((0.01515..=0.0195).contains(&tau_m), "tau_m {tau_m}");
}

/// The spread of what the Tempotrons learn over pattern seeds 4-13 (seed
/// 3, which the tests above assert on, is not among them):
/// `cargo test --release --test learn -- --ignored --nocapture
/// meta_tempotron_seed_spread`.
#[test]
#[ignore = "seed sweep behind the marks: make experiments"]
fn meta_tempotron_seed_spread() {
    for seed in 4..=13 {
        for (model, extra) in [("meta", "rho_0 = \"200 Hz\"\ndelta_u = 0.05"), ("lif", "")] {
            let text = setup(model, extra).replace("seed = 3", &format!("seed = {seed}"));
            let o = run(&text);
            eprintln!(
                "{model} seed {seed}: test first {} last {} max {} lzc {} v_th {} tau_m {}",
                o.test_accuracy[0],
                o.test_accuracy.last().unwrap(),
                o.test_accuracy.iter().copied().fold(0.0, f64::max),
                o.lzc_accuracy,
                o.tempotron.v_th,
                o.tempotron.tau_m
            );
        }
    }
}

#[test]
fn a_lif_tempotron_separates_two_poisson_classes() {
    let o = run(&setup("lif", ""));
    let held_out = *o.test_accuracy.last().unwrap();
    // Worst seed 0.915, margin 0.035.
    assert!(held_out >= 0.88, "held-out accuracy {held_out}");
    // A LIF tempotron keeps its threshold and time constant.
    assert_eq!((o.tempotron.v_th, o.tempotron.tau_m), (1.0, 0.015));
}

#[test]
fn the_same_seed_trains_the_same_tempotron() {
    let text =
        setup("meta", "rho_0 = \"200 Hz\"\ndelta_u = 0.05").replace("epochs = 25", "epochs = 3");
    let (a, b) = (run(&text), run(&text));
    assert_eq!(a.tempotron, b.tempotron);
    assert_eq!(a.test_accuracy, b.test_accuracy);
}

#[test]
fn experiment_errors_name_the_line_and_field() {
    let bad = setup("meta", "rho_0 = \"200 Hz\"\ndelta_u = -0.05");
    let e = experiment::parse(Path::new("t.toml"), &bad)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("t.toml:") && e.contains("neuron.delta_u") && e.contains("positive"),
        "{e}"
    );
    let bad = setup("lif", "delta_u = 0.05");
    let e = experiment::parse(Path::new("t.toml"), &bad)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("neuron.delta_u") && e.contains("no escape noise"),
        "{e}"
    );
    let bad = setup("perceptron", "");
    let e = experiment::parse(Path::new("t.toml"), &bad)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("neuron.model") && e.contains("unknown tempotron model"),
        "{e}"
    );
}

fn bits(s: &str) -> Vec<bool> {
    s.bytes().map(|b| b == b'1').collect()
}

/// LZ76 by its definition: from position `p`, the next phrase is the
/// shortest `s[p..p+len]` that is not a substring of `s[..p+len-1]`
/// (copies may overlap the phrase itself), or the rest of the string.
fn phrases_by_definition(s: &[bool]) -> usize {
    let (n, mut p, mut c) = (s.len(), 0, 0);
    while p < n {
        let mut len = 1;
        while p + len <= n {
            let piece = &s[p..p + len];
            let history = &s[..p + len - 1];
            if !history.windows(len).any(|w| w == piece) {
                break;
            }
            len += 1;
        }
        c += 1;
        p += len;
    }
    c
}

#[test]
fn lz76_gives_the_known_phrase_counts() {
    // Lempel & Ziv (1976) / Kaspar & Schuster (1987): 0·001·10·100·1000·101.
    assert_eq!(phrases(&bits("0001101001000101")), 6);
    assert_eq!(phrases(&bits("0000000000")), 2); // 0·000000000
    assert_eq!(phrases(&bits("0101010101")), 3); // 0·1·01010101
    assert_eq!(phrases(&bits("1")), 1);
    assert_eq!(phrases(&[]), 0);
    let n = 16.0f64;
    assert!((complexity(&bits("0001101001000101")) - 6.0 * n.log2() / n).abs() < 1e-15);
}

#[test]
fn lz76_agrees_with_its_definition_on_random_strings() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for len in [2usize, 3, 7, 31, 100, 257] {
        for density in [2u64, 5, 20] {
            let s: Vec<bool> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state.is_multiple_of(density)
                })
                .collect();
            assert_eq!(phrases(&s), phrases_by_definition(&s), "{s:?}");
        }
    }
}

/// `spikesim tempotron` writes the per-epoch table and the accuracy plot.
#[test]
fn the_tempotron_command_writes_its_table_and_plot() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, png) = (dir.path().join("acc.csv"), dir.path().join("acc.png"));
    let text = std::fs::read_to_string("models/meta_tempotron.toml")
        .unwrap()
        .replace("epochs = 40", "epochs = 3")
        .replace("results/meta_tempotron.csv", &csv.display().to_string())
        .replace("results/meta_tempotron.png", &png.display().to_string());
    let path = dir.path().join("exp.toml");
    std::fs::write(&path, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .arg("tempotron")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("held-out") && stdout.contains("LZC read-out"),
        "{stdout}"
    );
    let table = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows[0], "epoch,train_accuracy,test_accuracy,v_th,tau_m_ms");
    assert_eq!(rows.len(), 4);
    let column = |c: usize| -> Vec<f64> {
        rows[1..]
            .iter()
            .map(|r| r.split(',').nth(c).unwrap().parse().unwrap())
            .collect()
    };
    let (train, test) = (column(1), column(2));
    // The epochs count from 1; the summary line repeats the last row.
    assert_eq!(column(0), [1.0, 2.0, 3.0]);
    let last = format!(
        "training {:.1} %, held-out {:.1} %",
        100.0 * train[2],
        100.0 * test[2]
    );
    assert!(stdout.contains(&last), "{last} not in {stdout}");
    let lzc: f64 = stdout
        .split("LZC read-out held-out ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse::<f64>().ok())
        .map(|percent| percent / 100.0)
        .unwrap_or_else(|| panic!("no LZC accuracy in {stdout}"));
    check_accuracy_plot(&png, &train, &test, lzc);
}

/// The curves of the accuracy plot pass through the table's values. Each
/// curve is one pixel wide (anti-aliased, found by its ink) with a round
/// marker at each epoch, so its first and last columns are the outer edges
/// of the markers of epochs 1 and 3, level with their centres, and epoch 2
/// lies halfway between. The training curve (the palette's first colour)
/// calibrates the accuracy axis by its ends; its middle, the held-out curve
/// (second colour) at each epoch and the LZC read-out's dashed level (third)
/// must sit where their values map.
fn check_accuracy_plot(png: &Path, train: &[f64], test: &[f64], lzc: f64) {
    // The first three colours of the plots' palette.
    let rgb = |i| {
        let c = spikesim::plot::style::colour(i);
        [c.0, c.1, c.2]
    };
    let (blue, red, green) = (rgb(0), rgb(1), rgb(2));
    let picture = crate::png::Picture::open(png);
    assert!(
        (train[2] - train[0]).abs() > 0.1,
        "calibration needs distinct ends: {train:?}"
    );
    // A curve's rows at its first column, its middle column and its last.
    let at_epochs = |colour: [u8; 3]| -> ([u32; 3], [f64; 3]) {
        let curve = picture.curve(colour);
        assert!(curve.len() > 100, "no curve of {colour:?}");
        let (first, last) = (curve[0], curve[curve.len() - 1]);
        let mid_x = (first.0 + last.0) / 2;
        let mid = curve
            .iter()
            .min_by_key(|p| p.0.abs_diff(mid_x))
            .copied()
            .unwrap();
        ([first.0, mid.0, last.0], [first.1, mid.1, last.1])
    };
    let (xs, training) = at_epochs(blue);
    let accuracy = crate::png::Axis::through((train[0], training[0]), (train[2], training[2]));
    // Up the picture is up in accuracy.
    assert!(accuracy.pixel(1.0) < accuracy.pixel(0.0));
    let near = |what: &str, y: f64, value: f64| {
        assert!(
            (y - accuracy.pixel(value)).abs() <= 3.0,
            "{what}: drawn at y {y}, {value} maps to {}",
            accuracy.pixel(value)
        );
    };
    near("training, epoch 2", training[1], train[1]);
    let (held_xs, held_out) = at_epochs(red);
    for (a, b) in xs.iter().zip(held_xs) {
        assert!(a.abs_diff(b) <= 1, "epochs at {xs:?} and {held_xs:?}");
    }
    for (e, (&y, &value)) in held_out.iter().zip(test).enumerate() {
        near(&format!("held-out, epoch {}", e + 1), y, value);
    }
    // The dashes of the LZC level between the first and last epoch (the
    // legend's dash lies right of the plot).
    let dashes: Vec<f64> = picture
        .pixels_of(green)
        .into_iter()
        .filter(|p| (xs[0]..=xs[2]).contains(&p.0))
        .map(|p| f64::from(p.1))
        .collect();
    assert!(dashes.len() > 100, "no LZC level: {} pixels", dashes.len());
    let y = dashes.iter().sum::<f64>() / dashes.len() as f64;
    near("LZC read-out", y, lzc);
}
