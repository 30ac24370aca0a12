//! The collector every configuration is read through: small typed readers over a lookup function,
//! each recording a [`VariableProblem`] for a missing or malformed variable and carrying on, so that
//! [`Variables::finish`] names every problem at once.

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use super::{ConfigError, VariableProblem};

/// Variables read through a lookup, and the problems found so far.
pub struct Variables<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<VariableProblem>,
}

impl<'a> Variables<'a> {
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            lookup,
            problems: Vec::new(),
        }
    }

    /// The value when set and not blank (as given: readers trim where the value allows it).
    pub fn optional(&self, name: &'static str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.trim().is_empty())
    }

    /// The value, or a problem saying it is not set.
    pub fn required(&mut self, name: &'static str) -> Option<String> {
        let value = self.optional(name);
        if value.is_none() {
            self.problem(name, "is not set");
        }
        value
    }

    /// `value` through `parse`, whose error becomes the variable's problem.
    pub fn parsed<T, E: fmt::Display>(
        &mut self,
        name: &'static str,
        value: Option<String>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        match parse(&value?) {
            Ok(parsed) => Some(parsed),
            Err(error) => {
                self.problem(name, error.to_string());
                None
            }
        }
    }

    /// An optional variable through `parse`: `None` when it is not set or was refused.
    pub fn optional_parsed<T, E: fmt::Display>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let value = self.optional(name);
        self.parsed(name, value, parse)
    }

    /// A required variable through `parse`: `None` only with a problem recorded.
    pub fn required_parsed<T, E: fmt::Display>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let value = self.required(name);
        self.parsed(name, value, parse)
    }

    /// A yes-or-no variable: false when not set, else one of the given words (trimmed); anything
    /// else is a problem saying it `must be {expected}`.
    pub fn flag(
        &mut self,
        name: &'static str,
        truthy: &[&str],
        falsy: &[&str],
        expected: &str,
    ) -> bool {
        let value = self.optional(name);
        match value.as_deref().map(str::trim) {
            None => false,
            Some(word) if falsy.contains(&word) => false,
            Some(word) if truthy.contains(&word) => true,
            Some(other) => {
                self.problem(name, format!("must be {expected} (got {other:?})"));
                false
            }
        }
    }

    /// A number within `range`, `default` when not set; anything else is a problem saying it must
    /// be `{what} from {start} to {end}`.
    pub fn number_in<N>(
        &mut self,
        name: &'static str,
        range: RangeInclusive<N>,
        default: N,
        what: &str,
    ) -> N
    where
        N: FromStr + PartialOrd + fmt::Display + Copy,
    {
        let Some(value) = self.optional(name) else {
            return default;
        };
        match value.trim().parse::<N>() {
            Ok(n) if range.contains(&n) => n,
            _ => {
                self.problem(
                    name,
                    format!(
                        "must be {what} from {} to {} (got {value:?})",
                        range.start(),
                        range.end()
                    ),
                );
                default
            }
        }
    }

    /// Records a problem found by a reader of its own (several variables that go together).
    pub fn problem(&mut self, variable: &'static str, problem: impl Into<String>) {
        self.problems.push(VariableProblem {
            variable,
            problem: problem.into(),
        });
    }

    /// The configuration, or every problem found. Readers return `None` for a required part only
    /// with a problem recorded, so `value` is `Some` whenever no problem was.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, ConfigError> {
        match value {
            Some(value) if self.problems.is_empty() => Ok(value),
            _ => Err(ConfigError {
                problems: self.problems,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read<T>(
        pairs: &[(&str, &str)],
        reader: impl FnOnce(&mut Variables<'_>) -> T,
    ) -> (T, Vec<VariableProblem>) {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |name: &str| map.get(name).cloned();
        let mut variables = Variables::new(&lookup);
        let value = reader(&mut variables);
        (value, variables.problems)
    }

    #[test]
    fn a_blank_variable_is_not_set() {
        let (value, problems) = read(&[("A", "  ")], |v| v.required("A"));
        assert_eq!(value, None);
        assert_eq!(problems[0].problem, "is not set");
    }

    #[test]
    fn every_reader_records_its_problem_and_the_next_still_reads() {
        let (values, problems) = read(&[("N", "7"), ("F", "maybe"), ("P", "x")], |v| {
            (
                v.number_in("N", 10..=20, 15_u32, "a number"),
                v.flag("F", &["1"], &["0"], "1 or 0"),
                v.required_parsed("P", |s| s.parse::<u8>()),
                v.required("R"),
            )
        });
        assert_eq!(values, (15, false, None, None));
        let named: Vec<_> = problems.iter().map(|p| p.variable).collect();
        assert_eq!(named, ["N", "F", "P", "R"]);
        assert_eq!(
            problems[0].problem,
            "must be a number from 10 to 20 (got \"7\")"
        );
        assert_eq!(problems[1].problem, "must be 1 or 0 (got \"maybe\")");
    }

    #[test]
    fn a_number_in_range_and_a_known_word_are_read() {
        let (values, problems) = read(&[("N", " 12 "), ("F", " 1 ")], |v| {
            (
                v.number_in("N", 10..=20, 15_u32, "a number"),
                v.flag("F", &["1"], &["0"], "1 or 0"),
                v.number_in("M", 10..=20, 15_u32, "a number"),
            )
        });
        assert_eq!(values, (12, true, 15));
        assert!(problems.is_empty());
    }

    #[test]
    fn finishing_with_problems_lists_them_all() {
        let lookup = |_: &str| None;
        let mut variables = Variables::new(&lookup);
        let a = variables.required("A");
        let b = variables.required("B");
        let error = variables.finish(a.zip(b)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "configuration is invalid: A is not set; B is not set"
        );
    }
}
