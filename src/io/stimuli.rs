//! Reading input files that model files point to: spike times, rate and
//! current time courses, connection lists.
//!
//! CSV files carry their units in the header, one column per quantity:
//! `neuron,time_ms`, `time_s,rate_Hz`, `time_ms,amplitude_nA`,
//! `pre,post,weight_mV,delay_ms`. A cell is a plain number in its column's
//! unit. Errors are plain messages; the caller adds the model file context.

use std::path::Path;

use crate::model::units::{Dimension, in_range, lookup_unit};

/// One CSV column: its name and, for quantities, the factor to SI and dimension.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column's name without its unit suffix.
    pub name: String,
    /// The factor to SI and the dimension, for quantities; `None` for plain numbers.
    pub unit: Option<(f64, Dimension)>,
}

/// A numeric CSV table with named, unit-bearing columns (values in SI).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, values in SI units.
    pub rows: Vec<Vec<f64>>,
}

impl Table {
    /// Index of a column that must exist and have the given dimension
    /// (`None` for plain integer columns such as neuron indices).
    pub fn column(&self, name: &str, dim: Option<Dimension>) -> Result<Option<usize>, String> {
        let Some(i) = self.columns.iter().position(|c| c.name == name) else {
            return Ok(None);
        };
        let found = self.columns[i].unit.map(|(_, d)| d);
        if found != dim {
            let want = match dim {
                Some(d) => format!("{d} (e.g. `{name}_{}`)", d.si_unit()),
                None => "a plain index without unit".to_string(),
            };
            return Err(format!("column `{name}` must be {want}"));
        }
        Ok(Some(i))
    }

    /// Index of a column that must exist and have the dimension `dim` (`None` for plain
    /// indices); the error says what is missing.
    pub fn require(&self, name: &str, dim: Option<Dimension>) -> Result<usize, String> {
        self.column(name, dim)?.ok_or_else(|| {
            let unit = dim.map(|d| format!("_<unit of {d}>")).unwrap_or_default();
            format!("missing column `{name}{unit}`")
        })
    }
}

fn parse_header(cell: &str) -> Result<Column, String> {
    let cell = cell.trim();
    match cell.split_once('_') {
        None => Ok(Column {
            name: cell.to_string(),
            unit: None,
        }),
        Some((name, unit)) => {
            let resolved = lookup_unit(unit)
                .ok_or_else(|| format!("unknown unit `{unit}` in header `{cell}`"))?;
            Ok(Column {
                name: name.to_string(),
                unit: Some(resolved),
            })
        }
    }
}

/// Read a CSV table whose header names each column with its unit.
pub fn read_csv_table(path: &Path) -> Result<Table, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_path(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let headers = reader
        .headers()
        .map_err(|e| format!("{}: bad header: {e}", path.display()))?
        .clone();
    let columns = headers
        .iter()
        .map(parse_header)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| format!("{}:{line}: {e}", path.display()))?;
        if record.len() != columns.len() {
            return Err(format!(
                "{}:{line}: expected {} values, found {}",
                path.display(),
                columns.len(),
                record.len()
            ));
        }
        let row = record
            .iter()
            .zip(&columns)
            .map(|(cell, col)| parse_cell(cell, col))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{}:{line}: {e}", path.display()))?;
        rows.push(row);
    }
    Ok(Table { columns, rows })
}

fn parse_cell(cell: &str, column: &Column) -> Result<f64, String> {
    let value: f64 = cell
        .parse()
        .map_err(|_| format!("`{cell}` in column `{}` is not a number", column.name))?;
    if !value.is_finite() {
        return Err(format!(
            "`{cell}` in column `{}` is not finite",
            column.name
        ));
    }
    // Checked after scaling, as in model files: `1e308` in a `_GV` column
    // is an infinite number of volts.
    let si = value * column.unit.map_or(1.0, |(scale, _)| scale);
    if !in_range(si) {
        return Err(format!(
            "`{cell}` in column `{}` is {si:e} in SI units, outside the range a model can hold (0, or a magnitude between 1e-100 and 1e100)",
            column.name
        ));
    }
    Ok(si)
}

/// Interpret a column value as a non-negative integer index.
pub fn as_index(value: f64, column: &str) -> Result<u32, String> {
    if value < 0.0 || value.fract() != 0.0 || value > u32::MAX as f64 {
        return Err(format!(
            "`{value}` in column `{column}` is not a neuron index"
        ));
    }
    Ok(value as u32)
}

/// Spike times from a CSV (`neuron,time_<unit>`) or HDF5 file (datasets
/// `times` in seconds and `senders` in `group`): `(time_s, neuron)` pairs.
pub fn read_spike_times(path: &Path, group: &str) -> Result<Vec<(f64, u32)>, String> {
    if is_hdf5(path) {
        return read_spike_times_hdf5(path, group);
    }
    let table = read_csv_table(path)?;
    let neuron = table
        .require("neuron", None)
        .map_err(|e| in_file(path, e))?;
    let time = table
        .require("time", Some(Dimension::Time))
        .map_err(|e| in_file(path, e))?;
    table
        .rows
        .iter()
        .map(|r| {
            Ok((
                r[time],
                as_index(r[neuron], "neuron").map_err(|e| in_file(path, e))?,
            ))
        })
        .collect()
}

fn in_file(path: &Path, msg: String) -> String {
    format!("{}: {msg}", path.display())
}

fn is_hdf5(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("h5" | "hdf5" | "he5")
    )
}

/// An HDF5 spike-time file through the guard (`io::guard`): libhdf5 can
/// crash or hang on a damaged file, so the CLI reads it in a child process.
fn read_spike_times_hdf5(path: &Path, group: &str) -> Result<Vec<(f64, u32)>, String> {
    let request = super::guard::Request::SpikeTimes {
        group: group.to_string(),
    };
    super::guard::guarded(path, request, || read_spike_times_here(path, group))
        .map_err(|e| e.to_string())
}

/// [`read_spike_times_hdf5`] in this process.
pub(crate) fn read_spike_times_here(
    path: &Path,
    group: &str,
) -> Result<Vec<(f64, u32)>, super::IoError> {
    read_spike_times_unguarded(path, group).map_err(|message| super::IoError::Reported {
        path: path.to_path_buf(),
        message,
    })
}

fn read_spike_times_unguarded(path: &Path, group: &str) -> Result<Vec<(f64, u32)>, String> {
    let file = ::hdf5::File::open(path)
        .map_err(|e| format!("cannot open {} as HDF5: {e}", path.display()))?;
    let group = file
        .group(group)
        .map_err(|_| format!("{}: no group `{group}`", path.display()))?;
    let times: Vec<f64> = group
        .dataset("times")
        .and_then(|d| d.read_raw::<f64>())
        .map_err(|_| {
            format!(
                "{}: missing or unreadable dataset `times` (f64 seconds)",
                path.display()
            )
        })?;
    let senders: Vec<u32> = group
        .dataset("senders")
        .and_then(|d| d.read_raw::<u32>())
        .map_err(|_| {
            format!(
                "{}: missing or unreadable dataset `senders` (u32)",
                path.display()
            )
        })?;
    if times.len() != senders.len() {
        return Err(format!(
            "{}: `times` has {} entries but `senders` has {}",
            path.display(),
            times.len(),
            senders.len()
        ));
    }
    if let Some(t) = times.iter().find(|t| !t.is_finite()) {
        return Err(format!("{}: spike time {t} is not finite", path.display()));
    }
    Ok(times.into_iter().zip(senders).collect())
}

/// A time course `(time_s, value)` from a CSV with a time column and one
/// value column of the given name and dimension.
pub fn read_time_course(
    path: &Path,
    value: &str,
    dim: Dimension,
) -> Result<Vec<(f64, f64)>, String> {
    let table = read_csv_table(path)?;
    let t = table
        .require("time", Some(Dimension::Time))
        .map_err(|e| in_file(path, e))?;
    let v = table
        .require(value, Some(dim))
        .map_err(|e| in_file(path, e))?;
    Ok(table.rows.iter().map(|r| (r[t], r[v])).collect())
}

/// A connection list: `pre,post[,weight_<unit>][,delay_<unit>]`.
/// Returns rows `(pre, post, weight, delay)` and the weight column's dimension.
#[allow(clippy::type_complexity)]
pub fn read_connection_list(
    path: &Path,
) -> Result<(Vec<(u32, u32, Option<f64>, Option<f64>)>, Option<Dimension>), String> {
    let table = read_csv_table(path)?;
    let pre = table.require("pre", None).map_err(|e| in_file(path, e))?;
    let post = table.require("post", None).map_err(|e| in_file(path, e))?;
    let weight_col = table.columns.iter().position(|c| c.name == "weight");
    let weight_dim = match weight_col {
        Some(i) => Some(table.columns[i].unit.map(|(_, d)| d).ok_or_else(|| {
            in_file(
                path,
                "column `weight` needs a unit, e.g. `weight_mV`".into(),
            )
        })?),
        None => None,
    };
    let delay = table
        .column("delay", Some(Dimension::Time))
        .map_err(|e| in_file(path, e))?;
    let rows = table
        .rows
        .iter()
        .map(|r| {
            Ok((
                as_index(r[pre], "pre").map_err(|e| in_file(path, e))?,
                as_index(r[post], "post").map_err(|e| in_file(path, e))?,
                weight_col.map(|i| r[i]),
                delay.map(|i| r[i]),
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok((rows, weight_dim))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        path
    }

    #[test]
    fn spike_csv_converts_header_units_to_seconds() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "s.csv", "neuron,time_ms\n0,1.5\n3,20\n");
        let spikes = read_spike_times(&p, "/").unwrap();
        assert_eq!(spikes.len(), 2);
        assert!((spikes[0].0 - 1.5e-3).abs() < 1e-18);
        assert_eq!(spikes[1].1, 3);
    }

    #[test]
    fn csv_errors_name_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "bad.csv", "neuron,time_ms\n0,1.5\n-1,2\n");
        let e = read_spike_times(&p, "/").unwrap_err();
        assert!(e.contains("bad.csv") && e.contains("neuron"), "{e}");
        let p = write(&dir, "nounit.csv", "neuron,time\n0,1.5\n");
        let e = read_spike_times(&p, "/").unwrap_err();
        assert!(e.contains("column `time` must be a time"), "{e}");
        let p = write(&dir, "nan.csv", "neuron,time_ms\n0,abc\n");
        let e = read_spike_times(&p, "/").unwrap_err();
        assert!(e.contains(":2:") && e.contains("not a number"), "{e}");
    }

    #[test]
    fn connection_list_reads_optional_columns() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "c.csv",
            "pre,post,weight_mV,delay_ms\n0,1,0.5,2\n1,0,-1,1\n",
        );
        let (rows, dim) = read_connection_list(&p).unwrap();
        assert_eq!(dim, Some(Dimension::Voltage));
        assert_eq!(rows[1].0, 1);
        assert!((rows[1].2.unwrap() + 1e-3).abs() < 1e-18);
        assert!((rows[0].3.unwrap() - 2e-3).abs() < 1e-18);
    }
}
