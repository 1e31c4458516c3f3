package storage

import "time"

// NumSegments is the number of segments of the log.
func (l *Log) NumSegments() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.segments)
}

// CleanerStats is the log cleaner's progress since the Manager opened, for
// metrics: Kafka's LogCleaner and LogCleanerManager gauges.
type CleanerStats struct {
	Cleanings         int64
	BytesRead         int64
	BytesWritten      int64
	LastRun           time.Time // end of the last cleaning; zero if none
	LastRecopyPercent float64   // bytes written over bytes read by the last cleaning, in percent
	MaxCleanTime      time.Duration
	Uncleanable       int // partitions skipped until restart after a failed cleaning
}

// CleanerStats returns the cleaner's progress.
func (m *Manager) CleanerStats() CleanerStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.cleaner.stats
	s.Uncleanable = len(m.cleaner.uncleanable)
	return s
}

// recordCleaning adds a finished cleaning to the stats.
func (m *Manager) recordCleaning(c cleanStats, elapsed time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := &m.cleaner.stats
	s.Cleanings++
	s.BytesRead += c.bytesRead
	s.BytesWritten += c.bytesWritten
	s.LastRun = m.now()
	s.LastRecopyPercent = 0
	if c.bytesRead > 0 {
		s.LastRecopyPercent = 100 * float64(c.bytesWritten) / float64(c.bytesRead)
	}
	s.MaxCleanTime = max(s.MaxCleanTime, elapsed)
}
