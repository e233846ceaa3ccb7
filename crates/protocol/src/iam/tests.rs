//! Tests of the IAM wire layer.
