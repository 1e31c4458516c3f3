package config

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ReadProperties reads a Java properties file (java.util.Properties.load):
// '#' and '!' comment lines, "key=value", "key: value" and "key value", a
// trailing odd run of backslashes continues a line, and the escapes \t \n \r
// \f \uXXXX and \<any char> (so \: \= \\ and \<space>). A later key replaces an
// earlier one. Unlike Java, which reads ISO-8859-1, the input is taken as UTF-8.
// Values keep their trailing whitespace, as in Java; Parse trims them as
// Kafka's ConfigDef does.
func ReadProperties(r io.Reader) (map[string]string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read properties: %w", err)
	}
	props := make(map[string]string)
	lines := naturalLines(string(data))
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := strings.TrimLeft(lines[i], whitespace)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for continues(line) {
			line = line[:len(line)-1]
			if i+1 == len(lines) {
				break
			}
			i++
			line += strings.TrimLeft(lines[i], whitespace)
		}
		key, value, err := splitKeyValue(line)
		if err != nil {
			return nil, fmt.Errorf("properties line %d: %w", start, err)
		}
		props[key] = value
	}
	return props, nil
}

// whitespace is what Java's Properties skips around keys and separators.
const whitespace = " \t\f"

// naturalLines splits on \n, \r\n and \r, as Java's LineReader does.
func naturalLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Split(s, "\n")
}

// continues reports whether line ends in an odd number of backslashes.
func continues(line string) bool {
	n := len(line) - len(strings.TrimRight(line, `\`))
	return n%2 == 1
}

// splitKeyValue splits a logical line at the first unescaped '=', ':' or
// whitespace, then skips whitespace and at most one '=' or ':'.
func splitKeyValue(line string) (key, value string, err error) {
	end := len(line)
	for i := 0; i < len(line); i++ {
		if line[i] == '\\' {
			i++
			continue
		}
		if line[i] == '=' || line[i] == ':' || strings.IndexByte(whitespace, line[i]) >= 0 {
			end = i
			break
		}
	}
	rest := strings.TrimLeft(line[end:], whitespace)
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], whitespace)
	}
	if key, err = unescape(line[:end]); err != nil {
		return "", "", err
	}
	if value, err = unescape(rest); err != nil {
		return "", "", err
	}
	return key, value, nil
}

var errMalformedUnicode = errors.New(`malformed \uxxxx encoding`)

// unescape resolves Java properties escapes. A lone trailing backslash
// (a continuation at end of input) is dropped, as Java does.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			break
		}
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", errMalformedUnicode
			}
			r, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", errMalformedUnicode
			}
			i += 4
			if utf16.IsSurrogate(rune(r)) && strings.HasPrefix(s[i+1:], `\u`) && i+7 <= len(s) {
				if low, err := strconv.ParseUint(s[i+3:i+7], 16, 16); err == nil {
					if pair := utf16.DecodeRune(rune(r), rune(low)); pair != utf8.RuneError {
						b.WriteRune(pair)
						i += 6
						continue
					}
				}
			}
			b.WriteRune(rune(r))
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}
