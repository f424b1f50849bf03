//! The work a parsed document asks for, computed before async-graphql validates it
//! (its validation expands every fragment spread inline, so a document whose
//! fragments each spread the next one twice costs 2^n there).
//!
//! Each fragment's cost is computed once per context and reused wherever it is
//! spread, so this check costs about the document's size whatever the expansion;
//! a fragment that spreads itself is refused. Counted, per document:
//! - selections after expanding fragments (fields, aliases, `__typename`, spreads),
//!   which bounds validation and execution work;
//! - complexity: a field costs 1; a field with `first` pays its list selections
//!   (`edges`) `first` times (default 20) and the others (`totalCount`, `pageInfo`)
//!   once; `nodes(ids)` pays its selections once per id; a field that runs a
//!   statement of its own (each root field except the cheap ones below, and
//!   `totalCount` right under a root list) costs [`STATEMENT_COST`];
//! - depth of user data in fields, and separately the depth of `__schema`/`__type`
//!   selections, which count toward neither the depth nor the complexity of user data;
//! - how deeply fragment spreads nest.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{ExecutableDocument, Field, OperationType, Selection, SelectionSet};

use async_graphql::parser::types::BaseType;

use super::Vars;
use crate::graphql::connection::DEFAULT_PAGE_SIZE;
use crate::graphql::typemap::{named, FieldInfo, TypeMap};

/// What a field that runs a database statement of its own costs.
pub const STATEMENT_COST: u64 = 100;

/// Root fields answered without a statement of their own (`node` and `nodes` load
/// through the batch loaders). `providers` reads the webhook registrations: it costs one.
const CHEAP_ROOT_FIELDS: [&str; 3] = ["__typename", "node", "nodes"];

/// The bounds a document must stay within.
#[derive(Debug, Clone, Copy)]
pub struct CostLimits {
    /// Selections after fragments are expanded, summed over the document's operations.
    pub max_selections: u64,
    /// Complexity of the costliest operation.
    pub max_complexity: u64,
    /// Deepest field of user data.
    pub max_depth: u32,
    /// Deepest field under `__schema` / `__type`, counted from the root.
    pub max_introspection_depth: u32,
    /// Deepest nesting of fragment spreads.
    pub max_fragment_depth: u32,
}

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CostRefusal {
    /// A fragment spreads itself, directly or not.
    Cycle(String),
    /// Fragment spreads nest deeper than the limit.
    FragmentsTooDeep(u32),
    /// User data nests deeper than the limit.
    TooDeep(u32),
    /// An introspection selection nests deeper than the limit.
    IntrospectionTooDeep(u32),
    /// More selections after expansion than the limit.
    TooManySelections(u64),
    /// Complexity above the limit.
    TooComplex(u64),
}

/// The cost of a selection set (or a whole operation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    /// Selections after fragments are expanded.
    pub selections: u64,
    /// Complexity of the selections that are paid once per parent.
    pub once: u64,
    /// Complexity of the list selections, paid once per item of a paged parent.
    pub per_item: u64,
    /// Depth of user data, in fields.
    pub depth: u32,
    /// Depth of introspection selections, counted from where this cost starts.
    pub intro_depth: u32,
    /// Nesting of fragment spreads.
    pub fragment_depth: u32,
}

impl Cost {
    /// The complexity of the whole selection set.
    pub fn complexity(&self) -> u64 {
        self.once.saturating_add(self.per_item)
    }

    fn add(&mut self, other: Cost) {
        self.selections = self.selections.saturating_add(other.selections);
        self.once = self.once.saturating_add(other.once);
        self.per_item = self.per_item.saturating_add(other.per_item);
        self.depth = self.depth.max(other.depth);
        self.intro_depth = self.intro_depth.max(other.intro_depth);
        self.fragment_depth = self.fragment_depth.max(other.fragment_depth);
    }
}

/// Where a selection set sits: at an operation's root, directly under a root field,
/// or deeper. It decides which fields run statements of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Level {
    Root,
    UnderRoot,
    Nested,
}

/// Check `doc` against `limits`.
pub fn check(
    doc: &ExecutableDocument,
    map: &TypeMap,
    vars: &Vars<'_>,
    limits: &CostLimits,
) -> Result<Cost, CostRefusal> {
    let mut walker = Walker {
        doc,
        map,
        vars,
        limits,
        memo: HashMap::new(),
        open: HashSet::new(),
        reached: HashSet::new(),
        spread_depth: 0,
    };
    let mut total = Cost::default();
    for (_, op) in doc.operations.iter() {
        let root = match op.node.ty {
            OperationType::Query => &map.roots[0],
            OperationType::Mutation => &map.roots[1],
            OperationType::Subscription => &map.roots[2],
        };
        let cost = walker.set(&op.node.selection_set.node, Some(root), Level::Root, false)?;
        // Every operation is validated, but only one runs: sum the work, keep the worst cost.
        total.selections = total.selections.saturating_add(cost.selections);
        total.once = total.once.max(cost.complexity());
        total.depth = total.depth.max(cost.depth);
        total.intro_depth = total.intro_depth.max(cost.intro_depth);
        total.fragment_depth = total.fragment_depth.max(cost.fragment_depth);
    }
    // Validation walks fragments no operation uses too: their selections count as well.
    for name in doc.fragments.keys() {
        if !walker.reached.contains(name.as_str()) {
            let cost = walker.spread(name.as_str(), Level::Nested, false)?;
            total.selections = total.selections.saturating_add(cost.selections);
        }
    }
    if total.selections > limits.max_selections {
        return Err(CostRefusal::TooManySelections(limits.max_selections));
    }
    if total.depth > limits.max_depth {
        return Err(CostRefusal::TooDeep(limits.max_depth));
    }
    if total.intro_depth > limits.max_introspection_depth {
        return Err(CostRefusal::IntrospectionTooDeep(limits.max_introspection_depth));
    }
    if total.complexity() > limits.max_complexity {
        return Err(CostRefusal::TooComplex(limits.max_complexity));
    }
    Ok(total)
}

struct Walker<'a> {
    doc: &'a ExecutableDocument,
    map: &'a TypeMap,
    vars: &'a Vars<'a>,
    limits: &'a CostLimits,
    /// Cost of each fragment per context, computed once.
    memo: HashMap<(&'a str, Level, bool), Cost>,
    /// Fragments being computed (a spread of one of them is a cycle).
    open: HashSet<&'a str>,
    /// Fragments computed in any context.
    reached: HashSet<&'a str>,
    spread_depth: u32,
}

impl<'a> Walker<'a> {
    fn set(
        &mut self,
        set: &'a SelectionSet,
        ty: Option<&'a str>,
        level: Level,
        intro: bool,
    ) -> Result<Cost, CostRefusal> {
        let mut cost = Cost::default();
        for item in &set.items {
            let one = match &item.node {
                Selection::Field(field) => self.field(&field.node, ty, level, intro)?,
                Selection::FragmentSpread(spread) => {
                    self.spread(spread.node.fragment_name.node.as_str(), level, intro)?
                }
                Selection::InlineFragment(inline) => {
                    let on = inline.node.type_condition.as_ref().map(|c| c.node.on.node.as_str()).or(ty);
                    self.set(&inline.node.selection_set.node, on, level, intro)?
                }
            };
            cost.add(one);
            cost.selections = cost.selections.saturating_add(1);
        }
        Ok(cost)
    }

    fn field(&mut self, field: &'a Field, ty: Option<&'a str>, level: Level, intro: bool) -> Result<Cost, CostRefusal> {
        let name = field.name.node.as_str();
        if name == "__typename" {
            return Ok(Cost { once: u64::from(!intro), ..Cost::default() });
        }
        let intro = intro || name == "__schema" || name == "__type";
        let info = if intro { None } else { ty.and_then(|ty| self.map.field(ty, name)) };
        let child_level = if level == Level::Root { Level::UnderRoot } else { Level::Nested };
        let child_ty = info.map(|i| named(&i.ty));
        let child = self.set(&field.selection_set.node, child_ty, child_level, intro)?;
        let mut cost = Cost { selections: child.selections, fragment_depth: child.fragment_depth, ..Cost::default() };
        if intro {
            cost.intro_depth = 1 + child.depth.max(child.intro_depth);
            return Ok(cost);
        }
        cost.depth = 1 + child.depth;
        cost.intro_depth = if child.intro_depth > 0 { 1 + child.intro_depth } else { 0 };
        let own = if runs_statement(level, name) { STATEMENT_COST } else { 1 };
        let paid = own.saturating_add(self.paid(field, info, &child));
        // A list field (or one the schema does not know) is paid per item of a paged parent.
        if info.is_none_or(|i| matches!(i.ty.base, BaseType::List(_))) {
            cost.per_item = paid;
        } else {
            cost.once = paid;
        }
        Ok(cost)
    }

    fn spread(&mut self, name: &'a str, level: Level, intro: bool) -> Result<Cost, CostRefusal> {
        let Some((key, fragment)) = self.doc.fragments.get_key_value(name) else {
            return Ok(Cost::default()); // validation reports the unknown fragment
        };
        let memo_key = (key.as_str(), level, intro);
        let cost = match self.memo.get(&memo_key) {
            Some(cost) => *cost,
            None => {
                if self.open.contains(name) {
                    return Err(CostRefusal::Cycle(name.to_owned()));
                }
                if self.spread_depth >= self.limits.max_fragment_depth {
                    return Err(CostRefusal::FragmentsTooDeep(self.limits.max_fragment_depth));
                }
                self.open.insert(key.as_str());
                self.reached.insert(key.as_str());
                self.spread_depth += 1;
                let on = fragment.node.type_condition.node.on.node.as_str();
                let result = self.set(&fragment.node.selection_set.node, Some(on), level, intro);
                self.spread_depth -= 1;
                self.open.remove(name);
                let mut cost = result?;
                cost.fragment_depth += 1;
                self.memo.insert(memo_key, cost);
                cost
            }
        };
        if self.spread_depth + cost.fragment_depth > self.limits.max_fragment_depth {
            return Err(CostRefusal::FragmentsTooDeep(self.limits.max_fragment_depth));
        }
        Ok(cost)
    }

    /// What a field's selections cost: on a paged field its list selections `first`
    /// times (or the default page size), on `nodes(ids)` all of them once per id.
    fn paid(&self, field: &Field, info: Option<&FieldInfo>, child: &Cost) -> u64 {
        let arg = |name: &str| field.arguments.iter().find(|(n, _)| n.node == name).map(|(_, v)| &v.node);
        let paged = info.is_some_and(|i| i.args.contains_key("first"));
        let first = match arg("first") {
            Some(value) => Some(self.vars.int(value).unwrap_or(DEFAULT_PAGE_SIZE.into()).max(1) as u64),
            None if paged => Some(DEFAULT_PAGE_SIZE as u64),
            None => None,
        };
        match (first, arg("ids")) {
            (Some(n), _) => child.once.saturating_add(n.saturating_mul(child.per_item)),
            (None, Some(ids)) => (self.vars.list_len(ids).max(1) as u64).saturating_mul(child.complexity()),
            (None, None) => child.complexity(),
        }
    }
}

/// Whether a field at `level` runs a statement of its own.
fn runs_statement(level: Level, name: &str) -> bool {
    match level {
        Level::Root => !CHEAP_ROOT_FIELDS.contains(&name),
        Level::UnderRoot => name == "totalCount",
        Level::Nested => false,
    }
}
