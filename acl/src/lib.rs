//! The anti-corruption layer (issue 4): not built yet.
//!
//! This crate is an empty placeholder in the workspace so the layout of
//! `DESIGN.md` holds from the start; it exports nothing and claims nothing.
