//! The IAM subset coffer answers on its own endpoint, in the awsQuery protocol. (Being written.)
