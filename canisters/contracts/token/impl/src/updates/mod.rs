mod approve;
mod transfer;
mod transfer_from;
