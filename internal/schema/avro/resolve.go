package avro

import (
	"fmt"
	"slices"
	"strings"

	havro "github.com/hamba/avro/v2"
)

// Resolve lists why data written with writer cannot be read with reader
// under Avro's schema resolution rules (see the package comment), one
// message per incompatibility in the shape of Confluent's messages; none
// means reader can read it. It is a pure function.
func Resolve(reader, writer havro.Schema) []string {
	r := resolver{pairs: map[[2]string]pairState{}}
	r.check(reader, writer, "")
	return r.msgs
}

// resolver walks a reader and a writer schema together.
type resolver struct {
	// pairs holds what is known of each pair of records (reader, writer
	// full names): one being checked is taken as readable where it recurs
	// inside itself, so that recursive types end; one checked is not
	// walked again, so that a type used in many places costs once.
	pairs map[[2]string]pairState
	msgs  []string
}

type pairState int

const (
	pairChecking pairState = iota + 1
	pairReadable
	pairUnreadable
)

func (r *resolver) fail(kind, path, description, info string) {
	if path == "" {
		path = "/"
	}
	r.msgs = append(r.msgs, fmt.Sprintf("{errorType:'%s', description:'%s', additionalInfo:'%s'}",
		kind, strings.ReplaceAll(description, "{path}", path), info))
}

func deref(s havro.Schema) havro.Schema {
	if ref, ok := s.(*havro.RefSchema); ok {
		return ref.Schema()
	}
	return s
}

// promotions lists, for each writer primitive, the reader primitives
// that read it.
var promotions = map[havro.Type][]havro.Type{
	havro.Int:    {havro.Int, havro.Long, havro.Float, havro.Double},
	havro.Long:   {havro.Long, havro.Float, havro.Double},
	havro.Float:  {havro.Float, havro.Double},
	havro.String: {havro.String, havro.Bytes},
	havro.Bytes:  {havro.Bytes, havro.String},
}

// readable reports whether reader reads writer, without recording why not.
func (r *resolver) readable(reader, writer havro.Schema) bool {
	sub := resolver{pairs: r.pairs}
	sub.check(reader, writer, "")
	return len(sub.msgs) == 0
}

func (r *resolver) check(reader, writer havro.Schema, path string) {
	reader, writer = deref(reader), deref(writer)
	if wu, ok := writer.(*havro.UnionSchema); ok {
		r.checkWriterUnion(reader, wu, path)
		return
	}
	if ru, ok := reader.(*havro.UnionSchema); ok {
		for _, b := range ru.Types() {
			if r.readable(b, writer) {
				return
			}
		}
		r.fail("MISSING_UNION_BRANCH", path, "The new schema is missing a type inside a union field at path '{path}' in the old schema",
			fmt.Sprintf("reader union lacking writer type: %s", typeName(writer)))
		return
	}
	if reader.Type() != writer.Type() {
		if !slices.Contains(promotions[writer.Type()], reader.Type()) {
			r.fail("TYPE_MISMATCH", path, "The type (path '{path}') of a field in the new schema does not match with the old schema",
				fmt.Sprintf("reader type: %s not compatible with writer type: %s", typeName(reader), typeName(writer)))
		}
		return
	}
	switch rs := reader.(type) {
	case *havro.RecordSchema:
		r.checkRecord(rs, writer.(*havro.RecordSchema), path)
	case *havro.EnumSchema:
		r.checkEnum(rs, writer.(*havro.EnumSchema), path)
	case *havro.FixedSchema:
		ws := writer.(*havro.FixedSchema)
		if r.checkName(rs, ws, path) && rs.Size() != ws.Size() {
			r.fail("FIXED_SIZE_MISMATCH", path+"/size", "The size of FIXED type field at path '{path}' in the new schema does not match with the old schema",
				fmt.Sprintf("expected: %d, found: %d", ws.Size(), rs.Size()))
		}
	case *havro.ArraySchema:
		r.check(rs.Items(), writer.(*havro.ArraySchema).Items(), path+"/items")
	case *havro.MapSchema:
		r.check(rs.Values(), writer.(*havro.MapSchema).Values(), path+"/values")
	}
}

// checkWriterUnion: every branch the writer may have written must be
// readable.
func (r *resolver) checkWriterUnion(reader havro.Schema, writer *havro.UnionSchema, path string) {
	ru, readerIsUnion := reader.(*havro.UnionSchema)
	for i, wb := range writer.Types() {
		if !readerIsUnion {
			r.check(reader, wb, fmt.Sprintf("%s/%d", path, i))
			continue
		}
		found := false
		for _, rb := range ru.Types() {
			if r.readable(rb, wb) {
				found = true
				break
			}
		}
		if !found {
			r.fail("MISSING_UNION_BRANCH", fmt.Sprintf("%s/%d", path, i), "The new schema is missing a type inside a union field at path '{path}' in the old schema",
				fmt.Sprintf("reader union lacking writer type: %s", typeName(deref(wb))))
		}
	}
}

// checkName reports whether two named types match: the same unqualified
// name, or the writer's full name among the reader's aliases.
func (r *resolver) checkName(reader, writer havro.NamedSchema, path string) bool {
	if reader.Name() == writer.Name() || slices.Contains(reader.Aliases(), writer.FullName()) {
		return true
	}
	r.fail("NAME_MISMATCH", path+"/name", "The name of the schema has changed (path '{path}')",
		fmt.Sprintf("expected: %s", writer.FullName()))
	return false
}

func (r *resolver) checkRecord(reader, writer *havro.RecordSchema, path string) {
	if !r.checkName(reader, writer, path) {
		return
	}
	key := [2]string{reader.FullName(), writer.FullName()}
	switch r.pairs[key] {
	case pairChecking, pairReadable:
		return
	case pairUnreadable:
		r.fail("TYPE_MISMATCH", path, "The type (path '{path}') of a field in the new schema does not match with the old schema",
			fmt.Sprintf("reader type: RECORD %s not compatible with writer type: RECORD %s", reader.FullName(), writer.FullName()))
		return
	}
	r.pairs[key] = pairChecking
	before := len(r.msgs)
	r.checkFields(reader, writer, path)
	r.pairs[key] = pairReadable
	if len(r.msgs) > before {
		r.pairs[key] = pairUnreadable
	}
}

func (r *resolver) checkFields(reader, writer *havro.RecordSchema, path string) {
	for i, rf := range reader.Fields() {
		fieldPath := fmt.Sprintf("%s/fields/%d", path, i)
		wf := writerField(writer, rf)
		if wf == nil {
			if !rf.HasDefault() {
				r.fail("READER_FIELD_MISSING_DEFAULT_VALUE", fieldPath,
					fmt.Sprintf("The field '%s' at path '{path}' in the new schema has no default value and is missing in the old schema", rf.Name()), rf.Name())
			}
			continue
		}
		r.check(rf.Type(), wf.Type(), fieldPath+"/type")
	}
}

// writerField finds the writer's field for reader field rf, by name or
// by one of rf's aliases.
func writerField(writer *havro.RecordSchema, rf *havro.Field) *havro.Field {
	for _, wf := range writer.Fields() {
		if wf.Name() == rf.Name() {
			return wf
		}
	}
	for _, wf := range writer.Fields() {
		if slices.Contains(rf.Aliases(), wf.Name()) {
			return wf
		}
	}
	return nil
}

func (r *resolver) checkEnum(reader, writer *havro.EnumSchema, path string) {
	if !r.checkName(reader, writer, path) || reader.HasDefault() {
		return
	}
	var missing []string
	for _, s := range writer.Symbols() {
		if !slices.Contains(reader.Symbols(), s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		r.fail("MISSING_ENUM_SYMBOLS", path+"/symbols", "The new schema is missing enum symbols '"+strings.Join(missing, ", ")+"' at path '{path}' in the old schema",
			"["+strings.Join(missing, ", ")+"]")
	}
}

// typeName names a schema in messages as Java's Schema.Type does.
func typeName(s havro.Schema) string {
	return strings.ToUpper(string(deref(s).Type()))
}
