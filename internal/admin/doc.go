// Package admin is the node's HTTP admin listener (http.listeners): it
// serves /metrics (the handler the node hands it), /healthz (the process
// answers), /readyz (the node is ready: what the node's Ready reports),
// Go's pprof profiles under /debug/pprof/ when enabled, and the web console
// at /. It knows nothing of the broker: everything comes in as an
// http.Handler or a function, so that it imports no broker package.
package admin
