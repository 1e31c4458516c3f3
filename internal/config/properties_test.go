package config

import (
	"maps"
	"strings"
	"testing"
)

// TestReadProperties proves the Java properties syntax Kafka's files use is read as java.util.Properties reads it.
func TestReadProperties(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  map[string]string
	}{
		{"equals", "a=1\nb = 2\n", map[string]string{"a": "1", "b": "2"}},
		{"colon", "a:1\nb : 2", map[string]string{"a": "1", "b": "2"}},
		{"whitespace separator", "a 1\nb\t\t2", map[string]string{"a": "1", "b": "2"}},
		{"leading whitespace", "   a=1\n\t b=2", map[string]string{"a": "1", "b": "2"}},
		{"comments and blanks", "# c\n! c\n\n   # indented\na=1\n", map[string]string{"a": "1"}},
		{"value keeps separators after the first", "a==b:c", map[string]string{"a": "=b:c"}},
		{"empty value", "a=\nb", map[string]string{"a": "", "b": ""}},
		{"trailing value whitespace kept", "a=1  ", map[string]string{"a": "1  "}},
		{"continuation", "a=x,\\\n    y,\\\n  z\nb=2", map[string]string{"a": "x,y,z", "b": "2"}},
		{"even backslashes do not continue", "a=x\\\\\nb=2", map[string]string{"a": `x\`, "b": "2"}},
		{"continuation at end of input", "a=x\\", map[string]string{"a": "x"}},
		{"comment does not continue", "# c \\\na=1", map[string]string{"a": "1"}},
		{"continued line starting with #", "a=x\\\n#y", map[string]string{"a": "x#y"}},
		{"escaped separators in key", `k\:e\=y\ z=v`, map[string]string{"k:e=y z": "v"}},
		{"escapes in value", `a=\t\n\r\f\\\:\=\q`, map[string]string{"a": "\t\n\r\f\\:=q"}},
		{"unicode escape", `a=caf\u00e9`, map[string]string{"a": "café"}},
		{"surrogate pair", `a=\ud83d\ude00`, map[string]string{"a": "😀"}},
		{"utf-8 input", "a=café", map[string]string{"a": "café"}},
		{"CRLF and CR", "a=1\r\nb=2\rc=3", map[string]string{"a": "1", "b": "2", "c": "3"}},
		{"last key wins", "a=1\na=2", map[string]string{"a": "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadProperties(strings.NewReader(tt.input))
			if err != nil {
				t.Fatalf("ReadProperties: %v", err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestReadPropertiesMalformedUnicode proves a bad \u escape is an error naming the line.
func TestReadPropertiesMalformedUnicode(t *testing.T) {
	for _, input := range []string{`a=\u12`, "x=1\n" + `a=\uzzzz`} {
		_, err := ReadProperties(strings.NewReader(input))
		if err == nil || !strings.Contains(err.Error(), `\uxxxx`) || !strings.Contains(err.Error(), "line") {
			t.Errorf("%q: got %v, want a malformed \\uxxxx error with a line number", input, err)
		}
	}
}
