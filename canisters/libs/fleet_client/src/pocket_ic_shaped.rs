//! The emulator and PocketIC expose the same `PocketIc` calls; one macro makes a transport of either.

/// Defines `$name<'a>`, a [`crate::Transport`] over `&'a $pic` calling as `sender`.
macro_rules! pocket_ic_transport {
    ($(#[$doc:meta])* $name:ident, $pic:ty) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $name<'a> {
            pub ic: &'a $pic,
            pub sender: candid::Principal,
        }

        impl<'a> $name<'a> {
            pub fn new(ic: &'a $pic, sender: candid::Principal) -> Self {
                Self { ic, sender }
            }
        }

        impl crate::Transport for $name<'_> {
            fn update(
                &self,
                canister: candid::Principal,
                method: &str,
                arg: Vec<u8>,
            ) -> Result<Vec<u8>, crate::TransportError> {
                self.ic.update_call(canister, self.sender, method, arg).map_err(|r| crate::TransportError::Rejected {
                    code: format!("{:?}", r.reject_code),
                    message: r.reject_message,
                })
            }

            fn query(
                &self,
                canister: candid::Principal,
                method: &str,
                arg: Vec<u8>,
            ) -> Result<Vec<u8>, crate::TransportError> {
                self.ic.query_call(canister, self.sender, method, arg).map_err(|r| crate::TransportError::Rejected {
                    code: format!("{:?}", r.reject_code),
                    message: r.reject_message,
                })
            }

            fn caller(&self) -> candid::Principal {
                self.sender
            }
        }
    };
}

pub(crate) use pocket_ic_transport;
