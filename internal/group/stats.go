package group

import "gregor/internal/kafka"

// Stats is a group as metrics see it.
type Stats struct {
	GroupID string
	State   string // the classic state, or a consumer group's
	Members int
	// Committed is the committed offset of each partition.
	Committed map[kafka.TopicPartition]kafka.Offset
}

// Stats returns every live group of the loaded partitions, with its
// committed offsets, for metrics. Groups of partitions still loading are
// left out.
func (c *Coordinator) Stats() []Stats {
	var out []Stats
	c.rt.Each(func(s *shard) {
		for _, g := range s.groups {
			if g.state == Dead {
				continue
			}
			out = append(out, statsOf(g))
		}
	})
	return out
}

func statsOf(g *group) Stats {
	st := Stats{GroupID: g.id, State: g.state.String(), Members: len(g.members),
		Committed: make(map[kafka.TopicPartition]kafka.Offset, len(g.offsets))}
	if g.consumer != nil {
		st.State, st.Members = g.consumer.state(), len(g.consumer.members)
	}
	for tp, o := range g.offsets {
		st.Committed[tp] = kafka.Offset(o.Offset)
	}
	return st
}
