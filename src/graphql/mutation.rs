//! Mutations. Invalid input is answered with `userErrors` (field path, message,
//! stable code), never a GraphQL error; GraphQL errors are for failures of the
//! service itself.

use async_graphql::{Context, InputObject, Json, Object, SimpleObject, ID};

use super::error::{ApiError, ApiResult};
use super::nodes::ClientNode;
use crate::domain::{ClientDraft, FieldError, GlobalId, NodeType};
use crate::store::{Store, StoreError};

/// Root of all mutations.
pub struct Mutation;

/// A client as the partner describes it.
#[derive(InputObject)]
pub struct ClientInput {
    /// The partner's own id for this customer; must be unique.
    pub external_id: Option<String>,
    /// Display name, 1 to 200 characters.
    pub name: String,
    /// Contact email.
    pub email: Option<String>,
    /// Contact phone in E.164, e.g. +14155550123.
    pub phone: Option<String>,
    /// Free-form JSON object.
    pub labels: Option<Json<serde_json::Value>>,
}

impl ClientInput {
    fn validate(self) -> Result<ClientDraft, Vec<FieldError>> {
        ClientDraft::parse(
            self.external_id.as_deref(),
            &self.name,
            self.email.as_deref(),
            self.phone.as_deref(),
            self.labels.map(|j| j.0),
        )
    }
}

/// An input the mutation refused.
#[derive(SimpleObject, Debug, Clone)]
pub struct UserError {
    /// Path to the offending input field, e.g. ["input", "phone"].
    pub field: Option<Vec<String>>,
    /// What is wrong, for humans.
    pub message: String,
    /// Stable machine-readable code, e.g. INVALID_PHONE.
    pub code: String,
}

impl From<FieldError> for UserError {
    fn from(e: FieldError) -> Self {
        Self { field: Some(e.field), message: e.message, code: e.code.to_owned() }
    }
}

/// Result of createClient and updateClient.
#[derive(SimpleObject)]
pub struct ClientPayload {
    /// The client, when the mutation succeeded.
    pub client: Option<ClientNode>,
    /// Why the input was refused; empty on success.
    pub user_errors: Vec<UserError>,
}

impl ClientPayload {
    fn refused(errors: impl IntoIterator<Item = FieldError>) -> Self {
        Self { client: None, user_errors: errors.into_iter().map(UserError::from).collect() }
    }

    fn from_store(result: Result<crate::domain::Client, StoreError>) -> ApiResult<Self> {
        match result {
            Ok(client) => Ok(Self { client: Some(ClientNode(client)), user_errors: vec![] }),
            Err(StoreError::Duplicate(_)) => Ok(Self::refused([FieldError::new(
                "externalId",
                "DUPLICATE_EXTERNAL_ID",
                "another client already has this externalId",
            )])),
            Err(StoreError::NotFound(_)) => Ok(Self {
                client: None,
                user_errors: vec![UserError {
                    field: Some(vec!["id".into()]),
                    message: "no client has this id".into(),
                    code: "CLIENT_NOT_FOUND".into(),
                }],
            }),
            Err(e) => Err(ApiError::from(e)),
        }
    }
}

#[Object(name = "ClientMutation")]
impl Mutation {
    /// Create a client (the partner's end customer).
    async fn create_client(&self, ctx: &Context<'_>, input: ClientInput) -> ApiResult<ClientPayload> {
        let draft = match input.validate() {
            Ok(d) => d,
            Err(errors) => return Ok(ClientPayload::refused(errors)),
        };
        ClientPayload::from_store(ctx.data_unchecked::<Store>().create_client(draft).await)
    }

    /// Replace a client's fields.
    async fn update_client(&self, ctx: &Context<'_>, id: ID, input: ClientInput) -> ApiResult<ClientPayload> {
        let Ok(id) = GlobalId::decode_as(&id, NodeType::Client) else {
            return ClientPayload::from_store(Err(StoreError::NotFound("client")));
        };
        let draft = match input.validate() {
            Ok(d) => d,
            Err(errors) => return Ok(ClientPayload::refused(errors)),
        };
        ClientPayload::from_store(ctx.data_unchecked::<Store>().update_client(id, draft).await)
    }
}
