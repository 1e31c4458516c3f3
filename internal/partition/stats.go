package partition

// Waiting returns how many acks=all appends wait for the high watermark
// (WaitForHighWatermark) and how many fetch long-polls watch the log end
// (Watch): this replica's share of Kafka's produce and fetch purgatories.
func (p *Partition) Waiting() (produces, fetches int) {
	p.waitMu.Lock()
	defer p.waitMu.Unlock()
	return len(p.waiters), len(p.watchers)
}
