//! Task sequences over a labelled dataset whose samples are addressed by
//! index and whose inputs are channels (pixels, SHD units, ...).

use rand::seq::SliceRandom;
use thiserror::Error;

use crate::engine::rng;

#[derive(Debug, Error, PartialEq)]
/// An invalid task setting or task lookup.
pub enum TaskError {
    #[error("tasks: `{field}` {message}")]
    /// A setting is invalid.
    Invalid {
        /// The setting.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    #[error("tasks: task {task} does not exist (the sequence has {tasks} tasks)")]
    /// A task beyond the sequence.
    NoSuchTask {
        /// The task asked for.
        task: usize,
        /// Number of tasks.
        tasks: usize,
    },
    #[error("tasks: label {label} is outside the {classes} classes")]
    /// A label beyond the classes.
    NoSuchClass {
        /// The label asked for.
        label: usize,
        /// Number of classes.
        classes: usize,
    },
}

fn invalid(field: &'static str, message: impl Into<String>) -> TaskError {
    TaskError::Invalid {
        field,
        message: message.into(),
    }
}

/// The PMNIST protocol: every task sees all samples and classes with its
/// own fixed permutation of the input channels, and a shared head.
///
/// Task 0 is permuted like the others by default, as in the GEM/GPM/HLOP
/// PMNIST scripts (every task draws `randperm`); `identity_first` keeps the
/// original channel order for task 0 instead (the variant of some other
/// papers).
#[derive(Debug, Clone, PartialEq)]
pub struct PermutedTasks {
    /// `maps[t][c]`: the original channel that task `t`'s channel `c` reads.
    maps: Vec<Vec<usize>>,
}

impl PermutedTasks {
    /// The `tasks` tasks of `channels` input channels, each with its own permutation drawn from
    /// `seed`.
    pub fn new(
        channels: usize,
        tasks: usize,
        seed: u64,
        identity_first: bool,
    ) -> Result<Self, TaskError> {
        if channels == 0 {
            return Err(invalid("channels", "must be at least 1"));
        }
        if tasks == 0 {
            return Err(invalid("tasks", "must be at least 1"));
        }
        let maps = (0..tasks)
            .map(|t| {
                let mut map: Vec<usize> = (0..channels).collect();
                if !(identity_first && t == 0) {
                    let mut stream = rng::stream(seed, "continual", &format!("permutation{t}"));
                    map.shuffle(&mut stream);
                }
                map
            })
            .collect();
        Ok(Self { maps })
    }

    /// Number of tasks.
    pub fn tasks(&self) -> usize {
        self.maps.len()
    }

    /// Task `task`'s channel map (`map[c]` = original channel read).
    pub fn map(&self, task: usize) -> Result<&[usize], TaskError> {
        self.maps
            .get(task)
            .map(Vec::as_slice)
            .ok_or(TaskError::NoSuchTask {
                task,
                tasks: self.tasks(),
            })
    }

    /// A dense input (one value per channel) as task `task` sees it.
    pub fn permute<T: Copy>(&self, task: usize, input: &[T]) -> Result<Vec<T>, TaskError> {
        let map = self.map(task)?;
        if input.len() != map.len() {
            return Err(invalid(
                "input",
                format!("has {} channels, expected {}", input.len(), map.len()),
            ));
        }
        Ok(map.iter().map(|&c| input[c]).collect())
    }

    /// For event data: the channel an event on original channel `channel`
    /// moves to in task `task` (the inverse map).
    pub fn relabel_channels(&self, task: usize) -> Result<Vec<usize>, TaskError> {
        let map = self.map(task)?;
        let mut inverse = vec![0; map.len()];
        for (c, &original) in map.iter().enumerate() {
            inverse[original] = c;
        }
        Ok(inverse)
    }
}

/// How the class-split tasks read out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    /// One output per class of the whole dataset; all tasks share it.
    Shared,
    /// One head per task: labels become positions within the task's group,
    /// or, with one output layer, the other tasks' outputs are masked.
    PerTask,
    /// One head of `classes_per_task` outputs that every task uses, labels
    /// being positions within the task's group (domain-incremental: the
    /// task is not told, only its classes change).
    Within,
}

/// Class-incremental splits: task `t` holds `classes_per_task` consecutive
/// classes (CIFAR-100 10×10, split spike-digits 5×2).
#[derive(Debug, Clone, PartialEq)]
pub struct ClassSplit {
    classes: usize,
    per_task: usize,
    /// One shared output head, or one per task.
    pub head: Head,
}

impl ClassSplit {
    /// Tasks of `classes_per_task` classes out of `classes`, in label order.
    pub fn new(classes: usize, classes_per_task: usize, head: Head) -> Result<Self, TaskError> {
        if classes_per_task == 0 {
            return Err(invalid("classes_per_task", "must be at least 1"));
        }
        if classes == 0 || !classes.is_multiple_of(classes_per_task) {
            return Err(invalid(
                "classes",
                format!("{classes} classes do not split into groups of {classes_per_task}"),
            ));
        }
        Ok(Self {
            classes,
            per_task: classes_per_task,
            head,
        })
    }

    /// Number of tasks.
    pub fn tasks(&self) -> usize {
        self.classes / self.per_task
    }

    /// The classes of task `task`.
    pub fn classes_of(&self, task: usize) -> Result<std::ops::Range<usize>, TaskError> {
        if task >= self.tasks() {
            return Err(TaskError::NoSuchTask {
                task,
                tasks: self.tasks(),
            });
        }
        Ok(task * self.per_task..(task + 1) * self.per_task)
    }

    /// The task that holds class `label`.
    pub fn task_of(&self, label: usize) -> Result<usize, TaskError> {
        if label >= self.classes {
            return Err(TaskError::NoSuchClass {
                label,
                classes: self.classes,
            });
        }
        Ok(label / self.per_task)
    }

    /// Indices of the samples (with the given labels) that belong to `task`.
    pub fn samples_of(&self, task: usize, labels: &[usize]) -> Result<Vec<usize>, TaskError> {
        let range = self.classes_of(task)?;
        Ok((0..labels.len())
            .filter(|&i| range.contains(&labels[i]))
            .collect())
    }

    /// Outputs the network needs: all classes with a shared head, one
    /// group's worth with separate per-task heads.
    pub fn outputs(&self) -> usize {
        match self.head {
            Head::Shared => self.classes,
            Head::PerTask | Head::Within => self.per_task,
        }
    }

    /// The training target of a sample: the class itself with a shared
    /// head, its position within the task's group with per-task heads.
    pub fn target(&self, label: usize) -> Result<usize, TaskError> {
        self.task_of(label)?;
        Ok(match self.head {
            Head::Shared => label,
            Head::PerTask | Head::Within => label % self.per_task,
        })
    }

    /// With one output layer of all classes used as per-task heads: keep
    /// only task `task`'s outputs (the others become −∞), so the softmax
    /// and the argmax run over the task's classes.
    pub fn mask_outputs(&self, task: usize, outputs: &mut [f64]) -> Result<(), TaskError> {
        let range = self.classes_of(task)?;
        if outputs.len() != self.classes {
            return Err(invalid(
                "outputs",
                format!("has {} values, expected {}", outputs.len(), self.classes),
            ));
        }
        for (c, o) in outputs.iter_mut().enumerate() {
            if !range.contains(&c) {
                *o = f64::NEG_INFINITY;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_seeded_bijections_distinct_per_task() {
        let a = PermutedTasks::new(784, 10, 2022, false).unwrap();
        assert_eq!(a, PermutedTasks::new(784, 10, 2022, false).unwrap());
        assert_ne!(a, PermutedTasks::new(784, 10, 7, false).unwrap());
        for t in 0..10 {
            let mut sorted = a.map(t).unwrap().to_vec();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..784).collect::<Vec<_>>());
            for u in 0..t {
                assert_ne!(a.map(t).unwrap(), a.map(u).unwrap());
            }
        }
        // Task 0 is permuted by default, the identity on request, and the
        // later tasks do not depend on that choice.
        let identity: Vec<usize> = (0..784).collect();
        assert_ne!(a.map(0).unwrap(), identity);
        let b = PermutedTasks::new(784, 10, 2022, true).unwrap();
        assert_eq!(b.map(0).unwrap(), identity);
        assert_eq!(b.map(3).unwrap(), a.map(3).unwrap());
    }

    #[test]
    fn permuting_inputs_and_relabelling_events_agree() {
        let p = PermutedTasks::new(6, 2, 1, false).unwrap();
        let input = [10, 11, 12, 13, 14, 15];
        let seen = p.permute(1, &input).unwrap();
        let inverse = p.relabel_channels(1).unwrap();
        // An event on original channel c lands where the dense input has c.
        for (c, &value) in input.iter().enumerate() {
            assert_eq!(seen[inverse[c]], value);
        }
        assert!(p.permute(1, &input[..5]).is_err());
        assert_eq!(
            p.map(2).unwrap_err(),
            TaskError::NoSuchTask { task: 2, tasks: 2 }
        );
    }

    #[test]
    fn class_split_groups_consecutive_classes() {
        let split = ClassSplit::new(10, 2, Head::PerTask).unwrap();
        assert_eq!(split.tasks(), 5);
        assert_eq!(split.classes_of(3).unwrap(), 6..8);
        assert_eq!(split.task_of(7).unwrap(), 3);
        assert_eq!(split.target(7).unwrap(), 1);
        assert_eq!(split.outputs(), 2);
        let labels = [0, 7, 6, 1, 9, 6];
        assert_eq!(split.samples_of(3, &labels).unwrap(), [1, 2, 5]);
        let mut out = [1.0; 10];
        split.mask_outputs(3, &mut out).unwrap();
        let kept: Vec<usize> = (0..10).filter(|&c| out[c].is_finite()).collect();
        assert_eq!(kept, [6, 7]);

        let shared = ClassSplit::new(10, 2, Head::Shared).unwrap();
        assert_eq!((shared.target(7).unwrap(), shared.outputs()), (7, 10));
        assert!(ClassSplit::new(10, 3, Head::Shared).is_err());
        assert!(ClassSplit::new(10, 0, Head::Shared).is_err());
        assert_eq!(
            split.task_of(10).unwrap_err(),
            TaskError::NoSuchClass {
                label: 10,
                classes: 10
            }
        );
    }
}
