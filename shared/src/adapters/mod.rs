//! The adapters: each implements domain ports on one outside system. The domain never names them;
//! the glue (`functions`, `cli`) builds them from configuration and hands them to the domain.

pub mod conduit;
pub mod dynamo;
pub mod healthchecks;
pub mod matrix;
pub mod pacing;
pub mod random;
pub mod s3;
pub mod sdk;
pub mod ses;
pub mod slack;
pub mod ssm;
pub mod statuspage;
pub mod victorops;
