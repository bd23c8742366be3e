//! One test per validation rule. Each is named as a sentence about behaviour; its first
//! comment line cites the normative statement(s) it checks (5.0 numbering, or `(3.1.1)` for
//! 3.1.1 numbering). Each feeds hand-written bytes to the decoder and asserts the exact
//! `CodecError` and its reason code; where the rule also binds the sender, it asserts that
//! encoding refuses and writes nothing.

mod connack;
mod connect;
mod fixed_header;
mod properties;
mod publish;
mod reason_codes;
mod strings;
mod subscribe;
mod topics;
mod versions;
