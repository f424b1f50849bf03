//! Forward keyset pagination shared by every list: `first` rows after a position,
//! ordered by the primary key, with one extra row fetched to learn `hasNextPage`.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

/// Which slice of an ordered list to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageArgs {
    /// How many rows at most.
    pub first: u64,
    /// Only rows whose position is greater than this.
    pub after: Option<i64>,
}

/// One slice of an ordered list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The rows, in order.
    pub items: Vec<T>,
    /// Whether rows follow the last one.
    pub has_next: bool,
}

impl<T> Page<T> {
    /// Convert every row, failing on the first that does not convert.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page { items: self.items.into_iter().map(f).collect::<Result<_, _>>()?, has_next: self.has_next })
    }
}

/// Read one page of `select`, keyed and ordered by `key`.
pub(crate) async fn fetch<E, C>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    key: C,
    args: PageArgs,
) -> Result<Page<E::Model>, DbErr>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    let mut select = select.order_by_asc(key).limit(args.first + 1);
    if let Some(after) = args.after {
        select = select.filter(key.gt(after));
    }
    let mut items = select.all(db).await?;
    let has_next = items.len() as u64 > args.first;
    items.truncate(args.first as usize);
    Ok(Page { items, has_next })
}
