//! JUnit XML for CI systems: one test case per scenario.

use super::Outcome;

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no place for other control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// The report of a replay.
pub fn report(outcomes: &[Outcome], seconds: f64) -> String {
    let failures = outcomes.iter().filter(|o| !o.passed()).count();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&format!(
        "<testsuites name=\"garake replay\" tests=\"{}\" failures=\"{failures}\" time=\"{seconds:.3}\">\n",
        outcomes.len()
    ));
    xml.push_str(&format!(
        "  <testsuite name=\"scenarios\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{seconds:.3}\">\n",
        outcomes.len()
    ));
    for o in outcomes {
        xml.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            escape(&o.file),
            escape(&o.name),
            o.ms as f64 / 1000.0
        ));
        match o.failure() {
            None => xml.push_str("/>\n"),
            Some((message, detail)) => {
                xml.push_str(">\n");
                xml.push_str(&format!(
                    "      <failure message=\"{}\">{}</failure>\n",
                    escape(&message),
                    escape(&detail)
                ));
                xml.push_str("    </testcase>\n");
            }
        }
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}
