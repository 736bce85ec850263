use std::path::{Path, PathBuf};

/// Where the database lives, as written in `--database` or
/// `settings.database`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    /// A SQLite file (created when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

/// The database location could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    #[error("database location is empty")]
    Empty,
    #[error(
        "unsupported database `{0}`; use a SQLite file path (`sqlite:PATH` or a plain path) or a `postgres://` URL"
    )]
    Unsupported(String),
}

impl DatabaseLocation {
    /// Reads a location. Relative SQLite paths are taken relative to `base`
    /// (the directory holding the configuration).
    pub fn parse(text: &str, base: &Path) -> Result<Self, LocationError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(LocationError::Empty);
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(DatabaseLocation::Postgres(text.to_owned()));
        }
        let path = match text
            .strip_prefix("sqlite://")
            .or_else(|| text.strip_prefix("sqlite:"))
        {
            Some(path) => path,
            None if text.contains("://") => {
                return Err(LocationError::Unsupported(text.to_owned()));
            }
            None => text,
        };
        if path.is_empty() {
            return Err(LocationError::Empty);
        }
        Ok(DatabaseLocation::Sqlite(base.join(path)))
    }

    /// A description safe to log: PostgreSQL passwords are hidden.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseLocation::Sqlite(path) => format!("sqlite:{}", path.display()),
            DatabaseLocation::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(scheme), Some(at)) if at > scheme => {
                    let credentials = &url[scheme + 3..at];
                    match credentials.split_once(':') {
                        Some((user, _)) => {
                            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
                        }
                        None => url.clone(),
                    }
                }
                _ => url.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sqlite_and_postgres_locations() {
        let base = Path::new("/etc/pagerbound");
        assert_eq!(
            DatabaseLocation::parse("pagerbound.db", base),
            Ok(DatabaseLocation::Sqlite(
                "/etc/pagerbound/pagerbound.db".into()
            ))
        );
        assert_eq!(
            DatabaseLocation::parse("sqlite:/var/lib/pb.db", base),
            Ok(DatabaseLocation::Sqlite("/var/lib/pb.db".into()))
        );
        assert_eq!(
            DatabaseLocation::parse("sqlite://data/pb.db", base),
            Ok(DatabaseLocation::Sqlite(
                "/etc/pagerbound/data/pb.db".into()
            ))
        );
        assert_eq!(
            DatabaseLocation::parse("postgres://pb@db:5432/pb", base),
            Ok(DatabaseLocation::Postgres(
                "postgres://pb@db:5432/pb".into()
            ))
        );
        assert_eq!(
            DatabaseLocation::parse(" ", base),
            Err(LocationError::Empty)
        );
        assert!(matches!(
            DatabaseLocation::parse("mysql://x", base),
            Err(LocationError::Unsupported(_))
        ));
    }

    #[test]
    fn hides_postgres_passwords() {
        let location = DatabaseLocation::Postgres("postgres://pb:hunter2@db/pb".into());
        assert_eq!(location.redacted(), "postgres://pb:***@db/pb");
        let location = DatabaseLocation::Postgres("postgres://pb@db/pb".into());
        assert_eq!(location.redacted(), "postgres://pb@db/pb");
    }
}
