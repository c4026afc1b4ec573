//! Reading the proxy's Prometheus text (`/metrics` on the admin listener) in
//! tests.

/// The text the admin listener at `admin` (`http://host:port`) serves on `/metrics`.
pub async fn scrape(client: &reqwest::Client, admin: &str) -> String {
    client
        .get(format!("{admin}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The value of the first sample of `family` carrying every one of `labels`
/// (other labels may be there too); panics, showing the text, when none does.
pub fn sample(text: &str, family: &str, labels: &[(&str, &str)]) -> f64 {
    let start = format!("{family}{{");
    let wanted: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    text.lines()
        .filter(|line| line.starts_with(&start))
        .find(|line| {
            let (series, _) = line.rsplit_once(' ').unwrap_or((line, ""));
            wanted.iter().all(|label| series.contains(label.as_str()))
        })
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {family} sample with {wanted:?} in:\n{text}"))
}
