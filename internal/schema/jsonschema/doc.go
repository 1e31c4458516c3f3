// Package jsonschema is the JSON Schema format of the schema registry:
// it parses schemas (with the schemas they reference by $ref) using
// github.com/santhosh-tekuri/jsonschema/v6, validates JSON payloads
// against them, and decides compatibility by Confluent's JSON Schema
// rules.
//
// Compatibility is a structural diff of the writer schema (Confluent's
// "original") against the reader schema (its "update"), walking both
// trees side by side and classifying every difference by the names of
// Confluent's Difference types: OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL,
// REQUIRED_ATTRIBUTE_ADDED, TYPE_NARROWED, MAX_LENGTH_DECREASED, and so
// on. A difference that makes data the writer could produce invalid for
// the reader is reported; one that only relaxes the reader is not. The
// content model of an object decides what adding or removing a property
// means: an open model (additionalProperties absent or true, no
// patternProperties) may already have carried any value under a new
// name, a closed one (additionalProperties false) carried none, and a
// partially open one (patternProperties or an additionalProperties
// schema) carried values of that schema.
//
// No network or file access happens at any point: $ref targets must be in
// the schema itself, in its references, or be a JSON Schema meta-schema
// (which the library embeds). A schema without "$schema" is draft-07, as
// in Confluent's registry.
//
// Limits, where Confluent's registry has none: a document nesting objects
// and arrays more than 100 deep is refused (compiling it costs more than
// linear time), and a comparison needing more than 200,000 steps (deeply
// nested combinations) reports SCHEMA_TOO_COMPLEX rather than running for
// minutes. Patterns are Go regular expressions (RE2), so an ECMA-262
// pattern using lookaround or backreferences does not compile.
package jsonschema
