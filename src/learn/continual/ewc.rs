//! Elastic weight consolidation (Kirkpatrick et al. 2017) over a flat
//! parameter vector: after each task, a diagonal Fisher information
//! estimate and the parameters reached; while learning later tasks, the
//! penalty `λ/2 Σ_t Σ_i F_t,i (θ_i − θ*_t,i)²` summed over all earlier
//! tasks (one anchor per task, as in the original multi-task form).

use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
/// An invalid EWC setting or state.
pub enum EwcError {
    #[error("ewc: lambda must be a finite number ≥ 0, got {0}")]
    /// `lambda` is negative or not finite.
    Lambda(f64),
    #[error("ewc: {what} has {got} values, expected {expected}")]
    /// A vector of the wrong length.
    Length {
        /// Which vector.
        what: &'static str,
        /// The length expected.
        expected: usize,
        /// The length given.
        got: usize,
    },
    #[error("ewc: {0} contains a non-finite value")]
    /// A vector with a non-finite value.
    NonFinite(&'static str),
    #[error("ewc: no per-sample gradients to estimate the Fisher information from")]
    /// No gradients to estimate the Fisher information from.
    NoGradients,
}

/// Diagonal empirical Fisher: the mean over samples of the squared
/// per-sample gradient of the log-likelihood (of the sample's label).
pub fn diagonal_fisher<'a>(
    gradients: impl IntoIterator<Item = &'a [f64]>,
) -> Result<Vec<f64>, EwcError> {
    let mut sum: Option<Vec<f64>> = None;
    let mut count = 0usize;
    for g in gradients {
        finite("gradient", g)?;
        let acc = sum.get_or_insert_with(|| vec![0.0; g.len()]);
        same_length("gradient", acc.len(), g.len())?;
        for (a, v) in acc.iter_mut().zip(g) {
            *a += v * v;
        }
        count += 1;
    }
    let mut fisher = sum.ok_or(EwcError::NoGradients)?;
    for f in &mut fisher {
        *f /= count as f64;
    }
    Ok(fisher)
}

fn finite(what: &'static str, values: &[f64]) -> Result<(), EwcError> {
    if values.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(EwcError::NonFinite(what))
    }
}

fn same_length(what: &'static str, expected: usize, got: usize) -> Result<(), EwcError> {
    if expected == got {
        Ok(())
    } else {
        Err(EwcError::Length {
            what,
            expected,
            got,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Anchor {
    fisher: Vec<f64>,
    optimum: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq)]
/// Elastic weight consolidation: a quadratic penalty that anchors the weights important to
/// earlier tasks.
pub struct Ewc {
    lambda: f64,
    anchors: Vec<Anchor>,
}

impl Ewc {
    /// EWC with penalty weight `lambda` (finite, >= 0) and no task consolidated yet.
    pub fn new(lambda: f64) -> Result<Self, EwcError> {
        if !(lambda.is_finite() && lambda >= 0.0) {
            return Err(EwcError::Lambda(lambda));
        }
        Ok(Self {
            lambda,
            anchors: Vec::new(),
        })
    }

    /// Tasks consolidated so far.
    pub fn tasks(&self) -> usize {
        self.anchors.len()
    }

    /// End of a task: remember its Fisher estimate and the parameters.
    pub fn consolidate(&mut self, fisher: Vec<f64>, params: &[f64]) -> Result<(), EwcError> {
        same_length("fisher", params.len(), fisher.len())?;
        self.check(params)?;
        finite("fisher", &fisher)?;
        finite("parameters", params)?;
        self.anchors.push(Anchor {
            fisher,
            optimum: params.to_vec(),
        });
        Ok(())
    }

    fn check(&self, params: &[f64]) -> Result<(), EwcError> {
        match self.anchors.first() {
            Some(a) => same_length("parameters", a.optimum.len(), params.len()),
            None => Ok(()),
        }
    }

    /// `λ/2 Σ_t Σ_i F_t,i (θ_i − θ*_t,i)²`.
    pub fn penalty(&self, params: &[f64]) -> Result<f64, EwcError> {
        self.check(params)?;
        let sum: f64 = self
            .anchors
            .iter()
            .map(|a| {
                a.fisher
                    .iter()
                    .zip(&a.optimum)
                    .zip(params)
                    .map(|((f, o), p)| f * (p - o) * (p - o))
                    .sum::<f64>()
            })
            .sum();
        Ok(0.5 * self.lambda * sum)
    }

    /// Each consolidated task's (Fisher diagonal, optimum), oldest first,
    /// for checkpoints.
    pub fn anchors(&self) -> Vec<(&[f64], &[f64])> {
        self.anchors
            .iter()
            .map(|a| (a.fisher.as_slice(), a.optimum.as_slice()))
            .collect()
    }

    /// Adds the penalty's gradient `λ Σ_t F_t (θ − θ*_t)` to `gradient`.
    pub fn add_gradient(&self, params: &[f64], gradient: &mut [f64]) -> Result<(), EwcError> {
        self.check(params)?;
        same_length("gradient", params.len(), gradient.len())?;
        for a in &self.anchors {
            for (((g, f), o), p) in gradient
                .iter_mut()
                .zip(&a.fisher)
                .zip(&a.optimum)
                .zip(params)
            {
                *g += self.lambda * f * (p - o);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fisher_is_the_mean_squared_gradient() {
        let g1 = [1.0, -2.0, 0.0];
        let g2 = [3.0, 0.0, -1.0];
        let f = diagonal_fisher([&g1[..], &g2[..]]).unwrap();
        assert_eq!(f, [5.0, 2.0, 0.5]);
        assert_eq!(diagonal_fisher([]), Err(EwcError::NoGradients));
        let bad = [1.0, f64::NAN, 0.0];
        assert_eq!(
            diagonal_fisher([&bad[..]]),
            Err(EwcError::NonFinite("gradient"))
        );
    }

    #[test]
    fn penalty_by_hand_and_accumulated_over_tasks() {
        let mut ewc = Ewc::new(2.0).unwrap();
        ewc.consolidate(vec![1.0, 0.5], &[0.0, 1.0]).unwrap();
        // λ/2 (1·1² + 0.5·1²) = 1.5
        assert!((ewc.penalty(&[1.0, 2.0]).unwrap() - 1.5).abs() < 1e-15);
        ewc.consolidate(vec![2.0, 0.0], &[1.0, 0.0]).unwrap();
        // + λ/2 (2·0² + 0·2²) = 1.5; at θ = (0, 0): λ/2 (0 + 0.5 + 2) = 2.5
        assert!((ewc.penalty(&[1.0, 2.0]).unwrap() - 1.5).abs() < 1e-15);
        assert!((ewc.penalty(&[0.0, 0.0]).unwrap() - 2.5).abs() < 1e-15);
        assert_eq!(ewc.tasks(), 2);
        assert!(ewc.penalty(&[0.0]).is_err());
        assert_eq!(Ewc::new(-1.0), Err(EwcError::Lambda(-1.0)));
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let mut ewc = Ewc::new(0.7).unwrap();
        ewc.consolidate(vec![0.3, 1.2, 0.05, 2.0], &[0.1, -0.4, 0.9, 0.0])
            .unwrap();
        ewc.consolidate(vec![1.0, 0.2, 0.8, 0.4], &[-0.3, 0.5, 0.2, 1.0])
            .unwrap();
        let theta = [0.25, 0.1, -0.6, 0.7];
        let mut grad = vec![0.0; 4];
        ewc.add_gradient(&theta, &mut grad).unwrap();
        let h = 1e-6;
        for i in 0..4 {
            let mut plus = theta;
            let mut minus = theta;
            plus[i] += h;
            minus[i] -= h;
            let numeric = (ewc.penalty(&plus).unwrap() - ewc.penalty(&minus).unwrap()) / (2.0 * h);
            assert!(
                (numeric - grad[i]).abs() < 1e-8,
                "{i}: {numeric} vs {}",
                grad[i]
            );
        }
    }
}
