//! The console's files, compiled into the binary (`crates/server/console/`): plain HTML, CSS
//! and ES modules, no build step. A path that is not in this list is a 404; nothing is read
//! from disk at run time.

/// Declares the files: their path under `/console/`, their content type, their bytes.
macro_rules! assets {
    ($($path:literal => $content_type:literal),* $(,)?) => {
        /// Every file: (path under `/console/`, content type, bytes).
        pub const ASSETS: &[(&str, &str, &[u8])] = &[
            $(($path, $content_type, include_bytes!(concat!("../../console/", $path))),)*
        ];
    };
}

assets! {
    "index.html" => "text/html; charset=utf-8",
    "favicon.svg" => "image/svg+xml",
    "css/console.css" => "text/css; charset=utf-8",
    "js/main.js" => "text/javascript; charset=utf-8",
    "js/sigv4.js" => "text/javascript; charset=utf-8",
    "js/api.js" => "text/javascript; charset=utf-8",
    "js/session.js" => "text/javascript; charset=utf-8",
    "js/ui.js" => "text/javascript; charset=utf-8",
    "js/pages/signin.js" => "text/javascript; charset=utf-8",
    "js/pages/secrets.js" => "text/javascript; charset=utf-8",
    "js/pages/secret.js" => "text/javascript; charset=utf-8",
    "js/pages/access.js" => "text/javascript; charset=utf-8",
    "js/pages/audit.js" => "text/javascript; charset=utf-8",
}

/// The content type and bytes of the file at `path` (relative to `/console/`).
pub fn find(path: &str) -> Option<(&'static str, &'static [u8])> {
    ASSETS
        .iter()
        .find(|(name, _, _)| *name == path)
        .map(|(_, content_type, bytes)| (*content_type, *bytes))
}
