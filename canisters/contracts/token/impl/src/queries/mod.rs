mod icrc1;
mod icrc2;
mod icrc3;
mod transactions;
