package jsonschema

import (
	"encoding/json"
	"math/big"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// kind is the class of a schema node as the compatibility rules see it:
// two nodes of different kinds are a TYPE_CHANGED, whatever their
// keywords.
type kind int

const (
	kindEmpty    kind = iota // true or {}: accepts every value
	kindFalse                // false: accepts none
	kindNull                 // "type": "null"
	kindBoolean              // "type": "boolean"
	kindString               // "type": "string", or string keywords only
	kindNumber               // "type": "number" or "integer", or number keywords only
	kindObject               // "type": "object", or object keywords only
	kindArray                // "type": "array", or array keywords only
	kindEnum                 // "enum"
	kindConst                // "const"
	kindNot                  // "not"
	kindCombined             // allOf / anyOf / oneOf, a type list, or several of the above
	kindRef                  // "$ref", resolved by link at parse time
)

// node is one schema of the tree, built once at parse time. Fields other
// than kind, id and raw are set for the kinds that use them.
type node struct {
	kind kind
	id   string // document URL + JSON pointer: identity for the cycle guard
	// text is the schema as sorted compact JSON, "" for the parts of a
	// schema object: two nodes of equal text and no $ref are equal.
	text string
	raw  map[string]any // the schema object (nil for a boolean schema)

	integer   bool    // kindNumber: "integer"
	criterion string  // kindCombined: "allOf", "anyOf" or "oneOf"
	subs      []*node // kindCombined: the subschemas; kindNot: the negated one
	values    []any   // kindEnum: the values; kindConst: the one value
	ref       string  // kindRef: absolute target URL with fragment
	target    *node   // kindRef: the node ref names, nil if none (set by link)

	object *objectNode
	array  *arrayNode
}

type objectNode struct {
	// closedBy is the keyword that gives unnamed properties their schema:
	// additionalProperties, or unevaluatedProperties when only that is set.
	closedBy          string
	properties        map[string]*node
	required          map[string]bool
	permitsAdditional bool
	additional        *node // an additionalProperties schema (not a boolean)
	patterns          []patternNode
	propertyDeps      map[string][]string
	schemaDeps        map[string]*node
	minProperties     *big.Float
	maxProperties     *big.Float
}

type patternNode struct {
	re     *regexp.Regexp
	schema *node
}

type arrayNode struct {
	// closedBy is the keyword that gives items after the tuple their
	// schema: additionalItems (items in draft 2020-12), or unevaluatedItems
	// when only that is set.
	closedBy               string
	all                    *node   // items as one schema for every item
	tuple                  []*node // items as an array, or prefixItems
	permitsAdditionalItems bool
	additionalItems        *node
	minItems, maxItems     *big.Float
	unique                 bool
	contains               *node
	minContains            *big.Float // 1 when contains is set without it
	maxContains            *big.Float
}

// model holds the schema and its references as trees of nodes, and finds
// the node a $ref names.
type model struct {
	root    *node
	docs    map[string]any    // document URL -> decoded JSON
	aliases map[string]string // a reference's own $id -> the URL it was added under
	nodes   map[string]*node  // id -> node, so that $refs to one place share it
	// modern are the documents of draft 2019-09 or later, where items is
	// what follows prefixItems rather than the schema of every item.
	modern map[string]bool
}

func newModel() *model {
	return &model{docs: map[string]any{}, aliases: map[string]string{}, nodes: map[string]*node{}, modern: map[string]bool{}}
}

func (m *model) addDocument(u string, doc any) {
	m.docs[u] = doc
	if obj, ok := doc.(map[string]any); ok {
		if d, ok := obj["$schema"].(string); ok && (strings.Contains(d, "2019-09") || strings.Contains(d, "2020-12")) {
			m.modern[u] = true
		}
	}
	n := m.load(u, "", doc)
	if m.root == nil {
		m.root = n
	}
}

func (m *model) addAlias(id, u string) { m.aliases[id] = u }

// link resolves every $ref of the model, loading the nodes they name,
// so that the model is read-only afterwards (and CanRead safe for
// concurrent use).
func (m *model) link() {
	for linked := map[*node]bool{}; ; {
		var pending []*node
		for _, n := range m.nodes {
			if n.kind == kindRef && !linked[n] {
				pending = append(pending, n)
			}
		}
		if len(pending) == 0 {
			return
		}
		for _, n := range pending {
			linked[n] = true
			n.target = m.resolve(n.ref)
		}
	}
}

// resolve finds the node a $ref names, nil if it is not there.
func (m *model) resolve(ref string) *node {
	docURL, fragment, _ := strings.Cut(ref, "#")
	if a, ok := m.aliases[docURL]; ok {
		docURL = a
	}
	doc, ok := m.docs[docURL]
	if !ok {
		return nil
	}
	fragment, err := url.PathUnescape(fragment)
	if err != nil {
		return nil
	}
	if n, ok := m.nodes[docURL+"#"+fragment]; ok {
		return n
	}
	v, ok := pointer(doc, fragment)
	if !ok {
		return nil
	}
	return m.load(docURL, fragment, v)
}

// deref follows $refs (at most a few levels, since a ref to a ref is
// rare and a ref loop is not a schema).
func (m *model) deref(n *node) *node {
	for i := 0; n != nil && n.kind == kindRef && i < 16; i++ {
		n = n.target
	}
	if n != nil && n.kind == kindRef {
		return nil
	}
	return n
}

// pointer follows a JSON pointer fragment ("/definitions/a") into doc.
func pointer(doc any, fragment string) (any, bool) {
	if fragment == "" {
		return doc, true
	}
	if !strings.HasPrefix(fragment, "/") {
		return nil, false
	}
	v := doc
	for _, tok := range strings.Split(fragment[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := v.(type) {
		case map[string]any:
			next, ok := c[tok]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func escapeToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// load builds the node for v, found at ptr in the document at docURL.
func (m *model) load(docURL, ptr string, v any) *node {
	id := docURL + "#" + ptr
	if n, ok := m.nodes[id]; ok {
		return n
	}
	n := &node{id: id}
	m.nodes[id] = n
	if b, err := json.Marshal(v); err == nil {
		n.text = string(b)
	}
	switch s := v.(type) {
	case bool:
		if !s {
			n.kind = kindFalse
		}
		return n
	case map[string]any:
		n.raw = s
	default:
		// Not a schema: the compiler has refused it already, unless it
		// sits where the compiler does not look; accept everything.
		return n
	}
	if ref, ok := n.raw["$ref"].(string); ok {
		n.kind = kindRef
		n.ref = resolveRef(docURL, ref)
		return n
	}
	parts := m.parts(docURL, ptr, n)
	switch len(parts) {
	case 0:
		n.kind = kindEmpty
	case 1:
		text := n.text
		*n = *parts[0]
		n.id, n.text = id, text
	default:
		n.kind = kindCombined
		n.criterion = "allOf"
		n.subs = parts
	}
	return n
}

func resolveRef(docURL, ref string) string {
	frag := ""
	if i := strings.Index(ref, "#"); i >= 0 {
		frag = ref[i+1:]
	}
	return resolveURL(docURL, ref) + "#" + frag
}

// parts are the schemas a schema object is the conjunction of, as
// Confluent's schema model splits it: its type (a list of types being
// anyOf them), enum, const, not, allOf, anyOf and oneOf.
func (m *model) parts(docURL, ptr string, n *node) []*node {
	var parts []*node
	part := func(k kind, suffix string) *node {
		p := &node{kind: k, id: n.id + suffix, raw: n.raw}
		parts = append(parts, p)
		return p
	}
	types := typesOf(n.raw)
	if len(types) == 1 {
		m.typed(docURL, ptr, part(kindEmpty, ""), types[0])
	} else if len(types) > 1 {
		any := part(kindCombined, "/type")
		any.criterion = "anyOf"
		for _, t := range types {
			sub := &node{id: n.id + "/type/" + t, raw: n.raw}
			m.typed(docURL, ptr, sub, t)
			any.subs = append(any.subs, sub)
		}
	}
	if e, ok := n.raw["enum"].([]any); ok {
		part(kindEnum, "/enum").values = e
	}
	if c, ok := n.raw["const"]; ok {
		part(kindConst, "/const").values = []any{c}
	}
	if not, ok := n.raw["not"]; ok {
		part(kindNot, "/not").subs = []*node{m.load(docURL, ptr+"/not", not)}
	}
	for _, crit := range []string{"allOf", "anyOf", "oneOf"} {
		list, ok := n.raw[crit].([]any)
		if !ok {
			continue
		}
		c := part(kindCombined, "/"+crit)
		c.criterion = crit
		for i, s := range list {
			c.subs = append(c.subs, m.load(docURL, ptr+"/"+crit+"/"+strconv.Itoa(i), s))
		}
	}
	return parts
}

var typeKeywords = []struct {
	typ      string
	keywords []string
}{
	{"object", []string{"properties", "required", "additionalProperties", "patternProperties", "minProperties", "maxProperties", "dependencies", "dependentRequired", "dependentSchemas", "propertyNames"}},
	{"array", []string{"items", "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains"}},
	{"string", []string{"minLength", "maxLength", "pattern", "format"}},
	{"number", []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}},
}

// typesOf is the schema's "type", or the types its keywords imply when it
// has none.
func typesOf(raw map[string]any) []string {
	switch t := raw["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	var out []string
	for _, tk := range typeKeywords {
		for _, k := range tk.keywords {
			if _, ok := raw[k]; ok {
				out = append(out, tk.typ)
				break
			}
		}
	}
	return out
}

// typed makes n the schema of one type, reading that type's keywords.
func (m *model) typed(docURL, ptr string, n *node, typ string) {
	switch typ {
	case "null":
		n.kind = kindNull
	case "boolean":
		n.kind = kindBoolean
	case "string":
		n.kind = kindString
	case "integer":
		n.kind, n.integer = kindNumber, true
	case "number":
		n.kind = kindNumber
	case "object":
		n.kind = kindObject
		n.object = m.objectOf(docURL, ptr, n.raw)
	case "array":
		n.kind = kindArray
		n.array = m.arrayOf(docURL, ptr, n.raw)
	default:
		n.kind = kindEmpty
	}
}

func (m *model) objectOf(docURL, ptr string, raw map[string]any) *objectNode {
	o := &objectNode{
		closedBy:          "additionalProperties",
		properties:        map[string]*node{},
		required:          map[string]bool{},
		permitsAdditional: true,
		propertyDeps:      map[string][]string{},
		schemaDeps:        map[string]*node{},
		minProperties:     numberOf(raw["minProperties"]),
		maxProperties:     numberOf(raw["maxProperties"]),
	}
	if props, ok := raw["properties"].(map[string]any); ok {
		for name, s := range props {
			o.properties[name] = m.load(docURL, ptr+"/properties/"+escapeToken(name), s)
		}
	}
	for _, r := range stringsOf(raw["required"]) {
		o.required[r] = true
	}
	additional, ok := raw["additionalProperties"]
	if _, uok := raw["unevaluatedProperties"]; !ok && uok {
		// Draft 2019-09 and later: unevaluatedProperties closes or
		// constrains the model when additionalProperties does not.
		o.closedBy = "unevaluatedProperties"
		additional = raw[o.closedBy]
	}
	switch a := additional.(type) {
	case bool:
		o.permitsAdditional = a
	case map[string]any:
		o.additional = m.load(docURL, ptr+"/"+o.closedBy, a)
	}
	if pats, ok := raw["patternProperties"].(map[string]any); ok {
		for _, p := range sortedKeys(pats) {
			re, err := regexp.Compile(p)
			if err != nil {
				continue
			}
			o.patterns = append(o.patterns, patternNode{re, m.load(docURL, ptr+"/patternProperties/"+escapeToken(p), pats[p])})
		}
	}
	for _, key := range []string{"dependencies", "dependentRequired", "dependentSchemas"} {
		deps, _ := raw[key].(map[string]any)
		for name, d := range deps {
			if list, ok := d.([]any); ok {
				o.propertyDeps[name] = stringsOf(list)
			} else {
				o.schemaDeps[name] = m.load(docURL, ptr+"/"+key+"/"+escapeToken(name), d)
			}
		}
	}
	return o
}

func (m *model) arrayOf(docURL, ptr string, raw map[string]any) *arrayNode {
	a := &arrayNode{
		permitsAdditionalItems: true,
		minItems:               numberOf(raw["minItems"]),
		maxItems:               numberOf(raw["maxItems"]),
	}
	a.unique, _ = raw["uniqueItems"].(bool)
	if c, ok := raw["contains"]; ok {
		a.contains = m.load(docURL, ptr+"/contains", c)
		a.minContains = numberOf(raw["minContains"])
		if a.minContains == nil {
			a.minContains = big.NewFloat(1) // the default
		}
		a.maxContains = numberOf(raw["maxContains"])
	}
	a.closedBy = "additionalItems"
	tupleKey := "items"
	items, hasItems := raw["items"]
	_, hasPrefix := raw["prefixItems"]
	_, itemsIsBool := items.(bool)
	_, itemsIsList := items.([]any)
	switch {
	case hasPrefix || (m.modern[docURL] && itemsIsBool):
		// Draft 2019-09 and later: prefixItems is the tuple, items what
		// follows it (and a boolean items, alone, opens or closes that).
		a.closedBy, tupleKey = "items", "prefixItems"
	case hasItems && !itemsIsList:
		a.all = m.load(docURL, ptr+"/items", items)
	}
	if list, ok := raw[tupleKey].([]any); ok {
		for i, s := range list {
			a.tuple = append(a.tuple, m.load(docURL, ptr+"/"+tupleKey+"/"+strconv.Itoa(i), s))
		}
	}
	if a.all != nil {
		return a
	}
	// additionalItems counts even without a tuple, as in Confluent's
	// model (where it then constrains nothing, but changing it is still a
	// change).
	additional, ok := raw[a.closedBy]
	if _, uok := raw["unevaluatedItems"]; !ok && uok {
		a.closedBy = "unevaluatedItems"
		additional = raw[a.closedBy]
	}
	switch ad := additional.(type) {
	case bool:
		a.permitsAdditionalItems = ad
	case map[string]any:
		a.additionalItems = m.load(docURL, ptr+"/"+a.closedBy, ad)
	}
	return a
}

func stringsOf(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// numberOf reads a JSON number exactly, nil when v is not one.
func numberOf(v any) *big.Float {
	n, ok := v.(json.Number)
	if !ok {
		return nil
	}
	f, _, err := big.ParseFloat(string(n), 10, 256, big.ToNearestEven)
	if err != nil {
		return nil
	}
	return f
}
