//! The balances of the wallet's accounts as the ledgers last reported them (`refreshBalance`).

use super::{BalanceKey, Wallet};
use candid::{Nat, Principal};
use contract_runtime::storable::Candid;
use fleet_api::{FleetError, Page, PageRequest};
use ic_stable_structures::Memory;
use multisig_api::{KnownBalance, Subaccount, MAX_KNOWN_BALANCES};

fn key(ledger: Principal, subaccount: Option<Subaccount>) -> BalanceKey {
    (ledger, subaccount.unwrap_or([0; 32]))
}

impl<M: Memory> Wallet<M> {
    /// Whether a refresh of this account may be recorded: it is known already, or there is room for one more.
    pub fn can_record_balance(&self, ledger: Principal, subaccount: Option<Subaccount>) -> Result<(), FleetError> {
        if self.balances.contains_key(&key(ledger, subaccount)) || self.balances.len() < MAX_KNOWN_BALANCES {
            Ok(())
        } else {
            Err(FleetError::invalid_state(format!("the wallet already tracks {MAX_KNOWN_BALANCES} balances")))
        }
    }

    pub fn record_balance(
        &mut self,
        ledger: Principal,
        subaccount: Option<Subaccount>,
        balance: Nat,
        now: u64,
    ) -> Result<KnownBalance, FleetError> {
        self.can_record_balance(ledger, subaccount)?;
        self.balances.insert(key(ledger, subaccount), Candid((balance.clone(), now)));
        Ok(KnownBalance { ledger, subaccount: normalized(subaccount), balance, refreshed_at: now })
    }

    /// By ledger, then subaccount.
    pub fn balances_page(&self, request: PageRequest) -> Page<KnownBalance> {
        let items = self.balances.iter().map(|entry| {
            let (ledger, subaccount) = *entry.key();
            let Candid((balance, refreshed_at)) = entry.value();
            KnownBalance { ledger, subaccount: normalized(Some(subaccount)), balance, refreshed_at }
        });
        Page::from_iter(request, self.balances.len(), items)
    }
}

fn normalized(subaccount: Option<Subaccount>) -> Option<Subaccount> {
    subaccount.filter(|s| *s != [0; 32])
}
