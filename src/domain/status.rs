//! Closed sets of values shared by the store and the API: providers, node types,
//! unified statuses (design.md section 1) and where a change came from.
//!
//! Each value is stored as its SCREAMING_CASE name, the same text GraphQL shows.

use std::fmt;
use std::str::FromStr;

/// Defines an enum with its stored/GraphQL name for each variant, `as_str`, `FromStr`
/// and `Display`, so the text form lives in exactly one place.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[allow(missing_docs)] // variant names are the documentation
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and displayed name of this value.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($text => Ok($name::$variant),)+ _ => Err(UnknownValue(s.to_owned())) }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

/// A stored value that names no variant (a corrupt row or a newer schema).
#[derive(Debug, thiserror::Error)]
#[error("unknown enum value {0:?}")]
pub struct UnknownValue(pub String);

named_enum!(
    /// A WhatsApp Business Solution Provider bspgraph talks to.
    Provider { Sendzen = "SENDZEN", Zavu = "ZAVU", Sinch = "SINCH" }
);

named_enum!(
    /// The kinds of objects that have global ids and appear in the event log.
    NodeType {
        Client = "Client",
        Project = "Project",
        Invitation = "Invitation",
        Sender = "Sender",
        Waba = "Waba",
    }
);

named_enum!(
    /// Unified lifecycle of one onboarding attempt.
    InvitationStatus {
        Pending = "PENDING",
        InProgress = "IN_PROGRESS",
        AwaitingAction = "AWAITING_ACTION",
        Completed = "COMPLETED",
        Failed = "FAILED",
        Expired = "EXPIRED",
        Cancelled = "CANCELLED",
    }
);

impl InvitationStatus {
    /// A terminal invitation never changes again and is no longer polled.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Expired | Self::Cancelled)
    }
}

named_enum!(
    /// Unified lifecycle of a WhatsApp phone-number sender.
    SenderStatus {
        Provisioning = "PROVISIONING",
        PendingVerification = "PENDING_VERIFICATION",
        Active = "ACTIVE",
        Inactive = "INACTIVE",
        Suspended = "SUSPENDED",
        Rejected = "REJECTED",
        Error = "ERROR",
        Deleting = "DELETING",
        Deleted = "DELETED",
    }
);

named_enum!(
    /// Unified state of a WhatsApp Business Account.
    WabaStatus { Pending = "PENDING", AwaitingAction = "AWAITING_ACTION", Onboarded = "ONBOARDED", Rejected = "REJECTED" }
);

named_enum!(
    /// How the customer is taken through the onboarding.
    OnboardingFlow { HostedLink = "HOSTED_LINK", EmbeddedSignup = "EMBEDDED_SIGNUP", OnBehalfOf = "ON_BEHALF_OF" }
);

named_enum!(
    /// What caused a change recorded in the event log.
    ChangeSource { Webhook = "WEBHOOK", Poll = "POLL", Mutation = "MUTATION", Sandbox = "SANDBOX" }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_stored_name() {
        for s in InvitationStatus::ALL {
            assert_eq!(s.as_str().parse::<InvitationStatus>().ok(), Some(*s));
        }
        for s in SenderStatus::ALL {
            assert_eq!(s.as_str().parse::<SenderStatus>().ok(), Some(*s));
        }
        assert!("pending".parse::<InvitationStatus>().is_err());
    }
}
