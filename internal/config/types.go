package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Kafka's ConfigDef types, as DescribeConfigs reports them.
const (
	typeBoolean  = "BOOLEAN"
	typeString   = "STRING"
	typeInt      = "INT"
	typeShort    = "SHORT"
	typeLong     = "LONG"
	typeDouble   = "DOUBLE"
	typeList     = "LIST"
	typeClass    = "CLASS"
	typePassword = "PASSWORD"
)

// Java's Integer.MAX_VALUE and Long.MAX_VALUE as Kafka prints them.
const (
	maxInt  = "2147483647"
	maxLong = "9223372036854775807"
)

// checker inspects a value already known to be of its key's type and returns
// a one-line problem, or "" when the value is acceptable.
type checker func(value string) string

// checkType returns the problem with value as a typ, or "".
func checkType(typ, value string) string {
	switch typ {
	case typeBoolean:
		if !strings.EqualFold(value, "true") && !strings.EqualFold(value, "false") {
			return "not a boolean (expected true or false)"
		}
	case typeInt:
		if _, err := strconv.ParseInt(value, 10, 32); err != nil {
			return "not an integer" + rangeHint(err, "32-bit")
		}
	case typeShort:
		if _, err := strconv.ParseInt(value, 10, 16); err != nil {
			return "not an integer" + rangeHint(err, "16-bit")
		}
	case typeLong:
		if _, err := strconv.ParseInt(value, 10, 64); err != nil {
			return "not an integer" + rangeHint(err, "64-bit")
		}
	case typeDouble:
		if _, err := strconv.ParseFloat(value, 64); err != nil {
			return "not a number"
		}
	}
	return ""
}

func rangeHint(err error, width string) string {
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return " in the " + width + " range"
	}
	return ""
}

// atLeast accepts integers >= min.
func atLeast(min int64) checker {
	return func(v string) string {
		if n, _ := strconv.ParseInt(v, 10, 64); n < min {
			return fmt.Sprintf("must be at least %d", min)
		}
		return ""
	}
}

// shortRange accepts integers from min up to Java's Short.MAX_VALUE, for INT
// keys that we store as int16.
func shortRange(min int64) checker {
	return func(v string) string {
		if n, _ := strconv.ParseInt(v, 10, 64); n < min || n > math.MaxInt16 {
			return fmt.Sprintf("must be between %d and %d", min, math.MaxInt16)
		}
		return ""
	}
}

// intBetween accepts integers in [lo, hi], with the messages of Kafka's
// ConfigDef.Range.
func intBetween(lo, hi int64) checker {
	return func(v string) string {
		switch n, _ := strconv.ParseInt(v, 10, 64); {
		case n < lo:
			return fmt.Sprintf("Value must be at least %d", lo)
		case n > hi:
			return fmt.Sprintf("Value must be no more than %d", hi)
		}
		return ""
	}
}

// gzipLevel accepts Kafka's gzip levels: 1 to 9, or -1 (the default).
func gzipLevel(v string) string {
	if n, _ := strconv.ParseInt(v, 10, 64); n != -1 && (n < 1 || n > 9) {
		return "Value must be between 1 and 9 or equal to -1"
	}
	return ""
}

// between accepts numbers (integer or decimal) in [lo, hi].
func between(lo, hi float64) checker {
	return func(v string) string {
		if f, _ := strconv.ParseFloat(v, 64); f < lo || f > hi {
			return fmt.Sprintf("must be between %g and %g", lo, hi)
		}
		return ""
	}
}

// oneOf accepts exactly one of the given strings.
func oneOf(allowed ...string) checker {
	return func(v string) string {
		for _, a := range allowed {
			if v == a {
				return ""
			}
		}
		return "must be one of: " + strings.Join(allowed, ", ")
	}
}

// listOf accepts a non-empty comma-separated list whose items are among allowed.
func listOf(allowed ...string) checker {
	item := oneOf(allowed...)
	return func(v string) string {
		items := splitList(v)
		if len(items) == 0 {
			return "must be a non-empty list of: " + strings.Join(allowed, ", ")
		}
		for _, it := range items {
			if p := item(it); p != "" {
				return fmt.Sprintf("item %q %s", it, p)
			}
		}
		return ""
	}
}

// splitList splits a Kafka LIST value at commas, trimming items and dropping
// empty ones.
func splitList(v string) []string {
	var out []string
	for _, it := range strings.Split(v, ",") {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

// problem returns what is wrong with value for a key of type typ with the
// optional extra check, or "".
func problem(typ string, check checker, value string) string {
	if p := checkType(typ, value); p != "" {
		return p
	}
	if check != nil {
		return check(value)
	}
	return ""
}
