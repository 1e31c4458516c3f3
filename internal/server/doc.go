// Package server accepts Kafka connections and runs them: one goroutine per
// connection reads, decodes and serves its requests one at a time, in
// arrival order, and writes the responses. Serving in order is what Kafka
// does too (a connection's next request is not processed until the previous
// one is answered): it keeps an idempotent producer's pipelined batches in
// sequence, and with no hand-off between goroutines a request costs no
// scheduling on its way from the socket to the log.
//
// One exception, for Produce: a produce whose answer must wait after its
// append (an fsync under gregor.flush.before.ack, followers for acks=all)
// returns from the handler deferred (wire.Request.Defer). Its answer goes
// to the connection's pipeline (pipeline.go), whose writer goroutine, while
// any answer is pending, completes each in turn and writes it, strictly in
// request order; meanwhile the connection goes on reading, and appends the
// next produce requests at once, in the order read, so that one fsync can
// cover several requests of a pipelining producer. A produce answered at
// once queues behind the pending ones. Any other request first waits until
// the pipeline is drained, so every other API is served one request at a
// time, after every earlier answer, as in Kafka; so does a throttled
// produce, whose connection is then muted as usual. At most pipelineDepth
// answers are pending; each keeps its frame and its bytes of
// queued.max.request.bytes until written. A closed connection drops them.
//
// The server owns the Handler interface it calls, with one method; the
// handler package implements it without knowing the server, and node joins
// the two, passing the registry of served APIs along. What both sides name,
// the decoded request and the connection's Session (listener, security
// protocol, remote address, principal), lives below both in internal/wire.
// The server creates one Session per connection and hands it with every
// request: that is where TLS and SASL will record who the client is, and
// what the authorizer will read.
//
// Connections holds the limits that all listeners of a node share
// (max.connections and the listeners' own, max.connections.per.ip and its
// overrides, connections.max.idle.ms, queued.max.requests): at
// max.connections a listener accepts nothing more until a connection
// closes (the protected inter-broker listener excepted, whose connections
// over it close the least recently active ones of the other listeners,
// each connection's last read request or written response timing it,
// as Kafka's KIP-402), a connection over
// its address's limit is closed as soon as it is accepted, a silent one
// when its idle time runs out, and a request finding every serving slot
// taken waits before it is served, leaving the client's next requests in
// the socket.
//
// A listener with TLS (SSL, SASL_SSL) starts every connection with a
// handshake, bounded in time, using the configuration internal/auth keeps
// current; a client certificate names the session's principal. Responses
// are written through the TLS connection like any other.
//
// Responses are encoded into a buffer the connection keeps, except the
// record batches of a Fetch response: they are not copied but written
// from the handler's read buffers, with the frame's own bytes around them,
// in one writev (wire.AppendFetchResponse); through TLS they are sealed
// in whole TLS records straight from those buffers (writeTLS). Record
// batches the handler gives as regions of segment files
// (Request.FetchRegions) go from the file to a TCP socket with
// sendfile(2), at an explicit position (writeRegions); through TLS they
// are read 16 records at a time into a pooled buffer and sealed from it
// (sealRegion); on any other connection they are read and copied. The handler's buffers and regions are released (Request.Sent)
// once the response is written.
//
// An Observer, when set, is told of every request answered, with its
// response and how long serving it took, before the response's buffers
// are released: the node's metrics count traffic there.
package server
