package storage

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"gregor/internal/vfs"
)

// readCheckpoint parses Kafka's checkpoint text format: a version line "0",
// a count line, then count lines of space-separated fields. A missing file
// yields no lines and no error.
func readCheckpoint(fsys vfs.FS, path string, fields int) ([][]string, error) {
	data, err := vfs.ReadFile(fsys, path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) < 2 || strings.TrimSpace(lines[0]) != "0" {
		return nil, fmt.Errorf("%s: bad checkpoint header", path)
	}
	n, err := strconv.Atoi(strings.TrimSpace(lines[1]))
	if err != nil || n != len(lines)-2 {
		return nil, fmt.Errorf("%s: count %q does not match %d entries", path, lines[1], len(lines)-2)
	}
	out := make([][]string, 0, n)
	for _, line := range lines[2:] {
		f := strings.Fields(line)
		if len(f) != fields {
			return nil, fmt.Errorf("%s: bad line %q", path, line)
		}
		out = append(out, f)
	}
	return out, nil
}

// writeCheckpoint writes Kafka's checkpoint text format atomically.
func writeCheckpoint(fsys vfs.FS, path string, lines []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "0\n%d\n", len(lines))
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return writeFileAtomic(fsys, path, []byte(b.String()))
}
