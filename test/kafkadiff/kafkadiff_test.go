package kafkadiff

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// TestAgainstKafka proves that Gregor answers like Apache Kafka: every
// scenario (each API key Gregor advertises at the lowest and highest
// version both serve, and the error paths clients hit) runs against the
// reference broker named by GREGOR_REFERENCE_KAFKA and against Gregor
// (GREGOR_BOOTSTRAP, or one started here), and every normalized field must
// match unless compat/kafkadiff-known-gaps lists the difference. A listed
// difference that no longer occurs fails too, so the list stays true.
func TestAgainstKafka(t *testing.T) {
	kafkaAddr := os.Getenv("GREGOR_REFERENCE_KAFKA")
	if kafkaAddr == "" {
		t.Skip("GREGOR_REFERENCE_KAFKA (host:port of a reference Apache Kafka) is not set")
	}
	gregorAddr := os.Getenv("GREGOR_BOOTSTRAP")
	if gregorAddr == "" {
		// As the reference broker (compat/kafka/broker): an authorizer, for
		// the ACL APIs, with the PLAINTEXT principal a super user.
		gregorAddr = nodetest.Start(t, "", map[string]string{"num.partitions": "1",
			"authorizer.class.name":          "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
			"super.users":                    "User:ANONYMOUS",
			"allow.everyone.if.no.acl.found": "true"}).Addr
	}
	kafkaVersions, gregorVersions := apiVersions(t, kafkaAddr), apiVersions(t, gregorAddr)
	common := commonVersions(t, kafkaVersions, gregorVersions)
	gaps := readGaps(t, "../../compat/kafkadiff-known-gaps")
	run := fmt.Sprintf("kd%d", time.Now().UnixNano()%1e9)
	for _, addr := range []string{kafkaAddr, gregorAddr} {
		if err := warmUp(addr, run, common); err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
	}
	seen := map[string]bool{}
	for _, sc := range scenarios(common) {
		t.Run(sc.name, func(t *testing.T) {
			prefix := run + "-" + strings.NewReplacer("/", "-").Replace(sc.name)
			kafka := (&session{addr: kafkaAddr, prefix: prefix, common: common}).run(sc.run)
			gregor := (&session{addr: gregorAddr, prefix: prefix, common: common}).run(sc.run)
			if os.Getenv("GREGOR_KAFKADIFF_DUMP") != "" {
				t.Logf("kafka: %s\ngregor: %s", canonical(kafka), canonical(gregor))
			}
			for _, d := range diff("", kafka, gregor) {
				if g := gaps.match(sc.name, d.Path); g != "" {
					seen[g] = true
					t.Logf("known gap %s: %s", sc.name, d)
					continue
				}
				t.Errorf("%s", d)
			}
		})
	}
	for _, g := range gaps.lines {
		if !seen[g] && !t.Failed() {
			t.Errorf("compat/kafkadiff-known-gaps lists a difference that no longer occurs: %s", g)
		}
	}
}

type scenario struct {
	name string
	run  func(*session) any
}

// scenarios are the per-key scenarios at each key's lowest and highest
// common version, then the error paths.
func scenarios(common map[int16]versionRange) []scenario {
	var out []scenario
	keys := make([]int16, 0, len(common))
	for k := range common {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		r, fn := common[k], byKey[k]
		for _, v := range slices.Compact([]int16{r.min, r.max}) {
			out = append(out, scenario{fmt.Sprintf("%02d-%s/v%d", k, kmsg.NameForKey(k), v),
				func(s *session) any { return fn(s, v) }})
		}
	}
	names := make([]string, 0, len(errorScenarios))
	for n := range errorScenarios {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		out = append(out, scenario{"error/" + n, errorScenarios[n]})
	}
	return out
}

func apiVersions(t *testing.T, addr string) map[int16]versionRange {
	t.Helper()
	c, err := dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName, req.ClientSoftwareVersion = "kafkadiff", "1.0"
	resp, err := c.roundTrip(req, 3)
	if err != nil {
		t.Fatalf("ApiVersions from %s: %v", addr, err)
	}
	out := map[int16]versionRange{}
	for _, k := range resp.(*kmsg.ApiVersionsResponse).ApiKeys {
		out[k.ApiKey] = versionRange{k.MinVersion, k.MaxVersion}
	}
	return out
}

// noScenarioYet lists the keys Gregor advertises that this test does not
// compare with Kafka yet, and why. Each needs more than a request against a
// plain broker: SASL a SASL listener, transaction markers a broker sending
// them, quorum status a quorum alike on both sides. They are covered by
// Gregor's own tests meanwhile (the SASL, transaction and cluster tests).
var noScenarioYet = map[int16]string{
	17: "SASL needs a SASL listener on both brokers",
	36: "SASL needs a SASL listener on both brokers",
	27: "a broker-to-broker request",
	55: "the reference is a one-voter quorum, Gregor's status differs in ids and times only",
}

// servedFrom is the lowest version served where ApiVersions lists a lower
// one: Kafka 4 and Gregor list Produce from v0 but serve it from v3.
var servedFrom = map[int16]int16{0: 3}

// commonVersions is, for each key Gregor advertises, the versions both
// brokers (and kmsg) serve; a key without a scenario, or that Kafka does
// not serve at all, fails the test.
func commonVersions(t *testing.T, kafka, gregor map[int16]versionRange) map[int16]versionRange {
	out := map[int16]versionRange{}
	for k, g := range gregor {
		kr, ok := kafka[k]
		if !ok {
			t.Errorf("Gregor advertises %s (key %d), which Kafka does not", kmsg.NameForKey(k), k)
			continue
		}
		if why, listed := noScenarioYet[k]; listed {
			if byKey[k] != nil {
				t.Errorf("%s (key %d) has a scenario: remove it from noScenarioYet", kmsg.NameForKey(k), k)
			} else {
				t.Logf("known gap: no scenario for %s (key %d) yet: %s", kmsg.NameForKey(k), k, why)
			}
			continue
		}
		if byKey[k] == nil {
			t.Errorf("Gregor advertises %s (key %d): add a scenario to byKey", kmsg.NameForKey(k), k)
			continue
		}
		r := versionRange{max(g.min, kr.min, servedFrom[k]), min(g.max, kr.max, kmsg.RequestForKey(k).MaxVersion())}
		if r.min > r.max {
			t.Errorf("%s: no common version (kafka %v, gregor %v)", kmsg.NameForKey(k), kr, g)
			continue
		}
		out[k] = r
	}
	return out
}

// knownGaps are the differences listed in compat/kafkadiff-known-gaps, one a
// line: <scenario glob> <field path glob> <reason>.
type knownGaps struct{ lines []string }

func readGaps(t *testing.T, file string) knownGaps {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var g knownGaps
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(strings.Fields(line)) < 3 {
			t.Fatalf("%s: %q: want <scenario> <path> <reason>", file, line)
		}
		g.lines = append(g.lines, line)
	}
	return g
}

// match returns the line that explains a difference at path in scenario:
// its field glob matches the path or one of its ancestors (a listed field
// covers what is inside it).
func (g knownGaps) match(scenario, at string) string {
	for _, line := range g.lines {
		f := strings.Fields(line)
		if ok, _ := path.Match(f[0], scenario); !ok {
			continue
		}
		for p := at; p != "." && p != "/" && p != ""; p = path.Dir(p) {
			if ok, _ := path.Match(f[1], p); ok {
				return line
			}
		}
	}
	return ""
}
