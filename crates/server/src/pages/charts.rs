//! Server-drawn SVG charts for the report pages and the public dashboard: a time series, bars,
//! and a map of India shaded by coverage.
//!
//! Hand-written because what the pages need is small and no chart crate draws inline SVG that
//! passes the pages' CSP (no inline styles, no script): every chart is a string of SVG with
//! presentation attributes only, a `<title>` per mark for the tooltip and screen readers, and
//! works without JavaScript.
//!
//! The map draws no borders (the pack carries none): every district is a dot at the centroid of
//! its post offices, so the dots together draw the country.  Shading by state colours each
//! district dot with its state's value; shading by district colours the districts of one state
//! and leaves the rest of the country faint.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::NaiveDate;
use tika_domain::country::CountryPack;

/// What a map's values are keyed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MapLevel {
    /// Values by state id: every district takes its state's shade.
    State,
    /// Values by district id: districts without a value stay faint.
    District,
}

/// The sequential palette of the map, lightest first (`ColorBrewer` "Greens", 5 classes).
const PALETTE: [&str; 5] = ["#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"];
/// A district with no value.
const NO_VALUE: &str = "#e4e7eb";
const BAR: &str = "#0b5394";
const INK: &str = "#44515c";
const GRID: &str = "#e3e8ed";

/// Escapes text for SVG content and attribute values.
pub(crate) fn svg_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A whole number with Indian digit grouping (12,34,567), as the campaign's figures are read.
pub(crate) fn indian(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    let len = digits.len();
    for (i, c) in digits.chars().enumerate() {
        let left = len - i;
        if i > 0 && (left == 3 || (left > 3 && (left - 3).is_multiple_of(2))) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn value_text(v: f64, unit: &str) -> String {
    if unit == "%" { format!("{v:.1}%") } else { format!("{} {unit}", indian(v.round() as i64)) }
}

fn empty_text(lang: &str) -> &'static str {
    if lang == "hi" { "कोई आँकड़ा नहीं" } else { "No data" }
}

fn no_value_text(lang: &str) -> &'static str {
    if lang == "hi" { "कोई मान नहीं" } else { "no value" }
}

/// A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`.
fn nice_ceiling(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(max.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= max {
            return m * p;
        }
    }
    10.0 * p
}

/// Doses per day as a line with a dot per day (a day without a value breaks the line), the
/// first, middle and last dates on the axis, and the largest value marked.
pub(crate) fn time_series(title: &str, points: &[(NaiveDate, Option<i64>)], lang: &str) -> String {
    const W: f64 = 760.0;
    const H: f64 = 260.0;
    const L: f64 = 72.0;
    const R: f64 = 16.0;
    const T: f64 = 28.0;
    const B: f64 = 36.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" \
         aria-label=\"{0}\" class=\"chart series-chart\" font-family=\"sans-serif\" \
         font-size=\"11\"><title>{0}</title>",
        svg_escape(title)
    );
    let _ = write!(
        s,
        "<text x=\"{L}\" y=\"16\" font-size=\"13\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
        svg_escape(title)
    );
    let max = points.iter().filter_map(|p| p.1).max().unwrap_or(0);
    if points.is_empty() || points.iter().all(|p| p.1.is_none()) {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{INK}\" font-size=\"14\" \
             class=\"chart-empty\">{}</text></svg>",
            W / 2.0,
            H / 2.0,
            empty_text(lang)
        );
        return s;
    }
    let top = nice_ceiling(max as f64);
    let n = points.len();
    let x = |i: usize| {
        if n == 1 { L + (W - L - R) / 2.0 } else { L + i as f64 / (n - 1) as f64 * (W - L - R) }
    };
    let y = |v: f64| T + (top - v) / top * (H - T - B);
    for k in 0..=4 {
        let v = top * f64::from(k) / 4.0;
        let _ = write!(
            s,
            "<line x1=\"{L}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{GRID}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{INK}\">{}</text>",
            W - R,
            L - 6.0,
            y(v) + 4.0,
            indian(v.round() as i64),
            y = y(v)
        );
    }
    let mut ticks = vec![0, n / 2, n - 1];
    ticks.dedup();
    for i in ticks {
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{INK}\">{}</text>",
            x(i),
            H - B + 16.0,
            points[i].0.format("%d-%m-%Y")
        );
    }
    // The line, broken where a day has no value.
    let mut runs: Vec<Vec<String>> = vec![Vec::new()];
    for (i, (_, v)) in points.iter().enumerate() {
        match v {
            Some(v) => runs
                .last_mut()
                .map(|r| r.push(format!("{:.1},{:.1}", x(i), y(*v as f64))))
                .unwrap_or_default(),
            None => runs.push(Vec::new()),
        }
    }
    for run in runs.iter().filter(|r| r.len() > 1) {
        let _ = write!(
            s,
            "<polyline class=\"series-line\" fill=\"none\" stroke=\"{BAR}\" stroke-width=\"2\" \
             points=\"{}\"/>",
            run.join(" ")
        );
    }
    let dots = n <= 120;
    for (i, (d, v)) in points.iter().enumerate() {
        let Some(v) = v else { continue };
        if dots || *v == max {
            let _ = write!(
                s,
                "<circle class=\"series-point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{BAR}\">\
                 <title>{}: {}</title></circle>",
                x(i),
                y(*v as f64),
                d.format("%d-%m-%Y"),
                indian(*v)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars, one row per entry in the order given (at most 60 are drawn), labelled with
/// the name on the left and the value at the bar's end; an entry without a value is labelled
/// so and has no bar.
pub(crate) fn bars(
    title: &str,
    entries: &[(String, Option<f64>)],
    unit: &str,
    lang: &str,
) -> String {
    const MAX_BARS: usize = 60;
    const W: f64 = 760.0;
    const L: f64 = 210.0;
    const R: f64 = 120.0;
    const T: f64 = 30.0;
    const ROW: f64 = 20.0;
    let shown = &entries[..entries.len().min(MAX_BARS)];
    let h = T + ROW * shown.len().max(1) as f64 + 24.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {h}\" role=\"img\" \
         aria-label=\"{0}\" class=\"chart bar-chart\" font-family=\"sans-serif\" \
         font-size=\"11\"><title>{0}</title>",
        svg_escape(title)
    );
    let _ = write!(
        s,
        "<text x=\"8\" y=\"16\" font-size=\"13\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
        svg_escape(title)
    );
    if shown.is_empty() {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{INK}\" font-size=\"14\" \
             class=\"chart-empty\">{}</text></svg>",
            W / 2.0,
            T + 14.0,
            empty_text(lang)
        );
        return s;
    }
    let max = shown.iter().filter_map(|e| e.1).fold(0.0f64, f64::max);
    let top = if unit == "%" { max.max(100.0) } else { nice_ceiling(max) };
    for (i, (name, v)) in shown.iter().enumerate() {
        let y = T + ROW * i as f64;
        let label: String = name.chars().take(32).collect();
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{INK}\">{}</text>",
            L - 6.0,
            y + 13.0,
            svg_escape(&label)
        );
        match v {
            Some(v) => {
                let w = (v.max(0.0) / top * (W - L - R)).max(1.0);
                let _ = write!(
                    s,
                    "<rect class=\"bar\" x=\"{L}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" \
                     fill=\"{BAR}\"><title>{}: {}</title></rect>\
                     <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{INK}\">{}</text>",
                    y + 3.0,
                    ROW - 6.0,
                    svg_escape(name),
                    value_text(*v, unit),
                    L + w + 4.0,
                    y + 13.0,
                    value_text(*v, unit)
                );
            }
            None => {
                let _ = write!(
                    s,
                    "<text x=\"{L}\" y=\"{:.1}\" fill=\"{INK}\" font-style=\"italic\">{}</text>",
                    y + 13.0,
                    no_value_text(lang)
                );
            }
        }
    }
    if entries.len() > shown.len() {
        let _ = write!(
            s,
            "<text x=\"{L}\" y=\"{:.1}\" fill=\"{INK}\">… +{}</text>",
            T + ROW * shown.len() as f64 + 14.0,
            entries.len() - shown.len()
        );
    }
    s.push_str("</svg>");
    s
}

/// Where each district is drawn: (district id, state id, lon, lat), the mean position of its
/// post offices with coordinates.  Districts without any are not drawn.
fn district_points(pack: &CountryPack) -> Vec<(i64, i64, f64, f64)> {
    let mut sums: HashMap<i64, (f64, f64, u32)> = HashMap::new();
    for p in pack.pincodes.values() {
        if let (Some(lat), Some(lon)) = (p.lat, p.lon) {
            let e = sums.entry(p.district_id.0).or_insert((0.0, 0.0, 0));
            e.0 += lon;
            e.1 += lat;
            e.2 += 1;
        }
    }
    let mut out: Vec<(i64, i64, f64, f64)> = pack
        .districts
        .iter()
        .filter_map(|d| {
            let (lon, lat, n) = sums.get(&d.id.0)?;
            Some((d.id.0, d.state_id.0, lon / f64::from(*n), lat / f64::from(*n)))
        })
        .collect();
    out.sort_by_key(|p| p.0);
    out
}

/// The class (0–4) of a value between the smallest and the largest.
fn class_of(v: f64, lo: f64, hi: f64) -> usize {
    if hi <= lo {
        return PALETTE.len() - 1;
    }
    let k = ((v - lo) / (hi - lo) * PALETTE.len() as f64).floor() as usize;
    k.min(PALETTE.len() - 1)
}

/// A map of India: a dot per district at its post offices' centroid, shaded by the value of its
/// state ([`MapLevel::State`]) or its own ([`MapLevel::District`]), with a legend of five
/// classes between the smallest and the largest value.  `values` holds state or district ids.
pub(crate) fn india_map(
    pack: &CountryPack,
    level: MapLevel,
    values: &HashMap<i64, f64>,
    title: &str,
    lang: &str,
) -> String {
    const W: f64 = 520.0;
    const H: f64 = 560.0;
    const PAD: f64 = 16.0;
    const LEGEND: f64 = 110.0;
    let points = district_points(pack);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" \
         aria-label=\"{0}\" class=\"chart india-map\" font-family=\"sans-serif\" \
         font-size=\"11\"><title>{0}</title>",
        svg_escape(title)
    );
    let _ = write!(
        s,
        "<text x=\"8\" y=\"16\" font-size=\"13\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
        svg_escape(title)
    );
    if points.is_empty() {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{INK}\" \
             class=\"chart-empty\">{}</text></svg>",
            W / 2.0,
            H / 2.0,
            empty_text(lang)
        );
        return s;
    }
    // An equirectangular projection, corrected for the latitude at the middle of the country.
    let (mut lon0, mut lon1, mut lat0, mut lat1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (_, _, lon, lat) in &points {
        lon0 = lon0.min(*lon);
        lon1 = lon1.max(*lon);
        lat0 = lat0.min(*lat);
        lat1 = lat1.max(*lat);
    }
    let k = ((lat0 + lat1) / 2.0).to_radians().cos();
    let span_x = ((lon1 - lon0) * k).max(0.01);
    let span_y = (lat1 - lat0).max(0.01);
    let scale = ((W - 2.0 * PAD) / span_x).min((H - 30.0 - LEGEND - PAD) / span_y);
    let x = |lon: f64| PAD + (lon - lon0) * k * scale;
    let y = |lat: f64| 30.0 + (lat1 - lat) * scale;
    let (lo, hi) = values.values().fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    let state_name = |id: i64| {
        pack.states.iter().find(|st| st.id.0 == id).map(|st| {
            if lang == "hi" && !st.name_l.is_empty() { st.name_l.clone() } else { st.name.clone() }
        })
    };
    let district_name: HashMap<i64, &str> =
        pack.districts.iter().map(|d| (d.id.0, d.name.as_str())).collect();
    let r = if points.len() > 300 { 3.4 } else { 6.0 };
    for (district, state, lon, lat) in &points {
        let key = match level {
            MapLevel::State => *state,
            MapLevel::District => *district,
        };
        let value = values.get(&key);
        let fill = value.map_or(NO_VALUE, |v| PALETTE[class_of(*v, lo, hi)]);
        let name = match level {
            MapLevel::State => state_name(*state).unwrap_or_default(),
            MapLevel::District => district_name.get(district).copied().unwrap_or("").to_owned(),
        };
        let shown = match value {
            Some(v) if lo >= 0.0 && hi <= 100.0 && title.contains('%') => format!("{v:.1}%"),
            Some(v) if v.fract() != 0.0 => format!("{v:.1}"),
            Some(v) => indian(*v as i64),
            None => no_value_text(lang).to_owned(),
        };
        let _ = write!(
            s,
            "<circle class=\"map-dot\" data-id=\"{key}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r}\" \
             fill=\"{fill}\" stroke=\"#9aa5ae\" stroke-width=\"0.3\"><title>{}: {}</title></circle>",
            x(*lon),
            y(*lat),
            svg_escape(&name),
            shown
        );
    }
    // The legend: five classes with their lower bounds, and "no value".
    if !values.is_empty() {
        let top = H - LEGEND + 20.0;
        for (i, colour) in PALETTE.iter().enumerate() {
            let from = lo + (hi - lo) * i as f64 / PALETTE.len() as f64;
            let label = if hi - lo >= 10.0 || from.fract() == 0.0 {
                indian(from.round() as i64)
            } else {
                format!("{from:.1}")
            };
            let _ = write!(
                s,
                "<rect class=\"legend\" x=\"{:.1}\" y=\"{top:.1}\" width=\"80\" height=\"12\" \
                 fill=\"{colour}\" stroke=\"#9aa5ae\" stroke-width=\"0.3\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{INK}\">≥ {label}</text>",
                PAD + 90.0 * i as f64,
                PAD + 90.0 * i as f64,
                top + 26.0
            );
        }
        let _ = write!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{NO_VALUE}\" stroke=\"#9aa5ae\" \
             stroke-width=\"0.3\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"{INK}\">{}</text>",
            PAD + 5.0,
            top + 46.0,
            PAD + 14.0,
            top + 50.0,
            no_value_text(lang)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indian_grouping() {
        assert_eq!(indian(0), "0");
        assert_eq!(indian(999), "999");
        assert_eq!(indian(1000), "1,000");
        assert_eq!(indian(123_456), "1,23,456");
        assert_eq!(indian(1_234_567), "12,34,567");
        assert_eq!(indian(2_200_000_000), "2,20,00,00,000");
        assert_eq!(indian(-12_345), "-12,345");
    }

    #[test]
    fn a_series_breaks_at_missing_days_and_marks_every_day() {
        let d = |n| NaiveDate::from_ymd_opt(2026, 1, n).unwrap_or_default();
        let pts = vec![
            (d(1), Some(10)),
            (d(2), Some(20)),
            (d(3), None),
            (d(4), Some(5)),
            (d(5), Some(7)),
        ];
        let svg = time_series("Doses <per> day", &pts, "en");
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("class=\"series-point\"").count(), 4);
        assert!(svg.contains("Doses &lt;per&gt; day"));
        assert!(svg.contains("02-01-2026: 20"));
        assert!(!svg.contains("style="), "no inline styles (CSP)");
        let empty = time_series("x", &[], "hi");
        assert!(empty.contains("कोई आँकड़ा नहीं"));
    }

    #[test]
    fn bars_scale_to_the_largest_and_label_missing_values() {
        let svg = bars(
            "Coverage",
            &[("A".into(), Some(50.0)), ("B".into(), None), ("C".into(), Some(100.0))],
            "%",
            "en",
        );
        assert_eq!(svg.matches("class=\"bar\"").count(), 2);
        assert!(svg.contains("A: 50.0%"));
        assert!(svg.contains("no value"));
        let many: Vec<(String, Option<f64>)> =
            (0..70).map(|i| (format!("d{i}"), Some(f64::from(i)))).collect();
        let svg = bars("Doses", &many, "doses", "en");
        assert_eq!(svg.matches("class=\"bar\"").count(), 60);
        assert!(svg.contains("… +10"));
    }

    #[test]
    fn classes_cover_the_range() {
        assert_eq!(class_of(0.0, 0.0, 100.0), 0);
        assert_eq!(class_of(100.0, 0.0, 100.0), 4);
        assert_eq!(class_of(55.0, 0.0, 100.0), 2);
        assert_eq!(class_of(5.0, 5.0, 5.0), 4);
    }
}
