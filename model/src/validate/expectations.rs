//! Expected verdicts, the gate's pinned outcomes. Owns the rule that each key of
//! `[expected_verdicts]` is a check id (`SUBJECT/rule.id` or `rule.id`) whose subject is a declared
//! transaction, experiment, policy or service.
//!
//! Calls the helpers in `rules.rs`. Which rule ids exist is known only to the engines, so only the
//! shape and the subject are checked here. Separate because it refers to every other part and runs
//! after all of them.

use super::{Validator, root};
use crate::diagnostic::codes;
use crate::source::Target;

impl Validator<'_> {
    pub(super) fn expected_verdicts(&mut self) {
        for check in self.s.expected_verdicts.keys() {
            // Check ids are `subject/rule.id` or a bare `rule.id`; which subjects and rules exist
            // is known to the engines, so the gate reports ids no check produced.
            let (subject, rule) = check.rsplit_once('/').unwrap_or(("", check));
            let subject_ok = subject.is_empty()
                || self.s.transactions.contains_key(subject)
                || self.s.experiments.contains_key(subject)
                || self.s.policies.contains_key(subject)
                || self.s.services.contains_key(subject);
            if rule.is_empty() || !rule.contains('.') {
                self.push_help(
                    codes::INCONSISTENT,
                    root().key("expected_verdicts").key(check),
                    Target::Key,
                    format!("`{check}` is not a check id"),
                    "check ids look like \"TRANSACTION/2pc.termination\" or \"EXPERIMENT/slo.NAME\"",
                );
            } else if !subject_ok {
                let names = self
                    .s
                    .transactions
                    .keys()
                    .chain(self.s.experiments.keys())
                    .map(String::as_str);
                self.unresolved(
                    root().key("expected_verdicts").key(check),
                    Target::Key,
                    "transaction or experiment",
                    subject,
                    names,
                );
            }
        }
    }
}
