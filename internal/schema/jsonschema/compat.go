package jsonschema

import (
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"
)

// difference is one incompatible change found by the diff, named as in
// Confluent's JSON Schema Difference types, at a JSON pointer path of the
// schemas ("#/properties/a").
type difference struct {
	typ  string
	path string
}

// descriptions say, for each incompatible difference type, why the
// reader cannot read what the writer wrote. Compatible differences
// (ENUM_ARRAY_EXTENDED, MAX_LENGTH_INCREASED, ...) are not recorded at
// all, since only incompatible ones decide.
var descriptions = map[string]string{
	"TYPE_CHANGED":                   "the type at path '%s' differs between the reader and the writer schema",
	"TYPE_NARROWED":                  "the type at path '%s' in the reader schema is narrower than in the writer schema",
	"SCHEMA_ADDED":                   "the reader schema has a schema at path '%s' that the writer schema lacks",
	"MAX_LENGTH_ADDED":               "the reader schema adds maxLength at path '%s'",
	"MAX_LENGTH_DECREASED":           "maxLength at path '%s' is smaller in the reader schema than in the writer schema",
	"MIN_LENGTH_ADDED":               "the reader schema adds minLength at path '%s'",
	"MIN_LENGTH_INCREASED":           "minLength at path '%s' is larger in the reader schema than in the writer schema",
	"PATTERN_ADDED":                  "the reader schema adds a pattern at path '%s'",
	"PATTERN_CHANGED":                "the pattern at path '%s' differs between the reader and the writer schema",
	"MAXIMUM_ADDED":                  "the reader schema adds maximum at path '%s'",
	"MAXIMUM_DECREASED":              "maximum at path '%s' is smaller in the reader schema than in the writer schema",
	"MINIMUM_ADDED":                  "the reader schema adds minimum at path '%s'",
	"MINIMUM_INCREASED":              "minimum at path '%s' is larger in the reader schema than in the writer schema",
	"EXCLUSIVE_MAXIMUM_ADDED":        "the reader schema adds exclusiveMaximum at path '%s'",
	"EXCLUSIVE_MAXIMUM_DECREASED":    "exclusiveMaximum at path '%s' is smaller in the reader schema than in the writer schema",
	"EXCLUSIVE_MINIMUM_ADDED":        "the reader schema adds exclusiveMinimum at path '%s'",
	"EXCLUSIVE_MINIMUM_INCREASED":    "exclusiveMinimum at path '%s' is larger in the reader schema than in the writer schema",
	"MULTIPLE_OF_ADDED":              "the reader schema adds multipleOf at path '%s'",
	"MULTIPLE_OF_EXPANDED":           "multipleOf at path '%s' in the reader schema is a multiple of the writer schema's",
	"MULTIPLE_OF_CHANGED":            "multipleOf at path '%s' differs between the reader and the writer schema",
	"REQUIRED_ATTRIBUTE_ADDED":       "the property at path '%s' is required by the reader schema but not by the writer schema",
	"MAX_PROPERTIES_ADDED":           "the reader schema adds maxProperties at path '%s'",
	"MAX_PROPERTIES_DECREASED":       "maxProperties at path '%s' is smaller in the reader schema than in the writer schema",
	"MIN_PROPERTIES_ADDED":           "the reader schema adds minProperties at path '%s'",
	"MIN_PROPERTIES_INCREASED":       "minProperties at path '%s' is larger in the reader schema than in the writer schema",
	"ADDITIONAL_PROPERTIES_REMOVED":  "the reader schema forbids additional properties at path '%s' that the writer schema allows",
	"ADDITIONAL_PROPERTIES_NARROWED": "the reader schema constrains additional properties at path '%s' that the writer schema allows freely",
	"DEPENDENCY_ARRAY_ADDED":         "the reader schema adds a property dependency at path '%s'",
	"DEPENDENCY_ARRAY_EXTENDED":      "the property dependency at path '%s' names more properties in the reader schema than in the writer schema",
	"DEPENDENCY_ARRAY_CHANGED":       "the property dependency at path '%s' differs between the reader and the writer schema",
	"DEPENDENCY_SCHEMA_ADDED":        "the reader schema adds a schema dependency at path '%s'",
	"OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": "the reader schema has a property at path '%s' that the writer schema, " +
		"whose content model is open, lacks: the writer may have written any value under that name",
	"REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": "the reader schema requires a property at path '%s' that the writer schema, " +
		"whose content model is open, lacks: the writer may have written any value under that name, or none",
	"REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL": "the reader schema has a property with a default at path '%s' " +
		"that the writer schema, whose content model is open, lacks: the writer may have written any value under that name",
	"UNEVALUATED_PROPERTIES_REMOVED":                  "the reader schema forbids unevaluated properties at path '%s' that the writer schema allows",
	"UNEVALUATED_PROPERTIES_NARROWED":                 "the reader schema constrains unevaluated properties at path '%s' that the writer schema allows freely",
	"UNEVALUATED_ITEMS_REMOVED":                       "the reader schema forbids unevaluated items at path '%s' that the writer schema allows",
	"UNEVALUATED_ITEMS_NARROWED":                      "the reader schema constrains unevaluated items at path '%s' that the writer schema allows freely",
	"REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL": "the reader schema requires a property at path '%s' that the writer schema lacks",
	"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL": "the reader schema, whose content model is closed, lacks a property at path '%s' " +
		"that the writer schema has",
	"PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "the reader schema has a property at path '%s' whose schema " +
		"does not accept what the writer schema's partially open content model allowed under that name",
	"PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "the reader schema lacks a property at path '%s' that the writer " +
		"schema has, and its partially open content model does not accept that property's values",
	"MAX_ITEMS_ADDED":                  "the reader schema adds maxItems at path '%s'",
	"MAX_ITEMS_DECREASED":              "maxItems at path '%s' is smaller in the reader schema than in the writer schema",
	"MIN_ITEMS_ADDED":                  "the reader schema adds minItems at path '%s'",
	"MIN_ITEMS_INCREASED":              "minItems at path '%s' is larger in the reader schema than in the writer schema",
	"UNIQUE_ITEMS_ADDED":               "the reader schema requires unique items at path '%s'",
	"MIN_CONTAINS_ADDED":               "the reader schema adds minContains at path '%s'",
	"MIN_CONTAINS_INCREASED":           "minContains at path '%s' is larger in the reader schema than in the writer schema",
	"MAX_CONTAINS_ADDED":               "the reader schema adds maxContains at path '%s'",
	"MAX_CONTAINS_DECREASED":           "maxContains at path '%s' is smaller in the reader schema than in the writer schema",
	"ADDITIONAL_ITEMS_REMOVED":         "the reader schema forbids additional items at path '%s' that the writer schema allows",
	"ADDITIONAL_ITEMS_NARROWED":        "the reader schema constrains additional items at path '%s' that the writer schema allows freely",
	"ITEM_ADDED_TO_OPEN_CONTENT_MODEL": "the reader schema has a tuple item at path '%s' that the writer schema, whose items are open, lacks",
	"ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL": "the reader schema, whose items are closed, lacks a tuple item at path '%s' " +
		"that the writer schema has",
	"ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "the reader schema has a tuple item at path '%s' whose schema " +
		"does not accept what the writer schema's additional items allowed",
	"ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "the reader schema lacks a tuple item at path '%s' that the writer " +
		"schema has, and its additional items do not accept that item's values",
	"ENUM_ARRAY_NARROWED":              "the enum at path '%s' in the reader schema lacks values of the writer schema's",
	"ENUM_ARRAY_CHANGED":               "the enum or const at path '%s' differs between the reader and the writer schema",
	"COMBINED_TYPE_CHANGED":            "the combination (allOf, anyOf, oneOf) at path '%s' differs between the reader and the writer schema",
	"PRODUCT_TYPE_EXTENDED":            "the allOf at path '%s' has more subschemas in the reader schema than in the writer schema",
	"SUM_TYPE_NARROWED":                "the anyOf or oneOf at path '%s' has fewer subschemas in the reader schema than in the writer schema",
	"COMBINED_TYPE_SUBSCHEMAS_CHANGED": "the subschemas of the combination at path '%s' cannot all be matched between the reader and the writer schema",
	"NOT_TYPE_EXTENDED":                "the not at path '%s' in the reader schema excludes values the writer schema's allows",
	"SCHEMA_TOO_COMPLEX":               "the schemas are too complex to compare (at path '%s'): refused rather than assumed compatible",
}

// message renders d as Confluent's registry does an incompatibility.
func (d difference) message() string {
	return fmt.Sprintf("{errorType:'%s', description:'%s'}", d.typ, fmt.Sprintf(descriptions[d.typ], d.path))
}

// canRead diffs writer (Confluent's "original") against reader (its
// "update") and renders every incompatible difference.
func canRead(writer, reader *model) []string {
	d := newDiffer(writer, reader)
	d.compare(writer.root, reader.root)
	if *d.budget <= 0 {
		d.path = nil
		d.add("SCHEMA_TOO_COMPLEX")
	}
	var out []string
	seen := map[string]bool{}
	for _, diff := range d.diffs {
		m := diff.message()
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

// differ walks a writer and a reader tree side by side. It is used by one
// goroutine for one comparison.
type differ struct {
	writer, reader *model
	path           []string
	diffs          []difference
	// active are the node pairs being compared, so that a recursive
	// schema ($ref to an ancestor) is compared once.
	active map[[2]string]bool
	// pairs caches whether a pair of nodes is compatible, so that nested
	// combinations cost the product of their sizes, not an exponential.
	pairs map[[2]string]bool
	// budget counts the comparisons left; a pair of schemas that needs
	// more is refused as too complex rather than compared for minutes.
	budget *int
}

// maxComparisons bounds the work of one CanRead.
const maxComparisons = 200_000

func newDiffer(writer, reader *model) *differ {
	budget := maxComparisons
	return &differ{writer: writer, reader: reader, active: map[[2]string]bool{}, pairs: map[[2]string]bool{}, budget: &budget}
}

func (d *differ) add(typ string) {
	d.diffs = append(d.diffs, difference{typ: typ, path: "#/" + strings.Join(d.path, "/")})
}

func (d *differ) addAt(keyword, typ string) {
	d.push(keyword)
	d.add(typ)
	d.pop()
}

func (d *differ) push(p ...string) { d.path = append(d.path, p...) }
func (d *differ) pop()             { d.path = d.path[:len(d.path)-1] }

// compatible reports whether w and r compare without an incompatible
// difference, returning the differences so that a caller can keep them.
func (d *differ) compatible(w, r *node) ([]difference, bool) {
	saved := d.diffs
	d.diffs = nil
	d.compare(w, r)
	found := d.diffs
	d.diffs = saved
	return found, len(found) == 0 && *d.budget > 0
}

// pairCompatible is compatible without the differences, cached.
func (d *differ) pairCompatible(w, r *node) bool {
	key := [2]string{w.id, r.id}
	if ok, cached := d.pairs[key]; cached {
		return ok
	}
	_, ok := d.compatible(w, r)
	d.pairs[key] = ok
	return ok
}

func (d *differ) compare(w, r *node) {
	switch {
	case w == nil && r == nil:
		return
	case w == nil:
		d.add("SCHEMA_ADDED")
		return
	case r == nil:
		return // SCHEMA_REMOVED: compatible
	}
	if *d.budget <= 0 {
		return
	}
	*d.budget--
	w, r = d.writer.deref(w), d.reader.deref(r)
	if w == nil || r == nil {
		return // a dangling $ref: the compiler refused it already
	}
	if w.text != "" && w.text == r.text && !strings.Contains(w.text, `"$ref"`) {
		return
	}
	key := [2]string{w.id, r.id}
	if d.active[key] {
		return
	}
	d.active[key] = true
	defer delete(d.active, key)
	if d.compareAcrossCombination(w, r) {
		return
	}
	if w.kind != r.kind {
		if w.kind != kindFalse && r.kind != kindEmpty {
			d.add("TYPE_CHANGED")
		}
		return
	}
	switch w.kind {
	case kindString:
		d.compareString(w.raw, r.raw)
	case kindNumber:
		d.compareNumber(w, r)
	case kindConst:
		if !jsonEqual(w.values[0], r.values[0]) {
			d.addAt("const", "ENUM_ARRAY_CHANGED")
		}
	case kindEnum:
		d.compareEnum(w.values, r.values)
	case kindNot:
		d.compareNot(w.subs[0], r.subs[0])
	case kindCombined:
		d.compareCombined(w, r)
	case kindObject:
		d.compareObject(w.object, r.object)
	case kindArray:
		d.compareArray(w.array, r.array)
	}
}

// compareAcrossCombination handles a combination on one side only: the
// reader's anyOf/oneOf reads the writer if one of its branches does, and
// the writer's allOf is read if one of its parts is (the others only
// narrowed what was written). A single subschema stands for itself.
func (d *differ) compareAcrossCombination(w, r *node) bool {
	switch {
	case r.kind == kindCombined && w.kind != kindCombined:
		if len(r.subs) != 1 && r.criterion == "allOf" {
			return false
		}
		for _, sub := range r.subs {
			if found, ok := d.compatible(w, sub); ok {
				d.diffs = append(d.diffs, found...)
				return true
			}
		}
	case w.kind == kindCombined && r.kind != kindCombined:
		if len(w.subs) != 1 && w.criterion != "allOf" {
			return false
		}
		for _, sub := range w.subs {
			if found, ok := d.compatible(sub, r); ok {
				d.diffs = append(d.diffs, found...)
				return true
			}
		}
	}
	return false
}

// bound compares an optional numeric keyword. tighterWhenLarger is true
// for minimums (a larger one rejects more).
func (d *differ) bound(keyword string, w, r *big.Float, prefix string, tighterWhenLarger bool) {
	switch {
	case w == nil && r == nil:
	case w == nil:
		d.addAt(keyword, prefix+"_ADDED")
	case r == nil:
		// _REMOVED relaxes the reader.
	default:
		c := r.Cmp(w)
		if tighterWhenLarger && c > 0 {
			d.addAt(keyword, prefix+"_INCREASED")
		} else if !tighterWhenLarger && c < 0 {
			d.addAt(keyword, prefix+"_DECREASED")
		}
	}
}

func (d *differ) compareString(w, r map[string]any) {
	d.bound("maxLength", numberOf(w["maxLength"]), numberOf(r["maxLength"]), "MAX_LENGTH", false)
	d.bound("minLength", numberOf(w["minLength"]), numberOf(r["minLength"]), "MIN_LENGTH", true)
	wp, wok := w["pattern"].(string)
	rp, rok := r["pattern"].(string)
	switch {
	case !wok && rok:
		d.addAt("pattern", "PATTERN_ADDED")
	case wok && rok && wp != rp:
		d.addAt("pattern", "PATTERN_CHANGED")
	}
}

func (d *differ) compareNumber(w, r *node) {
	d.bound("maximum", numberOf(w.raw["maximum"]), numberOf(r.raw["maximum"]), "MAXIMUM", false)
	d.bound("minimum", numberOf(w.raw["minimum"]), numberOf(r.raw["minimum"]), "MINIMUM", true)
	d.bound("exclusiveMaximum", numberOf(w.raw["exclusiveMaximum"]), numberOf(r.raw["exclusiveMaximum"]), "EXCLUSIVE_MAXIMUM", false)
	d.bound("exclusiveMinimum", numberOf(w.raw["exclusiveMinimum"]), numberOf(r.raw["exclusiveMinimum"]), "EXCLUSIVE_MINIMUM", true)
	d.compareMultipleOf(numberOf(w.raw["multipleOf"]), numberOf(r.raw["multipleOf"]))
	if !w.integer && r.integer {
		d.add("TYPE_NARROWED")
	}
}

// compareMultipleOf: the reader's multipleOf must divide the writer's
// (every multiple of 4 is a multiple of 2, not the other way round).
func (d *differ) compareMultipleOf(w, r *big.Float) {
	switch {
	case r == nil:
	case w == nil:
		d.addAt("multipleOf", "MULTIPLE_OF_ADDED")
	case w.Cmp(r) == 0:
	case divides(r, w):
		// MULTIPLE_OF_REDUCED: compatible.
	case divides(w, r):
		d.addAt("multipleOf", "MULTIPLE_OF_EXPANDED")
	default:
		d.addAt("multipleOf", "MULTIPLE_OF_CHANGED")
	}
}

// divides reports whether b / a is a whole number.
func divides(a, b *big.Float) bool {
	if a.Sign() == 0 {
		return false
	}
	q := new(big.Float).SetPrec(256).Quo(b, a)
	return q.IsInt()
}

func (d *differ) compareEnum(w, r []any) {
	wInR, rInW := containsAll(r, w), containsAll(w, r)
	switch {
	case wInR && rInW:
	case wInR:
		// ENUM_ARRAY_EXTENDED: compatible.
	case rInW:
		d.addAt("enum", "ENUM_ARRAY_NARROWED")
	default:
		d.addAt("enum", "ENUM_ARRAY_CHANGED")
	}
}

// containsAll reports whether every value of sub is in set.
func containsAll(set, sub []any) bool {
	for _, v := range sub {
		found := false
		for _, s := range set {
			if jsonEqual(s, v) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func jsonEqual(a, b any) bool { return reflect.DeepEqual(a, b) }

// compareNot: "not" turns the direction round: the reader's excluded
// schema must accept at least what the writer's excluded.
func (d *differ) compareNot(w, r *node) {
	d.push("not")
	defer d.pop()
	inverse := &differ{writer: d.reader, reader: d.writer, path: d.path, active: map[[2]string]bool{}, pairs: map[[2]string]bool{}, budget: d.budget}
	inverse.compare(r, w)

	if len(inverse.diffs) > 0 {
		d.add("NOT_TYPE_EXTENDED")
	}
}

func (d *differ) compareCombined(w, r *node) {
	if w.criterion != r.criterion && !combinationExtended(w, r) {
		d.add("COMBINED_TYPE_CHANGED")
		return
	}
	wSubs, rSubs := distinct(w.subs), distinct(r.subs)
	switch {
	case len(wSubs) < len(rSubs) && r.criterion == "allOf":
		d.add("PRODUCT_TYPE_EXTENDED")
	case len(wSubs) > len(rSubs) && w.criterion != "allOf":
		d.add("SUM_TYPE_NARROWED")
	}
	edges := make([][]int, len(wSubs))
	for i, ws := range wSubs {
		d.push(w.criterion, strconv.Itoa(i))
		for j, rs := range rSubs {
			if d.pairCompatible(ws, rs) {
				edges[i] = append(edges[i], j)
			}
		}
		d.path = d.path[:len(d.path)-2]
	}
	if maxMatching(edges, len(rSubs)) < min(len(wSubs), len(rSubs)) {
		d.add("COMBINED_TYPE_SUBSCHEMAS_CHANGED")
	}
}

// distinct drops repeated subschemas (equal text), which add nothing to
// a combination.
func distinct(subs []*node) []*node {
	seen := map[string]bool{}
	var out []*node
	for _, s := range subs {
		if s.text != "" && seen[s.text] {
			continue
		}
		seen[s.text] = true
		out = append(out, s)
	}
	return out
}

// combinationExtended reports whether changing w's criterion to r's
// accepts at least as much: anything to anyOf, allOf to oneOf... when one
// side has a single subschema (which makes the criterion moot).
func combinationExtended(w, r *node) bool {
	return r.criterion == "anyOf" ||
		(len(w.subs) == 1 && len(r.subs) == 1) ||
		(len(w.subs) == 1 && r.criterion == "oneOf") ||
		(len(r.subs) == 1 && w.criterion == "allOf")
}

// maxMatching is the size of a maximum matching of the bipartite graph
// edges (left i to right j), by augmenting paths.
func maxMatching(edges [][]int, right int) int {
	owner := make([]int, right)
	for i := range owner {
		owner[i] = -1
	}
	var augment func(l int, seen []bool) bool
	augment = func(l int, seen []bool) bool {
		for _, r := range edges[l] {
			if seen[r] {
				continue
			}
			seen[r] = true
			if owner[r] < 0 || augment(owner[r], seen) {
				owner[r] = l
				return true
			}
		}
		return false
	}
	n := 0
	for l := range edges {
		if augment(l, make([]bool, right)) {
			n++
		}
	}
	return n
}

// isOpen reports whether an object accepts any property it does not name.
func (o *objectNode) isOpen() bool {
	return o.permitsAdditional && o.additional == nil && len(o.patterns) == 0
}

// partial is the schema a partially open object gives an unnamed
// property: the first matching patternProperties, else its
// additionalProperties schema.
func (o *objectNode) partial(name string) *node {
	for _, p := range o.patterns {
		if p.re.MatchString(name) {
			return p.schema
		}
	}
	return o.additional
}

func (d *differ) compareObject(w, r *objectNode) {
	d.compareRequired(w, r)
	d.push("properties")
	for _, name := range sortedKeys(union(w.properties, r.properties)) {
		d.push(escapeToken(name))
		d.compareProperty(w, r, name)
		d.pop()
	}
	d.pop()
	d.compareDependencies(w, r)
	keyword, prefix := "additionalProperties", "ADDITIONAL_PROPERTIES"
	if w.closedBy == "unevaluatedProperties" || r.closedBy == "unevaluatedProperties" {
		keyword, prefix = "unevaluatedProperties", "UNEVALUATED_PROPERTIES"
	}
	d.push(keyword)
	switch {
	case w.permitsAdditional && !r.permitsAdditional:
		d.add(prefix + "_REMOVED")
	case w.permitsAdditional != r.permitsAdditional:
		// _ADDED: compatible.
	case w.additional == nil && r.additional != nil:
		d.add(prefix + "_NARROWED")
	case w.additional != nil && r.additional == nil:
		// _EXTENDED: compatible.
	default:
		d.compare(w.additional, r.additional)
	}
	d.pop()
	d.bound("maxProperties", w.maxProperties, r.maxProperties, "MAX_PROPERTIES", false)
	d.bound("minProperties", w.minProperties, r.minProperties, "MIN_PROPERTIES", true)
}

// compareRequired checks the properties both sides declare.
func (d *differ) compareRequired(w, r *objectNode) {
	d.push("required")
	defer d.pop()
	for _, name := range sortedKeys(w.properties) {
		rp, ok := r.properties[name]
		if !ok || w.required[name] || !r.required[name] {
			continue
		}
		if !d.hasDefault(rp) {
			d.addAt(escapeToken(name), "REQUIRED_ATTRIBUTE_ADDED")
		}
	}
}

func (d *differ) hasDefault(n *node) bool {
	if _, ok := n.raw["default"]; ok {
		return true
	}
	t := d.reader.deref(n)
	if t == nil {
		return false
	}
	_, ok := t.raw["default"]
	return ok
}

func (d *differ) compareProperty(w, r *objectNode, name string) {
	wp, inW := w.properties[name]
	rp, inR := r.properties[name]
	switch {
	case inW && inR:
		d.compare(wp, rp)
	case inW:
		d.propertyRemoved(wp, r, name)
	case inR:
		d.propertyAdded(w, rp, r.required[name])
	}
}

// propertyRemoved: the writer wrote the property; the reader must accept
// it as an unnamed one.
func (d *differ) propertyRemoved(wp *node, r *objectNode, name string) {
	switch {
	case r.isOpen():
		// PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL: compatible.
	case r.partial(name) != nil:
		if found, ok := d.compatible(wp, r.partial(name)); !ok {
			d.diffs = append(d.diffs, found...)
			d.add("PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
		}
	case d.isFalse(d.writer, wp):
		// PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL: compatible.
	default:
		d.add("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL")
	}
}

// propertyAdded: the writer may have written the property as an unnamed
// one; the reader's schema for it must accept that.
func (d *differ) propertyAdded(w *objectNode, rp *node, required bool) {
	name := d.path[len(d.path)-1]
	if w.isOpen() {
		switch {
		case d.isEmpty(d.reader, rp):
			// PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL: compatible.
		case required && d.hasDefault(rp):
			d.add("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL")
		case required:
			d.add("REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
		default:
			d.add("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
		}
		return
	}
	if p := w.partial(unescapeToken(name)); p != nil {
		if found, ok := d.compatible(p, rp); !ok {
			d.diffs = append(d.diffs, found...)
			d.add("PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
		}
	}
	if required && !d.hasDefault(rp) {
		d.add("REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")
	}
}

func unescapeToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

func (d *differ) isFalse(m *model, n *node) bool {
	t := m.deref(n)
	return t != nil && t.kind == kindFalse
}

func (d *differ) isEmpty(m *model, n *node) bool {
	t := m.deref(n)
	return t != nil && t.kind == kindEmpty
}

func (d *differ) compareDependencies(w, r *objectNode) {
	d.push("dependencies")
	defer d.pop()
	for _, name := range sortedKeys(union(w.propertyDeps, r.propertyDeps)) {
		wd, inW := w.propertyDeps[name]
		rd, inR := r.propertyDeps[name]
		d.push(escapeToken(name))
		switch {
		case !inW && inR:
			d.add("DEPENDENCY_ARRAY_ADDED")
		case inW && inR:
			d.compareDependencyArray(wd, rd)
		}
		d.pop()
	}
	for _, name := range sortedKeys(union(w.schemaDeps, r.schemaDeps)) {
		wd, inW := w.schemaDeps[name]
		rd, inR := r.schemaDeps[name]
		d.push(escapeToken(name))
		switch {
		case !inW && inR:
			d.add("DEPENDENCY_SCHEMA_ADDED")
		case inW && inR:
			d.compare(wd, rd)
		}
		d.pop()
	}
}

func (d *differ) compareDependencyArray(w, r []string) {
	wInR, rInW := subset(w, r), subset(r, w)
	switch {
	case wInR && rInW:
	case wInR:
		d.add("DEPENDENCY_ARRAY_EXTENDED")
	case rInW:
		// DEPENDENCY_ARRAY_NARROWED: compatible.
	default:
		d.add("DEPENDENCY_ARRAY_CHANGED")
	}
}

func subset(sub, set []string) bool {
	for _, s := range sub {
		found := false
		for _, t := range set {
			found = found || s == t
		}
		if !found {
			return false
		}
	}
	return true
}

func union[V any](a, b map[string]V) map[string]bool {
	u := make(map[string]bool, len(a)+len(b))
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

func (d *differ) compareArray(w, r *arrayNode) {
	d.push("items")
	d.compare(w.all, r.all)
	d.pop()
	common := min(len(w.tuple), len(r.tuple))
	for i := 0; i < max(len(w.tuple), len(r.tuple)); i++ {
		d.push("items", strconv.Itoa(i))
		switch {
		case i < common:
			d.compare(w.tuple[i], r.tuple[i])
		case i < len(w.tuple):
			d.itemRemoved(w.tuple[i], r)
		default:
			d.itemAdded(w, r.tuple[i])
		}
		d.path = d.path[:len(d.path)-2]
	}
	keyword, prefix := "additionalItems", "ADDITIONAL_ITEMS"
	if w.closedBy == "unevaluatedItems" || r.closedBy == "unevaluatedItems" {
		keyword, prefix = "unevaluatedItems", "UNEVALUATED_ITEMS"
	}
	d.push(keyword)
	switch {
	case w.permitsAdditionalItems && !r.permitsAdditionalItems:
		d.add(prefix + "_REMOVED")
	case w.permitsAdditionalItems != r.permitsAdditionalItems:
	case w.additionalItems == nil && r.additionalItems != nil:
		d.add(prefix + "_NARROWED")
	case w.additionalItems != nil && r.additionalItems == nil:
	default:
		d.compare(w.additionalItems, r.additionalItems)
	}
	d.pop()
	d.bound("maxItems", w.maxItems, r.maxItems, "MAX_ITEMS", false)
	d.bound("minItems", w.minItems, r.minItems, "MIN_ITEMS", true)
	if !w.unique && r.unique {
		d.addAt("uniqueItems", "UNIQUE_ITEMS_ADDED")
	}
	d.push("contains")
	d.compare(w.contains, r.contains)
	d.pop()
	d.bound("minContains", w.minContains, r.minContains, "MIN_CONTAINS", true)
	d.bound("maxContains", w.maxContains, r.maxContains, "MAX_CONTAINS", false)
}

func (a *arrayNode) isOpen() bool { return a.permitsAdditionalItems && a.additionalItems == nil }

func (d *differ) itemRemoved(wi *node, r *arrayNode) {
	switch {
	case r.isOpen():
	case r.additionalItems != nil:
		if found, ok := d.compatible(wi, r.additionalItems); !ok {
			d.diffs = append(d.diffs, found...)
			d.add("ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
		}
	case d.isFalse(d.writer, wi):
	default:
		d.add("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL")
	}
}

func (d *differ) itemAdded(w *arrayNode, ri *node) {
	switch {
	case w.isOpen():
		if !d.isEmpty(d.reader, ri) {
			d.add("ITEM_ADDED_TO_OPEN_CONTENT_MODEL")
		}
	case w.additionalItems != nil:
		if found, ok := d.compatible(w.additionalItems, ri); !ok {
			d.diffs = append(d.diffs, found...)
			d.add("ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
		}
	}
}
