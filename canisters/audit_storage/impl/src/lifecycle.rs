//! Install and upgrade: the storage skeleton's (`service_base::storage`). There is no `pre_upgrade`: all state already
//! lives in stable memory, so an upgrade costs the same whatever the log's size, and nothing can trap on the way out.

use crate::STATE;
use audit_storage_api::AuditStorageInitArgs;

service_base::storage_lifecycle!(STATE, AuditStorageInitArgs);
