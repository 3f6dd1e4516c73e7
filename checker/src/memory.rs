//! The memory budget of model checking (`--max-memory`): what a size on the command line means,
//! what the budget is by default, how much memory the process holds, and the one watchdog that
//! stops the searches running when the process passes the budget.
//!
//! A search that outgrows the machine used to be ended by the kernel's OOM killer, with no
//! report at all. A checker should instead stop at a budget and say the verdict is
//! inconclusive, as it does at `--max-states` or `--timeout`. The budget is the whole
//! process's: `check -j 4` runs four searches at once, and it is their sum the kernel sees. So
//! it is measured as the process's resident memory (Linux's `/proc/self/status`, no system
//! dependency), by one thread that looks every 100 ms while a search with a budget runs, and
//! stops every such search running when the process is over: each then ends as it would at a
//! cancel, its verdict inconclusive with [`Bound::Memory`](crate::Bound::Memory), and drops
//! what it explored before the next check starts.
//!
//! Every running search is stopped, not the largest alone: which one grows is not known from
//! outside (stateright does not say how much it holds), and a search stopped for nothing costs
//! a rerun, while one left running may cost the report.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::time::Duration;

/// How often the watchdog reads the process's resident memory. The searches it watches grow
/// by at most a few hundred MB a second, so a tenth of a second passes the budget by little.
const POLL: Duration = Duration::from_millis(100);

/// The part of physical memory the default budget leaves to model checking: the rest is for
/// the system, the other programs, and what a stopped search allocates while it ends.
const DEFAULT_SHARE: (u64, u64) = (3, 4);

/// Parses a memory size: a whole or decimal number with an optional unit, `K`, `M`, `G`, `T`
/// (powers of 1024, as `free -h` and `ulimit` count; `KiB`, `MiB`, `GiB`, `TiB` and a trailing
/// `B` are accepted too), or plain bytes: `8G`, `512M`, `2GiB`, `1.5G`, `1073741824`. The
/// error says what would be right.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let unit = unit.trim();
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => {
            return Err(format!(
                "`{text}` is not a memory size: `{unit}` is not a unit; give bytes or a number \
                 with K, M, G or T (powers of 1024), e.g. 8G, 512M or 2GiB"
            ));
        }
    };
    let bytes = number
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && !number.is_empty())
        .map(|x| x * (1u64 << shift) as f64);
    match bytes {
        Some(b) if b >= 1.0 && b < u64::MAX as f64 => Ok(b.round() as u64),
        Some(_) => Err(format!(
            "`{text}` is not a memory size: give a positive size below 16 EiB, e.g. 8G, 512M or 2GiB"
        )),
        None => Err(format!(
            "`{text}` is not a memory size: give bytes or a number with K, M, G or T (powers \
             of 1024), e.g. 8G, 512M or 2GiB"
        )),
    }
}

/// A size for people, in the largest binary unit it reaches, with at most one decimal and no
/// `.0`: `18 GiB`, `1.5 GiB`, `600 MiB`, `512 B`.
pub fn size_for_people(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {}", UNITS[unit])
}

/// The machine's physical memory, where the system says (Linux: `MemTotal` in
/// `/proc/meminfo`); `None` elsewhere.
pub fn physical_memory() -> Option<u64> {
    kib_field(&std::fs::read_to_string("/proc/meminfo").ok()?, "MemTotal:")
}

/// The budget when none is given: three quarters of the physical memory, or none where that is
/// not known (then only `--max-memory` bounds a search).
pub fn default_limit() -> Option<u64> {
    physical_memory().map(|total| total / DEFAULT_SHARE.1 * DEFAULT_SHARE.0)
}

/// The process's resident memory, where the system says (Linux: `VmRSS` in
/// `/proc/self/status`, which counts every thread's); `None` elsewhere.
pub fn resident_bytes() -> Option<u64> {
    kib_field(
        &std::fs::read_to_string("/proc/self/status").ok()?,
        "VmRSS:",
    )
}

/// The value in bytes of a `Name:   1234 kB` line of a `/proc` file.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line[name.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}

/// One running search's registration with the watchdog.
struct Registration {
    limit: u64,
    /// The search's own stop switch, set by the watchdog so the search stops as soon as it
    /// next looks, not at its next progress tick.
    stop: Arc<AtomicBool>,
    /// Whether the watchdog set it (the switch may also be set by a timeout or a cancel).
    by_memory: AtomicBool,
}

/// The searches with a budget that are running, and the watchdog's wake-up.
struct Registry {
    running: Mutex<Vec<Weak<Registration>>>,
    wake: Condvar,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        std::thread::Builder::new()
            .name("memory-watchdog".to_owned())
            .spawn(watchdog)
            .expect("cannot start the memory watchdog thread");
        Registry {
            running: Mutex::new(Vec::new()),
            wake: Condvar::new(),
        }
    })
}

/// The watchdog: sleeps while no search with a budget runs; otherwise reads the resident
/// memory every [`POLL`] and stops each search whose budget it passes.
fn watchdog() {
    let registry = registry();
    loop {
        let watched: Vec<Arc<Registration>> = {
            let mut running = registry.running.lock().unwrap_or_else(|e| e.into_inner());
            running.retain(|r| r.strong_count() > 0);
            while running.is_empty() {
                running = registry
                    .wake
                    .wait(running)
                    .unwrap_or_else(|e| e.into_inner());
                running.retain(|r| r.strong_count() > 0);
            }
            running.iter().filter_map(Weak::upgrade).collect()
        };
        if let Some(resident) = resident_bytes() {
            for r in watched.iter().filter(|r| resident > r.limit) {
                r.by_memory.store(true, Ordering::Relaxed);
                r.stop.store(true, Ordering::Relaxed);
            }
        }
        // Not holding the registrations while asleep: a search that ended is gone at once.
        drop(watched);
        std::thread::sleep(POLL);
    }
}

/// A running search's watch: while it lives, the watchdog sets `stop` if the process's
/// resident memory passes the budget. Drop it when the search has ended.
pub(crate) struct Watch {
    registration: Option<Arc<Registration>>,
}

impl Watch {
    /// Watches a search that stops when `stop` is set, under `limit` bytes (`None`: no budget,
    /// nothing is watched). Where the process's memory cannot be read, nothing is either.
    pub(crate) fn start(limit: Option<u64>, stop: Arc<AtomicBool>) -> Watch {
        let Some(limit) = limit.filter(|_| resident_bytes().is_some()) else {
            return Watch { registration: None };
        };
        let registration = Arc::new(Registration {
            limit,
            stop,
            by_memory: AtomicBool::new(false),
        });
        let registry = registry();
        registry
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::downgrade(&registration));
        registry.wake.notify_one();
        Watch {
            registration: Some(registration),
        }
    }

    /// The budget, if this search was stopped by it.
    pub(crate) fn stopped_at(&self) -> Option<u64> {
        self.registration
            .as_ref()
            .filter(|r| r.by_memory.load(Ordering::Relaxed))
            .map(|r| r.limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_read_in_binary_units_or_bytes() {
        assert_eq!(parse_size("8G"), Ok(8 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("2gib"), Ok(2 << 30));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("64 KiB"), Ok(64 << 10));
        assert_eq!(parse_size("1073741824"), Ok(1 << 30));
        assert_eq!(parse_size("100B"), Ok(100));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
    }

    #[test]
    fn a_size_that_is_not_one_says_what_would_be() {
        for bad in [
            "", "G", "8X", "eight", "-1G", "0", "0.1", "1.2.3G", "8 G B", "inf",
        ] {
            let e = parse_size(bad).expect_err(bad);
            assert!(e.contains(&format!("`{bad}` is not a memory size")), "{e}");
            assert!(e.contains("e.g. 8G"), "{e}");
        }
        assert!(parse_size("8X").unwrap_err().contains("`X` is not a unit"));
        assert!(parse_size("99999999T").is_err());
    }

    #[test]
    fn sizes_are_said_in_the_largest_unit_they_reach() {
        assert_eq!(size_for_people(18 << 30), "18 GiB");
        assert_eq!(size_for_people(3 << 29), "1.5 GiB");
        assert_eq!(size_for_people(600 << 20), "600 MiB");
        assert_eq!(size_for_people(512), "512 B");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_says_how_much_memory_there_is_and_is_held() {
        let total = physical_memory().expect("MemTotal");
        let resident = resident_bytes().expect("VmRSS");
        assert!(resident > 0 && resident < total, "{resident} of {total}");
        assert_eq!(default_limit(), Some(total / 4 * 3));
    }
}
