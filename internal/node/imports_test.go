package node_test

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// allowedImports is, for each package under internal/, the internal
// packages it may import: the layer table of DESIGN.md made explicit, so
// that an edge not listed here fails TestImportAllowList. Packages the
// table names but that do not exist yet (coord, txn, auth) have their
// entries already, so the work that adds them only adds files.
var allowedImports = map[string][]string{
	// Vocabulary and formats: no I/O, nothing of the broker.
	"kafka":     {},
	"acl":       {},
	"buildinfo": {},
	"vfs":       {},
	// The node's loggers and their levels: the standard library only.
	"logging": {},
	"config":  {"kafka"},
	"record":  {"kafka"},
	// Kafka's replica assignment, pure: the controller and the CLI share it.
	"placement": {},
	// Protocol framing, the request and the connection's session.
	"wire": {"kafka", "acl"},
	// The log, then one replica of one partition on top of it.
	"storage": {"kafka", "record", "vfs"},
	// partition consumes its log through an interface (partition.Log) that
	// storage.Log implements: it does not import storage.
	"partition": {"kafka", "record"},
	// Cluster metadata: the pure image, the quorum that writes it (its log,
	// a storage.Log opened by node, through controller.MetadataLog; its
	// transport our wire layer), the replica manager, which opens the logs.
	"metadata":   {"kafka", "acl"},
	"controller": {"kafka", "acl", "config", "metadata", "placement", "record", "wire"},
	"replica":    {"kafka", "config", "metadata", "partition", "record", "storage", "wire"},
	// The follower's FetchSource over the network: replica's types to kmsg
	// bodies on wire's client, so that replica itself speaks no protocol.
	"replica/leaderclient": {"kafka", "metadata", "partition", "replica", "wire"},
	// Coordinators: the shared runtime writes through a partition and waits
	// on its high watermark; nothing above partition touches storage.
	"coord": {"kafka", "record", "partition"},
	"group": {"kafka", "record", "partition", "coord"},
	"txn":   {"kafka", "record", "partition", "coord"},
	// The transactional requests between brokers over the network
	// (WriteTxnMarkers to leaders, verification at coordinators): kmsg
	// bodies on wire's client, so that txn itself speaks no protocol.
	"txn/txnclient":          {"kafka", "metadata", "partition", "txn", "wire"},
	"controller/voterclient": {"config", "wire"},
	"auth":                   {"kafka", "acl", "config", "metadata"},
	// Client quotas: sampled rates and throttle times, pure but for a
	// mutex; the configured quotas come from the metadata image.
	"quota": {"metadata"},
	// Schema formats: the registry's vocabulary, then one package a format.
	"schema":            {},
	"schema/avro":       {"schema"},
	"schema/jsonschema": {"schema"},
	"schema/protobuf":   {"schema"},
	// The schema registry: formats come in through schema's interfaces;
	// it is a Kafka client of its own node (_schemas), as the console is.
	"schemareg": {"schema", "httpserve"},
	// TLS material for tests: the standard library only.
	"auth/authtest": {},
	// The only place wire meets the domain. Not storage, not server.
	// schema: broker-side schema validation takes parsed schemas through
	// schema's interfaces; the registry itself comes in as handler's
	// SchemaSource, which node implements.
	"handler": {"kafka", "acl", "config", "record", "wire", "metadata", "partition",
		"controller", "coord", "group", "txn", "auth", "quota", "schema", "logging"},
	// Connections: knows wire and the session, never the handler.
	"server": {"kafka", "acl", "wire", "auth"},
	// Metrics: counted from the decoded request and response the server
	// hands over (wire's Request, kmsg bodies, batch headers), the rest read
	// at scrape time through metrics.View, which node implements. Not
	// storage, not the handler.
	"metrics": {"kafka", "record", "wire"},
	// The HTTP admin listener: /metrics, health and the console come in as
	// http.Handlers and functions; it imports no broker package.
	"admin": {"httpserve"},
	// The web console is a Kafka client of its own node, as the CLI is.
	"console": {},
	// The REST proxy is a Kafka client of its own node too; schemas come
	// in through schema's interfaces and its own Registry, which node
	// implements over the registry.
	"restproxy": {"schema", "httpserve"},
	// Running an HTTP service until its context ends: the standard library
	// only.
	"httpserve": {},
	// HTTP basic authentication of the registry and the proxy: the
	// standard library only.
	"httpauth": {},
	// The composition root may import everything it composes.
	"node": {"admin", "console", "restproxy", "httpauth", "metrics", "buildinfo", "logging", "kafka", "acl", "config", "record", "wire", "vfs", "storage", "partition", "metadata",
		"controller", "controller/voterclient", "replica", "replica/leaderclient", "coord", "group", "txn", "txn/txnclient", "auth", "quota", "handler", "server",
		"schema", "schema/avro", "schema/jsonschema", "schema/protobuf", "schemareg"},
	// nodetest formats a cluster's dirs with one cluster id, as `gregor
	// storage format` does, through storage's meta.properties writer.
	"node/nodetest": {"kafka", "config", "node", "storage", "vfs", "testutil/freeport"},
	// Test helpers below every layer: a TCP proxy that cuts, delays or
	// black-holes one link, for fault tests of any package (and test/e2e).
	// It knows nothing of Gregor, so that any layer's tests may use it.
	"testutil/netproxy": {},
	// Loopback ports below the kernel's ephemeral range, for servers that
	// must be told their port before they start.
	"testutil/freeport": {},
	// Log output collected from concurrent writers, for tests that read it.
	"testutil/logbuf": {},
	// Batches record.Build cannot make (decompression bombs), for the
	// tests of record, storage and partition.
	"record/recordtest": {"record"},
	// The CLI is a Kafka client: it speaks the protocol to --bootstrap-server
	// and imports no broker internal, only the pure replica assignment
	// that reassign-partitions --generate proposes with.
	"cli": {"placement"},
}

// importExceptions are edges the allow-list forbids but today's code still
// has, each limited to the files named, with the reason. Remove an entry
// when its edge goes; adding one needs a reason as good.
var importExceptions = []struct {
	from, to string
	files    []string
	why      string
}{}

// franzProtocol are the franz-go packages of the wire protocol's types
// (message bodies, error codes, primitive encoding). They may appear only
// in the wire, handler and server layers and in the CLI, plus the
// coordinators listed in franzProtocolExceptions.
var franzProtocol = []string{
	"github.com/twmb/franz-go/pkg/kmsg",
	"github.com/twmb/franz-go/pkg/kerr",
	"github.com/twmb/franz-go/pkg/kbin",
}

var franzProtocolAllowed = []string{"wire", "handler", "server", "cli", "console", "restproxy"}

// franzProtocolExceptions are the packages below the handler that may
// import franz-go's protocol packages, and why.
var franzProtocolExceptions = map[string]string{
	"group": "the records of __consumer_offsets are Kafka's own schemas (OffsetCommitKey, GroupMetadataValue, ...), which kmsg generates; writing them by hand would duplicate a codec",
	"txn":   "the records of __transaction_state are Kafka's own schemas (TransactionLogKey, TransactionLogValue), as for group",
	// A follower is a client of its leader: Fetch and OffsetForLeaderEpoch
	// bodies are kmsg's, as DESIGN.md's broker-to-broker client says.
	"replica/leaderclient":   "the follower's requests to its leader (Fetch, OffsetForLeaderEpoch) are kmsg bodies; the translation is kept out of replica itself",
	"controller/voterclient": "a node named by controller.quorum.bootstrap.servers asks them for the voters with DescribeQuorum, a kmsg body",
	"txn/txnclient":          "a coordinator's WriteTxnMarkers to other leaders and a leader's AddPartitionsToTxn verification at another coordinator are kmsg bodies; the translation is kept out of txn and the handler",
	// Kafka's request metrics are counted from the request and its answer.
	"metrics": "counts records, bytes and error codes from the decoded Produce and Fetch bodies and every response, which the server hands over as kmsg values; it reads them and writes none",
}

// franzClientAllowed are the packages that are Kafka clients: the CLI, and
// the web console, the schema registry and the REST proxy, which speak the
// protocol to their own node so that they go through the same APIs,
// validation and authorization as any client.
var franzClientAllowed = []string{"cli", "console", "schemareg", "restproxy"}

// franzClient are franz-go's client packages: only the CLI and the console are clients.
var franzClient = []string{
	"github.com/twmb/franz-go/pkg/kgo",
	"github.com/twmb/franz-go/pkg/kadm",
	"github.com/twmb/franz-go/pkg/kfake",
}

// forbiddenDeps are transitive dependencies that must not exist, whatever
// the path: the server and the handler meet only in node, and nothing above
// partition reaches storage (or the replica manager that opens the logs)
// around the high-watermark rule.
var forbiddenDeps = map[string][]string{
	"metrics":    {"storage", "handler", "server"},
	"admin":      {"storage"},
	"handler":    {"server", "storage", "replica", "vfs"},
	"server":     {"handler", "storage"},
	"group":      {"storage"},
	"coord":      {"storage"},
	"controller": {"storage"},
	"partition":  {"storage"},
}

type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Imports    []string
}

func listPackages(t *testing.T) []listedPackage {
	out, err := exec.Command("go", "list", "-json", "gregor/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestImportAllowList proves that every import between internal packages
// is one the allow-list permits (or a listed exception, in its files only),
// that franz-go's protocol types stay in the layers that speak the
// protocol and its client in the CLI, and that every internal package has
// an entry.
func TestImportAllowList(t *testing.T) {
	for _, p := range listPackages(t) {
		name, internal := strings.CutPrefix(p.ImportPath, "gregor/internal/")
		if !internal {
			continue
		}
		allowed, known := allowedImports[name]
		if !known {
			t.Errorf("%s has no entry in allowedImports: add the packages it may import", p.ImportPath)
			continue
		}
		for _, imp := range p.Imports {
			if err := checkImport(name, allowed, imp); err != "" {
				for _, file := range filesImporting(t, p, imp) {
					if !excepted(name, imp, file) {
						t.Errorf("%s imports %s: %s", filepath.Join("internal", name, file), imp, err)
					}
				}
			}
		}
	}
}

// checkImport returns why pkg may not import imp, or "" if it may.
func checkImport(pkg string, allowed []string, imp string) string {
	switch to, internal := strings.CutPrefix(imp, "gregor/internal/"); {
	case internal && (pkg == "cli" || pkg == "console" || pkg == "restproxy") && !slices.Contains(allowed, to):
		return "the CLI, the console and the REST proxy are Kafka clients and must not import broker internals"
	case internal && !slices.Contains(allowed, to):
		return pkg + " may import only " + strings.Join(allowed, ", ")
	case slices.Contains(franzProtocol, imp) && !slices.Contains(franzProtocolAllowed, pkg) && franzProtocolExceptions[pkg] == "":
		return "franz-go's protocol types belong to wire, handler, server and cli (see franzProtocolExceptions)"
	case slices.Contains(franzClient, imp) && !slices.Contains(franzClientAllowed, pkg):
		return "only the packages of franzClientAllowed (the CLI, the console, the schema registry, the REST proxy) are Kafka clients"
	}
	return ""
}

// filesImporting returns the non-test files of p that import imp.
func filesImporting(t *testing.T, p listedPackage, imp string) []string {
	var files []string
	for _, name := range p.GoFiles {
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(p.Dir, name), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range f.Imports {
			if path, _ := strconv.Unquote(spec.Path.Value); path == imp {
				files = append(files, name)
			}
		}
	}
	return files
}

func excepted(from, imp, file string) bool {
	for _, e := range importExceptions {
		if e.from == from && "gregor/internal/"+e.to == imp && slices.Contains(e.files, file) {
			return true
		}
	}
	return false
}

// TestForbiddenDependencies proves that the handler does not depend on the
// server, even through another package, nor the server on the handler (the
// server owns the Handler interface and node joins the two), and that
// nothing above partition depends on storage.
func TestForbiddenDependencies(t *testing.T) {
	exists := map[string]bool{}
	for _, p := range listPackages(t) {
		exists[p.ImportPath] = true
	}
	for from, forbidden := range forbiddenDeps {
		if !exists["gregor/internal/"+from] {
			continue // named by DESIGN.md, not written yet
		}
		out, err := exec.Command("go", "list", "-deps", "gregor/internal/"+from).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", from, err)
		}
		deps := strings.Fields(string(out))
		for _, to := range forbidden {
			if slices.Contains(deps, "gregor/internal/"+to) {
				t.Errorf("internal/%s depends on internal/%s", from, to)
			}
		}
	}
}
