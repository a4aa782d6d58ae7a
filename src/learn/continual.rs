//! Continual-learning building blocks (`algorithms.md` (a), issue 7): task
//! sequences ([`tasks`]), the EWC penalty ([`ewc`]), a class-balanced
//! replay memory ([`replay`]), and the metrics: the accuracy matrix R with
//! ACC and BWT, their mean ± std over seeds, CSV and a printed table (the
//! HDF5 writer is `io::hdf5::write_continual`, the plots
//! `plot::continual`), and the HLOP projection ([`hlop`]).
//! [`experiment`] reads continual-learning experiment files, [`runner`]
//! trains one method and seed through a task sequence, [`session`] runs a
//! whole experiment (`spikesim continual`) with checkpoints and results.

pub mod ewc;
pub mod experiment;
pub mod hlop;
pub mod replay;
pub mod runner;
pub mod session;
pub mod tasks;

#[cfg(test)]
mod demo;

use std::fmt::Write as _;

use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
/// An invalid accuracy matrix or set of runs.
pub enum MetricsError {
    #[error("accuracy matrix: needs at least one task")]
    /// No task.
    NoTasks,
    #[error("accuracy matrix: R[{row}, {column}] = {value} is not an accuracy in [0, 1]")]
    /// An entry that is not an accuracy in [0, 1].
    NotAccuracy {
        /// Row: the task just trained.
        row: usize,
        /// Column: the task evaluated.
        column: usize,
        /// The value found.
        value: f64,
    },
    #[error("accuracy matrix: R[{row}, {column}] is needed for ACC/BWT but was not recorded")]
    /// An entry ACC or BWT needs was not recorded.
    Missing {
        /// Row: the task just trained.
        row: usize,
        /// Column: the task evaluated.
        column: usize,
    },
    #[error("method `{method}`: {detail}")]
    /// The runs of a method disagree (tasks, seeds, curves).
    Runs {
        /// The method's name.
        method: String,
        /// What is wrong.
        detail: String,
    },
}

/// R[i, j]: accuracy (0..1) on task j after training task i. Entries not
/// evaluated (usually j > i) are NaN.
#[derive(Debug, Clone, PartialEq)]
pub struct AccuracyMatrix {
    tasks: usize,
    values: Vec<f64>,
}

impl AccuracyMatrix {
    /// An empty matrix (all NaN) for `tasks` tasks.
    pub fn new(tasks: usize) -> Result<Self, MetricsError> {
        if tasks == 0 {
            return Err(MetricsError::NoTasks);
        }
        Ok(Self {
            tasks,
            values: vec![f64::NAN; tasks * tasks],
        })
    }

    /// From rows (`rows[i][j]` = R[i, j]); NaN marks "not evaluated".
    pub fn from_rows(rows: &[Vec<f64>]) -> Result<Self, MetricsError> {
        let mut r = Self::new(rows.len())?;
        for (i, row) in rows.iter().enumerate() {
            for (j, &v) in row.iter().enumerate().take(r.tasks) {
                if !v.is_nan() {
                    r.set(i, j, v)?;
                }
            }
        }
        Ok(r)
    }

    /// Number of tasks.
    pub fn tasks(&self) -> usize {
        self.tasks
    }

    /// Sets R[`row`, `column`] to the accuracy `value` (in [0, 1]).
    pub fn set(&mut self, row: usize, column: usize, value: f64) -> Result<(), MetricsError> {
        if row >= self.tasks || column >= self.tasks || !(0.0..=1.0).contains(&value) {
            return Err(MetricsError::NotAccuracy { row, column, value });
        }
        self.values[row * self.tasks + column] = value;
        Ok(())
    }

    /// R[i, j], NaN if not evaluated.
    pub fn get(&self, row: usize, column: usize) -> f64 {
        self.values[row * self.tasks + column]
    }

    /// Row-major values.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    fn needed(&self, row: usize, column: usize) -> Result<f64, MetricsError> {
        let v = self.get(row, column);
        if v.is_nan() {
            Err(MetricsError::Missing { row, column })
        } else {
            Ok(v)
        }
    }

    /// ACC = (1/T) Σ_j R[T−1, j].
    pub fn acc(&self) -> Result<f64, MetricsError> {
        let last = self.tasks - 1;
        let sum = (0..self.tasks)
            .map(|j| self.needed(last, j))
            .sum::<Result<f64, _>>()?;
        Ok(sum / self.tasks as f64)
    }

    /// BWT = (1/(T−1)) Σ_{j<T−1} (R[T−1, j] − R[j, j]); 0 for one task
    /// (nothing to forget).
    pub fn bwt(&self) -> Result<f64, MetricsError> {
        let last = self.tasks - 1;
        if last == 0 {
            return Ok(0.0);
        }
        let sum = (0..last)
            .map(|j| Ok(self.needed(last, j)? - self.needed(j, j)?))
            .sum::<Result<f64, _>>()?;
        Ok(sum / last as f64)
    }
}

/// Mean and sample standard deviation (n − 1; 0 for a single value).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation.
    pub std: f64,
}

impl Summary {
    /// Mean and standard deviation of `values`.
    pub fn of(values: &[f64]) -> Self {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let std = if values.len() < 2 {
            0.0
        } else {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        };
        Self { mean, std }
    }
}

/// Per-task accuracy during training: after each evaluation point
/// (`progress`, e.g. epochs counted over the whole sequence), the accuracy
/// on every task (NaN for tasks not evaluated).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ForgettingCurves {
    /// The evaluation points (e.g. epochs over the whole sequence).
    pub progress: Vec<f64>,
    /// `accuracy[e][t]`: task t at evaluation e.
    pub accuracy: Vec<Vec<f64>>,
    /// Progress values where a new task starts.
    pub boundaries: Vec<f64>,
}

impl ForgettingCurves {
    /// Adds an evaluation point: `progress` and the accuracy on each task.
    pub fn record(&mut self, progress: f64, accuracy: Vec<f64>) {
        self.progress.push(progress);
        self.accuracy.push(accuracy);
    }
}

/// One method's runs, one per seed, on the same task sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodResult {
    /// The method's name.
    pub method: String,
    /// The seed of each run.
    pub seeds: Vec<u64>,
    /// The accuracy matrix of each run.
    pub runs: Vec<AccuracyMatrix>,
    /// Empty, or one per seed.
    pub curves: Vec<ForgettingCurves>,
}

impl MethodResult {
    /// Checks the runs share a task count and match the seeds.
    pub fn validate(&self) -> Result<(), MetricsError> {
        let fail = |detail: String| MetricsError::Runs {
            method: self.method.clone(),
            detail,
        };
        if self.runs.is_empty() || self.runs.len() != self.seeds.len() {
            return Err(fail(format!(
                "{} runs for {} seeds (need one run per seed, at least one)",
                self.runs.len(),
                self.seeds.len()
            )));
        }
        if !(self.curves.is_empty() || self.curves.len() == self.seeds.len()) {
            return Err(fail(format!(
                "{} forgetting curves for {} seeds (need none or one per seed)",
                self.curves.len(),
                self.seeds.len()
            )));
        }
        let tasks = self.runs[0].tasks();
        if self.runs.iter().any(|r| r.tasks() != tasks) {
            return Err(fail("runs have different numbers of tasks".into()));
        }
        for r in &self.runs {
            r.acc()?;
            r.bwt()?;
        }
        for c in &self.curves {
            if c.progress.len() != c.accuracy.len() || c.accuracy.iter().any(|a| a.len() != tasks) {
                return Err(fail(format!(
                    "forgetting curves need one accuracy per task ({tasks}) at every progress point"
                )));
            }
        }
        Ok(())
    }

    /// Number of tasks.
    pub fn tasks(&self) -> usize {
        self.runs.first().map_or(0, AccuracyMatrix::tasks)
    }

    /// Average accuracy after the last task (ACC), over runs.
    pub fn acc(&self) -> Result<Summary, MetricsError> {
        let values = self
            .runs
            .iter()
            .map(AccuracyMatrix::acc)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Summary::of(&values))
    }

    /// Backward transfer (BWT: how much learning later tasks changed the accuracy on earlier
    /// ones), over runs.
    pub fn bwt(&self) -> Result<Summary, MetricsError> {
        let values = self
            .runs
            .iter()
            .map(AccuracyMatrix::bwt)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Summary::of(&values))
    }
}

/// One row per method and seed, then per R entry:
/// `method,seed,row,column,accuracy` (long format, NaN entries left out),
/// preceded by ACC and BWT per run as `row = column = ""`, metric named.
pub fn csv(results: &[MethodResult]) -> Result<String, MetricsError> {
    let mut out = String::from("method,seed,metric,row,column,value\n");
    for m in results {
        m.validate()?;
        for (seed, r) in m.seeds.iter().zip(&m.runs) {
            let method = &m.method;
            let _ = writeln!(out, "{method},{seed},ACC,,,{}", r.acc()?);
            let _ = writeln!(out, "{method},{seed},BWT,,,{}", r.bwt()?);
            for i in 0..r.tasks() {
                for j in 0..r.tasks() {
                    let v = r.get(i, j);
                    if !v.is_nan() {
                        let _ = writeln!(out, "{method},{seed},R,{i},{j},{v}");
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The comparison table, in percentage points:
/// `method  seeds  ACC mean ± std  BWT mean ± std`.
pub fn table(results: &[MethodResult]) -> Result<String, MetricsError> {
    let width = results
        .iter()
        .map(|m| m.method.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    let mut out = format!(
        "{:<width$}  {:>5}  {:>15}  {:>15}\n",
        "method", "seeds", "ACC (%)", "BWT (%)"
    );
    for m in results {
        m.validate()?;
        let (acc, bwt) = (m.acc()?, m.bwt()?);
        let _ = writeln!(
            out,
            "{:<width$}  {:>5}  {:>15}  {:>15}",
            m.method,
            m.runs.len(),
            format!("{:.2} ± {:.2}", 100.0 * acc.mean, 100.0 * acc.std),
            format!("{:.2} ± {:.2}", 100.0 * bwt.mean, 100.0 * bwt.std),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: f64 = f64::NAN;

    fn example() -> AccuracyMatrix {
        AccuracyMatrix::from_rows(&[
            vec![0.90, N, N],
            vec![0.70, 0.80, N],
            vec![0.60, 0.75, 0.95],
        ])
        .unwrap()
    }

    #[test]
    fn acc_and_bwt_by_hand() {
        let r = example();
        // ACC = (0.60 + 0.75 + 0.95) / 3; BWT = ((0.60 − 0.90) + (0.75 − 0.80)) / 2.
        assert!((r.acc().unwrap() - 2.30 / 3.0).abs() < 1e-15);
        assert!((r.bwt().unwrap() - (-0.175)).abs() < 1e-15);
        // No forgetting: BWT 0; improvement on old tasks: positive.
        let flat = AccuracyMatrix::from_rows(&[vec![0.5, N], vec![0.5, 1.0]]).unwrap();
        assert_eq!((flat.acc().unwrap(), flat.bwt().unwrap()), (0.75, 0.0));
        let better = AccuracyMatrix::from_rows(&[vec![0.5, N], vec![0.7, 1.0]]).unwrap();
        assert!((better.bwt().unwrap() - 0.2).abs() < 1e-15);
        let single = AccuracyMatrix::from_rows(&[vec![0.8]]).unwrap();
        assert_eq!((single.acc().unwrap(), single.bwt().unwrap()), (0.8, 0.0));
    }

    #[test]
    fn missing_and_bad_entries_are_errors() {
        let r = AccuracyMatrix::from_rows(&[vec![N, N], vec![0.5, 1.0]]).unwrap();
        assert_eq!(r.bwt(), Err(MetricsError::Missing { row: 0, column: 0 }));
        assert!(AccuracyMatrix::from_rows(&[vec![1.5]]).is_err());
        assert_eq!(AccuracyMatrix::new(0), Err(MetricsError::NoTasks));
    }

    #[test]
    fn summaries_tables_and_csv() {
        let s = Summary::of(&[1.0, 2.0, 4.0]);
        assert!((s.mean - 7.0 / 3.0).abs() < 1e-15);
        // Sample variance: (16/9 + 1/9 + 25/9) / 2 = 7/3.
        assert!((s.std - (7.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(Summary::of(&[0.3]).std, 0.0);

        let other = AccuracyMatrix::from_rows(&[
            vec![0.80, N, N],
            vec![0.80, 0.80, N],
            vec![0.80, 0.80, 0.80],
        ])
        .unwrap();
        let m = MethodResult {
            method: "hlop".into(),
            seeds: vec![1, 2],
            runs: vec![example(), other],
            curves: Vec::new(),
        };
        let acc = m.acc().unwrap();
        assert!((acc.mean - (2.30 / 3.0 + 0.80) / 2.0).abs() < 1e-15);
        let bwt = m.bwt().unwrap();
        assert!((bwt.mean - (-0.0875)).abs() < 1e-15);
        assert!((bwt.std - 0.175 / 2f64.sqrt()).abs() < 1e-15);
        let t = table(std::slice::from_ref(&m)).unwrap();
        assert!(t.contains("hlop"), "{t}");
        assert!(t.contains("-8.75 ± 12.37"), "{t}");
        let c = csv(std::slice::from_ref(&m)).unwrap();
        let lines: Vec<&str> = c.lines().collect();
        // Header, then per seed ACC, BWT and the 6 recorded entries.
        assert_eq!(lines.len(), 1 + 2 * 8);
        assert_eq!(lines[2], "hlop,1,BWT,,,-0.17500000000000004");
        assert!(lines.contains(&"hlop,2,R,2,1,0.8"));

        let bad = MethodResult {
            method: "ewc".into(),
            seeds: vec![1],
            runs: vec![],
            curves: Vec::new(),
        };
        let message = table(&[bad]).unwrap_err().to_string();
        assert!(message.starts_with("method `ewc`"), "{message}");
    }
}
