//! Install and upgrade: the storage skeleton's (`service_base::storage`). No `pre_upgrade`: all state already lives
//! in stable memory.

use crate::STATE;
use invoice_storage_api::InvoiceStorageInitArgs;

service_base::storage_lifecycle!(STATE, InvoiceStorageInitArgs);
