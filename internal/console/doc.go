// Package console is Gregor's web console: server-rendered pages (the
// templates and the stylesheet embedded in the binary, a few lines of
// JavaScript) for the cluster, topics, messages and consumer groups.
//
// The console is a Kafka client of its own node, as the CLI is: it speaks
// the protocol through franz-go's kgo and kadm to the node's listener and
// imports no broker package. Everything it shows or changes goes through
// the same APIs, the same validation and (once the node's listener
// authenticates) the same authorization as any other client, so the
// console never has a way around the broker that users do not.
//
// Run samples every group's total lag (through the same Lag request as
// the groups page) every few seconds into an in-memory history of the last
// 15 minutes, drawn as an inline SVG chart on each group's page; page views
// add samples too. The history starts empty when the node starts.
//
// With ReadOnly (http.console.read.only) the forms that change anything
// are not shown and every POST is refused with 403.
package console
