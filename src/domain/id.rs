//! Opaque global ids (`Node.id`) and pagination cursors.
//!
//! Both are URL-safe base64 of a short text (`Client:42`, `clients:42`) so clients
//! treat them as opaque; decoding checks the shape and never panics on hostile input.
//! A cursor names the list it belongs to, so one list's cursor is refused by another.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::NodeType;

/// Why a global id or cursor was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The text is not an id bspgraph issued.
    #[error("malformed id")]
    Malformed,
    /// The id names another kind of node than the one expected.
    #[error("id is not a {0}")]
    WrongType(&'static str),
}

/// The global id of one node: its type and row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalId {
    /// Which table the node lives in.
    pub node_type: NodeType,
    /// Row id in that table.
    pub id: i64,
}

impl GlobalId {
    /// A global id for a row of the given type.
    pub fn new(node_type: NodeType, id: i64) -> Self {
        Self { node_type, id }
    }

    /// The opaque text form handed to clients.
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.node_type, self.id))
    }

    /// Parse an opaque id of any node type.
    pub fn decode(text: &str) -> Result<Self, IdError> {
        let (kind, id) = decode_pair(text)?;
        let node_type = kind.parse::<NodeType>().map_err(|_| IdError::Malformed)?;
        Ok(Self { node_type, id })
    }

    /// Parse an opaque id that must be of `expected` type.
    pub fn decode_as(text: &str, expected: NodeType) -> Result<i64, IdError> {
        let gid = Self::decode(text)?;
        if gid.node_type != expected {
            return Err(IdError::WrongType(expected.as_str()));
        }
        Ok(gid.id)
    }
}

/// The list a cursor belongs to. Nested and top-level lists of one node type share a
/// kind (both are ordered by row id, so their positions mean the same thing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CursorKind {
    /// Clients, by row id.
    Clients,
    /// Invitations, by row id.
    Invitations,
    /// Senders, by row id.
    Senders,
    /// WABAs, by row id.
    Wabas,
    /// Projects, by row id.
    Projects,
    /// The event log, by seq (also where `statusChanged` resumes).
    Events,
}

impl CursorKind {
    const ALL: [CursorKind; 6] =
        [Self::Clients, Self::Invitations, Self::Senders, Self::Wabas, Self::Projects, Self::Events];

    fn tag(self) -> &'static str {
        match self {
            Self::Clients => "clients",
            Self::Invitations => "invitations",
            Self::Senders => "senders",
            Self::Wabas => "wabas",
            Self::Projects => "projects",
            Self::Events => "events",
        }
    }
}

/// The opaque cursor for a position (row id or event seq) in a list of `kind`.
pub fn encode_cursor(kind: CursorKind, position: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{position}", kind.tag()))
}

/// Parse a cursor made by [`encode_cursor`] for a list of `expected` kind.
pub fn decode_cursor(text: &str, expected: CursorKind) -> Result<i64, IdError> {
    let (kind, position) = decode_pair(text)?;
    if kind != expected.tag() {
        return Err(IdError::WrongType(expected.tag()));
    }
    Ok(position)
}

fn decode_pair(text: &str) -> Result<(&'static str, i64), IdError> {
    if text.len() > 64 {
        return Err(IdError::Malformed);
    }
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| IdError::Malformed)?;
    let plain = String::from_utf8(bytes).map_err(|_| IdError::Malformed)?;
    let (kind, id) = plain.split_once(':').ok_or(IdError::Malformed)?;
    let id: i64 = id.parse().map_err(|_| IdError::Malformed)?;
    if id < 0 {
        return Err(IdError::Malformed);
    }
    let kind = NodeType::ALL
        .iter()
        .map(|t| t.as_str())
        .chain(CursorKind::ALL.iter().map(|k| k.tag()))
        .find(|k| *k == kind)
        .ok_or(IdError::Malformed)?;
    Ok((kind, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_check_their_type() {
        let gid = GlobalId::new(NodeType::Sender, 42);
        assert_eq!(GlobalId::decode(&gid.encode()), Ok(gid));
        assert_eq!(GlobalId::decode_as(&gid.encode(), NodeType::Sender), Ok(42));
        assert_eq!(GlobalId::decode_as(&gid.encode(), NodeType::Client), Err(IdError::WrongType("Client")));
    }

    #[test]
    fn hostile_ids_and_cursors_are_refused() {
        for bad in ["", "!!!", "Q2xpZW50", &URL_SAFE_NO_PAD.encode("Client:-1"), &URL_SAFE_NO_PAD.encode("Nope:1")] {
            assert_eq!(GlobalId::decode(bad), Err(IdError::Malformed), "{bad}");
        }
        assert_eq!(decode_cursor(&encode_cursor(CursorKind::Events, 7), CursorKind::Events), Ok(7));
        let client = GlobalId::new(NodeType::Client, 7).encode();
        assert_eq!(decode_cursor(&client, CursorKind::Clients), Err(IdError::WrongType("clients")));
        assert_eq!(GlobalId::decode(&encode_cursor(CursorKind::Clients, 7)), Err(IdError::Malformed));
    }

    #[test]
    fn a_cursor_is_refused_by_every_other_list() {
        for kind in CursorKind::ALL {
            let cursor = encode_cursor(kind, 3);
            for other in CursorKind::ALL {
                let expected = if other == kind { Ok(3) } else { Err(IdError::WrongType(other.tag())) };
                assert_eq!(decode_cursor(&cursor, other), expected, "{kind:?} given to {other:?}");
            }
        }
    }
}
