// Package avro is the Avro format of the schema registry, on
// github.com/hamba/avro/v2: it parses schemas (with the schemas they
// reference by full name), gives their canonical text (the schema as
// Java Avro's Schema.toString writes it, which Confluent stores and
// answers) and their normalized text (names
// fully qualified, docs dropped, keys in one order, primitive objects
// such as {"type":"int"} written as "int"), decides whether one schema can
// read data written with another by Avro's schema resolution rules, and
// decodes payloads against a schema.
//
// Resolution, as the Avro specification states it (and Java's
// SchemaCompatibility applies it): primitives match themselves and the
// promotions int->long->float->double, string<->bytes; records, enums and
// fixed match by unqualified name or a reader alias; a reader field found
// in the writer (by name or alias) must resolve, one missing from the
// writer needs a default, writer fields the reader lacks are skipped;
// every writer enum symbol must be a reader symbol unless the reader enum
// has a default; fixed sizes must be equal; arrays and maps resolve their
// items and values; a writer union resolves when every branch does, a
// reader union when one branch reads the writer. Logical types do not
// take part, as in Java.
package avro
