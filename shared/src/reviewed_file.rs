//! The reviewed files a deployment ships beside its code (the roster, the triage rules, the incident
//! mapping): read and validated once at start, and refused as a whole with one kind of error that
//! names the file and says whether it could not be read or what is wrong inside it.

use std::fmt;
use std::path::Path;

/// A file format Clinic reads from a reviewed file.
pub trait ReviewedFile: Sized {
    /// What the file is called in messages ("roster", "triage rules", "mapping file").
    const WHAT: &'static str;
    /// "is" or "are", as the name reads in "the roster is invalid".
    const VERB: &'static str = "is";
    /// Why its text is invalid.
    type Invalid: std::error::Error + Send + Sync + 'static;

    fn parse_text(text: &str) -> Result<Self, Self::Invalid>;

    /// Reads and validates the file at `path`.
    fn load(path: &Path) -> Result<Self, FileError<Self>> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| FileError::Unreadable {
            path: shown.clone(),
            source,
        })?;
        Self::parse_text(&text).map_err(|source| FileError::Invalid {
            path: shown,
            source,
        })
    }
}

/// Why a reviewed file of kind `T` was refused.
pub enum FileError<T: ReviewedFile> {
    Unreadable {
        path: String,
        source: std::io::Error,
    },
    Invalid {
        path: String,
        source: T::Invalid,
    },
}

impl<T: ReviewedFile> fmt::Display for FileError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreadable { path, .. } => write!(f, "cannot read the {} {path}", T::WHAT),
            Self::Invalid { path, source } => {
                write!(f, "the {} {path} {} invalid: {source}", T::WHAT, T::VERB)
            }
        }
    }
}

impl<T: ReviewedFile> fmt::Debug for FileError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreadable { path, source } => f
                .debug_struct("Unreadable")
                .field("what", &T::WHAT)
                .field("path", path)
                .field("source", source)
                .finish(),
            Self::Invalid { path, source } => f
                .debug_struct("Invalid")
                .field("what", &T::WHAT)
                .field("path", path)
                .field("source", source)
                .finish(),
        }
    }
}

impl<T: ReviewedFile> std::error::Error for FileError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Unreadable { source, .. } => Some(source),
            Self::Invalid { source, .. } => Some(source),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Words(Vec<String>);

    #[derive(Debug, thiserror::Error)]
    #[error("line {0} is empty")]
    struct EmptyLine(usize);

    impl ReviewedFile for Words {
        const WHAT: &'static str = "word list";
        type Invalid = EmptyLine;

        fn parse_text(text: &str) -> Result<Self, EmptyLine> {
            text.lines()
                .enumerate()
                .map(|(i, l)| {
                    if l.trim().is_empty() {
                        Err(EmptyLine(i + 1))
                    } else {
                        Ok(l.to_owned())
                    }
                })
                .collect::<Result<_, _>>()
                .map(Words)
        }
    }

    #[test]
    fn a_missing_file_is_unreadable_and_named() {
        let error = Words::load(Path::new("/nonexistent/words.txt")).unwrap_err();
        assert!(matches!(error, FileError::Unreadable { .. }));
        assert_eq!(
            error.to_string(),
            "cannot read the word list /nonexistent/words.txt"
        );
    }

    #[test]
    fn an_invalid_file_says_what_is_wrong_inside_it() {
        let dir = std::env::temp_dir().join(format!("clinic-reviewed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("words.txt");
        std::fs::write(&path, "one\n\nthree\n").unwrap();
        let error = Words::load(&path).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            error.to_string(),
            format!(
                "the word list {} is invalid: line 2 is empty",
                path.display()
            )
        );
        let loaded = Words::parse_text("a\nb").unwrap();
        assert_eq!(loaded.0, ["a", "b"]);
    }
}
