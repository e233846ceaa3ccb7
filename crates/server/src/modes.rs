//! File modes: taking away access nobody should have had. A leaf below `init` (the data
//! directory, the database) and the audit sink (its file), which both tighten modes.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Clears the permission bits of `path` outside `allowed` (setuid, setgid and sticky bits
/// included) and logs the change; does nothing when none are set. For files whose contents
/// are sealed or empty, where taking away access nobody should have had is the whole fix.
pub fn tighten_mode(path: &Path, allowed: u32, what: &str) -> std::io::Result<()> {
    let mode = fs::metadata(path)?.permissions().mode() & 0o7777;
    let tightened = mode & allowed;
    if tightened != mode {
        fs::set_permissions(path, fs::Permissions::from_mode(tightened))?;
        tracing::warn!(
            path = %path.display(),
            from = %format_args!("{mode:o}"),
            to = %format_args!("{tightened:o}"),
            "tightened the mode of the {what}"
        );
    }
    Ok(())
}
