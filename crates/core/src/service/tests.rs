//! Service tests live in the store crate (they need a real store).
