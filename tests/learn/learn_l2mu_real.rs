//! The encoding-free input of L2MU networks: raw real-valued time series
//! reach the network unencoded, an L2MU network learns a real-valued task
//! from them, and bad experiment files or data are refused with the file,
//! line and field.

use std::path::Path;

use spikesim::learn::train::data::prepare;
use spikesim::learn::train::experiment::{load_experiment, parse_experiment};
use spikesim::learn::train::session::{SessionOptions, run_session};

const MODEL: &str = "models/train_l2mu_real.toml";

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The CSV rows of a sine-task file, parsed here independently of the
/// library: (label, values).
fn rows(path: &Path) -> Vec<(usize, Vec<f64>)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let mut cells = l.split(',');
            let label = cells.next().unwrap().parse().unwrap();
            (label, cells.map(|c| c.parse().unwrap()).collect())
        })
        .collect()
}

#[test]
fn raw_values_reach_the_network_unencoded() {
    let exp = load_experiment(&manifest().join(MODEL)).unwrap();
    assert!(exp.real_input);
    let data = prepare(&exp).unwrap();
    let train = rows(&exp.train);
    assert_eq!(data.train.len(), train.len());
    assert_eq!((data.train.steps, data.train.channels), (20, 1));
    assert_eq!(data.classes, 3);
    for (i, (label, values)) in train.iter().enumerate() {
        assert_eq!(data.train.labels[i], *label);
        let x = data.train.input(i);
        let expected: Vec<f32> = values.iter().map(|&v| v as f32).collect();
        assert_eq!(x, expected, "sample {i}");
    }
    assert!(
        data.train.input(0).iter().any(|&v| v < 0.0),
        "negative currents stay negative"
    );
}

/// Chance is 1/3; the shipped experiment (an L2MU of 4 encoder, 4 × 4
/// memory and 16 hidden neurons) reaches 91–97 % on seeds 1–5.
#[test]
fn l2mu_learns_the_sine_task_from_raw_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut exp = load_experiment(&manifest().join(MODEL)).unwrap();
    exp.output = dir.path().to_path_buf();
    let opts = SessionOptions {
        resume: false,
        show_progress: false,
    };
    let (_, state, files) = run_session(&exp, &opts, &mut |_| {}).unwrap();
    let acc = state.history.last().unwrap().test_accuracy;
    eprintln!("sine task, raw values: final test accuracy {acc:.3}");
    assert!(acc > 0.8, "test accuracy {acc}");
    assert!(
        files.exported.is_none(),
        "real-valued input has no spike-source form to export"
    );
}

#[test]
fn real_input_errors_name_the_file_line_and_field() {
    let base = std::fs::read_to_string(manifest().join(MODEL)).unwrap();
    let path = Path::new("exp.toml");
    let cases = [
        (
            "format = \"real\"",
            "format = \"floats\"",
            "data.format: unknown data format",
        ),
        (
            "duration = \"20 ms\"\n",
            "",
            "data.duration: raw real values need `duration`",
        ),
        (
            "duration = \"20 ms\"\n",
            "duration = \"20 ms\"\nchannel_group = 2\n",
            "data.channel_group: raw real values are not grouped",
        ),
        (
            "kind = \"l2mu\"",
            "kind = \"lif\"\ntau_m = \"5 ms\"",
            "layer[0].kind: raw real values go as currents into an L2MU encoder",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(base.contains(from), "{from}");
        let mut text = base.replacen(from, to, 1);
        if to.contains("lif") {
            // A LIF layer takes none of the L2MU fields.
            for field in ["memory_size = 4\n", "order = 4\n", "theta = \"10 ms\"\n"] {
                text = text.replacen(field, "", 1);
            }
        }
        let e = parse_experiment(path, &text).unwrap_err().to_string();
        assert!(e.starts_with("exp.toml:"), "{e}");
        assert!(e.contains(expected), "{expected}: {e}");
        let line = e.split(':').nth(1).unwrap();
        assert!(line.parse::<usize>().is_ok(), "no line number: {e}");
    }

    // Data whose rows do not split into duration / dt steps.
    let mut exp = load_experiment(&manifest().join(MODEL)).unwrap();
    exp.duration = Some(0.007);
    let e = prepare(&exp)
        .err()
        .expect("20 values are not 7 steps")
        .to_string();
    assert!(
        e.contains("train.csv") && e.contains("do not split into 7 steps"),
        "{e}"
    );
    exp.duration = Some(0.02);
    exp.test = manifest().join("stimuli/sine_task/missing.csv");
    let e = prepare(&exp).err().expect("a missing file").to_string();
    assert!(e.contains("missing.csv"), "{e}");
}
