//! The run as a picture: client p50 and p99 latency and errors over time,
//! each mode change marked. Hand-written SVG (a few dozen elements): a
//! plotting crate would bring a font stack and a raster back end for what is
//! lines and text here.

use super::record::Run;
use std::fmt::Write as _;
use std::time::Duration;

const WIDTH: f64 = 900.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const LATENCY_HEIGHT: f64 = 220.0;
const GAP: f64 = 40.0;
const ERRORS_HEIGHT: f64 = 80.0;
const BOTTOM: f64 = 40.0;

/// An SVG of `run` in buckets of `bucket`, titled `title`.
pub fn svg(run: &Run, bucket: Duration, title: &str) -> String {
    let buckets = run.buckets(bucket);
    let plot_width = WIDTH - LEFT - RIGHT;
    let seconds = run.duration.as_secs_f64().max(0.001);
    let x = |at: Duration| LEFT + at.as_secs_f64() / seconds * plot_width;
    let max_ms = buckets
        .iter()
        .map(|b| ms(b.summary.p99))
        .fold(1.0_f64, f64::max);
    let ceiling = nice_ceiling(max_ms);
    let y = |v: f64| TOP + LATENCY_HEIGHT - v / ceiling * LATENCY_HEIGHT;
    let errors_top = TOP + LATENCY_HEIGHT + GAP;
    let max_errors = buckets
        .iter()
        .map(|b| b.summary.errors)
        .max()
        .unwrap_or(0)
        .max(1);
    let height = errors_top + ERRORS_HEIGHT + BOTTOM;

    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="18" font-size="14">{}</text>"#,
        escape(title)
    );
    axes(&mut out, ceiling, errors_top, max_errors, seconds);
    let middle = |i: usize| x(bucket * i as u32 + bucket / 2);
    let points = |f: &dyn Fn(usize) -> f64| {
        (0..buckets.len())
            .filter(|i| buckets[*i].summary.requests > 0)
            .map(|i| format!("{:.1},{:.1}", middle(i), y(f(i))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let p50 = points(&|i| ms(buckets[i].summary.p50));
    let p99 = points(&|i| ms(buckets[i].summary.p99));
    let _ = writeln!(
        out,
        "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"{p50}\"/>"
    );
    let _ = writeln!(
        out,
        "<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\" points=\"{p99}\"/>"
    );
    let bar = (plot_width / buckets.len().max(1) as f64 * 0.8).max(1.0);
    for (i, b) in buckets
        .iter()
        .enumerate()
        .filter(|(_, b)| b.summary.errors > 0)
    {
        let h = b.summary.errors as f64 / max_errors as f64 * ERRORS_HEIGHT;
        let _ = writeln!(
            out,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" fill=\"#ff7f0e\"><title>{} errors</title></rect>",
            middle(i) - bar / 2.0,
            errors_top + ERRORS_HEIGHT - h,
            b.summary.errors
        );
    }
    for (n, mark) in run.marks.iter().enumerate().skip(1) {
        let mx = x(mark.at);
        let _ = writeln!(
            out,
            "<line x1=\"{mx:.1}\" y1=\"{TOP}\" x2=\"{mx:.1}\" y2=\"{:.1}\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>",
            errors_top + ERRORS_HEIGHT
        );
        let ty = TOP + 12.0 + (n % 3) as f64 * 13.0;
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{ty:.1}\" fill=\"#333\">{}</text>",
            mx + 3.0,
            escape(&mark.label)
        );
    }
    legend(&mut out, height);
    out.push_str("</svg>\n");
    out
}

fn axes(out: &mut String, ceiling: f64, errors_top: f64, max_errors: usize, seconds: f64) {
    let right = WIDTH - RIGHT;
    let base = TOP + LATENCY_HEIGHT;
    for step in 0..=4 {
        let v = ceiling * f64::from(step) / 4.0;
        let yy = base - v / ceiling * LATENCY_HEIGHT;
        let _ = writeln!(
            out,
            "<line x1=\"{LEFT}\" y1=\"{yy:.1}\" x2=\"{right}\" y2=\"{yy:.1}\" stroke=\"#eee\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{v:.0} ms</text>",
            LEFT - 4.0,
            yy + 4.0
        );
    }
    let errors_base = errors_top + ERRORS_HEIGHT;
    let _ = writeln!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{errors_base}\" x2=\"{right}\" y2=\"{errors_base}\" stroke=\"#999\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{max_errors}</text><text x=\"{:.1}\" y=\"{errors_base}\" text-anchor=\"end\">0</text><text x=\"{LEFT}\" y=\"{:.1}\">errors per interval</text>",
        LEFT - 4.0,
        errors_top + 4.0,
        LEFT - 4.0,
        errors_top - 6.0
    );
    let step = nice_ceiling(seconds / 8.0).max(1.0);
    let mut t = 0.0;
    while t <= seconds {
        let xx = LEFT + t / seconds * (WIDTH - LEFT - RIGHT);
        let _ = writeln!(
            out,
            "<text x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{t:.0} s</text>",
            errors_base + 16.0
        );
        t += step;
    }
}

fn legend(out: &mut String, height: f64) {
    let y = height - 8.0;
    let _ = writeln!(
        out,
        "<text x=\"{LEFT}\" y=\"{y}\"><tspan fill=\"#1f77b4\">━ client p50</tspan>   <tspan fill=\"#d62728\">━ client p99</tspan>   <tspan fill=\"#ff7f0e\">▮ errors (not 2xx, or no answer)</tspan>   ┆ mode change</text>"
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// 1, 2 or 5 times a power of ten, at least `v`.
fn nice_ceiling(v: f64) -> f64 {
    let v = v.max(f64::MIN_POSITIVE);
    let magnitude = 10_f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * magnitude)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::record::{Mark, Op, Outcome};

    #[test]
    fn ceilings_are_round() {
        assert_eq!(nice_ceiling(3.2), 5.0);
        assert_eq!(nice_ceiling(12.0), 20.0);
        assert_eq!(nice_ceiling(100.0), 100.0);
    }

    #[test]
    fn the_chart_has_both_lines_errors_and_marks() {
        let outcome = |ms: u64, status| Outcome {
            at: Duration::from_millis(ms),
            latency: Duration::from_millis(5),
            op: Op::Refund,
            status,
            backend: None,
            phase: 0,
            unknown: status.is_none(),
            repeated: false,
        };
        let run = Run {
            outcomes: vec![outcome(100, Some(201)), outcome(1500, None)],
            marks: vec![
                Mark {
                    at: Duration::ZERO,
                    label: "legacy".into(),
                },
                Mark {
                    at: Duration::from_secs(1),
                    label: "shadow <on>".into(),
                },
            ],
            duration: Duration::from_secs(2),
            ..Run::default()
        };
        let svg = svg(&run, Duration::from_millis(500), "t");
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("<title>1 errors</title>"), "{svg}");
        assert!(svg.contains("shadow &lt;on&gt;"), "{svg}");
    }
}
