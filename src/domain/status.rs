//! Closed sets of values shared by the store and the API: providers, node types,
//! unified statuses (design.md section 1) and where a change came from.
//!
//! Each value is stored as its SCREAMING_CASE name, the same text GraphQL shows.

use std::fmt;
use std::str::FromStr;

/// Defines an enum with its stored/GraphQL name for each variant, `as_str`, `FromStr`,
/// `Display` and serde (as that name), so the text form lives in exactly one place.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
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

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(self.as_str()) }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A stored value that names no variant (a corrupt row or a newer schema).
#[derive(Debug, thiserror::Error)]
#[error("unknown enum value {0:?}")]
pub struct UnknownValue(pub String);

named_enum!(
    /// A WhatsApp Business Solution Provider bspgraph talks to.
    Provider {
        /// SendZen: onboarding in an iframe the partner page embeds.
        Sendzen = "SENDZEN",
        /// Zavu: a hosted invitation link the customer opens.
        Zavu = "ZAVU",
        /// Sinch: Meta embedded signup or on-behalf-of onboarding.
        Sinch = "SINCH",
    }
);

named_enum!(
    /// The kinds of objects that have global ids and appear in the event log.
    NodeType {
        /// A client (the partner's end customer).
        Client = "Client",
        /// A provider-side project.
        Project = "Project",
        /// An onboarding attempt.
        Invitation = "Invitation",
        /// A WhatsApp phone-number sender.
        Sender = "Sender",
        /// A WhatsApp Business Account.
        Waba = "Waba",
    }
);

named_enum!(
    /// Where an onboarding attempt stands, the same for every provider (the provider's
    /// own wording is in `providerStatus`).
    InvitationStatus {
        /// Created; the customer has not started yet.
        Pending = "PENDING",
        /// The customer started, or bspgraph is finishing the setup (a sender provisioning).
        InProgress = "IN_PROGRESS",
        /// Waiting for someone outside bspgraph, e.g. Meta's business verification.
        AwaitingAction = "AWAITING_ACTION",
        /// Done: the customer's number is connected. Final.
        Completed = "COMPLETED",
        /// The customer or the provider gave up; see `failureReason`. Final.
        Failed = "FAILED",
        /// The link ran out before the customer finished. Final.
        Expired = "EXPIRED",
        /// Cancelled by the partner. Final.
        Cancelled = "CANCELLED",
    }
);

impl InvitationStatus {
    /// The terminal statuses.
    pub const TERMINAL: [Self; 4] = [Self::Completed, Self::Failed, Self::Expired, Self::Cancelled];

    /// A terminal invitation never changes again and is no longer polled.
    pub fn is_terminal(self) -> bool {
        Self::TERMINAL.contains(&self)
    }
}

named_enum!(
    /// Where a WhatsApp phone number stands, the same for every provider (the
    /// provider's own wording is in `providerStatus`).
    SenderStatus {
        /// Being set up at the provider or at Meta.
        Provisioning = "PROVISIONING",
        /// Waiting for the one-time code (`registerSender`, then `verifySender`).
        PendingVerification = "PENDING_VERIFICATION",
        /// Can send and receive messages.
        Active = "ACTIVE",
        /// Exists but cannot send (e.g. disconnected by the customer).
        Inactive = "INACTIVE",
        /// Blocked by Meta or the provider; see `statusReason`.
        Suspended = "SUSPENDED",
        /// Refused by Meta or the provider; see `statusReason`.
        Rejected = "REJECTED",
        /// Setup failed at the provider; see `statusReason`.
        Error = "ERROR",
        /// Being removed.
        Deleting = "DELETING",
        /// Removed; it will not come back.
        Deleted = "DELETED",
    }
);

named_enum!(
    /// Where a WhatsApp Business Account stands, the same for every provider.
    WabaStatus {
        /// Created; Meta has not decided yet.
        Pending = "PENDING",
        /// Waiting for the customer, e.g. Meta's business verification.
        AwaitingAction = "AWAITING_ACTION",
        /// Approved by Meta; senders can be added.
        Onboarded = "ONBOARDED",
        /// Refused by Meta.
        Rejected = "REJECTED",
    }
);

named_enum!(
    /// A status of any object that has one: every value of `InvitationStatus`,
    /// `SenderStatus` and `WabaStatus` (a value several of them have means the same step).
    /// Used by the event log, whose entries are about any of the three.
    EntityStatus {
        /// Invitation or account: created, nothing happened yet.
        Pending = "PENDING",
        /// Invitation: the customer started, or the setup is being finished.
        InProgress = "IN_PROGRESS",
        /// Invitation or account: waiting for someone outside bspgraph.
        AwaitingAction = "AWAITING_ACTION",
        /// Invitation: done. Final.
        Completed = "COMPLETED",
        /// Invitation: the customer or provider gave up. Final.
        Failed = "FAILED",
        /// Invitation: the link ran out. Final.
        Expired = "EXPIRED",
        /// Invitation: cancelled by the partner. Final.
        Cancelled = "CANCELLED",
        /// Sender: being set up.
        Provisioning = "PROVISIONING",
        /// Sender: waiting for the one-time code.
        PendingVerification = "PENDING_VERIFICATION",
        /// Sender: can send and receive messages.
        Active = "ACTIVE",
        /// Sender: exists but cannot send.
        Inactive = "INACTIVE",
        /// Sender: blocked by Meta or the provider.
        Suspended = "SUSPENDED",
        /// Sender or account: refused by Meta or the provider.
        Rejected = "REJECTED",
        /// Sender: setup failed at the provider.
        Error = "ERROR",
        /// Sender: being removed.
        Deleting = "DELETING",
        /// Sender: removed.
        Deleted = "DELETED",
        /// Account: approved by Meta.
        Onboarded = "ONBOARDED",
    }
);

named_enum!(
    /// How the customer is taken through the onboarding.
    OnboardingFlow {
        /// The customer opens a link (Zavu invitation) or an embedded page (SendZen iframe).
        HostedLink = "HOSTED_LINK",
        /// The partner frontend runs Meta's embedded signup, then calls `completeOnboarding` (Sinch).
        EmbeddedSignup = "EMBEDDED_SIGNUP",
        /// The partner creates the account for the customer, who approves it in Meta Business Manager (Sinch).
        OnBehalfOf = "ON_BEHALF_OF",
    }
);

named_enum!(
    /// What caused a change recorded in the event log.
    ChangeSource {
        /// A signed notification from the provider.
        Webhook = "WEBHOOK",
        /// bspgraph re-read the object from the provider on its regular check.
        Poll = "POLL",
        /// A mutation of this API (including `refresh`).
        Mutation = "MUTATION",
        /// Seeded sample data (the embedded sandbox's demo rows).
        Sandbox = "SANDBOX",
    }
);

impl ChangeSource {
    /// A provider's report seen in the background (a webhook or a poll), as opposed to
    /// an action someone took.
    pub fn is_observation(self) -> bool {
        matches!(self, Self::Webhook | Self::Poll)
    }
}

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

    #[test]
    fn every_entity_status_is_an_entity_status() {
        let all = InvitationStatus::ALL.iter().map(|s| s.as_str());
        let all = all.chain(SenderStatus::ALL.iter().map(|s| s.as_str()));
        for text in all.chain(WabaStatus::ALL.iter().map(|s| s.as_str())) {
            assert_eq!(text.parse::<EntityStatus>().map(EntityStatus::as_str).ok(), Some(text));
        }
    }
}
