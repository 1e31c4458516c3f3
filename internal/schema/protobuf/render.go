package protobuf

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// render writes f as .proto text deterministically: the same definitions
// render the same whatever their layout, comments and order in the
// source. Every name is fully qualified, so the text compiles with the
// same imports.
func render(f protoreflect.FileDescriptor) string {
	r := &renderer{editions: f.Syntax() == protoreflect.Editions}
	switch f.Syntax() {
	case protoreflect.Editions:
		r.line(0, "edition = %q;", editionName(f))
	default:
		r.line(0, "syntax = %q;", f.Syntax().String())
	}
	if f.Package() != "" {
		r.line(0, "package %s;", f.Package())
	}
	r.imports(f.Imports())
	r.options(0, f.Options())
	r.enums(0, f.Enums())
	r.messages(0, f.Messages())
	r.extensions(0, f.Extensions())
	r.services(f.Services())
	return r.b.String()
}

// editionName is the edition of an editions file as written ("2023").
func editionName(f protoreflect.FileDescriptor) string {
	e := protodesc.ToFileDescriptorProto(f).GetEdition()
	return strings.TrimPrefix(e.String(), "EDITION_")
}

type renderer struct {
	b strings.Builder
	// editions is set for an editions file, where reserved names are
	// identifiers rather than strings.
	editions bool
}

func (r *renderer) line(depth int, format string, args ...any) {
	r.b.WriteString(strings.Repeat("  ", depth))
	fmt.Fprintf(&r.b, format, args...)
	r.b.WriteByte('\n')
}

func (r *renderer) imports(imps protoreflect.FileImports) {
	var lines []string
	for i := 0; i < imps.Len(); i++ {
		imp := imps.Get(i)
		prefix := ""
		if imp.IsPublic {
			prefix = "public "
		} else if imp.IsWeak {
			prefix = "weak "
		}
		lines = append(lines, fmt.Sprintf("import %s%q;", prefix, imp.Path()))
	}
	sort.Strings(lines)
	for _, l := range lines {
		r.line(0, "%s", l)
	}
}

// options renders the set fields of an options message, in field number
// order, as option statements.
func (r *renderer) options(depth int, opts protoreflect.ProtoMessage) {
	for _, o := range optionList(opts) {
		if strings.HasPrefix(o, "/*") {
			r.line(depth, "%s", o)
			continue
		}
		r.line(depth, "option %s;", o)
	}
}

// optionList is each set option as "name = value", by field number, then
// any options the runtime does not know, as raw bytes in a comment.
func optionList(opts protoreflect.ProtoMessage) []string {
	if opts == nil {
		return nil
	}
	m := opts.ProtoReflect()
	if !m.IsValid() {
		return nil
	}
	type entry struct {
		num  protoreflect.FieldNumber
		text string
	}
	var entries []entry
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := string(fd.Name())
		if fd.IsExtension() {
			name = "(" + string(fd.FullName()) + ")"
		}
		if fd.IsList() {
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				entries = append(entries, entry{fd.Number(), name + " = " + value(fd, l.Get(i))})
			}
			return true
		}
		entries = append(entries, entry{fd.Number(), name + " = " + value(fd, v)})
		return true
	})
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].num < entries[j].num })
	var out []string
	for _, e := range entries {
		out = append(out, e.text)
	}
	if u := m.GetUnknown(); len(u) > 0 {
		// Kept (as a comment) so that schemas differing only in options
		// the runtime cannot name still normalize differently.
		out = append(out, fmt.Sprintf("/* unknown options %x */", []byte(u)))
	}
	return out
}

// value renders one option value in the text format.
func value(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return strconv.Quote(v.String())
	case protoreflect.BytesKind:
		return strconv.Quote(string(v.Bytes()))
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return strconv.Itoa(int(v.Enum()))
	case protoreflect.MessageKind, protoreflect.GroupKind:
		var parts []string
		for _, o := range optionList(v.Message().Interface()) {
			if !strings.HasPrefix(o, "/*") {
				o = strings.Replace(o, " = ", ": ", 1)
			}
			parts = append(parts, o)
		}
		return "{ " + strings.Join(parts, " ") + " }"
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	}
	return v.String()
}

func (r *renderer) enums(depth int, enums protoreflect.EnumDescriptors) {
	for _, e := range sortedByName(enums.Len(), func(i int) protoreflect.EnumDescriptor { return enums.Get(i) }) {
		r.line(depth, "enum %s {", e.Name())
		r.options(depth+1, e.Options())
		values := e.Values()
		for i := 0; i < values.Len(); i++ {
			v := values.Get(i)
			r.line(depth+1, "%s = %d%s;", v.Name(), v.Number(), bracketed(optionList(v.Options())))
		}
		r.reserved(depth+1, e.ReservedRanges(), e.ReservedNames())
		r.line(depth, "}")
	}
}

func (r *renderer) reserved(depth int, ranges interface {
	Len() int
	Get(int) [2]protoreflect.EnumNumber
}, names protoreflect.Names) {
	var parts []string
	for i := 0; i < ranges.Len(); i++ {
		rg := ranges.Get(i)
		parts = append(parts, rangeText(int64(rg[0]), int64(rg[1])))
	}
	r.reservedLine(depth, parts, names)
}

func (r *renderer) reservedLine(depth int, parts []string, names protoreflect.Names) {
	if len(parts) > 0 {
		r.line(depth, "reserved %s;", strings.Join(parts, ", "))
	}
	var quoted []string
	for i := 0; i < names.Len(); i++ {
		if r.editions {
			quoted = append(quoted, string(names.Get(i)))
		} else {
			quoted = append(quoted, strconv.Quote(string(names.Get(i))))
		}
	}
	sort.Strings(quoted)
	if len(quoted) > 0 {
		r.line(depth, "reserved %s;", strings.Join(quoted, ", "))
	}
}

func rangeText(start, end int64) string {
	if start == end {
		return strconv.FormatInt(start, 10)
	}
	return fmt.Sprintf("%d to %d", start, end)
}

func (r *renderer) messages(depth int, msgs protoreflect.MessageDescriptors) {
	for _, m := range sortedByName(msgs.Len(), func(i int) protoreflect.MessageDescriptor { return msgs.Get(i) }) {
		if m.IsMapEntry() || isGroupType(m) {
			continue
		}
		r.line(depth, "message %s {", m.Name())
		r.messageBody(depth+1, m)
		r.line(depth, "}")
	}
}

func isGroupType(m protoreflect.MessageDescriptor) bool {
	parent, ok := m.Parent().(protoreflect.MessageDescriptor)
	if !ok {
		return false
	}
	fields := parent.Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if f.Kind() == protoreflect.GroupKind && f.Message().FullName() == m.FullName() {
			return true
		}
	}
	return false
}

func (r *renderer) messageBody(depth int, m protoreflect.MessageDescriptor) {
	r.options(depth, m.Options())
	fields := sortedFields(m.Fields())
	for _, f := range fields {
		if realOneof(f) == nil {
			r.field(depth, f)
		}
	}
	oneofs := m.Oneofs()
	for _, o := range sortedByName(oneofs.Len(), func(i int) protoreflect.OneofDescriptor { return oneofs.Get(i) }) {
		if o.IsSynthetic() {
			continue
		}
		r.line(depth, "oneof %s {", o.Name())
		r.options(depth+1, o.Options())
		for _, f := range sortedFields(o.Fields()) {
			r.field(depth+1, f)
		}
		r.line(depth, "}")
	}
	var parts []string
	rr := m.ReservedRanges()
	for i := 0; i < rr.Len(); i++ {
		parts = append(parts, rangeText(int64(rr.Get(i)[0]), int64(rr.Get(i)[1])-1))
	}
	r.reservedLine(depth, parts, m.ReservedNames())
	er := m.ExtensionRanges()
	for i := 0; i < er.Len(); i++ {
		rg := er.Get(i)
		r.line(depth, "extensions %s%s;", rangeText(int64(rg[0]), int64(rg[1])-1), bracketed(optionList(m.ExtensionRangeOptions(i))))
	}
	r.enums(depth, m.Enums())
	r.messages(depth, m.Messages())
	r.extensions(depth, m.Extensions())
}

func (r *renderer) field(depth int, f protoreflect.FieldDescriptor) {
	lbl := label(f)
	if f.Syntax() == protoreflect.Editions && lbl != "repeated" {
		lbl = ""
	}
	if lbl != "" {
		lbl += " "
	}
	if f.Kind() == protoreflect.GroupKind && f.Syntax() != protoreflect.Editions {
		r.line(depth, "%sgroup %s = %d%s {", lbl, f.Message().Name(), f.Number(), bracketed(fieldOptions(f)))
		r.messageBody(depth+1, f.Message())
		r.line(depth, "}")
		return
	}
	r.line(depth, "%s%s %s = %d%s;", lbl, typeName(f), f.Name(), f.Number(), bracketed(fieldOptions(f)))
}

func typeName(f protoreflect.FieldDescriptor) string {
	if f.IsMap() {
		return fmt.Sprintf("map<%s, %s>", typeName(f.MapKey()), typeName(f.MapValue()))
	}
	switch f.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return "." + string(f.Message().FullName())
	case protoreflect.EnumKind:
		return "." + string(f.Enum().FullName())
	}
	return f.Kind().String()
}

// fieldOptions are the pseudo-options (default, json_name) and then the
// field's options.
func fieldOptions(f protoreflect.FieldDescriptor) []string {
	var out []string
	if f.HasDefault() {
		var d string
		switch f.Kind() {
		case protoreflect.EnumKind:
			d = string(f.DefaultEnumValue().Name())
		case protoreflect.StringKind, protoreflect.BytesKind:
			d = value(f, f.Default())
		default:
			d = value(f, f.Default())
		}
		out = append(out, "default = "+d)
	}
	if !f.IsExtension() && f.HasJSONName() && f.JSONName() != defaultJSONName(string(f.Name())) {
		out = append(out, "json_name = "+strconv.Quote(f.JSONName()))
	}
	return append(out, optionList(f.Options())...)
}

func bracketed(opts []string) string {
	var set, comments []string
	for _, o := range opts {
		if strings.HasPrefix(o, "/*") {
			comments = append(comments, o)
		} else {
			set = append(set, o)
		}
	}
	out := ""
	if len(set) > 0 {
		out = " [" + strings.Join(set, ", ") + "]"
	}
	for _, c := range comments {
		out += " " + c
	}
	return out
}

func (r *renderer) extensions(depth int, exts protoreflect.ExtensionDescriptors) {
	byExtendee := map[protoreflect.FullName][]protoreflect.FieldDescriptor{}
	for i := 0; i < exts.Len(); i++ {
		e := exts.Get(i)
		byExtendee[e.ContainingMessage().FullName()] = append(byExtendee[e.ContainingMessage().FullName()], e)
	}
	names := make([]string, 0, len(byExtendee))
	for n := range byExtendee {
		names = append(names, string(n))
	}
	sort.Strings(names)
	for _, n := range names {
		r.line(depth, "extend .%s {", n)
		fields := byExtendee[protoreflect.FullName(n)]
		sort.Slice(fields, func(i, j int) bool { return fields[i].Number() < fields[j].Number() })
		for _, f := range fields {
			r.field(depth+1, f)
		}
		r.line(depth, "}")
	}
}

func (r *renderer) services(svcs protoreflect.ServiceDescriptors) {
	for _, s := range sortedByName(svcs.Len(), func(i int) protoreflect.ServiceDescriptor { return svcs.Get(i) }) {
		r.line(0, "service %s {", s.Name())
		r.options(1, s.Options())
		methods := s.Methods()
		for _, m := range sortedByName(methods.Len(), func(i int) protoreflect.MethodDescriptor { return methods.Get(i) }) {
			in, out := "", ""
			if m.IsStreamingClient() {
				in = "stream "
			}
			if m.IsStreamingServer() {
				out = "stream "
			}
			opts := optionList(m.Options())
			if len(opts) == 0 {
				r.line(1, "rpc %s (%s.%s) returns (%s.%s);", m.Name(), in, m.Input().FullName(), out, m.Output().FullName())
				continue
			}
			r.line(1, "rpc %s (%s.%s) returns (%s.%s) {", m.Name(), in, m.Input().FullName(), out, m.Output().FullName())
			r.options(2, m.Options())
			r.line(1, "}")
		}
		r.line(0, "}")
	}
}

func sortedFields(fields protoreflect.FieldDescriptors) []protoreflect.FieldDescriptor {
	out := make([]protoreflect.FieldDescriptor, fields.Len())
	for i := range out {
		out[i] = fields.Get(i)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number() < out[j].Number() })
	return out
}

func sortedByName[D protoreflect.Descriptor](n int, get func(int) D) []D {
	out := make([]D, n)
	for i := range out {
		out[i] = get(i)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// defaultJSONName is the JSON name protoc gives a field: its name with
// each underscore dropped and the letter after it upper-cased.
func defaultJSONName(name string) string {
	var b strings.Builder
	upper := false
	for _, c := range name {
		switch {
		case c == '_':
			upper = true
		case upper && 'a' <= c && c <= 'z':
			b.WriteRune(c - 'a' + 'A')
			upper = false
		default:
			b.WriteRune(c)
			upper = false
		}
	}
	return b.String()
}
