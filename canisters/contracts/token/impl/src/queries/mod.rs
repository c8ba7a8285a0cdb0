mod icrc1;
mod icrc2;
mod transactions;
