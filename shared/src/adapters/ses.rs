//! The SES v2 adapter of the [`Mailer`] port: the composed message is sent as raw content, and SES's
//! answer sorted into "rejected" (will fail again unchanged) and "unavailable" (may pass on a retry).

use async_trait::async_trait;

use crate::mail::{MailError, Mailer, OutgoingMail, SentMail};

/// SES v2 adapter: sends the composed message as raw content.
pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
}

impl SesMailer {
    pub fn new(client: aws_sdk_sesv2::Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &OutgoingMail, raw: Vec<u8>) -> Result<SentMail, MailError> {
        use aws_sdk_sesv2::error::SdkError;
        use aws_sdk_sesv2::operation::send_email::SendEmailError;
        use aws_sdk_sesv2::primitives::Blob;
        use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};

        let raw_message = RawMessage::builder()
            .data(Blob::new(raw))
            .build()
            .map_err(|e| MailError::Rejected {
                reason: "could not build the raw message".into(),
                source: Some(Box::new(e)),
            })?;
        let destination = Destination::builder()
            .set_to_addresses(Some(
                mail.to.iter().map(|m| m.address.to_string()).collect(),
            ))
            .set_cc_addresses(Some(
                mail.cc.iter().map(|m| m.address.to_string()).collect(),
            ))
            .build();
        let result = self
            .client
            .send_email()
            .from_email_address(mail.from.address.as_str())
            .destination(destination)
            .content(EmailContent::builder().raw(raw_message).build())
            .send()
            .await;
        match result {
            Ok(output) => Ok(SentMail {
                provider_message_id: output.message_id.unwrap_or_default(),
            }),
            Err(SdkError::ServiceError(service)) => {
                let err = service.into_err();
                let reason = err.to_string();
                let permanent = matches!(
                    err,
                    SendEmailError::MessageRejected(_)
                        | SendEmailError::MailFromDomainNotVerifiedException(_)
                        | SendEmailError::BadRequestException(_)
                        | SendEmailError::AccountSuspendedException(_)
                        | SendEmailError::SendingPausedException(_)
                );
                if permanent {
                    Err(MailError::Rejected {
                        reason,
                        source: Some(Box::new(err)),
                    })
                } else {
                    Err(MailError::Unavailable {
                        reason,
                        source: Some(Box::new(err)),
                    })
                }
            }
            Err(other) => Err(MailError::Unavailable {
                reason: other.to_string(),
                source: Some(Box::new(other)),
            }),
        }
    }
}
