//! `microcosm merge`: combine the shard reports of one `simulate --shard K/N` plan into the
//! report a single machine would have written — byte for byte, because the merged items go
//! through the same rendering as an unsharded run.

use std::collections::BTreeMap;

use anyhow::{Context, bail};

use crate::Outcome;
use crate::cli::MergeArgs;
use crate::simulate::{Item, Plan, finish};

pub fn run(args: &MergeArgs) -> anyhow::Result<Outcome> {
    let mut plan: Option<Plan> = None;
    let mut items: BTreeMap<usize, Item> = BTreeMap::new();
    for path in &args.reports {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
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
