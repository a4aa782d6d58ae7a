//! A toy continual-learning run showing what the building blocks are for:
//! softmax regression (one linear layer, shared 4-way head) trained by SGD
//! on three tasks whose inputs live in different, overlapping 4-dimensional
//! subspaces of R^20 with conflicting labellings. Plain fine-tuning
//! overwrites the old tasks; HLOP-projected updates (with the subspace
//! learned by the Hebbian rule from the traces, not by an SVD) leave them
//! alone; EWC lands in between.

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_pcg::Pcg64;

use super::ewc::{Ewc, diagonal_fisher};
use super::hlop::{HlopConfig, HlopLayer, HlopLayerConfig};
use super::replay::ReplayBuffer;
use super::{AccuracyMatrix, MethodResult, table};

const INPUTS: usize = 20;
const LATENT: usize = 4;
const CLASSES: usize = 4;
const TASKS: usize = 3;
const NOISE: f64 = 0.02;

struct Task {
    train: (DMatrix<f64>, Vec<usize>),
    test: (DMatrix<f64>, Vec<usize>),
}

fn normal(rng: &mut Pcg64) -> f64 {
    StandardNormal.sample(rng)
}

fn task(rng: &mut Pcg64) -> Task {
    let basis = DMatrix::from_fn(INPUTS, LATENT, |_, _| normal(rng))
        .qr()
        .q();
    let teacher = DMatrix::from_fn(CLASSES, LATENT, |_, _| normal(rng));
    let mut draw = |samples: usize| {
        let z = DMatrix::from_fn(samples, LATENT, |_, _| normal(rng));
        let noise = DMatrix::from_fn(samples, INPUTS, |_, _| NOISE * normal(rng));
        let x = &z * basis.transpose() + noise;
        let scores = &z * teacher.transpose();
        let labels = (0..samples)
            .map(|i| scores.row(i).transpose().argmax().0)
            .collect();
        (x, labels)
    };
    Task {
        train: draw(TRAIN),
        test: draw(1000),
    }
}

fn softmax_rows(logits: &DMatrix<f64>) -> DMatrix<f64> {
    let mut p = logits.clone();
    for mut row in p.row_iter_mut() {
        let max = row.max();
        row.apply(|v| *v = (*v - max).exp());
        let sum = row.sum();
        row /= sum;
    }
    p
}

/// `p − onehot(y)`: the cross-entropy gradient w.r.t. the logits.
fn output_error(w: &DMatrix<f64>, x: &DMatrix<f64>, labels: &[usize]) -> DMatrix<f64> {
    let mut delta = softmax_rows(&(x * w.transpose()));
    for (i, &y) in labels.iter().enumerate() {
        delta[(i, y)] -= 1.0;
    }
    delta
}

fn accuracy(w: &DMatrix<f64>, (x, labels): &(DMatrix<f64>, Vec<usize>)) -> f64 {
    let logits = x * w.transpose();
    let correct = (0..x.nrows())
        .filter(|&i| logits.row(i).transpose().argmax().0 == labels[i])
        .count();
    correct as f64 / x.nrows() as f64
}

/// Empirical Fisher of the log-likelihood, one gradient per sample.
fn fisher(w: &DMatrix<f64>, (x, labels): &(DMatrix<f64>, Vec<usize>)) -> Vec<f64> {
    let delta = output_error(w, x, labels);
    let grads: Vec<Vec<f64>> = (0..x.nrows())
        .map(|i| {
            let g = delta.row(i).transpose() * x.row(i);
            g.as_slice().to_vec()
        })
        .collect();
    diagonal_fisher(grads.iter().map(Vec::as_slice)).unwrap()
}

#[derive(Clone, Copy, PartialEq)]
enum Method {
    FineTune,
    Hlop,
    Ewc(f64),
    /// Replay memory of this many samples per class.
    Replay(usize),
}

const TRAIN: usize = 2000;

fn hlop_layer() -> HlopLayer {
    let config = HlopConfig {
        layers: vec![HlopLayerConfig {
            dim: INPUTS,
            initial: LATENT,
            increments: vec![LATENT],
            learning_rate: 0.05,
        }],
        iterations: 5,
        clamp: 10.0,
        spiking: None,
        seed: 2022,
    };
    config.build().unwrap().remove(0)
}

fn run(method: Method, seed: u64) -> AccuracyMatrix {
    let mut rng = Pcg64::seed_from_u64(seed);
    let tasks: Vec<Task> = (0..TASKS).map(|_| task(&mut rng)).collect();
    let mut w = DMatrix::<f64>::zeros(CLASSES, INPUTS);
    let mut hlop = hlop_layer();
    let mut ewc = Ewc::new(match method {
        Method::Ewc(lambda) => lambda,
        _ => 0.0,
    })
    .unwrap();
    let mut memory = ReplayBuffer::new(
        match method {
            Method::Replay(per_class) => per_class,
            _ => 0,
        },
        seed,
    );
    let mut r = AccuracyMatrix::new(TASKS).unwrap();
    for (t, task) in tasks.iter().enumerate() {
        if method == Method::Hlop && t > 0 {
            hlop.add_subspace(LATENT).unwrap();
        }
        let (x, labels) = &task.train;
        for _ in 0..EPOCHS {
            for start in (0..x.nrows()).step_by(BATCH) {
                let mut xb = x.rows(start, BATCH).into_owned();
                let mut yb = labels[start..start + BATCH].to_vec();
                if let Method::Replay(_) = method {
                    (xb, yb) = with_replay(xb, yb, &mut memory, &tasks);
                }
                let delta = output_error(&w, &xb, &yb);
                let trace = match method {
                    Method::Hlop => hlop.project(&xb).unwrap(),
                    _ => xb.clone(),
                };
                let mut grad = delta.tr_mul(&trace) / xb.nrows() as f64;
                if let Method::Ewc(_) = method {
                    ewc.add_gradient(w.as_slice(), grad.as_mut_slice()).unwrap();
                }
                w -= grad * LR;
                if method == Method::Hlop {
                    hlop.hebbian_update(&xb).unwrap();
                }
            }
        }
        match method {
            Method::Hlop => hlop.merge_subspace(),
            Method::Ewc(_) => ewc
                .consolidate(fisher(&w, &task.train), w.as_slice())
                .unwrap(),
            Method::Replay(_) => {
                for (i, &label) in labels.iter().enumerate() {
                    memory.offer(t * TRAIN + i, label);
                }
            }
            Method::FineTune => {}
        }
        for (j, old) in tasks.iter().enumerate().take(t + 1) {
            r.set(t, j, accuracy(&w, &old.test)).unwrap();
        }
    }
    r
}

const BATCH: usize = 25;
const EPOCHS: usize = 8;
const LR: f64 = 0.5;

/// The batch with as many remembered samples of earlier tasks appended.
fn with_replay(
    xb: DMatrix<f64>,
    mut yb: Vec<usize>,
    memory: &mut ReplayBuffer,
    tasks: &[Task],
) -> (DMatrix<f64>, Vec<usize>) {
    let replayed = memory.batch(BATCH);
    let mut rows: Vec<_> = xb.row_iter().map(|r| r.into_owned()).collect();
    for (sample, label) in replayed {
        rows.push(
            tasks[sample / TRAIN]
                .train
                .0
                .row(sample % TRAIN)
                .into_owned(),
        );
        yb.push(label);
    }
    (DMatrix::from_rows(&rows), yb)
}

/// Multitask joint training (the upper bound): the same SGD steps, cycling
/// over the tasks' batches; returns the mean accuracy over the tasks.
fn joint(seed: u64) -> f64 {
    let mut rng = Pcg64::seed_from_u64(seed);
    let tasks: Vec<Task> = (0..TASKS).map(|_| task(&mut rng)).collect();
    let mut w = DMatrix::<f64>::zeros(CLASSES, INPUTS);
    for _ in 0..EPOCHS {
        for start in (0..TRAIN).step_by(BATCH) {
            for task in &tasks {
                let (x, labels) = &task.train;
                let xb = x.rows(start, BATCH).into_owned();
                let delta = output_error(&w, &xb, &labels[start..start + BATCH]);
                w -= delta.tr_mul(&xb) * (LR / BATCH as f64);
            }
        }
    }
    tasks.iter().map(|t| accuracy(&w, &t.test)).sum::<f64>() / TASKS as f64
}

/// EWC strength: large enough to matter, small enough that `lr λ F`
/// keeps SGD stable.
const LAMBDA: f64 = 2.0;

#[test]
fn hlop_prevents_forgetting_that_fine_tuning_suffers_and_ewc_and_replay_reduce() {
    let seeds = vec![1, 2, 3];
    let result = |name: &str, method| MethodResult {
        method: name.into(),
        seeds: seeds.clone(),
        runs: seeds.iter().map(|&s| run(method, s)).collect(),
        curves: Vec::new(),
    };
    let results = [
        result("fine-tune", Method::FineTune),
        result("EWC", Method::Ewc(LAMBDA)),
        result("HLOP", Method::Hlop),
        result("replay (20/class)", Method::Replay(20)),
    ];
    eprintln!("{}", table(&results).unwrap());
    let joint = seeds.iter().map(|&s| joint(s)).sum::<f64>() / seeds.len() as f64;
    eprintln!("joint ACC {joint}");
    let [fine, ewc, hlop, replay] = results.map(|m| (m.acc().unwrap().mean, m.bwt().unwrap().mean));
    // Measured (3 seeds): fine-tune ACC 0.754 BWT −0.326, EWC 0.794 / −0.232,
    // HLOP 0.956 / −0.011, replay 0.881 / −0.118; joint training ACC 0.951.
    assert!(fine.1 < -0.2, "fine-tune BWT {}", fine.1);
    assert!(hlop.1 > -0.03, "HLOP BWT {}", hlop.1);
    assert!(
        ewc.1 > fine.1 + 0.05 && ewc.1 < hlop.1 - 0.1,
        "EWC BWT {}",
        ewc.1
    );
    assert!(
        hlop.0 > fine.0 + 0.1 && hlop.0 > ewc.0 + 0.1,
        "ACC {fine:?} {ewc:?} {hlop:?}"
    );
    assert!(replay.1 > fine.1 + 0.1, "replay BWT {}", replay.1);
    assert!(
        hlop.0 > joint - 0.05,
        "HLOP ACC {} vs joint {joint}",
        hlop.0
    );
    // HLOP still learns each new task: the last one reaches > 90 %.
    let last = seeds.iter().map(|&s| run(Method::Hlop, s).get(2, 2));
    assert!(
        last.clone().all(|a| a > 0.9),
        "{:?}",
        last.collect::<Vec<_>>()
    );
}
