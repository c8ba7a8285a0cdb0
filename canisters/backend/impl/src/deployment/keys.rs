//! Idempotency keys. The backend's deployment ids (and outbox sequence numbers) restart at 0 when the backend is
//! reinstalled, and invoice ids restart when invoice storage is: neither may serve as a key at the factory or in
//! storage, where an old key would replay another request (another user's contract, an old invoice). A key is
//! therefore a hash of a salt drawn once per install of the backend and the local number: unique across installs,
//! stable across upgrades (the salt is in stable memory), the same for every re-send of one request.

use sha2::{Digest, Sha256};

/// What a key is for; part of the hash so a deployment and an audit event never share a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyUse {
    Deployment,
    AuditEvent,
    Withdrawal,
}

impl KeyUse {
    fn tag(self) -> &'static [u8] {
        match self {
            Self::Deployment => b"deployment",
            Self::AuditEvent => b"audit-event",
            Self::Withdrawal => b"withdrawal",
        }
    }
}

/// The install salt: a hash of the backend's own id and the install time (strictly later for every reinstall).
pub fn salt(canister_id: &[u8], now: u64) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(b"fleet-backend-install-salt");
    hasher.update((canister_id.len() as u32).to_be_bytes());
    hasher.update(canister_id);
    hasher.update(now.to_be_bytes());
    hasher.finalize().to_vec()
}

pub fn key(salt: &[u8], used_for: KeyUse, n: u64) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(used_for.tag());
    hasher.update(n.to_be_bytes());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_across_installs_and_uses_and_repeat_within_one() {
        let (first, reinstalled) = (salt(b"backend", 1), salt(b"backend", 2));
        assert_ne!(key(&first, KeyUse::Deployment, 0), key(&reinstalled, KeyUse::Deployment, 0));
        assert_ne!(key(&first, KeyUse::Deployment, 0), key(&first, KeyUse::AuditEvent, 0));
        assert_ne!(key(&first, KeyUse::Deployment, 0), key(&first, KeyUse::Deployment, 1));
        assert_eq!(key(&first, KeyUse::Deployment, 7), key(&first, KeyUse::Deployment, 7));
        assert_ne!(salt(b"backend", 1), salt(b"other", 1));
    }
}
