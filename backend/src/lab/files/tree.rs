//! The file server's fake machine: an in-memory tree of files, with the web
//! root and, outside it, the secrets a traversal can reach. Nothing here is
//! read from the host's disk; every secret says it is fake.

/// Where the file server's web root is on the fake machine.
pub const WEB_ROOT: &str = "/srv/clinic/www";

/// Where uploads go, inside the web root.
pub const UPLOADS: &str = "/srv/clinic/www/uploads";

/// Every file of the fake machine: absolute path and content.
pub const FILES: &[(&str, &str)] = &[
    (
        "/srv/clinic/www/index.html",
        "<!doctype html>\n<html lang=\"en\">\n<meta charset=\"utf-8\">\n<title>Northwind Clinic: reports</title>\n\
         <h1>Northwind Clinic</h1>\n<p>Public reports for the region. See <a href=\"motto.txt\">our motto</a> and \
         <a href=\"reports/admissions-2023.csv\">last year's admissions</a>.</p>\n",
    ),
    (
        "/srv/clinic/www/motto.txt",
        "Care first, data second, and both kept safe.\n",
    ),
    (
        "/srv/clinic/www/reports/admissions-2023.csv",
        "month,admissions,median_stay_days\n2023-01,412,3.4\n2023-02,388,3.6\n2023-03,401,3.3\n",
    ),
    (
        "/srv/clinic/www/uploads/README.txt",
        "Reports uploaded with PUT land in this folder.\n",
    ),
    (
        "/etc/passwd",
        "# SAFELAB-FAKE: a made-up file on a made-up machine; nothing here is real\n\
         root:x:0:0:root:/root:/bin/bash\n\
         daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
         www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n\
         clinic:x:1000:1000:Clinic reports,,,:/home/clinic:/bin/bash\n\
         postgres:x:112:120:PostgreSQL administrator:/var/lib/postgresql:/bin/bash\n",
    ),
    (
        "/etc/shadow",
        "# SAFELAB-FAKE: a made-up file on a made-up machine; nothing here is real\n\
         root:$6$FAKEsalt$FAKEhashFAKEhashFAKEhashFAKEhash:19700:0:99999:7:::\n\
         clinic:$6$FAKEsalt$FAKEhashOfAWeakPasswordFAKEhash:19700:0:99999:7:::\n",
    ),
    (
        "/etc/hosts",
        "# SAFELAB-FAKE: a made-up file on a made-up machine; nothing here is real\n\
         127.0.0.1 localhost\n10.20.0.5 clinic-web-01\n10.20.0.9 db.internal\n",
    ),
    ("/etc/hostname", "clinic-web-01\n"),
    (
        "/home/clinic/.ssh/id_rsa",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n\
         SAFELAB-FAKE: a made-up file on a made-up machine; nothing here is real.\n\
         This is where the clinic's deploy key would be: whoever reads it can log in as clinic.\n\
         -----END OPENSSH PRIVATE KEY-----\n",
    ),
    (
        "/srv/clinic/.env",
        "# SAFELAB-FAKE: a made-up file on a made-up machine; nothing here is real\n\
         DATABASE_URL=postgres://clinic:FAKE-db-password-1234@db.internal:5432/patients\n\
         REPORTS_API_KEY=FAKE-sk-live-0000000000000000000000000000\n\
         SMTP_PASSWORD=FAKE-smtp-password\n",
    ),
    (
        "/srv/clinic/data/patients.csv",
        "# SAFELAB-FAKE: a made-up file on a made-up machine; nothing here is real\n\
         patient_id,name,birth_date,diagnosis\n\
         FAKE-0001,Ada Example,1961-04-02,type 2 diabetes\n\
         FAKE-0002,Ben Sample,1987-11-19,asthma\n\
         FAKE-0003,Chidi Placeholder,1975-06-30,hypertension\n",
    ),
];

/// The file at `path` on the fake machine.
pub fn file(path: &str) -> Option<&'static str> {
    FILES
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, content)| *content)
}

/// Whether `path` is a folder of the fake machine (`/` included).
pub fn is_folder(path: &str) -> bool {
    let prefix = format!("{}/", path.trim_end_matches('/'));
    FILES.iter().any(|(name, _)| name.starts_with(&prefix))
}

/// The entries directly inside folder `path`: names, folders with a trailing `/`.
pub fn entries(path: &str) -> Vec<String> {
    let prefix = format!("{}/", path.trim_end_matches('/'));
    let mut entries: Vec<String> = FILES
        .iter()
        .filter_map(|(name, _)| name.strip_prefix(&prefix))
        .map(|rest| match rest.split_once('/') {
            Some((folder, _)) => format!("{folder}/"),
            None => rest.to_owned(),
        })
        .collect();
    entries.sort();
    entries.dedup();
    entries
}

/// Resolves `.` and `..` in an absolute path the way an operating system
/// does: `..` at the top stays at `/`.
pub fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Whether `path` (normalised) is the web root or inside it.
pub fn inside_web_root(path: &str) -> bool {
    path == WEB_ROOT || path.starts_with(&format!("{WEB_ROOT}/"))
}

/// The `Content-Type` for a file name.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("csv") => "text/csv; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Said inside every fake secret, so nobody mistakes one for a real leak.
    const FAKE: &str = "SAFELAB-FAKE: a made-up file on a made-up machine; nothing here is real";

    #[test]
    fn every_secret_outside_the_root_says_it_is_fake() {
        for (path, content) in FILES {
            assert!(path.starts_with('/'));
            if !inside_web_root(path) && *path != "/etc/hostname" {
                assert!(content.contains(FAKE), "{path} must say it is fake");
            }
        }
    }

    #[test]
    fn paths_resolve_like_an_operating_system() {
        assert_eq!(
            normalise("/srv/clinic/www/../../../etc/passwd"),
            "/etc/passwd"
        );
        assert_eq!(
            normalise("/srv/clinic/www/../../../../../../etc/passwd"),
            "/etc/passwd"
        );
        assert_eq!(
            normalise("/srv/clinic/www/./reports//a.csv"),
            "/srv/clinic/www/reports/a.csv"
        );
        assert!(inside_web_root("/srv/clinic/www/motto.txt"));
        assert!(!inside_web_root("/srv/clinic/www-old/motto.txt"));
        assert!(is_folder("/srv/clinic/www/reports") && is_folder("/"));
        assert_eq!(entries("/srv/clinic"), [".env", "data/", "www/"]);
    }
}
