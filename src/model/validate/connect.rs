//! Validation of a projection's `connect` rule: the named rules, fixed
//! totals, connection lists read from files and dense matrices.

use std::ops::Range;

use toml::{Spanned, Value};

use super::{Result, Validator, span_of};
use crate::io::stimuli;
use crate::model::spec::{ConnectRule, ListedSynapse};
use crate::model::units::{Dimension, in_range};

impl Validator<'_> {
    pub(super) fn connect(
        &self,
        c: &Spanned<Value>,
        n_pre: u32,
        n_post: u32,
        field: &str,
    ) -> Result<(ConnectRule, Option<Dimension>)> {
        let span = span_of(c);
        let usage = "expected \"all_to_all\", \"one_to_one\", { fixed_probability = p }, { fixed_indegree = k }, { fixed_total_number = n } (optionally with multapses = false), { list = \"FILE.csv\" } or { dense = [[...]] }";
        match c.get_ref() {
            Value::String(s) if s == "all_to_all" => Ok((ConnectRule::AllToAll, None)),
            Value::String(s) if s == "one_to_one" => {
                if n_pre != n_post {
                    return Err(self.err(
                        span,
                        field,
                        format!("one_to_one needs equal sizes, got {n_pre} and {n_post}"),
                    ));
                }
                Ok((ConnectRule::OneToOne, None))
            }
            Value::Table(t) if t.contains_key("fixed_total_number") => Ok((
                self.fixed_total_number(t, n_pre, n_post, span, field)?,
                None,
            )),
            Value::Table(t) if t.len() == 1 => {
                let (key, body) = t.iter().next().expect("one entry");
                match key.as_str() {
                    "fixed_probability" => {
                        let p = body.as_float().or(body.as_integer().map(|i| i as f64));
                        match p {
                            Some(p) if (0.0..=1.0).contains(&p) => Ok((ConnectRule::FixedProbability(p), None)),
                            _ => Err(self.err(span, field, format!("fixed_probability must be a number in [0, 1], got {body}"))),
                        }
                    }
                    "fixed_indegree" => match body.as_integer() {
                        Some(k) if k >= 0 && k <= n_pre as i64 => Ok((ConnectRule::FixedIndegree(k as u32), None)),
                        _ => Err(self.err(
                            span,
                            field,
                            format!("fixed_indegree must be an integer in [0, {n_pre}] (the source size), got {body}"),
                        )),
                    },
                    "list" => {
                        let Value::String(path) = body else {
                            return Err(self.err(span, field, "list takes a file name"));
                        };
                        let path = self.file(&Spanned::new(c.span(), path.clone()), field)?;
                        let (rows, dim) = stimuli::read_connection_list(&path).map_err(|e| self.err(span.clone(), field, e))?;
                        let mut syns = Vec::with_capacity(rows.len());
                        for (pre, post, weight, delay) in rows {
                            if pre >= n_pre || post >= n_post {
                                return Err(self.err(
                                    span,
                                    field,
                                    format!("{}: synapse {pre} -> {post} is out of range ({n_pre} sources, {n_post} targets)", path.display()),
                                ));
                            }
                            syns.push(ListedSynapse { pre, post, weight, delay });
                        }
                        Ok((ConnectRule::List(syns), dim))
                    }
                    "dense" => Ok((ConnectRule::Dense(self.dense(body, n_pre, n_post, span, field)?), None)),
                    _ => Err(self.err(span, field, usage)),
                }
            }
            _ => Err(self.err(span, field, usage)),
        }
    }

    /// `{ fixed_total_number = n, multapses = bool }`: without multapses,
    /// at most one synapse per pair, so `n` cannot exceed the pairs (the
    /// diagonal is counted out later when autapses are off).
    fn fixed_total_number(
        &self,
        t: &toml::Table,
        n_pre: u32,
        n_post: u32,
        span: Option<Range<usize>>,
        field: &str,
    ) -> Result<ConnectRule> {
        if let Some(key) = t
            .keys()
            .find(|k| !["fixed_total_number", "multapses"].contains(&k.as_str()))
        {
            return Err(self.err(
                span,
                field,
                format!("fixed_total_number takes only `multapses` besides the count, got `{key}`"),
            ));
        }
        let multapses = match t.get("multapses") {
            None => true,
            Some(Value::Boolean(b)) => *b,
            Some(other) => {
                return Err(self.err(
                    span,
                    field,
                    format!("multapses must be true or false, got {other}"),
                ));
            }
        };
        let body = &t["fixed_total_number"];
        let pairs = n_pre as u64 * n_post as u64;
        let total = match body.as_integer() {
            Some(n) if n >= 0 => n as u64,
            _ => {
                return Err(self.err(
                    span,
                    field,
                    format!("fixed_total_number must be a non-negative integer, got {body}"),
                ));
            }
        };
        if total > 0 && pairs == 0 {
            return Err(self.err(
                span,
                field,
                format!("fixed_total_number = {total} between {n_pre} sources and {n_post} targets: there is no pair to connect"),
            ));
        }
        if !multapses && total > pairs {
            return Err(self.err(
                span,
                field,
                format!("fixed_total_number = {total} without multapses exceeds the {pairs} pairs of {n_pre} sources and {n_post} targets"),
            ));
        }
        Ok(ConnectRule::FixedTotalNumber { total, multapses })
    }

    fn dense(
        &self,
        body: &Value,
        n_pre: u32,
        n_post: u32,
        span: Option<Range<usize>>,
        field: &str,
    ) -> Result<Vec<Vec<f64>>> {
        let shape_error = || {
            self.err(
                span.clone(),
                field,
                format!("dense must be {n_post} rows (targets) of {n_pre} numbers (sources)"),
            )
        };
        let rows = body
            .as_array()
            .filter(|r| r.len() == n_post as usize)
            .ok_or_else(shape_error)?;
        rows.iter()
            .map(|row| {
                let row = row
                    .as_array()
                    .filter(|r| r.len() == n_pre as usize)
                    .ok_or_else(shape_error)?;
                row.iter()
                    .map(|x| {
                        x.as_float()
                            .or(x.as_integer().map(|i| i as f64))
                            .filter(|x| x.is_finite() && in_range(*x))
                            .ok_or_else(shape_error)
                    })
                    .collect()
            })
            .collect()
    }
}
