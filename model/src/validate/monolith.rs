//! The monolith to decompose. Owns the rules on `[monolith]`: it declares functions (an empty one
//! would pass every decomposition check), its calls and data accesses name declared functions,
//! and call weights are positive.
//!
//! Calls the helpers in `rules.rs`. Separate because the monolith is its own input, read by the
//! decomposition analysis rather than by the engines.

use super::rules::WEIGHT;
use super::{Validator, root};
use crate::diagnostic::codes;
use crate::source::Target;

impl Validator<'_> {
    pub(super) fn monolith(&mut self) {
        let Some(m) = &self.s.monolith else { return };
        let at = root().key("monolith");
        // A CSV that could not be read keeps its name here and was reported already.
        if m.functions.is_empty() && m.calls_csv.is_none() && m.data_csv.is_none() {
            self.push_help(
                codes::EMPTY,
                at.clone(),
                Target::Key,
                "the monolith has no functions".to_owned(),
                "declare `[monolith.functions]` or calls (inline, or from `calls_csv`); an \
                 empty monolith would pass every decomposition check",
            );
        }
        let names = || m.functions.keys().map(String::as_str);
        for (i, call) in m.calls.iter().enumerate() {
            let c_at = at.key("calls").index(i);
            for (key, f) in [("from", &call.from), ("to", &call.to)] {
                if !m.functions.contains_key(f) {
                    self.unresolved(
                        c_at.key(key),
                        Target::Value,
                        "monolith function",
                        f,
                        names(),
                    );
                }
            }
            self.positive(c_at.key("weight"), "`weight`", call.weight, WEIGHT);
        }
        for (i, access) in m.data.iter().enumerate() {
            if !m.functions.contains_key(&access.function) {
                let a_at = at.key("data").index(i).key("function");
                self.unresolved(
                    a_at,
                    Target::Value,
                    "monolith function",
                    &access.function,
                    names(),
                );
            }
        }
    }
}
