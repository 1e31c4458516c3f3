package report

import (
	"bytes"
	"strings"
	"testing"
)

// TestTable checks the printed tables for a small result set: the limits
// first, a column per broker in the order asked, the median of each
// metric and the subject/reference ratio, and "–" where a broker has no
// result.
func TestTable(t *testing.T) {
	var c Collector
	c.Add(Machine, "loopback TCP", 2.4, "GB/s", "higher")
	c.Add("gregor", "produce 1 KiB", 500000, "rec/s", "higher")
	c.Add("gregor", "produce 1 KiB", 400000, "rec/s", "higher")
	c.Add("gregor", "produce 1 KiB", 600000, "rec/s", "higher")
	c.Add("kafka", "produce 1 KiB", 250000, "rec/s", "higher")
	c.Add("kfake", "produce 1 KiB", 1000, "rec/s", "higher")
	c.Add("gregor", "p99 at 5,000 rec/s", 1.5, "ms", "lower")
	c.Add("kafka", "p99 at 5,000 rec/s", 6, "ms", "lower")

	var buf bytes.Buffer
	if err := WriteJSON(&buf, c.Results()); err != nil {
		t.Fatal(err)
	}
	results, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	Table(&out, results, []string{"gregor", "kafka", "kfake", "absent"}, "gregor", "kafka")
	want := `| machine limit | unit | median | samples |
|---|---|---|---|
| loopback TCP | GB/s | 2.40 | 2.40 |

| metric | unit | gregor | kafka | kfake | gregor/kafka |
|---|---|---|---|---|---|
| produce 1 KiB | rec/s ↑ | 500,000 | 250,000 | 1,000 | ×2.00 |
| p99 at 5,000 rec/s | ms ↓ | 1.50 | 6.00 | – | ×0.25 |
`
	if out.String() != want {
		t.Errorf("Table printed\n%s\nwant\n%s", out.String(), want)
	}
}

func TestFormatNumber(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0.4449, "0.445"}, {5.678, "5.68"}, {12.34, "12.3"}, {512.4, "512"},
		{1234567, "1,234,567"}, {-2500, "-2,500"}, {999.6, "1,000"},
	} {
		if got := FormatNumber(tc.v); got != tc.want {
			t.Errorf("FormatNumber(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
