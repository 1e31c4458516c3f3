package storage

import "gregor/internal/kafka"

// DirLogs is one log dir and the logs the Manager keeps in it.
type DirLogs struct {
	Dir  string
	Logs map[kafka.TopicPartition]*Log
}

// LogDirs returns every log dir, in the order configured, with the logs
// in it (none for an empty dir): what DescribeLogDirs reports.
func (m *Manager) LogDirs() []DirLogs {
	m.mu.Lock()
	defer m.mu.Unlock()
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
	return out
}
