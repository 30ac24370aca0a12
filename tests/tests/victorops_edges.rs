//! What the VictorOps webhook refuses before anything is written, end to end (the table on moto,
//! Statuspage as a local fake): incident numbers off their canonical form, escalation forms off
//! VictorOps' fields or whose signed text reads more than one way, and hostile text in a body,
//! which reaches the log and the answer escaped.

use std::sync::{Arc, Mutex};

use clinic::incidents::escalation::escalation_signature;
use clinic::secret::Secret;
use clinic_tests::incident_rig::{self, ESCALATION_KEY, ESCALATION_URL, SECRET};
use clinic_tests::{repo_root, table_items};
use lambda_http::{Body, Request};

/// The body and signature of events/victorops-escalation-function-url.json, as captured.
const CAPTURED_FORM: &str = "incident=2041&summary=Disk+almost+full+on+db02&message=Only+3%25+left+on+%2Fvar&entity_id=disk-space%2Fdb02.example.net&message_type=CRITICAL&routing_key=sre&monitoring_tool=prometheus";
const CAPTURED_SIGNATURE: &str = "WwbOOOEbUU6NqD659DP0kKGkWf8=";
const NOW: &str = "2027-01-05T09:50:05Z";

/// The shared VictorOps webhook rig (moto, the Statuspage fake, SES on moto), with what refusals need.
struct Setup(incident_rig::Setup);

async fn setup() -> Setup {
    Setup(incident_rig::setup("victorops-edges.example.org", false).await)
}

impl std::ops::Deref for Setup {
    type Target = incident_rig::Setup;
    fn deref(&self) -> &incident_rig::Setup {
        &self.0
    }
}

impl Setup {
    async fn answer(&self, request: Request) -> (u16, serde_json::Value, Vec<u8>) {
        let response = self.webhook.handle_at(request, NOW.parse().unwrap()).await;
        let raw = response.body().as_ref().to_vec();
        let json = serde_json::from_slice(&raw).unwrap_or_default();
        (response.status().as_u16(), json, raw)
    }

    /// Sends `request` and checks it is refused with `status`, the table and Statuspage untouched.
    async fn refused(&self, request: Request, status: u16, what: &str) -> String {
        let before = table_items(&self.store).await.len();
        let (got, answer, _) = self.answer(request).await;
        assert_eq!(got, status, "{what}: {answer}");
        assert_eq!(
            table_items(&self.store).await.len(),
            before,
            "{what}: nothing is written"
        );
        assert!(
            self.fake.calls().is_empty(),
            "{what}: Statuspage is not called"
        );
        answer["error"].as_str().unwrap_or_default().to_owned()
    }
}

fn outgoing(number: &str) -> String {
    let sample =
        std::fs::read_to_string(repo_root().join("events/victorops-outgoing-triggered.json"))
            .expect("sample event");
    sample.replace("\"2041\"", &serde_json::to_string(number).unwrap())
}

fn json_request(body: &str) -> Request {
    lambda_http::http::Request::builder()
        .method("POST")
        .uri("/hooks/victorops")
        .header("content-type", "application/json")
        .header("x-clinic-webhook-token", SECRET)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn form_request(body: &str, signature: &str) -> Request {
    lambda_http::http::Request::builder()
        .method("POST")
        .uri("/victorops/escalation")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-victorops-signature", signature)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn pairs(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `body` with `field` set to `value`, encoded as VictorOps would.
fn with_field(body: &str, field: &str, value: &str) -> String {
    let changed = pairs(body).into_iter().map(|(k, v)| {
        if k == field {
            (k, value.to_owned())
        } else {
            (k, v)
        }
    });
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(changed)
        .finish()
}

/// The signature VictorOps would send for `body`.
fn signed(body: &str) -> String {
    escalation_signature(ESCALATION_URL, &pairs(body), &Secret::new(ESCALATION_KEY))
}

#[tokio::test]
async fn an_incident_number_off_its_canonical_form_is_refused_with_400_and_nothing_is_written() {
    let s = setup().await;
    for number in ["02041", " 2041 ", "2041 ", "20 41", "0", "+2041"] {
        let error = s
            .refused(json_request(&outgoing(number)), 400, number)
            .await;
        assert!(error.contains("incident number"), "{number:?}: {error}");
        let form = with_field(CAPTURED_FORM, "incident", number);
        let error = s
            .refused(form_request(&form, &signed(&form)), 400, &form)
            .await;
        assert!(error.contains("incident number"), "{form}: {error}");
    }
    // The canonical spelling is one incident, published once, whichever way it came.
    let (status, answer, _) = s.answer(json_request(&outgoing("2041"))).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer, _) = s
        .answer(form_request(CAPTURED_FORM, CAPTURED_SIGNATURE))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(s.fake.incidents().len(), 1);
}

#[tokio::test]
async fn an_escalation_form_off_victorops_fields_is_refused_with_400_and_nothing_is_written() {
    let s = setup().await;
    let shifted = [
        CAPTURED_FORM.replace("summary=", "summar=y"),
        CAPTURED_FORM.replace("routing_key=sre", "routing_ke=ysre"),
        CAPTURED_FORM
            .replace("&message_type=CRITICAL", "")
            .replace("%2Fvar", "%2Fvarmessage_typeCRITICAL"),
    ];
    for body in &shifted {
        assert_eq!(
            signed(body),
            CAPTURED_SIGNATURE,
            "the captured signature covers the shifted form {body}"
        );
        s.refused(form_request(body, CAPTURED_SIGNATURE), 400, body)
            .await;
    }
    let cases = [
        (format!("{CAPTURED_FORM}&incident=2041"), "repeated"),
        (format!("{CAPTURED_FORM}&message_type=RECOVERY"), "repeated"),
        (format!("{CAPTURED_FORM}&state=RESOLVED"), "not one"),
        (CAPTURED_FORM.replace("&routing_key=sre", ""), "missing"),
    ];
    for (body, expected) in cases {
        for signature in [CAPTURED_SIGNATURE.to_owned(), signed(&body)] {
            let error = s.refused(form_request(&body, &signature), 400, &body).await;
            assert!(error.contains(expected), "{body}: {error}");
        }
    }
}

#[tokio::test]
async fn an_escalation_form_whose_signed_text_reads_as_another_form_is_refused_with_401() {
    let s = setup().await;
    // A genuine delivery whose message carries the later keys' names, and the form that the same
    // signature covers, acknowledging the incident.
    let genuine = CAPTURED_FORM.replace(
        "Only+3%25+left+on+%2Fvar",
        "fullmessage_typeACKNOWLEDGEMENTmonitoring_toolx",
    );
    let forged = CAPTURED_FORM
        .replace("Only+3%25+left+on+%2Fvar", "full")
        .replace("message_type=CRITICAL", "message_type=ACKNOWLEDGEMENT")
        .replace(
            "monitoring_tool=prometheus",
            "monitoring_tool=xmessage_typeCRITICALmonitoring_toolprometheus",
        );
    let signature = signed(&genuine);
    assert_eq!(signed(&forged), signature);
    for body in [&genuine, &forged] {
        let error = s.refused(form_request(body, &signature), 401, body).await;
        assert!(error.contains("cannot vouch"), "{error}");
    }
}

/// A `tracing` writer into memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

#[tokio::test]
async fn hostile_text_in_a_body_reaches_the_log_as_one_line_and_the_answer_without_control_characters()
 {
    let s = setup().await;
    let forged_line =
        "x\n{\"level\":\"ERROR\",\"fields\":{\"message\":\"forged\"}}\r\u{1b}[2K\u{7f}\u{9b}";
    let body = outgoing("2041").replacen(
        '{',
        &format!("{{{}: 1,", serde_json::to_string(forged_line).unwrap()),
        1,
    );
    // `clinic serve` logs as text, where a raw newline would start a line of its own.
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_ansi(false)
        .without_time()
        .finish();
    let (status, answer, raw) = {
        let _guard = tracing::subscriber::set_default(subscriber);
        s.answer(json_request(&body)).await
    };
    assert_eq!(status, 400, "{answer}");
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(error.contains("unknown field"), "{error}");
    assert!(
        error.contains("x\\n{\"level\""),
        "escaped, not dropped: {error}"
    );
    assert!(!error.chars().any(char::is_control), "{error:?}");
    assert!(!raw.iter().any(u8::is_ascii_control), "{raw:?}");

    let text = log.text();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("webhook refused"), "{text}");
    assert!(
        !text.trim_end_matches('\n').chars().any(char::is_control),
        "{text:?}"
    );
    assert!(s.fake.calls().is_empty());
}
