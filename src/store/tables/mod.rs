//! sea-orm table definitions, one file per table. They mirror `migrations/` and
//! never leave `store`: the rest of the program sees `domain` types.

pub mod api_keys;
pub mod clients;
pub mod events;
pub mod invitations;
pub mod projects;
pub mod senders;
pub mod wabas;
pub mod webhook_inbox;
pub mod webhook_registrations;
