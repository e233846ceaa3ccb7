//! The IAM policy language: parsing policy documents and evaluating requests against identity
//! policies, resource policies and role trust policies. (Being written.)
