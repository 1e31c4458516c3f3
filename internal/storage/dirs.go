package storage

import "gregor/internal/kafka"

// DirLogs is one log dir and the logs the Manager keeps in it.
type DirLogs struct {
	Dir     string
	Logs    map[kafka.TopicPartition]*Log
	Futures map[kafka.TopicPartition]FutureLog // copies being moved into it
}

// LogDirs returns every log dir, in the order configured, with the logs
// in it (none for an empty dir) and the copies being moved into it: what
// DescribeLogDirs reports.
func (m *Manager) LogDirs() []DirLogs {
	m.mu.Lock()
	out := make([]DirLogs, len(m.dirs))
	index := make(map[string]int, len(m.dirs))
	for i, d := range m.dirs {
		out[i] = DirLogs{Dir: d, Logs: map[kafka.TopicPartition]*Log{}}
		index[d] = i
	}
	for tp, l := range m.logs {
		if i, ok := index[m.dirOf[tp]]; ok {
			out[i].Logs[tp] = l
		}
	}
	m.mu.Unlock()
	for i := range out {
		out[i].Futures = m.FutureLogs(out[i].Dir)
	}
	return out
}
