//! The token factory: the factory engine with the token contract kind. Everything else (registry, deploy,
//! indexes, callbacks, health) is the engine's.

use fleet_api::{ContractInit, ContractKind, FleetError};
use token_api::TokenArgs;

pub struct TokenFactory;

impl factory_engine::ContractKindSpec for TokenFactory {
    type Args = TokenArgs;
    const KIND: ContractKind = ContractKind::Token;

    fn validate(init: &ContractInit<TokenArgs>) -> Result<(), FleetError> {
        token_api::validate_init(init)
    }

    fn display_name(args: &TokenArgs) -> String {
        format!("{} ({})", args.name, args.symbol)
    }
}

factory_engine::factory_canister!(TokenFactory, token_api::TokenArgs);

ic_cdk::export_candid!();

#[cfg(test)]
mod tests;
