package node_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// layers ranks the packages: a package may import only packages of a lower
// rank. Packages of equal rank are independent of each other.
var layers = map[string]int{
	"kafka":         0,
	"config":        1,
	"record":        1,
	"wire":          1,
	"metadata":      1,
	"storage":       2,
	"partition":     3,
	"controller":    3,
	"coord":         3,
	"replica":       4,
	"group":         4,
	"handler":       5,
	"server":        6,
	"node":          7,
	"node/nodetest": 8,
	"cli":           1,
}

// TestImportDirection proves that imports between internal packages only
// point down the layers of DESIGN.md, and that the CLI imports no broker
// internals.
func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "gregor/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var pkg struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&pkg); err != nil {
			t.Fatal(err)
		}
		from, ok := layerOf(pkg.ImportPath)
		if !ok {
			continue
		}
		for _, imp := range pkg.Imports {
			to, ok := layerOf(imp)
			if !ok {
				continue
			}
			if layers[to] >= layers[from] {
				t.Errorf("%s imports %s: imports must point to a lower layer", pkg.ImportPath, imp)
			}
			if from == "cli" {
				t.Errorf("%s imports %s: the CLI is a Kafka client and must not import broker internals", pkg.ImportPath, imp)
			}
		}
	}
}

func layerOf(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "gregor/internal/")
	if !ok {
		return "", false
	}
	if _, known := layers[rest]; known {
		return rest, true
	}
	name, _, _ := strings.Cut(rest, "/")
	_, known := layers[name]
	return name, known
}
