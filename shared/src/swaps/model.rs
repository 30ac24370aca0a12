//! A swap request and its state machine, pure: who may move it from one state to the next, and
//! what each refusal says. The service reads a request, asks here, and writes the answer with one
//! write conditional on the version it read.

use serde::{Deserialize, Serialize};

use crate::rotation::calendar::IsoWeek;

/// A request's id: 32 lower-case hex digits (16 random bytes), so a link cannot be guessed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SwapId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a swap request's id is 32 lower-case hex digits")]
pub struct BadSwapId;

impl SwapId {
    pub const LEN: usize = 32;

    pub fn parse(text: &str) -> Result<Self, BadSwapId> {
        let ok = text.len() == Self::LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(BadSwapId)
        }
    }

    /// An id from random bytes (the first 16 are used).
    pub fn from_random(bytes: &[u8; 32]) -> Self {
        Self(hex::encode(&bytes[..16]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SwapId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for SwapId {
    type Error = BadSwapId;
    fn try_from(text: String) -> Result<Self, BadSwapId> {
        Self::parse(&text)
    }
}

impl From<SwapId> for String {
    fn from(id: SwapId) -> String {
        id.0
    }
}

/// What is asked: someone to serve the requester's week (cover), or the requester's week traded
/// for another named week of the same rotation, whose person is the one asked (swap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SwapKind {
    Cover { week: IsoWeek },
    Swap { week: IsoWeek, with_week: IsoWeek },
}

impl SwapKind {
    /// The requester's week.
    pub fn week(self) -> IsoWeek {
        match self {
            Self::Cover { week } | Self::Swap { week, .. } => week,
        }
    }

    /// Every week the request changes.
    pub fn weeks(self) -> Vec<IsoWeek> {
        match self {
            Self::Cover { week } => vec![week],
            Self::Swap { week, with_week } => vec![week, with_week],
        }
    }

    pub fn describe(self) -> String {
        match self {
            Self::Cover { week } => format!("cover for {week}"),
            Self::Swap { week, with_week } => format!("swap of {week} with {with_week}"),
        }
    }
}

/// Where a request is. `Open` → `Accepted` → `Applied`, or with an approver `Open` →
/// `AwaitingApproval` → `Approved` → `Applied` (or `Declined`); an open or waiting request
/// ends `Expired` or `Withdrawn`. `Accepted` and `Approved` last only until the overrides are
/// written: a crash in between leaves them there, and applying again finishes the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SwapState {
    Open,
    Accepted,
    AwaitingApproval,
    Approved,
    Declined,
    Applied,
    Expired,
    Withdrawn,
}

impl SwapState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Accepted => "accepted",
            Self::AwaitingApproval => "awaiting-approval",
            Self::Approved => "approved",
            Self::Declined => "declined",
            Self::Applied => "applied",
            Self::Expired => "expired",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Accepted or approved, with the overrides still to be written.
    pub fn to_apply(self) -> bool {
        matches!(self, Self::Accepted | Self::Approved)
    }
}

/// What a person can press on a request's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    Accept,
    Approve,
    Decline,
    Withdraw,
}

impl Button {
    /// The button as its route names it (`/swaps/<id>/<button>`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "accept" => Some(Self::Accept),
            "approve" => Some(Self::Approve),
            "decline" => Some(Self::Decline),
            "withdraw" => Some(Self::Withdraw),
            _ => None,
        }
    }
}

/// One request, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwapRequest {
    pub id: SwapId,
    pub rotation: String,
    #[serde(flatten)]
    pub kind: SwapKind,
    pub requester: String,
    /// The requester's words, shown to those offered.
    pub note: String,
    /// Exactly the people who may accept, decided when the request was made.
    pub offered: Vec<String>,
    pub state: SwapState,
    pub accepted_by: Option<String>,
    /// The rotation's approver when the request was made, if any.
    pub approver: Option<String>,
    pub decided_by: Option<String>,
    pub created_at: jiff::Timestamp,
    /// When the requester's week (for a swap, the earlier of the two) starts.
    pub week_starts: jiff::Timestamp,
    /// After this nobody can accept or approve: the week's start, or earlier by the maximum age.
    pub closes_at: jiff::Timestamp,
    pub updated_at: jiff::Timestamp,
    /// Every write is conditional on the version it read, and adds one.
    pub version: u32,
}

/// Why a person cannot do what they asked with a request; nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this request was not offered to you: only the people it was offered to can accept it")]
    NotOffered,
    #[error("only the person who asked can withdraw this request")]
    NotRequester,
    #[error("only the rotation's approver can approve or decline this request")]
    NotApprover,
    #[error(
        "you are one of this swap's two people, and nobody approves a change to their own duty: \
         decline it, or have an operator apply it"
    )]
    OwnSwap,
    #[error("someone else took this request first")]
    Taken,
    #[error("this request has expired: its week has started or it is too old")]
    Expired,
    #[error("this request is {0} and cannot be changed any more")]
    Closed(&'static str),
    #[error("this request is not waiting for an approval")]
    NotAwaitingApproval,
}

impl Refusal {
    /// Whether the person had no right to act (as opposed to the request having moved on).
    pub fn is_forbidden(&self) -> bool {
        matches!(
            self,
            Self::NotOffered | Self::NotRequester | Self::NotApprover | Self::OwnSwap
        )
    }
}

impl SwapRequest {
    fn moved(&self, state: SwapState, now: jiff::Timestamp) -> Self {
        Self {
            state,
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }

    fn closed(&self) -> Refusal {
        match self.state {
            SwapState::Expired => Refusal::Expired,
            SwapState::Accepted
            | SwapState::AwaitingApproval
            | SwapState::Approved
            | SwapState::Applied
                if self.accepted_by.is_some() =>
            {
                Refusal::Taken
            }
            state => Refusal::Closed(state.as_str()),
        }
    }

    /// `by` takes the request: the first one offered to wins.
    pub fn accept(&self, by: &str, now: jiff::Timestamp) -> Result<Self, Refusal> {
        if !self.offered.iter().any(|p| p == by) {
            return Err(Refusal::NotOffered);
        }
        if self.state != SwapState::Open {
            return Err(self.closed());
        }
        if now >= self.closes_at {
            return Err(Refusal::Expired);
        }
        let next = if self.approver.is_some() {
            SwapState::AwaitingApproval
        } else {
            SwapState::Accepted
        };
        let mut accepted = self.moved(next, now);
        accepted.accepted_by = Some(by.to_owned());
        Ok(accepted)
    }

    fn decide(&self, by: &str, now: jiff::Timestamp, to: SwapState) -> Result<Self, Refusal> {
        if self.approver.as_deref() != Some(by) {
            return Err(Refusal::NotApprover);
        }
        if self.state != SwapState::AwaitingApproval {
            return Err(match self.state {
                SwapState::Expired => Refusal::Expired,
                SwapState::Open => Refusal::NotAwaitingApproval,
                state => Refusal::Closed(state.as_str()),
            });
        }
        if now >= self.closes_at {
            return Err(Refusal::Expired);
        }
        // Four eyes: approving is a second person's yes. Declining changes no duty, so the approver
        // may still decline a swap of their own (for their request, the same as withdrawing it).
        if to == SwapState::Approved && self.approver_is_party() {
            return Err(Refusal::OwnSwap);
        }
        let mut decided = self.moved(to, now);
        decided.decided_by = Some(by.to_owned());
        Ok(decided)
    }

    /// Whether the approver is the requester or the acceptor: then nobody can approve it.
    pub fn approver_is_party(&self) -> bool {
        self.approver
            .as_deref()
            .is_some_and(|a| a == self.requester || self.accepted_by.as_deref() == Some(a))
    }

    pub fn approve(&self, by: &str, now: jiff::Timestamp) -> Result<Self, Refusal> {
        self.decide(by, now, SwapState::Approved)
    }

    pub fn decline(&self, by: &str, now: jiff::Timestamp) -> Result<Self, Refusal> {
        self.decide(by, now, SwapState::Declined)
    }

    /// The requester takes it back, while nobody has it applied.
    pub fn withdraw(&self, by: &str, now: jiff::Timestamp) -> Result<Self, Refusal> {
        if self.requester != by {
            return Err(Refusal::NotRequester);
        }
        match self.state {
            SwapState::Open | SwapState::AwaitingApproval => {
                Ok(self.moved(SwapState::Withdrawn, now))
            }
            state => Err(Refusal::Closed(state.as_str())),
        }
    }

    /// Expired, when still open or waiting at `now` past its closing time.
    pub fn expire(&self, now: jiff::Timestamp) -> Option<Self> {
        let waiting = matches!(self.state, SwapState::Open | SwapState::AwaitingApproval);
        (waiting && now >= self.closes_at).then(|| self.moved(SwapState::Expired, now))
    }

    /// Applied, once the overrides are written.
    pub fn applied(&self, now: jiff::Timestamp) -> Option<Self> {
        self.state
            .to_apply()
            .then(|| self.moved(SwapState::Applied, now))
    }

    /// Who serves which week once applied: (week, person) pairs.
    pub fn assignments(&self) -> Option<Vec<(IsoWeek, String)>> {
        let acceptor = self.accepted_by.clone()?;
        Some(match self.kind {
            SwapKind::Cover { week } => vec![(week, acceptor)],
            SwapKind::Swap { week, with_week } => {
                vec![(week, acceptor), (with_week, self.requester.clone())]
            }
        })
    }

    /// The audit subject of everything done with the request.
    pub fn subject(&self) -> String {
        format!("swap/{}", self.id)
    }
}
