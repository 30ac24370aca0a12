//! Telling the team where it talks: the chat port (Slack and Matrix adapters implement it), and
//! what Clinic says there. Each post is made once per marker (claimed in the table, found again by
//! its marker after a lost answer); the topic section and the user group follow the duty.

pub mod deliver;
pub mod events;
pub mod ports;
pub mod topic;

#[cfg(test)]
pub(crate) mod memory;

pub use deliver::{Poster, post_once};
pub use events::{EventPostError, EventRooms, RoomPost, quoted, rooms_of};

pub use ports::{
    ChatApi, ChatError, ChatNetworks, ChatPost, ChatRoom, Network, PostMarker, PostMarkerError,
    PostedMessage, RoomMessage, RoomMessages,
};
