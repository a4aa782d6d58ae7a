//! Physical quantities written as strings in model files ("20 ms", "-65 mV").
//!
//! Everything is converted to SI on the way in; the rest of the crate never
//! sees a unit. A quantity whose unit has the wrong dimension, or no unit
//! where one is required, is an error rather than a silent guess.

use std::fmt;

/// The physical dimension a field expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// Seconds.
    Time,
    /// Volts.
    Voltage,
    /// Amperes.
    Current,
    /// Ohms.
    Resistance,
    /// Siemens.
    Conductance,
    /// Farads.
    Capacitance,
    /// Hertz.
    Frequency,
    /// A pure number.
    Dimensionless,
}

impl Dimension {
    /// The SI unit symbol, for messages and recorded metadata.
    pub fn si_unit(self) -> &'static str {
        match self {
            Dimension::Time => "s",
            Dimension::Voltage => "V",
            Dimension::Current => "A",
            Dimension::Resistance => "ohm",
            Dimension::Conductance => "S",
            Dimension::Capacitance => "F",
            Dimension::Frequency => "Hz",
            Dimension::Dimensionless => "",
        }
    }

    /// A sample quantity, for "expected ..." messages.
    pub fn example(self) -> &'static str {
        match self {
            Dimension::Time => "\"20 ms\"",
            Dimension::Voltage => "\"-65 mV\"",
            Dimension::Current => "\"0.5 nA\"",
            Dimension::Resistance => "\"100 Mohm\"",
            Dimension::Conductance => "\"10 nS\"",
            Dimension::Capacitance => "\"200 pF\"",
            Dimension::Frequency => "\"10 Hz\"",
            Dimension::Dimensionless => "0.5",
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Dimension::Time => "a time",
            Dimension::Voltage => "a voltage",
            Dimension::Current => "a current",
            Dimension::Resistance => "a resistance",
            Dimension::Conductance => "a conductance",
            Dimension::Capacitance => "a capacitance",
            Dimension::Frequency => "a frequency",
            Dimension::Dimensionless => "a plain number",
        };
        f.write_str(name)
    }
}

/// A parsed quantity: its SI value and dimension.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantity {
    /// The value in SI units.
    pub value: f64,
    /// Its dimension.
    pub dimension: Dimension,
}

/// Why a quantity string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error("{0:?} is not a quantity: expected a number followed by a unit")]
    /// Text that does not start with a number.
    NotANumber(String),
    #[error("{0:?} has no unit")]
    /// A number without the unit its key needs.
    MissingUnit(String),
    #[error("unknown unit {unit:?} in {text:?}")]
    /// A unit spikesim does not know.
    UnknownUnit {
        /// The quantity as written.
        text: String,
        /// The unit as written.
        unit: String,
    },
    #[error("{text:?} is {found}, expected {expected} such as {example}")]
    /// A unit of another dimension than the key's.
    WrongDimension {
        /// The quantity as written.
        text: String,
        /// Its dimension.
        found: Dimension,
        /// The dimension the key needs.
        expected: Dimension,
        /// A unit of the right dimension, for the message.
        example: &'static str,
    },
    #[error("{0:?} is not a finite number")]
    /// A number that is not finite (NaN, inf).
    NotFinite(String),
    #[error(
        "{text:?} is {si} in SI units, outside the range a model can hold (0, or a magnitude between {MIN_MAGNITUDE:e} and {MAX_MAGNITUDE:e})"
    )]
    /// A value outside the range a model can hold.
    OutOfRange {
        /// The quantity as written.
        text: String,
        /// Its value in SI units.
        si: String,
    },
}

/// The largest magnitude of a quantity in SI units. Far beyond anything
/// physical (1e100 V, 1e100 s), and small enough that the products and
/// quotients the simulator forms of two quantities (`r_m * i`, `dt / tau`)
/// stay finite: a larger value would turn into ±inf or NaN in the run.
pub const MAX_MAGNITUDE: f64 = 1e100;

/// The smallest non-zero magnitude, for the same reason: `1 / tau` of a
/// subnormal `tau` is infinite.
pub const MIN_MAGNITUDE: f64 = 1e-100;

/// Whether an SI value lies in the range a model can hold (see
/// [`MAX_MAGNITUDE`]): 0, or a finite magnitude in [1e-100, 1e100].
pub fn in_range(value: f64) -> bool {
    value == 0.0 || (MIN_MAGNITUDE..=MAX_MAGNITUDE).contains(&value.abs())
}

const PREFIXES: [(&str, f64); 7] = [
    ("G", 1e9),
    ("M", 1e6),
    ("k", 1e3),
    ("m", 1e-3),
    ("u", 1e-6),
    ("µ", 1e-6),
    ("n", 1e-9),
];
const PICO: (&str, f64) = ("p", 1e-12);

const BASE_UNITS: [(&str, Dimension); 8] = [
    ("s", Dimension::Time),
    ("V", Dimension::Voltage),
    ("A", Dimension::Current),
    ("ohm", Dimension::Resistance),
    ("Ω", Dimension::Resistance),
    ("S", Dimension::Conductance),
    ("F", Dimension::Capacitance),
    ("Hz", Dimension::Frequency),
];

/// Resolve a unit symbol such as "ms", "Mohm" or "nA" to its scale and dimension.
pub fn lookup_unit(unit: &str) -> Option<(f64, Dimension)> {
    // Exact base units first, so "S" (siemens) is never read as a prefix.
    if let Some(&(_, dim)) = BASE_UNITS.iter().find(|(sym, _)| *sym == unit) {
        return Some((1.0, dim));
    }
    let prefixes = PREFIXES.iter().chain(std::iter::once(&PICO));
    for &(prefix, scale) in prefixes {
        if let Some(rest) = unit.strip_prefix(prefix)
            && let Some(&(_, dim)) = BASE_UNITS.iter().find(|(sym, _)| *sym == rest)
        {
            return Some((scale, dim));
        }
    }
    // Common spellings seen in other simulators' files.
    match unit {
        // Long runs: minutes and hours (there is no prefixed form).
        "min" => Some((60.0, Dimension::Time)),
        "h" => Some((3600.0, Dimension::Time)),
        "msecond" => Some((1e-3, Dimension::Time)),
        "second" => Some((1.0, Dimension::Time)),
        "mvolt" => Some((1e-3, Dimension::Voltage)),
        "kohm" => Some((1e3, Dimension::Resistance)),
        _ => None,
    }
}

/// Split "20 ms" / "20ms" / "-6.5e-3 V" into the number and the unit text.
fn split_number(text: &str) -> Result<(f64, &str), UnitError> {
    let trimmed = text.trim();
    let end = number_prefix_len(trimmed);
    if end == 0 {
        return Err(UnitError::NotANumber(text.to_string()));
    }
    let value: f64 = trimmed[..end]
        .parse()
        .map_err(|_| UnitError::NotANumber(text.to_string()))?;
    Ok((value, trimmed[end..].trim()))
}

/// Length of the longest prefix that looks like a float literal.
fn number_prefix_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut seen_digit = false;
    if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
        i += 1;
    }
    while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
        seen_digit |= bytes[i].is_ascii_digit();
        i += 1;
    }
    if !seen_digit {
        return 0;
    }
    // An exponent only counts if digits follow it: "5 e" is not 5e.
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        let mut j = i + 1;
        if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
            j += 1;
        }
        let digits_start = j;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        if j > digits_start {
            i = j;
        }
    }
    i
}

/// Parse a quantity string, whatever its dimension.
pub fn parse_quantity(text: &str) -> Result<Quantity, UnitError> {
    let (number, unit) = split_number(text)?;
    if !number.is_finite() {
        return Err(UnitError::NotFinite(text.to_string()));
    }
    if unit.is_empty() {
        if !in_range(number) {
            return Err(UnitError::OutOfRange {
                text: text.to_string(),
                si: format!("{number:e}"),
            });
        }
        return Ok(Quantity {
            value: number,
            dimension: Dimension::Dimensionless,
        });
    }
    let (scale, dimension) = lookup_unit(unit).ok_or_else(|| UnitError::UnknownUnit {
        text: text.to_string(),
        unit: unit.to_string(),
    })?;
    // Checked after scaling: "1e308 GV" is a finite number of an infinite
    // number of volts, "1e-320 ps" a non-zero number of zero seconds.
    let value = number * scale;
    if !in_range(value) || (value == 0.0 && number != 0.0) {
        return Err(UnitError::OutOfRange {
            text: text.to_string(),
            si: describe_si(number, scale, dimension.si_unit()),
        });
    }
    Ok(Quantity { value, dimension })
}

/// `number * scale` with its unit, as a power of ten where the product
/// overflows or underflows an `f64`.
fn describe_si(number: f64, scale: f64, unit: &str) -> String {
    let value = number * scale;
    if value.is_finite() && value != 0.0 {
        return format!("{value:e} {unit}");
    }
    let sign = if number < 0.0 { "-" } else { "" };
    let exponent = (number.abs().log10() + scale.log10()).round();
    format!("about {sign}1e{exponent} {unit}")
}

/// Parse a quantity and require a dimension; returns the SI value.
pub fn parse_as(text: &str, expected: Dimension) -> Result<f64, UnitError> {
    let q = parse_quantity(text)?;
    if q.dimension == expected {
        return Ok(q.value);
    }
    if q.dimension == Dimension::Dimensionless {
        return Err(UnitError::MissingUnit(text.to_string()));
    }
    Err(UnitError::WrongDimension {
        text: text.to_string(),
        found: q.dimension,
        expected,
        example: expected.example(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-15 * b.abs().max(1e-300)
    }

    /// Minutes and hours have no prefixed forms: "1 mh" is not a
    /// millihour, "1 kmin" no kilominute.
    #[test]
    fn minutes_and_hours_take_no_prefix() {
        for text in ["1 mh", "1 kmin", "1 hr", "1 minutes"] {
            assert!(parse_quantity(text).is_err(), "{text}");
        }
    }

    #[test]
    fn parses_the_units_the_model_files_use() {
        let cases = [
            ("20 ms", 0.02, Dimension::Time),
            ("1 s", 1.0, Dimension::Time),
            ("250us", 250e-6, Dimension::Time),
            ("-65 mV", -0.065, Dimension::Voltage),
            ("0.1 nA", 1e-10, Dimension::Current),
            ("12 pA", 12e-12, Dimension::Current),
            ("100 Mohm", 1e8, Dimension::Resistance),
            ("1 Gohm", 1e9, Dimension::Resistance),
            ("3 kohm", 3e3, Dimension::Resistance),
            ("10 Hz", 10.0, Dimension::Frequency),
            ("2 nS", 2e-9, Dimension::Conductance),
            ("1 S", 1.0, Dimension::Conductance),
            ("200 pF", 200e-12, Dimension::Capacitance),
            ("1.5e-3 V", 1.5e-3, Dimension::Voltage),
            ("2 min", 120.0, Dimension::Time),
            ("1.5 h", 5400.0, Dimension::Time),
        ];
        for (text, value, dim) in cases {
            let q = parse_quantity(text).unwrap();
            assert!(close(q.value, value), "{text}: {} != {value}", q.value);
            assert_eq!(q.dimension, dim, "{text}");
        }
    }

    #[test]
    fn rejects_wrong_or_missing_units() {
        assert!(matches!(
            parse_as("20 mV", Dimension::Time),
            Err(UnitError::WrongDimension { .. })
        ));
        assert!(matches!(
            parse_as("20", Dimension::Time),
            Err(UnitError::MissingUnit(_))
        ));
        assert!(matches!(
            parse_as("20 parsec", Dimension::Time),
            Err(UnitError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_as("ms", Dimension::Time),
            Err(UnitError::NotANumber(_))
        ));
        assert!(matches!(
            parse_as("inf ms", Dimension::Time),
            Err(UnitError::NotANumber(_))
        ));
        let msg = parse_as("5 mV", Dimension::Time).unwrap_err().to_string();
        assert!(msg.contains("expected a time"), "{msg}");
    }

    #[test]
    fn rejects_values_that_overflow_or_underflow_once_scaled() {
        // Finite as written, ±inf or subnormal in SI.
        for text in [
            "1e308 GV",
            "1e308 Mohm",
            "-1e308 GV",
            "1e308 ms",
            "1e-320 s",
            "1e-95 pA",
            "1e-320 ps",
        ] {
            let e = parse_quantity(text).unwrap_err();
            assert!(matches!(e, UnitError::OutOfRange { .. }), "{text}: {e}");
            assert!(e.to_string().contains(text), "{e}");
        }
        let e = parse_quantity("1e308 GV").unwrap_err().to_string();
        assert!(e.contains("about 1e317 V"), "{e}");
        let e = parse_quantity("1e-320 ps").unwrap_err().to_string();
        assert!(e.contains("about 1e-332 s"), "{e}");
        // The edges of the range are accepted, zero too.
        assert_eq!(parse_as("1e100 V", Dimension::Voltage), Ok(1e100));
        assert_eq!(parse_as("-1e-100 A", Dimension::Current), Ok(-1e-100));
        assert_eq!(parse_as("0 ms", Dimension::Time), Ok(0.0));
        assert!(matches!(
            parse_quantity("1e101"),
            Err(UnitError::OutOfRange { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn formatted_quantities_round_trip(v in -1e6f64..1e6, unit in 0usize..4) {
            let (sym, scale) = [("ms", 1e-3), ("mV", 1e-3), ("nA", 1e-9), ("Hz", 1.0)][unit];
            let text = format!("{v:e} {sym}");
            let q = parse_quantity(&text).unwrap();
            proptest::prop_assert!((q.value - v * scale).abs() <= 1e-12 * (v * scale).abs().max(1e-300));
        }
    }
}
