//! One PEP 508 requirement (`requests[socks]>=2.20,<3`, `numpy @ file:///…`),
//! read far enough for the dependency check: the name, the extras, the
//! version specifiers (parsed by pep440_rs) or the URL. The environment
//! marker after `;` only says where a requirement applies and is not read.
//!
//! Why not the pep508_rs crate: measured in a size-optimised wasm32 build it
//! adds about 960 kB (320 kB gzipped) on top of what the app already links
//! (it brings `regex` and a marker algebra), it panics on a name that ends in
//! `-`, `_` or `.` before another character (`a- ==1`), and it expands
//! `${VAR}` from the process environment. What the check needs is this much.

use std::str::FromStr;

use pep440_rs::VersionSpecifiers;

/// A requirement as the check uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// Its name as written (`PyYAML`); see [`super::read::normalise`].
    pub name: String,
    /// Its extras (`security`).
    pub extras: Vec<String>,
    /// What it asks for.
    pub version: VersionOrUrl,
}

/// A requirement's version part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionOrUrl {
    /// No version: whatever pip picks.
    Any,
    /// PEP 440 specifiers (`>=2.20, <3`).
    Specifiers(VersionSpecifiers),
    /// A direct reference (`@ https://…`, `@ file://…`).
    Url(String),
}

/// Letters, digits and `-_.`, as names and extras are made of.
fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// A name or extra as PEP 508 allows it: letters or digits at both ends,
/// `-_.` only inside.
fn well_formed(word: &str, what: &str) -> Result<(), String> {
    let ends = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if word.is_empty() {
        Err(format!("expected a {what}"))
    } else if !word.chars().all(name_char)
        || !ends(word.chars().next())
        || !ends(word.chars().last())
    {
        Err(format!(
            "`{word}` is not a {what}: letters, digits and - _ . inside"
        ))
    } else {
        Ok(())
    }
}

impl FromStr for Requirement {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let end = text.find(|c: char| !name_char(c)).unwrap_or(text.len());
        let name = &text[..end];
        well_formed(name, "package name")?;
        let mut rest = text[end..].trim_start();

        let mut extras = Vec::new();
        if let Some(inside) = rest.strip_prefix('[') {
            let close = inside
                .find(']')
                .ok_or_else(|| "the extras' `[` has no `]`".to_owned())?;
            for extra in inside[..close].split(',').map(str::trim) {
                if !extra.is_empty() {
                    well_formed(extra, "extra name")?;
                    extras.push(extra.to_owned());
                }
            }
            rest = inside[close + 1..].trim_start();
        }

        // The marker, if any: a URL's must follow white space (a URL may
        // hold `;`), any other's may follow at once.
        let version = if let Some(url) = rest.strip_prefix('@') {
            let url = url.trim_start();
            let url = match url.find(|c: char| c.is_whitespace()) {
                Some(space) if url[space..].trim_start().starts_with(';') => &url[..space],
                Some(_) => return Err("a URL cannot hold white space".to_owned()),
                None => url,
            };
            if url.is_empty() {
                return Err("expected a URL after `@`".to_owned());
            }
            VersionOrUrl::Url(url.to_owned())
        } else {
            let specifiers = rest.split_once(';').map_or(rest, |(head, _)| head).trim();
            let specifiers = specifiers
                .strip_prefix('(')
                .and_then(|inner| inner.strip_suffix(')'))
                .unwrap_or(specifiers)
                .trim();
            if specifiers.is_empty() {
                VersionOrUrl::Any
            } else if !specifiers.starts_with(['<', '>', '=', '!', '~']) {
                return Err(format!(
                    "expected a version specifier (`==1.2`, `>=1.2`) after the name, not `{}`",
                    specifiers.chars().take(40).collect::<String>()
                ));
            } else {
                VersionOrUrl::Specifiers(
                    VersionSpecifiers::from_str(specifiers).map_err(|error| error.to_string())?,
                )
            }
        };
        Ok(Self {
            name: name.to_owned(),
            extras,
            version,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Requirement, String> {
        text.parse()
    }

    #[test]
    fn the_forms_of_pep_508() {
        let full =
            parse("requests [security, socks] >= 2.20, <3 ; python_version < \"3.8\"").unwrap();
        assert_eq!(full.name, "requests");
        assert_eq!(full.extras, ["security", "socks"]);
        let VersionOrUrl::Specifiers(specifiers) = &full.version else {
            panic!("{full:?}")
        };
        assert_eq!(specifiers.to_string(), ">=2.20, <3");
        assert_eq!(parse("numpy").unwrap().version, VersionOrUrl::Any);
        assert_eq!(
            parse("numpy;os_name=='nt'").unwrap().version,
            VersionOrUrl::Any
        );
        assert!(matches!(
            parse("pandas (==1.0.3)").unwrap().version,
            VersionOrUrl::Specifiers(_)
        ));
        assert_eq!(
            parse("pkg @ https://example.org/p.whl ; python_version>'3'")
                .unwrap()
                .version,
            VersionOrUrl::Url("https://example.org/p.whl".into())
        );
        assert_eq!(
            parse("pkg@file:///a;b/p.whl").unwrap().version,
            VersionOrUrl::Url("file:///a;b/p.whl".into())
        );
    }

    #[test]
    fn what_pep_508_refuses_is_refused() {
        for bad in [
            "",
            "-pkg",
            "pkg-",
            "a- ==1",
            "pkg[ex-]",
            "pkg[a",
            "pkg 1.0",
            "pkg @",
            "pkg ==",
            "pkg >=1 <2",
            "pkg @ a b",
            "pkg === ",
            "ünïcode==1",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
    }
}
