//! A metric family read at scrape time from a closure, for numbers another
//! part of the program already keeps (atomics, a snapshot of some state): no
//! second counter to keep in step, nothing done on the hot path.

use prometheus::core::{Collector, Desc};
use prometheus::proto::{self, LabelPair, MetricFamily, MetricType};
use std::collections::HashMap;

/// Counters only go up; gauges go both ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A monotonic total (the name should end in `_total`).
    Counter,
    /// A value that goes up and down.
    Gauge,
}

/// One sample of a snapshot family: label values (in the order of the
/// family's label names) and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Label values, one per label name.
    pub labels: Vec<String>,
    /// The value.
    pub value: f64,
}

impl Sample {
    /// A sample with `labels` (in the family's label order).
    pub fn new<L: Into<String>>(labels: impl IntoIterator<Item = L>, value: f64) -> Self {
        Self {
            labels: labels.into_iter().map(Into::into).collect(),
            value,
        }
    }

    /// A sample of a family without labels.
    pub fn unlabelled(value: f64) -> Self {
        Self {
            labels: Vec::new(),
            value,
        }
    }
}

type Read = Box<dyn Fn() -> Vec<Sample> + Send + Sync>;

/// A labelled counter or gauge family whose samples come from `read` on each
/// scrape. Samples whose label count does not fit are left out (and logged),
/// never emitted malformed.
pub struct SnapshotFamily {
    desc: Desc,
    kind: Kind,
    read: Read,
}

impl SnapshotFamily {
    /// A family `name` with `help`, labels `label_names`, read by `read`.
    pub fn new(
        name: &str,
        help: &str,
        kind: Kind,
        label_names: &[&str],
        read: impl Fn() -> Vec<Sample> + Send + Sync + 'static,
    ) -> prometheus::Result<Self> {
        let desc = Desc::new(
            name.to_owned(),
            help.to_owned(),
            label_names.iter().map(|l| (*l).to_owned()).collect(),
            HashMap::new(),
        )?;
        Ok(Self {
            desc,
            kind,
            read: Box::new(read),
        })
    }

    fn metric(&self, sample: Sample) -> Option<proto::Metric> {
        let names = &self.desc.variable_labels;
        if sample.labels.len() != names.len() {
            tracing::warn!(
                family = %self.desc.fq_name,
                expected = names.len(),
                got = sample.labels.len(),
                "snapshot sample with the wrong number of labels left out"
            );
            return None;
        }
        let labels = names
            .iter()
            .zip(sample.labels)
            .map(|(name, value)| {
                let mut pair = LabelPair::default();
                pair.set_name(name.clone());
                pair.set_value(value);
                pair
            })
            .collect();
        let mut metric = proto::Metric::from_label(labels);
        match self.kind {
            Kind::Counter => {
                let mut counter = proto::Counter::default();
                counter.set_value(sample.value);
                metric.set_counter(counter);
            }
            Kind::Gauge => {
                let mut gauge = proto::Gauge::default();
                gauge.set_value(sample.value);
                metric.set_gauge(gauge);
            }
        }
        Some(metric)
    }
}

impl Collector for SnapshotFamily {
    fn desc(&self) -> Vec<&Desc> {
        vec![&self.desc]
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let metrics: Vec<proto::Metric> = (self.read)()
            .into_iter()
            .filter_map(|s| self.metric(s))
            .collect();
        let mut family = MetricFamily::default();
        family.set_name(self.desc.fq_name.clone());
        family.set_help(self.desc.help.clone());
        family.set_field_type(match self.kind {
            Kind::Counter => MetricType::COUNTER,
            Kind::Gauge => MetricType::GAUGE,
        });
        family.set_metric(metrics);
        vec![family]
    }
}
