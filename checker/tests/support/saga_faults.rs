//! The saga fault options the saga property tests draw from: every combination of the eight
//! options, so each test explores the same fault space.

use microcosm_model::{Outbox, SagaFaults, SagaLog};
use proptest::prelude::*;

/// Any combination of saga faults (the outbox is a choice of two, the saga log of three).
pub fn saga_faults() -> impl Strategy<Value = SagaFaults> {
    (
        any::<[bool; 8]>(),
        prop_oneof![
            Just(SagaLog::None),
            Just(SagaLog::BeforeStep),
            Just(SagaLog::AfterStep)
        ],
    )
        .prop_map(|(f, saga_log)| SagaFaults {
            coordinator_crash: f[0],
            saga_log,
            duplicate_delivery: f[2],
            message_loss: f[3],
            redelivery: f[4],
            compensation_failure: f[5],
            compensation_retry: f[6],
            outbox: if f[7] {
                Outbox::DualWrite
            } else {
                Outbox::Transactional
            },
        })
}
