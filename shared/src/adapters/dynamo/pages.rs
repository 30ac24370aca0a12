//! The loops that DynamoDB's paging and partial batch writes require, kept apart from the SDK so that
//! they are tested with fakes: the local server never returns `UnprocessedItems` and drops
//! `LastEvaluatedKey` on a limited Query, so it cannot exercise them.

use std::future::Future;
use std::time::Duration;

use crate::store::StoreError;

/// One page of a Query: its items and where the next page starts, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T, K> {
    pub items: Vec<T>,
    pub next: Option<K>,
}

/// Follows `next` until the last page. `max_pages` bounds a runaway loop (a key that never ends).
pub async fn collect_pages<T, K, F, Fut>(
    max_pages: usize,
    mut fetch: F,
) -> Result<Vec<T>, StoreError>
where
    F: FnMut(Option<K>) -> Fut,
    Fut: Future<Output = Result<Page<T, K>, StoreError>>,
{
    let mut items = Vec::new();
    let mut start = None;
    for _ in 0..max_pages {
        let page = fetch(start.take()).await?;
        items.extend(page.items);
        match page.next {
            Some(next) => start = Some(next),
            None => return Ok(items),
        }
    }
    Err(StoreError::Unprocessed {
        operation: "Query (paging)",
        attempts: max_pages as u32,
    })
}

/// DynamoDB accepts at most this many requests in one BatchWriteItem.
pub const BATCH_LIMIT: usize = 25;

/// How unprocessed batch items are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 8,
            first_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(2),
        }
    }
}

/// Writes every request in batches of [`BATCH_LIMIT`], re-sending what `send` reports back as
/// unprocessed with exponential back-off, until nothing is left or the attempts run out.
pub async fn write_in_batches<W, F, Fut>(
    requests: Vec<W>,
    policy: RetryPolicy,
    mut send: F,
) -> Result<(), StoreError>
where
    F: FnMut(Vec<W>) -> Fut,
    Fut: Future<Output = Result<Vec<W>, StoreError>>,
{
    in_batches(
        "BatchWriteItem",
        requests,
        BATCH_LIMIT,
        policy,
        move |chunk| {
            let sent = send(chunk);
            async move {
                Ok(Batch::<(), W> {
                    done: Vec::new(),
                    unprocessed: sent.await?,
                })
            }
        },
    )
    .await
    .map(drop)
}

/// What one batch call did: its results, and the requests the service left for a later call.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch<O, W> {
    pub done: Vec<O>,
    pub unprocessed: Vec<W>,
}

/// Sends every request in batches of `limit`, re-sending what comes back unprocessed with
/// exponential back-off, until nothing is left or the attempts run out; the results of every call.
pub async fn in_batches<W, O, F, Fut>(
    operation: &'static str,
    requests: Vec<W>,
    limit: usize,
    policy: RetryPolicy,
    mut send: F,
) -> Result<Vec<O>, StoreError>
where
    F: FnMut(Vec<W>) -> Fut,
    Fut: Future<Output = Result<Batch<O, W>, StoreError>>,
{
    let mut done = Vec::new();
    let mut pending: Vec<W> = requests;
    let mut attempt = 0;
    let mut delay = policy.first_delay;
    while !pending.is_empty() {
        if attempt == policy.attempts {
            return Err(StoreError::Unprocessed {
                operation,
                attempts: attempt,
            });
        }
        attempt += 1;
        let mut unprocessed = Vec::new();
        let mut rest = pending;
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(limit.max(1)));
            let chunk = std::mem::replace(&mut rest, tail);
            let batch = send(chunk).await?;
            done.extend(batch.done);
            unprocessed.extend(batch.unprocessed);
        }
        pending = unprocessed;
        if !pending.is_empty() && !delay.is_zero() {
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(policy.max_delay);
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    const NO_WAIT: RetryPolicy = RetryPolicy {
        attempts: 5,
        first_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
    };

    #[tokio::test]
    async fn every_page_is_followed_until_there_is_no_next_key() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = calls.clone();
        let items = collect_pages(10, move |start: Option<u32>| {
            seen.lock().unwrap().push(start);
            async move {
                let page = start.unwrap_or(0);
                Ok(Page {
                    items: vec![page * 10, page * 10 + 1],
                    next: (page < 2).then_some(page + 1),
                })
            }
        })
        .await
        .unwrap();
        assert_eq!(items, vec![0, 1, 10, 11, 20, 21]);
        assert_eq!(*calls.lock().unwrap(), vec![None, Some(1), Some(2)]);
    }

    #[tokio::test]
    async fn a_query_whose_pages_never_end_is_stopped() {
        let result = collect_pages(3, |_start: Option<u32>| async {
            Ok(Page {
                items: vec![1],
                next: Some(1),
            })
        })
        .await;
        assert!(matches!(result, Err(StoreError::Unprocessed { .. })));
    }

    #[tokio::test]
    async fn batches_never_exceed_twenty_five_requests() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let seen = sizes.clone();
        write_in_batches((0..60).collect::<Vec<u32>>(), NO_WAIT, move |chunk| {
            seen.lock().unwrap().push(chunk.len());
            async { Ok(Vec::new()) }
        })
        .await
        .unwrap();
        assert_eq!(*sizes.lock().unwrap(), vec![25, 25, 10]);
    }

    #[tokio::test]
    async fn unprocessed_items_are_sent_again_until_all_are_written() {
        let written = Arc::new(Mutex::new(Vec::new()));
        let rounds = Arc::new(Mutex::new(0));
        let (w, r) = (written.clone(), rounds.clone());
        write_in_batches((0..30).collect::<Vec<u32>>(), NO_WAIT, move |chunk| {
            let (w, r) = (w.clone(), r.clone());
            async move {
                *r.lock().unwrap() += 1;
                // The fake service accepts only the first ten requests of each call.
                let (accepted, refused) = chunk.split_at(chunk.len().min(10));
                w.lock().unwrap().extend_from_slice(accepted);
                Ok(refused.to_vec())
            }
        })
        .await
        .unwrap();
        let mut all = written.lock().unwrap().clone();
        all.sort();
        assert_eq!(all, (0..30).collect::<Vec<_>>());
        assert!(*rounds.lock().unwrap() > 2);
    }

    #[tokio::test]
    async fn a_batched_read_keeps_the_results_of_every_call_and_asks_again_for_the_rest() {
        let rounds = Arc::new(Mutex::new(Vec::new()));
        let seen = rounds.clone();
        let mut found = in_batches(
            "BatchGetItem",
            (0..150).collect::<Vec<u32>>(),
            100,
            NO_WAIT,
            move |chunk| {
                seen.lock().unwrap().push(chunk.len());
                // The fake service answers at most 60 keys a call and leaves the rest.
                let (answered, left) = chunk.split_at(chunk.len().min(60));
                let batch = Batch {
                    done: answered.iter().map(|n| n * 10).collect(),
                    unprocessed: left.to_vec(),
                };
                async move { Ok(batch) }
            },
        )
        .await
        .unwrap();
        found.sort_unstable();
        assert_eq!(found, (0..150).map(|n| n * 10).collect::<Vec<_>>());
        let rounds = rounds.lock().unwrap().clone();
        assert_eq!(rounds, [100, 50, 40]);
    }

    #[tokio::test]
    async fn items_that_stay_unprocessed_end_in_an_error_not_a_silent_loss() {
        let result =
            write_in_batches(vec![1, 2, 3], NO_WAIT, |chunk| async move { Ok(chunk) }).await;
        assert!(matches!(
            result,
            Err(StoreError::Unprocessed { attempts: 5, .. })
        ));
    }
}
