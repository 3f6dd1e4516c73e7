//! N: the network. Owns the rules on `[network]`: latency and cross-zone latency distributions,
//! loss, zones (valid names, listed once), per-link overrides and the mesh's security policy, and
//! the `"caller -> callee"` edge patterns (`edge_pattern`) that links, policies and latency faults
//! are keyed by.
//!
//! Calls the helpers in `rules.rs` and [`crate::edge`]; `configuration.rs` and `experiments.rs`
//! call `edge_pattern`. Separate because the network is its own part of the seven-tuple, and edge
//! patterns need one home.

use super::{Validator, root};
use crate::diagnostic::codes;
use crate::edge::{EdgePattern, glob_match};
use crate::source::{Pointer, Target};

impl Validator<'_> {
    /// Checks a `"caller -> callee"` key whose sides are services or globs over services.
    pub(super) fn edge_pattern(
        &mut self,
        at: Pointer,
        target: Target,
        text: &str,
    ) -> Option<EdgePattern> {
        let pattern = match EdgePattern::parse(text) {
            Ok(p) => p,
            Err(e) => {
                self.push(codes::INCONSISTENT, at, target, e.0);
                return None;
            }
        };
        let mut ok = true;
        for side in [&pattern.caller, &pattern.callee] {
            if side.contains('*') {
                if !self.s.services.keys().any(|s| glob_match(side, s)) {
                    self.push(
                        codes::UNRESOLVED,
                        at.clone(),
                        target,
                        format!("`{side}` matches no service"),
                    );
                    ok = false;
                }
            } else if !self.service(at.clone(), target, side) {
                ok = false;
            }
        }
        ok.then_some(pattern)
    }

    pub(super) fn network(&mut self) {
        let n = &self.s.network;
        let at = root().key("network");
        if let Some(d) = &n.latency {
            self.distribution(&at.key("latency"), d);
        }
        if let Some(d) = &n.cross_zone_latency {
            self.distribution(&at.key("cross_zone_latency"), d);
        }
        self.probability(at.key("loss"), "`loss`", n.loss);
        self.duplicates(&at.key("zones"), "zone", &n.zones);
        for (i, zone) in n.zones.iter().enumerate() {
            self.name_at(at.key("zones").index(i), Target::Value, "zone", zone);
        }
        for (key, link) in &n.links {
            let l_at = at.key("links").key(key);
            self.edge_pattern(l_at.clone(), Target::Key, key);
            if let Some(d) = &link.latency {
                self.distribution(&l_at.key("latency"), d);
            }
            if let Some(loss) = link.loss {
                self.probability(l_at.key("loss"), "`loss`", loss);
            }
        }
        if let Some(sec) = &n.security {
            let s_at = at.key("security");
            for (i, rule) in sec.allow.iter().enumerate() {
                self.edge_pattern(s_at.key("allow").index(i), Target::Value, rule);
            }
            for (i, service) in sec.plaintext.iter().enumerate() {
                self.service(s_at.key("plaintext").index(i), Target::Value, service);
            }
        }
    }
}
