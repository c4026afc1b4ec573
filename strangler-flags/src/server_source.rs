//! A real Unleash server (or Unleash Edge): `GET {api}/client/features` with the
//! client API token, polled. ETags make an unchanged poll cheap (304); status codes
//! are checked so a refused token is reported as such, not as bad JSON.

use super::FlagsError;
use super::document;
use super::source::{Memo, Outcome};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, ETAG, IF_NONE_MATCH};
use std::time::Duration;

pub(crate) struct ServerSource {
    api_url: String,
    features_url: String,
    token: String,
    app_name: String,
    instance_id: String,
    interval: Duration,
    http: reqwest::Client,
}

impl ServerSource {
    /// `api_url` is the server's API root, e.g. `http://unleash:4242/api`.
    pub(crate) fn new(
        api_url: &str,
        token: &str,
        app_name: &str,
        instance_id: &str,
        interval: Duration,
    ) -> Result<Self, FlagsError> {
        let parsed = reqwest::Url::parse(api_url).map_err(|err| {
            FlagsError::Config(format!(
                "Unleash URL {api_url:?} is not a URL ({err}); give the API root, e.g. http://unleash:4242/api"
            ))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(FlagsError::Config(format!(
                "Unleash URL {api_url:?} must use http or https"
            )));
        }
        if token.trim().is_empty() {
            return Err(FlagsError::Config(
                "the Unleash API token is empty; give a client token".into(),
            ));
        }
        if interval < Duration::from_millis(100) {
            return Err(FlagsError::Config(format!(
                "poll interval {interval:?} is too short; use at least 100 ms"
            )));
        }
        // Never wait longer than a poll interval (bounded below so a slow server
        // under a short interval still answers).
        let timeout = interval.max(Duration::from_secs(5));
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|err| FlagsError::Config(format!("cannot build an HTTP client: {err}")))?;
        let api_url = api_url.trim_end_matches('/').to_owned();
        Ok(Self {
            features_url: format!("{api_url}/client/features"),
            api_url,
            token: token.to_owned(),
            app_name: app_name.to_owned(),
            instance_id: instance_id.to_owned(),
            interval,
            http,
        })
    }

    pub(crate) fn api_url(&self) -> &str {
        &self.api_url
    }

    pub(crate) fn interval(&self) -> Duration {
        self.interval
    }

    pub(crate) async fn fetch(&self, memo: &mut Memo, force: bool) -> Result<Outcome, FlagsError> {
        let mut request = self
            .http
            .get(&self.features_url)
            .header(AUTHORIZATION, &self.token)
            .header("unleash-appname", &self.app_name)
            .header("unleash-instanceid", &self.instance_id);
        if let (false, Some(etag)) = (force, memo.etag.as_deref()) {
            request = request.header(IF_NONE_MATCH, etag);
        }
        let response = request
            .send()
            .await
            .map_err(|err| self.error(format!("cannot fetch flags: {err}"), true))?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Outcome::Confirmed);
        }
        if !status.is_success() {
            return Err(self.refused(status));
        }
        let etag = response
            .headers()
            .get(ETAG)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = response
            .bytes()
            .await
            .map_err(|err| self.error(format!("reading the response failed: {err}"), true))?;
        if !body.trim_ascii_start().starts_with(b"{") {
            // A UI page or a proxy's error page: most often the URL lacks `/api`.
            return Err(self.error(
                format!(
                    "{status} but not a JSON document: is the URL the API root (ending in /api)?"
                ),
                false,
            ));
        }
        let doc = document::parse(&body, &self.features_url)?;
        memo.etag = etag;
        Ok(Outcome::Changed(Box::new(doc)))
    }

    fn refused(&self, status: StatusCode) -> FlagsError {
        match status {
            StatusCode::UNAUTHORIZED => self.error(
                format!(
                    "the API token was refused ({status}); give a client token for this environment"
                ),
                false,
            ),
            // Unleash also answers 403 for paths outside its API, e.g. a URL without `/api`.
            StatusCode::FORBIDDEN => self.error(
                format!(
                    "the request was refused ({status}); give a client token for this environment \
                     and the API root as URL (ending in /api)"
                ),
                false,
            ),
            StatusCode::NOT_FOUND => self.error(
                format!("{status}: is the URL the API root (ending in /api)?"),
                false,
            ),
            _ => self.error(format!("answered {status}"), status.is_server_error()),
        }
    }

    fn error(&self, reason: String, retryable: bool) -> FlagsError {
        FlagsError::Server {
            url: self.features_url.clone(),
            reason,
            retryable,
        }
    }
}
