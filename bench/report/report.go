// Package report holds the benchmark's result format, one JSON object a
// line, and prints results as markdown tables: the machine limits, then
// each metric for every broker with the ratio of the broker under test to
// the reference.
package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"gregor/bench/stats"
)

// Machine is the Broker of a machine-limit result.
const Machine = "machine"

// Result is one metric for one broker over all repetitions.
type Result struct {
	Name    string    `json:"name"`
	Broker  string    `json:"broker"`
	Samples []float64 `json:"samples"`
	Median  float64   `json:"median"`
	Unit    string    `json:"unit"`
	Better  string    `json:"better"` // "higher" or "lower"
}

// Collector accumulates samples by broker and metric, in first-seen order.
// It is not safe for concurrent use.
type Collector struct {
	results []*Result
	index   map[[2]string]*Result
}

// Add records one sample of metric name for broker.
func (c *Collector) Add(broker, name string, value float64, unit, better string) {
	if c.index == nil {
		c.index = map[[2]string]*Result{}
	}
	key := [2]string{broker, name}
	r := c.index[key]
	if r == nil {
		r = &Result{Name: name, Broker: broker, Unit: unit, Better: better}
		c.index[key] = r
		c.results = append(c.results, r)
	}
	r.Samples = append(r.Samples, value)
	r.Median = stats.Median(r.Samples)
}

// Results returns the results collected so far.
func (c *Collector) Results() []Result {
	out := make([]Result, len(c.results))
	for i, r := range c.results {
		out[i] = *r
	}
	return out
}

// WriteJSON writes one JSON line per result.
func WriteJSON(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	for _, r := range results {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// ReadJSON reads results written by WriteJSON; blank lines are skipped.
func ReadJSON(r io.Reader) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var res Result
		if err := json.Unmarshal([]byte(text), &res); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, res)
	}
	return out, sc.Err()
}

// Table prints the machine limits, then one row per metric with a column
// per broker (in the order given, those with results) and the ratio
// subject/reference of their medians.
func Table(w io.Writer, results []Result, brokers []string, subject, reference string) {
	var names []string
	byKey := map[[2]string]Result{}
	present := map[string]bool{}
	for _, r := range results {
		byKey[[2]string{r.Broker, r.Name}] = r
		present[r.Broker] = true
		if r.Broker != Machine && !slices.Contains(names, r.Name) {
			names = append(names, r.Name)
		}
	}
	printLimits(w, results)
	var cols []string
	for _, b := range brokers {
		if present[b] {
			cols = append(cols, b)
		}
	}
	if len(names) == 0 {
		return
	}
	withRatio := present[subject] && present[reference]
	header := "| metric | unit |"
	rule := "|---|---|"
	for _, b := range cols {
		header += " " + b + " |"
		rule += "---|"
	}
	if withRatio {
		header += " " + subject + "/" + reference + " |"
		rule += "---|"
	}
	fmt.Fprintln(w, header)
	fmt.Fprintln(w, rule)
	for _, name := range names {
		var unit string
		row := ""
		for _, b := range cols {
			r, ok := byKey[[2]string{b, name}]
			if !ok {
				row += " – |"
				continue
			}
			unit = r.Unit + arrow(r.Better)
			row += " " + FormatNumber(r.Median) + " |"
		}
		if withRatio {
			row += " " + ratio(byKey, name, subject, reference) + " |"
		}
		fmt.Fprintf(w, "| %s | %s |%s\n", name, unit, row)
	}
}

func printLimits(w io.Writer, results []Result) {
	var limits []Result
	for _, r := range results {
		if r.Broker == Machine {
			limits = append(limits, r)
		}
	}
	if len(limits) == 0 {
		return
	}
	fmt.Fprintln(w, "| machine limit | unit | median | samples |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, r := range limits {
		samples := make([]string, len(r.Samples))
		for i, s := range r.Samples {
			samples[i] = FormatNumber(s)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.Name, r.Unit, FormatNumber(r.Median), strings.Join(samples, ", "))
	}
	fmt.Fprintln(w)
}

func ratio(byKey map[[2]string]Result, name, subject, reference string) string {
	s, ok1 := byKey[[2]string{subject, name}]
	r, ok2 := byKey[[2]string{reference, name}]
	if !ok1 || !ok2 || r.Median == 0 || math.IsNaN(s.Median) || math.IsNaN(r.Median) {
		return "–"
	}
	return fmt.Sprintf("×%.2f", s.Median/r.Median)
}

func arrow(better string) string {
	switch better {
	case "higher":
		return " ↑"
	case "lower":
		return " ↓"
	}
	return ""
}

// FormatNumber prints v with about three significant digits, and
// thousands separators from 1,000 up.
func FormatNumber(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "NaN"
	case a >= 99.5:
		return groupThousands(fmt.Sprintf("%.0f", v))
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

func groupThousands(digits string) string {
	sign := ""
	if strings.HasPrefix(digits, "-") {
		sign, digits = "-", digits[1:]
	}
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return sign + b.String()
}
