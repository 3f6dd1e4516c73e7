//! The discrete-event kernel: a priority queue of events keyed by (time, sequence number) in
//! integer nanoseconds, and the generational slab that holds in-flight requests.
//!
//! Keying on the sequence number as well as the time makes the order of simultaneous events the
//! order they were scheduled in, so a run is a pure function of its seed. Events are small
//! `Copy` values and slab slots are reused, so the hot path allocates nothing once the queue and
//! slabs have grown to the run's peak concurrency; a stale event (one that refers to a request
//! since finished, or to an attempt since superseded) is recognised by its slot's generation and
//! dropped, which is how timeouts and abandoned calls are cancelled without searching the queue.

/// Simulated time, in nanoseconds since the start of the run.
pub type Time = u64;

/// A reference to a slab slot: its index and the generation it had when referenced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ref {
    /// The slot's index in the slab.
    pub idx: u32,
    /// The slot's generation when this reference was taken; a mismatch means the slot was freed.
    pub gen_: u32,
}

#[derive(Debug)]
struct Slot<T> {
    gen_: u32,
    live: bool,
    value: T,
}

/// A generational arena: `insert` reuses freed slots, and a [`Ref`] taken before a slot was
/// freed no longer resolves.
#[derive(Debug)]
pub struct Slab<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    live: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
        }
    }
}

impl<T> Slab<T> {
    /// Stores `value` and returns a reference to it.
    #[inline]
    pub fn insert(&mut self, value: T) -> Ref {
        self.live += 1;
        if let Some(idx) = self.free.pop() {
            let slot = &mut self.slots[idx as usize];
            slot.live = true;
            slot.value = value;
            Ref {
                idx,
                gen_: slot.gen_,
            }
        } else {
            let idx = self.slots.len() as u32;
            self.slots.push(Slot {
                gen_: 0,
                live: true,
                value,
            });
            Ref { idx, gen_: 0 }
        }
    }

    /// The value `r` refers to, if it is still live.
    #[inline]
    pub fn get(&self, r: Ref) -> Option<&T> {
        match self.slots.get(r.idx as usize) {
            Some(s) if s.live && s.gen_ == r.gen_ => Some(&s.value),
            _ => None,
        }
    }

    /// The value `r` refers to, mutably, if it is still live.
    #[inline]
    pub fn get_mut(&mut self, r: Ref) -> Option<&mut T> {
        match self.slots.get_mut(r.idx as usize) {
            Some(s) if s.live && s.gen_ == r.gen_ => Some(&mut s.value),
            _ => None,
        }
    }

    /// The live value in slot `idx` (callers that hold a live reference by construction).
    #[inline]
    pub fn at(&self, idx: u32) -> &T {
        &self.slots[idx as usize].value
    }

    /// Mutable access to slot `idx`.
    #[inline]
    pub fn at_mut(&mut self, idx: u32) -> &mut T {
        &mut self.slots[idx as usize].value
    }

    /// The current reference to slot `idx`, if live.
    #[inline]
    pub fn ref_of(&self, idx: u32) -> Option<Ref> {
        let s = self.slots.get(idx as usize)?;
        s.live.then_some(Ref { idx, gen_: s.gen_ })
    }

    /// Frees the slot `r` refers to; every outstanding reference to it goes stale.
    #[inline]
    pub fn remove(&mut self, r: Ref) -> bool {
        match self.slots.get_mut(r.idx as usize) {
            Some(s) if s.live && s.gen_ == r.gen_ => {
                s.live = false;
                s.gen_ = s.gen_.wrapping_add(1);
                self.free.push(r.idx);
                self.live -= 1;
                true
            }
            _ => false,
        }
    }

    /// Live values.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether nothing is live.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Slots ever allocated (the peak concurrency).
    pub fn capacity_used(&self) -> usize {
        self.slots.len()
    }

    /// Live references in slot order.
    pub fn live_refs(&self) -> Vec<Ref> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.live)
            .map(|(i, s)| Ref {
                idx: i as u32,
                gen_: s.gen_,
            })
            .collect()
    }

    /// Live values in slot order.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter(|s| s.live).map(|s| &s.value)
    }
}

/// The future event list: a 4-ary min-heap whose keys (time in the high 64 bits, sequence
/// number in the low, so one comparison orders both) live apart from the events. A sift
/// compares four children that share one cache line, and only touches the events it moves;
/// at the few hundred pending events of a microservice run this halves the cost of a pop
/// against `BinaryHeap` of (key, event) pairs.
pub struct EventQueue<E> {
    keys: Vec<u128>,
    events: Vec<E>,
    seq: u64,
}

impl<E> std::fmt::Debug for EventQueue<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventQueue")
            .field("pending", &self.keys.len())
            .field("scheduled", &self.seq)
            .finish()
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            keys: Vec::new(),
            events: Vec::new(),
            seq: 0,
        }
    }
}

const ARITY: usize = 4;

impl<E: Copy> EventQueue<E> {
    /// Schedules `event` at `time`, after every event already scheduled for that time.
    #[inline]
    pub fn push(&mut self, time: Time, event: E) {
        let key = (u128::from(time) << 64) | u128::from(self.seq);
        self.seq += 1;
        let mut i = self.keys.len();
        self.keys.push(key);
        self.events.push(event);
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.keys[parent] <= key {
                break;
            }
            self.keys[i] = self.keys[parent];
            self.events[i] = self.events[parent];
            i = parent;
        }
        self.keys[i] = key;
        self.events[i] = event;
    }

    /// The time of the next event.
    #[inline]
    pub fn peek_time(&self) -> Option<Time> {
        self.keys.first().map(|k| (k >> 64) as Time)
    }

    /// Removes the next event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Time, E)> {
        let n = self.keys.len();
        if n == 0 {
            return None;
        }
        let top = (self.keys[0], self.events[0]);
        let key = self.keys[n - 1];
        let event = self.events[n - 1];
        self.keys.pop();
        self.events.pop();
        let n = n - 1;
        if n > 0 {
            let mut i = 0;
            loop {
                let first = i * ARITY + 1;
                if first >= n {
                    break;
                }
                let last = (first + ARITY).min(n);
                let mut best = first;
                let mut best_key = self.keys[first];
                for c in first + 1..last {
                    let k = self.keys[c];
                    if k < best_key {
                        best = c;
                        best_key = k;
                    }
                }
                if best_key >= key {
                    break;
                }
                self.keys[i] = best_key;
                self.events[i] = self.events[best];
                i = best;
            }
            self.keys[i] = key;
            self.events[i] = event;
        }
        Some(((top.0 >> 64) as Time, top.1))
    }

    /// Events pending.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simultaneous_events_keep_their_scheduling_order() {
        let mut q = EventQueue::default();
        q.push(5, 'c');
        q.push(1, 'a');
        q.push(5, 'd');
        q.push(1, 'b');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ['a', 'b', 'c', 'd']);
    }

    #[test]
    fn the_heap_pops_in_time_then_sequence_order() {
        // A deterministic shuffle of times with many ties.
        let mut q = EventQueue::default();
        let mut x: u64 = 12345;
        let mut pushed = Vec::new();
        for i in 0..2000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let t = (x >> 33) % 97;
            q.push(t, i);
            pushed.push((t, i));
        }
        pushed.sort();
        let popped: Vec<(u64, u32)> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(popped, pushed);
        assert!(q.is_empty());
    }

    #[test]
    fn a_freed_slot_invalidates_old_references() {
        let mut s = Slab::default();
        let a = s.insert(1);
        assert!(s.remove(a));
        let b = s.insert(2);
        assert_eq!(a.idx, b.idx, "the slot is reused");
        assert_eq!(s.get(a), None);
        assert_eq!(s.get(b), Some(&2));
        assert!(!s.remove(a));
        assert_eq!(s.len(), 1);
    }
}
