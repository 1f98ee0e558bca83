//! Sources of an [`Ir`](crate::ir::Ir): the Postgres catalogs ([`postgres`]) and PostgREST's
//! OpenAPI document ([`openapi`]).

pub(crate) mod conninfo;
pub mod openapi;
pub mod postgres;
pub mod tls;
mod view_keys;
