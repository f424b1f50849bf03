//! Opaque global ids (`Node.id`) and pagination cursors.
//!
//! Both are URL-safe base64 of a short text (`Client:42`, `c:42`) so clients treat
//! them as opaque; decoding checks the shape and never panics on hostile input.

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

/// The opaque cursor for a position (row id or event seq) in an ordered list.
pub fn encode_cursor(position: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("c:{position}"))
}

/// Parse a cursor made by [`encode_cursor`].
pub fn decode_cursor(text: &str) -> Result<i64, IdError> {
    match decode_pair(text)? {
        ("c", position) => Ok(position),
        _ => Err(IdError::Malformed),
    }
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
    let kind = ["c", "Client", "Project", "Invitation", "Sender", "Waba"]
        .into_iter()
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
        assert_eq!(decode_cursor(&encode_cursor(7)), Ok(7));
        assert_eq!(decode_cursor(&GlobalId::new(NodeType::Client, 7).encode()), Err(IdError::Malformed));
    }
}
