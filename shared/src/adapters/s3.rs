//! The S3 adapter: raw inbound mail is read from the bucket SES writes to, and the calendar feed is
//! written where calendar clients subscribe.

use async_trait::async_trait;

use crate::maintenance::ports::{MailObjects, ObjectError, RawMail};

pub struct S3Objects {
    client: aws_sdk_s3::Client,
}

impl S3Objects {
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        Self { client }
    }
}

fn failure(
    operation: &'static str,
    bucket: &str,
    key: &str,
    error: impl std::error::Error,
) -> ObjectError {
    ObjectError {
        operation,
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        message: aws_sdk_s3::error::DisplayErrorContext(error).to_string(),
    }
}

#[async_trait]
impl MailObjects for S3Objects {
    async fn fetch(&self, bucket: &str, key: &str, limit: u64) -> Result<RawMail, ObjectError> {
        let head = self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| failure("HeadObject", bucket, key, e))?;
        let size = head.content_length.unwrap_or_default().max(0) as u64;
        if size > limit {
            return Ok(RawMail {
                bytes: Vec::new(),
                size,
            });
        }
        let object = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| failure("GetObject", bucket, key, e))?;
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| failure("GetObject (body)", bucket, key, e))?
            .into_bytes()
            .to_vec();
        Ok(RawMail {
            size: bytes.len() as u64,
            bytes,
        })
    }

    async fn publish(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<(), ObjectError> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .cache_control("max-age=300")
            .body(body.into())
            .send()
            .await
            .map_err(|e| failure("PutObject", bucket, key, e))?;
        Ok(())
    }
}

/// The calendar object the maintenance-mail function writes, read back for the maintenance feed.
pub struct PublishedCalendarObject {
    pub objects: S3Objects,
    pub bucket: String,
    pub key: String,
}

/// A feed larger than this is refused rather than relayed (the maintenance calendar is far smaller).
const MAX_CALENDAR_BYTES: u64 = 8 * 1024 * 1024;

#[async_trait]
impl crate::calendars::service::PublishedCalendar for PublishedCalendarObject {
    async fn maintenance_calendar(&self) -> Result<String, String> {
        let raw = self
            .objects
            .fetch(&self.bucket, &self.key, MAX_CALENDAR_BYTES)
            .await
            .map_err(|e| e.to_string())?;
        if raw.bytes.is_empty() && raw.size > 0 {
            return Err(format!(
                "the calendar object is {} bytes, over the limit",
                raw.size
            ));
        }
        String::from_utf8(raw.bytes).map_err(|_| "the calendar object is not UTF-8".to_owned())
    }
}
