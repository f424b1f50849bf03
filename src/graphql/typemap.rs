//! A small map of the schema's types (fields with their types and arguments, input
//! objects, enums, abstract types), built once from the exported SDL. The response
//! post-passes (`nulls`) and the document checks (`enum_literals`) read it; nothing
//! here executes or validates by itself.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};

/// One output field: its type and its arguments' types.
#[derive(Debug)]
pub struct FieldInfo {
    /// The field's type as written in the SDL (`[Client!]!`).
    pub ty: Type,
    /// Argument name to type.
    pub args: HashMap<String, Type>,
}

/// The schema's types, by name.
#[derive(Debug, Default)]
pub struct TypeMap {
    /// Fields of every object and interface type.
    pub fields: HashMap<String, HashMap<String, FieldInfo>>,
    /// Fields of every input object type.
    pub inputs: HashMap<String, HashMap<String, Type>>,
    /// Names of enum types.
    pub enums: HashSet<String>,
    /// Object types implementing each interface, and members of each union.
    pub possible: HashMap<String, Vec<String>>,
    /// Root type names: query, mutation, subscription.
    pub roots: [String; 3],
}

static TYPES: LazyLock<TypeMap> = LazyLock::new(|| TypeMap::from_sdl(&super::sdl()));

/// The map of the served schema (built on first use).
pub fn types() -> &'static TypeMap {
    &TYPES
}

/// The named type under any list and non-null wrappers.
pub fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

impl TypeMap {
    /// Build the map from SDL text (an SDL that does not parse gives an empty map).
    pub fn from_sdl(sdl: &str) -> Self {
        let mut map = Self { roots: ["Query".into(), "Mutation".into(), "Subscription".into()], ..Self::default() };
        let Ok(doc) = async_graphql::parser::parse_schema(sdl) else {
            tracing::error!("the exported SDL does not parse; response shaping is off");
            return map;
        };
        for def in doc.definitions {
            match def {
                TypeSystemDefinition::Schema(schema) => {
                    let s = schema.node;
                    for (slot, name) in [s.query, s.mutation, s.subscription].into_iter().enumerate() {
                        if let Some(name) = name {
                            map.roots[slot] = name.node.to_string();
                        }
                    }
                }
                TypeSystemDefinition::Type(def) => map.add_type(def.node.name.node.to_string(), def.node.kind),
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        map
    }

    fn add_type(&mut self, name: String, kind: TypeKind) {
        let fields = match kind {
            TypeKind::Object(obj) => {
                for iface in &obj.implements {
                    self.possible.entry(iface.node.to_string()).or_default().push(name.clone());
                }
                obj.fields
            }
            TypeKind::Interface(iface) => iface.fields,
            TypeKind::Union(union) => {
                let members = union.members.iter().map(|m| m.node.to_string()).collect();
                self.possible.insert(name, members);
                return;
            }
            TypeKind::Enum(_) => {
                self.enums.insert(name);
                return;
            }
            TypeKind::InputObject(input) => {
                let fields = input.fields.into_iter().map(|f| (f.node.name.node.to_string(), f.node.ty.node));
                self.inputs.insert(name, fields.collect());
                return;
            }
            TypeKind::Scalar => return,
        };
        let fields = fields.into_iter().map(|f| {
            let f = f.node;
            let args = f.arguments.into_iter().map(|a| (a.node.name.node.to_string(), a.node.ty.node)).collect();
            (f.name.node.to_string(), FieldInfo { ty: f.ty.node, args })
        });
        self.fields.insert(name, fields.collect());
    }

    /// The field `field` of `type_name`, looked up on the type itself, then (for an
    /// interface or union) on its possible types.
    pub fn field(&self, type_name: &str, field: &str) -> Option<&FieldInfo> {
        if let Some(info) = self.fields.get(type_name).and_then(|f| f.get(field)) {
            return Some(info);
        }
        let possible = self.possible.get(type_name)?;
        possible.iter().find_map(|t| self.fields.get(t).and_then(|f| f.get(field)))
    }
}
