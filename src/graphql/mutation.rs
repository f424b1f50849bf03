//! Mutations. Invalid input is answered with `userErrors` (field path, message,
//! stable code), never a GraphQL error; GraphQL errors are for failures of the
//! service itself.

use async_graphql::{Context, InputObject, Json, Object, SimpleObject, ID};

use super::error::{ApiError, ApiResult};
use super::nodes::ClientNode;
use super::scope;
use crate::domain::{ClientDraft, FieldError, GlobalId, NodeType};
use crate::store::{Store, StoreError};

/// Root of all mutations.
pub struct Mutation;

/// A client as the partner describes it (every field is replaced on update).
#[derive(InputObject)]
pub struct ClientInput {
    /// The partner's own id for this customer (up to 128 characters, no control
    /// characters); must be unique among clients.
    pub external_id: Option<String>,
    /// Display name, 1 to 200 characters (surrounding spaces are removed).
    pub name: String,
    /// Contact email, e.g. ops@acme.io.
    pub email: Option<String>,
    /// Contact phone in E.164, e.g. +14155550123.
    pub phone: Option<String>,
    /// Your own key/value data: a JSON object of at most 8 KiB, stored and returned as
    /// given.
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

/// One problem with a mutation's input; the mutation changed nothing.
#[derive(SimpleObject, Debug, Clone)]
pub struct UserError {
    /// Path to the offending input field, e.g. ["input", "phone"]; null when the problem
    /// is not about one field.
    pub field: Option<Vec<String>>,
    /// What is wrong, for humans.
    pub message: String,
    /// Stable machine-readable code, e.g. INVALID_PHONE (the README lists them); a
    /// provider's rejection keeps the provider's own code.
    pub code: String,
}

impl From<FieldError> for UserError {
    fn from(e: FieldError) -> Self {
        Self { field: Some(e.field), message: e.message, code: e.code }
    }
}

/// Result of `createClient` and `updateClient`: the client, or why the input was refused.
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
            Ok(client) => Ok(Self { client: Some(ClientNode(client.into())), user_errors: vec![] }),
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

/// Managing clients and their access tokens.
#[Object(name = "ClientMutation")]
impl Mutation {
    /// Create a client (the partner's end customer).
    async fn create_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new client.")] input: ClientInput,
    ) -> ApiResult<ClientPayload> {
        scope::require_operator(ctx)?;
        let draft = match input.validate() {
            Ok(d) => d,
            Err(errors) => return Ok(ClientPayload::refused(errors)),
        };
        ClientPayload::from_store(ctx.data_unchecked::<Store>().create_client(draft).await)
    }

    /// Replace a client's fields.
    async fn update_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's `id`.")] id: ID,
        #[graphql(desc = "The client's new fields; omitted optional fields are cleared.")] input: ClientInput,
    ) -> ApiResult<ClientPayload> {
        scope::require_operator(ctx)?;
        let Ok(id) = GlobalId::decode_as(&id, NodeType::Client) else {
            return ClientPayload::from_store(Err(StoreError::NotFound("client")));
        };
        let draft = match input.validate() {
            Ok(d) => d,
            Err(errors) => return Ok(ClientPayload::refused(errors)),
        };
        ClientPayload::from_store(ctx.data_unchecked::<Store>().update_client(id, draft).await)
    }

    /// Issue a short-lived token that can read only this client's objects, run its
    /// end-customer onboarding steps and subscribe to its own events (operators only).
    async fn issue_client_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's `id`.")] client_id: ID,
        #[graphql(desc = "Lifetime in seconds, 60 to 86400; default 900.")] ttl_seconds: Option<i32>,
    ) -> ApiResult<ClientTokenPayload> {
        scope::require_operator(ctx)?;
        let ttl = i64::from(ttl_seconds.unwrap_or(900));
        if !(60..=crate::auth::tokens::MAX_TTL_SECONDS).contains(&ttl) {
            return Ok(ClientTokenPayload::refused("ttlSeconds", "TTL_OUT_OF_RANGE", "ttlSeconds must be 60 to 86400"));
        }
        let id = GlobalId::decode_as(&client_id, NodeType::Client).ok();
        let exists = match id {
            Some(id) => !ctx.data_unchecked::<Store>().clients_by_ids(&[id]).await?.is_empty(),
            None => false,
        };
        let (Some(id), true) = (id, exists) else {
            return Ok(ClientTokenPayload::refused("clientId", "CLIENT_NOT_FOUND", "no client has this id"));
        };
        let expires_at = chrono::Utc::now() + chrono::Duration::seconds(ttl);
        let token = ctx.data_unchecked::<super::Access>().signer.issue(id, expires_at);
        use secrecy::ExposeSecret;
        Ok(ClientTokenPayload {
            token: Some(token.expose_secret().to_owned()),
            expires_at: Some(expires_at.into()),
            user_errors: vec![],
        })
    }
}

/// Result of `issueClientToken`. The token is shown once; bspgraph does not store it.
#[derive(SimpleObject)]
pub struct ClientTokenPayload {
    /// Send as the header `Authorization: Bearer <token>` (or in the WebSocket
    /// `connection_init` payload); null when refused.
    pub token: Option<String>,
    /// When the token stops working (ISO 8601, UTC); null when refused.
    pub expires_at: Option<super::scalars::Timestamp>,
    /// Why the input was refused; empty on success.
    pub user_errors: Vec<UserError>,
}

impl ClientTokenPayload {
    fn refused(field: &str, code: &str, message: &str) -> Self {
        let error =
            UserError { field: Some(vec![field.to_owned()]), message: message.to_owned(), code: code.to_owned() };
        Self { token: None, expires_at: None, user_errors: vec![error] }
    }
}
