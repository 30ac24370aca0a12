//! The operating system's random bytes behind the sign-in's [`Nonces`] port.

use crate::signin::ports::{NonceError, Nonces};

#[derive(Debug, Clone, Copy, Default)]
pub struct OsNonces;

impl Nonces for OsNonces {
    fn nonce(&self) -> Result<[u8; 32], NonceError> {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).map_err(|e| NonceError(e.to_string()))?;
        Ok(bytes)
    }
}
