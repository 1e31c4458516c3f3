package protobuf

import (
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// descriptions say why each incompatible difference stops the reader
// reading what the writer wrote. Compatible differences (MESSAGE_ADDED,
// FIELD_ADDED, FIELD_REMOVED, FIELD_NAME_CHANGED, ENUM_*, ONEOF_ADDED,
// ONEOF_REMOVED, ONEOF_FIELD_ADDED, FIELD_STRING_OR_BYTES_LABEL_CHANGED)
// are not recorded.
var descriptions = map[string]string{
	"PACKAGE_CHANGED":                "the package of the reader schema differs from the writer schema's",
	"MESSAGE_REMOVED":                "the reader schema lacks the message at path '%s' of the writer schema",
	"FIELD_KIND_CHANGED":             "the field at path '%s' is a scalar, a message or a map in one schema and another in the other",
	"FIELD_SCALAR_KIND_CHANGED":      "the scalar field at path '%s' changed between wire-incompatible types",
	"FIELD_NAMED_TYPE_CHANGED":       "the message type of the field at path '%s' differs between the reader and the writer schema",
	"FIELD_NUMERIC_LABEL_CHANGED":    "the label of the numeric field at path '%s' differs between the reader and the writer schema",
	"REQUIRED_FIELD_ADDED":           "the reader schema requires the field at path '%s', which the writer schema lacks",
	"REQUIRED_FIELD_REMOVED":         "the reader schema lacks the field at path '%s', which the writer schema requires",
	"ONEOF_FIELD_REMOVED":            "the reader schema lacks the oneof field at path '%s' of the writer schema",
	"MULTIPLE_FIELDS_MOVED_TO_ONEOF": "several fields outside a oneof in the writer schema are in the oneof at path '%s' of the reader schema",
	"FIELD_MOVED_TO_EXISTING_ONEOF":  "a field outside a oneof in the writer schema is in the existing oneof at path '%s' of the reader schema",
}

type difference struct {
	typ  string
	path string
}

func (d difference) message() string {
	desc := descriptions[d.typ]
	if strings.Contains(desc, "%s") {
		desc = fmt.Sprintf(desc, d.path)
	}
	return fmt.Sprintf("{errorType:'%s', description:'%s'}", d.typ, desc)
}

// differ walks a writer and a reader file side by side, for one
// comparison on one goroutine.
type differ struct {
	writer, reader *Parsed
	path           []string
	diffs          []difference
	// active are the writer messages being compared, so that a message
	// that contains itself is compared once.
	active map[protoreflect.FullName]bool
}

func canRead(writer, reader *Parsed) []string {
	d := &differ{writer: writer, reader: reader, active: map[protoreflect.FullName]bool{}}
	if writer.file.Package() != reader.file.Package() {
		d.add("PACKAGE_CHANGED")
	}
	d.compareMessages(writer.file.Messages(), reader.file.Messages())
	var out []string
	seen := map[string]bool{}
	for _, diff := range d.diffs {
		if m := diff.message(); !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

func (d *differ) add(typ string) {
	d.diffs = append(d.diffs, difference{typ: typ, path: "#/" + strings.Join(d.path, "/")})
}

func (d *differ) push(p string) { d.path = append(d.path, p) }
func (d *differ) pop()          { d.path = d.path[:len(d.path)-1] }

// compareMessages matches two levels of messages by name; map entries are
// compared as the map fields that own them.
func (d *differ) compareMessages(w, r protoreflect.MessageDescriptors) {
	for i := 0; i < w.Len(); i++ {
		wm := w.Get(i)
		if wm.IsMapEntry() {
			continue
		}
		d.push(string(wm.Name()))
		if rm := r.ByName(wm.Name()); rm == nil {
			d.add("MESSAGE_REMOVED")
		} else {
			d.compareMessage(wm, rm)
		}
		d.pop()
	}
}

func (d *differ) compareMessage(w, r protoreflect.MessageDescriptor) {
	if !d.active[w.FullName()] {
		d.active[w.FullName()] = true
		d.compareOneofSources(w, r)
		d.compareFields(w, r)
		delete(d.active, w.FullName())
	}
	d.compareMessages(w.Messages(), r.Messages())
}

// realOneof is the oneof a field is in, nil for none or for the
// synthetic oneof of a proto3 optional field.
func realOneof(f protoreflect.FieldDescriptor) protoreflect.OneofDescriptor {
	if o := f.ContainingOneof(); o != nil && !o.IsSynthetic() {
		return o
	}
	return nil
}

// compareOneofSources checks where the members of each of the reader's
// oneofs were in the writer. Members that were all one field outside any
// oneof, or all in one oneof (renamed, split or not), read as before:
// the writer set at most one of them. Members gathered from several
// places do not: the writer may have set two of them, and the reader
// keeps only the last. Confluent names this MULTIPLE_FIELDS_MOVED_TO_ONEOF
// when all came from outside oneofs, else FIELD_MOVED_TO_EXISTING_ONEOF.
func (d *differ) compareOneofSources(w, r protoreflect.MessageDescriptor) {
	oneofs := r.Oneofs()
	for i := 0; i < oneofs.Len(); i++ {
		o := oneofs.Get(i)
		if o.IsSynthetic() {
			continue
		}
		sources := map[string]bool{}
		outside := 0
		fields := o.Fields()
		for j := 0; j < fields.Len(); j++ {
			wf := w.Fields().ByNumber(fields.Get(j).Number())
			switch {
			case wf == nil:
			case realOneof(wf) != nil:
				sources["oneof "+string(realOneof(wf).Name())] = true
			default:
				sources["field "+string(wf.Name())] = true
				outside++
			}
		}
		if len(sources) < 2 {
			continue
		}
		d.push(string(o.Name()))
		if outside == len(sources) {
			d.add("MULTIPLE_FIELDS_MOVED_TO_ONEOF")
		} else {
			d.add("FIELD_MOVED_TO_EXISTING_ONEOF")
		}
		d.pop()
	}
}

// compareFields matches fields by number, wherever they are (moving a
// field into or out of a oneof keeps its encoding; compareOneofSources
// judges the moves). A field removed from a oneof that keeps other
// members is ONEOF_FIELD_REMOVED: the reader would see none of the oneof
// set. Removing a whole oneof, or an optional field, is compatible.
func (d *differ) compareFields(w, r protoreflect.MessageDescriptor) {
	for i := 0; i < w.Fields().Len(); i++ {
		wf := w.Fields().Get(i)
		rf := r.Fields().ByNumber(wf.Number())
		switch {
		case rf != nil:
			d.pushField(rf)
			d.compareField(wf, rf)
		case realOneof(wf) != nil && survives(realOneof(wf), r):
			d.pushField(wf)
			d.add("ONEOF_FIELD_REMOVED")
		case isRequired(wf):
			d.pushField(wf)
			d.add("REQUIRED_FIELD_REMOVED")
		default:
			continue
		}
		d.popField(wf, rf)
	}
	for i := 0; i < r.Fields().Len(); i++ {
		rf := r.Fields().Get(i)
		if w.Fields().ByNumber(rf.Number()) == nil && isRequired(rf) {
			d.pushField(rf)
			d.add("REQUIRED_FIELD_ADDED")
			d.popField(rf, rf)
		}
	}
}

// pushField enters a field's path: its oneof (if any) and its number.
func (d *differ) pushField(f protoreflect.FieldDescriptor) {
	if o := realOneof(f); o != nil {
		d.push(string(o.Name()))
	}
	d.push(strconv.Itoa(int(f.Number())))
}

// popField leaves the path pushField entered for pushed (the reader's
// field when there is one, else the writer's).
func (d *differ) popField(w, r protoreflect.FieldDescriptor) {
	pushed := r
	if pushed == nil {
		pushed = w
	}
	d.pop()
	if realOneof(pushed) != nil {
		d.pop()
	}
}

// survives reports whether any member of the writer's oneof o is still a
// field of the reader's message r.
func survives(o protoreflect.OneofDescriptor, r protoreflect.MessageDescriptor) bool {
	fields := o.Fields()
	for i := 0; i < fields.Len(); i++ {
		if r.Fields().ByNumber(fields.Get(i).Number()) != nil {
			return true
		}
	}
	return false
}

func isRequired(f protoreflect.FieldDescriptor) bool {
	return f.Cardinality() == protoreflect.Required
}

// fieldKind is how the rules group a field's type: scalars (enums
// included, being numbers on the wire), messages and maps.
type fieldKind int

const (
	scalarField fieldKind = iota
	messageField
	mapField
)

func kindOf(f protoreflect.FieldDescriptor) fieldKind {
	switch {
	case f.IsMap():
		return mapField
	case f.Kind() == protoreflect.MessageKind || f.Kind() == protoreflect.GroupKind:
		return messageField
	}
	return scalarField
}

// scalarGroup is the wire-compatible group of a scalar kind: a reader
// decodes any kind of a group from what a writer of another wrote (with
// truncation, as protobuf documents).
func scalarGroup(k protoreflect.Kind) string {
	switch k {
	case protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Uint32Kind, protoreflect.Uint64Kind,
		protoreflect.BoolKind, protoreflect.EnumKind:
		return "varint"
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return "zigzag"
	case protoreflect.StringKind, protoreflect.BytesKind:
		return "length-delimited"
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind:
		return "fixed32"
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return "fixed64"
	case protoreflect.FloatKind:
		return "float"
	case protoreflect.DoubleKind:
		return "double"
	}
	return k.String()
}

// label is the label as written: repeated, optional or required, and ""
// where the source has none (proto3 singular fields, oneof members, maps).
func label(f protoreflect.FieldDescriptor) string {
	if realOneof(f) != nil || f.IsMap() {
		return ""
	}
	switch {
	case f.Cardinality() == protoreflect.Repeated:
		return "repeated"
	case f.Cardinality() == protoreflect.Required:
		return "required"
	case f.Syntax() == protoreflect.Proto2 || f.HasOptionalKeyword():
		return "optional"
	}
	return ""
}

func (d *differ) compareField(w, r protoreflect.FieldDescriptor) {
	if kindOf(w) != kindOf(r) {
		d.add("FIELD_KIND_CHANGED")
		return
	}
	switch kindOf(w) {
	case mapField:
		d.compareType(w.MapKey(), r.MapKey(), "", "")
		d.compareType(w.MapValue(), r.MapValue(), "", "")
	default:
		d.compareType(w, r, label(w), label(r))
	}
}

func (d *differ) compareType(w, r protoreflect.FieldDescriptor, wl, rl string) {
	if kindOf(w) != kindOf(r) {
		d.add("FIELD_KIND_CHANGED")
		return
	}
	if kindOf(w) == messageField {
		d.compareNamedType(w.Message(), r.Message())
		return
	}
	group := scalarGroup(w.Kind())
	switch {
	case group != scalarGroup(r.Kind()):
		d.add("FIELD_SCALAR_KIND_CHANGED")
	case wl != "" && rl != "" && wl != rl && group != "length-delimited":
		d.add("FIELD_NUMERIC_LABEL_CHANGED")
	}
}

// compareNamedType: a message field must keep its type's name (relative
// to its file's package). A type of the schema itself is compared where
// it is declared; one from an import is compared here when the import's
// text differs, its incompatibilities making the field's type changed.
func (d *differ) compareNamedType(w, r protoreflect.MessageDescriptor) {
	if localName(w) != localName(r) {
		d.add("FIELD_NAMED_TYPE_CHANGED")
		return
	}
	wf, rf := w.ParentFile(), r.ParentFile()
	if wf.Path() == d.writer.file.Path() && rf.Path() == d.reader.file.Path() {
		return
	}
	wt, wok := d.writer.deps[wf.Path()]
	rt, rok := d.reader.deps[rf.Path()]
	if wf.Path() == rf.Path() && (wt == rt || (!wok && !rok)) {
		return // the same import (or the same well-known file)
	}
	inner := &differ{writer: d.writer, reader: d.reader, active: d.active}
	inner.path = strings.Split(localName(w), ".")
	inner.compareMessage(w, r)
	if len(inner.diffs) > 0 {
		d.add("FIELD_NAMED_TYPE_CHANGED")
	}
}

func localName(m protoreflect.MessageDescriptor) string {
	pkg := string(m.ParentFile().Package())
	name := string(m.FullName())
	if pkg != "" {
		name = strings.TrimPrefix(name, pkg+".")
	}
	return name
}
