//! The event posts' rooms as a function builds them at cold start: the chat networks of its
//! configuration (tokens read from SSM only when a network is configured) and the duty rotation's
//! rooms from the roster. Shared by victorops-webhook and maintenance-mail.

use crate::adapters::ssm::ParameterStore;
use crate::chat::EventRooms;
use crate::config::{ConfigError, EventChat};

pub async fn event_rooms(
    chat: &EventChat,
    ssm: &dyn ParameterStore,
) -> Result<EventRooms, ConfigError> {
    let networks = crate::config::chat_networks(&chat.networks, ssm).await?;
    let rooms = EventRooms::new(networks, chat.rooms.clone());
    if !chat.rooms.is_empty() && rooms.is_empty() {
        tracing::info!(
            rooms = chat.rooms.len(),
            "the duty rotation has chat rooms but no chat network is configured: nothing is posted"
        );
    }
    Ok(rooms)
}
