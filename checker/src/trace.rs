//! Counterexamples: the steps of a violating run, each with the acting party, the action and the
//! state fields it changed; rendered as a numbered list or a text message-sequence chart, emitted
//! as JSON, and identified by a replayable trace id that encodes the action path (so
//! `replay(model, id)` rebuilds exactly the same states). A liveness counterexample is a lasso:
//! the run ends in a cycle that repeats forever, or stutters in its last state.

use crate::error::{Error, ErrorKind};
use serde::Serialize;
use stateright::Model;
use std::fmt::{self, Write as _};
use std::str::FromStr;

/// A model that can explain its states and actions to people. Implemented by every protocol so
/// counterexamples read in the scenario's own names ("payments: RmPrepare").
pub trait Describe: Model {
    /// The parties (columns of the message-sequence chart), e.g. the coordinator and each
    /// participant by service name.
    fn parties(&self) -> Vec<String>;

    /// Who performs `action`, what to call it, and which message (if any) it delivers.
    fn describe_action(&self, action: &Self::Action) -> ActionView;

    /// The state as named fields, always the same names in the same order, so two states can be
    /// compared field by field.
    fn describe_state(&self, state: &Self::State) -> Vec<(String, String)>;
}

/// How a step looks to a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionView {
    /// Index into [`Describe::parties`] of the party that acts.
    pub actor: usize,
    /// The action, e.g. `RmPrepare` or `TmRcvPrepared(payments)`.
    pub label: String,
    /// A message this step delivers, as (sender, receiver) party indices.
    pub message: Option<(usize, usize)>,
}

/// A named state field and its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Field {
    /// Field name, e.g. `payments` or `coordinator.votes`.
    pub name: String,
    /// Its value, e.g. `prepared`.
    pub value: String,
}

/// One field that a step changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Field name.
    pub field: String,
    /// Value before the step.
    pub before: String,
    /// Value after the step.
    pub after: String,
}

/// A message delivered by a step, by party name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Message {
    /// Sending party.
    pub from: String,
    /// Receiving party.
    pub to: String,
}

/// One step of a counterexample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// 1-based position in the trace.
    pub number: usize,
    /// The acting party.
    pub party: String,
    /// The action.
    pub action: String,
    /// The message this step delivers, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    /// What changed.
    pub changes: Vec<Change>,
}

/// How a liveness counterexample goes on forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Lasso {
    /// The run stays in its last state forever: no fair action is enabled there.
    Stutter,
    /// Steps `from_step..=last` repeat forever: after the last step the state equals the state
    /// before step `from_step`.
    Cycle {
        /// 1-based number of the first step of the cycle.
        from_step: usize,
    },
}

/// A run that violates a property (or, for a `sometimes` property, reaches a witness).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Counterexample {
    /// The property's id.
    pub property: &'static str,
    /// Replayable id: see [`TraceId`].
    pub trace_id: String,
    /// The parties, in chart column order.
    pub parties: Vec<String>,
    /// The initial state.
    pub initial_state: Vec<Field>,
    /// The steps.
    pub steps: Vec<Step>,
    /// For a liveness violation: how the run continues forever.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lasso: Option<Lasso>,
}

/// A path through a model as indices: which initial state, then which entry of
/// [`Model::actions`] at each step, and for a lasso the state index (0 = initial) that the final
/// state equals. Written `init/a1/a2/…` with an optional `@loop` suffix, e.g. `0/3/0/2@3`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TraceId {
    /// Index into [`Model::init_states`].
    pub init: usize,
    /// Index into [`Model::actions`] of the state before each step.
    pub actions: Vec<usize>,
    /// For a lasso: the state index the run returns to (the last index for stuttering).
    pub loop_to: Option<usize>,
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.init)?;
        for a in &self.actions {
            write!(f, "/{a}")?;
        }
        if let Some(k) = self.loop_to {
            write!(f, "@{k}")?;
        }
        Ok(())
    }
}

impl FromStr for TraceId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let malformed = |reason: &str| {
            Error::from(ErrorKind::MalformedTraceId {
                trace_id: s.to_owned(),
                reason: reason.to_owned(),
            })
        };
        let (path, loop_to) = match s.split_once('@') {
            Some((path, k)) => (
                path,
                Some(
                    k.parse::<usize>()
                        .map_err(|_| malformed("the part after `@` is not a state index"))?,
                ),
            ),
            None => (s, None),
        };
        let mut parts = path.split('/');
        let init = parts
            .next()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| malformed("empty"))?
            .parse::<usize>()
            .map_err(|_| malformed("the initial-state index is not a number"))?;
        let actions = parts
            .map(|p| p.parse::<usize>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| malformed("an action index is not a number"))?;
        if let Some(k) = loop_to
            && k > actions.len()
        {
            return Err(malformed("the loop index is past the last state"));
        }
        Ok(TraceId {
            init,
            actions,
            loop_to,
        })
    }
}

/// Replays a trace id on `model` and returns the states it visits, initial state first. Fails if
/// an index is out of range or a lasso's last state is not the state it claims to return to. A
/// `None` from [`Model::next_state`] leaves the state unchanged, as in stateright.
pub fn replay<M>(model: &M, trace_id: &str) -> Result<Vec<M::State>, Error>
where
    M: Model,
    M::State: Clone + PartialEq,
{
    let id: TraceId = trace_id.parse()?;
    let mismatch = |reason: String| {
        Error::from(ErrorKind::ReplayMismatch {
            trace_id: trace_id.to_owned(),
            reason,
        })
    };
    let mut inits = model.init_states();
    if id.init >= inits.len() {
        return Err(mismatch(format!(
            "initial state {} does not exist (the model has {})",
            id.init,
            inits.len()
        )));
    }
    let mut states = vec![inits.swap_remove(id.init)];
    let mut actions = Vec::new();
    for (step, &index) in id.actions.iter().enumerate() {
        let last = states.last().expect("starts with an initial state");
        actions.clear();
        model.actions(last, &mut actions);
        if index >= actions.len() {
            return Err(mismatch(format!(
                "step {}: action {index} does not exist (the state has {})",
                step + 1,
                actions.len()
            )));
        }
        let action = actions.swap_remove(index);
        let next = model
            .next_state(last, action)
            .unwrap_or_else(|| last.clone());
        states.push(next);
    }
    if let Some(k) = id.loop_to
        && states[k] != states[states.len() - 1]
    {
        return Err(mismatch(format!(
            "the last state is not state {k}, so the run does not loop"
        )));
    }
    Ok(states)
}

impl Counterexample {
    /// Builds a counterexample from a replayed path: `states[0]` is initial state number
    /// `id.init`, and `states[i]` is reached by the `i`-th action.
    pub(crate) fn from_path<M: Describe>(
        model: &M,
        property: &'static str,
        id: TraceId,
        states: &[M::State],
        actions: &[M::Action],
    ) -> Self {
        debug_assert_eq!(states.len(), actions.len() + 1);
        let parties = model.parties();
        let mut before = model.describe_state(&states[0]);
        let initial_state = before
            .iter()
            .map(|(name, value)| Field {
                name: name.clone(),
                value: value.clone(),
            })
            .collect();
        let mut steps = Vec::with_capacity(actions.len());
        for (i, action) in actions.iter().enumerate() {
            let after = model.describe_state(&states[i + 1]);
            let changes = before
                .iter()
                .zip(&after)
                .filter(|((_, b), (_, a))| a != b)
                .map(|((field, b), (_, a))| Change {
                    field: field.clone(),
                    before: b.clone(),
                    after: a.clone(),
                })
                .collect();
            let view = model.describe_action(action);
            let name = |i: usize| parties.get(i).cloned().unwrap_or_else(|| format!("#{i}"));
            steps.push(Step {
                number: i + 1,
                party: name(view.actor),
                action: view.label,
                message: view.message.map(|(from, to)| Message {
                    from: name(from),
                    to: name(to),
                }),
                changes,
            });
            before = after;
        }
        let lasso = id.loop_to.map(|k| {
            if k == actions.len() {
                Lasso::Stutter
            } else {
                Lasso::Cycle { from_step: k + 1 }
            }
        });
        Counterexample {
            property,
            trace_id: id.to_string(),
            parties,
            initial_state,
            steps,
            lasso,
        }
    }

    /// The trace as a numbered list of steps with their state changes.
    pub fn render_steps(&self) -> String {
        let mut out = String::new();
        let initial = self
            .initial_state
            .iter()
            .map(|f| format!("{} = {}", f.name, f.value))
            .collect::<Vec<_>>()
            .join("; ");
        let _ = writeln!(out, "{:>4}. initial state: {initial}", 0);
        for step in &self.steps {
            if self.lasso
                == (Some(Lasso::Cycle {
                    from_step: step.number,
                }))
            {
                let _ = writeln!(out, "      -- the cycle starts here and repeats forever --");
            }
            let _ = writeln!(out, "{:>4}. {}: {}", step.number, step.party, step.action);
            for c in &step.changes {
                let _ = writeln!(out, "        {}: {} → {}", c.field, c.before, c.after);
            }
        }
        match self.lasso {
            Some(Lasso::Stutter) => {
                let _ = writeln!(
                    out,
                    "      -- then nothing more happens, forever: no fair action is enabled --"
                );
            }
            Some(Lasso::Cycle { from_step }) => {
                let _ = writeln!(
                    out,
                    "      -- back to the state before step {from_step}; steps {from_step}–{} repeat forever --",
                    self.steps.len()
                );
            }
            None => {}
        }
        let _ = writeln!(out, "      trace id: {}", self.trace_id);
        out
    }

    /// The trace as a text message-sequence chart: one column per party, one row per step; `*`
    /// marks the acting party and an arrow shows a delivered message.
    pub fn render_msc(&self) -> String {
        let width = self
            .parties
            .iter()
            .map(|p| p.chars().count() + 4)
            .max()
            .unwrap_or(0)
            .max(12);
        let columns = self.parties.len().max(1);
        let center = |i: usize| i * width + width / 2;
        let index_of = |name: &str| self.parties.iter().position(|p| p == name);
        let mut out = String::new();

        let mut header = String::new();
        for p in &self.parties {
            let _ = write!(header, "{p:^width$}");
        }
        let _ = writeln!(out, "      {}", header.trim_end());
        let lifelines = || {
            let mut row = vec![' '; columns * width];
            for i in 0..self.parties.len() {
                row[center(i)] = '|';
            }
            row
        };
        let line = |row: Vec<char>| row.into_iter().collect::<String>();

        for step in &self.steps {
            if self.lasso
                == (Some(Lasso::Cycle {
                    from_step: step.number,
                }))
            {
                let _ = writeln!(
                    out,
                    "      {}  <- cycle start",
                    line(lifelines()).trim_end()
                );
            }
            let mut row = lifelines();
            let actor = index_of(&step.party);
            match step
                .message
                .as_ref()
                .and_then(|m| Some((index_of(&m.from)?, index_of(&m.to)?)))
            {
                Some((from, to)) if from != to => {
                    let (lo, hi) = (center(from.min(to)), center(from.max(to)));
                    for cell in &mut row[lo + 1..hi] {
                        *cell = '-';
                    }
                    if to > from {
                        row[hi - 1] = '>';
                    } else {
                        row[lo + 1] = '<';
                    }
                }
                _ => {
                    if let Some(a) = actor {
                        row[center(a)] = '*';
                    }
                }
            }
            let _ = writeln!(
                out,
                "{:>4}. {}  {}: {}",
                step.number,
                line(row),
                step.party,
                step.action
            );
        }
        match self.lasso {
            Some(Lasso::Stutter) => {
                let _ = writeln!(
                    out,
                    "      {}  (stays here forever)",
                    line(lifelines()).trim_end()
                );
            }
            Some(Lasso::Cycle { from_step }) => {
                let _ = writeln!(
                    out,
                    "      {}  (back to step {from_step}, forever)",
                    line(lifelines()).trim_end()
                );
            }
            None => {}
        }
        out
    }
}

/// Finds, for each step of a path, the index of its action in [`Model::actions`], so a path
/// reported by stateright (states and actions) becomes a replayable [`TraceId`].
pub(crate) fn action_indices<M>(
    model: &M,
    states: &[M::State],
    actions: &[M::Action],
) -> Option<Vec<usize>>
where
    M: Model,
    M::State: PartialEq + Clone,
    M::Action: PartialEq,
{
    let mut buf = Vec::new();
    let mut out = Vec::with_capacity(actions.len());
    for (i, action) in actions.iter().enumerate() {
        buf.clear();
        model.actions(&states[i], &mut buf);
        out.push(buf.iter().position(|a| a == action)?);
    }
    Some(out)
}
