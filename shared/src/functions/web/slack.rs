//! `POST /chat/slack/command`: a Slack slash command (`/status alert ...`). The request is checked
//! before anything in it is read: its size, then `X-Slack-Signature` (`v0=` and the hex HMAC-SHA256
//! of `v0:<X-Slack-Request-Timestamp>:<raw body>` under the app's signing secret, compared in
//! constant time), then a timestamp within five minutes of now. The command then counts once by its
//! signature, so Slack's retries (`X-Slack-Retry-Num`) and a replayed request post nothing twice.

use hmac::{Hmac, Mac as _};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use sha2::Sha256;
use tracing::{info, warn};

use super::WebPages;
use crate::notices::{self, Command, NoticeError, Poster, Via};
use crate::secret::Secret;

pub const PATH: &str = "/chat/slack/command";
/// A slash command's form is well under 1 KiB; anything this large is not one.
pub const MAX_BODY_BYTES: usize = 8 * 1024;
/// Slack's rule: a request whose timestamp is further than this from now is refused (a replay).
pub const MAX_SKEW_SECONDS: i64 = 5 * 60;

const SIGNATURE: &str = "x-slack-signature";
const TIMESTAMP: &str = "x-slack-request-timestamp";

/// Why a request is not Slack's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unverified {
    #[error("X-Slack-Signature or X-Slack-Request-Timestamp is missing")]
    Missing,
    #[error("X-Slack-Request-Timestamp is not a Unix time")]
    BadTimestamp,
    #[error("the request's timestamp is more than five minutes from now")]
    Stale,
    #[error("X-Slack-Signature does not match the request")]
    BadSignature,
}

impl Unverified {
    fn status(self) -> StatusCode {
        match self {
            Unverified::Missing | Unverified::BadTimestamp => StatusCode::BAD_REQUEST,
            Unverified::Stale | Unverified::BadSignature => StatusCode::UNAUTHORIZED,
        }
    }
}

/// Checks a request as Slack signs it. Returns the signature's hex (the command's identity).
pub fn verify(
    secret: &Secret,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: jiff::Timestamp,
) -> Result<String, Unverified> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(Unverified::Missing);
    };
    let sent: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| Unverified::BadTimestamp)?;
    if (now.as_second() - sent).abs() > MAX_SKEW_SECONDS {
        return Err(Unverified::Stale);
    }
    let hex_part = signature
        .strip_prefix("v0=")
        .ok_or(Unverified::BadSignature)?;
    let given = hex::decode(hex_part).map_err(|_| Unverified::BadSignature)?;
    let mut mac = <Hmac<Sha256>>::new_from_slice(secret.expose().as_bytes())
        .map_err(|_| Unverified::BadSignature)?;
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&given)
        .map_err(|_| Unverified::BadSignature)?;
    Ok(hex_part.to_ascii_lowercase())
}

/// Slack's answer to a slash command: shown to the one who typed it.
fn ephemeral(text: &str) -> Response<Body> {
    let body = serde_json::json!({ "response_type": "ephemeral", "text": text }).to_string();
    json(StatusCode::OK, body)
}

fn json(status: StatusCode, body: String) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn refusal(status: StatusCode, reason: &str) -> Response<Body> {
    json(status, serde_json::json!({ "error": reason }).to_string())
}

impl WebPages {
    pub(super) async fn slack_command(
        &self,
        request: &Request,
        now: jiff::Timestamp,
    ) -> Response<Body> {
        let Some(desk) = &self.notices else {
            return refusal(StatusCode::NOT_FOUND, "no such route");
        };
        let (Some(secret), Some(roster)) = (&desk.slack_signing_secret, &desk.roster) else {
            warn!("a Slack command came in but no signing secret or roster is configured");
            return refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "Clinic has no Slack signing secret or roster configured",
            );
        };
        let body: &[u8] = request.body().as_ref();
        if body.len() > MAX_BODY_BYTES {
            return refusal(StatusCode::PAYLOAD_TOO_LARGE, "the request is too large");
        }
        let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
        let signature = match verify(secret, header(TIMESTAMP), header(SIGNATURE), body, now) {
            Ok(signature) => signature,
            Err(why) => {
                warn!(reason = %why, "Slack command refused before reading it");
                return refusal(why.status(), &why.to_string());
            }
        };
        let form: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or_default()
        };
        let user = field("user_id");
        let Some(person) = notices::service::person_by_slack(roster, user) else {
            warn!(user = %crate::log_text::escape(user), "Slack command from a user no roster person is");
            return ephemeral(
                "Refused: your Slack user is no roster person's slack_user, so Clinic cannot tell who posts. Nothing was posted.",
            );
        };
        let command = match Command::parse(field("text")) {
            Ok(command) => command,
            Err(e) => return ephemeral(&format!("Not posted: {e}")),
        };
        let actor = format!("slack:{user}");
        let cause = format!(
            "slack:{}:{}{}",
            crate::log_text::escape(field("team_id")),
            crate::log_text::escape(field("channel_id")),
            header("x-slack-retry-num")
                .map(|n| format!(" retry {}", crate::log_text::escape(n)))
                .unwrap_or_default()
        );
        let poster = Poster {
            person,
            via: Via::Slack,
            actor: &actor,
            cause: &cause,
        };
        let handled_as = format!("slack#{signature}");
        match notices::run(
            desk.board.as_ref(),
            roster.notices(),
            &poster,
            &command,
            Some(&handled_as),
            now,
        )
        .await
        {
            Ok(posted) => {
                info!(person = %person, "notice board changed from Slack");
                ephemeral(&posted.reply(now))
            }
            Err(e @ NoticeError::NotAllowed(_)) => {
                ephemeral(&format!("Refused: {e}. Nothing was posted."))
            }
            // Slack retries a delivery that fails; the signature makes the retry count once.
            Err(e) => {
                warn!(error = %e, "Slack command could not be handled");
                refusal(StatusCode::SERVICE_UNAVAILABLE, &e.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, timestamp: &str, body: &str) -> String {
        let mut mac = <Hmac<Sha256>>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("v0:{timestamp}:{body}").as_bytes());
        format!("v0={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn slacks_documented_example_verifies() {
        // The example in Slack's "Verifying requests from Slack" guide.
        let secret = Secret::new("8f742231b10e8888abcd99yyyzzz85a5");
        let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let now = jiff::Timestamp::from_second(1_531_420_618).unwrap();
        assert!(
            verify(
                &secret,
                Some("1531420618"),
                Some("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"),
                body.as_bytes(),
                now
            )
            .is_ok()
        );
    }

    #[test]
    fn a_request_is_refused_unless_signed_now_with_the_secret() {
        let secret = Secret::new("s3cret");
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        let body = "text=alert+x";
        let good = sign("s3cret", "1800000000", body);
        assert!(
            verify(
                &secret,
                Some("1800000000"),
                Some(&good),
                body.as_bytes(),
                now
            )
            .is_ok()
        );
        assert_eq!(
            verify(&secret, None, Some(&good), body.as_bytes(), now),
            Err(Unverified::Missing)
        );
        assert_eq!(
            verify(&secret, Some("soon"), Some(&good), body.as_bytes(), now),
            Err(Unverified::BadTimestamp)
        );
        let other = sign("other", "1800000000", body);
        assert_eq!(
            verify(
                &secret,
                Some("1800000000"),
                Some(&other),
                body.as_bytes(),
                now
            ),
            Err(Unverified::BadSignature)
        );
        assert_eq!(
            verify(
                &secret,
                Some("1800000000"),
                Some(&good),
                b"text=alert+y",
                now
            ),
            Err(Unverified::BadSignature)
        );
        for skewed in [1_800_000_000 - 301, 1_800_000_000 + 301] {
            let ts = skewed.to_string();
            let signed = sign("s3cret", &ts, body);
            assert_eq!(
                verify(&secret, Some(&ts), Some(&signed), body.as_bytes(), now),
                Err(Unverified::Stale)
            );
        }
        let edge = (1_800_000_000 - 300).to_string();
        let signed = sign("s3cret", &edge, body);
        assert!(verify(&secret, Some(&edge), Some(&signed), body.as_bytes(), now).is_ok());
        assert_eq!(
            verify(
                &secret,
                Some("1800000000"),
                Some("v1=00"),
                body.as_bytes(),
                now
            ),
            Err(Unverified::BadSignature)
        );
    }
}
