//! Sign-in as a person does it: ask for a link (the same answer whether or not the address is on the
//! roster), open it once within 15 minutes, hold a session until it expires or they sign out.

use std::sync::Arc;

use sha2::{Digest as _, Sha256};

use super::ports::{AttemptScope, LinkRecord, NonceError, Nonces, SessionRecord, SignInLedger};
use super::token::{self, Purpose, SigningKey, TokenError};
use crate::brief::{BriefSource, PersonCard};
use crate::http_url::HttpUrl;
use crate::mail::{EmailAddress, Mailbox, Mailer, OutgoingMail, escape_html};
use crate::store::StoreError;

/// Links asked for one address per window, known or not.
pub const PER_ADDRESS: u64 = 5;
/// Links asked for from one client per window.
pub const PER_CLIENT: u64 = 20;
/// The rate limits' window.
pub const WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);
/// Where a magic link leads.
pub const LINK_PATH: &str = "/signin/link";

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("{0}")]
    BadAddress(#[from] crate::mail::EmailAddressError),
    #[error("too many sign-in links were asked for {0}; wait a quarter of an hour")]
    RateLimited(&'static str),
    #[error("this sign-in link cannot be used: {0}")]
    BadLink(#[from] TokenError),
    #[error("this sign-in link was used already, or was never issued")]
    UsedLink,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Nonce(#[from] NonceError),
}

impl SignInError {
    /// The caller's mistake (4xx), as opposed to a dependency's failure.
    pub fn is_callers(&self) -> bool {
        !matches!(self, SignInError::Store(_) | SignInError::Nonce(_))
    }
}

/// A browser just signed in: the cookie to set and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub cookie: String,
    pub person: String,
    pub expires: jiff::Timestamp,
}

/// A request's session, once checked against the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub person: String,
    /// What the session's forms' CSRF tokens are bound to.
    pub binding: String,
    pub expires: jiff::Timestamp,
}

/// What a link request did; the page shows the same for both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkRequest {
    Mailed { person: String },
    NotOnRoster,
}

pub struct SignIn {
    pub key: SigningKey,
    pub ledger: Arc<dyn SignInLedger>,
    pub people: Arc<dyn BriefSource>,
    pub mailer: Arc<dyn Mailer>,
    pub nonces: Arc<dyn Nonces>,
    pub sender: Mailbox,
    /// The pages' public base URL (`CLINIC_WEB_URL`): links are built on it, never on a request's Host.
    pub base_url: HttpUrl,
}

fn subject_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn window_start(now: jiff::Timestamp) -> jiff::Timestamp {
    let width = WINDOW.as_secs();
    jiff::Timestamp::from_second(now.as_second().div_euclid(width) * width).unwrap_or(now)
}

impl SignIn {
    /// Mails a link to `address` if it is on the roster. Counted per address and per `client`
    /// before the roster is read, so the answer and the limits are the same for unknown addresses.
    pub async fn request_link(
        &self,
        address: &str,
        client: &str,
        now: jiff::Timestamp,
    ) -> Result<LinkRequest, SignInError> {
        let address = EmailAddress::parse(address.trim())?;
        let normalised = address.as_str().to_ascii_lowercase();
        let start = window_start(now);
        let expires = start + WINDOW + WINDOW;
        let by_address = self
            .ledger
            .count_attempt(
                AttemptScope::Address,
                &subject_hash(&normalised),
                start,
                expires,
            )
            .await?;
        let by_client = self
            .ledger
            .count_attempt(AttemptScope::Client, &subject_hash(client), start, expires)
            .await?;
        if by_address > PER_ADDRESS {
            return Err(SignInError::RateLimited("this address"));
        }
        if by_client > PER_CLIENT {
            return Err(SignInError::RateLimited("this client"));
        }
        let people = self.people.people().await?;
        let Some(person) = people
            .iter()
            .find(|p| p.email.eq_ignore_ascii_case(&normalised))
        else {
            return Ok(LinkRequest::NotOnRoster);
        };
        let expires_at = now + token::LINK_LIFETIME;
        let link_token = token::issue(
            &self.key,
            Purpose::Link,
            &person.id,
            expires_at,
            &self.nonces.nonce()?,
        );
        self.ledger
            .record_link(&LinkRecord {
                hash: token::at_rest(&link_token),
                person: person.id.clone(),
                issued_at: now,
                expires_at,
            })
            .await?;
        let url = format!("{}{LINK_PATH}?token={link_token}", self.base_url.as_str());
        let mail = link_mail(&self.sender, person, &address, &url, expires_at);
        let message_id = format!(
            "{}.signin@clinic.invalid",
            &token::at_rest(&link_token)[..24]
        );
        if let Err(e) = self
            .mailer
            .send(&mail, mail.to_mime(&message_id, now))
            .await
        {
            // The page says the same as for an unknown address: a failure here must not tell
            // who is on the roster. The log says it; the person asks again.
            tracing::error!(person = %person.id, error = %crate::log_text::escape(&e.to_string()), "the sign-in link could not be mailed");
        }
        Ok(LinkRequest::Mailed {
            person: person.id.clone(),
        })
    }

    /// Redeems a link once: signature and expiry checked first, then one conditional write marks it
    /// used, then a fresh session (a new nonce: nothing the browser held before carries over).
    pub async fn redeem(
        &self,
        link_token: &str,
        now: jiff::Timestamp,
    ) -> Result<NewSession, SignInError> {
        let claims = token::verify(&self.key, Purpose::Link, link_token.trim(), now)?;
        let person = self
            .ledger
            .redeem_link(&token::at_rest(link_token.trim()), now)
            .await?
            .ok_or(SignInError::UsedLink)?;
        if person != claims.person {
            return Err(SignInError::UsedLink);
        }
        let expires = now + token::SESSION_LIFETIME;
        let cookie = token::issue(
            &self.key,
            Purpose::Session,
            &person,
            expires,
            &self.nonces.nonce()?,
        );
        let recorded = self
            .ledger
            .record_session(&SessionRecord {
                hash: token::at_rest(&cookie),
                person: person.clone(),
                created_at: now,
                expires_at: expires,
            })
            .await?;
        if !recorded {
            return Err(SignInError::UsedLink);
        }
        Ok(NewSession {
            cookie,
            person,
            expires,
        })
    }

    /// The session `cookie` holds, if it is signed, unexpired and still in the table.
    pub async fn signed_in(
        &self,
        cookie: &str,
        now: jiff::Timestamp,
    ) -> Result<Option<SignedIn>, StoreError> {
        let Ok(claims) = token::verify(&self.key, Purpose::Session, cookie, now) else {
            return Ok(None);
        };
        let Some(record) = self.ledger.session(&token::at_rest(cookie)).await? else {
            return Ok(None);
        };
        // The table's TTL removes expired items late; the record's own expiry decides.
        if record.person != claims.person || record.expires_at <= now {
            return Ok(None);
        }
        Ok(Some(SignedIn {
            person: record.person,
            binding: claims.nonce,
            expires: record.expires_at,
        }))
    }

    /// A person an identity provider vouched for (API Gateway's JWT authorizer checked the token
    /// before the request arrived): the roster's person with `address`, if any. Their forms' CSRF
    /// tokens are bound to the token's `subject`.
    pub async fn vouched_for(
        &self,
        address: &str,
        subject: &str,
        now: jiff::Timestamp,
    ) -> Result<Option<SignedIn>, StoreError> {
        let people = self.people.people().await?;
        Ok(people
            .iter()
            .find(|p| p.email.eq_ignore_ascii_case(address.trim()))
            .map(|person| SignedIn {
                person: person.id.clone(),
                binding: format!("jwt:{subject}"),
                expires: now,
            }))
    }

    /// Ends the session `cookie` holds (nothing if it holds none).
    pub async fn sign_out(&self, cookie: &str) -> Result<(), StoreError> {
        self.ledger.end_session(&token::at_rest(cookie)).await
    }

    pub fn csrf_token(&self, binding: &str) -> String {
        token::csrf_token(&self.key, binding)
    }

    pub fn csrf_matches(&self, binding: &str, given: &str) -> bool {
        token::csrf_matches(&self.key, binding, given)
    }

    /// The card of `person` (the roster's copy in the table), if still on it.
    pub async fn card(&self, person: &str) -> Result<Option<PersonCard>, StoreError> {
        Ok(self
            .people
            .people_named(&[person.to_owned()])
            .await?
            .into_iter()
            .next())
    }
}

fn link_mail(
    sender: &Mailbox,
    person: &PersonCard,
    address: &EmailAddress,
    url: &str,
    expires: jiff::Timestamp,
) -> OutgoingMail {
    let until = expires.strftime("%H:%M UTC");
    OutgoingMail {
        from: sender.clone(),
        to: vec![Mailbox::new(person.name.clone(), address.clone())],
        cc: Vec::new(),
        subject: "Your Clinic sign-in link".to_owned(),
        text: format!(
            "Hello {},\n\nopen this link to sign in to Clinic (once, until {until}):\n\n{url}\n\n\
             If you did not ask for it, ignore this mail: nobody can sign in without it.\n",
            person.name
        ),
        html: format!(
            "<p>Hello {},</p><p><a href=\"{}\">Sign in to Clinic</a> (once, until {until}).</p>\
             <p>If you did not ask for it, ignore this mail: nobody can sign in without it.</p>",
            escape_html(&person.name),
            escape_html(url)
        ),
    }
}
