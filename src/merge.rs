//! `microcosm merge`: combine the shard reports of one `simulate --shard K/N` plan into the
//! report a single machine would have written — byte for byte, because the merged items go
//! through the same rendering as an unsharded run.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};

use crate::Outcome;
use crate::cli::MergeArgs;
use crate::simulate::{Item, Plan, finish};

/// The largest shard report `merge` reads: far above what a shard of any plan writes, and a
/// bound on the memory a wrong file can take.
const MAX_REPORT_BYTES: u64 = 1 << 30;

/// Reads one shard report. Only a regular file is read: `merge /dev/zero` would otherwise fill
/// memory without end, and a report is always a file `simulate --shard K/N --output` wrote.
fn read_report(path: &Path) -> anyhow::Result<String> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        bail!(
            "{}: not a regular file; merge reads the shard reports that \
             `simulate --shard K/N --format json --output FILE` writes",
            path.display()
        );
    }
    if meta.len() > MAX_REPORT_BYTES {
        bail!(
            "{}: {} bytes is larger than a shard report can be (at most {MAX_REPORT_BYTES})",
            path.display(),
            meta.len()
        );
    }
    // The file may grow after the size was read: never read past the bound.
    let mut text = String::new();
    file.take(MAX_REPORT_BYTES + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if text.len() as u64 > MAX_REPORT_BYTES {
        bail!(
            "{}: larger than a shard report can be (at most {MAX_REPORT_BYTES} bytes)",
            path.display()
        );
    }
    Ok(text)
}

pub fn run(args: &MergeArgs) -> anyhow::Result<Outcome> {
    let mut plan: Option<Plan> = None;
    let mut items: BTreeMap<usize, Item> = BTreeMap::new();
    for path in &args.reports {
        let text = read_report(path)?;
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let record: serde_json::Value = serde_json::from_str(line).with_context(|| {
                format!("{}:{}: not a JSON Lines report", path.display(), n + 1)
            })?;
            let at = || format!("{}:{}", path.display(), n + 1);
            match record["type"].as_str() {
                Some("plan") => {
                    let p: Plan = serde_json::from_value(record["data"].clone())
                        .with_context(|| format!("{}: not a simulate plan", at()))?;
                    match &plan {
                        None => plan = Some(p),
                        Some(q) if *q == p => {}
                        Some(_) => bail!(
                            "{}: this shard belongs to another run (its plan differs from the first shard's)",
                            at()
                        ),
                    }
                }
                Some("replication") => {
                    let item: Item = serde_json::from_value(record["data"].clone())
                        .with_context(|| format!("{}: not a work item", at()))?;
                    if items.insert(item.index, item).is_some() {
                        bail!(
                            "{}: work item given twice (the same shard merged twice?)",
                            at()
                        );
                    }
                }
                _ => {}
            }
        }
    }
    let Some(plan) = plan else {
        bail!("no simulate report among the files given");
    };
    let missing: Vec<usize> = (0..plan.items).filter(|i| !items.contains_key(i)).collect();
    if !missing.is_empty() {
        bail!(
            "{} of {} work items are missing (first: {}); merge every shard of the run",
            missing.len(),
            plan.items,
            missing[0]
        );
    }
    let items: Vec<Item> = items.into_values().collect();
    finish(
        &plan,
        &items,
        args.format,
        args.output.as_deref(),
        args.plot.as_deref(),
        None,
    )
}
