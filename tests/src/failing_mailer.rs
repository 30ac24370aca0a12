//! A mailer in front of the local SES that fails the mails a test picks until it is healed: a
//! throttled or unavailable SES, for the "failed mail is retried, never doubled" tests.

use std::sync::Mutex;

use async_trait::async_trait;
use clinic::adapters::ses::SesMailer;
use clinic::mail::{MailError, Mailer, OutgoingMail, SentMail};

pub struct FailingMailer {
    inner: SesMailer,
    fails: Box<dyn Fn(&OutgoingMail) -> bool + Send + Sync>,
    healed: Mutex<bool>,
}

impl FailingMailer {
    /// Fails every mail `fails` picks until [`Self::heal`].
    pub fn new(
        inner: SesMailer,
        fails: impl Fn(&OutgoingMail) -> bool + Send + Sync + 'static,
    ) -> Self {
        Self {
            inner,
            fails: Box::new(fails),
            healed: Mutex::new(false),
        }
    }

    pub fn heal(&self) {
        *self.healed.lock().unwrap() = true;
    }
}

#[async_trait]
impl Mailer for FailingMailer {
    async fn send(&self, mail: &OutgoingMail, raw: Vec<u8>) -> Result<SentMail, MailError> {
        if (self.fails)(mail) && !*self.healed.lock().unwrap() {
            return Err(MailError::Unavailable {
                reason: "throttled (test)".into(),
                source: None,
            });
        }
        self.inner.send(mail, raw).await
    }
}
