//! Building a simulation: the builder (seed mandatory, the rest from the scenario and an
//! optional experiment), the construction of every room from the topology, and the scheduling
//! of the experiment's load and faults. Separate from `sim.rs` because it runs once, before
//! the first event, and is long.

use microcosm_model::{DeploymentStrategy, Experiment, FaultAction, Scenario};

use super::{
    Balancer, Books, Broker, Ev, FaultWindow, Fleet, Load, Network, Policy, Requests, Rollouts,
    Sim, secs, stream,
};
use crate::engine::EventQueue;
use crate::error::{Error, ErrorKind};
use crate::limits::{Interrupt, MAX_DURATION_S, bucket_width};
use crate::sampler::ms_to_ns;
use crate::topology::Topology;

use crate::metrics::SloWindow;

/// Builds a [`Sim`]: the seed is mandatory, everything else comes from the scenario and,
/// optionally, one of its experiments.
#[derive(Debug, Clone)]
pub struct SimBuilder<'a> {
    scenario: &'a Scenario,
    seed: u64,
    experiment: Option<String>,
    duration_s: Option<f64>,
    warmup_s: Option<f64>,
    bucket_s: Option<f64>,
    interrupt: Interrupt,
}

impl<'a> SimBuilder<'a> {
    pub(super) fn new(scenario: &'a Scenario, seed: u64) -> Self {
        SimBuilder {
            scenario,
            seed,
            experiment: None,
            duration_s: None,
            warmup_s: None,
            bucket_s: None,
            interrupt: Interrupt::default(),
        }
    }

    /// Runs `experiment` (its load, faults and warm-up).
    pub fn experiment(mut self, name: &str) -> Self {
        self.experiment = Some(name.to_owned());
        self
    }

    /// Overrides the simulated duration.
    pub fn duration_s(mut self, seconds: f64) -> Self {
        self.duration_s = Some(seconds);
        self
    }

    /// Overrides the warm-up excluded from the statistics.
    pub fn warmup_s(mut self, seconds: f64) -> Self {
        self.warmup_s = Some(seconds);
        self
    }

    /// Keeps the time series at this bucket width, instead of the scenario's
    /// `metrics_interval_s` widened to at most [`crate::limits::MAX_POINTS`] buckets. The width
    /// must leave at most [`crate::limits::MAX_EXPLICIT_POINTS`] buckets, so that the series'
    /// memory stays bounded.
    pub fn bucket_s(mut self, seconds: f64) -> Self {
        self.bucket_s = Some(seconds);
        self
    }

    /// Stops the run, between two events, once `interrupt` is due: see [`Sim::interrupted`].
    pub fn interrupt(mut self, interrupt: Interrupt) -> Self {
        self.interrupt = interrupt;
        self
    }

    /// Builds the simulation, scheduling the experiment's load and faults.
    pub fn build(self) -> Result<Sim, Error> {
        let experiment = match &self.experiment {
            Some(name) => Some(self.scenario.experiments.get(name).ok_or_else(|| {
                Error::new(ErrorKind::UnknownExperiment {
                    name: name.clone(),
                    known: self.scenario.experiments.keys().cloned().collect(),
                })
            })?),
            None => None,
        };
        let duration_s = self
            .duration_s
            .or(experiment.map(|e| e.duration_s))
            .unwrap_or(60.0);
        if !(duration_s.is_finite() && duration_s > 0.0) {
            return Err(Error::new(ErrorKind::Invalid(format!(
                "the duration must be a positive number of seconds, not {duration_s}"
            ))));
        }
        // Refused, not clamped: a duration whose nanoseconds overflowed used to become a run of
        // 0 s that passed.
        if duration_s > MAX_DURATION_S {
            return Err(Error::new(ErrorKind::Invalid(format!(
                "the duration {duration_s:e} s is longer than the simulator can run: at most \
                 {MAX_DURATION_S} s (about 31 years; its clock counts nanoseconds in 64 bits)"
            ))));
        }
        let warmup_s = self
            .warmup_s
            .or(experiment.map(|e| e.warmup_s))
            .unwrap_or(0.0)
            .clamp(0.0, duration_s);
        let mut sim = Sim::new(
            self.scenario,
            self.experiment.as_deref(),
            experiment,
            self.seed,
            duration_s,
            warmup_s,
            self.bucket_s,
        )?;
        sim.interrupt = self.interrupt;
        Ok(sim)
    }
}

impl Sim {
    pub(super) fn new(
        scenario: &Scenario,
        experiment_name: Option<&str>,
        experiment: Option<&Experiment>,
        seed: u64,
        duration_s: f64,
        warmup_s: f64,
        bucket_s: Option<f64>,
    ) -> Result<Sim, Error> {
        let topo = Topology::new(scenario)?;
        let horizon = ms_to_ns(duration_s * 1000.0);
        if horizon == 0 {
            return Err(Error::new(ErrorKind::Invalid(format!(
                "the duration {duration_s} s is shorter than the simulator's clock tick (1 ns)"
            ))));
        }
        let warmup = ms_to_ns(warmup_s * 1000.0);
        let interval = bucket_width(horizon, scenario.monitoring.metrics_interval_s, bucket_s)?;
        let slo_windows = scenario
            .slos
            .iter()
            .filter_map(|(name, slo)| {
                let ep = topo.endpoint(&slo.endpoint)?;
                // No longer than the run: a window that is longer sees all of it anyway, and
                // each bucket of the ring holds a histogram.
                let len = ((slo.window_s * 1e9) / interval as f64)
                    .ceil()
                    .clamp(1.0, horizon.div_ceil(interval) as f64)
                    as usize;
                let targets = slo
                    .latency_targets()
                    .into_iter()
                    .map(|(p, ms)| (p / 100.0, ms))
                    .collect();
                Some((name.clone(), SloWindow::new(ep, len, targets)))
            })
            .collect();
        let policy = Policy::new(&topo, stream(seed, 4));
        let balancer = Balancer::new(topo.services.len(), policy.edge_states());
        let mut sim = Sim {
            policy,
            balancer,
            scenario_name: scenario.name.clone(),
            experiment_name: experiment_name.unwrap_or("").to_owned(),
            seed,
            now: 0,
            horizon,
            warmup,
            queue: EventQueue::default(),
            requests: Requests::default(),
            fleet: Fleet::new(&topo, stream(seed, 1)),
            rollouts: Rollouts::new(topo.services.len()),
            load: Load::default(),
            experiment: experiment.cloned(),
            fault_windows: Vec::new(),
            rng_choice: stream(seed, 3),
            network: Network::new(topo.edges.len(), stream(seed, 2)),
            broker: Broker::new(&topo),
            books: Books::new(
                interval,
                warmup,
                (topo.endpoints.len(), topo.edges.len(), topo.services.len()),
                slo_windows,
            ),
            events: 0,
            finished: false,
            interrupt: Interrupt::default(),
            stopped: None,
            topo,
        };
        if let Some(e) = experiment {
            sim.schedule_experiment(e)?;
        }
        Ok(sim)
    }

    pub(super) fn schedule_experiment(&mut self, e: &Experiment) -> Result<(), Error> {
        for (g, load) in e.load.iter().enumerate() {
            let mut targets = Vec::new();
            let mut weights = Vec::new();
            if let Some(ep) = &load.endpoint {
                targets.push(self.endpoint_id(ep)?);
                weights.push(1.0);
            }
            for (ep, w) in &load.mix {
                if *w > 0.0 {
                    targets.push(self.endpoint_id(ep)?);
                    weights.push(*w);
                }
            }
            let total: f64 = weights.iter().sum();
            if targets.is_empty() || total <= 0.0 {
                continue;
            }
            self.load.add(
                load,
                targets,
                &weights,
                stream(self.seed, 100 + g as u64),
                self.horizon,
                &mut self.queue,
            );
        }
        let duration = secs(self.horizon);
        for (i, f) in e.faults.iter().enumerate() {
            let Some(action) = f.action() else { continue };
            let start = ms_to_ns(f.at_s * 1000.0);
            let end_s = f.end_s(duration).min(duration);
            let (kind, target) = match action {
                FaultAction::Crash { service, replicas } => (
                    "crash",
                    match (replicas, f.zone.as_deref()) {
                        (Some(n), None) => {
                            format!("{service} ({n} replica{})", if n == 1 { "" } else { "s" })
                        }
                        (Some(n), Some(z)) => format!(
                            "{service} ({n} replica{} in {z})",
                            if n == 1 { "" } else { "s" }
                        ),
                        (None, Some(z)) => format!("{service} in {z}"),
                        (None, None) => service.to_owned(),
                    },
                ),
                FaultAction::Latency(l) => ("latency", format!("{} +{} ms", l.link, l.add_ms)),
                FaultAction::Errors(x) => ("errors", format!("{} {}%", x.target, x.rate * 100.0)),
                FaultAction::Partition(p) => (
                    "partition",
                    format!(
                        "{} {} {}",
                        p.from,
                        if p.one_way { "->" } else { "<->" },
                        p.to
                    ),
                ),
                FaultAction::Slowdown(s) => ("slowdown", format!("{} x{}", s.service, s.factor)),
                FaultAction::Deploy(s) => ("deploy", s.to_owned()),
            };
            let end_s = if let FaultAction::Deploy(s) = action {
                let id = self.service_id(s)?;
                let svc = &self.topo.services[id as usize];
                let span = match &svc.strategy {
                    DeploymentStrategy::Rolling {
                        max_unavailable,
                        restart_s,
                    } => {
                        let batches = svc.replicas.div_ceil((*max_unavailable).max(1));
                        f64::from(batches) * restart_s
                    }
                    DeploymentStrategy::BlueGreen { restart_s } => *restart_s,
                    DeploymentStrategy::Canary {
                        weights, step_s, ..
                    } => weights.len() as f64 * step_s,
                };
                (f.at_s + span).min(duration)
            } else {
                end_s
            };
            self.fault_windows.push(FaultWindow {
                kind: kind.to_owned(),
                target,
                start_s: f.at_s,
                end_s,
            });
            if start < self.horizon {
                self.queue.push(start, Ev::FaultStart(i as u32));
                let end = ms_to_ns(f.end_s(duration) * 1000.0);
                if !matches!(action, FaultAction::Deploy(_)) && end < self.horizon {
                    self.queue.push(end, Ev::FaultEnd(i as u32));
                }
            }
        }
        Ok(())
    }

    pub(super) fn endpoint_id(&self, name: &str) -> Result<u32, Error> {
        self.topo
            .endpoint(name)
            .ok_or_else(|| Error::new(ErrorKind::Scenario(format!("no endpoint `{name}`"))))
    }

    pub(super) fn service_id(&self, name: &str) -> Result<u32, Error> {
        self.topo
            .service(name)
            .ok_or_else(|| Error::new(ErrorKind::Scenario(format!("no service `{name}`"))))
    }
}
