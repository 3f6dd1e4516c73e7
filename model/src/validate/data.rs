//! D: data stores. Owns the rules on `[data_stores]`: valid names, an owner that is a declared
//! service, and entities listed once. (Whether a service's `data` names a declared store is a
//! service's rule, in `services.rs`.)
//!
//! Calls the helpers in `rules.rs`. Separate, though small, so each part of the seven-tuple has one
//! file to look in.

use super::{Validator, root};
use crate::source::Target;

impl Validator<'_> {
    pub(super) fn data_stores(&mut self) {
        for (name, store) in &self.s.data_stores {
            let at = root().key("data_stores").key(name);
            self.name(at.clone(), "data store", name);
            if let Some(owner) = &store.owner {
                self.service(at.key("owner"), Target::Value, owner);
            }
            self.duplicates(&at.key("entities"), "entity", &store.entities);
        }
    }
}
