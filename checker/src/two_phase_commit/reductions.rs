//! The reduction the two-phase commit checker may use: participants with the same configuration
//! are interchangeable, so a state stands for its whole orbit under permutations of them, and
//! the checker explores one representative per orbit (stateright's DFS with `.symmetry()`).
//! It reads the state's slots from `model.rs` and nothing else; it is apart from the model so
//! the spec reads as the spec, and beside the saga's and the breaker's reductions in shape.
//! Whether a mode may use it (the sequential modes may not: order matters there) is decided in
//! `properties.rs`.

use super::MAX_PARTICIPANTS;
use super::model::TwoPhaseState;
use stateright::Representative;

/// Participants are interchangeable: the canonical member of a state's orbit has the slots
/// sorted. Sorting whole slots (state, vote recorded, message sent, crashed) rather than only the
/// participant state is what makes the orbit count exact. Slots are sorted in descending order
/// over all [`MAX_PARTICIPANTS`] positions: unused positions are zero, the smallest value, so
/// they stay at the top and the function needs no participant count.
impl Representative for TwoPhaseState {
    fn representative(&self) -> Self {
        let mut slots = [0u8; MAX_PARTICIPANTS];
        for (i, s) in slots.iter_mut().enumerate() {
            *s = self.slot(i) as u8;
        }
        // Insertion sort: at most 11 tiny keys, usually nearly sorted.
        for i in 1..slots.len() {
            let mut j = i;
            while j > 0 && slots[j - 1] < slots[j] {
                slots.swap(j - 1, j);
                j -= 1;
            }
        }
        let mut out = self.without_slots();
        for (i, &s) in slots.iter().enumerate() {
            out.set_slot(i, u64::from(s));
        }
        out
    }
}
