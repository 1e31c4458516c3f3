package quota

import "time"

// rate is Kafka's sampled Rate: the sum of values over the last windows,
// divided by the time they cover. It is not safe for concurrent use.
type rate struct {
	samples []sample // at most windows; current is the newest
	current int
}

type sample struct {
	start time.Time
	value float64
}

// record adds v at now, starting a new window when the current one is full.
func (r *rate) record(v float64, now time.Time, c Config) {
	s := r.currentSample(now, c)
	s.value += v
}

func (r *rate) currentSample(now time.Time, c Config) *sample {
	if len(r.samples) == 0 {
		r.samples = append(r.samples, sample{start: now})
		r.current = 0
	}
	s := &r.samples[r.current]
	if now.Sub(s.start) < c.Window {
		return s
	}
	r.current = (r.current + 1) % c.Windows
	if r.current == len(r.samples) {
		r.samples = append(r.samples, sample{})
	}
	r.samples[r.current] = sample{start: now}
	return &r.samples[r.current]
}

// purge resets the windows that ended before the span of all windows.
func (r *rate) purge(now time.Time, c Config) {
	expiry := time.Duration(c.Windows) * c.Window
	for i := range r.samples {
		if now.Sub(r.samples[i].start) >= expiry {
			r.samples[i] = sample{start: now}
		}
	}
}

// measure returns the rate per second at now.
func (r *rate) measure(now time.Time, c Config) float64 {
	r.purge(now, c)
	var total float64
	for _, s := range r.samples {
		total += s.value
	}
	return total / r.span(now, c).Seconds()
}

// span is the time the windows cover, at least (windows-1) whole windows
// and never zero (Kafka's Rate.windowSize).
func (r *rate) span(now time.Time, c Config) time.Duration {
	oldest := now
	for _, s := range r.samples {
		if s.start.Before(oldest) {
			oldest = s.start
		}
	}
	elapsed := now.Sub(oldest)
	full := int(elapsed / c.Window)
	if min := c.Windows - 1; full < min {
		elapsed += time.Duration(min-full) * c.Window
	}
	return max(elapsed, time.Millisecond)
}
