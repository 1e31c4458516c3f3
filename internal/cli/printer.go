package cli

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// printer is the one place the tools write their results. Kafka's tools
// print four shapes and so does this: plain lines (topics --list, a
// consumed value, a perf-test report), tab-joined "Key: value" fields
// (topics --describe), columns aligned under a header (consumer-groups
// --describe), and padded, tab-ended columns (metadata-quorum
// --replication, transactions). Output is buffered; call flush.
//
// A printer is not safe for concurrent use.
type printer struct {
	w *bufio.Writer
}

func newPrinter(w io.Writer) *printer {
	return &printer{w: bufio.NewWriterSize(w, 64<<10)}
}

// line writes s and a newline.
func (p *printer) line(s string) {
	p.w.WriteString(s)
	p.w.WriteByte('\n')
}

// linef writes a formatted line; format carries no trailing newline.
func (p *printer) linef(format string, args ...any) {
	fmt.Fprintf(p.w, format, args...)
	p.w.WriteByte('\n')
}

// raw writes b as is: the console consumer's hot path.
func (p *printer) raw(b []byte) { p.w.Write(b) }

// fields writes "K1: v1\tK2: v2..." from alternating keys and values, with
// a leading tab when indent is set, as kafka-topics --describe does for
// partition lines.
func (p *printer) fields(indent bool, kvs ...string) {
	if indent {
		p.w.WriteByte('\t')
	}
	for i := 0; i+1 < len(kvs); i += 2 {
		if i > 0 {
			p.w.WriteByte('\t')
		}
		p.w.WriteString(kvs[i])
		p.w.WriteString(": ")
		p.w.WriteString(kvs[i+1])
	}
	p.w.WriteByte('\n')
}

// columns writes rows aligned under header, separated by at least two
// spaces.
func (p *printer) columns(header []string, rows [][]string) {
	tw := tabwriter.NewWriter(p.w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// paddedColumns writes header and rows with every cell padded to its
// column's widest and followed by a tab, as Kafka's newer tools print
// tables (ToolsUtils.prettyPrintTable: kafka-metadata-quorum --replication,
// kafka-transactions).
func (p *printer) paddedColumns(header []string, rows [][]string) {
	widths := make([]int, len(header))
	for _, row := range append([][]string{header}, rows...) {
		for i, cell := range row {
			widths[i] = max(widths[i], len(cell))
		}
	}
	for _, row := range append([][]string{header}, rows...) {
		for i, cell := range row {
			p.w.WriteString(cell + strings.Repeat(" ", widths[i]-len(cell)) + "\t")
		}
		p.w.WriteByte('\n')
	}
}

// flush writes buffered output through.
func (p *printer) flush() error { return p.w.Flush() }

// javaTable renders rows as Kafka's tools print tables with Java's printf
// "%-Ns" columns: each cell left-justified to its column's width (0 leaves
// it as is, as a last "%s" does), one space between columns.
func javaTable(widths []int, rows ...[]string) []string {
	lines := make([]string, len(rows))
	for i, row := range rows {
		var b strings.Builder
		for j, cell := range row {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(cell)
			if pad := widths[j] - len(cell); pad > 0 {
				b.WriteString(strings.Repeat(" ", pad))
			}
		}
		lines[i] = b.String()
	}
	return lines
}

// widest is the width Kafka's tools give a column: the widest of its
// values (not its header), and at least least.
func widest(least int, rows [][]string, col int) int {
	for _, r := range rows {
		least = max(least, len(r[col]))
	}
	return least
}
