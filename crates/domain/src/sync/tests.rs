//! Unit tests of the sync rules, one per rule, over in-memory facts.

use super::*;
