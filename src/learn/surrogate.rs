//! Surrogate derivatives of the Heaviside spike function, `dS/dU` used in
//! place of the Dirac delta during back-propagation.

use super::real::Real;

#[derive(Debug, Clone, Copy, PartialEq)]
/// The surrogate derivative of the spike's step function, used in the backward pass.
pub enum Surrogate {
    /// `1 / (1 + k|x|)^2` (Zenke & Ganguli's SuperSpike; snnTorch's default
    /// shape, slope `k` = 25).
    FastSigmoid {
        /// The slope k.
        slope: f64,
    },
    /// `(a/2) / (1 + (pi/2 a x)^2)`, the derivative of `atan(pi/2 a x)/pi`
    /// (spikingjelly's ATan, `a` = 2).
    Arctan {
        /// The width parameter a.
        alpha: f64,
    },
}

impl Surrogate {
    /// The derivative at `x = U - threshold`.
    pub fn grad<T: Real>(&self, x: T) -> T {
        match *self {
            Self::FastSigmoid { slope } => {
                let d = T::one() + T::from_f64(slope) * x.abs();
                T::one() / (d * d)
            }
            Self::Arctan { alpha } => {
                let h = T::from_f64(std::f64::consts::FRAC_PI_2 * alpha) * x;
                T::from_f64(alpha / 2.0) / (T::one() + h * h)
            }
        }
    }
}
