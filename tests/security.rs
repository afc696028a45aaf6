//! What triage holds stays with its owner (issue 7, SECURITY.md): every file
//! and folder it creates is owner-only, and nothing a sender controls (an
//! attachment's name) becomes a path.

use crate::util::*;
use std::os::unix::fs::PermissionsExt;

#[test]
fn every_file_and_folder_a_run_creates_is_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = triage(dir.path(), &sample_args(dir.path()));
    assert!(matches!(out.status.code(), Some(0) | Some(1)));
    let mut checked = 0;
    for top in ["out", "state"] {
        for path in paths_under(&dir.path().join(top)) {
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let mode = meta.permissions().mode() & 0o777;
            assert_eq!(
                mode & 0o077,
                0,
                "{} is {mode:o}: group or others can reach it",
                path.display()
            );
            checked += 1;
        }
    }
    // The history's own segment files are among them.
    assert!(paths_under(&dir.path().join("state/history"))
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "store")));
    assert!(checked > 60, "only {checked} paths");
}

#[test]
fn attachment_names_are_never_used_as_paths() {
    let mut w = World::new();
    let evil = [
        "../../escape-1.txt".to_string(),
        format!("{}/escape-2.txt", w.dir.path().display()),
        "..\\..\\escape-3.txt".to_string(),
    ];
    let mut m = String::from(
        "From: someone@example.org\r\nTo: housing@council.example\r\nSubject: files\r\n\
         Date: Fri, 20 Nov 2026 10:00:00 +0000\r\nMessage-ID: <att@example.org>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"x\"\r\n\r\n\
         --x\r\nContent-Type: text/plain\r\n\r\nPlease see the attached.\r\n",
    );
    for name in &evil {
        m.push_str(&format!(
            "--x\r\nContent-Type: text/plain; name=\"{name}\"\r\n\
             Content-Disposition: attachment; filename=\"{name}\"\r\n\r\nescaped!\r\n"
        ));
    }
    m.push_str("--x--\r\n");
    w.raw("attachments.eml", m.as_bytes());
    let rows = w.triage();
    assert_eq!(rows.len(), 1);
    let everything = paths_under(w.dir.path());
    assert!(
        !everything
            .iter()
            .any(|p| p.to_string_lossy().contains("escape-")),
        "an attachment name became a file: {everything:?}"
    );
    for parent in [w.dir.path().parent().unwrap(), std::path::Path::new("/tmp")] {
        assert!(!parent.join("escape-1.txt").exists());
    }
}
