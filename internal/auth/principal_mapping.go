package auth

// ssl.principal.mapping.rules, as Kafka's SslPrincipalMapper reads them: a
// list of rules tried in order on the client certificate's distinguished
// name (RFC 2253, most specific part first), the first that matches naming
// the principal:
//
//	RULE:pattern/replacement/     the whole name must match pattern; it is
//	RULE:pattern/replacement/L    replaced as Java's String.replaceAll does
//	RULE:pattern/replacement/U    ($1 for a group), then lower- or upper-cased
//	DEFAULT                       the distinguished name as it is
//
// Rules are separated by commas (a comma inside a pattern or replacement
// belongs to it); "/" and "\" inside them are escaped with "\". A name no
// rule matches fails the connection, as in Kafka. Differences from Kafka:
// patterns are Go (RE2) regular expressions, without Java's lookaround and
// backreferences; an empty match right after a match is not replaced again
// (Java replaces it: "(.*)" on "a" with "$1x" gives "ax", Java "axx").

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ErrNoMatchingRule is a distinguished name no mapping rule applies to.
var ErrNoMatchingRule = errors.New("no ssl.principal.mapping.rules rule applies")

// PrincipalMapper maps certificate distinguished names to principal names.
// Immutable; safe for concurrent use.
type PrincipalMapper struct{ rules []mappingRule }

type mappingRule struct {
	isDefault   bool
	pattern     *regexp.Regexp // unanchored, as replaceAll applies it
	whole       *regexp.Regexp // anchored, as Matcher.matches applies it
	replacement string         // in Go's template syntax
	lower       bool
	upper       bool
	text        string
}

// A rule, as Kafka's RULE_PATTERN: DEFAULT, or RULE:pattern/replacement/
// with an optional L or U, where pattern and replacement are runs of
// escaped characters or characters other than "\" and "/".
// An empty rule (two commas in a row) is ignored, as in Kafka.
var ruleSyntax = regexp.MustCompile(`^\s*(?:(DEFAULT)|RULE:((?:\\.|[^\\/])*)/((?:\\.|[^\\/])*)/([LU]?))?\s*(?:,|$)`)

// ParsePrincipalMappingRules parses ssl.principal.mapping.rules. An empty
// value has no rule, so that no certificate names a principal, as in Kafka
// (the key's default is DEFAULT).
func ParsePrincipalMappingRules(s string) (*PrincipalMapper, error) {
	m := &PrincipalMapper{}
	for rest := s; strings.TrimSpace(rest) != ""; {
		g := ruleSyntax.FindStringSubmatchIndex(rest)
		if g == nil {
			return nil, fmt.Errorf("ssl.principal.mapping.rules: invalid rule: %s", strings.TrimSpace(strings.SplitN(rest, ",", 2)[0]))
		}
		if g[2] >= 0 || g[4] >= 0 {
			r, err := newMappingRule(rest, g)
			if err != nil {
				return nil, err
			}
			m.rules = append(m.rules, r)
		}
		rest = rest[g[1]:]
	}
	return m, nil
}

func newMappingRule(s string, g []int) (mappingRule, error) {
	text := strings.TrimSuffix(strings.TrimSpace(s[g[0]:g[1]]), ",")
	if g[2] >= 0 {
		return mappingRule{isDefault: true, text: text}, nil
	}
	pattern, replacement, flag := s[g[4]:g[5]], s[g[6]:g[7]], s[g[8]:g[9]]
	re, err := regexp.Compile(pattern)
	if err != nil {
		return mappingRule{}, fmt.Errorf("ssl.principal.mapping.rules: rule %s: %w", text, err)
	}
	whole := regexp.MustCompile(`^(?:` + pattern + `)$`)
	return mappingRule{pattern: re, whole: whole, replacement: goReplacement(replacement, re.NumSubexp()),
		lower: flag == "L", upper: flag == "U", text: text}, nil
}

// goReplacement turns a Java replacement ($n a group, \c the character c)
// into Go's template ($$ a dollar, ${n} a group). A reference to a group
// the pattern does not have stays literal, as Kafka escapes it.
func goReplacement(java string, groups int) string {
	var b strings.Builder
	for i := 0; i < len(java); i++ {
		c := java[i]
		switch {
		case c == '\\' && i+1 < len(java):
			i++
			if java[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(java[i])
			}
		case c == '$':
			j := i + 1
			for j < len(java) && java[j] >= '0' && java[j] <= '9' {
				j++
			}
			n, err := strconv.Atoi(java[i+1 : j])
			if err != nil || n > groups {
				b.WriteString("$$")
				continue
			}
			b.WriteString("${" + java[i+1:j] + "}")
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Name returns the principal name of distinguished name dn: the result of
// the first rule that matches, or ErrNoMatchingRule.
func (m *PrincipalMapper) Name(dn string) (string, error) {
	for _, r := range m.rules {
		if name, ok := r.apply(dn); ok {
			return name, nil
		}
	}
	return "", fmt.Errorf("%w to %s", ErrNoMatchingRule, dn)
}

func (r mappingRule) apply(dn string) (string, bool) {
	if r.isDefault {
		return dn, true
	}
	if !r.whole.MatchString(dn) {
		return "", false
	}
	name := r.pattern.ReplaceAllString(dn, r.replacement)
	switch {
	case r.lower:
		name = strings.ToLower(name)
	case r.upper:
		name = strings.ToUpper(name)
	}
	return name, true
}

// String returns the rules as given.
func (m *PrincipalMapper) String() string {
	texts := make([]string, len(m.rules))
	for i, r := range m.rules {
		texts[i] = r.text
	}
	return strings.Join(texts, ",")
}
