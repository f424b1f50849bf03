//! What the cost check needs to know about the schema, read once from its SDL: the
//! root types, and for each field of each object or interface the named type it
//! returns and the names of its arguments. async-graphql keeps its own registry
//! private, so this is the public way to type a document before validation.

use std::collections::HashMap;

use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};

/// One field as the cost check sees it.
#[derive(Debug, Clone, Default)]
pub struct FieldInfo {
    /// The named type the field returns (lists and non-null unwrapped).
    pub ty: String,
    /// Whether the field returns a list.
    pub list: bool,
    /// Argument names.
    pub args: Vec<String>,
}

/// Fields by type, and the root type names.
#[derive(Debug, Clone, Default)]
pub struct SchemaMap {
    types: HashMap<String, HashMap<String, FieldInfo>>,
    /// `Query`, `Mutation`, `Subscription` (or what the schema names them).
    pub roots: [String; 3],
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

impl SchemaMap {
    /// Read the map from an SDL document; an SDL that does not parse gives an empty
    /// map (every field then costs the same, which is still bounded).
    pub fn from_sdl(sdl: &str) -> Self {
        let mut map = Self {
            types: HashMap::new(),
            roots: ["Query".to_owned(), "Mutation".to_owned(), "Subscription".to_owned()],
        };
        let Ok(doc) = async_graphql::parser::parse_schema(sdl) else {
            tracing::warn!("the schema SDL did not parse; query costs are untyped");
            return map;
        };
        for def in doc.definitions {
            match def {
                TypeSystemDefinition::Schema(schema) => {
                    let s = schema.node;
                    for (slot, name) in map.roots.iter_mut().zip([s.query, s.mutation, s.subscription]) {
                        if let Some(name) = name {
                            *slot = name.node.to_string();
                        }
                    }
                }
                TypeSystemDefinition::Type(ty) => {
                    let fields = match ty.node.kind {
                        TypeKind::Object(o) => o.fields,
                        TypeKind::Interface(i) => i.fields,
                        _ => continue,
                    };
                    let fields = fields
                        .into_iter()
                        .map(|f| {
                            let f = f.node;
                            let args = f.arguments.iter().map(|a| a.node.name.node.to_string()).collect();
                            let list = matches!(f.ty.node.base, BaseType::List(_));
                            (f.name.node.to_string(), FieldInfo { ty: named(&f.ty.node).to_owned(), list, args })
                        })
                        .collect();
                    map.types.insert(ty.node.name.node.to_string(), fields);
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        map
    }

    /// The field `name` of type `ty`, when both are known.
    pub fn field(&self, ty: Option<&str>, name: &str) -> Option<&FieldInfo> {
        self.types.get(ty?)?.get(name)
    }
}
