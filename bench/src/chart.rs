//! A grouped bar chart of packets per second, as SVG: one group per (N, P), one bar per variant.

use std::fmt::Write;

const COLORS: [&str; 7] = [
    "#1f77b4", "#6baed6", "#2ca02c", "#bbbbbb", "#d62728", "#ff7f0e", "#08306b",
];

/// `groups`: (label, one median rate per variant, in `variants` order).
pub fn svg(title: &str, variants: &[&str], groups: &[(String, Vec<f64>)]) -> String {
    let (bar, gap, left, top, height) = (12.0, 18.0, 70.0, 50.0, 300.0);
    let group_width = bar * variants.len() as f64 + gap;
    let width = left + group_width * groups.len() as f64 + 20.0;
    let max = groups
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(1.0, f64::max)
        * 1.1;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{:.0}" font-family="sans-serif" font-size="11">"#,
        top + height + 90.0
    );
    let _ = writeln!(
        out,
        r#"<rect width="100%" height="100%" fill="white"/><text x="{left}" y="20" font-size="14">{title}</text>"#
    );
    for step in 0..=5 {
        let value = max * f64::from(step) / 5.0;
        let y = top + height - height * f64::from(step) / 5.0;
        let _ = writeln!(
            out,
            r##"<line x1="{left}" x2="{:.0}" y1="{y:.1}" y2="{y:.1}" stroke="#eee"/><text x="{:.0}" y="{:.1}" text-anchor="end">{:.0}k</text>"##,
            width - 20.0,
            left - 6.0,
            y + 4.0,
            value / 1000.0
        );
    }
    for (g, (label, rates)) in groups.iter().enumerate() {
        let x0 = left + g as f64 * group_width + gap / 2.0;
        for (v, rate) in rates.iter().enumerate() {
            let h = height * rate / max;
            let _ = writeln!(
                out,
                r#"<rect x="{:.1}" y="{:.1}" width="{bar}" height="{h:.1}" fill="{}"><title>{}: {rate:.0}/s</title></rect>"#,
                x0 + v as f64 * bar,
                top + height - h,
                COLORS[v % COLORS.len()],
                variants[v]
            );
        }
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.0}" text-anchor="middle">{label}</text>"#,
            x0 + bar * variants.len() as f64 / 2.0,
            top + height + 16.0
        );
    }
    for (v, name) in variants.iter().enumerate() {
        let x = left + (v as f64) * 120.0;
        let y = top + height + 45.0;
        let _ = writeln!(
            out,
            r#"<rect x="{x:.0}" y="{:.0}" width="10" height="10" fill="{}"/><text x="{:.0}" y="{y:.0}">{name}</text>"#,
            y - 9.0,
            COLORS[v % COLORS.len()],
            x + 14.0
        );
    }
    let _ = writeln!(
        out,
        r##"<text x="{left}" y="{:.0}" fill="#555">payload packets per second, both directions (median); groups: N clients / P bytes</text>"##,
        top + height + 75.0
    );
    out.push_str("</svg>\n");
    out
}
