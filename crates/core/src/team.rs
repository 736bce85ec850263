//! Teams: the people who own services and carry their pager.

/// A team. Members are user names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub name: String,
    pub description: Option<String>,
    pub members: Vec<String>,
}
