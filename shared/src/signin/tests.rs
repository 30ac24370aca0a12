//! The sign-in service over in-memory ports: what it writes, mails and refuses, at chosen moments.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::ports::{AttemptScope, LinkRecord, NonceError, Nonces, SessionRecord, SignInLedger};
use super::service::{LinkRequest, PER_ADDRESS, SignIn, SignInError};
use super::token::{self, SigningKey};
use crate::brief::tests::{MemorySource, person};
use crate::http_url::HttpUrl;
use crate::mail::{EmailAddress, MailError, Mailbox, Mailer, OutgoingMail, SentMail};
use crate::store::StoreError;

#[derive(Default)]
struct MemoryLedger {
    links: Mutex<HashMap<String, (LinkRecord, bool)>>,
    sessions: Mutex<HashMap<String, SessionRecord>>,
    counters: Mutex<HashMap<(String, String, i64), u64>>,
}

#[async_trait]
impl SignInLedger for MemoryLedger {
    async fn record_link(&self, link: &LinkRecord) -> Result<(), StoreError> {
        self.links
            .lock()
            .unwrap()
            .insert(link.hash.clone(), (link.clone(), false));
        Ok(())
    }

    async fn redeem_link(
        &self,
        hash: &str,
        _now: jiff::Timestamp,
    ) -> Result<Option<String>, StoreError> {
        let mut links = self.links.lock().unwrap();
        Ok(match links.get_mut(hash) {
            Some((link, used)) if !*used => {
                *used = true;
                Some(link.person.clone())
            }
            _ => None,
        })
    }

    async fn record_session(&self, session: &SessionRecord) -> Result<bool, StoreError> {
        let mut sessions = self.sessions.lock().unwrap();
        if sessions.contains_key(&session.hash) {
            return Ok(false);
        }
        sessions.insert(session.hash.clone(), session.clone());
        Ok(true)
    }

    async fn session(&self, hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self.sessions.lock().unwrap().get(hash).cloned())
    }

    async fn end_session(&self, hash: &str) -> Result<(), StoreError> {
        self.sessions.lock().unwrap().remove(hash);
        Ok(())
    }

    async fn count_attempt(
        &self,
        scope: AttemptScope,
        subject: &str,
        window_start: jiff::Timestamp,
        _expires: jiff::Timestamp,
    ) -> Result<u64, StoreError> {
        let mut counters = self.counters.lock().unwrap();
        let count = counters
            .entry((
                scope.name().into(),
                subject.into(),
                window_start.as_second(),
            ))
            .or_default();
        *count += 1;
        Ok(*count)
    }
}

/// Records what it is asked to send; refuses everything when `failing`.
#[derive(Default)]
struct Outbox {
    sent: Mutex<Vec<OutgoingMail>>,
    failing: bool,
}

#[async_trait]
impl Mailer for Outbox {
    async fn send(&self, mail: &OutgoingMail, _raw: Vec<u8>) -> Result<SentMail, MailError> {
        if self.failing {
            return Err(MailError::Unavailable {
                reason: "SES is down".into(),
                source: None,
            });
        }
        self.sent.lock().unwrap().push(mail.clone());
        Ok(SentMail {
            provider_message_id: "m-1".into(),
        })
    }
}

/// Distinct nonces, predictably.
#[derive(Default)]
struct Counting(Mutex<u8>);

impl Nonces for Counting {
    fn nonce(&self) -> Result<[u8; 32], NonceError> {
        let mut n = self.0.lock().unwrap();
        *n += 1;
        Ok([*n; 32])
    }
}

fn at(second: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(second).unwrap()
}

const NOW: i64 = 1_800_000_000;

struct Rig {
    signin: SignIn,
    ledger: Arc<MemoryLedger>,
    outbox: Arc<Outbox>,
}

fn rig(failing_mail: bool) -> Rig {
    let ledger = Arc::new(MemoryLedger::default());
    let outbox = Arc::new(Outbox {
        failing: failing_mail,
        ..Outbox::default()
    });
    let source = MemorySource {
        people: vec![person("akaur", "Asha Kaur", "Europe/London")],
        ..MemorySource::default()
    };
    let signin = SignIn {
        key: SigningKey::parse("unit-test-key-unit-test-key-unit-test").unwrap(),
        ledger: ledger.clone(),
        people: Arc::new(source),
        mailer: outbox.clone(),
        nonces: Arc::new(Counting::default()),
        sender: Mailbox::new("Clinic", EmailAddress::parse("clinic@example.org").unwrap()),
        base_url: HttpUrl::parse("https://clinic.example.org/").unwrap(),
    };
    Rig {
        signin,
        ledger,
        outbox,
    }
}

fn mailed_token(outbox: &Outbox) -> String {
    let sent = outbox.sent.lock().unwrap();
    let text = &sent.last().expect("a mail").text;
    let start = text.find("?token=").expect("a link") + "?token=".len();
    text[start..].split_whitespace().next().unwrap().to_owned()
}

#[tokio::test]
async fn a_link_is_mailed_to_the_roster_address_and_redeems_once_into_a_session() {
    let rig = rig(false);
    let asked = rig
        .signin
        .request_link(" AKaur@Example.org ", "192.0.2.1", at(NOW))
        .await
        .unwrap();
    assert_eq!(
        asked,
        LinkRequest::Mailed {
            person: "akaur".into()
        }
    );
    let mail = rig.outbox.sent.lock().unwrap()[0].clone();
    assert_eq!(mail.to[0].address.as_str(), "AKaur@Example.org");
    assert!(
        mail.text
            .contains("https://clinic.example.org/signin/link?token=v1.")
    );
    let link = mailed_token(&rig.outbox);
    assert!(
        rig.ledger
            .links
            .lock()
            .unwrap()
            .contains_key(&token::at_rest(&link))
    );

    let session = rig.signin.redeem(&link, at(NOW + 60)).await.unwrap();
    assert_eq!(session.person, "akaur");
    assert_eq!(session.expires, at(NOW + 60) + token::SESSION_LIFETIME);
    let signed_in = rig
        .signin
        .signed_in(&session.cookie, at(NOW + 120))
        .await
        .unwrap();
    assert_eq!(signed_in.map(|s| s.person).as_deref(), Some("akaur"));
    assert!(matches!(
        rig.signin.redeem(&link, at(NOW + 90)).await,
        Err(SignInError::UsedLink)
    ));
    // The session's record decides its end, whatever the cookie says.
    assert_eq!(
        rig.signin
            .signed_in(&session.cookie, session.expires)
            .await
            .unwrap(),
        None
    );
    rig.signin.sign_out(&session.cookie).await.unwrap();
    assert_eq!(
        rig.signin
            .signed_in(&session.cookie, at(NOW + 130))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn an_unknown_address_is_counted_like_a_known_one_and_gets_no_mail() {
    let rig = rig(false);
    for _ in 0..PER_ADDRESS {
        let asked = rig
            .signin
            .request_link("stranger@example.org", "192.0.2.2", at(NOW))
            .await
            .unwrap();
        assert_eq!(asked, LinkRequest::NotOnRoster);
    }
    assert!(matches!(
        rig.signin
            .request_link("stranger@example.org", "192.0.2.2", at(NOW))
            .await,
        Err(SignInError::RateLimited("this address"))
    ));
    assert!(rig.outbox.sent.lock().unwrap().is_empty());
    assert!(rig.ledger.links.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_mail_that_cannot_be_sent_gets_the_same_answer_as_one_that_was() {
    let rig = rig(true);
    let asked = rig
        .signin
        .request_link("akaur@example.org", "192.0.2.3", at(NOW))
        .await;
    assert!(matches!(asked, Ok(LinkRequest::Mailed { .. })), "{asked:?}");
}

#[tokio::test]
async fn a_link_not_in_the_ledger_signs_nobody_in_even_when_well_signed() {
    let rig = rig(false);
    let key = SigningKey::parse("unit-test-key-unit-test-key-unit-test").unwrap();
    let never_mailed = token::issue(&key, token::Purpose::Link, "akaur", at(NOW + 600), &[0; 32]);
    assert!(matches!(
        rig.signin.redeem(&never_mailed, at(NOW)).await,
        Err(SignInError::UsedLink)
    ));
    assert!(rig.ledger.sessions.lock().unwrap().is_empty());
}
