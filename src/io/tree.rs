//! A whole HDF5 file as plain values: its groups and datasets by name, each
//! dataset's shape and elements (numbers as f64 or i64, strings), read in
//! the guard's child process ([`super::guard`]) like the other untrusted
//! files. Readers of formats defined by other tools (NIR graphs, in
//! `crate::nir::file`) interpret the tree in the parent, with no libhdf5 call
//! on the untrusted bytes outside the child.
use std::path::Path;

use ::hdf5::types::{TypeDescriptor, VarLenAscii, VarLenUnicode};
use ::hdf5::{Dataset, Group, LocationType};

use super::IoError;
use super::guard::{self, Request};

/// Deepest nesting of groups read; deeper (or a group linked into itself)
/// is refused.
pub const MAX_DEPTH: usize = 32;
/// Most elements (numbers or strings) read from one file, over all its
/// datasets: 2^25, 256 MiB of f64. A gzip-compressed dataset can claim far
/// more than the file's size.
pub const MAX_ELEMENTS: usize = 1 << 25;
/// Most groups and datasets read from one file.
pub const MAX_OBJECTS: usize = 100_000;

/// A group: its subgroups and datasets, each sorted by name (libhdf5's
/// default order).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TreeGroup {
    /// The group's name.
    pub name: String,
    /// Its subgroups, by name.
    pub groups: Vec<TreeGroup>,
    /// Its datasets, by name.
    pub datasets: Vec<TreeDataset>,
}

/// A dataset: its shape (`[]` for a scalar) and elements in C order.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeDataset {
    /// The dataset's name.
    pub name: String,
    /// Its shape (`[]` for a scalar).
    pub shape: Vec<usize>,
    /// Its elements, C order.
    pub values: TreeValues,
}

/// The elements of a dataset, converted by libhdf5 from the stored type.
#[derive(Debug, Clone, PartialEq)]
pub enum TreeValues {
    /// Any floating-point type.
    Float(Vec<f64>),
    /// Any integer or boolean type.
    Int(Vec<i64>),
    /// Variable-length strings (ASCII or UTF-8).
    Text(Vec<String>),
    /// A type the tree does not convert, described (e.g. a compound).
    Other(String),
}

impl TreeGroup {
    /// The subgroup `name`.
    pub fn group(&self, name: &str) -> Option<&TreeGroup> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// The dataset `name`.
    pub fn dataset(&self, name: &str) -> Option<&TreeDataset> {
        self.datasets.iter().find(|d| d.name == name)
    }
}

/// Reads the whole file at `path` (through the guard's child process when
/// the guard is on).
pub fn read_tree(path: &Path) -> Result<TreeGroup, IoError> {
    guard::guarded(path, Request::Tree, || read_tree_here(path))
}

/// [`read_tree`] in this process, whatever the file holds.
pub(crate) fn read_tree_here(path: &Path) -> Result<TreeGroup, IoError> {
    ::hdf5::silence_errors(true);
    let file = super::hdf5::open(path)?;
    let mut budget = Budget {
        elements: MAX_ELEMENTS,
        objects: MAX_OBJECTS,
    };
    read_group(&file, "", "/", path, 0, &mut budget)
}

struct Budget {
    elements: usize,
    objects: usize,
}

fn hdf5_error(path: &Path, object: &str, e: impl std::fmt::Display) -> IoError {
    IoError::Malformed {
        path: path.to_path_buf(),
        object: object.to_string(),
        detail: e.to_string(),
    }
}

fn child_path(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

fn read_group(
    group: &Group,
    name: &str,
    at: &str,
    path: &Path,
    depth: usize,
    budget: &mut Budget,
) -> Result<TreeGroup, IoError> {
    if depth > MAX_DEPTH {
        return Err(hdf5_error(
            path,
            at,
            format!("groups nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    let mut tree = TreeGroup {
        name: name.to_string(),
        ..TreeGroup::default()
    };
    let names = group.member_names().map_err(|e| hdf5_error(path, at, e))?;
    for member in names {
        budget.objects = budget
            .objects
            .checked_sub(1)
            .ok_or_else(|| hdf5_error(path, at, format!("more than {MAX_OBJECTS} objects")))?;
        let here = child_path(at, &member);
        let kind = group
            .loc_type_by_name(&member)
            .map_err(|e| hdf5_error(path, &here, e))?;
        match kind {
            LocationType::Group => {
                let inner = group
                    .group(&member)
                    .map_err(|e| hdf5_error(path, &here, e))?;
                tree.groups
                    .push(read_group(&inner, &member, &here, path, depth + 1, budget)?);
            }
            LocationType::Dataset => {
                let ds = group
                    .dataset(&member)
                    .map_err(|e| hdf5_error(path, &here, e))?;
                tree.datasets
                    .push(read_dataset(&ds, &member, &here, path, budget)?);
            }
            // Named datatypes hold no values.
            _ => {}
        }
    }
    Ok(tree)
}

fn read_dataset(
    ds: &Dataset,
    name: &str,
    at: &str,
    path: &Path,
    budget: &mut Budget,
) -> Result<TreeDataset, IoError> {
    let shape = ds.shape();
    let count = shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|&n| n <= budget.elements)
        .ok_or_else(|| {
            hdf5_error(
                path,
                at,
                format!("shape {shape:?}: more than {MAX_ELEMENTS} elements in the file"),
            )
        })?;
    budget.elements -= count;
    let bad = |e: ::hdf5::Error| hdf5_error(path, at, e);
    let descriptor = ds.dtype().and_then(|t| t.to_descriptor()).map_err(bad)?;
    let values = match descriptor {
        TypeDescriptor::Float(_) => TreeValues::Float(ds.read_raw::<f64>().map_err(bad)?),
        TypeDescriptor::Integer(_) | TypeDescriptor::Unsigned(_) => {
            TreeValues::Int(ds.read_raw::<i64>().map_err(bad)?)
        }
        TypeDescriptor::Boolean => TreeValues::Int(
            ds.read_raw::<bool>()
                .map_err(bad)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        TypeDescriptor::VarLenUnicode => TreeValues::Text(
            ds.read_raw::<VarLenUnicode>()
                .map_err(bad)?
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
        ),
        TypeDescriptor::VarLenAscii => TreeValues::Text(
            ds.read_raw::<VarLenAscii>()
                .map_err(bad)?
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
        ),
        other => TreeValues::Other(other.to_string()),
    };
    Ok(TreeDataset {
        name: name.to_string(),
        shape,
        values,
    })
}
