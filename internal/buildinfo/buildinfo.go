// Package buildinfo says which Gregor this binary is: its module version,
// the VCS revision and time it was built from (as the go command stamps
// them), and the Kafka release whose protocol it targets. It imports
// nothing of the broker, so the binary's --version and the server's
// start-up line read the same values.
package buildinfo

import (
	"fmt"
	"runtime/debug"
)

// KafkaVersion is the Apache Kafka release whose protocol surface (API keys
// and version ranges) Gregor targets.
const KafkaVersion = "4.2"

// devel stands for a value the build did not record (go run, go test, or a
// build outside a VCS checkout).
const devel = "devel"

// Info is what the build recorded about this binary.
type Info struct {
	Version  string // the main module's version, "devel" when unversioned
	Revision string // the VCS revision, "devel" when not recorded
	Time     string // the revision's commit time (RFC 3339), "devel" when not recorded; Go records no build time, so this is the closest the binary knows
	Modified bool   // the work tree had uncommitted changes
}

// Read returns the build's Info; fields the build did not record say "devel".
func Read() Info {
	info := Info{Version: devel, Revision: devel, Time: devel}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		info.Version = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// String is the one-line form gregor --version prints.
func (i Info) String() string {
	rev := i.Revision
	if i.Modified {
		rev += "+modified"
	}
	return fmt.Sprintf("gregor %s (revision %s, commit time %s), Kafka protocol %s", i.Version, rev, i.Time, KafkaVersion)
}

// LogAttrs are the key/value pairs of the server's start-up line.
func (i Info) LogAttrs() []any {
	return []any{"version", i.Version, "revision", i.Revision, "vcs.time", i.Time, "kafka.version", KafkaVersion}
}
